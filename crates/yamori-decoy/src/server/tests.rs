//! The session task's size, over a real loopback connection of the test's own (the only
//! connect in this crate's source: `house_rules.rs` allows this test-only file).

use super::*;

/// A waiting session holds its state, not a read buffer: the session's task (the future
/// the runtime keeps per connection) must stay well under one read chunk.
#[tokio::test]
async fn a_session_task_holds_no_read_buffer() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let client = TcpStream::connect(addr).await.expect("connect");
    let (server, peer) = listener.accept().await.expect("accept");
    let config = Arc::new(Config {
        listen_telnet: addr,
        listen_http: None,
        listen_mqtt: None,
        profile: &crate::profile::DVR,
        sensor: "test".into(),
        limits: Limits::default(),
    });
    let rec = Arc::new(Recorder::new(Box::new(std::io::sink())));
    let (_stop_tx, stop_rx) = watch::channel(false);
    let permit = Arc::new(Semaphore::new(1))
        .try_acquire_owned()
        .expect("a permit");
    let slot = Arc::new(PerSource::default())
        .take(peer.ip(), 1)
        .expect("a slot");
    let task = session(
        Protocol::Telnet,
        server,
        peer,
        config,
        rec,
        stop_rx,
        (permit, slot),
    );
    let size = std::mem::size_of_val(&task);
    assert!(size < READ_CHUNK / 2, "a session's task is {size} bytes");
    drop(client);
}
