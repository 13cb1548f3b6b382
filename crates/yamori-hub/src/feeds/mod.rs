//! Feeds: every `yamori export` format served over HTTPS, for firewalls' list fetchers, DNS
//! servers' zone pulls, MISP and cron jobs.
//!
//! `GET /feeds/{collection}/{format}` (one-file formats) and
//! `GET /feeds/{collection}/{format}/{file}` (the files of `suricata` and `misp-feed`), with
//! the options of `yamori export` as query parameters ([`params`]). Access is TAXII's: HTTP
//! Basic or a bearer token; read permission on the collection; 404 for a collection that does
//! not exist or that the caller may neither read nor write, 403 for write-only access. A feed
//! holds only indicators within the caller's TLP clearance (`max_tlp` can lower it, never
//! raise it).
//!
//! The bytes are those of `yamori export` with the same options (the same
//! [`yamori_act::Request`] over the same store walk), generated off the request path and kept
//! while the collection is unchanged ([`cache`]). Responses carry a strong `ETag` (SHA-256 of
//! the bytes) and `Last-Modified`, answer `If-None-Match` and `If-Modified-Since` with 304,
//! and are sent gzip-encoded to clients that accept it (compressed once per generation).

pub mod cache;
/// Public with [`params`], whose errors it is; not a stable API.
#[doc(hidden)]
pub mod error;
/// Public for the fuzz target (`fuzz/fuzz_targets/query_params.rs`); not a stable API.
#[doc(hidden)]
pub mod headers;
/// Public for the fuzz target (`fuzz/fuzz_targets/query_params.rs`); not a stable API.
#[doc(hidden)]
pub mod params;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use time::OffsetDateTime;
use yamori_act::{ConfidenceScore, Format, Tlp};
use yamori_trust::warninglist;

use crate::app::HubState;
pub use cache::FeedCache;
use cache::{Feed, FeedFile, Generated};
use error::{FeedError, FeedResult};
use headers::{accepts_gzip, http_date, none_match_hits, parse_http_date};
use params::FeedParams;

pub(crate) fn routes() -> Router<HubState> {
    Router::new()
        .route("/feeds/{collection}/{format}", get(one_file))
        .route("/feeds/{collection}/{format}/{file}", get(dir_file))
}

