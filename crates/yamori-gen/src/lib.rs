//! Deterministic synthetic darknet traffic with ground truth.
