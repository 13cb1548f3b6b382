//! Crypto-PAn: prefix-preserving pseudonymisation of IPv4 and IPv6 addresses (Xu, Fan, Ammar,
//! Moon, "Prefix-Preserving IP Address Anonymization", ICNP 2002).
//!
//! Two addresses that share exactly their first `k` bits map to two addresses that share
//! exactly their first `k` bits, so subnets stay subnets and shared data keeps its structure.
//! The map is one-to-one and keyed: whoever holds the key can reverse it
//! ([`CryptoPan::deanonymize`]), and it is pseudonymisation, not anonymisation — an attacker who
//! knows some plaintext/pseudonym pairs learns the pseudonyms of their prefixes (Brekne & Årnes
//! 2005; Coull et al., NDSS 2007). Use one key per recipient group and never pseudonymise the
//! indicators a partner must act on. Key handling: docs/TRUST.md.
//!
//! The scheme: the 32-byte key is an AES-128 key `K` (bytes 0–15) and a pad seed (16–31);
//! `pad = AES_K(seed)`. Bit `i` of the one-time pad for address `a` is the most significant bit
//! of `AES_K(first i bits of a ‖ the rest of pad)`, and the pseudonym is `a XOR` that pad. IPv4
//! addresses occupy the block's first 32 bits; IPv6 the whole block (as the reference
//! implementation and `yacryptopan` do).
//!
//! Written here rather than taken from a crate: the crates found on crates.io either wrap
//! OpenSSL (`cryptopan`/cryptoPAn-rs, a system library the workspace does not otherwise need)
//! or carry it inside a packet toolkit; the scheme is ~40 lines over the `aes` crate's block
//! cipher, and the reference vectors pin it down (tests in `tests/it/cryptopan.rs`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes::Aes128;

/// Bytes of a Crypto-PAn key: 16 of AES-128 key, 16 of pad seed.
pub const KEY_LEN: usize = 32;

/// A keyed Crypto-PAn map.
#[derive(Clone)]
pub struct CryptoPan {
    cipher: Aes128,
    /// `AES_K(seed)` as a big-endian integer: the bits that follow the address prefix.
    pad: u128,
}

impl std::fmt::Debug for CryptoPan {
    /// Never prints key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CryptoPan { .. }")
    }
}

/// A key of the wrong length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a Crypto-PAn key is {KEY_LEN} bytes, got {0}")]
pub struct KeyLengthError(pub usize);

impl CryptoPan {
    pub fn new(key: &[u8; KEY_LEN]) -> CryptoPan {
        let mut aes_key = [0u8; 16];
        aes_key.copy_from_slice(&key[..16]);
        let mut seed = [0u8; 16];
        seed.copy_from_slice(&key[16..]);
        let cipher = Aes128::new(&aes_key.into());
        let pad = u128::from_be_bytes(encrypt(&cipher, seed));
        CryptoPan { cipher, pad }
    }

    /// From a key given as a slice (a file's bytes); fails unless it is exactly 32 bytes.
    pub fn from_slice(key: &[u8]) -> Result<CryptoPan, KeyLengthError> {
        let key: &[u8; KEY_LEN] = key.try_into().map_err(|_| KeyLengthError(key.len()))?;
        Ok(CryptoPan::new(key))
    }

    /// The one-time pad for an address of `width` bits, given as the high `width` bits of
    /// `ext`. `known` says how many leading bits of `ext` are final; the pad's bit `i` depends
    /// on the first `i` bits only, which is what makes both directions work bit by bit.
    fn pad_bit(&self, ext: u128, i: u32) -> u128 {
        let prefix = if i == 0 { 0 } else { u128::MAX << (128 - i) };
        let block = (ext & prefix) | (self.pad & !prefix);
        u128::from(encrypt(&self.cipher, block.to_be_bytes())[0] >> 7)
    }

    fn forward(&self, addr: u128, width: u32) -> u128 {
        let ext = addr << (128 - width);
        let mut otp = 0u128;
        for i in 0..width {
            otp = (otp << 1) | self.pad_bit(ext, i);
        }
        addr ^ otp
    }

    fn backward(&self, pseudonym: u128, width: u32) -> u128 {
        // Recover the original bit by bit: bit i of the pad depends on original bits 0..i.
        let shift = 128 - width;
        let mut ext = 0u128;
        for i in 0..width {
            let bit_pos = 127 - i;
            let flip = self.pad_bit(ext, i);
            let bit = ((pseudonym << shift) >> bit_pos) & 1;
            ext |= (bit ^ flip) << bit_pos;
        }
        ext >> shift
    }

    pub fn anonymize_v4(&self, addr: Ipv4Addr) -> Ipv4Addr {
        let out = self.forward(u128::from(u32::from(addr)), 32);
        Ipv4Addr::from(u32::try_from(out).unwrap_or(u32::MAX))
    }

    pub fn anonymize_v6(&self, addr: Ipv6Addr) -> Ipv6Addr {
        Ipv6Addr::from(self.forward(u128::from(addr), 128))
    }

    pub fn anonymize(&self, addr: IpAddr) -> IpAddr {
        match addr {
            IpAddr::V4(a) => IpAddr::V4(self.anonymize_v4(a)),
            IpAddr::V6(a) => IpAddr::V6(self.anonymize_v6(a)),
        }
    }

    /// The original address of a pseudonym made with the same key.
    pub fn deanonymize(&self, pseudonym: IpAddr) -> IpAddr {
        match pseudonym {
            IpAddr::V4(a) => {
                let out = self.backward(u128::from(u32::from(a)), 32);
                IpAddr::V4(Ipv4Addr::from(u32::try_from(out).unwrap_or(u32::MAX)))
            }
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(self.backward(u128::from(a), 128))),
        }
    }
}

fn encrypt(cipher: &Aes128, block: [u8; 16]) -> [u8; 16] {
    let mut b = block.into();
    cipher.encrypt_block(&mut b);
    b.into()
}
