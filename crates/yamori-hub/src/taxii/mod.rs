//! The TAXII 2.1 server (OASIS TAXII 2.1, 10 June 2021): its routes, and the checks every
//! TAXII request goes through (credentials, `Accept`, API root, collection access).

mod body;
mod collections;
pub mod error;
mod media;
/// Public for the fuzz target (`fuzz/fuzz_targets/query_params.rs`); not a stable API.
#[doc(hidden)]
pub mod next;
mod objects;
/// Public for the fuzz target (`fuzz/fuzz_targets/query_params.rs`); not a stable API.
#[doc(hidden)]
pub mod params;
mod server_info;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use yamori_store::taxii::Collection;

use crate::app::HubState;
use crate::auth::Identity;
use crate::TAXII_MEDIA_TYPE;
use error::{TaxiiError, TaxiiResult};

/// The TAXII routes (every path ends with `/`, TAXII 2.1 §3.1).
pub(crate) fn routes() -> Router<HubState> {
    Router::new()
        .route("/taxii2/", get(server_info::discovery))
        .route("/{root}/", get(server_info::api_root))
        .route("/{root}/status/{status_id}/", get(server_info::status))
        // taxii2-client builds status URLs without the trailing slash.
        .route("/{root}/status/{status_id}", get(server_info::status))
        .route("/{root}/collections/", get(collections::list))
        .route("/{root}/collections/{cid}/", get(collections::one))
        .route(
            "/{root}/collections/{cid}/manifest/",
            get(objects::manifest),
        )
        .route(
            "/{root}/collections/{cid}/objects/",
            get(objects::get_objects).post(objects::post_objects),
        )
        .route(
            "/{root}/collections/{cid}/objects/{oid}/",
            get(objects::get_object).delete(objects::delete_object),
        )
        .route(
            "/{root}/collections/{cid}/objects/{oid}/versions/",
            get(objects::versions),
        )
}

/// The answer to a path nothing serves: TAXII's 404 (TAXII clients are the ones that try
/// paths; the API answers its own unknown paths).
pub(crate) async fn no_such_endpoint() -> TaxiiError {
    TaxiiError::not_found("no such endpoint")
}

/// Who is calling: the `Authorization` header ([`HubState::identify`]: 401 without valid
/// credentials, 429 while throttled); then `Accept` must admit TAXII 2.1 (406).
async fn caller(st: &HubState, headers: &HeaderMap) -> TaxiiResult<Identity> {
    let ident = st.identify::<TaxiiError>(headers).await?;
    media::check_accept(headers)?;
    Ok(ident)
}

fn check_root(st: &HubState, root: &str) -> TaxiiResult<()> {
    if st.config.api_roots.iter().any(|r| r == root) {
        Ok(())
    } else {
        Err(TaxiiError::not_found("no such API root"))
    }
}

/// The collection with its (can_read, can_write) for the caller; 404 if it does not exist or
/// the caller has no access at all.
async fn collection(
    st: &HubState,
    ident: &Identity,
    root: &str,
    id_or_alias: &str,
) -> TaxiiResult<(Collection, bool, bool)> {
    check_root(st, root)?;
    let (root, key) = (root.to_string(), id_or_alias.to_string());
    let c = st
        .blocking(move |s| -> TaxiiResult<_> { Ok(s.taxii_collection(&root, &key)?) })
        .await?
        .ok_or_else(TaxiiError::no_collection)?;
    let (r, w) = ident.access(&c.id);
    if !r && !w {
        return Err(TaxiiError::no_collection());
    }
    Ok((c, r, w))
}

/// A TAXII JSON response.
fn taxii_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TAXII_MEDIA_TYPE),
    );
    resp
}
