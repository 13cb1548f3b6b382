//! One conformance suite for both engines: each test runs every area on SQLite and on
//! PostgreSQL (a fresh `yamori_test_<random>` database on 127.0.0.1:5432, dropped afterwards).
//! PostgreSQL is required: the suite's point is that both engines behave alike.

mod alerts;
mod analysis;
mod backends;
mod compare;
mod correlation;
mod dashboard;
mod decoy;
mod legacy;
mod quarantine;
mod sensor;
mod sessions;
mod sightings;
mod survey;
mod taxii;
mod vulndb;
