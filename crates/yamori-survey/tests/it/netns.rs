//! Network-namespace lab: see tests/lab/README.md. Filled in below.
