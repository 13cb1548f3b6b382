//! Integration tests for yamori-telescope: one binary, one module per area.

mod attacks;
mod helpers;
mod merge;
mod rules;
mod schema;
