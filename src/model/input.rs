//! Parses what users type into the side panel, with messages that say how to fix it.

use crate::sim::algorithms::Algorithm;
use crate::sim::hash::pos;
use crate::sim::key_set::KeyPattern;
use crate::sim::ring_lab::MAX_NODES;

/// Largest weight accepted from the form: V·w vnodes must stay reasonable.
pub const MAX_WEIGHT: f64 = 100.0;

/// A node weight: a positive number up to `MAX_WEIGHT`.
pub fn parse_weight(s: &str) -> Result<f64, String> {
    match crate::sim::text::parse_decimal(s.trim()) {
        Some(w) if w.is_finite() && w > 0.0 && w <= MAX_WEIGHT => Ok(w),
        _ => Err(format!(
            "weight must be a number above 0 and at most {MAX_WEIGHT}, got \"{}\"",
            s.trim()
        )),
    }
}

/// Vnodes per node: a whole number from 1 to 1000.
pub fn parse_vnodes(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(v) if (1..=1000).contains(&v) => Ok(v),
        _ => Err(format!(
            "vnodes per node must be a whole number from 1 to 1000, got \"{}\"",
            s.trim()
        )),
    }
}

/// A cluster size for "Set": a whole number from 1 to `MAX_NODES`.
pub fn parse_node_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_NODES).contains(&n) => Ok(n),
        _ => Err(format!(
            "cluster size must be a whole number from 1 to {MAX_NODES}, got \"{}\"",
            s.trim()
        )),
    }
}

/// The `<select>` value for a placement scheme.
pub fn algorithm_value(a: Algorithm) -> &'static str {
    match a {
        Algorithm::ModN => "mod-n",
        Algorithm::Jump => "jump",
        Algorithm::Rendezvous => "rendezvous",
        Algorithm::Ring => "ring",
        Algorithm::BoundedLoads => "bounded",
    }
}

/// The placement scheme for a `<select>` value.
pub fn parse_algorithm(s: &str) -> Option<Algorithm> {
    Algorithm::ALL
        .into_iter()
        .find(|&a| algorithm_value(a) == s)
}

/// The `<select>` value for a key pattern.
pub fn pattern_value(p: KeyPattern) -> &'static str {
    match p {
        KeyPattern::Orders => "orders",
        KeyPattern::Mixed => "mixed",
    }
}

/// The key pattern for a `<select>` value.
pub fn parse_pattern(s: &str) -> Option<KeyPattern> {
    match s {
        "orders" => Some(KeyPattern::Orders),
        "mixed" => Some(KeyPattern::Mixed),
        _ => None,
    }
}

/// The ring position a lookup box probes: SHA-1 of the trimmed text, none when empty.
pub fn lookup_hash(s: &str) -> Option<u64> {
    let t = s.trim();
    (!t.is_empty()).then(|| pos(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_and_vnodes_reject_junk_with_a_message() {
        assert_eq!(parse_weight(" 2.5 "), Ok(2.5));
        for bad in ["0", "-1", "NaN", "inf", "1e9", "", "two"] {
            let e = parse_weight(bad).unwrap_err();
            assert!(e.starts_with("weight must be"), "{bad}: {e}");
        }
        assert_eq!(parse_vnodes("1000"), Ok(1000));
        for bad in ["0", "1001", "4294967296", "-3", "1.5", ""] {
            assert!(parse_vnodes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patterns_round_trip_and_lookup_trims() {
        for p in [KeyPattern::Orders, KeyPattern::Mixed] {
            assert_eq!(parse_pattern(pattern_value(p)), Some(p));
        }
        assert_eq!(parse_pattern("zipf"), None);
        for a in Algorithm::ALL {
            assert_eq!(parse_algorithm(algorithm_value(a)), Some(a));
        }
        assert_eq!(parse_algorithm("md5"), None);
        assert_eq!(parse_node_count("100"), Ok(100));
        assert!(parse_node_count("0").is_err());
        assert!(parse_node_count("1e3").is_err());
        assert!(parse_node_count("99999").is_err());
        assert_eq!(lookup_hash("  "), None);
        assert_eq!(lookup_hash(" abc "), Some(pos("abc")));
    }
}
