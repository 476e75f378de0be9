//! A lock client. It runs jobs (take each lock in order, read a counter fenced by the lock
//! of the same name, work, write the counter minus one, release everything) or single
//! acquire/release commands. Each lock it deals with is a [`Slot`] whose state says whether
//! the client is waiting, believes it holds the lock, or has stopped believing so.
//!
//! Belief is only as fresh as the client's timers and messages: a client frozen by a GC
//! pause keeps believing, and on waking it processes its overdue timers in order, so a
//! "work done, write now" timer can fire before its "lease over" timer. That is the bug the
//! lessons show, and why storage needs fencing tokens.

use std::sync::Arc;

use super::cfg::{LockCfg, Params, Recipe};
use super::event::{LockEv, LostWhy};
use super::wire::{Msg, ResKey, Timer};
use super::{random_id, until, MAX_JOB_LOCKS};

/// Read attempts (one per `retry_ms`) before a job gives up on storage and releases its
/// locks, instead of holding them while storage is away.
const READ_TRIES: u32 = 8;
use crate::sim::ids::NodeIx;
use crate::sim::proto::{Ctx, Payload, TimerKind};

/// A session with one coordination server (a ZooKeeper session or an etcd lease), as this
/// client keeps it; the recipes in `client_seq` open and renew it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoordSession {
    /// The server.
    pub server: NodeIx,
    /// Session (lease) id.
    pub sid: u32,
    /// Whether the server confirmed it.
    pub open: bool,
    /// Local time of the last answer.
    pub last: i64,
}

/// Where a client stands with one lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotState {
    /// Redis: asked server `to` (it may have queued us).
    Asking { to: NodeIx },
    /// Redlock: an attempt started at local time `start`; grants so far (master, token).
    Voting {
        start: i64,
        masters: Vec<NodeIx>,
        granted: Vec<(NodeIx, u64)>,
        refused: u32,
    },
    /// Redlock: waiting a random back-off before the next attempt.
    Backoff,
    /// ZooKeeper/etcd: in the queue at `server` with node `seq` (0 until created).
    Queue { server: NodeIx, seq: u64 },
    /// Believes it holds the lock with `token`, until local time `until` by its own
    /// estimate (None: for as long as its session lives).
    Held {
        token: u64,
        until: Option<i64>,
        server: NodeIx,
        seq: u64,
    },
    /// Stopped believing it holds the lock (token `token`); not yet released.
    Lost { token: u64 },
    /// ZooKeeper/etcd: deleting node `seq` (0: still to be created, then deleted).
    Leaving { server: NodeIx, seq: u64 },
}

/// One lock a client is dealing with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The lock.
    pub res: ResKey,
    /// The job it belongs to (None: an `acquire` command).
    pub job: Option<u32>,
    /// Where the client stands.
    pub state: SlotState,
    /// Local time the client started asking.
    pub started: i64,
    /// Whether it had to wait behind another holder.
    pub queued: bool,
    pub(super) id: u32,
    pub(super) gen: u32,
    pub(super) value: u32,
}

impl Slot {
    /// The token, if the client believes it holds the lock.
    pub fn holds(&self) -> Option<u64> {
        match self.state {
            SlotState::Held { token, .. } => Some(token),
            _ => None,
        }
    }

