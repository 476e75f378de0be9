//! `cargo bench --bench ring`: the hash-ring core at 1000 nodes × 100 vnodes, timed with
//! `std::time::Instant` (median of several runs, baselines interleaved with the measured code so
//! machine noise hits both). Prints markdown tables; see docs/placement.md for recorded figures.

// The peer crate and the timing are native-only; on wasm32 this bench is an empty program.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;
    use std::time::Instant;

    use ringlab::sim::hash::pos;
    use ringlab::sim::key_set::{KeyPattern, KeySet};
    use ringlab::sim::ring::{Point, Ring};

    const NODES: usize = 1000;
    const VNODES: u32 = 100;
    const RUNS: usize = 9;

    fn median(mut xs: Vec<f64>) -> f64 {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    }

    /// Seconds taken by `f`.
    fn secs(f: impl FnOnce()) -> f64 {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64()
    }

    fn ring_of(nodes: usize, v: u32) -> Ring {
        let mut ring = Ring::new(v).expect("valid vnodes");
        for i in 0..nodes {
            ring.add_node(&format!("node-{i:04}"), 1.0)
                .expect("valid node");
        }
        ring
    }

    /// What the hashring crate hashes per vnode: (node, index).
    #[derive(Clone, Copy, Debug, Hash, PartialEq)]
    struct VNode {
        node: u32,
        idx: u32,
    }

    struct Row {
        what: String,
        value: String,
        goal: &'static str,
        ok: Option<bool>,
    }

    fn row(rows: &mut Vec<Row>, what: &str, value: String, goal: &'static str, ok: Option<bool>) {
        rows.push(Row {
            what: what.to_owned(),
            value,
            goal,
            ok,
        });
    }

    pub fn main() {
        let mut rows = Vec::new();

        let t_build = secs(|| {
            black_box(ring_of(NODES, VNODES));
        });
        let mut ring = ring_of(NODES, VNODES);
        let keys: Vec<String> = (0..100_000).map(|i| format!("user:{i}")).collect();

        // Lookups: ring.owner_of(pos(k)) vs SHA-1 + plain binary search over the same points, and
        // SHA-1 alone, interleaved run by run.
        let (positions, owners) = (ring.points().positions(), ring.points().owners());
        // The layout before positions and owners were stored apart, for the same-run ratio.
        let aos: Vec<Point> = ring.points().to_vec();
        let per = |t: f64| t * 1e9 / keys.len() as f64;
        let lookup = || {
            per(secs(|| {
                let mut acc = 0u64;
                for k in &keys {
                    acc += u64::from(ring.owner_of(pos(black_box(k))).unwrap_or(0));
                }
                black_box(acc);
            }))
        };
        let baseline = || {
            per(secs(|| {
                let mut acc = 0u64;
                for k in &keys {
                    let h = pos(black_box(k));
                    let i = positions.partition_point(|&p| p < h);
                    acc += u64::from(owners[if i == positions.len() { 0 } else { i }]);
                }
                black_box(acc);
            }))
        };
        let aos_baseline = || {
            per(secs(|| {
                let mut acc = 0u64;
                for k in &keys {
                    let h = pos(black_box(k));
                    let i = aos.partition_point(|p| p.pos < h);
                    acc += u64::from(aos[if i == aos.len() { 0 } else { i }].node);
                }
                black_box(acc);
            }))
        };
        let sha_only = || {
            per(secs(|| {
                let mut acc = 0u64;
                for k in &keys {
                    acc ^= pos(black_box(k));
                }
                black_box(acc);
            }))
        };
        // Alternate which of the pair runs first (the first one pays for warming the caches) and
        // take the median of the per-run ratios, so drift in machine load cancels out.
        let (mut look, mut base, mut sha, mut ratio, mut aos_ns) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for r in 0..2 * RUNS {
            let (l, b) = if r % 2 == 0 {
                let l = lookup();
                (l, baseline())
            } else {
                let b = baseline();
                (lookup(), b)
            };
            look.push(l);
            base.push(b);
            ratio.push(l / b);
            sha.push(sha_only());
            aos_ns.push(aos_baseline());
        }
        let ratio = median(ratio);
        let (look, base, sha, aos_ns) = (median(look), median(base), median(sha), median(aos_ns));
        row(
            &mut rows,
            "lookup `owner_of(pos(key))`, SHA-1 included",
            format!("{look:.0} ns"),
            "≤ 250 ns",
            Some(look <= 250.0),
        );
        row(
            &mut rows,
            "SHA-1 + binary search over the same arrays (positions, then owner)",
            format!("{base:.0} ns"),
            "",
            None,
        );
        row(
            &mut rows,
            "SHA-1 + binary search over 16-byte structs (the layout before)",
            format!("{aos_ns:.0} ns"),
            "",
            None,
        );
        row(
            &mut rows,
            "lookup / (SHA-1 + binary search)",
            format!("{ratio:.2}×"),
            "≤ 1.3×",
            Some(ratio <= 1.3),
        );
        row(&mut rows, "SHA-1 alone", format!("{sha:.0} ns"), "", None);

        // Peer: the hashring crate (SipHash), same 100,000 vnodes.
        let mut peer = hashring::HashRing::new();
        peer.batch_add(
            (0..NODES as u32)
                .flat_map(|node| (0..VNODES).map(move |idx| VNode { node, idx }))
                .collect(),
        );
        let peer_ns = median(
            (0..RUNS)
                .map(|_| {
                    per(secs(|| {
                        let mut acc = 0u64;
                        for k in &keys {
                            acc += u64::from(peer.get(black_box(k)).map_or(0, |v| v.node));
                        }
                        black_box(acc);
                    }))
                })
                .collect(),
        );
        row(
            &mut rows,
            "peer: `hashring` 0.3 `get` (SipHash)",
            format!("{peer_ns:.0} ns"),
            "",
            None,
        );

        // Add / remove / fail / recover one node (100 vnodes) on the 1000-node ring.
        let (mut add, mut remove, mut fail, mut recover) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for k in 0..21 {
            let name = format!("extra-{k}");
            let mut id = 0;
            add.push(secs(|| id = ring.add_node(&name, 1.0).expect("add").0) * 1e6);
            fail.push(
                secs(|| {
                    black_box(ring.fail_node(id).expect("fail"));
                }) * 1e6,
            );
            recover.push(
                secs(|| {
                    black_box(ring.recover_node(id).expect("recover"));
                }) * 1e6,
            );
            remove.push(
                secs(|| {
                    black_box(ring.remove_node(id).expect("remove"));
                }) * 1e6,
            );
        }
        let (add, remove) = (median(add), median(remove));
        row(
            &mut rows,
            "add one node (100 vnodes), incl. changed arcs",
            format!("{add:.0} µs"),
            "≤ 150 µs",
            Some(add <= 150.0),
        );
        row(
            &mut rows,
            "remove one node, incl. changed arcs",
            format!("{remove:.0} µs"),
            "≤ 150 µs",
            Some(remove <= 150.0),
        );
        row(
            &mut rows,
            "fail / recover one node",
            format!("{:.0} / {:.0} µs", median(fail), median(recover)),
            "",
            None,
        );
        let extra = VNode { node: 5000, idx: 0 };
        let (mut padd, mut prem) = (Vec::new(), Vec::new());
        for _ in 0..5 {
            padd.push(
                secs(|| peer.batch_add((0..VNODES).map(|idx| VNode { idx, ..extra }).collect()))
                    * 1e6,
            );
            prem.push(
                secs(|| {
                    for idx in 0..VNODES {
                        black_box(peer.remove(&VNode { idx, ..extra }));
                    }
                }) * 1e6,
            );
        }
        row(
            &mut rows,
            "peer: `hashring` batch_add / 100× remove",
            format!("{:.0} / {:.0} µs", median(padd), median(prem)),
            "",
            None,
        );
        let mut again = ring.clone();
        let t_rebuild = secs(|| {
            black_box(again.set_vnodes_per_node(VNODES + 1).expect("rebuild"));
        });
        row(
            &mut rows,
            "set_vnodes_per_node 100→101 (full rebuild + diff)",
            format!("{:.1} ms", t_rebuild * 1e3),
            "",
            None,
        );
        row(
            &mut rows,
            "build the ring by 1000 incremental adds",
            format!("{:.0} ms", t_build * 1e3),
            "",
            None,
        );

        // Keys that move: 1M cached keys, apply() over the sorted hash index vs oracles.
        let mut keys1m = KeySet::generate(1_000_000, 1, KeyPattern::Orders, 0.0);
        keys1m.assign_all(&ring);
        let (mut on_add, mut on_remove, mut moved_n) = (Vec::new(), Vec::new(), 0);
        for k in 0..RUNS {
            let (id, change) = ring.add_node(&format!("moving-{k}"), 1.0).expect("add");
            on_add.push(secs(|| moved_n = keys1m.apply(&ring, &change).len()) * 1e3);
            let change = ring.remove_node(id).expect("remove");
            on_remove.push(
                secs(|| {
                    black_box(keys1m.apply(&ring, &change));
                }) * 1e3,
            );
        }
        let (on_add, on_remove) = (median(on_add), median(on_remove));
        row(
            &mut rows,
            "keys moved on add, 1M cached keys, sorted index",
            format!("{on_add:.3} ms ({moved_n} keys)"),
            "≤ 1 ms",
            Some(on_add <= 1.0),
        );
        row(
            &mut rows,
            "keys moved on remove, same",
            format!("{on_remove:.3} ms"),
            "≤ 1 ms",
            Some(on_remove <= 1.0),
        );
        let (mut rehash, mut cached) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            rehash.push(
                secs(|| {
                    let mut n = 0usize;
                    for i in 0..keys1m.len() as u32 {
                        n += usize::from(ring.owner_of(pos(keys1m.name(i))) != keys1m.owner(i));
                    }
                    black_box(n);
                }) * 1e3,
            );
            cached.push(
                secs(|| {
                    let mut n = 0usize;
                    for i in 0..keys1m.len() as u32 {
                        n += usize::from(ring.owner_of(keys1m.hash(i)) != keys1m.owner(i));
                    }
                    black_box(n);
                }) * 1e3,
            );
        }
        row(
            &mut rows,
            "oracle: re-hash and look up all 1M keys",
            format!("{:.0} ms", median(rehash)),
            "",
            None,
        );
        row(
            &mut rows,
            "oracle: look up all 1M cached hashes",
            format!("{:.0} ms", median(cached)),
            "",
            None,
        );

        // Memory per vnode.
        let f = ring.footprint();
        let per_point = f.point_bytes as f64 / f.points as f64;
        row(
            &mut rows,
            "bytes per vnode: point array (capacity × 16 / len)",
            format!("{per_point:.2} B"),
            "≤ 16 B",
            Some(per_point <= 16.0),
        );
        row(
            &mut rows,
            "bytes per vnode incl. per-node tables (names, flags)",
            format!(
                "{:.2} B",
                (f.point_bytes + f.node_bytes) as f64 / f.points as f64
            ),
            "",
            None,
        );

        println!(
            "\n### ringlab ring core: {NODES} nodes × {VNODES} vnodes ({} points)\n",
            f.points
        );
        println!("| measure | median | goal |");
        println!("|---|---|---|");
        for r in &rows {
            let mark = match r.ok {
                Some(true) => " ✓",
                Some(false) => " ✗",
                None => "",
            };
            println!("| {} | {} | {}{} |", r.what, r.value, r.goal, mark);
        }

        // Balance at 100 nodes: exact arc shares and 1M keys.
        println!("\n### Balance at 100 nodes (max / mean)\n");
        println!("| vnodes per node | arc share | 1M keys |");
        println!("|---|---|---|");
        for v in [1, 10, 100, 1000] {
            let ring = ring_of(100, v);
            let shares = ring.shares();
            let max_share = shares.iter().map(|s| s.1).fold(0.0, f64::max);
            keys1m.assign_all(&ring);
            let counts = keys1m.counts();
            let max_keys = counts.iter().map(|c| c.1).max().unwrap_or(0);
            let mean = keys1m.len() as f64 / 100.0;
            println!(
                "| {v} | {:.2} | {:.2} |",
                max_share * 100.0,
                max_keys as f64 / mean
            );
        }
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    native::main();
}
