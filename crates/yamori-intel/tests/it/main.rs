//! Integration tests of yamori-intel (one binary, see the workspace brief).

mod corpus;
mod fuzz;
mod markings;
mod oasis;
mod sample;
mod sharing;
mod spec_conformance;
mod survey;
mod telescope;
