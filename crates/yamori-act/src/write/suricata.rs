//! Suricata: IP reputation for addresses, one DNS rule per listed domain.
//!
//! A directory with `categories.txt` (`1,<list>,<description>`), `<list>.list` (IP
//! reputation: `<address or prefix>,1,<reputation>`) and `<list>.rules`: two rules matching
//! traffic from and to a listed address through `iprep`, and one `dns.query` rule per listed
//! domain (and URL host). Rules take their `sid`s from [`SID_FIRST`]..=[`SID_LAST`], a range
//! kept for Yamori (Suricata leaves 1,000,000–1,999,999 to local rules); domains beyond the
//! range are skipped with a reason. Reputation is the score scaled to Suricata's 1–127.
//! suricata.yaml: `reputation-categories-file: <dir>/categories.txt`,
//! `reputation-files: [<dir>/<list>.list]`, `rule-files: [<dir>/<list>.rules]`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::observable::{Observable, UrlHost};
use crate::select::{Entry, Skips};

use super::{distinct, Error, File, Options, Written};

/// First sid of Yamori's rules (see the module's doc).
pub const SID_FIRST: u32 = 1_977_000;
/// Last sid of Yamori's rules.
pub const SID_LAST: u32 = 1_977_999;
/// The reputation category of the list (Suricata allows ids up to 60).
const CATEGORY: u8 = 1;
/// Reputation of an entry without a score: listed, middling confidence.
const UNSCORED_REPUTATION: u8 = 64;

pub(super) fn render(entries: &[Entry], opts: &Options) -> Result<(Vec<File>, Written), Error> {
    let mut skips = Skips::default();
    let list = opts.ident();
    let mut ips = Vec::new();
    let mut domains = BTreeSet::new();
    for e in distinct(entries) {
        match &e.observable {
            Observable::Net(n) => ips.push((n.to_string(), reputation(e.score))),
            Observable::Domain(d)
            | Observable::Url {
                host: UrlHost::Domain(d),
                ..
            } => {
                domains.insert(d.clone());
            }
            Observable::Url {
                host: UrlHost::Ip(a),
                ..
            } => ips.push((ipnet::IpNet::from(*a).to_string(), reputation(e.score))),
        }
    }
    ips.sort();
    ips.dedup_by(|a, b| a.0 == b.0);
    let collection = opts.collection.replace(['\n', '\r', ',', '"', ';'], " ");
    let categories = format!("{CATEGORY},{list},Yamori list from collection {collection}\n");
    let mut reputation_list = String::with_capacity(ips.len() * 24);
    for (ip, rep) in &ips {
        // Writing to a String cannot fail.
        let _ = writeln!(reputation_list, "{ip},{CATEGORY},{rep}");
    }
    let mut sid = SID_FIRST;
    let mut rules = String::new();
    for (dir_word, side) in [("from", "src"), ("to", "dst")] {
        rules.push_str(&format!(
            "alert ip any any -> any any (msg:\"Yamori {list}: traffic {dir_word} a listed address\"; \
             iprep:{side},{list},>,0; sid:{sid}; rev:1;)\n"
        ));
        sid += 1;
    }
    let mut domain_rules = 0u64;
    for d in &domains {
        if sid > SID_LAST {
            skips.push(
                d,
                "format",
                format!("sid range {SID_FIRST}-{SID_LAST} is full"),
            );
            continue;
        }
        // `dotprefix` + `endswith`: the name and every name below it, not `xbad.example`.
        rules.push_str(&format!(
            "alert dns any any -> any any (msg:\"Yamori {list}: DNS query for {d}\"; \
             dns.query; dotprefix; content:\".{d}\"; nocase; endswith; sid:{sid}; rev:1;)\n"
        ));
        sid += 1;
        domain_rules += 1;
    }
    let mut written = Written {
        skips,
        ..Written::default()
    };
    let files = vec![
        File::text("categories.txt", categories),
        File::text(&format!("{list}.list"), reputation_list),
        File::text(&format!("{list}.rules"), rules),
    ];
    written.files = files.iter().map(|f| f.name.clone()).collect();
    written
        .counts
        .insert("reputation_entries", ips.len() as u64);
    written.counts.insert("domain_rules", domain_rules);
    Ok((files, written))
}

/// A 0–100 score as Suricata's 1–127 reputation.
fn reputation(score: Option<u8>) -> u8 {
    match score {
        None => UNSCORED_REPUTATION,
        Some(s) => u8::try_from((u32::from(s.min(100)) * 127).div_ceil(100))
            .unwrap_or(127)
            .max(1),
    }
}
