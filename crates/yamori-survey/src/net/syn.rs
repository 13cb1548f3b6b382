//! Stateless SYN discovery, the technique of ZMap and masscan: send one TCP SYN per
//! (address, port) from a raw socket without keeping any per-probe state, and recognise the
//! replies by a keyed cookie in the sequence number. A SYN/ACK whose acknowledgement number is
//! `cookie + 1` answers one of our probes (open port); a RST with the same acknowledgement is a
//! closed port; anything else is someone else's traffic and is ignored.
//!
//! Only discovery is stateless: the open ports it finds are then probed (banners, credentials)
//! over ordinary connections, as in the connect mode. The kernel has no socket for the SYN's
//! source port, so it answers every SYN/ACK with a RST itself: no half-open connection is left
//! on the device (masscan and ZMap behave the same way).
//!
//! Every SYN goes through [`Guard::ensure_in_scope`] and the survey's [`crate::rate::RateLimiter`],
//! exactly like a connect. IPv4 only: IPv6 targets are surveyed by connect.
//!
//! Needs `CAP_NET_RAW` (root, or `setcap cap_net_raw+ep`); [`SynError::Permission`] says so.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use etherparse::{TcpHeader, TcpOptionElement};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use yamori_wire::{Addr, LinkType, Transport};

use super::{Guard, ProbeError};
use crate::scope::Scope;

/// Source ports are drawn from 61000–65535, above Linux's default ephemeral range
/// (32768–60999), so the replies never collide with the survey's own connections.
const SOURCE_PORT_BASE: u16 = 61000;
/// Bytes read per received packet: the IPv4 and TCP headers are at most 60 bytes each; a reply
/// with a payload is truncated by the kernel into this buffer, which is all we need.
const RECV_BUFFER: usize = 256;
/// Kernel receive buffer asked for the raw socket (each queued packet costs ~1 KiB of it, so
/// 16 MiB holds ~160 ms of replies at 100,000/s). Linux caps it at `net.core.rmem_max`
/// (208 KiB by default, i.e. ~2 ms at that rate, ~100 ms at 2,000/s).
const RECV_SOCKET_BUFFER: usize = 16 << 20;
/// How often the receiving thread checks whether the sweep is over.
const RECV_POLL: Duration = Duration::from_millis(50);
/// Longest the reader keeps draining replies already queued once the wait is over (a busy
/// host's other TCP traffic would otherwise keep it reading forever).
const DRAIN: Duration = Duration::from_millis(500);
/// How long one SYN is retried while the kernel says ENOBUFS. On a directly attached network
/// every SYN to an address that has not answered ARP yet waits in the neighbour queue, charged
/// to the socket's send buffer, until ARP resolves or gives up (3 s on Linux by default), so a
/// sweep of a mostly-empty local /24 fills the buffer; it drains as ARP fails. (Behind a
/// router every SYN goes to the router's one MAC address and this does not happen.)
pub const SEND_RETRY_BUDGET: Duration = Duration::from_secs(6);
/// Wait between two tries of a SYN refused with ENOBUFS.
const SEND_RETRY_PAUSE: Duration = Duration::from_millis(1);
/// Linux's errno for "no buffer space available" (std has no `ErrorKind` for it).
const ENOBUFS: i32 = 105;
/// MSS announced in the SYN: a SYN without options looks odd to some stacks and IDSs.
const MSS: u16 = 1460;
/// Window announced in the SYN (Linux's default for a fresh connection).
const WINDOW: u16 = 64240;

/// Why a SYN sweep could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynError {
    #[error(
        "SYN discovery needs a raw socket (CAP_NET_RAW): run as root, or `setcap cap_net_raw+ep` \
         on the binary, or use --discovery connect ({0})"
    )]
    Permission(std::io::Error),
    #[error("opening the raw socket: {0}")]
    Socket(std::io::Error),
    #[error("no route to {dst}: {source}")]
    Route {
        dst: Ipv4Addr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Probe(#[from] ProbeError),
}

/// What a sweep found and sent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SynSweep {
    /// Ports that answered SYN/ACK to one of our cookies.
    pub open: BTreeSet<(Ipv4Addr, u16)>,
    /// SYNs the kernel accepted.
    pub sent: u64,
    /// Ports that answered RST (closed).
    pub closed: u64,
    /// SYNs the kernel refused to send (no route, send buffer still full after
    /// [`SEND_RETRY_BUDGET`]).
    pub send_errors: u64,
    /// SYNs not sent because the address did not answer ARP / neighbour discovery (an absent
    /// host on a directly attached network: the normal case in a sweep, not an error), or had
    /// no route.
    pub unreachable: u64,
    /// (address, port) whose SYN the kernel refused for another reason: not known to be
    /// closed, so the survey connects to them (at most `MAX_UNSENT` are kept).
    pub unsent: BTreeSet<(Ipv4Addr, u16)>,
}

