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
    let (s, c) = sin_cos(angle);
    (cx + r * c, cy + r * s)
}

/// `(sin a, cos a)` to within a few ulps for the angles a drawing uses (|a| up to about a
/// million radians). The standard library's `sin`/`cos` compile to libm in wasm, whose
/// reduction of huge arguments alone is ~4 KB of the page's wasm; drawing never needs that.
/// Reduction by π/2 in two parts (fdlibm's `pio2_1` and `pio2_1t`), then fdlibm's kernel
/// polynomials on [-π/4, π/4].
pub fn sin_cos(a: f64) -> (f64, f64) {
    const PIO2_HI: f64 = 1.570_796_326_734_125_6;
    const PIO2_LO: f64 = 6.077_100_506_506_192e-11;
    const S: [f64; 6] = [
        -1.666_666_666_666_663_2e-1,
        8.333_333_333_322_49e-3,
        -1.984_126_982_985_795e-4,
        2.755_731_370_707_006_8e-6,
        -2.505_076_025_340_686_4e-8,
        1.589_690_995_211_55e-10,
    ];
    const C: [f64; 6] = [
        4.166_666_666_666_66e-2,
        -1.388_888_888_887_411e-3,
        2.480_158_728_947_673e-5,
        -2.755_731_435_139_066_3e-7,
        2.087_572_321_298_175e-9,
        -1.135_964_755_778_819_5e-11,
    ];
    if !a.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    let q = (a * std::f64::consts::FRAC_2_PI + 0.5).floor();
    let r = (a - q * PIO2_HI) - q * PIO2_LO;
    let z = r * r;
    let poly = |k: &[f64; 6]| k.iter().rev().fold(0.0, |acc, &c| acc * z + c);
    let s = r + r * z * poly(&S);
    let c = 1.0 - 0.5 * z + z * z * poly(&C);
    match (q as i64).rem_euclid(4) {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
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
    fn sin_cos_agrees_with_the_standard_library() {
        let mut worst = 0.0f64;
        for i in -200_000..=200_000 {
            let a = f64::from(i) * 0.000_37;
            let (s, c) = sin_cos(a);
            worst = worst.max((s - a.sin()).abs()).max((c - a.cos()).abs());
        }
        for a in [0.0, -0.0, FRAC_PI_2, -FRAC_PI_2, TAU, 1e6, -1e6, 12_345.678] {
            let (s, c) = sin_cos(a);
            worst = worst.max((s - a.sin()).abs()).max((c - a.cos()).abs());
        }
        assert!(worst < 1e-12, "worst error {worst:e}");
        assert_eq!(sin_cos(0.0), (0.0, 1.0));
        assert!(sin_cos(f64::NAN).0.is_nan() && sin_cos(f64::INFINITY).1.is_nan());
    }

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
