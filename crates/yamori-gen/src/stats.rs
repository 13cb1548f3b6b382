//! Ground-truth bookkeeping: counters fed with every packet as written, and the scanner and
//! victim entries, finalised by the rules of `yamori_telescope::Config`.
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use yamori_telescope::report::{Category, ScanKind, Tool};
use yamori_telescope::Config;

use crate::classify::{judge, Erratic};
use crate::darknet::Darknet;
use crate::frame::{Ip, Spec, L4};
use crate::scanners::{Profile, ScannerPlan};
use crate::truth::{rfc3339_us, GroundTruth, TruthScanner, TruthVictim};
use crate::GenError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TruthRef {
    None,
    Scanner(u32),
    Victim(u32),
}

/// What a source has sent so far (bits).
pub(crate) const SEEN_DARKNET: u8 = 1;
pub(crate) const SEEN_NON_ERRATIC: u8 = 2;
pub(crate) const SEEN_OUTSIDE: u8 = 4;

/// Per-scanner counters, kept inside the scanner actor while it runs (no random access into
/// the truth per packet) and folded into the truth when it ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScanCounters {
    packets: u64,
    syn_probes: u64,
    /// mirai, zmap, masscan
    matches: [u64; 3],
    first_us: u64,
    last_us: u64,
}

impl Default for ScanCounters {
    fn default() -> Self {
        Self {
            packets: 0,
            syn_probes: 0,
            matches: [0; 3],
            first_us: u64::MAX,
            last_us: 0,
        }
    }
}

struct ScannerAcc {
    profile: Profile,
    intended_destinations: u64,
    counters: ScanCounters,
}

struct VictimAcc {
    first_us: u64,
    last_us: u64,
    kinds: [bool; 3],
}

pub(crate) struct Stats {
    rules: Config,
    truth: GroundTruth,
    categories: [u64; 10],
    erratic: [u64; 6],
    fp: [u64; 3],
    scanners: Vec<ScannerAcc>,
    victims: Vec<VictimAcc>,
}

impl Stats {
    pub(crate) fn new(rules: Config, truth: GroundTruth) -> Self {
        Self {
            rules,
            truth,
            categories: [0; 10],
            erratic: [0; 6],
            fp: [0; 3],
            scanners: Vec::new(),
            victims: Vec::new(),
        }
    }

    pub(crate) fn add_scanner(
        &mut self,
        src: u32,
        profile: Profile,
        plan: ScannerPlan,
    ) -> Result<TruthRef, GenError> {
        let idx = u32::try_from(self.truth.scanners.len())
            .map_err(|_| GenError::Internal("more than 2^32 scanners".into()))?;
        self.truth.scanners.push(TruthScanner {
            address: Ipv4Addr::from(src).to_string(),
            profile: profile.name().to_string(),
            tool: Tool::Unknown,
            scan: ScanKind::Horizontal,
            ports: plan.ports,
            packets: 0,
            destinations: plan.destinations,
            syn_probes: 0,
            fingerprint_matches: BTreeMap::new(),
            window: rfc3339_us(plan.window_start_us),
            first_seen: String::new(),
            last_seen: String::new(),
        });
        self.scanners.push(ScannerAcc {
            profile,
            intended_destinations: plan.destinations,
            counters: ScanCounters::default(),
        });
        Ok(TruthRef::Scanner(idx))
    }

    pub(crate) fn add_victim(&mut self, victim: u32, mut ports: Vec<u16>, dests: u64) -> TruthRef {
        ports.sort_unstable();
        let idx = self.truth.victims.len() as u32;
        self.truth.victims.push(TruthVictim {
            address: Ipv4Addr::from(victim).to_string(),
            start: String::new(),
            end: String::new(),
            start_ns: 0,
            end_ns: 0,
            ports,
            packets: 0,
            darknet_destinations: dests,
            kinds: Vec::new(),
        });
        self.victims.push(VictimAcc {
            first_us: u64::MAX,
            last_us: 0,
            kinds: [false; 3],
        });
        TruthRef::Victim(idx)
    }

    pub(crate) fn add_sub_threshold(&mut self, victim: u32) {
        self.truth
            .sub_threshold_backscatter
            .push(Ipv4Addr::from(victim).to_string());
    }

    /// Count one packet; returns the `SEEN_*` bits it sets for its source.
    pub(crate) fn record(
        &mut self,
        spec: &Spec<'_>,
        frame_len: usize,
        r: TruthRef,
        counters: Option<&mut ScanCounters>,
        dn: &Darknet,
    ) -> u8 {
        let t = &mut self.truth;
        t.packets += 1;
        t.frame_bytes += frame_len as u64;
        let darknet = match spec.ip {
            Ip::V4 { dst, .. } => {
                t.ipv4_packets += 1;
                dn.contains_v4(dst)
            }
            Ip::V6 { dst, .. } => {
                t.ipv6_packets += 1;
                dn.contains_v6(dst)
            }
        };
        if !darknet {
            t.outside_packets += 1;
            return SEEN_OUTSIDE;
        }
        t.darknet_packets += 1;
        let v = judge(spec);
        self.categories[v.category.index()] += 1;
        for (i, &e) in v.erratic.iter().enumerate() {
            self.erratic[i] += u64::from(e);
        }
        t.backscatter_packets += u64::from(v.backscatter);
        if let Some(fp) = v.fp {
            self.fp[0] += u64::from(fp.mirai);
            self.fp[1] += u64::from(fp.zmap);
            self.fp[2] += u64::from(fp.masscan);
        }
        match r {
            TruthRef::Scanner(_) => {
                if let Some(c) = counters {
                    c.packets += 1;
                    if let Some(fp) = v.fp {
                        c.syn_probes += 1;
                        c.matches[0] += u64::from(fp.mirai);
                        c.matches[1] += u64::from(fp.zmap);
                        c.matches[2] += u64::from(fp.masscan);
                    }
                    c.first_us = c.first_us.min(spec.ts_us);
                    c.last_us = c.last_us.max(spec.ts_us);
                }
            }
            TruthRef::Victim(i) => {
                let (vt, acc) = (&mut t.victims[i as usize], &mut self.victims[i as usize]);
                vt.packets += 1;
                acc.first_us = acc.first_us.min(spec.ts_us);
                acc.last_us = acc.last_us.max(spec.ts_us);
                match (spec.l4, v.category) {
                    (L4::Icmp { .. }, _) => acc.kinds[2] = true,
                    (_, Category::TcpRst) => acc.kinds[1] = true,
                    _ => acc.kinds[0] = true,
                }
            }
            TruthRef::None => {}
        }
        if v.is_erratic() {
            SEEN_DARKNET
        } else {
            SEEN_DARKNET | SEEN_NON_ERRATIC
        }
    }

