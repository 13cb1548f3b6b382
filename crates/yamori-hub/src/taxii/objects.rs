//! Manifest, objects, object, versions (TAXII 2.1 §5.3–§5.8).

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;
use serde_json::value::RawValue;
use yamori_store::taxii::{Cursor, ObjectQuery, Page, StoredObject, VersionFilter};

use super::error::{TaxiiError, TaxiiResult};
use super::params::{self, Endpoint, Params};
use super::server_info::status_json;
use super::{body, caller, collection, media, next, taxii_response};
use crate::app::HubState;
use crate::auth::Identity;
use crate::{ingest, STIX_MEDIA_TYPE};

/// Objects a page request reads past when all it found was withheld, before it answers an
/// empty page with `more` and `next`.
const WITHHELD_SCAN: u32 = 10_000;

/// What a paged request reads.
struct Scope<'a> {
    /// Endpoint and collection (and object), part of what a `next` token is bound to.
    path: String,
    cid: &'a str,
    object_id: Option<&'a str>,
    /// Versions when the request has no match[version].
    default_versions: VersionFilter,
    with_body: bool,
}

/// One page as the caller may read it.
struct Read {
    /// The objects of the page the caller's TLP clearance admits.
    page: Page,
    /// Where the next page starts: after the last object read, whether or not the caller may
    /// see it, so a page of withheld objects still moves the client on.
    resume: Option<Cursor>,
    /// What a `next` token is bound to.
    binding: String,
}

/// Run a filtered, paged query for a readable collection, keeping the objects the caller's
/// TLP clearance admits (docs/TRUST.md §5; every version is checked on its own).
async fn page(st: &HubState, ident: &Identity, p: &Params, scope: Scope<'_>) -> TaxiiResult<Read> {
    let Scope {
        path,
        cid,
        object_id,
        default_versions,
        with_body,
    } = scope;
    let binding = format!("{}\n{path}\n{}", ident.user, p.binding);
    let after = match &p.next {
        Some(t) => Some(
            next::open(&st.next_key, &binding, t)
                .ok_or_else(|| TaxiiError::bad_request("next is not valid for this query"))?,
        ),
        None => None,
    };
    let limit = p
        .limit
        .unwrap_or(st.config.default_limit)
        .min(st.config.max_limit);
    let mut q = ObjectQuery::new(cid, limit);
    q.ids = match object_id {
        Some(id) => vec![id.to_string()],
        None => p.ids.clone(),
    };
    q.types = p.types.clone();
    q.spec_versions = p.spec_versions.clone();
    q.versions = p.versions.clone().unwrap_or(default_versions);
    q.added_after = p.added_after.clone();
    q.after = after;
    // The marking is in the body: read it even where the response does not carry it.
    q.with_body = true;
    let reader = ident.clone();
    let (mut page, resume) = st
        .blocking(move |s| -> TaxiiResult<_> {
            // A page of withheld objects is read past, up to a bound, so that one object
            // with withheld versions answers like a missing one and clients rarely meet an
            // empty page with more to come.
            let mut scanned = 0u32;
            loop {
                let mut page = s.taxii_query(&q)?;
                scanned =
                    scanned.saturating_add(u32::try_from(page.objects.len()).unwrap_or(u32::MAX));
                let resume = page.objects.last().map(StoredObject::cursor);
                page.objects
                    .retain(|o| o.body.as_deref().is_some_and(|b| reader.may_read_text(b)));
                if !page.objects.is_empty() || !page.more || scanned >= WITHHELD_SCAN {
                    return Ok((page, resume));
                }
                q.after = resume;
            }
        })
        .await?;
    if !with_body {
        for o in &mut page.objects {
            o.body = None;
        }
    }
    Ok(Read {
        page,
        resume,
        binding,
    })
}

/// Resolve a readable collection: 404 without any access, 403 with write-only access.
async fn readable(
    st: &HubState,
    headers: &HeaderMap,
    root: &str,
    cid: &str,
) -> TaxiiResult<(Identity, String)> {
    let ident = caller(st, headers).await?;
    let (c, r, _) = collection(st, &ident, root, cid).await?;
    if !r {
        return Err(TaxiiError::forbidden("no read access to this collection"));
    }
    Ok((ident, c.id))
}

/// The JSON texts of a page's objects, for an envelope.
fn bodies(read: &Read) -> Vec<String> {
    read.page
        .objects
        .iter()
        .filter_map(|o| o.body.clone())
        .collect()
}

