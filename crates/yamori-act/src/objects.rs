//! The selected objects' JSON texts, kept for the STIX bundle.
//!
//! A million indicators' texts are most of the memory an export uses, and the time of a
//! bundle export went largely to holding them: two allocations per object and an ordered map
//! insert, done once by the worker and again when the merger moved the object into the
//! whole selection's map. Here texts are appended to chunks (one allocation per few
//! thousand objects), merging moves whole chunks, and the id order the bundle is written in
//! is a sort of borrowed slices, once, at the end.

use std::ops::Range;

/// Bytes of text a chunk takes before a new one is started.
const CHUNK_BYTES: usize = 1 << 20;

/// Per object: its id's and its text's bytes in a buffer.
pub(crate) type Spans = Vec<(Range<usize>, Range<usize>)>;

/// Object texts in the order they were added, each with its id.
#[derive(Default)]
pub struct Objects {
    chunks: Vec<Chunk>,
    len: usize,
}

#[derive(Default)]
struct Chunk {
    text: String,
    /// Where each object is in `text`.
    spans: Spans,
}

impl Objects {
    /// Adds `body` (the object's whole text) under `id`. A later copy of an id replaces an
    /// earlier one in [`Objects::by_id`].
    pub fn push(&mut self, id: &str, body: &str) {
        let room = self
            .chunks
            .last()
            .is_some_and(|c| c.text.len() + id.len() + body.len() <= c.text.capacity());
        if !room {
            self.chunks.push(Chunk {
                text: String::with_capacity(CHUNK_BYTES.max(id.len() + body.len())),
                spans: Vec::new(),
            });
        }
        let Some(c) = self.chunks.last_mut() else {
            return;
        };
        let id_start = c.text.len();
        c.text.push_str(id);
        let body_start = c.text.len();
        c.text.push_str(body);
        c.spans
            .push((id_start..body_start, body_start..c.text.len()));
        self.len += 1;
    }

    /// Takes `text` as a chunk whose objects are at `spans` (id bytes, text bytes), in the
    /// order they were read; `text` may hold other bytes besides (objects not kept).
    pub(crate) fn adopt(&mut self, text: String, spans: Spans) {
        if spans.is_empty() {
            return;
        }
        self.len += spans.len();
        self.chunks.push(Chunk { text, spans });
    }

    /// Appends another run of objects, which came after these: its copies replace these'.
    pub fn append(&mut self, other: Objects) {
        self.len += other.len;
        self.chunks.extend(other.chunks);
    }

    /// Objects added, copies of one id included.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `(id, body)` by id in byte order, one per id: the one added last.
    pub fn by_id(&self) -> Vec<(&str, &str)> {
        let mut all: Vec<(&str, &str)> = self
            .chunks
            .iter()
            .flat_map(|c| {
                c.spans.iter().map(|(id, body)| {
                    (
                        c.text.get(id.clone()).unwrap_or(""),
                        c.text.get(body.clone()).unwrap_or(""),
                    )
                })
            })
            .collect();
        // Stable: copies of one id stay in the order they were added, and the last is kept.
        all.sort_by(|a, b| a.0.cmp(b.0));
        let mut out: Vec<(&str, &str)> = Vec::with_capacity(all.len());
        for o in all {
            match out.last_mut() {
                Some(last) if last.0 == o.0 => *last = o,
                _ => out.push(o),
            }
        }
        out
    }
}

impl PartialEq for Objects {
    fn eq(&self, other: &Self) -> bool {
        self.by_id() == other.by_id()
    }
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.by_id()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_come_out_by_id_with_the_last_copy_kept_across_chunks() {
        let mut a = Objects::default();
        a.push("b", "{\"v\":1}");
        a.push("a", "{\"v\":1}");
        let mut b = Objects::default();
        // Larger than a chunk: a chunk of its own.
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(CHUNK_BYTES));
        b.push("c", &big);
        b.push("b", "{\"v\":2}");
        a.append(b);
        a.push("a", "{\"v\":3}");
        assert_eq!(a.len(), 5);
        assert_eq!(
            a.by_id(),
            [("a", "{\"v\":3}"), ("b", "{\"v\":2}"), ("c", big.as_str())]
        );
    }
}
