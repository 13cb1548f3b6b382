//! The terminal summary of a report: short sections of aligned tables.
use std::io::{self, Write};

use yamori_telescope::report::{Category, Report};

/// Rows shown per list on the terminal; `--json` has everything.
const TERMINAL_ROWS: usize = 15;

struct Table {
    headers: Vec<&'static str>,
    /// Right-align this column (numbers).
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(cols: &[(&'static str, bool)]) -> Self {
        Self {
            headers: cols.iter().map(|c| c.0).collect(),
            right: cols.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn print(&self, out: &mut impl Write) -> io::Result<()> {
        let mut width: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let line = |out: &mut dyn Write, cells: &[String]| -> io::Result<()> {
            let mut s = String::from("  ");
            for (i, c) in cells.iter().enumerate() {
                let pad = width[i].saturating_sub(c.chars().count());
                if self.right[i] {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    s.push_str(&" ".repeat(pad));
                }
                s.push_str("  ");
            }
            writeln!(out, "{}", s.trim_end())
        };
        let headers: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
        line(out, &headers)?;
        let rule: Vec<String> = width.iter().map(|w| "─".repeat(*w)).collect();
        line(out, &rule)?;
        for r in &self.rows {
            line(out, r)?;
        }
        Ok(())
    }
}

fn n(v: u64) -> String {
    // Thousands separators make packet counts readable at a glance.
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

fn short_time(t: &str) -> String {
    // "2026-11-01T00:05:10.123456Z" → "2026-11-01 00:05:10"
    t.get(..19)
        .map_or_else(|| t.to_string(), |s| s.replace('T', " "))
}

pub fn print_report(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let t = &r.totals;
    writeln!(
        out,
        "Yamori telescope report — darknet {}",
        r.darknets.join(", ")
    )?;
    if let (Some(a), Some(b)) = (&r.first_packet, &r.last_packet) {
        writeln!(out, "  {} → {} (UTC)", short_time(a), short_time(b))?;
    }
    writeln!(out)?;
    let mut inputs = Table::new(&[
        ("file", false),
        ("packets", true),
        ("sha256", false),
        ("status", false),
    ]);
    for f in &r.inputs {
        inputs.row(vec![
            f.name.clone(),
            n(f.packets),
            f.sha256.get(..16).unwrap_or("").to_string(),
            f.error.clone().unwrap_or_else(|| "ok".into()),
        ]);
    }
    inputs.print(out)?;
    writeln!(out)?;
    writeln!(
        out,
        "Packets {}: darknet {} ({}), outside {}, undecodable {}; IPv4 {}, IPv6 {}; {} distinct sources{}",
        n(t.packets),
        n(t.darknet_packets),
        pct(t.darknet_packets, t.packets),
        n(t.outside),
        n(t.undecodable),
        n(t.ipv4),
        n(t.ipv6),
        n(t.distinct_sources),
        if t.untracked_sources > 0 {
            format!(" ({} not tracked: state budget reached)", n(t.untracked_sources))
        } else {
            String::new()
        }
    )?;
    writeln!(out)?;

    let mut cats = Table::new(&[("category", false), ("packets", true), ("share", true)]);
    for c in Category::ALL {
        let v = t.by_category.get(c.name()).copied().unwrap_or(0);
        cats.row(vec![c.name().to_string(), n(v), pct(v, t.darknet_packets)]);
    }
    cats.print(out)?;
    writeln!(out)?;

    let mut ports = Table::new(&[
        ("tcp port", true),
        ("packets", true),
        ("udp port", true),
        ("packets ", true),
    ]);
    let rows = r.top_tcp_ports.len().max(r.top_udp_ports.len()).min(10);
    for i in 0..rows {
        let (tp, tn) = r
            .top_tcp_ports
            .get(i)
            .map_or((String::new(), String::new()), |p| {
                (p.port.to_string(), n(p.packets))
            });
        let (up, un) = r
            .top_udp_ports
            .get(i)
            .map_or((String::new(), String::new()), |p| {
                (p.port.to_string(), n(p.packets))
            });
        ports.row(vec![tp, tn, up, un]);
    }
    if rows > 0 {
        ports.print(out)?;
        writeln!(out)?;
    }

    writeln!(
        out,
        "Scanners: {} (threshold {} distinct darknet addresses per {} s window)",
        r.scanners.iter().filter(|s| s.scan.is_some()).count(),
        r.thresholds.scanner_min_destinations,
        r.thresholds.window_secs
    )?;
    let mut sc = Table::new(&[
        ("source", false),
        ("tool", false),
        ("scan", false),
        ("packets", true),
        ("dsts", true),
        ("ports", true),
        ("top ports", false),
        ("cc", false),
    ]);
    for s in r.scanners.iter().take(TERMINAL_ROWS) {
        sc.row(vec![
            s.address.clone(),
            format!("{:?}", s.tool).to_lowercase(),
            s.scan
                .map_or("-".into(), |k| format!("{k:?}").to_lowercase()),
            n(s.packets),
            n(s.destinations),
            n(s.destination_ports),
            s.top_ports
                .iter()
                .take(3)
                .map(|p| p.port.to_string())
                .collect::<Vec<_>>()
                .join(","),
            s.country.clone().unwrap_or_default(),
        ]);
    }
    if !r.scanners.is_empty() {
        sc.print(out)?;
        if r.scanners.len() > TERMINAL_ROWS {
            writeln!(
                out,
                "  … {} more (see --json)",
                r.scanners.len() - TERMINAL_ROWS
            )?;
        }
    }
    writeln!(out)?;

    writeln!(
        out,
        "DDoS attacks seen through backscatter: {}",
        r.attacks.len()
    )?;
    let mut at = Table::new(&[
        ("victim", false),
        ("start", false),
        ("end", false),
        ("packets", true),
        ("peak pps", true),
        ("mean pps", true),
        ("ports", false),
    ]);
    for a in r.attacks.iter().take(TERMINAL_ROWS) {
        at.row(vec![
            a.victim.clone(),
            short_time(&a.start),
            short_time(&a.end),
            n(a.packets),
            format!("{:.2}", a.peak_pps),
            format!("{:.2}", a.mean_pps),
            a.ports
                .iter()
                .take(3)
                .map(|p| p.port.to_string())
                .collect::<Vec<_>>()
                .join(","),
        ]);
    }
    if !r.attacks.is_empty() {
        at.print(out)?;
    }

    if !r.top_countries.is_empty() {
        writeln!(out)?;
        let mut cc = Table::new(&[("country", false), ("packets", true), ("sources", true)]);
        for k in r.top_countries.iter().take(10) {
            cc.row(vec![k.key.clone(), n(k.packets), n(k.sources)]);
        }
        cc.print(out)?;
    }
    if !t.erratic.is_empty() {
        writeln!(out)?;
        let list: Vec<String> = t
            .erratic
            .iter()
            .map(|(k, v)| format!("{k} {}", n(*v)))
            .collect();
        writeln!(out, "Erratic/spoofed (not trusted): {}", list.join(", "))?;
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
