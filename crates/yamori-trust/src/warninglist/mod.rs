//! Warninglists: lists of known-benign or known-noisy values (research scanners, cloud
//! ranges, public resolvers, top sites) in the MISP warninglists format. A match marks an
//! indicator; it never deletes it (exports skip marked indicators, the dashboard labels them).
//!
//! [`WarningList::from_json`] reads one list; [`Warninglists`] holds many and answers, for an
//! address or prefix ([`Warninglists::match_network`]) or any observable value
//! ([`Warninglists::match_value`]), which lists match it and how. Semantics in docs/TRUST.md.

mod format;
mod prefix;

use std::collections::HashMap;
use std::ops::ControlFlow;

use aho_corasick::AhoCorasick;
use ipnet::IpNet;
use regex::RegexSet;

pub use format::{
    parse_network, regex_pattern, Entries, ListError, ListKind, WarningList, MAX_ENTRIES,
    MAX_ENTRY_LEN, MAX_REGEX_SIZE,
};
pub use prefix::{PrefixHit, PrefixSet, Relation};

/// Where the store keeps imported lists: one key/value entry per list,
/// `warninglist.<name>`, holding the list's JSON as imported.
pub const STORE_KEY_PREFIX: &str = "warninglist.";

/// A key/value entry counting imports (`Store::kv_count_up`), so a cache of something derived
/// from the lists (the hub's feeds) knows they changed without reading them.
pub const STORE_IMPORTS_KEY: &str = "warninglists.imports";

/// The lists from the store's entries under [`STORE_KEY_PREFIX`] (key, JSON text); a list
/// that no longer reads is an error naming its key.
pub fn from_stored(entries: Vec<(String, String)>) -> Result<Vec<WarningList>, ListError> {
    entries
        .into_iter()
        .map(|(key, text)| WarningList::from_json(text.as_bytes(), &format!("stored {key}")))
        .collect()
}

/// Index of a list in a [`Warninglists`], in the order the lists were added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListId(pub u32);

/// What a list is, without its entries.
#[derive(Debug, Clone, PartialEq)]
pub struct ListInfo {
    pub name: String,
    pub version: u64,
    pub description: String,
    pub kind: ListKind,
    pub matching_attributes: Vec<String>,
    pub category: Option<String>,
    pub entries: usize,
}

impl ListInfo {
    /// Whether the list names scanners (an address list whose name or description says
    /// "scan", as MISP's `*-scanning` lists of research scanners do: "Censys IP Ranges Used
    /// for Scanning"): a scanner the telescope sees in it is a known, benign one.
    pub fn lists_scanners(&self) -> bool {
        self.kind == ListKind::Cidr
            && (self.name.to_ascii_lowercase().contains("scan")
                || self.description.to_ascii_lowercase().contains("scan"))
    }
}

/// One list matching a value, with the entry that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub list: ListId,
    /// The listed entry (a prefix, a hostname, a string, a pattern).
    pub entry: String,
    /// For `cidr` lists, how the listed prefix relates to the value; `None` for other kinds.
    pub relation: Option<Relation>,
}

/// Many lists, indexed for matching. Built once from all lists ([`Warninglists::new`]); to
/// change the lists, build a new one.
#[derive(Debug)]
pub struct Warninglists {
    lists: Vec<ListInfo>,
    networks: PrefixSet<ListId>,
    /// Hostname → lists naming it.
    hostnames: HashMap<String, Vec<ListId>>,
    /// Exact string → lists naming it.
    strings: HashMap<String, Vec<ListId>>,
    substrings: Vec<(ListId, AhoCorasick, Vec<String>)>,
    regexes: Vec<(ListId, RegexSet)>,
}

impl Default for Warninglists {
    /// No lists: nothing matches.
    fn default() -> Self {
        Warninglists {
            lists: Vec::new(),
            networks: PrefixSet::new(std::iter::empty()),
            hostnames: HashMap::new(),
            strings: HashMap::new(),
            substrings: Vec::new(),
            regexes: Vec::new(),
        }
    }
}

impl Warninglists {
    /// Indexes `lists`; list ids are their positions. Fails only for a `regex` list whose
    /// patterns the `regex` crate cannot compile (PCRE look-around, back-references) or that
    /// exceed [`MAX_REGEX_SIZE`]; the error names the list and the pattern.
    pub fn new(lists: impl IntoIterator<Item = WarningList>) -> Result<Warninglists, ListError> {
        let mut all = Warninglists::default();
        let mut networks = Vec::new();
        for list in lists {
            all.add(list, &mut networks)?;
        }
        all.networks = PrefixSet::new(networks);
        Ok(all)
    }

