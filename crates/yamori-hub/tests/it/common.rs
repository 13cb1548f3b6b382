use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use yamori_hub::{app, HubConfig, HubState};
use yamori_store::accounts::{Grant, User};
use yamori_store::taxii::Collection;
use yamori_store::Store;

pub const TAXII: &str = "application/taxii+json;version=2.1";
pub const COLL: &str = "11111111-2222-4333-8444-555555555555";
pub const OTHER: &str = "99999999-2222-4333-8444-555555555555";

pub struct Hub {
    pub app: Router,
    /// The state the router serves (its feed cache counts generations).
    #[allow(dead_code)]
    pub state: HubState,
    #[allow(dead_code)]
    pub store: Arc<Store>,
    /// Bearer tokens of alice (rw), bob (r), carol (w), dave (no grants).
    pub alice: String,
    pub bob: String,
    pub carol: String,
    pub dave: String,
}

pub fn hub_with(config: HubConfig) -> Hub {
    hub_on(Store::open_in_memory().expect("in-memory store"), config)
}

/// A hub on `store` with the two collections and the four users above.
pub fn hub_on(store: Store, config: HubConfig) -> Hub {
    let store = Arc::new(store);
    for (id, alias) in [(COLL, "telescope"), (OTHER, "secret")] {
        store
            .taxii_put_collection(&Collection {
                id: id.into(),
                api_root: "api1".into(),
                alias: Some(alias.into()),
                title: alias.into(),
                description: None,
            })
            .expect("collection");
    }
    let tok = |name: &str, r: bool, w: bool| {
        store
            .taxii_put_user(&User {
                name: name.into(),
                password_hash: Some(
                    yamori_hub::auth::hash_secret(&format!("pw-{name}")).expect("hash"),
                ),
            })
            .expect("user");
        // Cleared for everything but RED: the TLP tests make their own readers.
        store
            .taxii_set_user_tlp(name, Some("amber+strict"))
            .expect("clearance");
        if r || w {
            store
                .taxii_set_grant(
                    name,
                    &Grant {
                        collection_id: COLL.into(),
                        can_read: r,
                        can_write: w,
                    },
                )
                .expect("grant");
        }
        yamori_hub::auth::issue_token(store.as_ref(), name).expect("token")
    };
    let (alice, bob, carol, dave) = (
        tok("alice", true, true),
        tok("bob", true, false),
        tok("carol", false, true),
        tok("dave", false, false),
    );
    let dyn_store: Arc<Store> = store.clone();
    let state = HubState::new(dyn_store, config).expect("state");
    Hub {
        app: app(state.clone()),
        state,
        store,
        alice,
        bob,
        carol,
        dave,
    }
}

pub fn hub() -> Hub {
    hub_with(HubConfig::default())
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> Resp {
    let resp = app
        .clone()
        .oneshot(req)
        .await
        .expect("router is infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    Resp {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn get(app: &Router, uri: &str, token: &str) -> Resp {
    let req = Request::builder()
        .uri(uri)
        .header("accept", TAXII)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    send(app, req).await
}

pub async fn call(app: &Router, method: Method, uri: &str, token: &str, body: String) -> Resp {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("accept", TAXII)
        .header("content-type", TAXII)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body))
        .expect("request");
    send(app, req).await
}

pub fn objects_url(c: &str) -> String {
    format!("/api1/collections/{c}/objects/")
}

/// A valid STIX 2.1 indicator with the given number (id derived from it) and modified time.
pub fn indicator(n: u32, modified: &str) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2024-01-01T00:00:00.000Z",
        "modified": modified,
        "name": format!("scanner {n}"),
        "pattern": format!("[ipv4-addr:value = '198.51.100.{}']", n % 250),
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
        "indicator_types": ["malicious-activity"]
    })
}

pub fn envelope(objects: Vec<Value>) -> String {
    json!({ "objects": objects }).to_string()
}

/// POST and return the status resource (asserting 202).
pub async fn post(app: &Router, token: &str, objects: Vec<Value>) -> Value {
    let r = call(
        app,
        Method::POST,
        &objects_url(COLL),
        token,
        envelope(objects),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    r.json()
}
