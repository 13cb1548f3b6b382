//! Integration tests of yamori-intel (one binary, see the workspace brief).

mod corpus;
mod fuzz;
mod markings;
mod oasis;
mod sample;
mod survey;
mod telescope;
