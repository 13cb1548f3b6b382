//! A small MaxMind DB (MMDB 2.0) writer.
//!
//! Hand-written: no maintained Rust crate writes MMDB, and we need it for tests (which must
//! write their own small database) and for `yamori demo` when no real database is installed.
//! Format (MaxMind DB File Format Spec 2.0): a binary search tree over address bits (here an
//! IPv6 tree with 32-bit records; IPv4 networks live under `::/96`, where readers look for them),
//! 16 zero bytes, a data section of self-describing values, then the metadata marker and map.
use std::io::{self, Write};

use ipnet::IpNet;

/// Data stored for one network, in GeoIP2 City + ASN layout.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MmdbRecord {
    pub country: Option<String>,
    pub country_name: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
}

#[derive(Clone, Copy)]
enum Child {
    Empty,
    Node(u32),
    Data(u32),
}

/// Collects networks and writes an MMDB file.
pub struct MmdbWriter {
    database_type: String,
    description: String,
    entries: Vec<(IpNet, MmdbRecord)>,
}

impl MmdbWriter {
    pub fn new(database_type: &str, description: &str) -> Self {
        Self {
            database_type: database_type.to_string(),
            description: description.to_string(),
            entries: Vec::new(),
        }
    }

    /// Add a network. Overlaps are allowed: the more specific network wins.
    pub fn insert(&mut self, net: IpNet, rec: MmdbRecord) {
        self.entries.push((net.trunc(), rec));
    }

    pub fn write(&self, mut out: impl Write) -> io::Result<()> {
        // Less specific first, so a more specific insert splits the data leaf it lands in.
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_by_key(|&i| tree_prefix(&self.entries[i].0).1);
        let mut nodes: Vec<[Child; 2]> = vec![[Child::Empty, Child::Empty]];
        for &i in &order {
            let (bits, len) = tree_prefix(&self.entries[i].0);
            insert(&mut nodes, bits, len, i as u32);
        }
        let node_count = nodes.len() as u32;

        let mut data = Vec::new();
        let mut offsets = vec![0u32; self.entries.len()];
        for (i, (_, rec)) in self.entries.iter().enumerate() {
            offsets[i] = data.len() as u32;
            encode_record(&mut data, rec);
        }

        let value = |c: Child| -> u32 {
            match c {
                Child::Empty => node_count,
                Child::Node(n) => n,
                Child::Data(d) => node_count + 16 + offsets[d as usize],
            }
        };
        let mut tree = Vec::with_capacity(nodes.len() * 8);
        for n in &nodes {
            tree.extend_from_slice(&value(n[0]).to_be_bytes());
            tree.extend_from_slice(&value(n[1]).to_be_bytes());
        }
        out.write_all(&tree)?;
        out.write_all(&[0u8; 16])?;
        out.write_all(&data)?;
        out.write_all(b"\xAB\xCD\xEFMaxMind.com")?;
        let mut meta = Vec::new();
        map_header(&mut meta, 9);
        string(&mut meta, "binary_format_major_version");
        uint(&mut meta, 5, 2);
        string(&mut meta, "binary_format_minor_version");
        uint(&mut meta, 5, 0);
        string(&mut meta, "build_epoch");
        uint64(&mut meta, 0);
        string(&mut meta, "database_type");
        string(&mut meta, &self.database_type);
        string(&mut meta, "description");
        map_header(&mut meta, 1);
        string(&mut meta, "en");
        string(&mut meta, &self.description);
        string(&mut meta, "ip_version");
        uint(&mut meta, 5, 6);
        string(&mut meta, "languages");
        array_header(&mut meta, 1);
        string(&mut meta, "en");
        string(&mut meta, "node_count");
        uint(&mut meta, 6, node_count as u64);
        string(&mut meta, "record_size");
        uint(&mut meta, 5, 32);
        out.write_all(&meta)
    }
}