#[derive(Default)]
struct SendCounts {
    sent: u64,
    errors: u64,
    unreachable: u64,
    unsent: BTreeSet<(Ipv4Addr, u16)>,
}

/// The keyed cookie: std's `RandomState` (a keyed SipHash in today's std, though the
/// algorithm is not promised) with a random key, over the 4-tuple of the probe. masscan uses
/// SipHash for its SYN cookies too; ZMap uses AES. Without the key a forged SYN/ACK validates
/// with probability 2^-32, so spoofed replies cannot plant ports.
#[derive(Debug, Clone)]
pub struct Cookie(RandomState);

impl Default for Cookie {
    fn default() -> Self {
        Cookie(RandomState::new())
    }
}

impl Cookie {
    /// The sequence number of the SYN from `src:sport` to `dst:dport`.
    pub fn seq(&self, src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16) -> u32 {
        let h = self
            .0
            .hash_one((u32::from(src), sport, u32::from(dst), dport));
        // Fold the 64-bit hash so every key bit reaches the 32 we send.
        (h ^ (h >> 32)) as u32
    }

    /// A source port in 61000–65535 derived from the key, the same for the whole sweep.
    pub fn source_port(&self) -> u16 {
        let span = u64::from(u16::MAX - SOURCE_PORT_BASE) + 1;
        SOURCE_PORT_BASE + (self.0.hash_one("source port") % span) as u16
    }
}

/// The TCP header of one SYN (the kernel writes the IPv4 header): MSS option, checksum over
/// the pseudo-header with `src`, which must be the address the kernel will send from.
pub fn build_syn(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, seq: u32) -> Vec<u8> {
    let mut h = TcpHeader::new(sport, dport, seq, WINDOW);
    h.syn = true;
    // One 4-byte option always fits the 40 bytes of option space.
    let _ = h.set_options(&[TcpOptionElement::MaximumSegmentSize(MSS)]);
    // An empty payload cannot exceed the IPv4 length limit.
    h.checksum = h
        .calc_checksum_ipv4_raw(src.octets(), dst.octets(), &[])
        .unwrap_or(0);
    h.to_bytes().to_vec()
}

/// What one received packet says about our probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Open(Ipv4Addr, u16),
    Closed(Ipv4Addr, u16),
}

/// Classifies one IPv4 packet as read from the raw socket: `None` unless it is a SYN/ACK or
/// RST to `sport` acknowledging one of our cookies. Never panics on any input.
pub fn classify(packet: &[u8], sport: u16, cookie: &Cookie) -> Option<Reply> {
    let p = yamori_wire::decode(LinkType::IPV4, 0, packet).ok()?;
    let (Addr::V4(from), Addr::V4(to), Transport::Tcp(t)) = (p.src, p.dst, p.transport) else {
        return None;
    };
    if t.dst_port != sport || t.flags & yamori_wire::Tcp::ACK == 0 {
        return None;
    }
    let (from, to) = (Ipv4Addr::from(from), Ipv4Addr::from(to));
    if t.ack != cookie.seq(to, sport, from, t.src_port).wrapping_add(1) {
        return None;
    }
    let syn = t.flags & yamori_wire::Tcp::SYN != 0;
    let rst = t.flags & yamori_wire::Tcp::RST != 0;
    match (syn, rst) {
        (true, false) => Some(Reply::Open(from, t.src_port)),
        (false, true) => Some(Reply::Closed(from, t.src_port)),
        _ => None,
    }
}

/// The source address the kernel will use towards `dst`: a UDP socket's `connect` asks the
/// routing table and sends nothing.
fn route_source(dst: Ipv4Addr) -> Result<Ipv4Addr, SynError> {
    let route = |source| SynError::Route { dst, source };
    let s = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).map_err(route)?;
    s.connect((dst, 9)).map_err(route)?;
    match s.local_addr().map_err(route)?.ip() {
        IpAddr::V4(a) => Ok(a),
        IpAddr::V6(_) => Err(route(std::io::Error::other("IPv6 source for IPv4 target"))),
    }
}

fn raw_socket() -> Result<Socket, SynError> {
    Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::TCP)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            SynError::Permission(e)
        } else {
            SynError::Socket(e)
        }
    })
}

