//! yamori-sensor: the kernel filter against known frames, the ring's block layout, and the
//! minute windows. The live ring itself is tested end to end by the binary's
//! `sensor_e2e` (a namespace, a veth pair and tcpreplay).

mod block;
mod bpf;
mod frames;
mod minute;
