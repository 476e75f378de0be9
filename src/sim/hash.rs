//! The placement contract's hash: everyone can recompute it with any SHA-1.

use sha1::{Digest, Sha1};

/// Position of a string on the u64 ring: the first 8 bytes of SHA-1 of its UTF-8 bytes,
/// big-endian. Stable by contract, so users can verify any placement by hand.
pub fn pos(s: &str) -> u64 {
    let digest = Sha1::digest(s.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_sha1_prefixes() {
        // SHA-1("") = da39a3ee5e6b4b0d3255bfef95601890afd80709
        assert_eq!(pos(""), 0xda39_a3ee_5e6b_4b0d);
        // SHA-1("abc") = a9993e364706816aba3e25717850c26c9cd0d89d
        assert_eq!(pos("abc"), 0xa999_3e36_4706_816a);
    }
}
