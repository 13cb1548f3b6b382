//! Choosing what an export lists: STIX indicators in, checked list entries out, and every
//! indicator left out with its reason.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use yamori_trust::warninglist::{ListKind, Warninglists};

use crate::indicator::{Field, Indicator};
use crate::objects::{Objects, Spans};
use crate::observable::{self, Observable, ValueText};
use crate::tlp::Tlp;

/// Most skipped indicators listed one by one in a summary; the rest are counted by reason.
/// A million-row store full of expired indicators must not produce a million-line summary.
pub const MAX_LISTED_SKIPS: usize = 1000;

/// The score an export's `--min-score` compares with.
///
/// The seam for the trust layer: today [`ConfidenceScore`] (the indicator's own STIX
/// `confidence`); a scorer with decayed, source-weighted scores replaces it without touching
/// selection or writers.
pub trait Scorer: Sync {
    /// 0–100, or `None` when the object carries no score.
    fn score(&self, indicator: &Indicator) -> Option<u8>;
}

/// The indicator's STIX `confidence` (0–100).
pub struct ConfidenceScore;

impl Scorer for ConfidenceScore {
    fn score(&self, indicator: &Indicator) -> Option<u8> {
        match indicator.confidence {
            Field::Uint(c) => u8::try_from(c).ok().filter(|c| *c <= 100),
            _ => None,
        }
    }
}

/// What to export.
#[derive(Debug, Clone)]
pub struct Criteria {
    /// The time expiries and ages are measured against (an input, so output is reproducible).
    pub now: OffsetDateTime,
    /// Indicators scoring below this are left out; with 0, unscored indicators are kept.
    pub min_score: u8,
    /// The most permissive marking exported: an object marked above it is left out.
    pub max_tlp: Tlp,
    /// Leave out indicators last modified longer ago than this.
    pub max_age: Option<time::Duration>,
    /// Cyber-observable types kept (`ipv4-addr`, …); empty keeps all.
    pub types: Vec<String>,
    /// Values on these lists (known-benign or noisy: research scanners, public resolvers,
    /// cloud ranges, …) are left out, each counted under `warninglist` with the list's name;
    /// an indicator whose every value is listed is left out. `None`: no lists.
    pub warninglists: Option<Arc<Warninglists>>,
}

/// The name of a list `value` is on, if any: an address or prefix by the `cidr` lists
/// (overlapping either way, see docs/TRUST.md), then, as every value, by the string,
/// substring and regex lists; a name or a URL's host by the `hostname` lists.
fn listed_on<'w>(lists: &'w Warninglists, value: &Observable) -> Option<&'w str> {
    let id = match value {
        Observable::Net(net) => {
            let mut first = None;
            let _ = lists.visit_network(*net, |hit| {
                first = Some(hit.value);
                ControlFlow::Break(())
            });
            first.or_else(|| {
                // The text lists only when there are any: most are `cidr` lists.
                lists
                    .lists()
                    .iter()
                    .any(|l| l.kind != ListKind::Cidr)
                    .then(|| lists.match_value(&value.text()).first().map(|m| m.list))
                    .flatten()
            })
        }
        Observable::Domain(d) => lists.match_value(d).first().map(|m| m.list),
        Observable::Url { url, .. } => lists.match_value(url).first().map(|m| m.list),
    }?;
    lists.list(id).map(|l| l.name.as_str())
}

/// One value to list, with what the writers need of the indicator it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub observable: Observable,
    pub indicator_id: String,
    pub name: Option<String>,
    pub score: Option<u8>,
    /// Unix seconds of `valid_until`; `None`: no expiry.
    pub expires: Option<i64>,
    pub tlp: Tlp,
    /// Unix seconds of `modified` (else `created`).
    pub modified: i64,
}

/// One indicator (or one value of it) left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub id: String,
    /// A short category (`expired`, `score`, `tlp`, …), counted in summaries.
    pub kind: &'static str,
    pub reason: String,
}

/// Skipped values: counts by kind and the first [`MAX_LISTED_SKIPS`] in full.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Skips {
    pub by_kind: BTreeMap<&'static str, u64>,
    pub listed: Vec<Skip>,
}

impl Skips {
    pub fn push(&mut self, id: &str, kind: &'static str, reason: impl Into<String>) {
        *self.by_kind.entry(kind).or_default() += 1;
        if self.listed.len() < MAX_LISTED_SKIPS {
            self.listed.push(Skip {
                id: id.to_string(),
                kind,
                reason: reason.into(),
            });
        }
    }

    pub fn total(&self) -> u64 {
        self.by_kind.values().sum()
    }

