//! Everything that talks to the kernel, and the only `unsafe` of the workspace: the AF_PACKET
//! socket, its TPACKET_V3 ring mapped into our memory, poll(2), the ring's statistics, giving
//! up capabilities once the socket is open, and the SIGINT/SIGTERM handler that asks the
//! capture loop to stop.
//!
//! Why TPACKET_V3 and not libpcap: the ring is the same kernel mechanism libpcap uses on Linux
//! (libpcap ≥ 1.5 reads a TPACKET_V3 ring too), without a C library to build or ship, with the
//! ring's drop counters read directly (PACKET_STATISTICS), and with room for a fan-out program
//! by source address later (PACKET_FANOUT with a classic BPF program). libpcap in immediate
//! mode stays the comparison for the capture benchmark (docs/SENSOR.md).
//!
//! Safety rests on three facts, each stated where it is used: the mapping lives as long as
//! [`Ring`] and is unmapped once in `Drop`; a block belongs to us from the moment its status
//! has `TP_STATUS_USER` (read with acquire ordering) until we write `TP_STATUS_KERNEL` back
//! (with release ordering), and the kernel does not write it in between; every other call
//! passes pointers to live, correctly sized values.

#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::bpf::Insn;

const TP_STATUS_KERNEL: u32 = 0;
const TP_STATUS_USER: u32 = 1;

/// The ring's shape.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    /// Bytes per block: a power of two, a multiple of the page size.
    pub block_size: u32,
    pub blocks: u32,
    /// A block is handed to us at the latest this long after its first packet, so a quiet
    /// darknet's packets are not held back waiting for the block to fill.
    pub retire_ms: u32,
}

/// Counters of the ring since the last read (the kernel resets them on each read).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RingStats {
    /// Packets the filter accepted, including those dropped.
    pub packets: u64,
    /// Packets dropped because the ring was full.
    pub drops: u64,
    /// Times the ring was frozen (every block full, waiting for us).
    pub freezes: u64,
}

/// What [`Ring::wait`] saw.
#[derive(Debug)]
pub enum Readiness {
    /// A block may be ready.
    Ready,
    TimedOut,
    /// The socket reports an error (e.g. ENODEV: the interface is gone; ENETDOWN: it is down).
    Error(io::Error),
}

/// An open packet socket bound to one interface, with its ring mapped.
pub struct Ring {
    fd: OwnedFd,
    map: *mut u8,
    map_len: usize,
    block_size: usize,
    blocks: usize,
    next: usize,
}

// The mapping is owned by the ring alone; moving it to another thread is sound.
unsafe impl Send for Ring {}

/// A block of packets lent by the kernel; handed back when dropped.
pub struct Block<'a> {
    status: &'a AtomicU32,
    pub data: &'a [u8],
}

