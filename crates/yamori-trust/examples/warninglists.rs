//! Loads every `list.json` under a directory (a checkout of the public misp-warninglists
//! repository: `lists/<name>/list.json`), reports lists that fail, then times matching a
//! million pseudo-random IPv4 indicators (addresses and prefixes) against all `cidr` lists.
//!
//! `cargo run --release -p yamori-trust --example warninglists -- DIR [INDICATORS]`

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Instant;

use ipnet::IpNet;
use yamori_trust::warninglist::{WarningList, Warninglists};

fn list_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            list_files(&path, out)?;
        } else if path.file_name().is_some_and(|n| n == "list.json") {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: warninglists DIR [INDICATORS]")?);
    let indicators: usize = args.next().map_or(Ok(1_000_000), |n| n.parse())?;
    let mut files = Vec::new();
    list_files(&dir, &mut files)?;
    files.sort();

    let started = Instant::now();
    let mut lists = Vec::new();
    let mut failed = 0;
    for file in &files {
        let bytes = std::fs::read(file)?;
        match WarningList::from_json(&bytes, &file.display().to_string()) {
            Ok(list) => lists.push(list),
            Err(e) => {
                failed += 1;
                eprintln!("{e}");
            }
        }
    }
    let entries: usize = lists.iter().map(|l| l.entries.len()).sum();
    let all = Warninglists::new(lists)?;
    println!(
        "{} lists read ({failed} refused), {entries} entries, indexed in {:.2} s",
        all.lists().len(),
        started.elapsed().as_secs_f64()
    );

    // xorshift64*: the same indicators on every run.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let addresses: Vec<IpNet> = (0..indicators)
        .map(|_| IpNet::from(IpAddr::V4(Ipv4Addr::from((next() >> 32) as u32))))
        .collect();
    let prefixes: Vec<IpNet> = (0..indicators)
        .map(|_| {
            let len = 16 + (next() % 17) as u8;
            IpNet::new(IpAddr::V4(Ipv4Addr::from((next() >> 32) as u32)), len)
                .map(|n| n.trunc())
                .unwrap_or_default()
        })
        .collect();

    let t = Instant::now();
    let listed = addresses.iter().filter(|n| all.network_listed(**n)).count();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{indicators} addresses: {listed} listed, {:.3} s, {:.2} M lookups/s",
        secs,
        indicators as f64 / secs / 1e6
    );
    let t = Instant::now();
    let matches: usize = prefixes.iter().map(|n| all.match_network(*n).len()).sum();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{indicators} prefixes /16–/32, every match: {matches} matches, {:.3} s, {:.2} M lookups/s",
        secs,
        indicators as f64 / secs / 1e6
    );
    Ok(())
}
