//! Hit-testing: turns a pointer position into the node or key under it, using the same
//! geometry the frame was drawn with.

use std::f64::consts::{FRAC_PI_2, TAU};

use crate::sim::key_set::KeySet;
use crate::sim::ring::{NodeId, Ring};
use crate::view::geom::{angle_of, clockwise, polar};
use crate::view::ring_scene::RingGeometry;

/// Ring position under an angle: the inverse of `angle_of`, for "what owns this spot".
pub fn pos_at_angle(angle: f64) -> u64 {
    let turn = (angle + FRAC_PI_2).rem_euclid(TAU) / TAU;
    (turn * 18_446_744_073_709_551_616.0).min(u64::MAX as f64) as u64
}

/// The node a click at (x, y) means: the owner of the arc under it on the band, or the node
/// whose label/anchor is next to it just outside the ring.
pub fn node_at(ring: &Ring, g: &RingGeometry, x: f64, y: f64) -> Option<NodeId> {
    let (dx, dy) = (x - g.cx, y - g.cy);
    let dist = (dx * dx + dy * dy).sqrt();
    let angle = dy.atan2(dx);
    if (dist - g.r).abs() <= g.band {
        return ring.owner_of(pos_at_angle(angle));
    }
    if dist > g.r && dist < g.r + g.band / 2.0 + 60.0 {
        // Nearest vnode-0 anchor (where the label sits) within a small angular window.
        let window = (24.0 / dist).min(0.5);
        return ring
            .points()
            .iter()
            .filter(|p| p.idx == 0)
            .map(|p| {
                let a = angle_of(p.pos);
                let d = clockwise(a, angle).min(clockwise(angle, a));
                (d, p.node)
            })
            .filter(|(d, _)| *d <= window)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, n)| n);
    }
    None
}

/// The key drawn nearest to (x, y), if one is within `tolerance` pixels (ties go to the
/// lower key index). Runs on every pointer move, so it only looks at keys whose angle is
/// within reach, found by binary search in the hash-sorted index, not at every key.
pub fn key_at(keys: &KeySet, g: &RingGeometry, x: f64, y: f64, tolerance: f64) -> Option<u32> {
    let (dx, dy) = (x - g.cx, y - g.cy);
    let dist = dx.hypot(dy);
    // Keys sit between these radii (see `RingGeometry::key_radius`).
    let outer = g.key_radius(0);
    let inner = g.key_radius(0xff);
    if dist < inner - tolerance || dist > outer + tolerance {
        return None;
    }
    let reach = inner - tolerance;
    if reach <= tolerance * 2.0 {
        // A ring too small for an angular window to help: look at every key.
        return nearest(keys, g, x, y, tolerance, 0..keys.len() as u32);
    }
    // A point within `tolerance` of the pointer is within this angle of it, seen from the
    // centre (with margin; the exact distance check below decides).
    let half = (tolerance / reach).min(1.0).asin() * 1.5 + 1e-9;
    let angle = dy.atan2(dx);
    let (lo, hi) = (pos_at_angle(angle - half), pos_at_angle(angle + half));
    let sorted = keys.sorted_hashes();
    let by_hash = keys.by_hash();
    let from = sorted.partition_point(|&h| h < lo);
    let to = sorted.partition_point(|&h| h <= hi);
    let window: Vec<u32> = if lo <= hi {
        by_hash[from..to].to_vec()
    } else {
        // The window wraps past twelve o'clock.
        by_hash[from..]
            .iter()
            .chain(&by_hash[..to])
            .copied()
            .collect()
    };
    nearest(keys, g, x, y, tolerance, window)
}

fn nearest(
    keys: &KeySet,
    g: &RingGeometry,
    x: f64,
    y: f64,
    tolerance: f64,
    candidates: impl IntoIterator<Item = u32>,
) -> Option<u32> {
    let mut best: Option<(f64, u32)> = None;
    for i in candidates {
        let h = keys.hash(i);
        let (kx, ky) = polar(g.cx, g.cy, g.key_radius(h), angle_of(h));
        let d = (kx - x).hypot(ky - y);
        if d <= tolerance && best.is_none_or(|(bd, bi)| d < bd || (d == bd && i < bi)) {
            best = Some((d, i));
        }
    }
    best.map(|(_, i)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::key_set::KeyPattern;
    use crate::sim::rng::Rng;

    /// The obvious search over every key: the oracle for the windowed one.
    fn brute(keys: &KeySet, g: &RingGeometry, x: f64, y: f64, tol: f64) -> Option<u32> {
        nearest(keys, g, x, y, tol, 0..keys.len() as u32)
    }

    #[test]
    fn windowed_key_search_equals_the_full_scan() {
        let keys = KeySet::generate(5_000, 3, KeyPattern::Mixed, 0.0);
        let mut rng = Rng::new(11);
        for (w, h) in [(800.0, 600.0), (320.0, 240.0), (120.0, 90.0)] {
            let g = RingGeometry::fit(w, h);
            for n in 0..800 {
                // Half the probes right on a key (wrap-around included), half anywhere.
                let (x, y) = if n % 2 == 0 {
                    let k = rng.below(keys.len() as u64) as u32;
                    let hk = keys.hash(k);
                    let (kx, ky) = polar(g.cx, g.cy, g.key_radius(hk), angle_of(hk));
                    (
                        kx + rng.next_f64() * 6.0 - 3.0,
                        ky + rng.next_f64() * 6.0 - 3.0,
                    )
                } else {
                    (rng.next_f64() * w, rng.next_f64() * h)
                };
                for tol in [0.5, 5.0] {
                    assert_eq!(
                        key_at(&keys, &g, x, y, tol),
                        brute(&keys, &g, x, y, tol),
                        "{w}x{h} at ({x}, {y}) tol {tol}"
                    );
                }
            }
            // Straight up, where the window wraps.
            let top = (g.cx, g.cy - g.key_radius(0x80));
            assert_eq!(
                key_at(&keys, &g, top.0, top.1, 5.0),
                brute(&keys, &g, top.0, top.1, 5.0)
            );
        }
    }
}
