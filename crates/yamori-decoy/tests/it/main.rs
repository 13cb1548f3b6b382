//! Integration tests of yamori-decoy: scripted bot sessions over real sockets on loopback
//! (`mirai`), the limits (`limits`), arbitrary input to the synchronous parts (`robustness`).

mod limits;
mod mirai;
mod robustness;
mod support;
