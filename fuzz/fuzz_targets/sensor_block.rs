//! yamori-sensor's reading of ring blocks and its darknet filter interpreter: any bytes as a
//! block or a frame; no panic, every frame inside the block, and the filter keeps a frame whole
//! or drops it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use yamori_sensor::bpf::{darknet_filter, run, ACCEPT_BYTES};

fuzz_target!(|data: &[u8]| {
    yamori_sensor::block::frames(data, |f| {
        assert!(f.data.len() <= data.len());
    });
    let nets: [ipnet::IpNet; 2] = [
        "198.51.100.0/24".parse().expect("constant prefix"),
        "2001:db8:1::/52".parse().expect("constant prefix"),
    ];
    let prog = darknet_filter(&nets).expect("two prefixes make a filter");
    let kept = run(&prog, data);
    assert!(kept == 0 || kept == ACCEPT_BYTES);
});
