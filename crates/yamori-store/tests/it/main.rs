//! One conformance suite for every backend: each `conformance!` test runs on SQLite and on
//! PostgreSQL (a fresh `yamori_test_<random>` database on 127.0.0.1:5432, dropped afterwards).
//! If PostgreSQL is unreachable the PostgreSQL half fails, unless `YAMORI_SKIP_PG=1`.

mod analysis;
mod backends;
mod dashboard;
mod survey;
mod taxii;