impl Guard {
    /// Sends one SYN to every IPv4 address of `scope` on every port in `ports` (port by port,
    /// so consecutive SYNs go to different hosts), then listens `wait` longer for late replies.
    /// Blocking: run it on its own thread.
    pub fn syn_sweep(
        &self,
        scope: &Scope,
        ports: &[u16],
        wait: Duration,
    ) -> Result<SynSweep, SynError> {
        // One socket sends and receives: a second raw TCP socket would get (and have to
        // queue) a copy of every incoming TCP packet too.
        let raw = raw_socket()?;
        // The kernel caps this at net.core.rmem_max; a smaller buffer only risks dropped
        // replies at high rates (raise rmem_max for sweeps at hundreds of thousands per second).
        let _ = raw.set_recv_buffer_size(RECV_SOCKET_BUFFER);
        raw.set_read_timeout(Some(RECV_POLL))
            .map_err(SynError::Socket)?;
        let cookie = Cookie::default();
        let sport = cookie.source_port();
        let done = AtomicBool::new(false);
        std::thread::scope(|threads| {
            let listener = threads.spawn(|| receive(&raw, sport, &cookie, &done));
            let sent = self.send_all(&raw, scope, ports, sport, &cookie);
            if sent.is_ok() {
                std::thread::sleep(wait);
            }
            done.store(true, Ordering::Relaxed);
            let mut found = listener.join().unwrap_or_else(|_| {
                tracing::error!("the SYN reply reader failed: no port counts as open");
                SynSweep::default()
            });
            let counts = sent?;
            found.sent = counts.sent;
            found.send_errors = counts.errors;
            found.unreachable = counts.unreachable;
            found.unsent = counts.unsent;
            Ok(found)
        })
    }

    fn send_all(
        &self,
        raw: &Socket,
        scope: &Scope,
        ports: &[u16],
        sport: u16,
        cookie: &Cookie,
    ) -> Result<SendCounts, SynError> {
        let mut sources = Sources::new(scope.count());
        let mut c = SendCounts::default();
        for &dport in ports {
            for ip in scope.addresses() {
                let IpAddr::V4(dst) = ip else { continue };
                self.ensure_in_scope(SocketAddr::new(ip, dport))?;
                let Some(src) = sources.get(dst) else {
                    // No route (or a broadcast address): as unreachable as an absent host.
                    c.unreachable += 1;
                    continue;
                };
                let syn = build_syn(src, sport, dst, dport, cookie.seq(src, sport, dst, dport));
                let to = SockAddr::from(SocketAddrV4::new(dst, 0));
                self.limiter.acquire_blocking();
                match send_one(raw, &syn, &to) {
                    Ok(()) => c.sent += 1,
                    // A neighbour that did not answer ARP: an absent host on a local link.
                    Err(e) if e.kind() == std::io::ErrorKind::HostUnreachable => c.unreachable += 1,
                    Err(_) => {
                        c.errors += 1;
                        // Not known to be closed: the survey connects to it instead.
                        if c.unsent.len() < MAX_UNSENT {
                            c.unsent.insert((dst, dport));
                        }
                    }
                }
            }
        }
        if c.errors > 0 {
            tracing::warn!(
                errors = c.errors,
                "SYNs the kernel would not send; those ports are probed by connect instead"
            );
        }
        Ok(c)
    }
}

/// The source address of every target, from the routing table. Looked up per address (a /24
/// may be split over routes) and remembered for the later ports, up to [`MAX_SOURCE_CACHE`]
/// addresses; a larger scope is looked up per /24, assuming its addresses share a route.
struct Sources {
    per_address: bool,
    cache: HashMap<u32, Option<Ipv4Addr>>,
}

/// Addresses whose source is remembered one by one (about 32 MiB of cache at most).
const MAX_SOURCE_CACHE: u128 = 1 << 20;
/// SYNs the kernel refused that are remembered to be connected to instead.
const MAX_UNSENT: usize = 1 << 20;

impl Sources {
    fn new(targets: u128) -> Self {
        Sources {
            per_address: targets <= MAX_SOURCE_CACHE,
            cache: HashMap::new(),
        }
    }

    fn get(&mut self, dst: Ipv4Addr) -> Option<Ipv4Addr> {
        let key = if self.per_address {
            u32::from(dst)
        } else {
            u32::from(dst) >> 8
        };
        *self
            .cache
            .entry(key)
            .or_insert_with(|| match route_source(dst) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::debug!(error = %e, "no source address");
                    None
                }
            })
    }
}

fn send_one(sender: &Socket, syn: &[u8], to: &SockAddr) -> std::io::Result<()> {
    let started = std::time::Instant::now();
    loop {
        match sender.send_to(syn, to) {
            Ok(_) => return Ok(()),
            Err(e)
                if e.raw_os_error() == Some(ENOBUFS) && started.elapsed() < SEND_RETRY_BUDGET =>
            {
                std::thread::sleep(SEND_RETRY_PAUSE);
            }
            Err(e) => {
                tracing::debug!(error = %e, "SYN not sent");
                return Err(e);
            }
        }
    }
}

