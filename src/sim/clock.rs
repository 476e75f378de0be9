//! Per-node clocks. Each node reads its own local clock, which may be offset, drift, jump, or
//! stand still while the process is paused; virtual time (the simulator's) runs on regardless.
//! Protocols measure timeouts on this clock, which is exactly how pauses and skew produce
//! wrong conclusions in real systems.

use serde::{Deserialize, Serialize};

use super::time::Time;

/// Largest drift accepted, in parts per million. Real quartz drifts by tens of ppm; we allow
/// far more so that drift is visible in a lesson, but keep the rate strictly positive.
pub const MAX_DRIFT_PPM: i32 = 500_000;

/// A node's clock as a piecewise-linear function of virtual time, kept in integers so it
/// replays bit for bit: `local(v) = anchor_local + (v - anchor_virtual) * (1e6 + ppm) / 1e6`.
/// Every change (jump, new offset, new drift) re-anchors at the current virtual time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    anchor_virtual: Time,
    anchor_local: i64,
    ppm: i32,
    paused_until: Option<Time>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    /// A perfect clock: reads exactly the virtual time.
    pub fn new() -> Self {
        Clock {
            anchor_virtual: 0,
            anchor_local: 0,
            ppm: 0,
            paused_until: None,
        }
    }

    /// What the node's clock reads at virtual time `v` (ms, may be negative after a backward
    /// jump). Keeps running during a pause: a paused process wakes to a clock that moved on.
    pub fn local_time(&self, v: Time) -> i64 {
        let dv = v as i128 - self.anchor_virtual as i128;
        let scaled = (dv * (1_000_000 + self.ppm as i128)).div_euclid(1_000_000);
        clamp_i64(self.anchor_local as i128 + scaled)
    }

    /// The earliest virtual time, not before `not_before`, at which this clock reads at least
    /// `local`: when a timer set for local time `local` must fire.
    pub fn virtual_at(&self, local: i64, not_before: Time) -> Time {
        if self.local_time(not_before) >= local {
            return not_before;
        }
        let d = local as i128 - self.anchor_local as i128;
        let rate = 1_000_000 + self.ppm as i128;
        // smallest dv with floor(dv * rate / 1e6) >= d, i.e. dv * rate >= d * 1e6
        let need = d * 1_000_000;
        let dv = (need + rate - 1).div_euclid(rate);
        let v = self.anchor_virtual as i128 + dv;
        let v = v.clamp(0, u64::MAX as i128) as u64;
        v.max(not_before)
    }

    /// Difference between local and virtual time at `v`: what a dashboard calls skew.
    pub fn offset_at(&self, v: Time) -> i64 {
        clamp_i64(self.local_time(v) as i128 - v as i128)
    }

    /// Current drift in ppm (positive runs fast).
    pub fn drift_ppm(&self) -> i32 {
        self.ppm
    }

    /// Steps the clock by `delta_ms` at virtual time `now` (an NTP correction, a VM migration).
    pub fn jump(&mut self, now: Time, delta_ms: i64) {
        let here = self.local_time(now);
        self.anchor_virtual = now;
        self.anchor_local = clamp_i64(here as i128 + delta_ms as i128);
    }

    /// Sets the offset from virtual time at `now` so the clock reads `now + offset_ms`.
    pub fn set_offset(&mut self, now: Time, offset_ms: i64) {
        self.anchor_virtual = now;
        self.anchor_local = clamp_i64(now as i128 + offset_ms as i128);
    }

    /// Changes the drift rate from `now` on; past readings are unaffected. The caller checks
    /// the range (see [`MAX_DRIFT_PPM`]); out-of-range values are clamped here as a backstop.
    pub fn set_drift(&mut self, now: Time, ppm: i32) {
        let here = self.local_time(now);
        self.anchor_virtual = now;
        self.anchor_local = here;
        self.ppm = ppm.clamp(-MAX_DRIFT_PPM, MAX_DRIFT_PPM);
    }

    /// Starts (or extends) a stop-the-world pause: the node does nothing until `until`.
    /// Returns the virtual time at which it will resume.
    pub fn pause(&mut self, until: Time) -> Time {
        let end = self.paused_until.map_or(until, |p| p.max(until));
        self.paused_until = Some(end);
        end
    }

    /// True while the node is frozen at virtual time `v`.
    pub fn is_paused(&self, v: Time) -> bool {
        self.paused_until.is_some_and(|p| v < p)
    }

    /// When the current pause ends, if any.
    pub fn paused_until(&self) -> Option<Time> {
        self.paused_until
    }

    /// Ends the pause (on resume, or because the process crashed).
    pub fn clear_pause(&mut self) {
        self.paused_until = None;
    }
}

fn clamp_i64(x: i128) -> i64 {
    x.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_clock_reads_virtual_time() {
        let c = Clock::new();
        assert_eq!(c.local_time(1234), 1234);
        assert_eq!(c.virtual_at(500, 0), 500);
    }

    #[test]
    fn offset_jump_and_drift_compose() {
        let mut c = Clock::new();
        c.set_offset(100, 50);
        assert_eq!(c.local_time(100), 150);
        assert_eq!(c.local_time(200), 250);
        c.jump(200, -1000);
        assert_eq!(c.local_time(200), -750);
        c.set_drift(200, 100_000); // 10% fast
        assert_eq!(c.local_time(1200), -750 + 1100);
        assert_eq!(c.offset_at(1200), 350 - 1200);
    }

    #[test]
    fn timers_fire_at_the_right_virtual_time_under_drift() {
        let mut c = Clock::new();
        c.set_drift(0, 100_000); // local runs 10% fast
                                 // local 1100 is reached at virtual 1000
        assert_eq!(c.virtual_at(1100, 0), 1000);
        // local 1000 is reached at virtual ceil(1000/1.1) = 910
        let v = c.virtual_at(1000, 0);
        assert_eq!(v, 910);
        assert!(c.local_time(v) >= 1000 && c.local_time(v - 1) < 1000);
        let mut slow = Clock::new();
        slow.set_drift(0, -500_000); // half speed
        assert_eq!(slow.virtual_at(1000, 0), 2000);
    }

    #[test]
    fn deadline_in_the_past_fires_now() {
        let mut c = Clock::new();
        c.jump(100, 5000);
        assert_eq!(c.virtual_at(3000, 100), 100);
    }

    #[test]
    fn pauses_extend_and_clear() {
        let mut c = Clock::new();
        assert_eq!(c.pause(500), 500);
        assert_eq!(c.pause(300), 500);
        assert!(c.is_paused(499) && !c.is_paused(500));
        c.clear_pause();
        assert!(!c.is_paused(0));
    }
}
