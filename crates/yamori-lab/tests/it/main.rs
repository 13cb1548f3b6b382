//! Integration tests for yamori-lab: the network-namespace lab (root only: the suite fails
//! without it, other runs report the skip), which runs this crate's `yamori-lab` binary for
//! the emulators and the survey.

mod netns;
