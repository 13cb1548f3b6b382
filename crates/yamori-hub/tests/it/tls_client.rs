//! The real thing over a socket: HTTPS with the generated certificate, driven by our own
//! blocking TAXII client (the one `yamori sync` and `yamori publish` use).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::value::RawValue;
use yamori_hub::client::{collection_url, Auth, ClientOptions, TaxiiClient};
use yamori_hub::serve::{check_plain_http, ServeOptions};
use yamori_hub::{HubConfig, HubState};
use yamori_store::Store;

use crate::common::*;

/// Start the hub on a loopback port in its own runtime thread; returns the address.
pub fn start(dir: &std::path::Path, h: &Hub, config: HubConfig) -> SocketAddr {
    let (cert, key) = yamori_hub::tls::ensure_generated(dir).expect("certificate");
    let tls = yamori_hub::tls::server_config(&cert, &key).expect("tls config");
    let store: Arc<Store> = h.store.clone();
    let state = HubState::new(store, config).expect("state");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let opts = ServeOptions {
            addr: "127.0.0.1:0".parse().expect("addr"),
            tls: Some(tls),
        };
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let res = rt.block_on(yamori_hub::serve::run(
            state,
            opts,
            move |a| tx.send(a).expect("report address"),
            std::future::pending(),
        ));
        res.expect("server");
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("server bound")
}

#[test]
fn https_round_trip_with_our_client() {
    let dir = tempfile::tempdir().expect("temp dir");
    let h = hub();
    let addr = start(dir.path(), &h, HubConfig::default());
    let opts = ClientOptions {
        ca_cert: Some(yamori_hub::tls::generated_ca(dir.path())),
        ..ClientOptions::default()
    };
    let cl = TaxiiClient::new(Auth::Bearer(h.alice.clone()), &opts).expect("client");
    let server = format!("https://127.0.0.1:{}/", addr.port());
    let disc = cl.discovery(&server).expect("discovery");
    let root = disc["api_roots"][0].as_str().expect("root").to_string();
    assert_eq!(root, format!("https://127.0.0.1:{}/api1/", addr.port()));
    let info = cl.find_collection(&root, "telescope").expect("collection");
    assert!(info.can_read && info.can_write);
    let url = collection_url(&root, &info.id);
    let texts: Vec<String> = (0..25)
        .map(|n| indicator(n, "2024-01-01T00:00:00.000Z").to_string())
        .collect();
    let raws: Vec<Box<RawValue>> = texts
        .iter()
        .map(|t| RawValue::from_string(t.clone()).expect("json"))
        .collect();
    let refs: Vec<&RawValue> = raws.iter().map(AsRef::as_ref).collect();
    let st = cl.post_objects(&url, &refs).expect("post");
    let st = cl
        .wait_status(&root, st, Duration::from_secs(30))
        .expect("status");
    assert_eq!((st.success_count, st.failure_count), (25, 0));
    // Paged read: 25 objects in pages of 10, byte-exact.
    let mut seen = Vec::new();
    let mut pages = 0;
    let last = cl
        .get_all_objects(&url, None, 10, |p| {
            pages += 1;
            seen.extend(p.objects.iter().map(|o| o.get().to_string()));
            Ok(())
        })
        .expect("read all");
    assert_eq!(pages, 3);
    assert_eq!(seen, texts);
    // Resuming from the returned position finds nothing new.
    let again = cl
        .get_all_objects(&url, last.clone(), 10, |p| {
            assert!(p.objects.is_empty());
            Ok(())
        })
        .expect("resume");
    assert_eq!(again, last);
    // Without trusting the CA, the handshake fails; with a bad token, 401.
    let untrusted =
        TaxiiClient::new(Auth::Bearer(h.alice.clone()), &ClientOptions::default()).expect("client");
    assert!(untrusted.discovery(&server).is_err());
    let bad = TaxiiClient::new(Auth::Bearer("ymr_x_y".into()), &opts).expect("client");
    match bad.discovery(&server) {
        Err(yamori_hub::client::ClientError::Status { status, .. }) => assert_eq!(status, 401),
        other => panic!("expected 401, got {other:?}"),
    }
}

/// `yamori publish --to`: envelopes of a given size, each waited for, statuses added up; a
/// collection the caller cannot write is refused before anything is sent.
#[test]
fn publish_posts_envelopes_and_adds_up_their_statuses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let h = hub();
    let addr = start(dir.path(), &h, HubConfig::default());
    let opts = ClientOptions {
        ca_cert: Some(yamori_hub::tls::generated_ca(dir.path())),
        ..ClientOptions::default()
    };
    let root = format!("https://127.0.0.1:{}/api1/", addr.port());
    let mut objects: Vec<serde_json::Value> = (0..25)
        .map(|n| indicator(n, "2024-01-01T00:00:00.000Z"))
        .collect();
    objects.insert(
        12,
        serde_json::json!({"type": "indicator", "id": "not-an-id"}),
    );
    let alice = TaxiiClient::new(Auth::Bearer(h.alice.clone()), &opts).expect("client");
    let wait = Duration::from_secs(30);
    let posted = alice
        .publish(&root, "telescope", &objects, 10, wait)
        .expect("publish");
    assert_eq!((posted.success_count, posted.failure_count), (25, 1));
    assert_eq!(posted.failures.len(), 1);
    assert_eq!(posted.url, collection_url(&root, COLL));
    let page = h
        .store
        .taxii_query(&yamori_store::taxii::ObjectQuery::new(COLL, 100))
        .expect("query");
    assert_eq!(page.objects.len(), 25);
    let bob = TaxiiClient::new(Auth::Bearer(h.bob.clone()), &opts).expect("client");
    match bob.publish(&root, "telescope", &objects, 10, wait) {
        Err(yamori_hub::client::ClientError::NotWritable { name, .. }) => {
            assert_eq!(name, "telescope")
        }
        other => panic!("expected no write access, got {other:?}"),
    }
}

#[test]
fn plain_http_only_on_loopback() {
    for (addr, tls, ok) in [
        ("127.0.0.1:80", false, true),
        ("[::1]:80", false, true),
        ("0.0.0.0:80", false, false),
        ("192.0.2.1:80", false, false),
        ("0.0.0.0:443", true, true),
    ] {
        let a: SocketAddr = addr.parse().expect("addr");
        assert_eq!(check_plain_http(&a, tls).is_ok(), ok, "{addr}");
    }
}
