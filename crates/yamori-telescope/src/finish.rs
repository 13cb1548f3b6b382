//! [`Analyzer::finish`]: verdicts over the merged state, and the [`Report`].

use crate::analyzer::Analyzer;
use crate::classify::{Erratic, FINGERPRINTS, KIND_NAMES};
use crate::report::{
    Attack, Category, KeyCount, MinuteCounts, PortCount, Report, ScanKind, SourceSummary,
    Thresholds, Tool, Totals, SCHEMA,
};
use crate::sources::{SCAN_BLOCK, SCAN_HORIZONTAL, SCAN_VERTICAL};
use crate::timefmt::{rfc3339_ns, rfc3339_s};
use crate::victims::AttackRules;
use crate::{Enrichment, SourceEnricher};
use std::collections::BTreeMap;
use yamori_wire::Addr;

/// Ports listed per source and per attack.
const ITEM_TOP_PORTS: usize = 5;
const NS_PER_SEC: u64 = 1_000_000_000;

/// The tool label of a source: needs ≥ `min_packets` SYN probes and ≥ `share` of them matching.
/// When two fingerprints qualify, the one with more matches wins (ties: report order).
pub(crate) fn tool_of(syn: u32, fp: [u32; 3], min_packets: u32, share: f64) -> Tool {
    if syn == 0 || syn < min_packets {
        return Tool::Unknown;
    }
    let mut best = 0;
    for i in 1..3 {
        if fp[i] > fp[best] {
            best = i;
        }
    }
    if f64::from(fp[best]) >= share * f64::from(syn) {
        [Tool::Mirai, Tool::Zmap, Tool::Masscan][best]
    } else {
        Tool::Unknown
    }
}

fn scan_kind(bits: u8) -> Option<ScanKind> {
    if bits & SCAN_BLOCK != 0
        || bits & (SCAN_HORIZONTAL | SCAN_VERTICAL) == SCAN_HORIZONTAL | SCAN_VERTICAL
    {
        Some(ScanKind::Block)
    } else if bits & SCAN_HORIZONTAL != 0 {
        Some(ScanKind::Horizontal)
    } else if bits & SCAN_VERTICAL != 0 {
        Some(ScanKind::Vertical)
    } else {
        None
    }
}

fn top_ports(counts: &[u64], n: usize) -> Vec<PortCount> {
    let mut v: Vec<PortCount> = counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(p, &c)| PortCount {
            port: p as u16,
            packets: c,
        })
        .collect();
    v.sort_unstable_by(|a, b| b.packets.cmp(&a.packets).then(a.port.cmp(&b.port)));
    v.truncate(n);
    v
}

fn key_counts(m: BTreeMap<String, (u64, u64)>, n: usize) -> Vec<KeyCount> {
    let mut v: Vec<KeyCount> = m
        .into_iter()
        .map(|(key, (packets, sources))| KeyCount {
            key,
            packets,
            sources,
        })
        .collect();
    v.sort_by(|a, b| b.packets.cmp(&a.packets).then_with(|| a.key.cmp(&b.key)));
    v.truncate(n);
    v
}

