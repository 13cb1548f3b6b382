//! The part of a request body a handler did not read is read and thrown away, up to a bound,
//! before the response goes out.
//!
//! Many answers come before the body is read, or read only part of it: 413 over
//! `max_content_length`, 401, 403, 415, 429. Sent at once, they reach few clients:
//!
//! - HTTP/1.1: hyper stops reading and closes the connection after the response. Closing a
//!   socket with unread bytes in its receive buffer makes the kernel send a reset (and drop what
//!   it had not yet sent). A client that writes its whole body before reading — Python's
//!   `http.client`, hence `requests` and `taxii2-client` — fails mid-upload with "connection
//!   reset" or an SSL EOF and never reads the answer.
//! - HTTP/2: the early response is followed by RST_STREAM(NO_ERROR), which RFC 9113 §8.1 allows,
//!   but curl 7.88 (nghttp2) then fails the transfer ("Stream error in the HTTP/2 framing
//!   layer") although it received the response.
//!
//! So [`drain_unread`] reads the rest first and answers after the client's last byte, which
//! every client handles, and the HTTP/1.1 connection stays usable. Draining is bounded
//! ([`DRAIN_MAX`], [`DRAIN_TIME`]): past either, the response is sent at once and the
//! connection (HTTP/1.1) or stream (HTTP/2) closed, so a client cannot make the hub read
//! without end. A request with `Expect: 100-continue` whose body was never read is answered at
//! once without draining: its client is waiting for "100 Continue" (which hyper sends only when
//! the body is first read), so it has not sent the body and need not.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Version};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;

/// Most bytes of an unread body read and discarded before answering (counted after what the
/// handler read). A client that sends a body somewhat over `max_content_length` (the 10 MiB
/// default, or a few times it) still reads the 413; reading 64 MiB costs the hub a fraction of a
/// second of TLS decryption and nothing kept, and beyond it the client is refused by a close.
pub const DRAIN_MAX: u64 = 64 * 1024 * 1024;
/// Longest time spent draining one body (what nginx allows for its lingering close): enough
/// for 64 MiB at about 20 Mbit/s; a slower sender is cut off rather than holding a request slot.
pub const DRAIN_TIME: Duration = Duration::from_secs(30);

/// What the handler left of the body: set when it drops the body before its end.
struct Left {
    body: Body,
    /// The handler asked for at least one frame (so hyper has sent any "100 Continue").
    polled: bool,
}

/// The request body as the handler sees it; hands back what is left when dropped early.
struct Tracked {
    inner: Option<Body>,
    polled: bool,
    finished: bool,
    left: Arc<Mutex<Option<Left>>>,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        this.polled = true;
        let r = Pin::new(inner).poll_frame(cx);
        // The end, or a broken stream (reset, bad chunking): nothing left worth draining.
        if matches!(r, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            this.finished = true;
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.finished || self.inner.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map(|b| b.size_hint())
            .unwrap_or_else(|| SizeHint::with_exact(0))
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(body) = self.inner.take() {
            if !self.finished && !body.is_end_stream() {
                let mut left = self.left.lock().unwrap_or_else(|p| p.into_inner());
                *left = Some(Left {
                    body,
                    polled: self.polled,
                });
            }
        }
    }
}