/// Reads replies until `done`, then drains what is already queued for at most [`DRAIN`].
fn receive(receiver: &Socket, sport: u16, cookie: &Cookie, done: &AtomicBool) -> SynSweep {
    let mut found = SynSweep::default();
    let mut buf = [0u8; RECV_BUFFER];
    let mut r = receiver;
    let mut drain_until: Option<std::time::Instant> = None;
    loop {
        if drain_until.is_none() && done.load(Ordering::Relaxed) {
            drain_until = Some(std::time::Instant::now() + DRAIN);
        }
        if drain_until.is_some_and(|t| std::time::Instant::now() >= t) {
            break;
        }
        match r.read(&mut buf) {
            Ok(n) => match classify(&buf[..n], sport, cookie) {
                Some(Reply::Open(ip, port)) => {
                    found.open.insert((ip, port));
                }
                Some(Reply::Closed(..)) => found.closed += 1,
                None => {}
            },
            // Nothing queued: once the sweep is over, the queue is drained.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if drain_until.is_some() {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::warn!(error = %e, "raw socket receive failed; SYN replies after this are lost");
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCANNER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 200);
    const DEVICE: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);

    /// The IPv4 packet a device sends back: `flags`, acknowledging `ack`.
    fn reply(from: Ipv4Addr, to: Ipv4Addr, sport: u16, dport: u16, flags: u8, ack: u32) -> Vec<u8> {
        let mut t = TcpHeader::new(sport, dport, 12345, 1000);
        t.syn = flags & 0x02 != 0;
        t.rst = flags & 0x04 != 0;
        t.ack = flags & 0x10 != 0;
        t.acknowledgment_number = ack;
        t.checksum = t
            .calc_checksum_ipv4_raw(from.octets(), to.octets(), &[])
            .expect("checksum");
        let tcp = t.to_bytes();
        let mut ip = etherparse::Ipv4Header::new(
            tcp.len() as u16,
            64,
            etherparse::IpNumber::TCP,
            from.octets(),
            to.octets(),
        )
        .expect("ipv4 header");
        ip.header_checksum = ip.calc_header_checksum();
        let mut out = ip.to_bytes().to_vec();
        out.extend_from_slice(&tcp);
        out
    }

    #[test]
    fn syn_is_a_valid_tcp_syn_with_the_cookie() {
        let c = Cookie::default();
        let sport = c.source_port();
        assert!(sport >= SOURCE_PORT_BASE);
        let seq = c.seq(SCANNER, sport, DEVICE, 23);
        let syn = build_syn(SCANNER, sport, DEVICE, 23, seq);
        let (h, rest) = TcpHeader::from_slice(&syn).expect("parses");
        assert!(rest.is_empty());
        assert!(h.syn && !h.ack && !h.rst);
        assert_eq!(
            (h.source_port, h.destination_port, h.sequence_number),
            (sport, 23, seq)
        );
        assert_eq!(
            h.calc_checksum_ipv4_raw(SCANNER.octets(), DEVICE.octets(), &[]),
            Ok(h.checksum)
        );
    }

    #[test]
    fn replies_are_validated_by_the_cookie() {
        let c = Cookie::default();
        let sport = c.source_port();
        let ack = c.seq(SCANNER, sport, DEVICE, 23).wrapping_add(1);
        let synack = reply(DEVICE, SCANNER, 23, sport, 0x12, ack);
        assert_eq!(classify(&synack, sport, &c), Some(Reply::Open(DEVICE, 23)));
        let rst = reply(DEVICE, SCANNER, 23, sport, 0x14, ack);
        assert_eq!(classify(&rst, sport, &c), Some(Reply::Closed(DEVICE, 23)));
        // Wrong acknowledgement, another port's cookie, another source port, another
        // scanner address, another key: all someone else's traffic.
        for bad in [
            reply(DEVICE, SCANNER, 23, sport, 0x12, ack.wrapping_add(1)),
            reply(DEVICE, SCANNER, 2323, sport, 0x12, ack),
            reply(DEVICE, SCANNER, 23, sport.wrapping_add(1), 0x12, ack),
            reply(DEVICE, Ipv4Addr::new(192, 0, 2, 201), 23, sport, 0x12, ack),
            reply(DEVICE, SCANNER, 23, sport, 0x02, ack), // a bare SYN (our own, looped back)
        ] {
            assert_eq!(classify(&bad, sport, &c), None);
        }
        assert_eq!(classify(&synack, sport, &Cookie::default()), None);
    }

    #[test]
    fn classify_never_panics_on_truncated_or_garbage_packets() {
        let c = Cookie::default();
        let sport = c.source_port();
        let ack = c.seq(SCANNER, sport, DEVICE, 23).wrapping_add(1);
        let synack = reply(DEVICE, SCANNER, 23, sport, 0x12, ack);
        for n in 0..synack.len() {
            let _ = classify(&synack[..n], sport, &c);
        }
        let mut x = 0x1234_5678u32;
        for len in 0..200usize {
            let junk: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            assert_eq!(classify(&junk, sport, &c), None);
        }
    }
}
