//! Link → IP → transport decoding behind [`crate::decode`]. (Being written: see the wire helper task.)
use crate::{DecodeError, LinkType, Packet};

pub(crate) fn decode(link: LinkType, _ts_ns: u64, _frame: &[u8]) -> Result<Packet, DecodeError> {
    Err(DecodeError::UnsupportedLinkType(link.0))
}