impl Drop for Block<'_> {
    fn drop(&mut self) {
        // Hand the block back: after this store the kernel may write it again, and `data`
        // is not used any more (it is borrowed no longer than `self`).
        self.status.store(TP_STATUS_KERNEL, Ordering::Release);
    }
}

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn setsockopt<T>(fd: &OwnedFd, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` points to a live `T` of the size passed.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    check(r).map(drop)
}

/// The index of the interface `name`, or `None` if there is no such interface.
pub fn interface_index(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    // SAFETY: `c` is a NUL-terminated string that outlives the call.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (i != 0).then_some(i)
}

/// Why opening failed, with the step that failed.
#[derive(Debug)]
pub struct OpenError {
    pub step: &'static str,
    pub source: io::Error,
}

fn at(step: &'static str) -> impl FnOnce(io::Error) -> OpenError {
    move |source| OpenError { step, source }
}

impl Ring {
    /// Open a packet socket that receives nothing yet, attach `filter`, map the ring, and only
    /// then bind it to interface `ifindex`: no unfiltered frame ever reaches the ring.
    pub fn open(ifindex: u32, filter: &[Insn], g: Geometry) -> Result<Ring, OpenError> {
        // Protocol 0: no packets until `bind` names ETH_P_ALL below.
        // SAFETY: plain syscall; the returned descriptor is owned right away.
        let raw = check(unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0) })
            .map_err(at("socket(AF_PACKET)"))?;
        // SAFETY: `raw` is a fresh descriptor no one else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };

        let insns: Vec<libc::sock_filter> = filter
            .iter()
            .map(|i| libc::sock_filter {
                code: i.code,
                jt: i.jt,
                jf: i.jf,
                k: i.k,
            })
            .collect();
        let prog = libc::sock_fprog {
            len: u16::try_from(insns.len())
                .map_err(|_| at("SO_ATTACH_FILTER")(io::Error::other("filter program too long")))?,
            filter: insns.as_ptr().cast_mut(),
        };
        // The kernel copies the program during the call; `insns` outlives it.
        setsockopt(&fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &prog)
            .map_err(at("SO_ATTACH_FILTER"))?;

        let version = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_VERSION, &version)
            .map_err(at("PACKET_VERSION"))?;
        // Frames of at most this size are what the kernel counts per block; with V3 packets
        // are packed back to back and a frame may be larger, so this only sizes the request.
        let frame_size: u32 = 2048;
        let req = libc::tpacket_req3 {
            tp_block_size: g.block_size,
            tp_block_nr: g.blocks,
            tp_frame_size: frame_size,
            tp_frame_nr: (g.block_size / frame_size) * g.blocks,
            tp_retire_blk_tov: g.retire_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)
            .map_err(at("PACKET_RX_RING"))?;

        let block_size = g.block_size as usize;
        let blocks = g.blocks as usize;
        let map_len = block_size * blocks;
        // SAFETY: maps the ring the kernel just allocated for this socket; checked below.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_LOCKED,
                fd.as_raw_fd(),
                0,
            )
        };
        let map = if map == libc::MAP_FAILED {
            // MAP_LOCKED fails under a low RLIMIT_MEMLOCK; the ring works unlocked too.
            // SAFETY: as above.
            let m = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    map_len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    fd.as_raw_fd(),
                    0,
                )
            };
            if m == libc::MAP_FAILED {
                return Err(at("mmap of the ring")(io::Error::last_os_error()));
            }
            m
        } else {
            map
        };
        let ring = Ring {
            fd,
            map: map.cast(),
            map_len,
            block_size,
            blocks,
            next: 0,
        };

        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        addr.sll_ifindex = ifindex as i32;
        // SAFETY: `addr` is a live sockaddr_ll of the size passed.
        let r = unsafe {
            libc::bind(
                ring.fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        check(r).map_err(at("bind to the interface"))?;
        Ok(ring)
    }

    /// The status word of block `i` (the first field of the block's header after `version`
    /// and `offset_to_priv`), shared with the kernel.
    fn status(&self, i: usize) -> &AtomicU32 {
        debug_assert!(i < self.blocks);
        // SAFETY: block `i` starts inside the mapping (i < blocks), at a page-aligned address,
        // so offset 8 is 4-byte aligned; the mapping lives as long as `self`. The kernel and
        // we access this word only atomically.
        unsafe { &*self.map.add(i * self.block_size + 8).cast::<AtomicU32>() }
    }

    /// The next block, if the kernel has handed it to us. Blocks come in ring order.
    pub fn next_block(&mut self) -> Option<Block<'_>> {
        let i = self.next;
        let status = self.status(i);
        if status.load(Ordering::Acquire) & TP_STATUS_USER == 0 {
            return None;
        }
        self.next = (i + 1) % self.blocks;
        // SAFETY: the block is ours until `Block::drop` hands it back (module doc); the
        // slice lies inside the mapping, which outlives the borrow of `self`.
        let data = unsafe {
            std::slice::from_raw_parts(self.map.add(i * self.block_size), self.block_size)
        };
        Some(Block {
            status: self.status(i),
            data,
        })
    }

    /// Wait up to `timeout_ms` for the socket to become readable (or to report an error).
    pub fn wait(&self, timeout_ms: i32) -> Readiness {
        let mut p = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN | libc::POLLERR,
            revents: 0,
        };
        // SAFETY: one live pollfd.
        let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Readiness::TimedOut
            } else {
                Readiness::Error(e)
            };
        }
        if p.revents & libc::POLLERR != 0 {
            return match self.take_error() {
                Some(e) => Readiness::Error(e),
                None => Readiness::Ready,
            };
        }
        if r == 0 {
            Readiness::TimedOut
        } else {
            Readiness::Ready
        }
    }

    /// The socket's pending error (SO_ERROR), cleared by reading it.
    fn take_error(&self) -> Option<io::Error> {
        let mut err: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `err` and `len` are live and sized as passed.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&mut err as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        if r < 0 {
            return Some(io::Error::last_os_error());
        }
        (err != 0).then(|| io::Error::from_raw_os_error(err))
    }

    /// The ring's counters since the last call (the kernel resets them when read).
    pub fn stats(&self) -> io::Result<RingStats> {
        let mut s = libc::tpacket_stats_v3 {
            tp_packets: 0,
            tp_drops: 0,
            tp_freeze_q_cnt: 0,
        };
        let mut len = std::mem::size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: `s` and `len` are live and sized as passed.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut s as *mut libc::tpacket_stats_v3).cast(),
                &mut len,
            )
        };
        check(r)?;
        Ok(RingStats {
            packets: u64::from(s.tp_packets),
            drops: u64::from(s.tp_drops),
            freezes: u64::from(s.tp_freeze_q_cnt),
        })
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `open`, unmapped once; no `Block` outlives `self`.
        unsafe {
            libc::munmap(self.map.cast(), self.map_len);
        }
    }
}

/// What [`drop_capabilities`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub uid: u32,
}

/// Give up every capability (effective, permitted, inheritable) and forbid regaining any
/// (no_new_privs): an open packet socket keeps working without CAP_NET_RAW, and nothing the
/// sensor does afterwards needs a privilege. The user id is unchanged: run the sensor as an
/// unprivileged user with the file capability `cap_net_raw` (docs/SENSOR.md) so that it
/// never runs as root at all.
pub fn drop_capabilities() -> io::Result<Dropped> {
    // SAFETY: prctl with integer arguments only.
    check(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) })?;
    // linux/capability.h: _LINUX_CAPABILITY_VERSION_3, two 32-bit data words.
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let header = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let data = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capset(2) reads one header and two data words, all live for the call.
    let r = unsafe { libc::syscall(libc::SYS_capset, &header as *const Header, data.as_ptr()) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    Ok(Dropped { uid })
}

/// Set by SIGINT or SIGTERM once [`stop_on_signals`] has installed the handler.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    // An atomic store is async-signal-safe; nothing else happens in the handler.
    STOP.store(true, Ordering::Relaxed);
}

/// Make SIGINT and SIGTERM set the returned flag instead of ending the process, once: the
/// handler resets itself (SA_RESETHAND), so a second signal ends the process as usual. Without
/// SA_RESTART, a poll(2) in progress returns at once and the loop sees the flag.
pub fn stop_on_signals() -> io::Result<&'static AtomicBool> {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: sigaction is plain data; all-zero is a valid value, filled in below.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_stop_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        sa.sa_flags = libc::SA_RESETHAND;
        // SAFETY: `sa` is live; the handler only stores to an atomic (see above).
        unsafe {
            libc::sigemptyset(&mut sa.sa_mask);
            check(libc::sigaction(sig, &sa, std::ptr::null_mut()))?;
        }
    }
    Ok(&STOP)
}
