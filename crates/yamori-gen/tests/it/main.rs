//! Integration tests for yamori-gen: the capture on disk against the ground truth.
mod analyzer;
mod check;
mod determinism;
mod pcap;
mod truth;
mod tshark;

use yamori_gen::{GenConfig, GroundTruth};

pub fn darknet(nets: &[&str]) -> Vec<ipnet::IpNet> {
    nets.iter()
        .map(|n| n.parse().expect("test prefix"))
        .collect()
}

/// Generate into memory.
pub fn gen(cfg: &GenConfig) -> (Vec<u8>, GroundTruth) {
    let mut buf = Vec::new();
    let truth = yamori_gen::generate(cfg, &mut buf).expect("generation succeeds");
    (buf, truth)
}

/// A small realistic run: a /24 for 10 minutes (~50 k packets).
pub fn small(seed: u64) -> GenConfig {
    GenConfig {
        darknets: darknet(&["203.0.113.0/24"]),
        minutes: 10,
        seed,
        ..GenConfig::default()
    }
}
