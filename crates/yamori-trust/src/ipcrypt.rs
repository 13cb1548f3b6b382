//! ipcrypt-pfx: the prefix-preserving mode of the IETF ipcrypt draft (draft-denis-ipcrypt),
//! offered beside [`crate::cryptopan`] for peers that expect it. Like Crypto-PAn it keeps
//! shared prefixes shared and is reversible by the key holder; unlike it, it is specified with
//! test vectors by a living standard and encodes IPv4 as IPv4-mapped IPv6 internally.
//!
//! The scheme comes from `ipcrypt-rs` (by the draft's author); this module only turns its
//! panic on a degenerate key (both 16-byte halves equal) into an error value.

use std::net::IpAddr;

/// Bytes of an ipcrypt-pfx key: two independent AES-128 keys.
pub const KEY_LEN: usize = 32;

/// A keyed ipcrypt-pfx map.
pub struct IpcryptPfx(ipcrypt_rs::IpcryptPfx);

impl std::fmt::Debug for IpcryptPfx {
    /// Never prints key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IpcryptPfx { .. }")
    }
}

/// An unusable ipcrypt-pfx key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PfxKeyError {
    #[error("an ipcrypt-pfx key is {KEY_LEN} bytes, got {0}")]
    Length(usize),
    #[error("the two 16-byte halves of an ipcrypt-pfx key must differ")]
    EqualHalves,
}

impl IpcryptPfx {
    pub fn new(key: &[u8]) -> Result<IpcryptPfx, PfxKeyError> {
        let key: [u8; KEY_LEN] = key.try_into().map_err(|_| PfxKeyError::Length(key.len()))?;
        if key[..16] == key[16..] {
            return Err(PfxKeyError::EqualHalves);
        }
        Ok(IpcryptPfx(ipcrypt_rs::IpcryptPfx::new(key)))
    }

    pub fn anonymize(&self, addr: IpAddr) -> IpAddr {
        self.0.encrypt_ipaddr(addr)
    }

    /// The original address of a pseudonym made with the same key.
    pub fn deanonymize(&self, pseudonym: IpAddr) -> IpAddr {
        self.0.decrypt_ipaddr(pseudonym)
    }
}
