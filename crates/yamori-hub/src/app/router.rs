//! The whole hub as one router.

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

use super::HubState;

/// The whole hub: TAXII 2.1 ([`crate::taxii`]; every path ends with `/`, TAXII 2.1 §3.1),
/// the dashboard's REST API under `/api/v1/` ([`crate::api`]), the export feeds under
/// `/feeds/` ([`crate::feeds`]) and its static files at `/`
/// and `/assets/` ([`crate::web`]). Any other path answers TAXII's 404.
pub fn app(state: HubState) -> Router {
    let timeout = state.config.request_timeout;
    let concurrency = state.config.max_concurrent;
    Router::new()
        .route("/", get(crate::web::index))
        .route("/assets/{*path}", get(crate::web::asset))
        .merge(crate::api::routes())
        .merge(crate::feeds::routes())
        .merge(crate::taxii::routes())
        .fallback(crate::taxii::no_such_endpoint)
        .layer(axum::extract::DefaultBodyLimit::disable())
        // Inside the timeout: draining what a handler left of a body is part of the request.
        .layer(axum::middleware::from_fn(crate::drain::drain_unread))
        .layer(axum::middleware::from_fn(crate::throttle::with_peer))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(tower::limit::ConcurrencyLimitLayer::new(concurrency))
        .with_state(state)
}