    /// Whether the client is still trying to get the lock.
    pub fn waiting(&self) -> bool {
        matches!(
            self.state,
            SlotState::Asking { .. }
                | SlotState::Voting { .. }
                | SlotState::Backoff
                | SlotState::Queue { .. }
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Locking,
    Reading,
    Working,
    Writing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Job {
    id: u32,
    locks: Vec<ResKey>,
    next: usize,
    work_ms: u64,
    write: Option<ResKey>,
    wait_ms: u64,
    step: Step,
    n: u32,
    value: i64,
    token: u64,
    req: u32,
    tries: u32,
}

/// A client's lock state: slots, jobs, sessions.
#[derive(Clone, Debug, PartialEq)]
pub struct Client {
    pub(super) cfg: Arc<LockCfg>,
    pub(super) p: Params,
    pub(super) slots: Vec<Slot>,
    jobs: Vec<Job>,
    pub(super) sessions: Vec<CoordSession>,
    next_id: u32,
}

pub(super) fn send(ctx: &mut Ctx<'_>, to: NodeIx, m: Msg) {
    ctx.send(to, Payload::Locks(m));
}

pub(super) fn timer(ctx: &mut Ctx<'_>, after: u64, t: Timer) {
    ctx.set_timer(after, TimerKind::Locks(t));
}

pub(super) fn emit(ctx: &mut Ctx<'_>, ev: LockEv) {
    ctx.emit(super::ev(ev));
}

impl Client {
    /// A client with nothing to do (a crash loses every job and belief).
    pub(crate) fn boot(cfg: Arc<LockCfg>) -> Self {
        let p = cfg.params();
        Client {
            cfg,
            p,
            slots: Vec::new(),
            jobs: Vec::new(),
            sessions: Vec::new(),
            next_id: 1,
        }
    }

    /// Every lock the client is dealing with.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The token of `res` if the client believes it holds it.
    pub fn holds(&self, res: &ResKey) -> Option<u64> {
        self.slots
            .iter()
            .find(|s| s.res == *res)
            .and_then(Slot::holds)
    }

    /// Running jobs: id and locks.
    pub fn jobs(&self) -> impl Iterator<Item = (u32, &[ResKey])> {
        self.jobs.iter().map(|j| (j.id, j.locks.as_slice()))
    }

    /// Rough heap footprint.
    pub fn approx_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.jobs.capacity() * std::mem::size_of::<Job>()
            + self.sessions.capacity() * std::mem::size_of::<CoordSession>()
    }

    pub(super) fn find(&self, res: ResKey) -> Option<usize> {
        self.slots.iter().position(|s| s.res == res)
    }

    fn fresh_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    // ----- commands -----

    /// Starts a job; refuses locks the client is already using.
    pub(crate) fn start_job(
        &mut self,
        ctx: &mut Ctx<'_>,
        locks: &[ResKey],
        work_ms: u64,
        write: Option<ResKey>,
        wait_ms: Option<u64>,
    ) -> Result<u32, String> {
        if locks.is_empty() || locks.len() > MAX_JOB_LOCKS {
            return Err(format!("a job takes 1..={MAX_JOB_LOCKS} locks"));
        }
        for (i, r) in locks.iter().enumerate() {
            if locks[..i].contains(r) {
                return Err(format!("{r} is listed twice"));
            }
            if self.find(*r).is_some() {
                return Err(format!("the client is already using {r}"));
            }
        }
        if let Some(w) = write {
            if !locks.contains(&w) {
                return Err(format!("write {w} is not one of the job's locks"));
            }
        }
        let id = self.fresh_id();
        self.jobs.push(Job {
            id,
            locks: locks.to_vec(),
            next: 0,
            work_ms,
            write,
            wait_ms: wait_ms.unwrap_or(self.p.wait_ms),
            step: Step::Locking,
            n: 0,
            value: 0,
            token: 0,
            req: 0,
            tries: 0,
        });
        emit(
            ctx,
            LockEv::JobStart {
                job: id,
                locks: locks.len() as u32,
            },
        );
        let wait = wait_ms.unwrap_or(self.p.wait_ms);
        self.begin(ctx, locks[0], Some(id), wait);
        Ok(id)
    }

    /// Starts taking one lock outside any job (held until [`Client::release`]).
    pub(crate) fn acquire(
        &mut self,
        ctx: &mut Ctx<'_>,
        res: ResKey,
        wait_ms: Option<u64>,
    ) -> Result<(), String> {
        if self.find(res).is_some() {
            return Err(format!("the client is already using {res}"));
        }
        let wait = wait_ms.unwrap_or(self.p.wait_ms);
        self.begin(ctx, res, None, wait);
        Ok(())
    }

    /// Releases (or stops waiting for) a lock taken by [`Client::acquire`].
    pub(crate) fn release(&mut self, ctx: &mut Ctx<'_>, res: ResKey) -> Result<(), String> {
        let Some(i) = self.find(res) else {
            return Err(format!("the client has no lock on {res}"));
        };
        if let Some(j) = self.slots[i].job {
            return Err(format!(
                "{res} belongs to job {j}; jobs release their own locks"
            ));
        }
        if matches!(self.slots[i].state, SlotState::Leaving { .. }) {
            return Err(format!("{res} is already being released"));
        }
        self.release_slot(ctx, i);
        Ok(())
    }

    // ----- slot life -----

    fn begin(&mut self, ctx: &mut Ctx<'_>, res: ResKey, job: Option<u32>, wait_ms: u64) {
        let id = self.fresh_id();
        let value = random_id(ctx);
        self.slots.push(Slot {
            res,
            job,
            state: SlotState::Backoff,
            started: ctx.now_local(),
            queued: false,
            id,
            gen: 0,
            value,
        });
        emit(ctx, LockEv::LockRequest { res, job });
        if wait_ms > 0 {
            timer(ctx, wait_ms, Timer::Deadline { res, gen: id });
        }
        let i = self.slots.len() - 1;
        match self.p.recipe {
            Recipe::Redis => self.kv_ask(ctx, i),
            Recipe::Redlock => self.attempt(ctx, i),
            Recipe::Zookeeper | Recipe::Etcd => self.seq_join(ctx, i),
        }
    }

    /// The client now believes it holds slot `i`'s lock.
    pub(super) fn acquired(
        &mut self,
        ctx: &mut Ctx<'_>,
        i: usize,
        token: u64,
        valid_until: Option<i64>,
        server: NodeIx,
        seq: u64,
    ) {
        let now = ctx.now_local();
        let (renew, ttl) = (self.p.renew && self.p.recipe == Recipe::Redis, self.p.ttl);
        let s = &mut self.slots[i];
        s.gen += 1;
        s.state = SlotState::Held {
            token,
            until: valid_until,
            server,
            seq,
        };
        let (res, id, queued, job) = (s.res, s.id, s.queued, s.job);
        let valid_ms = valid_until.map_or(0, |u| until(now, u));
        emit(
            ctx,
            LockEv::LockAcquired {
                res,
                token,
                waited_ms: now.saturating_sub(s.started).max(0) as u64,
                queued,
                valid_ms,
            },
        );
        if valid_until.is_some() {
            timer(ctx, valid_ms, Timer::Lease { res, gen: id });
        }
        if renew {
            timer(ctx, (ttl / 3).max(1), Timer::Renew { res, gen: id });
        }
        if let Some(j) = job {
            self.job_locked(ctx, j);
        }
    }

    /// The client stops believing it holds slot `i`'s lock.
    pub(super) fn lose(&mut self, ctx: &mut Ctx<'_>, i: usize, why: LostWhy) {
        let s = &mut self.slots[i];
        if let SlotState::Held { token, .. } = s.state {
            s.state = SlotState::Lost { token };
            s.gen += 1;
            let res = s.res;
            emit(ctx, LockEv::LockLost { res, token, why });
        }
    }

    /// Releases a held or lost lock, or cancels a wait; removes the slot unless a
    /// sequential node still has to be deleted.
    fn release_slot(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        let s = &self.slots[i];
        let res = s.res;
        match s.state {
            SlotState::Held { token, .. } => {
                emit(
                    ctx,
                    LockEv::LockReleased {
                        res,
                        token,
                        held: true,
                    },
                );
            }
            SlotState::Lost { token } => {
                emit(
                    ctx,
                    LockEv::LockReleased {
                        res,
                        token,
                        held: false,
                    },
                );
            }
            SlotState::Leaving { .. } => return,
            _ => {}
        }
        let keep = match self.p.recipe {
            Recipe::Redis | Recipe::Redlock => {
                self.kv_release(ctx, i);
                false
            }
            Recipe::Zookeeper | Recipe::Etcd => self.seq_leave(ctx, i),
        };
        if !keep {
            self.slots.remove(i);
        }
    }

    fn timeout(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        let now = ctx.now_local();
        let s = &self.slots[i];
        let (res, job) = (s.res, s.job);
        let waited_ms = now.saturating_sub(s.started).max(0) as u64;
        emit(ctx, LockEv::LockTimeout { res, waited_ms });
        self.release_slot(ctx, i);
        if let Some(j) = job {
            self.end_job(ctx, j, false, format!("timed out waiting for {res}"));
        }
    }

    // ----- jobs -----

    fn job(&mut self, id: u32) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.id == id)
    }

