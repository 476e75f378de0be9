//! Angles and easing shared by the scene builder, hit-testing and the SVG writer, so every
//! surface agrees on where a hash sits.

use std::f64::consts::{FRAC_PI_2, TAU};

/// Angle in radians of a ring position: 0 at twelve o'clock, growing clockwise on a y-down
/// canvas, so the ring reads like a clock and "clockwise to the owner" looks clockwise.
pub fn angle_of(pos: u64) -> f64 {
    (pos as f64 / 18_446_744_073_709_551_616.0) * TAU - FRAC_PI_2
}

/// Clockwise angular distance from `a` to `b` in [0, TAU): the length of a walk on the ring.
pub fn clockwise(a: f64, b: f64) -> f64 {
    (b - a).rem_euclid(TAU)
}

/// A point at `angle` on a circle, for labels, ticks and dots.
pub fn polar(cx: f64, cy: f64, r: f64, angle: f64) -> (f64, f64) {
    (cx + r * angle.cos(), cy + r * angle.sin())
}

/// Cubic ease-in-out: tweens start and land gently instead of snapping.
pub fn ease(t: f64) -> f64 {
    let t = t.clamp(0.0, 1.0);
    if t < 0.5 {
        4.0 * t * t * t
    } else {
        1.0 - (-2.0 * t + 2.0).powi(3) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_run_clockwise_from_the_top() {
        assert!((angle_of(0) + FRAC_PI_2).abs() < 1e-12);
        assert!((angle_of(1 << 62) - 0.0).abs() < 1e-9); // a quarter turn: three o'clock
        assert!((angle_of(1 << 63) - FRAC_PI_2).abs() < 1e-9); // half: six o'clock
        let (x, y) = polar(0.0, 0.0, 1.0, angle_of(1 << 62));
        assert!((x - 1.0).abs() < 1e-9 && y.abs() < 1e-9);
    }

    #[test]
    fn clockwise_distance_wraps() {
        assert!((clockwise(1.0, 2.0) - 1.0).abs() < 1e-12);
        assert!((clockwise(2.0, 1.0) - (TAU - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn ease_is_monotone_and_pinned_at_the_ends() {
        assert_eq!(ease(0.0), 0.0);
        assert_eq!(ease(1.0), 1.0);
        assert!((ease(0.5) - 0.5).abs() < 1e-12);
        let mut last = 0.0;
        for i in 0..=100 {
            let v = ease(i as f64 / 100.0);
            assert!(v >= last);
            last = v;
        }
        assert_eq!(ease(-3.0), 0.0);
        assert_eq!(ease(7.0), 1.0);
    }
}
