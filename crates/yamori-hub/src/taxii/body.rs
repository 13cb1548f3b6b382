//! Reading a POST body under `max_content_length`, enforced while it streams in.
//!
//! An over-limit body is not simply abandoned: closing a connection with unread data makes the
//! kernel send a reset, and a client still uploading then sees "connection reset" instead of
//! our 413. So the rest is read and discarded, up to [`DRAIN_MAX`] bytes or [`DRAIN_TIME`];
//! beyond that the connection is closed anyway (a bounded cost for an abusive client).

use std::time::Duration;

use axum::body::Body;
use http_body_util::BodyExt;

/// Most bytes of an over-limit body read and thrown away before answering.
const DRAIN_MAX: usize = 4 * 1024 * 1024;
/// Longest time spent draining an over-limit body.
const DRAIN_TIME: Duration = Duration::from_secs(5);

#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    TooLarge,
    /// The client's stream failed (reset, malformed chunking).
    Broken,
}

/// The whole body if it has at most `max` bytes. `declared_over`: the Content-Length already
/// says it is too large, so nothing is kept.
pub async fn read_limited(
    mut body: Body,
    max: usize,
    declared_over: bool,
) -> Result<Vec<u8>, BodyError> {
    let mut buf: Vec<u8> = Vec::new();
    let mut over = declared_over;
    let mut drained = 0usize;
    let deadline = tokio::time::Instant::now() + DRAIN_TIME;
    loop {
        let frame = if over {
            match tokio::time::timeout_at(deadline, body.frame()).await {
                Ok(f) => f,
                Err(_) => break,
            }
        } else {
            body.frame().await
        };
        let data = match frame {
            None => break,
            Some(Err(_)) if over => break,
            Some(Err(_)) => return Err(BodyError::Broken),
            Some(Ok(f)) => match f.into_data() {
                Ok(d) => d,
                Err(_) => continue, // trailers
            },
        };
        if over {
            drained += data.len();
            if drained > DRAIN_MAX {
                break;
            }
        } else if buf.len() + data.len() > max {
            over = true;
            drained = data.len();
            buf = Vec::new();
        } else {
            buf.extend_from_slice(&data);
        }
    }
    if over {
        Err(BodyError::TooLarge)
    } else {
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits() {
        let b = |n: usize| Body::from(vec![b'x'; n]);
        assert_eq!(
            read_limited(b(10), 10, false).await.map(|v| v.len()),
            Ok(10)
        );
        assert_eq!(
            read_limited(b(11), 10, false).await,
            Err(BodyError::TooLarge)
        );
        assert_eq!(read_limited(b(5), 10, true).await, Err(BodyError::TooLarge));
        assert_eq!(read_limited(b(0), 10, false).await, Ok(Vec::new()));
    }
}