/// A page as a TAXII response: `more`/`next` plus the date-added headers.
fn paged_response(st: &HubState, read: &Read, key: &str, items: Vec<String>) -> Response {
    let page = &read.page;
    let mut body = String::with_capacity(items.iter().map(String::len).sum::<usize>() + 200);
    body.push_str(&format!("{{\"more\":{}", page.more));
    if let (true, Some(last)) = (page.more, &read.resume) {
        let token = next::seal(&st.next_key, &read.binding, last);
        body.push_str(&format!(",\"next\":{}", json!(token)));
    }
    if !items.is_empty() {
        body.push_str(&format!(",\"{key}\":["));
        body.push_str(&items.join(","));
        body.push(']');
    }
    body.push('}');
    let mut resp = taxii_response(StatusCode::OK, body);
    if let (Some(first), Some(last)) = (page.objects.first(), page.objects.last()) {
        for (h, v) in [
            ("x-taxii-date-added-first", &first.date_added),
            ("x-taxii-date-added-last", &last.date_added),
        ] {
            if let Ok(v) = HeaderValue::from_str(v) {
                resp.headers_mut().insert(h, v);
            }
        }
    }
    resp
}

pub async fn manifest(
    State(st): State<HubState>,
    Path((root, cid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> TaxiiResult<Response> {
    let (ident, cid) = readable(&st, &headers, &root, &cid).await?;
    let p = params::parse(query.as_deref(), Endpoint::Objects)?;
    let scope = Scope {
        path: format!("manifest/{cid}"),
        cid: &cid,
        object_id: None,
        default_versions: VersionFilter::last(),
        with_body: false,
    };
    let read = page(&st, &ident, &p, scope).await?;
    let items = read
        .page
        .objects
        .iter()
        .map(|o| {
            json!({"id": o.id, "date_added": o.date_added, "version": o.version,
                   "media_type": STIX_MEDIA_TYPE})
            .to_string()
        })
        .collect();
    Ok(paged_response(&st, &read, "objects", items))
}

pub async fn get_objects(
    State(st): State<HubState>,
    Path((root, cid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> TaxiiResult<Response> {
    let (ident, cid) = readable(&st, &headers, &root, &cid).await?;
    let p = params::parse(query.as_deref(), Endpoint::Objects)?;
    let scope = Scope {
        path: format!("objects/{cid}"),
        cid: &cid,
        object_id: None,
        default_versions: VersionFilter::last(),
        with_body: true,
    };
    let read = page(&st, &ident, &p, scope).await?;
    Ok(paged_response(&st, &read, "objects", bodies(&read)))
}

pub async fn get_object(
    State(st): State<HubState>,
    Path((root, cid, oid)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> TaxiiResult<Response> {
    let (ident, cid) = readable(&st, &headers, &root, &cid).await?;
    let p = params::parse(query.as_deref(), Endpoint::Object)?;
    let scope = Scope {
        path: format!("object/{cid}/{oid}"),
        cid: &cid,
        object_id: Some(&oid),
        default_versions: VersionFilter::last(),
        with_body: true,
    };
    let read = page(&st, &ident, &p, scope).await?;
    // A first page of withheld versions with more to come is an empty page, not a 404.
    if read.page.objects.is_empty() && !read.page.more && p.next.is_none() {
        return Err(TaxiiError::not_found("no such object"));
    }
    Ok(paged_response(&st, &read, "objects", bodies(&read)))
}

pub async fn versions(
    State(st): State<HubState>,
    Path((root, cid, oid)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> TaxiiResult<Response> {
    let (ident, cid) = readable(&st, &headers, &root, &cid).await?;
    let p = params::parse(query.as_deref(), Endpoint::Versions)?;
    let scope = Scope {
        path: format!("versions/{cid}/{oid}"),
        cid: &cid,
        object_id: Some(&oid),
        default_versions: VersionFilter::all(),
        with_body: false,
    };
    let read = page(&st, &ident, &p, scope).await?;
    // A first page of withheld versions with more to come is an empty page, not a 404.
    if read.page.objects.is_empty() && !read.page.more && p.next.is_none() {
        return Err(TaxiiError::not_found("no such object"));
    }
    let items = read
        .page
        .objects
        .iter()
        .map(|o| json!(o.version).to_string())
        .collect();
    Ok(paged_response(&st, &read, "versions", items))
}

pub async fn delete_object(
    State(st): State<HubState>,
    Path((root, cid, oid)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> TaxiiResult<Response> {
    let ident = caller(&st, &headers).await?;
    let (c, r, w) = collection(&st, &ident, &root, &cid).await?;
    // TAXII 2.1 §5.7: delete needs both; (t,f) and (f,t) are 403, (f,f) was a 404 above.
    if !(r && w) {
        return Err(TaxiiError::forbidden(
            "deleting needs read and write access",
        ));
    }
    let p = params::parse(query.as_deref(), Endpoint::Delete)?;
    let versions = p.versions.unwrap_or_else(VersionFilter::all);
    let specs = p.spec_versions;
    let n = st
        .blocking(move |s| -> TaxiiResult<_> {
            // Versions above the caller's clearance are not theirs to delete, nor to learn of:
            // when any matching version is withheld, the object answers as missing.
            let admit = |body: &str| ident.may_read_text(body);
            Ok(s.taxii_delete_object_admitted(&c.id, &oid, &versions, &specs, &admit)?)
        })
        .await?;
    if n == 0 {
        return Err(TaxiiError::not_found("no such object"));
    }
    Ok(taxii_response(StatusCode::OK, String::new()))
}

#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    objects: Option<Vec<&'a RawValue>>,
}

pub async fn post_objects(
    State(st): State<HubState>,
    Path((root, cid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    request_body: Body,
) -> TaxiiResult<Response> {
    let ident = caller(&st, &headers).await?;
    let (c, _, w) = collection(&st, &ident, &root, &cid).await?;
    if !w {
        return Err(TaxiiError::forbidden("no write access to this collection"));
    }
    if query.is_some_and(|q| !q.is_empty()) {
        return Err(TaxiiError::bad_request("POST takes no query parameters"));
    }
    media::check_content_type(&headers)?;
    let max = st.config.max_content_length;
    let too_large = || {
        TaxiiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            format!("the body exceeds max_content_length ({max} bytes)"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let declared_over = declared.is_some_and(|n| n > max as u64);
    let bytes = match body::read_limited(request_body, max, declared_over).await {
        Ok(b) => b,
        Err(body::BodyError::TooLarge) => return Err(too_large()),
        Err(body::BodyError::Broken) => {
            return Err(TaxiiError::bad_request("could not read the request body"))
        }
    };
    if serde_json::from_slice::<&RawValue>(&bytes).is_err() {
        return Err(TaxiiError::bad_request("the body is not valid JSON"));
    }
    let unprocessable = |why: String| {
        TaxiiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable envelope",
            format!("not a TAXII envelope: {why}"),
        )
    };
    // serde would also read a struct from a JSON array; an envelope must be an object.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(unprocessable("the body is not a JSON object".into()));
    }
    let envelope: Envelope<'_> = serde_json::from_slice(&bytes).map_err(|e| {
        TaxiiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable envelope",
            format!("not a TAXII envelope: {e}"),
        )
    })?;
    let raws = envelope.objects.unwrap_or_default();
    let mut status = ingest::new_status(&root, &ident.user, raws.len());
    let prepared = ingest::prepare_all(&raws, &mut status);
    let chunk = st.config.ingest_chunk;
    let collection_id = c.id;
    if prepared.len() <= st.config.inline_objects {
        let status = st
            .blocking(move |s| -> TaxiiResult<_> {
                let mut status = status;
                // No pending status first: the client learns the status id only from this
                // answer, after every chunk wrote the status in its own transaction (and a
                // failed chunk writes it too), so one commit less per request.
                if prepared.is_empty() {
                    s.taxii_put_status(&status)?;
                }
                ingest::store_objects(s, &collection_id, &prepared, &mut status, chunk)?;
                Ok(status)
            })
            .await?;
        return Ok(accepted(&status));
    }
    // Large envelope: store it in the background; answer when it is stored or after
    // `ingest_wait`, whichever comes first, so a slow store never holds the request longer
    // than that: past the wait the client gets the pending status and polls. The status is
    // written by each chunk's transaction, and the pending one only when the wait runs out
    // (and no chunk has written it yet): the client learns the status id only from this
    // answer, so it need not exist before, and a commit less per envelope is what PostgreSQL's
    // bulk ingest is bound by (each commit waits for the WAL flush). A crash before the first
    // chunk commits fails the request itself, which the client sees and sends again.
    let first = status.clone();
    let pending = accepted(&status);
    let store = st.store.clone();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let mut status = status;
        if let Err(e) = ingest::store_objects(
            store.as_ref(),
            &collection_id,
            &prepared,
            &mut status,
            chunk,
        ) {
            tracing::error!(status = %status.id, error = %e, "background ingest failed");
        }
        // The request may have answered already; then nobody listens, which is fine.
        let _ = done_tx.send(status);
    });
    match tokio::time::timeout(st.config.ingest_wait, done_rx).await {
        Ok(Ok(done)) => Ok(accepted(&done)),
        _ => {
            // Only if absent: a chunk that committed meanwhile wrote a later state.
            st.blocking(move |s| -> TaxiiResult<_> { Ok(s.taxii_put_status_if_absent(&first)?) })
                .await?;
            Ok(pending)
        }
    }
}

fn accepted(s: &yamori_store::taxii::TaxiiStatus) -> Response {
    taxii_response(StatusCode::ACCEPTED, status_json(s).to_string())
}