    pub fn extend(&mut self, other: Skips) {
        for (k, n) in other.by_kind {
            *self.by_kind.entry(k).or_default() += n;
        }
        let room = MAX_LISTED_SKIPS.saturating_sub(self.listed.len());
        self.listed.extend(other.listed.into_iter().take(room));
    }
}

/// Where the kept objects of one buffer are (see [`Selection::push_in_buffer`]).
#[derive(Default)]
pub(crate) struct Kept {
    spans: Spans,
    /// Ids to append to the buffer, with the object (index in `spans`) they belong to.
    ids_to_append: Vec<(usize, String)>,
}

impl Kept {
    /// The buffer with the escaped ids appended, and every kept object's spans in it.
    fn into_chunk(mut self, mut text: String) -> (String, Spans) {
        for (i, id) in self.ids_to_append {
            let start = text.len();
            text.push_str(&id);
            if let Some(span) = self.spans.get_mut(i) {
                span.0 = start..text.len();
            }
        }
        (text, self.spans)
    }

    fn record(&mut self, id: &str, body: &str, at: usize) {
        let text = at..at + body.len();
        // The id is borrowed from the text unless it had escapes; where it is, is a matter of
        // addresses (no unsafe: they are only compared).
        let offset = (id.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
        if offset <= body.len() && body.len() - offset >= id.len() {
            self.spans.push((at + offset..at + offset + id.len(), text));
        } else {
            self.ids_to_append.push((self.spans.len(), id.to_string()));
            self.spans.push((0..0, text));
        }
    }
}

/// Indicators read so far and what became of them.
pub struct Selection<'a> {
    criteria: Criteria,
    scorer: &'a dyn Scorer,
    keep_objects: bool,
    selected: Selected,
}

/// The outcome of a selection.
#[derive(Debug, Default)]
pub struct Selected {
    /// Objects read.
    pub read: u64,
    /// Indicators with at least one listed value.
    pub indicators: u64,
    /// The values, sorted by value then indicator.
    pub entries: Vec<Entry>,
    /// The selected indicators' JSON text with their ids, for the STIX bundle (kept only
    /// when asked: a million bodies are most of the memory an export would use).
    pub objects: Objects,
    pub skips: Skips,
}

impl<'a> Selection<'a> {
    /// `keep_objects`: keep the selected objects' text (for the STIX bundle).
    pub fn new(criteria: Criteria, scorer: &'a dyn Scorer, keep_objects: bool) -> Self {
        Self {
            criteria,
            scorer,
            keep_objects,
            selected: Selected::default(),
        }
    }

    /// Considers one stored object (its JSON text as stored).
    pub fn push(&mut self, body: &str) {
        self.push_kept(body, None);
    }

    /// [`Selection::push`] of an object whose text lies at byte `at` of a buffer the caller
    /// will hand over with [`Objects::adopt`]: a kept object is recorded in `kept` by where
    /// its id and text are in that buffer instead of being copied. An id that is not a slice
    /// of the text (it had escapes) is handed back in `kept`'s second list, to be appended to
    /// the buffer.
    pub(crate) fn push_in_buffer(&mut self, body: &str, at: usize, kept: &mut Kept) {
        self.push_kept(body, Some((at, kept)));
    }

    fn push_kept(&mut self, body: &str, buffer: Option<(usize, &mut Kept)>) {
        self.selected.read += 1;
        let obj = match Indicator::parse(body) {
            Ok(v) => v,
            Err(e) => {
                return self
                    .selected
                    .skips
                    .push("?", "json", format!("not JSON: {e}"))
            }
        };
        let id = obj.id.as_str().unwrap_or("?");
        match self.check(&obj, id) {
            Ok(entries) if entries.is_empty() => {}
            Ok(entries) => {
                self.selected.entries.extend(entries);
                self.selected.indicators += 1;
                if self.keep_objects {
                    match buffer {
                        None => self.selected.objects.push(id, body),
                        Some((at, kept)) => kept.record(id, body, at),
                    }
                }
            }
            Err((kind, reason)) => self.selected.skips.push(id, kind, reason),
        }
    }

    /// Hands the buffer of [`Selection::push_in_buffer`]'s objects to the kept objects.
    pub(crate) fn adopt_objects(&mut self, text: String, kept: Kept) {
        let (text, spans) = kept.into_chunk(text);
        self.selected.objects.adopt(text, spans);
    }

    /// What was selected so far, in the order objects were pushed (for [`Selection::absorb`]).
    pub fn into_unsorted(self) -> Selected {
        self.selected
    }

