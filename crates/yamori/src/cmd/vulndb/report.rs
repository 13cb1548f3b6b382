//! Plain-text tables printed by `yamori vulndb`.

use std::fmt::Write;

use yamori_store::vulndb::VulnDbCounts;
use yamori_vuln::store::FileSummary;
use yamori_vuln::{Identity, VulnMatch};

/// Skipped entries listed one per line before the rest are only counted.
const MAX_SKIP_LINES: usize = 50;

pub(crate) fn import_table(files: &[FileSummary], now: VulnDbCounts) -> String {
    let mut o = String::new();
    let names: Vec<String> = files.iter().map(|f| short_name(&f.path)).collect();
    let name_w = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        o,
        "{:<name_w$}  {:<16} {:>7} {:>5} {:>5} {:>7}",
        "file", "kind", "CVEs", "KEV", "OSV", "skipped"
    );
    let (mut c, mut k, mut v, mut s) = (0, 0, 0, 0);
    for (f, name) in files.iter().zip(&names) {
        let kind = match (&f.kind, &f.error) {
            (Some(kind), _) => kind.to_string(),
            (None, Some(_)) => "error".to_string(),
            (None, None) => "-".to_string(),
        };
        let _ = writeln!(
            o,
            "{:<name_w$}  {:<16} {:>7} {:>5} {:>5} {:>7}",
            name,
            kind,
            f.cves,
            f.kev,
            f.osv,
            f.skipped.len()
        );
        c += f.cves;
        k += f.kev;
        v += f.osv;
        s += f.skipped.len();
    }
    let _ = writeln!(
        o,
        "{:<name_w$}  {:<16} {:>7} {:>5} {:>5} {:>7}",
        format!("total ({} files)", files.len()),
        "",
        c,
        k,
        v,
        s
    );
    let skips: Vec<String> = files
        .iter()
        .flat_map(|f| {
            f.skipped
                .iter()
                .map(move |e| format!("  {}: {e}", f.path.display()))
        })
        .collect();
    if !skips.is_empty() {
        let _ = writeln!(o, "skipped entries:");
        for line in skips.iter().take(MAX_SKIP_LINES) {
            let _ = writeln!(o, "{line}");
        }
        if skips.len() > MAX_SKIP_LINES {
            let _ = writeln!(o, "  … and {} more", skips.len() - MAX_SKIP_LINES);
        }
    }
    let errors: Vec<&FileSummary> = files.iter().filter(|f| f.error.is_some()).collect();
    if !errors.is_empty() {
        let _ = writeln!(o, "files not imported (or only in part):");
        for f in errors {
            let _ = writeln!(
                o,
                "  {}: {}",
                f.path.display(),
                f.error.as_deref().unwrap_or_default()
            );
        }
    }
    let _ = writeln!(
        o,
        "database now holds {} CVEs, {} KEV entries, {} OSV records",
        now.cves, now.kev, now.osv
    );
    o
}

/// Widest file name column; longer paths keep their end (the file name).
const MAX_NAME_CHARS: usize = 50;

fn short_name(p: &std::path::Path) -> String {
    let s = p.display().to_string();
    let n = s.chars().count();
    if n <= MAX_NAME_CHARS {
        return s;
    }
    let tail: String = s.chars().skip(n - (MAX_NAME_CHARS - 1)).collect();
    format!("…{tail}")
}

pub(crate) fn matches_table(id: &Identity, found: &[VulnMatch]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "identity:");
    for c in &id.cpes {
        let _ = writeln!(o, "  {c}");
    }
    if found.is_empty() {
        let _ = writeln!(o, "no matches");
        return o;
    }
    for m in found {
        let score = m
            .cvss
            .as_ref()
            .map(|c| c.score.to_string())
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            o,
            "{:<22} {:<8} cvss {:<4} {}{}",
            m.id,
            format!("{:?}", m.certainty).to_lowercase(),
            score,
            if m.kev.is_some() { "KEV " } else { "" },
            m.unknown_reason
                .as_deref()
                .map(|r| format!("({r})"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            o,
            "    configuration {} node {}: {} [{}]",
            m.rule.configuration, m.rule.node, m.rule.criteria, m.rule.range
        );
        for p in &m.platform {
            let _ = writeln!(o, "    and node {}: {} [{}]", p.node, p.criteria, p.range);
        }
    }
    o
}