    fn job_locked(&mut self, ctx: &mut Ctx<'_>, id: u32) {
        let Some(j) = self.job(id) else {
            return;
        };
        j.next += 1;
        if let Some(&res) = j.locks.get(j.next) {
            let wait = j.wait_ms;
            return self.begin(ctx, res, Some(id), wait);
        }
        self.start_work(ctx, id);
    }

    fn start_work(&mut self, ctx: &mut Ctx<'_>, id: u32) {
        let token = |c: &Client, k: ResKey| c.holds(&k).unwrap_or(0);
        let Some(j) = self.jobs.iter().find(|j| j.id == id) else {
            return;
        };
        let write = j.write;
        let tok = write.map_or(0, |k| token(self, k));
        let (retry, storage) = (self.p.retry, self.storage(ctx));
        let Some(j) = self.job(id) else {
            return;
        };
        j.n += 1;
        let step = j.n;
        match (write, storage) {
            (Some(key), Some(db)) => {
                j.step = Step::Reading;
                j.token = tok;
                send(ctx, db, Msg::Read { key, token: tok });
                timer(ctx, retry, Timer::Job { job: id, step });
            }
            _ => {
                j.step = Step::Working;
                timer(ctx, j.work_ms, Timer::Job { job: id, step });
            }
        }
    }