impl Analyzer {
    /// Takes the verdicts and builds the report (`inputs` is left empty for the caller).
    /// `enrich` is asked once per tracked source and once per victim, never per packet.
    pub fn finish(mut self, enrich: Option<&dyn SourceEnricher>) -> Report {
        self.flush_minute();
        self.flush_hits();
        self.sources.finish_windows(&self.caps);
        let cfg = &self.cfg;
        let caps = self.caps;
        let ws = self.window_secs();
        let lookup = |a: Addr| enrich.map(|e| e.lookup(a.into())).unwrap_or_default();
        let recs = &self.sources.recs;
        let sources = &self.sources;
        let tool = |i: usize| {
            tool_of(
                recs[i].syn,
                sources.fp(i),
                cfg.fingerprint_min_packets,
                cfg.fingerprint_min_share,
            )
        };
        let addr = |i: usize| self.sources.addr(i);
        let by_packets = |&a: &usize, &b: &usize| {
            sources
                .packets(b)
                .cmp(&sources.packets(a))
                .then_with(|| addr(a).cmp(&addr(b)))
        };

        let summary = |i: usize, e: Enrichment| -> SourceSummary {
            let r = &recs[i];
            let run = sources.run_view(i, &caps);
            let mut windows = sources
                .ext_of(i)
                .map(|x| x.scanner_windows.clone())
                .unwrap_or_default();
            let (dsts, ports, top) = (
                run.dst_count(),
                run.port_count(),
                run.top_ports(ITEM_TOP_PORTS),
            );
            windows.sort_unstable();
            windows.dedup();
            SourceSummary {
                address: addr(i).to_string(),
                packets: sources.packets(i),
                bytes: sources.bytes(i),
                first_seen: rfc3339_s(u64::from(r.first_s)),
                last_seen: rfc3339_s(u64::from(r.last_s)),
                destinations: dsts.min(cfg.darknet_size()),
                destination_ports: ports,
                top_ports: top
                    .into_iter()
                    .map(|(port, packets)| PortCount { port, packets })
                    .collect(),
                ttl_min: r.ttl_min,
                ttl_max: r.ttl_max,
                syn_probes: u64::from(r.syn),
                fingerprint_matches: FINGERPRINTS
                    .iter()
                    .zip(sources.fp(i))
                    .map(|(n, c)| (n.to_string(), u64::from(c)))
                    .collect(),
                tool: tool(i),
                scan: scan_kind(r.scan_bits),
                scanner_windows: windows
                    .into_iter()
                    .map(|w| rfc3339_s(u64::from(w) * ws))
                    .collect(),
                country: e.country,
                asn: e.asn,
                as_org: e.as_org,
                location: e.location,
            }
        };

        // Enrichment: one lookup per tracked source, kept only for the sources we list.
        let mut countries: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut asns: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        // Top sources: the n-th largest packet count is selected over a compact sequential
        // copy of the counts (selecting over record indices read the records at random, a
        // cache miss per comparison with millions of sources); only the sources at or above
        // it are then ordered by the full rule.
        let n = cfg.top_n.min(recs.len());
        let counts: Vec<u64> = (0..recs.len()).map(|i| sources.packets(i)).collect();
        let cut = if n > 0 && n < recs.len() {
            let mut c = counts.clone();
            *c.select_nth_unstable_by(n - 1, |a, b| b.cmp(a)).1
        } else {
            0
        };
        let mut top: Vec<usize> = (0..recs.len())
            .filter(|&i| n > 0 && counts[i] >= cut)
            .collect();
        top.sort_unstable_by(by_packets);
        top.truncate(n);
        let mut scanners: Vec<usize> = (0..recs.len())
            .filter(|&i| recs[i].scan_bits != 0 || tool(i) != Tool::Unknown)
            .collect();
        scanners.sort_unstable_by(by_packets);
        let mut listed: BTreeMap<usize, Enrichment> = BTreeMap::new();
        if enrich.is_some() {
            for (i, &packets) in counts.iter().enumerate() {
                let e = lookup(addr(i));
                if let Some(c) = &e.country {
                    let x = countries.entry(c.clone()).or_default();
                    x.0 += packets;
                    x.1 += 1;
                }
                if let Some(a) = e.asn {
                    let x = asns.entry(a.to_string()).or_default();
                    x.0 += packets;
                    x.1 += 1;
                }
                listed.insert(i, e);
            }
        }
        let enr = |i: usize| listed.get(&i).cloned().unwrap_or_default();
        let top_sources: Vec<SourceSummary> = top.iter().map(|&i| summary(i, enr(i))).collect();
        let scanner_list: Vec<SourceSummary> =
            scanners.iter().map(|&i| summary(i, enr(i))).collect();

        let rules = AttackRules {
            gap_ns: cfg.attack_gap_secs.saturating_mul(NS_PER_SEC),
            min_packets: cfg.attack_min_packets,
            min_duration_ns: cfg.attack_min_duration_secs.saturating_mul(NS_PER_SEC),
            min_window_packets: cfg.attack_min_window_packets,
        };
        let mut attacks: Vec<(u64, Addr, Attack)> = Vec::new();
        for (addr, v) in self.victims.iter() {
            let segs = v.attacks(&rules);
            if segs.is_empty() {
                continue;
            }
            let e = lookup(addr);
            let kinds: Vec<String> = KIND_NAMES
                .iter()
                .enumerate()
                .filter(|(b, _)| v.kinds >> b & 1 == 1)
                .map(|(_, n)| n.to_string())
                .collect();
            let ports: Vec<PortCount> = v
                .ports
                .top(ITEM_TOP_PORTS)
                .into_iter()
                .map(|(port, packets)| PortCount { port, packets })
                .collect();
            for s in segs {
                let secs = (s.end_ns - s.start_ns) as f64 / NS_PER_SEC as f64;
                attacks.push((
                    s.start_ns,
                    addr,
                    Attack {
                        victim: addr.to_string(),
                        start: rfc3339_ns(s.start_ns),
                        end: rfc3339_ns(s.end_ns),
                        packets: s.packets,
                        peak_pps: s.peak_window as f64 / 60.0,
                        mean_pps: if secs > 0.0 {
                            s.packets as f64 / secs
                        } else {
                            s.packets as f64
                        },
                        ports: ports.clone(),
                        darknet_destinations: v.dsts.count().min(cfg.darknet_size()),
                        kinds: kinds.clone(),
                        country: e.country.clone(),
                        asn: e.asn,
                    },
                ));
            }
        }
        attacks.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));

        let t = &self.t;
        let untracked = if t.untracked_packets > 0 {
            self.untracked.count()
        } else {
            0
        };
        let mut warnings = Vec::new();
        if t.untracked_packets > 0 || t.untracked_victim_packets > 0 {
            warnings.push(format!(
                "state budget of {} bytes reached: {} sources ({} packets) and {} backscatter packets of new victims were not tracked; they count in totals only",
                cfg.state_budget_bytes, untracked, t.untracked_packets, t.untracked_victim_packets
            ));
        }
        if self.sources.late_packets > 0 {
            warnings.push(format!(
                "{} probes arrived more than one window late and were left out of window verdicts (feed each analyzer time-ordered input)",
                self.sources.late_packets
            ));
        }
        if t.series_dropped > 0 {
            warnings.push(format!(
                "time series limited to {} minutes: {} packets of later minutes not in the series",
                crate::analyzer::MAX_MINUTES,
                t.series_dropped
            ));
        }

        Report {
            schema: SCHEMA.to_string(),
            darknets: cfg.darknets.iter().map(|n| n.to_string()).collect(),
            inputs: Vec::new(),
            thresholds: Thresholds {
                window_secs: ws,
                scanner_min_destinations: caps.min_dsts,
                vertical_min_ports: caps.vertical_ports,
                fingerprint_min_packets: cfg.fingerprint_min_packets,
                fingerprint_min_share: cfg.fingerprint_min_share,
                attack_gap_secs: cfg.attack_gap_secs,
                attack_min_packets: cfg.attack_min_packets,
                attack_min_duration_secs: cfg.attack_min_duration_secs,
                attack_min_window_packets: cfg.attack_min_window_packets,
            },
            totals: Totals {
                packets: t.packets,
                bytes: t.bytes,
                darknet_packets: t.darknet,
                outside: t.outside,
                undecodable: t.undecodable,
                by_category: Category::ALL
                    .iter()
                    .map(|c| (c.name().to_string(), t.by_cat[c.index()]))
                    .collect(),
                erratic: Erratic::NAMES
                    .iter()
                    .zip(t.erratic)
                    .map(|(n, c)| (n.to_string(), c))
                    .collect(),
                ipv4: t.ipv4,
                ipv6: t.ipv6,
                distinct_sources: self.sources.len() as u64 + untracked,
                untracked_sources: untracked,
                fingerprint_packets: FINGERPRINTS
                    .iter()
                    .zip(t.fp_packets)
                    .map(|(n, c)| (n.to_string(), c))
                    .collect(),
                backscatter_packets: t.backscatter,
            },
            first_packet: t.first_ns.map(rfc3339_ns),
            last_packet: t.last_ns.map(rfc3339_ns),
            timeseries: self
                .series
                .iter()
                .map(|(&m, &counts)| MinuteCounts {
                    minute: rfc3339_s(m * 60),
                    counts,
                })
                .collect(),
            top_tcp_ports: top_ports(self.tcp_ports.totals(), cfg.top_n),
            top_udp_ports: top_ports(self.udp_ports.totals(), cfg.top_n),
            top_sources,
            scanners: scanner_list,
            attacks: attacks.into_iter().map(|(_, _, a)| a).collect(),
            top_countries: key_counts(countries, cfg.top_n),
            top_asns: key_counts(asns, cfg.top_n),
            warnings,
        }
    }
}