    /// Adds what another selection made of the objects that came after this one's: the
    /// result is what this selection would have made of both runs of objects in turn.
    pub fn absorb(&mut self, part: Selected) {
        let s = &mut self.selected;
        s.read += part.read;
        s.indicators += part.indicators;
        s.entries.extend(part.entries);
        // Of two copies of one id the later one is kept, as `push` does.
        s.objects.append(part.objects);
        s.skips.extend(part.skips);
    }

    /// The entries sorted by value then indicator, so output does not depend on store order.
    pub fn finish(mut self) -> Selected {
        self.selected.entries.sort_by(|a, b| {
            (&a.observable, &a.indicator_id).cmp(&(&b.observable, &b.indicator_id))
        });
        self.selected
    }

    fn check(&mut self, obj: &Indicator, id: &str) -> Result<Vec<Entry>, (&'static str, String)> {
        let c = &self.criteria;
        if obj.kind.as_str() != Some("indicator") {
            return Err(("type", "not an indicator".into()));
        }
        if obj.revoked == Field::Bool(true) {
            return Err(("revoked", "revoked".into()));
        }
        let tlp = obj.tlp();
        if tlp > c.max_tlp {
            return Err((
                "tlp",
                format!(
                    "marked {} (exporting up to {})",
                    tlp.name(),
                    c.max_tlp.name()
                ),
            ));
        }
        let now = c.now.unix_timestamp();
        let expires = timestamp(&obj.valid_until, "valid_until")?;
        if let Some(until) = expires {
            if until <= now {
                return Err((
                    "expired",
                    format!("valid_until {}", obj.valid_until.as_str().unwrap_or("")),
                ));
            }
        }
        if let Some(from) = timestamp(&obj.valid_from, "valid_from")? {
            if from > now {
                return Err((
                    "not-yet-valid",
                    format!("valid_from {}", obj.valid_from.as_str().unwrap_or("")),
                ));
            }
        }
        let modified = match timestamp(&obj.modified, "modified")? {
            Some(m) => m,
            None => {
                timestamp(&obj.created, "created")?.ok_or(("field", "no created".to_string()))?
            }
        };
        if let Some(max_age) = c.max_age {
            if now - modified > max_age.whole_seconds() {
                return Err(("age", format!("last modified {}s ago", now - modified)));
            }
        }
        let score = self.scorer.score(obj);
        if c.min_score > 0 {
            match score {
                None => return Err(("score", "no score (confidence)".into())),
                Some(s) if s < c.min_score => {
                    return Err(("score", format!("score {s} below {}", c.min_score)))
                }
                Some(_) => {}
            }
        }
        if obj.pattern_type.as_str() != Some("stix") {
            return Err(("pattern", "pattern_type is not stix".into()));
        }
        let pattern = obj
            .pattern
            .as_str()
            .ok_or(("pattern", "no pattern".to_string()))?;
        yamori_intel::validate::pattern::check(pattern)
            .map_err(|e| ("pattern", format!("invalid pattern: {e}")))?;
        let comparisons = crate::pattern::literal_values(pattern)
            .map_err(|e| ("pattern", format!("pattern {e}")))?;
        let name = obj.name.as_str().map(str::to_string);
        let mut entries = Vec::new();
        let mut filtered = 0;
        for cmp in comparisons {
            if !c.types.is_empty() && !c.types.iter().any(|t| t == cmp.object_type) {
                filtered += 1;
                continue;
            }
            match observable::parse(cmp.object_type, &cmp.value) {
                Ok(observable) => {
                    let listed = c
                        .warninglists
                        .as_deref()
                        .and_then(|w| listed_on(w, &observable));
                    if let Some(list) = listed {
                        self.selected.skips.push(
                            id,
                            "warninglist",
                            format!("{} is on warninglist {list}", ValueText(&observable)),
                        );
                        continue;
                    }
                    entries.push(Entry {
                        observable,
                        indicator_id: id.to_string(),
                        name: name.clone(),
                        score,
                        expires,
                        tlp,
                        modified,
                    });
                }
                // One bad value does not hide the indicator's good ones.
                Err(e) => self.selected.skips.push(id, "value", e),
            }
        }
        if entries.is_empty() && filtered > 0 {
            return Err(("type", "no value of the selected types".into()));
        }
        Ok(entries)
    }
}

/// Unix seconds of an RFC 3339 field, `None` when absent.
fn timestamp(value: &Field, field: &str) -> Result<Option<i64>, (&'static str, String)> {
    match value {
        Field::Absent | Field::Null => Ok(None),
        Field::Str(s) => OffsetDateTime::parse(s, &Rfc3339)
            .map(|t| Some(t.unix_timestamp()))
            .map_err(|e| ("field", format!("{field} `{s}`: {e}"))),
        _ => Err(("field", format!("{field} is not a string"))),
    }
}
