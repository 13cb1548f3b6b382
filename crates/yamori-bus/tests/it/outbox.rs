use yamori_bus::outbox::{Outbox, OutboxError};

#[test]
fn messages_come_back_in_order_and_survive_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Outbox::open(dir.path(), 1 << 20).expect("open");
    let a = o
        .put("yamori.minutes.s1", "s1/60", b"{\"a\":1}")
        .expect("put");
    let b = o
        .put("yamori.minutes.s1", "s1/120", b"{\"b\":2}")
        .expect("put");
    assert!(a < b);
    assert_eq!(o.pending().expect("pending"), vec![a, b]);
    let held = o.held_bytes();
    assert!(held > 0);
    drop(o);

    // A write a crash interrupted is not a message.
    std::fs::write(dir.path().join("00000000000000000099.tmp"), b"half").expect("write");
    let o = Outbox::open(dir.path(), 1 << 20).expect("reopen");
    assert_eq!(o.held_bytes(), held);
    assert!(!dir.path().join("00000000000000000099.tmp").exists());
    let first = o.read(a).expect("read").expect("a message");
    assert_eq!(
        (
            first.subject.as_str(),
            first.msg_id.as_str(),
            first.payload.as_slice()
        ),
        ("yamori.minutes.s1", "s1/60", b"{\"a\":1}".as_slice())
    );
    let c = o.put("yamori.minutes.s1", "s1/180", b"{}").expect("put");
    assert!(c > b, "numbers keep growing after a reopen");
    o.remove(a).expect("remove");
    o.remove(a).expect("removing twice is harmless");
    assert_eq!(o.pending().expect("pending"), vec![b, c]);
}

#[test]
fn a_full_outbox_refuses_the_new_minute_and_keeps_the_old() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Outbox::open(dir.path(), 100).expect("open");
    let kept = o.put("s", "id", &[b'x'; 60]).expect("fits");
    let err = o.put("s", "id2", &[b'y'; 60]).expect_err("over the limit");
    assert!(matches!(err, OutboxError::Full { limit: 100, .. }), "{err}");
    assert!(err.to_string().contains("full"), "{err}");
    assert_eq!(o.pending().expect("pending"), vec![kept]);
    o.remove(kept).expect("remove");
    o.put("s", "id2", &[b'y'; 60]).expect("room again");
}

#[test]
fn a_damaged_file_is_set_aside_not_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Outbox::open(dir.path(), 1 << 20).expect("open");
    let seq = o.put("yamori.minutes.s1", "s1/60", b"{}").expect("put");
    let path = dir.path().join(format!("{seq:020}.msg"));
    std::fs::write(&path, b"no newline here").expect("damage");
    assert!(o.read(seq).expect("read").is_none());
    assert!(o.pending().expect("pending").is_empty());
    assert!(path.with_extension("bad").exists(), "kept for inspection");
}
