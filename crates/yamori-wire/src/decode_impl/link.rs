//! Link-layer headers: find where the IP packet starts and which version it is.
use super::{be16, need};
use crate::{DecodeError, LinkType};

/// The network-layer packet found inside a frame.
pub(super) enum Net<'a> {
    V4(&'a [u8]),
    V6(&'a [u8]),
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
/// 802.1Q customer tag, 802.1ad service tag, and the pre-standard QinQ tag 0x9100.
const ETHERTYPE_VLAN: [u16; 3] = [0x8100, 0x88a8, 0x9100];
/// At most this many stacked VLAN tags are skipped. QinQ uses two; real networks rarely stack
/// more, and the bound keeps a frame of repeated tags from being walked to its end.
const MAX_VLAN_TAGS: usize = 4;

/// BSD address families for IPv6 differ per OS (NetBSD/OpenBSD 24, FreeBSD 28, macOS 30).
const AF_INET: u32 = 2;
const AF_INET6: [u32; 3] = [24, 28, 30];

pub(super) fn strip(link: LinkType, f: &[u8]) -> Result<Net<'_>, DecodeError> {
    match link.0 {
        1 => {
            need(f, 14, "ethernet")?;
            after_ethertype(be16(f, 12), f.get(14..).unwrap_or_default())
        }
        // Linux cooked v1: 16-byte header, protocol (an ethertype for IP) in the last 2 bytes.
        113 => {
            need(f, 16, "linux_sll")?;
            after_ethertype(be16(f, 14), f.get(16..).unwrap_or_default())
        }
        // Linux cooked v2: 20-byte header, protocol first.
        276 => {
            need(f, 20, "linux_sll2")?;
            after_ethertype(be16(f, 0), f.get(20..).unwrap_or_default())
        }
        12 | 14 | 101 => {
            need(f, 1, "ip")?;
            match f[0] >> 4 {
                4 => Ok(Net::V4(f)),
                6 => Ok(Net::V6(f)),
                _ => Err(DecodeError::Malformed {
                    layer: "ip",
                    what: "raw IP version nibble is neither 4 nor 6",
                }),
            }
        }
        228 => Ok(Net::V4(f)),
        229 => Ok(Net::V6(f)),
        0 => {
            need(f, 4, "null")?;
            let bytes = [f[0], f[1], f[2], f[3]];
            // Host byte order of the capturing machine, which the file does not record:
            // accept either order (families are small, so only one reading is plausible).
            let le = u32::from_le_bytes(bytes);
            let be = u32::from_be_bytes(bytes);
            family(if le <= 0xffff { le } else { be }, &f[4..])
        }
        108 => {
            need(f, 4, "loop")?;
            family(u32::from_be_bytes([f[0], f[1], f[2], f[3]]), &f[4..])
        }
        other => Err(DecodeError::UnsupportedLinkType(other)),
    }
}

fn family(af: u32, rest: &[u8]) -> Result<Net<'_>, DecodeError> {
    if af == AF_INET {
        Ok(Net::V4(rest))
    } else if AF_INET6.contains(&af) {
        Ok(Net::V6(rest))
    } else {
        Err(DecodeError::NotIp(af))
    }
}

/// Skip VLAN tags, then dispatch on the ethertype.
fn after_ethertype(mut et: u16, mut rest: &[u8]) -> Result<Net<'_>, DecodeError> {
    let mut tags = 0;
    while ETHERTYPE_VLAN.contains(&et) {
        if tags == MAX_VLAN_TAGS {
            return Err(DecodeError::Malformed {
                layer: "vlan",
                what: "more than 4 stacked VLAN tags",
            });
        }
        need(rest, 4, "vlan")?;
        et = be16(rest, 2);
        rest = &rest[4..];
        tags += 1;
    }
    match et {
        ETHERTYPE_IPV4 => Ok(Net::V4(rest)),
        ETHERTYPE_IPV6 => Ok(Net::V6(rest)),
        other => Err(DecodeError::NotIp(u32::from(other))),
    }
}
