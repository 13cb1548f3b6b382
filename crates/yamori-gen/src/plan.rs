//! How many sources of each kind, and how many packets each kind sends.
//!
//! Realistic scale: about 1,200 packets per darknet address per hour (a /24 gets ~307 k per
//! hour), capped at [`REALISTIC_MAX_PACKETS`]. Bench scale: exactly N packets from about S
//! sources with the same mix; when S is large most sources are 1–3-packet noise.
use crate::noise::Target;
use crate::payloads::UdpService;
use crate::scanners::Profile;
use crate::GenError;

pub(crate) const REALISTIC_PACKETS_PER_ADDRESS_HOUR: u64 = 1_200;
/// Keeps a default run of a large darknet (a /16 would get 78 M) to a file of a few hundred MB.
pub(crate) const REALISTIC_MAX_PACKETS: u64 = 4_500_000;
const REALISTIC_MIN_PACKETS: u64 = 20_000;
/// Smallest packet count for one DDoS victim: ≥ 180 s at ≤ 1 s spacing, with room to spare.
pub(crate) const VICTIM_MIN_PACKETS: u64 = 600;
/// A sub-threshold backscatter source: fewer than the 25 packets an attack needs.
pub(crate) const SUB_THRESHOLD_PACKETS: u64 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpawnKind {
    Scanner(Profile),
    Noise(Target),
}

/// One population of sources created over the run by a spawner.
#[derive(Debug, Clone)]
pub(crate) struct Population {
    pub kind: SpawnKind,
    pub count: u64,
    pub packets: u64,
    /// Bounds of one source's packet count.
    pub lo: u64,
    pub hi: u64,
    /// For vertical/block scanners: hosts and ports per source.
    pub hosts: u64,
    pub ports: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub populations: Vec<Population>,
    /// Packets of each TCP victim, and of each ICMP-error victim.
    pub tcp_victims: Vec<u64>,
    pub icmp_victims: Vec<u64>,
    pub sub_threshold: u64,
}

/// Packet shares per mille of the realistic mix.
const SCANNER_SHARES: [(Profile, u64); 9] = [
    (Profile::Mirai, 360),
    (Profile::Zmap, 100),
    (Profile::Zmap41, 50),
    (Profile::Masscan, 80),
    (Profile::Udp(UdpService::Dns), 15),
    (Profile::Udp(UdpService::Ntp), 15),
    (Profile::Udp(UdpService::Ssdp), 15),
    (Profile::Udp(UdpService::Sip), 15),
    (Profile::IcmpSweep, 30),
];
const SCANNER_SHARE_TOTAL: u64 = 680;
const TCP_VICTIM_SHARE: u64 = 140;
const ICMP_VICTIM_SHARE: u64 = 20;
const NOISE_SHARE: u64 = 120;
const OUTSIDE_SHARE: u64 = 20;

pub(crate) struct Sizes {
    pub v4_size: u64,
    pub minutes: u32,
    /// Scanner threshold in force and the vertical-port threshold.
    pub threshold: u64,
    pub vertical_min_ports: u64,
}

fn fixed_scanners(s: &Sizes) -> Vec<Population> {
    let mut out = Vec::new();
    // Vertical: fewer hosts than the threshold, 3× the port threshold.
    if s.threshold >= 2 {
        let hosts = (s.threshold - 1).min(2);
        let ports = 3 * s.vertical_min_ports;
        out.push(fixed(Profile::Vertical, hosts, ports));
    }
    // Block: 2× the host threshold and 1.5× the port threshold.
    let hosts = 2 * s.threshold;
    let ports = s.vertical_min_ports + s.vertical_min_ports.div_ceil(2);
    out.push(fixed(Profile::MasscanBlock, hosts, ports));
    out
}

fn fixed(profile: Profile, hosts: u64, ports: u64) -> Population {
    Population {
        kind: SpawnKind::Scanner(profile),
        count: 1,
        packets: hosts * ports,
        lo: hosts * ports,
        hi: hosts * ports,
        hosts,
        ports,
    }
}

fn noise(target: Target, sources: u64, packets: u64) -> Population {
    Population {
        kind: SpawnKind::Noise(target),
        count: sources,
        packets,
        lo: 1,
        hi: 3,
        hosts: 0,
        ports: 0,
    }
}

pub(crate) fn realistic(s: &Sizes) -> Plan {
    let total = (s.v4_size * REALISTIC_PACKETS_PER_ADDRESS_HOUR * u64::from(s.minutes) / 60)
        .clamp(REALISTIC_MIN_PACKETS, REALISTIC_MAX_PACKETS);
    let t = s.threshold;
    let mut populations = fixed_scanners(s);
    for (profile, share) in SCANNER_SHARES {
        let packets = total * share / 1000;
        let count = (packets / (10 * t)).max(1);
        populations.push(Population {
            kind: SpawnKind::Scanner(profile),
            count,
            packets: packets.max(count * 3 * t),
            lo: 3 * t,
            hi: 40 * t,
            hosts: 0,
            ports: 0,
        });
    }
    let noise_packets = total * NOISE_SHARE / 1000;
    populations.push(noise(Target::Darknet, noise_packets / 2, noise_packets));
    let outside = total * OUTSIDE_SHARE / 1000;
    populations.push(noise(Target::OutsideV4, outside / 2, outside));
    populations.push(noise(Target::V6, 20, 40));
    let tcp = (total * TCP_VICTIM_SHARE / 1000).max(2 * VICTIM_MIN_PACKETS);
    let icmp = (total * ICMP_VICTIM_SHARE / 1000).max(VICTIM_MIN_PACKETS);
    Plan {
        populations,
        tcp_victims: vec![tcp * 6 / 10, tcp - tcp * 6 / 10],
        icmp_victims: vec![icmp],
        sub_threshold: 1,
    }
}

