//! Reading a POST body under `max_content_length`, enforced while it streams in.
//!
//! An over-limit body is dropped as soon as it is known to be too large; the rest of it is read
//! and discarded (bounded) by [`crate::drain`] before the 413 goes out, so that clients still
//! uploading read the 413 instead of a reset.

use axum::body::Body;
use http_body_util::BodyExt;

#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    TooLarge,
    /// The client's stream failed (reset, malformed chunking).
    Broken,
}

/// The whole body if it has at most `max` bytes. `declared_over`: the Content-Length already
/// says it is too large, so nothing is read.
pub async fn read_limited(
    mut body: Body,
    max: usize,
    declared_over: bool,
) -> Result<Vec<u8>, BodyError> {
    if declared_over {
        return Err(BodyError::TooLarge);
    }
    let mut buf: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| BodyError::Broken)?.into_data() else {
            continue; // trailers
        };
        if buf.len() + data.len() > max {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&data);
    }
    Ok(buf)
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
