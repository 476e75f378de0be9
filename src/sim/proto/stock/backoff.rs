//! The retry policies of the AWS Architecture Blog's "Exponential Backoff and Jitter", as a
//! pure function of the attempt, the previous sleep and a uniform draw, so they are tested
//! without a world and the simulation stays replayable (the draw comes from the world's rng).

use super::cfg::Policy;

/// Ceiling of `base · 2^attempt` at `cap` without overflow.
pub fn expo(base: u64, cap: u64, attempt: u32) -> u64 {
    let shift = attempt.min(62);
    base.checked_mul(1u64 << shift).map_or(cap, |v| v.min(cap))
}

/// The sleep before retry `attempt` (0 = the first retry), given the previous sleep
/// (decorrelated jitter needs it) and `draw(n)`, a uniform integer in `0..n` (n ≥ 1).
pub fn sleep_ms(
    policy: Policy,
    base: u64,
    cap: u64,
    attempt: u32,
    prev: u64,
    draw: &mut dyn FnMut(u64) -> u64,
) -> u64 {
    match policy {
        Policy::None => 0,
        Policy::Expo => expo(base, cap, attempt),
        Policy::FullJitter => draw(expo(base, cap, attempt) + 1),
        Policy::EqualJitter => {
            let t = expo(base, cap, attempt);
            t / 2 + draw(t / 2 + 1)
        }
        Policy::Decorrelated => {
            let hi = prev.max(base).saturating_mul(3);
            let lo = base.min(hi);
            (lo + draw(hi - lo + 1)).min(cap)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_doubles_up_to_the_cap() {
        assert_eq!(expo(5, 2_000, 0), 5);
        assert_eq!(expo(5, 2_000, 3), 40);
        assert_eq!(expo(5, 2_000, 20), 2_000);
        assert_eq!(expo(5, 2_000, 200), 2_000);
    }

    #[test]
    fn jittered_sleeps_stay_in_their_ranges() {
        let mut x = 0u64;
        let mut draw = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        let mut prev = 5;
        for a in 0..30 {
            let f = sleep_ms(Policy::FullJitter, 5, 2_000, a, 0, &mut draw);
            assert!(f <= expo(5, 2_000, a));
            let e = sleep_ms(Policy::EqualJitter, 5, 2_000, a, 0, &mut draw);
            assert!(e >= expo(5, 2_000, a) / 2 && e <= expo(5, 2_000, a));
            let d = sleep_ms(Policy::Decorrelated, 5, 2_000, a, prev, &mut draw);
            assert!((5..=2_000).contains(&d) && d <= prev.max(5) * 3);
            prev = d;
        }
        assert_eq!(sleep_ms(Policy::None, 5, 2_000, 7, 0, &mut draw), 0);
    }
}
