//! Integration tests for yamori-telescope: one binary, one module per area.

mod attacks;
mod grouping;
mod helpers;
mod invariants;
mod merge;
mod rules;
mod schema;