pub(crate) fn bench(s: &Sizes, packets: u64, sources: u64) -> Result<Plan, GenError> {
    let t = s.threshold;
    let mut populations = fixed_scanners(s);
    let fixed_packets: u64 =
        populations.iter().map(|p| p.packets).sum::<u64>() + SUB_THRESHOLD_PACKETS + 40;
    let n_tcp_victims = (2 + sources / 20_000).min(100);
    let n_icmp_victims = 1 + sources / 200_000;
    let scanner_sources = (sources * 4 / 100).max(SCANNER_SHARES.len() as u64);
    let outside_sources = sources / 100;
    let fixed_sources = populations.len() as u64 + n_tcp_victims + 2 * n_icmp_victims + 1 + 20;
    let mut noise_sources =
        sources.saturating_sub(scanner_sources + outside_sources + fixed_sources);
    // Noise (and outside) sources send 1–3 packets: at most half of all packets go to them.
    noise_sources = noise_sources.min(packets / 2);
    let noise_packets = (2 * noise_sources).min(packets / 2).max(noise_sources);
    let outside_packets = 2 * outside_sources;
    let rest = packets
        .checked_sub(noise_packets + outside_packets + fixed_packets)
        .ok_or(GenError::BenchTooSmall { packets })?;
    let share_total = SCANNER_SHARE_TOTAL + TCP_VICTIM_SHARE + ICMP_VICTIM_SHARE;
    let mut assigned = 0u64;
    let mut scanner_pops = Vec::new();
    for (profile, share) in SCANNER_SHARES {
        let kind_packets = rest * share / share_total;
        let wanted = (scanner_sources * share / SCANNER_SHARE_TOTAL).max(1);
        let count = wanted.min(kind_packets / (3 * t));
        if count == 0 {
            return Err(GenError::BenchTooSmall { packets });
        }
        assigned += kind_packets;
        scanner_pops.push(Population {
            kind: SpawnKind::Scanner(profile),
            count,
            packets: kind_packets,
            lo: 3 * t,
            hi: (40 * t).max(2 * kind_packets.div_ceil(count)),
            hosts: 0,
            ports: 0,
        });
    }
    let tcp = rest * TCP_VICTIM_SHARE / share_total;
    let icmp = rest * ICMP_VICTIM_SHARE / share_total;
    if tcp < n_tcp_victims * VICTIM_MIN_PACKETS || icmp < n_icmp_victims * VICTIM_MIN_PACKETS {
        return Err(GenError::BenchTooSmall { packets });
    }
    // The rounding remainder goes to the first (Mirai) population so the total is exact.
    scanner_pops[0].packets += rest - assigned - tcp - icmp;
    populations.extend(scanner_pops);
    populations.push(noise(Target::Darknet, noise_sources, noise_packets));
    populations.push(noise(Target::OutsideV4, outside_sources, outside_packets));
    populations.push(noise(Target::V6, 20, 40));
    Ok(Plan {
        populations,
        tcp_victims: split(tcp, n_tcp_victims),
        icmp_victims: split(icmp, n_icmp_victims),
        sub_threshold: 1,
    })
}

fn split(total: u64, n: u64) -> Vec<u64> {
    let each = total / n;
    let mut v = vec![each; n as usize];
    if let Some(last) = v.last_mut() {
        *last += total - each * n;
    }
    v
}

#[cfg(test)]
impl Plan {
    pub(crate) fn total_packets(&self) -> u64 {
        self.populations.iter().map(|p| p.packets).sum::<u64>()
            + self.tcp_victims.iter().sum::<u64>()
            + self.icmp_victims.iter().sum::<u64>()
            + self.sub_threshold * SUB_THRESHOLD_PACKETS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(v4_size: u64, threshold: u64) -> Sizes {
        Sizes {
            v4_size,
            minutes: 60,
            threshold,
            vertical_min_ports: 100,
        }
    }

    #[test]
    fn bench_plan_is_exact() {
        for (n, s) in [
            (5_000_000u64, 5_000u64),
            (20_000_000, 2_000_000),
            (200_000, 100),
        ] {
            let plan = bench(&sizes(256, 10), n, s).expect("feasible bench");
            assert_eq!(plan.total_packets(), n, "{n}/{s}");
            for p in &plan.populations {
                assert!(
                    p.count * p.lo <= p.packets && p.packets <= p.count * p.hi,
                    "{p:?}"
                );
            }
        }
    }

    #[test]
    fn realistic_plan_is_feasible() {
        for (size, t) in [(64u64, 10u64), (256, 10), (65_536, 100), (1 << 24, 100)] {
            let plan = realistic(&sizes(size, t));
            let total = plan.total_packets();
            assert!(total <= REALISTIC_MAX_PACKETS + 100_000, "{size}: {total}");
            for p in &plan.populations {
                assert!(
                    p.count * p.lo <= p.packets && p.packets <= p.count * p.hi,
                    "{p:?}"
                );
            }
        }
        let total = realistic(&sizes(256, 10)).total_packets();
        assert!((200_000..=500_000).contains(&total), "/24: {total}");
    }

    #[test]
    fn tiny_bench_is_refused() {
        assert!(matches!(
            bench(&sizes(256, 10), 1_000, 10),
            Err(GenError::BenchTooSmall { .. })
        ));
    }
}
