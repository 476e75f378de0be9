//! The Cluster tab's long jobs: "Explore N seeds", the 2PC Verify and a panel's table job
//! (the saga's "Compare with 2PC" on a page without 2PC) go to a job worker each
//! (started on first use and kept, so the next job starts at once; terminated to cancel).
//! They run only there, so the explorer and the model checker are in the worker's wasm and
//! not the page's; when no worker can start, or one dies, the panel says so and names the
//! CLI command that runs the same job.

pub use crate::model::job::JobKind;
use yew::prelude::*;

use super::{now_ms, ClusterLab, Msg};
use crate::model::job::{FoundMsg, Reply, Request};
#[cfg(feature = "table-jobs")]
use crate::model::panel_memo::Memo;
use crate::ui::cluster::explore;
use crate::ui::cluster::worker::JobWorker;

/// What the panel says when `kind` could not run for want of a worker (`why`).
pub fn no_worker_note(kind: JobKind, why: &str) -> String {
    let (job, cli) = match kind {
        JobKind::Explore => ("Explore", "ringlab-cli explore"),
        JobKind::Verify => ("Verify", "ringlab-cli check 2pc"),
        #[cfg(feature = "table-jobs")]
        JobKind::Compare => ("Compare with 2PC", "ringlab-cli compare saga-vs-2pc"),
    };
    format!(
        "No Web Worker ({why}): {job} runs only in a Web Worker, so it did not run; {cli} runs the same job."
    )
}

impl ClusterLab {
    /// The worker for `kind`, started if need be.
    fn worker(&mut self, ctx: &Context<Self>, kind: JobKind) -> Result<&JobWorker, String> {
        let slot = match kind {
            JobKind::Explore => &mut self.explore_worker,
            JobKind::Verify => &mut self.verify_worker,
            #[cfg(feature = "table-jobs")]
            JobKind::Compare => &mut self.table_worker,
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
        // What the page can check at once; the worker's `Explorer::new` checks the rest and
        // its refusal comes back as the job's error (the explorer is not in the page's wasm).
        let seeds = match explore::parse_seeds(&self.explore.seeds) {
            Ok(n) if scenario.fault_budget.is_some() => n,
            Ok(_) => {
                self.explore.error = Some("fault_budget: missing; explore needs one".into());
                return;
            }
            Err(e) => {
                self.explore.error = Some(e);
                return;
            }
        };
        let title = scenario.title.clone();
        let req = Request::Explore {
            scenario: scenario.encode(),
            seeds,
        };
        let sent = self
            .worker(ctx, JobKind::Explore)
            .and_then(|w| w.submit(req));
        match sent {
            Ok(()) => {
                self.explore.note = None;
                self.explore.start(title, seeds, now_ms());
            }
            Err(e) => {
                self.explore_worker = None;
                self.explore.error = None;
                self.explore.note = Some(no_worker_note(JobKind::Explore, &e));
            }
        }
    }

    /// "Cancel": the worker is terminated (a new one starts with the next job).
    pub(super) fn explore_cancel(&mut self) {
        if self.explore.running.is_some() {
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
                self.verify.note = Some(no_worker_note(JobKind::Verify, &e));
            }
        }
    }

    /// "Cancel" on the Verify panel.
    pub(super) fn verify_cancel(&mut self) {
        if self.verify.running.take().is_some() {
            self.verify_worker = None;
            self.verify.note = Some("Cancelled.".into());
        }
    }

    /// A panel's table job: the memo says it runs until the reply comes (a job still running
    /// is replaced: its worker is terminated).
    #[cfg(feature = "table-jobs")]
    pub(super) fn table_job(&mut self, ctx: &Context<Self>, key: &'static str, req: Request) {
        if self.table_key.take().is_some() {
            self.table_worker = None;
        }
        let sent = self
            .worker(ctx, JobKind::Compare)
            .and_then(|w| w.submit(req));
        match sent {
            Ok(()) => {
                self.table_key = Some(key);
                self.memo.set(key, Some(Memo::Running));
            }
            Err(e) => {
                self.table_worker = None;
                let note = no_worker_note(JobKind::Compare, &e);
                self.memo.set(key, Some(Memo::Table(Err(note))));
            }
        }
    }

    /// The table a worker computed (or why not), kept unless another scenario loaded since.
    #[cfg(feature = "table-jobs")]
    fn table_done(&mut self, result: Result<Vec<Vec<String>>, String>) {
        if let Some(key) = self.table_key.take() {
            if self.memo.running(key) {
                self.memo.set(key, Some(Memo::Table(result)));
            }
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
            #[cfg(feature = "table-jobs")]
            Reply::Compared { result, .. } => self.table_done(result),
            #[cfg(feature = "table-jobs")]
            Reply::Failed { error } if kind == JobKind::Compare => self.table_done(Err(error)),
            // A refused Verify comes back as its result; this is a job the worker could not read.
            Reply::Failed { error } if kind == JobKind::Verify => {
                if self.verify.running.take().is_some() {
                    self.verify.result = Some((Err(error), 0.0));
                }
            }
            Reply::Failed { error } => self.explore.fail(error),
        }
    }

    /// A worker failed to load or died: its job is lost, and the panel says why.
    pub(super) fn job_worker_failed(&mut self, kind: JobKind, e: String) {
        let note = no_worker_note(kind, &format!("the worker failed: {e}"));
        match kind {
            JobKind::Explore => {
                self.explore_worker = None;
                if self.explore.running.take().is_some() {
                    self.explore.note = Some(note);
                }
            }
            JobKind::Verify => {
                self.verify_worker = None;
                if self.verify.running.take().is_some() {
                    self.verify.note = Some(note);
                }
            }
            #[cfg(feature = "table-jobs")]
            JobKind::Compare => {
                self.table_worker = None;
                self.table_done(Err(note));
            }
        }
    }
}
