//! Golden placements: exact owners for fixed nodes and keys, so any change to hashing, vnode
//! labels, weights or tie order is caught. The values were computed once with this crate and
//! cross-checked with the Python snippet in docs/placement.md; a few are re-derived here by an
//! independent, naive reimplementation that calls SHA-1 directly.
#![cfg(not(target_arch = "wasm32"))]
#![cfg(not(target_arch = "wasm32"))] // native-only dev-dependencies and processes

use ringlab::sim::hash::pos;
use ringlab::sim::key_set::KeySet;
use ringlab::sim::ring::{NodeId, Ring};
use sha1::{Digest, Sha1};

const NODES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

/// (key, pos(key), owner, second replica) at V = 10, all weights 1, all nodes up.
const GOLDEN: [(&str, u64, &str, &str); 12] = [
    ("order:0001", 0xc936e4b7a3ded59e, "alpha", "beta"),
    ("order:0002", 0x7bda3908a712cee4, "alpha", "gamma"),
    ("order:0003", 0x2e37b9718d451a29, "alpha", "gamma"),
    ("order:0004", 0x4a587d2df19bede9, "delta", "alpha"),
    ("order:0005", 0x9e3c6c3823d13aba, "gamma", "delta"),
    ("order:0006", 0xeaab00ba7c527896, "beta", "delta"),
    ("order:0007", 0xfbdb1b43ebde19b4, "beta", "delta"),
    ("order:0008", 0x99a6957e51fd8c03, "gamma", "delta"),
    ("order:0009", 0xb934bf81dd6a3282, "delta", "alpha"),
    ("order:0010", 0xa8afe5a6f8b0a1fe, "gamma", "delta"),
    ("order:0011", 0x518494f791d7530e, "gamma", "beta"),
    ("order:0012", 0xb731cdb8eaa84813, "delta", "alpha"),
];

/// Owners at V = 10 with weights alpha=3, delta=0.5 and gamma down.
const GOLDEN_WEIGHTED: [&str; 12] = [
    "alpha", "alpha", "alpha", "delta", "alpha", "alpha", "alpha", "alpha", "alpha", "alpha",
    "alpha", "alpha",
];

fn ring(v: u32, weights: &[(&str, f64)], down: &[&str]) -> Ring {
    let mut r = Ring::new(v).unwrap();
    for n in NODES {
        let w = weights.iter().find(|(m, _)| *m == n).map_or(1.0, |x| x.1);
        r.add_node(n, w).unwrap();
    }
    for n in down {
        let id = r.node_id(n).unwrap();
        r.fail_node(id).unwrap();
    }
    r
}

fn name(r: &Ring, id: NodeId) -> &str {
    &r.node(id).unwrap().name
}

/// The contract written out naively: SHA-1 by hand, every point in a Vec of tuples, one sort,
/// a linear scan for the first live point at or after the key.
fn naive_owner(key: &str, v: u32, weights: &[(&str, f64)], down: &[&str]) -> Option<String> {
    let sha_pos = |s: &str| -> u64 {
        let d = Sha1::digest(s.as_bytes());
        d[..8]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    };
    let mut points: Vec<(u64, String, u32)> = Vec::new();
    for n in NODES {
        let w = weights.iter().find(|(m, _)| *m == n).map_or(1.0, |x| x.1);
        let count = ((f64::from(v) * w + 0.5).floor() as u32).max(1);
        for i in 0..count {
            points.push((sha_pos(&format!("{n}#{i}")), n.to_string(), i));
        }
    }
    points.sort();
    points.retain(|p| !down.contains(&p.1.as_str()));
    let h = sha_pos(key);
    points
        .iter()
        .find(|p| p.0 >= h)
        .or(points.first())
        .map(|p| p.1.clone())
}

#[test]
fn key_positions_are_sha1_prefixes() {
    for (key, h, _, _) in GOLDEN {
        assert_eq!(pos(key), h, "{key}");
    }
}

#[test]
fn golden_owners_and_replicas() {
    let r = ring(10, &[], &[]);
    for (key, h, owner, second) in GOLDEN {
        assert_eq!(r.owner_of(h).map(|id| name(&r, id)), Some(owner), "{key}");
        let reps: Vec<&str> = r
            .replicas(h, 2)
            .into_iter()
            .map(|id| name(&r, id))
            .collect();
        assert_eq!(reps, [owner, second], "{key}");
    }
}

#[test]
fn golden_owners_with_weights_and_a_failed_node() {
    let weights = [("alpha", 3.0), ("delta", 0.5)];
    let r = ring(10, &weights, &["gamma"]);
    for ((key, h, _, _), owner) in GOLDEN.iter().zip(GOLDEN_WEIGHTED) {
        assert_eq!(r.owner_of(*h).map(|id| name(&r, id)), Some(owner), "{key}");
    }
}

#[test]
fn naive_reimplementation_agrees_on_golden_keys() {
    for (key, _, owner, _) in GOLDEN.iter().take(6) {
        assert_eq!(naive_owner(key, 10, &[], &[]).as_deref(), Some(*owner));
    }
    let weights = [("alpha", 3.0), ("delta", 0.5)];
    for ((key, _, _, _), owner) in GOLDEN.iter().zip(GOLDEN_WEIGHTED).skip(2).take(4) {
        assert_eq!(
            naive_owner(key, 10, &weights, &["gamma"]).as_deref(),
            Some(owner)
        );
    }
}

#[test]
fn naive_reimplementation_agrees_on_many_keys() {
    let weights = [("beta", 0.3), ("gamma", 1.7)];
    let r = ring(7, &weights, &["delta"]);
    let keys = KeySet::generate(300, 11, ringlab::sim::key_set::KeyPattern::Mixed, 0.0);
    for i in 0..keys.len() as u32 {
        let got = r.owner_of(keys.hash(i)).map(|id| name(&r, id).to_string());
        assert_eq!(
            got,
            naive_owner(keys.name(i), 7, &weights, &["delta"]),
            "{}",
            keys.name(i)
        );
    }
}

#[test]
fn vnode_points_sit_at_their_labels() {
    let r = ring(10, &[("alpha", 3.0)], &[]);
    let alpha = r.node_id("alpha").unwrap();
    assert_eq!(r.node(alpha).unwrap().vnodes, 30);
    for p in r.points() {
        let label = format!("{}#{}", name(&r, p.node), p.idx);
        assert_eq!(p.pos, pos(&label), "{label}");
    }
}
