//! The kernel filters: a classic BPF program equal to `dst net P1 or dst net P2 …` over
//! Ethernet frames, so the kernel copies only darknet traffic into the ring; and its
//! complement for `--strict`, which passes unicast IP traffic for every other address
//! ([`outside_filter`]).
//!
//! Built here rather than by libpcap's compiler: the program is a short, fixed shape (load the
//! EtherType, then per prefix load the destination address word by word, mask, compare), it
//! is tested instruction by instruction against known frames ([`run`]), and the sensor needs
//! no C library to build it. Every branch jumps a few instructions forward or ends with a
//! `ret`, except the jump over the IPv4 section, which uses `ja` (32-bit offset), so no jump
//! offset can overflow its 8-bit field however many prefixes there are.

use ipnet::IpNet;

/// One classic BPF instruction, laid out as the kernel's `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Opcodes (linux/filter.h, linux/bpf_common.h).
const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const LD_H_ABS: u16 = 0x28; // BPF_LD | BPF_H | BPF_ABS
const ALU_AND_K: u16 = 0x54; // BPF_ALU | BPF_AND | BPF_K
const JMP_JA: u16 = 0x05; // BPF_JMP | BPF_JA
const JMP_JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const RET_K: u16 = 0x06; // BPF_RET | BPF_K

/// Bytes of an accepted frame the kernel keeps: all of it (larger than any frame the ring
/// holds; the ring's block size bounds it again).
pub const ACCEPT_BYTES: u32 = 0x0004_0000;
/// The kernel refuses programs longer than this (`BPF_MAXINSNS`).
pub const MAX_INSNS: usize = 4096;
/// Prefixes in one filter. An operator's darknet is a handful of prefixes; an IPv6 prefix
/// costs up to 10 instructions, so this keeps any program far below [`MAX_INSNS`].
pub const MAX_PREFIXES: usize = 256;

const ETH_TYPE_AT: u32 = 12;
const ETHERTYPE_IPV4: u32 = 0x0800;
const ETHERTYPE_IPV6: u32 = 0x86dd;
/// Ethernet header (14) + offset of the destination in the IPv4 header (16).
const IPV4_DST_AT: u32 = 14 + 16;
/// Ethernet header (14) + offset of the destination in the IPv6 header (24).
const IPV6_DST_AT: u32 = 14 + 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterError {
    #[error("no darknet prefix to filter on")]
    NoPrefix,
    #[error("{0} darknet prefixes; the kernel filter takes at most {MAX_PREFIXES}")]
    TooManyPrefixes(usize),
}

