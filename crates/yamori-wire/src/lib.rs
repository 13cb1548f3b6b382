//! Wire formats for Yamori: capture files in, decoded packet summaries out.
//!
//! This crate knows pcap, pcapng, gzip framing and link/network/transport headers.
//! It knows nothing about darknets, sources, storage or HTTP (see ARCHITECTURE.md).
//!
//! * [`packet`]: [`Packet`], the small `Copy` summary of one frame that analysis consumes,
//!   and [`decode`] which fills it from a link-layer frame without copying payload.
//! * [`reader`]: [`CaptureReader`], a streaming reader over any `Read` (file, gzip, stdin)
//!   that yields borrowed records and reports errors with file name and byte offset.
//! * [`writer`]: [`PcapWriter`], a minimal classic-pcap writer used by the traffic generator
//!   and by tests that need real capture files.

#![warn(missing_docs)]

mod decode_impl;
pub mod linktype;
pub mod packet;
pub mod reader;
pub mod writer;

pub use linktype::LinkType;
pub use packet::{decode, Addr, DecodeError, Icmp, Packet, Quoted, Tcp, Transport, Udp};
pub use reader::{CaptureFormat, CaptureReader, ReadError, ReadErrorKind, Record, MAX_CAPLEN};
pub use writer::PcapWriter;
