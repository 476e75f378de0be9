//! Hit-testing: turns a pointer position into the node or key under it, using the same
//! geometry the frame was drawn with.

use std::f64::consts::{FRAC_PI_2, TAU};

use crate::sim::keys::KeySet;
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

/// The key drawn nearest to (x, y), if one is within `tolerance` pixels.
pub fn key_at(keys: &KeySet, g: &RingGeometry, x: f64, y: f64, tolerance: f64) -> Option<u32> {
    let mut best: Option<(f64, u32)> = None;
    for i in 0..keys.len() as u32 {
        let h = keys.hash(i);
        let (kx, ky) = polar(g.cx, g.cy, g.key_radius(h), angle_of(h));
        let d = (kx - x).hypot(ky - y);
        if d <= tolerance && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, i));
        }
    }
    best.map(|(_, i)| i)
}