async fn one_file(
    State(st): State<HubState>,
    Path((collection, format)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    serve(&st, &collection, &format, None, query, &headers)
        .await
        .unwrap_or_else(axum::response::IntoResponse::into_response)
}

async fn dir_file(
    State(st): State<HubState>,
    Path((collection, format, file)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    serve(&st, &collection, &format, Some(file), query, &headers)
        .await
        .unwrap_or_else(axum::response::IntoResponse::into_response)
}

async fn serve(
    st: &HubState,
    collection: &str,
    format: &str,
    file: Option<String>,
    query: Option<String>,
    headers: &HeaderMap,
) -> FeedResult<Response> {
    let ident = st.identify::<FeedError>(headers).await?;
    let format = Format::from_name(format).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        FeedError::not_found(format!(
            "no feed format {format:?}; formats: {}",
            names.join(", ")
        ))
    })?;
    let default_root = st.config.api_roots.first().map_or("api1", String::as_str);
    let mut p = FeedParams::parse(query.as_deref(), default_root)?;
    // A feed never goes above the caller's clearance (docs/TRUST.md §5), whatever `max_tlp`
    // asks; the cache key below carries the level actually served.
    p.max_tlp = p.max_tlp.min(Tlp::from_tlp2(ident.clearance));
    if !st.config.api_roots.contains(&p.api_root) {
        return Err(FeedError::not_found("no such API root"));
    }
    let (root, name) = (p.api_root.clone(), collection.to_string());
    let (c, revision) = st
        .blocking(move |s| -> FeedResult<_> {
            let Some(c) = s.taxii_collection(&root, &name)? else {
                return Ok((None, 0));
            };
            // The feed depends on the collection and on the imported warninglists: both
            // counts only grow, so their sum is a revision that grows with either.
            let objects = s.taxii_collection_revision(&c.id)?;
            let lists = s.kv_count(warninglist::STORE_IMPORTS_KEY)?;
            Ok((Some(c), objects.saturating_add(lists)))
        })
        .await?;
    let c = c.ok_or_else(FeedError::no_collection)?;
    match ident.access(&c.id) {
        (true, _) => {}
        (false, true) => {
            return Err(FeedError::new(
                StatusCode::FORBIDDEN,
                "no read access to this collection",
            ))
        }
        (false, false) => return Err(FeedError::no_collection()),
    }
    let wanted = match (format.is_directory(), file) {
        (true, Some(f)) => Some(f),
        (false, None) => None,
        (true, None) => {
            return Err(FeedError::not_found(format!(
                "{} is a directory: fetch its files, /feeds/{collection}/{}/<file>",
                format.name(),
                format.name()
            )))
        }
        (false, Some(_)) => {
            return Err(FeedError::not_found(format!(
                "{} is one file: /feeds/{collection}/{}",
                format.name(),
                format.name()
            )))
        }
    };
    let key = p.key(&c.id, collection, format);
    let request = p.request(format, collection.to_string(), OffsetDateTime::now_utc());
    let store = st.store.clone();
    let lists = st.warninglists.clone();
    let cid = c.id.clone();
    let generate = move || -> Generated {
        let mut request = request;
        request.check().map_err(|e| e.to_string())?;
        // Every imported warninglist applies, as for `yamori export` by default.
        let lists = lists
            .current(&store)
            .map_err(|e| format!("reading the warninglists: {e}"))??;
        request.criteria.warninglists = (!lists.lists().is_empty()).then_some(lists);
        let export = request
            .read(&ConfidenceScore, |push| {
                store.taxii_each_latest_indicator(&cid, push)
            })
            .map_err(|e| format!("reading collection {cid}: {e}"))?;
        let (files, _) = export
            .render()
            .map_err(|e| format!("writing a feed of {cid}: {e}"))?;
        Ok(files.into_iter().map(|f| (f.name, f.bytes)).collect())
    };
    let feed: Arc<Feed> = st
        .feeds
        .get(key, revision, generate)
        .await
        .map_err(<FeedError as crate::app::HandlerError>::internal)?;
    let file = match &wanted {
        None => feed.files.first(),
        Some(name) => feed.file(name),
    }
    .ok_or_else(|| {
        let names: Vec<&str> = feed.files.iter().map(|f| f.name.as_str()).collect();
        FeedError::not_found(format!(
            "no such file in this feed; its files: {}",
            names.join(", ")
        ))
    })?;
    Ok(respond(file, content_type(format, &file.name), headers))
}

/// The media type of a feed file.
fn content_type(format: Format, name: &str) -> &'static str {
    match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Stix => crate::STIX_MEDIA_TYPE,
        Format::MispFeed if name.ends_with(".json") => "application/json",
        Format::MispFeed => "text/csv; charset=utf-8",
        // RFC 4027's type for DNS master files.
        Format::Rpz => "text/dns",
        Format::Nftables | Format::Ipset | Format::Txt | Format::Suricata => {
            "text/plain; charset=utf-8"
        }
    }
}

/// A feed file as a response: 304 when the client's copy is current, else the bytes (gzip
/// when accepted).
fn respond(file: &FeedFile, content_type: &'static str, req: &HeaderMap) -> Response {
    let use_gzip = file.gzip.is_some() && accepts_gzip(req);
    let etag = if use_gzip {
        format!("\"{}-gz\"", file.hash)
    } else {
        format!("\"{}\"", file.hash)
    };
    let last_modified = http_date(file.last_modified);
    let not_modified = match req.get(header::IF_NONE_MATCH) {
        // RFC 9110 §13.1.2: If-None-Match compares weakly; either encoding's tag names these
        // bytes. When it is present, If-Modified-Since is ignored (§13.1.3).
        Some(v) => v.to_str().is_ok_and(|v| none_match_hits(v, &file.hash)),
        None => req
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date)
            .is_some_and(|since| file.last_modified <= since),
    };
    let mut b = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::LAST_MODIFIED, &last_modified)
        .header(header::VARY, "Accept-Encoding, Authorization")
        // Per user (access is checked on every request): no shared cache may keep it, and a
        // client revalidates (cheaply, with the tags) before reusing its copy.
        .header(header::CACHE_CONTROL, "private, no-cache");
    if not_modified {
        return b
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_default();
    }
    b = b.header(header::CONTENT_TYPE, content_type).header(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.name))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    let body = match (&file.gzip, use_gzip) {
        (Some(gz), true) => {
            b = b.header(header::CONTENT_ENCODING, "gzip");
            gz.clone()
        }
        _ => file.body.clone(),
    };
    b.status(StatusCode::OK)
        .body(Body::from(body))
        .unwrap_or_default()
}
