//! The dashboard's static files (embedded by `yamori-web`), served at `/` and `/assets/…`.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// No third-party origin is ever needed: the dashboard works offline. Inline styles are
/// allowed because the chart and map libraries set element styles.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                   script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

fn respond(path: &str, body: &'static [u8], cache: &'static str) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(yamori_web::content_type(path)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

pub async fn index() -> Response {
    match yamori_web::get("/index.html") {
        Some(a) => respond(a.path, a.body, "no-cache"),
        None => respond(
            "/index.html",
            yamori_web::NOT_BUILT_PAGE.as_bytes(),
            "no-cache",
        ),
    }
}

pub async fn asset(Path(rest): Path<String>) -> Response {
    let path = format!("/assets/{rest}");
    match yamori_web::get(&path) {
        // Vite puts a content hash in every asset name: cache for good.
        Some(a) => respond(a.path, a.body, "public, max-age=31536000, immutable"),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}
