//! `--strict`: before the sensor reports, it watches the interface for a while with the
//! complement of the darknet filter ([`bpf::outside_filter`]) and refuses to go on if unicast
//! IP traffic for any other address goes by. A darknet interface (a span port, a routed
//! prefix nobody uses) carries nothing else; traffic for other addresses means the sensor sits
//! on a production link, where its minutes would still count only the darknet's packets but
//! the operator has put a capture where it does not belong.
//!
//! The check runs with the darknet ring already open, and the caller goes on reading it
//! between two looks at the check's ring (`meanwhile`), so the darknet's packets of those
//! seconds are analysed as usual.
//!
//! Counted: unicast IP frames for other addresses in either direction, so the host's own
//! packets out of the interface too (a darknet's sensor sends nothing). Not counted:
//! broadcast, multicast, link-local and frames that are not IP ([`bpf::LINK_CHATTER`]).

use std::time::{Duration, Instant};

use ipnet::IpNet;
use yamori_wire::packet::{decode, Transport};
use yamori_wire::LinkType;

use crate::sys::{Geometry, Readiness, Ring};
use crate::{block, bpf, SensorError};

/// A small ring: the check only counts and keeps one example.
const GEOMETRY: Geometry = Geometry {
    block_size: 1 << 16,
    blocks: 4,
    retire_ms: 50,
};

/// Traffic for other addresses seen during the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// Packets seen (those the small ring dropped included).
    pub packets: u64,
    /// The first one read, as `source → destination (protocol)`.
    pub example: String,
}

/// Watches `ifindex` for `how_long`, calling `meanwhile` at least every 100 ms; `Ok(None)`
/// when no unicast IP traffic for an address outside `darknets` went by.
pub(crate) fn watch(
    interface: &str,
    ifindex: u32,
    darknets: &[IpNet],
    how_long: Duration,
    mut meanwhile: impl FnMut(),
) -> Result<Option<Foreign>, SensorError> {
    let filter = bpf::outside_filter(darknets)?;
    let mut ring =
        Ring::open(ifindex, &filter, GEOMETRY).map_err(|e| crate::open_error(interface, e))?;
    let until = Instant::now() + how_long;
    let mut seen = 0u64;
    let mut example = None;
    loop {
        meanwhile();
        while let Some(b) = ring.next_block() {
            block::frames(b.data, |f| {
                seen += 1;
                if example.is_none() {
                    example = Some(describe(f.data));
                }
            });
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let ms = i32::try_from(left.as_millis())
            .unwrap_or(i32::MAX)
            .clamp(1, 100);
        if let Readiness::Error(source) = ring.wait(ms) {
            match source.raw_os_error() {
                // Down: it carries nothing now; the sensor waits for it as `run` does.
                Some(libc::ENETDOWN) => {}
                Some(libc::ENODEV) | Some(libc::ENXIO) => {
                    return Err(SensorError::NoSuchInterface(interface.to_string()))
                }
                _ => {
                    return Err(SensorError::Capture {
                        interface: interface.to_string(),
                        source,
                    })
                }
            }
        }
    }
    // The kernel's count holds the frames it dropped and those of a block not yet handed
    // over, which a last look would miss.
    let packets = ring.stats().map_or(0, |s| s.packets).max(seen);
    Ok((packets > 0).then(|| Foreign {
        packets,
        example: example.unwrap_or_else(|| "one was not read before the check ended".into()),
    }))
}

/// `source → destination (protocol)` of an Ethernet frame, ports included where there are.
pub fn describe(frame: &[u8]) -> String {
    let Ok(p) = decode(LinkType::ETHERNET, 0, frame) else {
        return format!("an IP frame of {} bytes", frame.len());
    };
    let (proto, ports) = match p.transport {
        Transport::Tcp(t) => ("TCP".to_string(), Some((t.src_port, t.dst_port))),
        Transport::Udp(u) => ("UDP".to_string(), Some((u.src_port, u.dst_port))),
        Transport::Icmp(i) => (if i.v6 { "ICMPv6" } else { "ICMP" }.to_string(), None),
        Transport::Fragment { protocol } | Transport::Other { protocol, .. } => {
            (format!("IP protocol {protocol}"), None)
        }
    };
    let at = |a: yamori_wire::packet::Addr, port: Option<u16>| match (a, port) {
        (yamori_wire::packet::Addr::V6(_), Some(p)) => format!("[{a}]:{p}"),
        (_, Some(p)) => format!("{a}:{p}"),
        (_, None) => a.to_string(),
    };
    format!(
        "{} → {} ({proto})",
        at(p.src, ports.map(|x| x.0)),
        at(p.dst, ports.map(|x| x.1))
    )
}
