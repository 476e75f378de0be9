//! The Cluster tab's long jobs: "Explore N seeds" and the 2PC Verify go to a job worker each
//! (started on first use and kept, so the next job starts at once; terminated to cancel), and
//! run on the page instead, with a note saying why, when no worker can start or one dies.

pub use crate::model::job::JobKind;
use gloo_timers::callback::Timeout;
use yew::prelude::*;

use super::{now_ms, ClusterLab, Msg};
use crate::model::job::{FoundMsg, Reply, Request};
use crate::sim::explore::{Explorer, Progress};
use crate::ui::cluster::explore;
use crate::ui::cluster::worker::JobWorker;

/// On the page, exploration works in slices of about this many wall ms between frames.
const EXPLORE_SLICE_MS: f64 = 12.0;

fn fallback_note(why: &str) -> String {
    format!("No Web Worker ({why}): running on the page between frames, so the page may stutter.")
}

impl ClusterLab {
    /// The worker for `kind`, started if need be.
    fn worker(&mut self, ctx: &Context<Self>, kind: JobKind) -> Result<&JobWorker, String> {
        let slot = match kind {
            JobKind::Explore => &mut self.explore_worker,
            JobKind::Verify => &mut self.verify_worker,
        };
        if slot.is_none() {
            let link = ctx.link();
            *slot = Some(JobWorker::spawn(
                link.callback(move |r| Msg::Job(kind, r)),
                link.callback(move |e| Msg::JobWorkerFailed(kind, e)),
            )?);
        }
        slot.as_ref()
            .ok_or_else(|| "the worker did not start".to_string())
    }

    /// "Explore N seeds": checked here (so errors show at once), run in the worker.
    pub(super) fn explore_start(&mut self, ctx: &Context<Self>) {
        let scenario = self
            .shared
            .borrow()
            .session
            .as_ref()
            .map(|s| s.scenario().clone());
        let Some(scenario) = scenario else {
            return;
        };
        let ex = match explore::parse_seeds(&self.explore.seeds)
            .and_then(|n| Explorer::new(scenario, n))
        {
            Ok(ex) => ex,
            Err(e) => {
                self.explore.error = Some(e);
                return;
            }
        };
        let req = Request::Explore {
            scenario: ex.scenario().encode(),
            seeds: ex.seeds(),
        };
        let sent = self
            .worker(ctx, JobKind::Explore)
            .and_then(|w| w.submit(req));
        match sent {
            Ok(()) => {
                self.explore.note = None;
                self.explore.start(ex, false, now_ms());
            }
            Err(e) => {
                self.explore_worker = None;
                self.explore.note = Some(fallback_note(&e));
                self.explore_on_page(ctx, ex);
            }
        }
    }

    fn explore_on_page(&mut self, ctx: &Context<Self>, ex: Explorer) {
        self.explore.start(ex, true, now_ms());
        ctx.link().send_message(Msg::ExploreTick);
    }

    /// The in-page fallback: one slice of exploration, then the next after a frame.
    pub(super) fn explore_tick(&mut self, ctx: &Context<Self>) {
        let Some(r) = self.explore.running.as_mut().filter(|r| r.on_page) else {
            return;
        };
        let ex = &mut r.explorer;
        let start = now_ms();
        loop {
            let step = ex.step();
            r.done = ex.seeds_done();
            match step {
                Ok(Progress::Done(found)) => {
                    r.counts = ex.counts().clone();
                    let ms = now_ms() - r.started;
                    self.explore.finish(found, ms);
                    self.explore_timer = None;
                    return;
                }
                Ok(Progress::Seed(_)) | Ok(Progress::Shrinking) => {}
                Err(e) => {
                    self.explore.fail(e);
                    self.explore_timer = None;
                    return;
                }
            }
            if now_ms() - start >= EXPLORE_SLICE_MS {
                break;
            }
        }
        r.counts = ex.counts().clone();
        let link = ctx.link().clone();
        self.explore_timer = Some(Timeout::new(0, move || link.send_message(Msg::ExploreTick)));
    }

    /// "Cancel": the worker is terminated (a new one starts with the next job).
    pub(super) fn explore_cancel(&mut self) {
        self.explore_timer = None;
        if self.explore.running.as_ref().is_some_and(|r| !r.on_page) {
            self.explore_worker = None;
        }
        self.explore.cancel(now_ms());
    }

    /// The 2PC Verify: in the worker.
    pub(super) fn verify_run(&mut self, ctx: &Context<Self>) {
        let (rms, heuristic) = (self.verify.rms, self.verify.heuristic);
        let sent = self
            .worker(ctx, JobKind::Verify)
            .and_then(|w| w.submit(Request::Verify { rms, heuristic }));
        match sent {
            Ok(()) => {
                self.verify.running = Some(now_ms());
                self.verify.note = None;
            }
            Err(e) => {
                self.verify_worker = None;
                self.verify_on_page(fallback_note(&e));
            }
        }
    }

    fn verify_on_page(&mut self, note: String) {
        let start = now_ms();
        let r = crate::model::verify::verify(self.verify.rms, self.verify.heuristic);
        self.verify.result = Some((r, now_ms() - start));
        self.verify.running = None;
        self.verify.note = Some(note);
    }

    /// "Cancel" on the Verify panel.
    pub(super) fn verify_cancel(&mut self) {
        if self.verify.running.take().is_some() {
            self.verify_worker = None;
            self.verify.note = Some("Cancelled.".into());
        }
    }

    /// A worker's reply.
    pub(super) fn job_reply(&mut self, kind: JobKind, r: Reply) {
        match r {
            Reply::Ready => {}
            Reply::Progress { done, counts, .. } => self.explore.progress(done, counts),
            Reply::Explored {
                done,
                counts,
                found,
                ms,
                ..
            } => {
                self.explore.progress(done, counts);
                match found.map(FoundMsg::unpack).transpose() {
                    Ok(found) => self.explore.finish(found.map(Box::new), ms),
                    Err(e) => self.explore.fail(e),
                }
            }
            Reply::Verified { result, ms } => {
                if self.verify.running.take().is_some() {
                    self.verify.result = Some((result, ms));
                }
            }
            // A refused Verify comes back as its result; this is a job the worker could not read.
            Reply::Failed { error } if kind == JobKind::Verify => {
                if self.verify.running.take().is_some() {
                    self.verify.result = Some((Err(error), 0.0));
                }
            }
            Reply::Failed { error } => self.explore.fail(error),
        }
    }

    /// A worker failed to load or died: its job runs on the page instead.
    pub(super) fn job_worker_failed(&mut self, ctx: &Context<Self>, kind: JobKind, e: String) {
        let note = fallback_note(&format!("the worker failed: {e}"));
        match kind {
            JobKind::Explore => {
                self.explore_worker = None;
                let running = self.explore.running.take();
                // The explorer kept for this has not run yet: it starts from the first seed.
                if let Some(r) = running.filter(|r| !r.on_page) {
                    self.explore.note = Some(note);
                    self.explore_on_page(ctx, r.explorer);
                }
            }
            JobKind::Verify => {
                self.verify_worker = None;
                if self.verify.running.is_some() {
                    self.verify_on_page(note);
                }
            }
        }
    }
}
