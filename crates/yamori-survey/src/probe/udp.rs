//! UDP probes: CoAP `GET /.well-known/core` and a unicast SSDP M-SEARCH.

use std::net::SocketAddr;

use super::{banner_text, Ctx};
use crate::model::{Protocol, Service};
use crate::net::ProbeError;
use crate::proto::{coap, ssdp};

/// `Err(Timeout)` when nothing answered (the port counts as closed/filtered).
pub(super) async fn probe(
    ctx: &Ctx,
    addr: SocketAddr,
    svc: &mut Service,
) -> Result<(), ProbeError> {
    match svc.protocol {
        Protocol::Coap => {
            let mid = u16::from(addr.ip().to_string().len() as u8) ^ 0x5a5a;
            let req = coap::well_known_core(mid, [0x59, 0x4d]);
            let reply = ctx
                .guard
                .udp_exchange(addr, &req, "coap GET /.well-known/core", &mut svc.evidence)
                .await?
                .ok_or(ProbeError::Timeout { what: "coap" })?;
            match coap::parse(&reply) {
                Ok(m) => {
                    svc.fields.insert("coap_code".into(), m.code);
                    let links = banner_text(&m.payload[..m.payload.len().min(coap::MAX_LINKS)]);
                    if !links.is_empty() {
                        svc.fields.insert("coap_links".into(), links);
                    }
                }
                Err(detail) => {
                    svc.fields
                        .insert("error".into(), format!("coap: malformed reply: {detail}"));
                }
            }
            Ok(())
        }
        Protocol::Ssdp => {
            let req = ssdp::m_search(&addr.ip().to_string(), addr.port(), &ctx.user_agent);
            let reply = ctx
                .guard
                .udp_exchange(addr, &req, "ssdp M-SEARCH unicast", &mut svc.evidence)
                .await?
                .ok_or(ProbeError::Timeout { what: "ssdp" })?;
            svc.banner = banner_text(&reply);
            match ssdp::parse_reply(&reply) {
                Some(fields) => {
                    for (k, v) in fields {
                        svc.fields.insert(k.into(), v);
                    }
                }
                None => {
                    svc.fields
                        .insert("error".into(), "ssdp: reply is not an HTTP 200".into());
                }
            }
            Ok(())
        }
        _ => Err(ProbeError::Timeout {
            what: "udp (no probe for this port)",
        }),
    }
}
