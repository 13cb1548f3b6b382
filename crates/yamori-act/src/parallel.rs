//! Selection spread over threads: the caller's thread runs the source (the store's page
//! reads) and hands the objects over in batches through a bounded channel; workers select
//! each batch on their own; a merger puts the batches' results back in the order the source
//! gave them. Selection of one object depends on nothing but the object and the criteria,
//! and the merge keeps the source's order, so the result is exactly the one-thread result:
//! same entries in the same order before the final sort, same skips listed, the last copy of
//! an object kept — the export's bytes do not depend on the number of threads.

use std::collections::BTreeMap;

use crossbeam_channel::bounded;

use crate::select::{Criteria, Kept, Scorer, Selected, Selection};

/// Objects handed to a worker at once: enough that the channel's cost per object is small,
/// few enough that a batch (about a megabyte of JSON) is spread evenly over the workers.
pub const BATCH_OBJECTS: usize = 1024;

/// Batches in flight per worker (waiting for a worker, or for the merger): what bounds the
/// memory the pipeline holds beyond the selected entries, whatever the size of the store.
const IN_FLIGHT_PER_WORKER: usize = 4;

/// Most threads that select at once: beyond a few, the single reader of the store is the
/// bottleneck and more threads only add memory.
pub const MAX_WORKERS: usize = 8;

/// The worker count for this machine: its available parallelism, within 1..=[`MAX_WORKERS`].
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, MAX_WORKERS)
}

/// Many objects' JSON texts in one buffer (one allocation a batch, not one an object).
#[derive(Default)]
struct Batch {
    text: String,
    ends: Vec<usize>,
}

impl Batch {
    fn push(&mut self, body: &str) {
        self.text.push_str(body);
        self.ends.push(self.text.len());
    }

    /// Each object's text with where it starts in the buffer.
    fn bodies(&self) -> impl Iterator<Item = (usize, &str)> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| (start, self.text.get(start..end).unwrap_or("")))
    }
}

/// Selects what `source` hands over on `workers` threads (1: on the caller's thread only),
/// with the one-thread result.
pub fn select<T, E>(
    criteria: Criteria,
    scorer: &dyn Scorer,
    keep_objects: bool,
    workers: usize,
    source: impl FnOnce(&mut dyn FnMut(&str)) -> Result<T, E>,
) -> Result<Selected, E> {
    if workers <= 1 {
        let mut selection = Selection::new(criteria, scorer, keep_objects);
        source(&mut |body| selection.push(body))?;
        return Ok(selection.finish());
    }
    let in_flight = workers * IN_FLIGHT_PER_WORKER;
    let (batch_tx, batch_rx) = bounded::<(u64, Batch)>(in_flight);
    let (part_tx, part_rx) = bounded::<(u64, Selected)>(in_flight);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (batch_rx, part_tx, criteria) = (batch_rx.clone(), part_tx.clone(), &criteria);
            scope.spawn(move || {
                for (n, batch) in batch_rx {
                    let mut selection = Selection::new(criteria.clone(), scorer, keep_objects);
                    // Kept objects stay in the batch's buffer, which the selection then owns:
                    // no copy of the texts a bundle export keeps.
                    let mut kept = Kept::default();
                    for (at, body) in batch.bodies() {
                        selection.push_in_buffer(body, at, &mut kept);
                    }
                    selection.adopt_objects(batch.text, kept);
                    // The merger only goes away when every worker has; nothing to do then.
                    if part_tx.send((n, selection.into_unsorted())).is_err() {
                        return;
                    }
                }
            });
        }
        drop((batch_rx, part_tx));
        let merger = scope.spawn(|| {
            let mut all = Selection::new(criteria.clone(), scorer, keep_objects);
            let mut waiting = BTreeMap::new();
            let mut next = 0u64;
            for (n, part) in part_rx {
                waiting.insert(n, part);
                while let Some(part) = waiting.remove(&next) {
                    all.absorb(part);
                    next += 1;
                }
            }
            all
        });
        let mut batch = Batch::default();
        let mut sent = 0u64;
        let mut send = |batch: Batch| {
            // Workers stop only when this sender is dropped (or one panicked, which the
            // scope passes on): a failed send loses nothing that would be used.
            let _ = batch_tx.send((sent, batch));
            sent += 1;
        };
        let read = source(&mut |body| {
            batch.push(body);
            if batch.ends.len() == BATCH_OBJECTS {
                send(std::mem::take(&mut batch));
            }
        });
        if !batch.ends.is_empty() {
            send(batch);
        }
        drop(batch_tx);
        let all = merger
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        read?;
        Ok(all.finish())
    })
}
