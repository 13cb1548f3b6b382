//! Protocol modules: pure request builders and reply parsers, one small file per protocol,
//! each with unit tests over crafted banners. The async exchanges live in `crate::probe`.

pub mod coap;
pub mod digest;
pub mod ftp;
pub mod head;
pub mod http;
pub mod modbus;
pub mod mqtt;
pub mod ssdp;
pub mod ssh;
pub mod telnet;
pub mod tls;

#[cfg(test)]
mod props;
