//! The reference point of the large telescope scenario: a plain `HashMap` of per-source
//! structs, the design the telescope's compact state replaces (the goal for 20 M packets from
//! 2 M sources is 10 M packets/s on one core). Timed in the same run as Yamori, it tells how
//! much of a figure is the machine: the ratio between the two is what the compact state buys.
//!
//! Deliberately the straightforward design (std `HashMap`/`HashSet` with their default hasher,
//! exact sets, no windows), and it does less than `yamori analyze`: no categories, time series,
//! fingerprints, backscatter or report, only per-source packets, bytes, times, TTLs, SYNs,
//! distinct destinations and per-port counts. So its speed is an upper bound for the design.
//! It exists to be timed by `yamori-bench telescope`; nothing in the product uses it.
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ipnet::IpNet;
use yamori_wire::{Addr, CaptureReader, Packet, Tcp, Transport};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Darknet prefix (packets to other addresses are skipped).
    #[arg(long)]
    pub darknet: IpNet,
    /// Keep counters only (no destination set, no port counts): the leanest plain design.
    #[arg(long)]
    pub no_sets: bool,
    /// Capture to read.
    pub file: PathBuf,
}

/// One source's counters in the reference design.
#[derive(Debug, Default)]
struct Counters {
    packets: u64,
    bytes: u64,
    first_ns: u64,
    last_ns: u64,
    ttl_min: u8,
    ttl_max: u8,
    syn: u64,
}

/// One source's sets in the reference design.
#[derive(Debug, Default)]
struct Sets {
    dsts: HashSet<Addr>,
    ports: HashMap<u16, u64>,
}

/// Reads the capture and calls `update` for every darknet packet; returns the packets
/// skipped (undecodable or outside the darknet).
fn for_each_darknet_packet(a: &Args, mut update: impl FnMut(&Packet, u32)) -> anyhow::Result<u64> {
    let mut reader = CaptureReader::open(&a.file)?;
    let mut skipped = 0u64;
    while let Some(r) = reader.next_record().context("reading the capture")? {
        match yamori_wire::decode(r.link, r.ts_ns, r.data) {
            Ok(p) if a.darknet.contains(&IpAddr::from(p.dst)) => update(&p, r.orig_len),
            _ => skipped += 1,
        }
    }
    Ok(skipped)
}

fn count(c: &mut Counters, p: &Packet, wire_len: u32) {
    if c.packets == 0 {
        (c.first_ns, c.ttl_min) = (p.ts_ns, p.ttl);
    }
    c.packets += 1;
    c.bytes += u64::from(wire_len);
    c.first_ns = c.first_ns.min(p.ts_ns);
    c.last_ns = c.last_ns.max(p.ts_ns);
    c.ttl_min = c.ttl_min.min(p.ttl);
    c.ttl_max = c.ttl_max.max(p.ttl);
    if let Transport::Tcp(t) = p.transport {
        c.syn += u64::from(t.flags & (Tcp::SYN | Tcp::ACK) == Tcp::SYN);
    }
}

fn add_to_sets(s: &mut Sets, p: &Packet) {
    s.dsts.insert(p.dst);
    let port = match p.transport {
        Transport::Tcp(t) => Some(t.dst_port),
        Transport::Udp(u) => Some(u.dst_port),
        _ => None,
    };
    if let Some(port) = port {
        *s.ports.entry(port).or_default() += 1;
    }
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    // Printed so that nothing is dead code to the optimiser.
    let (sources, scanners, packets, skipped);
    if a.no_sets {
        let mut map: HashMap<Addr, Counters> = HashMap::new();
        skipped =
            for_each_darknet_packet(&a, |p, len| count(map.entry(p.src).or_default(), p, len))?;
        (sources, scanners) = (map.len(), 0);
        packets = map.values().map(|c| c.packets).sum::<u64>();
    } else {
        let mut map: HashMap<Addr, (Counters, Sets)> = HashMap::new();
        skipped = for_each_darknet_packet(&a, |p, len| {
            let (c, s) = map.entry(p.src).or_default();
            count(c, p, len);
            add_to_sets(s, p);
        })?;
        sources = map.len();
        scanners = map.values().filter(|(_, s)| s.dsts.len() >= 100).count();
        packets = map.values().map(|(c, _)| c.packets).sum::<u64>();
    }
    println!(
        "{sources} sources, {scanners} reaching 100 destinations, {packets} darknet packets, {skipped} skipped"
    );
    Ok(ExitCode::SUCCESS)
}