/// Middleware: run the handler, then drain what it left of the body (bounded) before the
/// response goes out. See the module documentation for why.
pub async fn drain_unread(req: Request, next: Next) -> Response {
    let expects_continue = req
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let http1 = req.version() < Version::HTTP_2;
    let left = Arc::new(Mutex::new(None));
    let slot = left.clone();
    let req = req.map(|b| {
        Body::new(Tracked {
            inner: Some(b),
            polled: false,
            finished: false,
            left: slot,
        })
    });
    let mut resp = next.run(req).await;
    let left = left.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(Left { body, polled }) = left {
        let whole = (polled || !expects_continue) && drain(body).await;
        // The body was not read to its end: the connection cannot carry another request, and
        // RFC 9110 §10.1.1 asks the server to say so (HTTP/2 closes just the stream).
        if !whole && http1 {
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }
    resp
}

/// Read and discard `body` until its end, [`DRAIN_MAX`] bytes or [`DRAIN_TIME`]; true when the
/// end was reached.
async fn drain(mut body: Body) -> bool {
    let deadline = tokio::time::Instant::now() + DRAIN_TIME;
    let mut read = 0u64;
    loop {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(None) => return true,
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    read += data.len() as u64;
                    if read > DRAIN_MAX {
                        tracing::debug!(read, "unread request body over the drain limit");
                        return false;
                    }
                }
            }
            Ok(Some(Err(_))) => return false,
            Err(_) => {
                tracing::debug!(read, "unread request body not finished in time");
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::routing::post;
    use axum::Router;
    use tower::ServiceExt;

    /// A body that counts what is read from it; `n` frames of 1 KiB.
    fn counted(n: usize, seen: Arc<Mutex<usize>>) -> Body {
        let chunks = (0..n).map(move |_| {
            *seen.lock().expect("lock") += 1;
            Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 1024]))
        });
        Body::from_stream(tokio_stream_iter(chunks))
    }

    /// A stream over an iterator without pulling a stream crate in.
    fn tokio_stream_iter<I: Iterator + Send + Unpin + 'static>(
        it: I,
    ) -> impl futures_core::Stream<Item = I::Item> + Send {
        struct It<I>(I);
        impl<I: Iterator + Unpin> futures_core::Stream for It<I> {
            type Item = I::Item;
            fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<I::Item>> {
                Poll::Ready(self.0.next())
            }
        }
        It(it)
    }

    fn app() -> Router {
        Router::new()
            .route("/ignore", post(|| async { StatusCode::PAYLOAD_TOO_LARGE }))
            .route(
                "/read-some",
                post(|body: Body| async move {
                    let mut body = body;
                    let _ = body.frame().await;
                    StatusCode::PAYLOAD_TOO_LARGE
                }),
            )
            .layer(axum::middleware::from_fn(drain_unread))
    }

    async fn run(path: &str, frames: usize, expect: bool) -> usize {
        let seen = Arc::new(Mutex::new(0));
        let mut req = Request::post(path);
        if expect {
            req = req.header(header::EXPECT, "100-continue");
        }
        let req = req.body(counted(frames, seen.clone())).expect("request");
        let resp = app().oneshot(req).await.expect("infallible");
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let n = *seen.lock().expect("lock");
        n
    }

    #[tokio::test]
    async fn unread_bodies_are_drained_before_the_answer() {
        assert_eq!(run("/ignore", 100, false).await, 100);
        assert_eq!(run("/read-some", 100, false).await, 100);
        // A client waiting for 100 Continue has not sent the body: nothing is read.
        assert_eq!(run("/ignore", 100, true).await, 0);
        // Once the handler has read, the client is sending: drained even with Expect.
        assert_eq!(run("/read-some", 100, true).await, 100);
    }

    #[tokio::test]
    async fn connection_close_when_the_body_is_left_unread() {
        let req = |expect: bool, version: Version| {
            let mut b = Request::post("/ignore").version(version);
            if expect {
                b = b.header(header::EXPECT, "100-continue");
            }
            b.body(Body::from("x")).expect("request")
        };
        let close = |r: Response| r.headers().get(header::CONNECTION).cloned();
        let drained = app().oneshot(req(false, Version::HTTP_11)).await;
        assert_eq!(close(drained.expect("infallible")), None);
        let skipped = app().oneshot(req(true, Version::HTTP_11)).await;
        assert_eq!(
            close(skipped.expect("infallible")),
            Some(HeaderValue::from_static("close"))
        );
        let h2 = app().oneshot(req(true, Version::HTTP_2)).await;
        assert_eq!(close(h2.expect("infallible")), None);
    }

    #[tokio::test]
    async fn draining_stops_at_the_limit() {
        let frames = (DRAIN_MAX / 1024) as usize + 100;
        let read = run("/ignore", frames, false).await;
        assert!(read <= frames - 99, "read {read} of {frames} frames");
        assert!(read as u64 > DRAIN_MAX / 1024);
    }
}