/// The network as bits in the 128-bit tree: IPv4 goes under `::/96`.
fn tree_prefix(net: &IpNet) -> (u128, u8) {
    match net {
        IpNet::V4(n) => (u32::from(n.addr()) as u128, 96 + n.prefix_len()),
        IpNet::V6(n) => (u128::from(n.addr()), n.prefix_len()),
    }
}

fn insert(nodes: &mut Vec<[Child; 2]>, bits: u128, len: u8, data: u32) {
    let mut node = 0usize;
    for depth in 0..len {
        let bit = ((bits >> (127 - depth)) & 1) as usize;
        if depth + 1 == len {
            nodes[node][bit] = Child::Data(data);
            return;
        }
        node = match nodes[node][bit] {
            Child::Node(n) => n as usize,
            other => {
                // Empty, or a less specific network's leaf that we split: both halves inherit it.
                let inherit = match other {
                    Child::Data(_) => other,
                    _ => Child::Empty,
                };
                nodes.push([inherit, inherit]);
                let n = nodes.len() - 1;
                nodes[node][bit] = Child::Node(n as u32);
                n
            }
        };
    }
}

fn encode_record(out: &mut Vec<u8>, r: &MmdbRecord) {
    let mut fields = 0;
    let country = r.country.is_some() || r.country_name.is_some();
    let location = r.latitude.is_some() && r.longitude.is_some();
    fields += usize::from(country) + usize::from(location) + usize::from(r.city.is_some());
    fields += usize::from(r.asn.is_some()) + usize::from(r.as_org.is_some());
    map_header(out, fields);
    if country {
        string(out, "country");
        let n = usize::from(r.country.is_some()) + usize::from(r.country_name.is_some());
        map_header(out, n);
        if let Some(c) = &r.country {
            string(out, "iso_code");
            string(out, c);
        }
        if let Some(name) = &r.country_name {
            names(out, name);
        }
    }
    if let Some(city) = &r.city {
        string(out, "city");
        map_header(out, 1);
        names(out, city);
    }
    if let (Some(lat), Some(lon)) = (r.latitude, r.longitude) {
        string(out, "location");
        map_header(out, 2);
        string(out, "latitude");
        double(out, lat);
        string(out, "longitude");
        double(out, lon);
    }
    if let Some(asn) = r.asn {
        string(out, "autonomous_system_number");
        uint(out, 6, asn as u64);
    }
    if let Some(org) = &r.as_org {
        string(out, "autonomous_system_organization");
        string(out, org);
    }
}

fn names(out: &mut Vec<u8>, en: &str) {
    string(out, "names");
    map_header(out, 1);
    string(out, "en");
    string(out, en);
}

/// Control byte(s) for `type_` (1..=15) with payload `size`.
fn control(out: &mut Vec<u8>, type_: u8, size: usize) {
    let (size_bits, extra): (u8, Vec<u8>) = if size < 29 {
        (size as u8, vec![])
    } else if size < 29 + 256 {
        (29, vec![(size - 29) as u8])
    } else if size < 285 + 65_536 {
        (30, ((size - 285) as u16).to_be_bytes().to_vec())
    } else {
        (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec())
    };
    if type_ <= 7 {
        out.push((type_ << 5) | size_bits);
    } else {
        out.push(size_bits);
        out.push(type_ - 7);
    }
    out.extend_from_slice(&extra);
}

fn string(out: &mut Vec<u8>, s: &str) {
    control(out, 2, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn double(out: &mut Vec<u8>, v: f64) {
    control(out, 3, 8);
    out.extend_from_slice(&v.to_be_bytes());
}

/// Unsigned integer of MMDB type 5 (uint16) or 6 (uint32), minimal big-endian bytes.
fn uint(out: &mut Vec<u8>, type_: u8, v: u64) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    control(out, type_, 8 - skip);
    out.extend_from_slice(&bytes[skip..]);
}

fn uint64(out: &mut Vec<u8>, v: u64) {
    uint(out, 9, v);
}

fn map_header(out: &mut Vec<u8>, pairs: usize) {
    control(out, 7, pairs);
}

fn array_header(out: &mut Vec<u8>, len: usize) {
    control(out, 11, len);
}