    fn add(
        &mut self,
        list: WarningList,
        networks: &mut Vec<(IpNet, ListId)>,
    ) -> Result<ListId, ListError> {
        let id = ListId(u32::try_from(self.lists.len()).unwrap_or(u32::MAX));
        let fail = |pointer: String, message: String| ListError {
            origin: list.name.clone(),
            pointer,
            message,
        };
        match (&list.kind, &list.entries) {
            (_, Entries::Networks(nets)) => networks.extend(nets.iter().map(|n| (*n, id))),
            (ListKind::Hostname, Entries::Texts(t)) => {
                for h in t {
                    self.hostnames.entry(h.clone()).or_default().push(id);
                }
            }
            (ListKind::String, Entries::Texts(t)) => {
                for s in t {
                    self.strings.entry(s.clone()).or_default().push(id);
                }
            }
            (ListKind::Substring, Entries::Texts(t)) => {
                if !t.is_empty() {
                    let automaton = AhoCorasick::new(t)
                        .map_err(|e| fail("/list".into(), format!("substring automaton: {e}")))?;
                    self.substrings.push((id, automaton, t.clone()));
                }
            }
            (ListKind::Regex, Entries::Texts(t)) => {
                // Compile each pattern alone first, so an error names the entry.
                for (i, p) in t.iter().enumerate() {
                    regex::RegexBuilder::new(p)
                        .size_limit(MAX_REGEX_SIZE)
                        .build()
                        .map_err(|e| fail(format!("/list/{i}"), format!("pattern: {e}")))?;
                }
                if !t.is_empty() {
                    let set = regex::RegexSetBuilder::new(t)
                        .size_limit(MAX_REGEX_SIZE)
                        .build()
                        .map_err(|e| fail("/list".into(), format!("patterns: {e}")))?;
                    self.regexes.push((id, set));
                }
            }
            (ListKind::Cidr, Entries::Texts(_)) => {}
        }
        self.lists.push(ListInfo {
            name: list.name.clone(),
            version: list.version,
            description: list.description.clone(),
            kind: list.kind,
            matching_attributes: list.matching_attributes.clone(),
            category: list.category.clone(),
            entries: list.entries.len(),
        });
        Ok(id)
    }

    pub fn lists(&self) -> &[ListInfo] {
        &self.lists
    }

    pub fn list(&self, id: ListId) -> Option<&ListInfo> {
        self.lists.get(id.0 as usize)
    }

    /// Calls `f` for each listed prefix overlapping `net` (containing it, equal to it, or
    /// inside it) until `f` breaks; containing prefixes come first, the most specific first.
    pub fn visit_network(
        &self,
        net: IpNet,
        f: impl FnMut(PrefixHit<ListId>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        self.networks.visit(net, f)
    }

    /// Whether any `cidr` list overlaps `net` (the fast question exports ask).
    pub fn network_listed(&self, net: IpNet) -> bool {
        self.visit_network(net, |_| ControlFlow::Break(()))
            .is_break()
    }

    /// Every `cidr` list entry overlapping `net`.
    pub fn match_network(&self, net: IpNet) -> Vec<Match> {
        let mut out = Vec::new();
        let _ = self.visit_network(net, |hit| {
            out.push(Match {
                list: hit.value,
                entry: hit.listed.to_string(),
                relation: Some(hit.relation),
            });
            ControlFlow::Continue(())
        });
        out
    }

    /// Every list matching an observable's value: an address or prefix is matched against
    /// `cidr` lists; a hostname, or the host of a URL, against `hostname` lists (the name and
    /// each parent domain); every value against `string` (exact), `substring` and `regex`
    /// lists.
    pub fn match_value(&self, value: &str) -> Vec<Match> {
        let mut out = Vec::new();
        let trimmed = value.trim();
        if let Some(net) = parse_network(trimmed) {
            out.extend(self.match_network(net));
        }
        if let Some(host) = host_of(trimmed) {
            // Each suffix at a label boundary, the whole name first.
            let mut rest = host.as_str();
            loop {
                if let Some(ids) = self.hostnames.get(rest) {
                    out.extend(ids.iter().map(|&list| Match {
                        list,
                        entry: rest.to_string(),
                        relation: None,
                    }));
                }
                match rest.split_once('.') {
                    Some((_, parent)) => rest = parent,
                    None => break,
                }
            }
        }
        if let Some(ids) = self.strings.get(value) {
            out.extend(ids.iter().map(|&list| Match {
                list,
                entry: value.to_string(),
                relation: None,
            }));
        }
        for (list, automaton, entries) in &self.substrings {
            if let Some(m) = automaton.find(value) {
                out.push(Match {
                    list: *list,
                    entry: entries[m.pattern().as_usize()].clone(),
                    relation: None,
                });
            }
        }
        for (list, set) in &self.regexes {
            if let Some(i) = set.matches(value).into_iter().next() {
                out.push(Match {
                    list: *list,
                    entry: set.patterns()[i].clone(),
                    relation: None,
                });
            }
        }
        out
    }
}

/// The host a value names, lower case without a trailing dot: the value itself for a bare
/// name, the authority's host for a URL (`scheme://user@host:port/path`). `None` for an empty
/// host or an address.
fn host_of(value: &str) -> Option<String> {
    let after_scheme = value.split_once("//").map_or(value, |(_, rest)| rest);
    let authority = after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host_port,
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() || host.contains(':') {
        return None;
    }
    Some(host)
}
