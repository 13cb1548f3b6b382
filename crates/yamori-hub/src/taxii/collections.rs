//! Collections and collection resources (TAXII 2.1 §5.1, §5.2). A caller sees only the
//! collections it may read or write.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use yamori_store::taxii::Collection;

use super::error::TaxiiResult;
use super::{caller, check_root, collection, taxii_response};
use crate::app::HubState;
use crate::STIX_MEDIA_TYPE;

fn collection_json(c: &Collection, r: bool, w: bool) -> Value {
    let mut v = json!({
        "id": c.id,
        "title": c.title,
        "can_read": r,
        "can_write": w,
        "media_types": [STIX_MEDIA_TYPE],
    });
    if let Some(d) = &c.description {
        v["description"] = json!(d);
    }
    if let Some(a) = &c.alias {
        v["alias"] = json!(a);
    }
    v
}

pub async fn list(
    State(st): State<HubState>,
    Path(root): Path<String>,
    headers: HeaderMap,
) -> TaxiiResult<Response> {
    let ident = caller(&st, &headers).await?;
    check_root(&st, &root)?;
    let all = st
        .blocking(move |s| -> TaxiiResult<_> { Ok(s.taxii_collections(&root)?) })
        .await?;
    let visible: Vec<Value> = all
        .iter()
        .filter_map(|c| {
            let (r, w) = ident.access(&c.id);
            (r || w).then(|| collection_json(c, r, w))
        })
        .collect();
    let body = if visible.is_empty() {
        json!({})
    } else {
        json!({ "collections": visible })
    };
    Ok(taxii_response(StatusCode::OK, body.to_string()))
}

pub async fn one(
    State(st): State<HubState>,
    Path((root, cid)): Path<(String, String)>,
    headers: HeaderMap,
) -> TaxiiResult<Response> {
    let ident = caller(&st, &headers).await?;
    let (c, r, w) = collection(&st, &ident, &root, &cid).await?;
    Ok(taxii_response(
        StatusCode::OK,
        collection_json(&c, r, w).to_string(),
    ))
}
