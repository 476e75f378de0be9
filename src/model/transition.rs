//! A topology change being animated: which arcs changed hands and which keys moved, plus the
//! animation clock window. Pure data so the tween is testable natively.

use crate::sim::key_set::Moved;
use crate::sim::ring::Arc;

/// How long a topology change animates by default.
pub const DEFAULT_MS: f64 = 900.0;

/// One animated change. The ring and keys already hold the new state; this remembers the old
/// owners long enough to draw the sweep and the glide.
#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    /// Animation-clock time the tween starts (ms).
    pub start_ms: f64,
    /// Length of the tween (0 under `prefers-reduced-motion`).
    pub duration_ms: f64,
    /// Arcs whose owner changed.
    pub arcs: Vec<Arc>,
    /// Keys whose owner changed.
    pub moved: Vec<Moved>,
}

impl Transition {
    /// Starts a tween at `now_ms`.
    pub fn new(now_ms: f64, duration_ms: f64, arcs: Vec<Arc>, moved: Vec<Moved>) -> Self {
        Transition {
            start_ms: now_ms,
            duration_ms: duration_ms.max(0.0),
            arcs,
            moved,
        }
    }

    /// Linear progress in [0, 1]; a zero-length tween is already done.
    pub fn progress(&self, now_ms: f64) -> f64 {
        if self.duration_ms <= 0.0 {
            return 1.0;
        }
        ((now_ms - self.start_ms) / self.duration_ms).clamp(0.0, 1.0)
    }

    /// True once nothing moves any more: the frame loop may stop.
    pub fn done(&self, now_ms: f64) -> bool {
        self.progress(now_ms) >= 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_runs_from_zero_to_one_and_reduced_motion_is_instant() {
        let t = Transition::new(100.0, 200.0, Vec::new(), Vec::new());
        assert_eq!(t.progress(50.0), 0.0);
        assert_eq!(t.progress(200.0), 0.5);
        assert_eq!(t.progress(300.0), 1.0);
        assert!(!t.done(299.0));
        assert!(t.done(300.0));
        let instant = Transition::new(100.0, 0.0, Vec::new(), Vec::new());
        assert!(instant.done(100.0));
    }
}
