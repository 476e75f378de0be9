//! The byte layer of shareable links: base64url, a small LZ77 compressor, CRC-32, and a
//! varint reader/writer. Hand-written (a few hundred bytes of wasm) instead of pulling in
//! base64/flate crates, which would cost the bundle budget more than the whole feature.
//! Every decoder here is total: any input gives `Ok` or a short error, never a panic.

/// The link format this build writes and reads.
pub const LINK_VERSION: u8 = 1;

/// Why bytes could not be read back. The messages are what the page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// The link ends early.
    Truncated,
    /// A character outside base64url, a bad back-reference, a checksum mismatch.
    Corrupted,
    /// Decodes to more than the caller's limit.
    TooLarge,
    /// Written by a newer (or unknown) format version.
    Version(u8),
    /// Well-formed bytes whose content is wrong (a refused command, a bad scenario).
    Invalid(String),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::Truncated => f.write_str("link is truncated"),
            LinkError::Corrupted => f.write_str("checksum mismatch: the link is corrupted"),
            LinkError::TooLarge => f.write_str("link is too large"),
            LinkError::Version(v) => write!(
                f,
                "unsupported link version {v}; this build reads {}",
                LINK_VERSION
            ),
            LinkError::Invalid(m) => write!(f, "link is invalid: {m}"),
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (safe in a URL fragment as is).
pub fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Inverse of [`b64_encode`]; also accepts `+` `/` and trailing `=` (a pasted standard
/// base64 link still opens).
pub fn b64_decode(text: &str) -> Result<Vec<u8>, LinkError> {
    let text = text.trim_end_matches('=').as_bytes();
    if text.len() % 4 == 1 {
        return Err(LinkError::Truncated);
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'-' | b'+' => 62,
                b'_' | b'/' => 63,
                _ => return Err(LinkError::Corrupted),
            };
            n |= (v as u32) << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

/// CRC-32 (IEEE, as in zip and PNG), bit by bit: links are small, code size matters more.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// Appends an unsigned LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads fields from a byte slice; running off the end is [`LinkError::Truncated`].
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Starts at the first byte.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// How many bytes have been read (to keep a section verbatim).
    pub fn position(&self) -> usize {
        self.at
    }

    /// True when every byte has been read.
    pub fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let s = self.bytes.get(self.at..).unwrap_or_default();
        self.at = self.bytes.len();
        s
    }

    /// One byte.
    pub fn byte(&mut self) -> Result<u8, LinkError> {
        let b = *self.bytes.get(self.at).ok_or(LinkError::Truncated)?;
        self.at += 1;
        Ok(b)
    }

    /// `n` raw bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], LinkError> {
        let end = self.at.checked_add(n).ok_or(LinkError::Truncated)?;
        let s = self.bytes.get(self.at..end).ok_or(LinkError::Truncated)?;
        self.at = end;
        Ok(s)
    }

    /// An unsigned LEB128 varint (at most 10 bytes; overlong is corrupted).
    pub fn varint(&mut self) -> Result<u64, LinkError> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err(LinkError::Corrupted);
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(LinkError::Corrupted)
    }

    /// A varint that must be at most `max` (counts, ids); larger is invalid.
    pub fn bounded(&mut self, max: u64, what: &str) -> Result<u64, LinkError> {
        let v = self.varint()?;
        if v > max {
            return Err(LinkError::Invalid(format!("{what} {v} is over {max}")));
        }
        Ok(v)
    }

    /// A little-endian f64.
    pub fn f64(&mut self) -> Result<f64, LinkError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }

    /// A length-prefixed UTF-8 string.
    pub fn str(&mut self) -> Result<String, LinkError> {
        let n = self.varint()?;
        let n = usize::try_from(n).map_err(|_| LinkError::Truncated)?;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| LinkError::Invalid("text is not UTF-8".into()))
    }
}

/// Appends a length-prefixed string (the inverse of [`Reader::str`]).
pub fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

const MIN_MATCH: usize = 3;
const WINDOW: usize = 1 << 16;
const HASH_BITS: u32 = 13;
const MAX_CHAIN: usize = 48;

