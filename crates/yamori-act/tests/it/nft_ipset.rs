//! nftables and ipset: the files are accepted by the real tools, and applied inside a
//! namespace pair a listed source is dropped while an unlisted one passes.

use std::process::Command;

use yamori_act::Format;

use crate::fixtures::{export, standard};
use crate::netns::{self, Pair};
use crate::peers;

pub fn have(tool: &str, package: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok()
        || Command::new(tool).arg("-v").output().is_ok();
    if !found {
        peers::missing(
            tool,
            &format!("{tool} is not installed (Debian package {package}; scripts/setup)"),
        );
    }
    found
}

fn namespaces() -> bool {
    match netns::available() {
        Ok(()) => true,
        Err(e) => {
            peers::missing("network namespace", &e);
            false
        }
    }
}

#[test]
fn nft_file_shape() {
    let (text, written) = export(Format::Nftables, &standard());
    // Merged: 203.0.113.0/25, .128/25 and .200 are one element with the later expiry.
    assert!(text.contains("table inet yamori_block {"), "{text}");
    assert!(text.contains("flags interval, timeout"), "{text}");
    assert!(
        text.contains("flush set inet yamori_block yamori_block_v4"),
        "{text}"
    );
    // 10 days from NOW to valid_until, and 62 days for the merged /24.
    assert!(text.contains("198.51.100.7 timeout 864000s"), "{text}");
    assert!(text.contains("203.0.113.0/24 timeout 5356800s"), "{text}");
    assert!(text.contains("2001:db8::7 timeout 864000s"), "{text}");
    for left_out in [
        "198.51.100.9",
        "198.51.100.10",
        "198.51.100.11",
        "2001:db8::1 ",
    ] {
        assert!(
            !text.contains(left_out),
            "{left_out} must not be listed:\n{text}"
        );
    }
    assert_eq!(written.counts["ipv4_elements"], 2);
    assert_eq!(written.counts["ipv6_elements"], 1);
}

#[test]
fn nft_accepts_the_file_and_drops_a_listed_source_in_a_namespace() {
    if !have("nft", "nftables") || !namespaces() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("yamori-block.nft");
    let (text, _) = export(Format::Nftables, &standard());
    std::fs::write(&path, &text).expect("write");
    let file = path.to_str().expect("utf-8 path");
    let mut pair = Pair::new("nf").expect("namespaces");
    pair.exec(&pair.host, &["nft", "-c", "-f", file])
        .unwrap_or_else(|e| panic!("nft -c refused the export: {e}\n{text}"));
    pair.listen().expect("listener");
    assert!(
        pair.connect_from("198.51.100.7"),
        "before the list, the source connects"
    );
    pair.exec(&pair.host, &["nft", "-f", file]).expect("nft -f");
    pair.exec(
        &pair.host,
        &["nft", "add chain inet yamori_block input { type filter hook input priority 0; policy accept; }"],
    )
    .expect("chain");
    pair.exec(
        &pair.host,
        &[
            "nft",
            "add rule inet yamori_block input ip saddr @yamori_block_v4 drop",
        ],
    )
    .expect("rule");
    assert!(
        !pair.connect_from("198.51.100.7"),
        "a listed source is dropped"
    );
    assert!(
        pair.connect_from("198.51.100.8"),
        "an unlisted source passes"
    );
    // Loading again (the chain and rule in place) flushes and refills in one transaction.
    pair.exec(&pair.host, &["nft", "-f", file])
        .expect("second nft -f");
    let listed = pair
        .exec(
            &pair.host,
            &[
                "nft",
                "list",
                "set",
                "inet",
                "yamori_block",
                "yamori_block_v4",
            ],
        )
        .expect("list");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("198.51.100.7 timeout 10d"), "{listed}");
    assert!(listed.contains("203.0.113.0/24 timeout 62d"), "{listed}");
    assert!(
        !pair.connect_from("198.51.100.7"),
        "still dropped after the refill"
    );
}

#[test]
fn ipset_restores_the_file_in_a_namespace() {
    if !have("ipset", "ipset") || !namespaces() {
        return;
    }
    let (text, written) = export(Format::Ipset, &standard());
    assert!(
        text.contains("hash:net family inet maxelem 65536 timeout 0 comment"),
        "{text}"
    );
    assert_eq!(
        written.counts["timeouts_clamped"], 1,
        "62 days is beyond ipset's 24.8"
    );
    let pair = Pair::new("is").expect("namespaces");
    pair.exec_stdin(&pair.host, &["ipset", "restore"], &text)
        .unwrap_or_else(|e| panic!("ipset restore refused the export: {e}\n{text}"));
    // Restoring again swaps in a refilled set (the live set exists now).
    pair.exec_stdin(&pair.host, &["ipset", "restore"], &text)
        .expect("second restore");
    let test = |set: &str, addr: &str| pair.exec(&pair.host, &["ipset", "test", set, addr]).is_ok();
    assert!(test("yamori_block_v4", "198.51.100.7"));
    assert!(test("yamori_block_v4", "203.0.113.77"));
    assert!(!test("yamori_block_v4", "198.51.100.8"));
    assert!(
        !test("yamori_block_v4", "198.51.100.10"),
        "TLP:RED is not exported"
    );
    assert!(test("yamori_block_v6", "2001:db8::7"));
    let listed = pair
        .exec(&pair.host, &["ipset", "list", "yamori_block_v4"])
        .expect("list");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("comment \"indicator--00000000-0000-4000-8000-000000000001\""),
        "{listed}"
    );
    assert!(
        listed.contains("+2\""),
        "the merged /24 names its first indicator and the count: {listed}"
    );
    assert!(
        pair.exec(&pair.host, &["ipset", "list", "yamori_block_v4_n"])
            .is_err(),
        "the fill set is destroyed after the swap"
    );
}