    fn storage(&self, ctx: &Ctx<'_>) -> Option<NodeIx> {
        self.cfg.storage.as_deref().and_then(|s| ctx.node_ix(s))
    }

    fn job_timer(&mut self, ctx: &mut Ctx<'_>, id: u32, step: u32) {
        let (retry, storage) = (self.p.retry, self.storage(ctx));
        let Some(j) = self
            .jobs
            .iter()
            .find(|j| j.id == id && j.n == step)
            .cloned()
        else {
            return;
        };
        match j.step {
            Step::Locking => {}
            Step::Reading => {
                if j.tries + 1 >= READ_TRIES {
                    return self.end_job(ctx, id, false, "storage did not answer the read".into());
                }
                if let Some(j) = self.job(id) {
                    j.tries += 1;
                }
                if let (Some(key), Some(db)) = (j.write, storage) {
                    send(
                        ctx,
                        db,
                        Msg::Read {
                            key,
                            token: j.token,
                        },
                    );
                }
                timer(ctx, retry, Timer::Job { job: id, step });
            }
            Step::Working => {
                let (Some(key), Some(db)) = (j.write, storage) else {
                    return self.end_job(ctx, id, true, String::new());
                };
                if self.holds(&key).is_none() {
                    return self.end_job(
                        ctx,
                        id,
                        false,
                        format!("lost the lock on {key} before writing"),
                    );
                }
                if j.value <= 0 {
                    return self.end_job(ctx, id, false, format!("{key} is out of stock"));
                }
                let req = random_id(ctx);
                let value = j.value - 1;
                send(
                    ctx,
                    db,
                    Msg::Write {
                        key,
                        value,
                        token: j.token,
                        req,
                    },
                );
                if let Some(j) = self.job(id) {
                    j.step = Step::Writing;
                    j.req = req;
                    j.n += 1;
                    let step = j.n;
                    timer(ctx, retry.saturating_mul(4), Timer::Job { job: id, step });
                }
            }
            Step::Writing => {
                self.end_job(ctx, id, false, "storage did not answer the write".into())
            }
        }
    }