fn hash3(b: &[u8]) -> usize {
    let v = (b[0] as u32) | (b[1] as u32) << 8 | (b[2] as u32) << 16;
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// LZ77 with hash chains. The stream is a series of varint tokens: even `2(n-1)` is a run of
/// `n` literal bytes that follow; odd `2(len-3)+1` is a copy of `len` bytes from a varint
/// distance back. No entropy coding, so scenario JSON (mostly distinct narration text) shrinks
/// by only 20–40%; repeated structure (ring commands, key names) by much more.
pub fn compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 2 + 8);
    let mut head = vec![usize::MAX; 1 << HASH_BITS];
    let mut prev = vec![usize::MAX; input.len()];
    let mut lit_start = 0;
    let mut i = 0;
    let flush = |out: &mut Vec<u8>, from: usize, to: usize| {
        if to > from {
            put_varint(out, 2 * (to - from - 1) as u64);
            out.extend_from_slice(&input[from..to]);
        }
    };
    let insert = |head: &mut Vec<usize>, prev: &mut Vec<usize>, p: usize| {
        if p + MIN_MATCH <= input.len() {
            let h = hash3(&input[p..]);
            prev[p] = head[h];
            head[h] = p;
        }
    };
    while i < input.len() {
        let (mut best_len, mut best_dist) = (0, 0);
        if i + MIN_MATCH <= input.len() {
            let mut cand = head[hash3(&input[i..])];
            let mut chain = 0;
            while cand != usize::MAX && i - cand <= WINDOW && chain < MAX_CHAIN {
                let len = input[cand..]
                    .iter()
                    .zip(&input[i..])
                    .take_while(|(a, b)| a == b)
                    .count();
                if len > best_len {
                    best_len = len;
                    best_dist = i - cand;
                }
                cand = prev[cand];
                chain += 1;
            }
        }
        let cost = varint_len(2 * best_len.saturating_sub(MIN_MATCH) as u64 + 1)
            + varint_len(best_dist as u64);
        if best_len >= MIN_MATCH && cost < best_len {
            flush(&mut out, lit_start, i);
            put_varint(&mut out, 2 * (best_len - MIN_MATCH) as u64 + 1);
            put_varint(&mut out, best_dist as u64);
            for p in i..i + best_len {
                insert(&mut head, &mut prev, p);
            }
            i += best_len;
            lit_start = i;
        } else {
            insert(&mut head, &mut prev, i);
            i += 1;
        }
    }
    flush(&mut out, lit_start, input.len());
    out
}

/// Inverse of [`compress`], producing at most `max` bytes. A stream that ends inside a token
/// is truncated; a copy from before the start is corrupted.
pub fn decompress(stream: &[u8], max: usize) -> Result<Vec<u8>, LinkError> {
    let mut r = Reader::new(stream);
    let mut out: Vec<u8> = Vec::new();
    while !r.done() {
        let t = r.varint()?;
        let n = usize::try_from(t / 2).map_err(|_| LinkError::TooLarge)?;
        let len = n.checked_add(if t & 1 == 0 { 1 } else { MIN_MATCH });
        let len = len.filter(|l| out.len().saturating_add(*l) <= max);
        let len = len.ok_or(LinkError::TooLarge)?;
        if t & 1 == 0 {
            out.extend_from_slice(r.take(len)?);
        } else {
            let dist = r.varint()?;
            let dist = usize::try_from(dist).map_err(|_| LinkError::Corrupted)?;
            if dist == 0 || dist > out.len() {
                return Err(LinkError::Corrupted);
            }
            let from = out.len() - dist;
            for k in 0..len {
                let b = out[from + k];
                out.push(b);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length_and_rejects_junk() {
        let data: Vec<u8> = (0..=255u8).collect();
        for n in 0..40 {
            let s = b64_encode(&data[..n]);
            assert!(!s.contains(['+', '/', '=']));
            assert_eq!(b64_decode(&s).unwrap(), &data[..n]);
        }
        assert_eq!(b64_encode(b"Man"), "TWFu");
        assert_eq!(b64_decode("TWE=").unwrap(), b"Ma");
        assert_eq!(b64_decode("TWF!"), Err(LinkError::Corrupted));
        assert_eq!(b64_decode("TWFuT"), Err(LinkError::Truncated));
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn lz_round_trips_and_shrinks_json() {
        let json = include_str!("../../static/scenarios/gc-pause.json");
        let compact: serde_json::Value = serde_json::from_str(json).unwrap();
        let compact = compact.to_string();
        let z = compress(compact.as_bytes());
        assert_eq!(decompress(&z, 1 << 20).unwrap(), compact.as_bytes());
        assert!(
            z.len() * 10 < compact.len() * 9,
            "{} → {}",
            compact.len(),
            z.len()
        );
        for input in [
            &b""[..],
            b"a",
            b"aaaaaaaaaaaaaaaaaaaaaaaaa",
            b"abcabcabcabd",
        ] {
            assert_eq!(decompress(&compress(input), 100).unwrap(), input);
        }
        // Limits and damage.
        let long = vec![7u8; 1000];
        assert_eq!(decompress(&compress(&long), 999), Err(LinkError::TooLarge));
        assert_eq!(
            decompress(&z[..z.len() - 1], 1 << 20),
            Err(LinkError::Truncated)
        );
        assert_eq!(decompress(&[1, 5], 100), Err(LinkError::Corrupted));
    }

    #[test]
    fn varints_are_bounded() {
        let mut v = Vec::new();
        for x in [0, 1, 127, 128, 300, u64::MAX] {
            put_varint(&mut v, x);
        }
        let mut r = Reader::new(&v);
        for x in [0, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(r.varint().unwrap(), x);
        }
        assert!(r.done());
        assert_eq!(Reader::new(&[0xff; 11]).varint(), Err(LinkError::Corrupted));
        assert_eq!(Reader::new(&[0x80]).varint(), Err(LinkError::Truncated));
    }
}