    /// A scanner sent its last packet: keep its counters.
    pub(crate) fn end_scanner(&mut self, r: TruthRef, counters: &ScanCounters) {
        if let TruthRef::Scanner(i) = r {
            if let Some(acc) = self.scanners.get_mut(i as usize) {
                acc.counters = *counters;
            }
        }
    }

    /// A source sent its last packet.
    pub(crate) fn end_source(&mut self, seen: u8) {
        let t = &mut self.truth;
        if seen & SEEN_DARKNET != 0 {
            t.sources += 1;
            if seen & SEEN_NON_ERRATIC == 0 {
                t.erratic_only_sources += 1;
            }
        } else if seen & SEEN_OUTSIDE != 0 {
            t.outside_sources += 1;
        }
    }

    /// Apply the labelling and scanner rules and return the truth.
    pub(crate) fn finish(mut self) -> Result<GroundTruth, GenError> {
        let threshold = u64::from(self.rules.effective_scanner_min_destinations());
        let vmin = u64::from(self.rules.vertical_min_ports);
        let t = &mut self.truth;
        t.by_category = Category::ALL
            .iter()
            .map(|c| (c.name().to_string(), self.categories[c.index()]))
            .collect();
        t.erratic = Erratic::ALL
            .iter()
            .zip(self.erratic)
            .map(|(e, n)| (e.name().to_string(), n))
            .collect();
        t.fingerprint_packets = ["mirai", "zmap", "masscan"]
            .iter()
            .zip(self.fp)
            .map(|(k, n)| (k.to_string(), n))
            .collect();
        for (sc, acc) in t.scanners.iter_mut().zip(&self.scanners) {
            let c = &acc.counters;
            sc.packets = c.packets;
            sc.syn_probes = c.syn_probes;
            sc.first_seen = rfc3339_us(c.first_us);
            sc.last_seen = rfc3339_us(c.last_us);
            sc.fingerprint_matches = ["mirai", "zmap", "masscan"]
                .iter()
                .zip(c.matches)
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| (k.to_string(), n))
                .collect();
            sc.tool = label(&self.rules, sc);
            if sc.tool != acc.profile.intended_tool() {
                return Err(GenError::Internal(format!(
                    "{} ({}) labelled {:?}",
                    sc.address, sc.profile, sc.tool
                )));
            }
            let ports = sc.ports.len() as u64;
            let dests = acc.intended_destinations;
            sc.scan = match (dests >= threshold, ports) {
                (true, p) if p >= vmin => ScanKind::Block,
                (true, p) if p <= 5 => ScanKind::Horizontal,
                (false, p) if p >= vmin => ScanKind::Vertical,
                _ => {
                    return Err(GenError::Internal(format!(
                        "{} ({}): {dests} destinations on {ports} ports fits no scan kind",
                        sc.address, sc.profile
                    )))
                }
            };
        }
        t.scanners.sort_by(|a, b| {
            b.packets
                .cmp(&a.packets)
                .then_with(|| a.address.cmp(&b.address))
        });
        for (v, acc) in t.victims.iter_mut().zip(&self.victims) {
            v.start_ns = acc.first_us * 1000;
            v.end_ns = acc.last_us * 1000;
            v.start = rfc3339_us(acc.first_us);
            v.end = rfc3339_us(acc.last_us);
            v.kinds = ["tcp_synack", "tcp_rst", "icmp_3"]
                .iter()
                .zip(acc.kinds)
                .filter(|(_, on)| *on)
                .map(|(k, _)| k.to_string())
                .collect();
        }
        Ok(self.truth)
    }
}

/// The fingerprint rule: ≥ `fingerprint_min_packets` SYN probes, ≥ `fingerprint_min_share`
/// of them matching one tool.
fn label(rules: &Config, sc: &TruthScanner) -> Tool {
    if sc.syn_probes < u64::from(rules.fingerprint_min_packets) || sc.syn_probes == 0 {
        return Tool::Unknown;
    }
    for (name, tool) in [
        ("mirai", Tool::Mirai),
        ("zmap", Tool::Zmap),
        ("masscan", Tool::Masscan),
    ] {
        let hits = sc.fingerprint_matches.get(name).copied().unwrap_or(0);
        if hits as f64 >= rules.fingerprint_min_share * sc.syn_probes as f64 {
            return tool;
        }
    }
    Tool::Unknown
}