    fn job_reply(&mut self, ctx: &mut Ctx<'_>, m: Msg) {
        match m {
            Msg::ReadOk { key, value } => {
                let Some(j) = self
                    .jobs
                    .iter_mut()
                    .find(|j| j.step == Step::Reading && j.write == Some(key))
                else {
                    return;
                };
                j.value = value;
                j.step = Step::Working;
                j.n += 1;
                let (id, step, work) = (j.id, j.n, j.work_ms);
                timer(ctx, work, Timer::Job { job: id, step });
            }
            Msg::WriteOk { key, req } => {
                let id = self
                    .jobs
                    .iter()
                    .find(|j| j.step == Step::Writing && j.write == Some(key) && j.req == req)
                    .map(|j| j.id);
                if let Some(id) = id {
                    self.end_job(ctx, id, true, String::new());
                }
            }
            Msg::Rejected { key, req, .. } => {
                let id = self
                    .jobs
                    .iter()
                    .find(|j| {
                        j.write == Some(key)
                            && ((j.step == Step::Reading && req == 0)
                                || (j.step == Step::Writing && j.req == req))
                    })
                    .map(|j| j.id);
                if let Some(id) = id {
                    self.end_job(
                        ctx,
                        id,
                        false,
                        format!("storage refused {key}: stale token"),
                    );
                }
            }
            _ => {}
        }
    }

    fn end_job(&mut self, ctx: &mut Ctx<'_>, id: u32, ok: bool, why: String) {
        let Some(k) = self.jobs.iter().position(|j| j.id == id) else {
            return;
        };
        self.jobs.remove(k);
        emit(ctx, LockEv::JobEnd { job: id, ok, why });
        let mine: Vec<u32> = self
            .slots
            .iter()
            .filter(|s| s.job == Some(id))
            .map(|s| s.id)
            .collect();
        for sid in mine {
            if let Some(i) = self.slots.iter().position(|s| s.id == sid) {
                self.slots[i].job = None;
                self.release_slot(ctx, i);
            }
        }
    }

    // ----- dispatch -----

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        match m {
            Msg::Granted { .. }
            | Msg::Queued { .. }
            | Msg::Refused { .. }
            | Msg::Renewed { .. }
            | Msg::NotOwner { .. } => self.kv_reply(ctx, from, m),
            Msg::Opened { .. }
            | Msg::Pong { .. }
            | Msg::Expired { .. }
            | Msg::Created { .. }
            | Msg::Standing { .. }
            | Msg::Fired { .. }
            | Msg::Deleted { .. } => self.seq_reply(ctx, from, m),
            Msg::ReadOk { .. } | Msg::WriteOk { .. } | Msg::Rejected { .. } => {
                self.job_reply(ctx, m)
            }
            _ => {}
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        let now = ctx.now_local();
        match t {
            Timer::Retry { res, gen } | Timer::Backoff { res, gen } => {
                let Some(i) = self.find(res).filter(|&i| self.slots[i].gen == gen) else {
                    return;
                };
                match self.slots[i].state {
                    SlotState::Asking { .. } => self.kv_ask(ctx, i),
                    SlotState::Voting { .. } => self.fail_attempt(ctx, i),
                    SlotState::Backoff => self.attempt(ctx, i),
                    SlotState::Queue { .. } | SlotState::Leaving { .. } => self.seq_retry(ctx, i),
                    _ => {}
                }
            }
            Timer::Deadline { res, gen } => {
                let live = self
                    .find(res)
                    .filter(|&i| self.slots[i].id == gen && self.slots[i].waiting());
                if let Some(i) = live {
                    self.timeout(ctx, i);
                }
            }
            Timer::Lease { res, gen } => {
                let Some(i) = self.find(res).filter(|&i| self.slots[i].id == gen) else {
                    return;
                };
                if let SlotState::Held { until: Some(u), .. } = self.slots[i].state {
                    if now >= u {
                        self.lose(ctx, i, LostWhy::LeaseExpired);
                    } else {
                        timer(ctx, until(now, u), Timer::Lease { res, gen });
                    }
                }
            }
            Timer::Renew { res, gen } => {
                let Some(i) = self.find(res).filter(|&i| self.slots[i].id == gen) else {
                    return;
                };
                if self.slots[i].holds().is_some() {
                    self.kv_renew(ctx, i, None);
                    timer(ctx, (self.p.ttl / 3).max(1), Timer::Renew { res, gen });
                }
            }
            Timer::Job { job, step } => self.job_timer(ctx, job, step),
            Timer::Ping { server, sid } => self.ping(ctx, server, sid),
            _ => {}
        }
    }
}
