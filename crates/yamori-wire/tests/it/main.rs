//! Integration tests for yamori-wire (one binary, see the brief): decoding per link type and
//! protocol, an etherparse oracle, every capture-file variant, bad inputs, a real-peer check
//! against tshark's editcap, and the fuzz targets' invariants as seeded random loops.
mod decode;
mod decode_ipv6_icmp;
mod oracle;
mod peer;
mod reader_errors;
mod reader_formats;
mod robustness;
mod util;
