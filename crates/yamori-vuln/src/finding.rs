//! What a match says: the vulnerability, how sure we are, and the rule that matched. This is
//! what `annotate` writes into each `model::Service::vulnerabilities`.

pub use yamori_model::vuln::{Certainty, KevFlag, MatchRule, VulnMatch, MAX_SUMMARY_CHARS};

/// Cut `s` at [`MAX_SUMMARY_CHARS`] characters, marking the cut with `…`.
pub fn summarise(s: &str) -> String {
    match s.char_indices().nth(MAX_SUMMARY_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The order notices and reports use: KEV first, then higher CVSS, then `affected` before
/// `unknown`, then id.
pub fn sort_matches(v: &mut [VulnMatch]) {
    v.sort_by(|a, b| {
        b.kev
            .is_some()
            .cmp(&a.kev.is_some())
            .then_with(|| {
                let s = |m: &VulnMatch| m.cvss.as_ref().map(|c| c.score);
                s(b).cmp(&s(a))
            })
            .then_with(|| a.certainty.cmp(&b.certainty))
            .then_with(|| a.id.cmp(&b.id))
    });
}
