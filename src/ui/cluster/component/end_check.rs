//! The store's end-of-run linearizability check after a load, run on the page in slices of a
//! few ms between frames with its progress in the invariants list, so loading a heavy
//! history never freezes the page; the verdict is recorded in the session (the same event
//! the CLI's run records) when the search ends. See `Session::load_sliced`.

use gloo_timers::callback::Timeout;
use yew::prelude::*;

use super::{now_ms, ClusterLab, Msg};
use crate::sim::history::linearizable::{Model, Search};

/// Wall time one slice may take before yielding to the page.
const SLICE_MS: f64 = 8.0;
/// Search steps between two looks at the clock.
const STEPS_PER_LOOK: u64 = 2_000;
/// The page re-renders the progress at most this often (ms).
const SHOW_EVERY_MS: f64 = 100.0;

/// A running end-of-run check.
pub struct EndCheck {
    search: Search,
    timer: Option<Timeout>,
    shown: f64,
}

impl EndCheck {
    /// Progress 0..1 and search steps so far.
    pub fn progress(&self) -> (f64, u64) {
        (self.search.progress(), self.search.steps())
    }
}

impl ClusterLab {
    /// A session was loaded: its pending end-of-run check, if any, starts at the next render.
    pub(super) fn end_check_reset(&mut self) {
        let c = self
            .shared
            .borrow()
            .session
            .as_ref()
            .and_then(|s| s.sliced().cloned());
        self.end_check = c.map(|c| EndCheck {
            search: Search::new(Model::CasRegister, &c.ops, c.budget),
            timer: None,
            shown: now_ms(),
        });
    }

    /// Schedules the next slice if none is (after a render).
    pub(super) fn end_check_kick(&mut self, ctx: &Context<Self>) {
        if let Some(ec) = self.end_check.as_mut().filter(|e| e.timer.is_none()) {
            let link = ctx.link().clone();
            ec.timer = Some(Timeout::new(0, move || {
                link.send_message(Msg::EndCheckTick)
            }));
        }
    }

    /// One slice of the search; at its end the verdict goes into the session. Whether to
    /// re-render.
    pub(super) fn end_check_tick(&mut self, ctx: &Context<Self>) -> bool {
        let pending = self
            .shared
            .borrow()
            .session
            .as_ref()
            .is_some_and(|s| s.sliced().is_some());
        let Some(ec) = self.end_check.as_mut().filter(|_| pending) else {
            // A command changed the run: its end is no longer judged.
            return self.end_check.take().is_some();
        };
        ec.timer = None;
        let start = now_ms();
        let done = loop {
            if let Some(r) = ec.search.run(STEPS_PER_LOOK) {
                break Some(r);
            }
            if now_ms() - start >= SLICE_MS {
                break None;
            }
        };
        match done {
            Some(report) => {
                self.end_check = None;
                if let Some(s) = self.shared.borrow_mut().session.as_mut() {
                    s.conclude_sliced(&report);
                }
                self.kick();
                true
            }
            None => {
                let show = now_ms() - ec.shown >= SHOW_EVERY_MS;
                if show {
                    ec.shown = now_ms();
                }
                self.end_check_kick(ctx);
                show
            }
        }
    }
}