fn stmt(code: u16, k: u32) -> Insn {
    Insn {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

/// The 32-bit words of a prefix's network address, each with the mask of its bits that the
/// prefix fixes; words the prefix does not reach are left out.
fn words(net: &IpNet) -> Vec<(u32, u32)> {
    let (bytes, len): (Vec<u8>, u8) = match net {
        IpNet::V4(n) => (n.network().octets().to_vec(), n.prefix_len()),
        IpNet::V6(n) => (n.network().octets().to_vec(), n.prefix_len()),
    };
    let mut out = Vec::new();
    let mut left = u32::from(len);
    for chunk in bytes.chunks_exact(4) {
        if left == 0 {
            break;
        }
        let bits = left.min(32);
        left -= bits;
        let mask = if bits == 32 {
            u32::MAX
        } else {
            !(u32::MAX >> bits)
        };
        let word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        out.push((word & mask, mask));
    }
    out
}

/// Instructions that end with `ret verdict` if the frame's destination (at `dst_at`) is in
/// `net`, and otherwise fall through to the instruction after them.
fn prefix_block(net: &IpNet, dst_at: u32, verdict: u32) -> Vec<Insn> {
    let words = words(net);
    if words.is_empty() {
        // A /0 matches every address of its family.
        return vec![stmt(RET_K, verdict)];
    }
    // Per word: load, (mask), compare; then the accepting `ret`.
    let per_word: Vec<usize> = words
        .iter()
        .map(|&(_, m)| if m == u32::MAX { 2 } else { 3 })
        .collect();
    let total: usize = per_word.iter().sum::<usize>() + 1;
    let mut out = Vec::with_capacity(total);
    for (i, &(word, mask)) in words.iter().enumerate() {
        out.push(stmt(LD_W_ABS, dst_at + 4 * i as u32));
        if mask != u32::MAX {
            out.push(stmt(ALU_AND_K, mask));
        }
        // On a mismatch, skip the rest of this block (the instructions after this one).
        let after_this = total - (out.len() + 1);
        out.push(Insn {
            code: JMP_JEQ_K,
            jt: 0,
            jf: u8::try_from(after_this).expect("a prefix block is at most 13 instructions"),
            k: word,
        });
    }
    out.push(stmt(RET_K, verdict));
    out
}

/// The program for `dst net P1 or dst net P2 …` over Ethernet frames.
pub fn darknet_filter(prefixes: &[IpNet]) -> Result<Vec<Insn>, FilterError> {
    check_prefixes(prefixes)?;
    Ok(program(prefixes, ACCEPT_BYTES, &[], 0))
}

/// Bytes of a frame the `--strict` check keeps: the Ethernet, IP and transport headers, enough
/// to name the packet in the error.
pub const HEADER_BYTES: u32 = 128;

/// Destinations that every link carries whatever it is for, which `--strict` does not count
/// as traffic for other addresses: broadcast, multicast and link-local (ARP and the rest of
/// the non-IP frames are not IP and pass neither filter).
pub const LINK_CHATTER: [&str; 5] = [
    "255.255.255.255/32",
    "224.0.0.0/4",
    "169.254.0.0/16",
    "ff00::/8",
    "fe80::/10",
];

/// The program for `--strict`: IPv4 and IPv6 frames whose destination is outside every
/// prefix and is not [`LINK_CHATTER`], their first [`HEADER_BYTES`] bytes.
pub fn outside_filter(prefixes: &[IpNet]) -> Result<Vec<Insn>, FilterError> {
    check_prefixes(prefixes)?;
    let chatter: Vec<IpNet> = LINK_CHATTER.iter().filter_map(|c| c.parse().ok()).collect();
    Ok(program(prefixes, 0, &chatter, HEADER_BYTES))
}

fn check_prefixes(prefixes: &[IpNet]) -> Result<(), FilterError> {
    if prefixes.is_empty() {
        return Err(FilterError::NoPrefix);
    }
    if prefixes.len() > MAX_PREFIXES {
        return Err(FilterError::TooManyPrefixes(prefixes.len()));
    }
    Ok(())
}

/// Over Ethernet frames: `ret on_match` for an IP destination in `prefixes`, `ret 0` for one
/// in `also_dropped`, `ret otherwise` for any other IP destination, `ret 0` for non-IP frames.
fn program(prefixes: &[IpNet], on_match: u32, also_dropped: &[IpNet], otherwise: u32) -> Vec<Insn> {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    let blocks = prefixes
        .iter()
        .map(|p| (p, on_match))
        .chain(also_dropped.iter().map(|p| (p, 0)));
    for (p, verdict) in blocks {
        match p {
            IpNet::V4(_) => v4.extend(prefix_block(p, IPV4_DST_AT, verdict)),
            IpNet::V6(_) => v6.extend(prefix_block(p, IPV6_DST_AT, verdict)),
        }
    }
    v4.push(stmt(RET_K, otherwise));
    v6.push(stmt(RET_K, otherwise));
    let mut prog = vec![
        stmt(LD_H_ABS, ETH_TYPE_AT),
        // IPv4: into the IPv4 section (the next instruction but one); else over it.
        Insn {
            code: JMP_JEQ_K,
            jt: 1,
            jf: 0,
            k: ETHERTYPE_IPV4,
        },
        stmt(JMP_JA, v4.len() as u32),
    ];
    prog.extend(v4);
    // The accumulator still holds the EtherType here: the IPv4 section ends in `ret`.
    prog.push(Insn {
        code: JMP_JEQ_K,
        jt: 1,
        jf: 0,
        k: ETHERTYPE_IPV6,
    });
    prog.push(stmt(RET_K, 0));
    prog.extend(v6);
    debug_assert!(prog.len() <= MAX_INSNS);
    prog
}

/// Run `prog` over `frame` as the kernel's classic BPF interpreter does for the instructions
/// [`darknet_filter`] and [`outside_filter`] emit: the bytes to keep (0 = drop). A load beyond
/// the frame drops it, as in the kernel. Used by the tests to check the programs against known
/// frames.
pub fn run(prog: &[Insn], frame: &[u8]) -> u32 {
    let load = |at: u32, n: usize| -> Option<u32> {
        let at = at as usize;
        let b = frame.get(at..at.checked_add(n)?)?;
        Some(b.iter().fold(0u32, |a, &x| (a << 8) | u32::from(x)))
    };
    let mut a: u32 = 0;
    let mut pc = 0usize;
    while let Some(i) = prog.get(pc) {
        pc += 1;
        match i.code {
            LD_W_ABS | LD_H_ABS => {
                let n = if i.code == LD_W_ABS { 4 } else { 2 };
                match load(i.k, n) {
                    Some(v) => a = v,
                    None => return 0,
                }
            }
            ALU_AND_K => a &= i.k,
            JMP_JA => pc += i.k as usize,
            JMP_JEQ_K => pc += usize::from(if a == i.k { i.jt } else { i.jf }),
            RET_K => return i.k,
            // Not emitted by `darknet_filter`; the kernel would refuse the program.
            _ => return 0,
        }
    }
    // Falling off the end is refused by the kernel's checker; `darknet_filter` always ends
    // in `ret`.
    0
}
