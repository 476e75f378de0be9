//! A Redis-style lock server: `SET key value NX PX ttl` with a FIFO wait queue, leases on
//! the server's own clock, compare-and-delete or blind release, fencing tokens per key.
//! Redlock masters are the same server answering without queueing.
//!
//! Ownership follows the ring. A server checks, lazily on each request, that the ring still
//! names it owner; after a membership change it *takes over*: with replication it first
//! asks the other replicas for the freshest copy (holding requests back meanwhile); without
//! it starts from whatever it has, usually nothing, which is how a second holder appears.
//!
//! Copies are stamped (ownership epoch, version): a new owner serves under the ring epoch
//! at which it took over, so a late copy from a previous owner always compares older. An
//! owner ignores copies from others, and a replica acknowledges only the exact state it
//! holds, so a stale owner can never get a grant confirmed.

use crate::sim::vecmap::VecMap;
use std::sync::Arc;

use super::cfg::{LockCfg, Params, Recipe, Replication};
use super::event::{HandoffHow, LockEv};
use super::model::redis::{self as rules, Cond};
use super::wire::{Holder, Msg, Rec, ResKey, Timer, NO_HOLDER};
use super::{place, until};
use crate::sim::ids::NodeIx;
use crate::sim::proto::{Ctx, Payload, Record, TimerKind};

/// A client waiting in the FIFO queue of a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter {
    /// The client.
    pub client: NodeIx,
    /// The value it will hold the lock with.
    pub value: u32,
}

/// An answer held back until a replica has stored the change it reports (sync mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    to: NodeIx,
    value: u32,
    renew: bool,
    need: u64,
}

/// Most client requests a server holds back while it takes over a lock.
const MAX_DEFERRED: usize = 64;

/// A takeover in progress: waiting for the other replicas' copies.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Takeover {
    gen: u32,
    /// Lock servers up in the ring that have not answered yet.
    waiting: Vec<NodeIx>,
    answered: u32,
    /// Freshest copy heard so far that beats ours: (from, stamp, token, holder, value).
    best: Option<(NodeIx, u64, u64, u16, u32)>,
    /// Client requests that arrived meanwhile, answered once the takeover is done.
    deferred: Vec<(NodeIx, Msg)>,
}

/// One lock as this server knows it (as owner, or as a replica's copy).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// Current holder and lease end (server clock).
    pub holder: Option<Holder>,
    /// Waiters, first served first.
    pub queue: Vec<Waiter>,
    /// Last fencing token issued.
    pub token: u64,
    /// Ring epoch at which the owner that wrote this state took over.
    pub epoch: u32,
    /// Bumped on every change; with `epoch`, orders copies (see [`Entry::stamp`]).
    pub version: u32,
    /// Ring epoch at which this server last confirmed it owns the lock.
    pub serving: Option<u64>,
    /// Whether the state was written by this server as owner (false: a replica's copy).
    pub mine: bool,
    gen: u32,
    acked: u64,
    pending: Vec<Pending>,
    takeover: Option<Takeover>,
}

impl Entry {
    /// (epoch, version) as one number: larger is fresher.
    pub fn stamp(&self) -> u64 {
        (u64::from(self.epoch) << 32) | u64::from(self.version)
    }

    fn set_stamp(&mut self, stamp: u64) {
        self.epoch = (stamp >> 32) as u32;
        self.version = stamp as u32;
    }
}

/// The lock table of one server.
#[derive(Clone, Debug, PartialEq)]
pub struct KvServer {
    cfg: Arc<LockCfg>,
    p: Params,
    table: VecMap<ResKey, Entry>,
    dirty: VecMap<ResKey, ()>,
    tick_armed: bool,
}

enum Gate {
    Ready,
    NotOwner,
    /// Taking over: the request was held back and will be handled afterwards.
    Busy,
}

fn send(ctx: &mut Ctx<'_>, to: NodeIx, m: Msg) {
    ctx.send(to, Payload::Locks(m));
}

fn timer(ctx: &mut Ctx<'_>, after: u64, t: Timer) {
    ctx.set_timer(after, TimerKind::Locks(t));
}

fn emit(ctx: &mut Ctx<'_>, ev: LockEv) {
    ctx.emit(super::ev(ev));
}

impl KvServer {
    /// Starts the server; with persistence on, restores every lock (and its lease end, on
    /// this server's clock) from the durable log.
    pub(crate) fn boot(cfg: Arc<LockCfg>, ctx: &mut Ctx<'_>) -> Self {
        let p = cfg.params();
        let mut table: VecMap<ResKey, Entry> = VecMap::default();
        if p.persist {
            for r in ctx.durable() {
                if let Record::Locks(Rec::Kv {
                    res,
                    epoch,
                    version,
                    token,
                    holder,
                }) = r
                {
                    let e = table.entry_default(*res);
                    e.epoch = *epoch;
                    e.version = *version;
                    e.token = *token;
                    e.holder = *holder;
                    e.mine = true;
                }
            }
        }
        let now = ctx.now_local();
        for (res, e) in table.iter_mut() {
            if let Some(h) = e.holder {
                e.gen += 1;
                timer(
                    ctx,
                    until(now, h.expires),
                    Timer::Expire {
                        res: *res,
                        gen: e.gen,
                    },
                );
            }
        }
        KvServer {
            cfg,
            p,
            table,
            dirty: VecMap::default(),
            tick_armed: false,
        }
    }

    /// Every lock this server has state for.
    pub fn entries(&self) -> impl Iterator<Item = (&ResKey, &Entry)> {
        self.table.iter()
    }

    /// Rough heap footprint.
    pub fn approx_bytes(&self) -> usize {
        self.table.len() * (std::mem::size_of::<Entry>() + 16)
            + self
                .table
                .values()
                .map(|e| e.queue.capacity() * std::mem::size_of::<Waiter>())
                .sum::<usize>()
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        match m {
            Msg::Acquire { res, value, wait } => self.acquire(ctx, from, res, value, wait),
            Msg::Renew { res, value } => self.renew(ctx, from, res, value),
            Msg::Release { res, value, check } => self.release(ctx, from, res, value, check),
            Msg::Replicate {
                res,
                stamp,
                token,
                holder,
                value,
            } => self.copy_in(ctx, from, res, stamp, token, holder, value),
            Msg::ReplAck { res, stamp } => self.acked(ctx, res, stamp),
            Msg::StateReq { res } => {
                let e = self.table.get(&res).cloned().unwrap_or_default();
                send(ctx, from, state_msg(res, &e));
            }
            _ => {}
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        match t {
            Timer::Expire { res, gen } => self.expire(ctx, res, gen),
            Timer::Takeover { res, gen } => {
                let current = self
                    .table
                    .get(&res)
                    .and_then(|e| e.takeover.as_ref())
                    .is_some_and(|t| t.gen == gen);
                if current {
                    self.finish_takeover(ctx, res, true);
                }
            }
            Timer::Replicate => self.tick(ctx),
            _ => {}
        }
    }

    /// Servers that hold `res` under the ring: the owner (or Redlock's masters) first.
    fn members(&self, ctx: &Ctx<'_>, res: ResKey) -> Vec<NodeIx> {
        let n = match self.p.recipe {
            Recipe::Redlock => self.p.masters,
            _ => self.p.replicas.max(1),
        };
        place(ctx, &self.cfg, res, n as usize)
    }

    fn is_owner(&self, ctx: &Ctx<'_>, res: ResKey) -> bool {
        let m = self.members(ctx, res);
        match self.p.recipe {
            Recipe::Redlock => m.contains(&ctx.me()),
            _ => m.first() == Some(&ctx.me()),
        }
    }

    /// Replica targets of `res` (the next lock servers on the ring), when this server owns it.
    fn replica_targets(&self, ctx: &Ctx<'_>, res: ResKey) -> Vec<NodeIx> {
        if self.p.replication == Replication::None || self.p.recipe == Recipe::Redlock {
            return Vec::new();
        }
        let me = ctx.me();
        self.members(ctx, res)
            .into_iter()
            .filter(|&n| n != me)
            .collect()
    }

    /// Other lock servers present in the ring: all of them (to ask) and those up (to wait
    /// for).
    fn peers(&self, ctx: &Ctx<'_>) -> (Vec<NodeIx>, Vec<NodeIx>) {
        let me = ctx.me();
        let mut all = Vec::new();
        let mut up = Vec::new();
        for (_, info) in ctx.ring().nodes() {
            if !super::is_lock_server(&self.cfg, &info.name) {
                continue;
            }
            if let Some(ix) = ctx.node_ix(&info.name).filter(|&ix| ix != me) {
                all.push(ix);
                if info.up {
                    up.push(ix);
                }
            }
        }
        (all, up)
    }

    /// Is this server the owner and done taking over? Starts a takeover when needed and
    /// holds `request` (from `from`) back until it is done.
    fn gate(&mut self, ctx: &mut Ctx<'_>, res: ResKey, from: NodeIx, request: Msg) -> Gate {
        if !self.is_owner(ctx, res) {
            return Gate::NotOwner;
        }
        let epoch = ctx.ring_epoch();
        let e = self.table.entry_default(res);
        if e.serving == Some(epoch) {
            return Gate::Ready;
        }
        if let Some(t) = e.takeover.as_mut() {
            if t.deferred.len() < MAX_DEFERRED {
                t.deferred.push((from, request));
            }
            return Gate::Busy;
        }
        if self.p.replication == Replication::None || self.p.recipe == Recipe::Redlock {
            let first = e.serving.is_none();
            e.serving = Some(epoch);
            e.mine = true;
            if first && epoch > 0 && self.p.recipe == Recipe::Redis {
                let (holder, token) = (e.holder.map(|h| h.client), e.token);
                emit(
                    ctx,
                    LockEv::LockHandoff {
                        res,
                        how: HandoffHow::None,
                        holder,
                        token,
                    },
                );
            }
            return Gate::Ready;
        }
        // Ask every lock server, not just today's replicas: the one that acknowledged the
        // last confirmed state may have left the replica set since. Wait for those up in
        // the ring; a lease-long timeout covers the rest.
        let (asked, waiting) = self.peers(ctx);
        let e = self.table.entry_default(res);
        if waiting.is_empty() {
            self.finish_takeover(ctx, res, false);
            return Gate::Ready;
        }
        e.gen += 1;
        let gen = e.gen;
        e.takeover = Some(Takeover {
            gen,
            waiting,
            answered: 0,
            best: None,
            deferred: vec![(from, request)],
        });
        for t in asked {
            send(ctx, t, Msg::StateReq { res });
        }
        let wait = self.p.ttl + self.p.drift;
        timer(ctx, wait, Timer::Takeover { res, gen });
        Gate::Busy
    }

    fn finish_takeover(&mut self, ctx: &mut Ctx<'_>, res: ResKey, timed_out: bool) {
        let now = ctx.now_local();
        let (ttl, epoch) = (self.p.ttl, ctx.ring_epoch());
        let e = self.table.entry_default(res);
        let t = e.takeover.take();
        let first = e.serving.is_none();
        let mut how = None;
        if let Some((_, stamp, token, holder, value)) = t.as_ref().and_then(|t| t.best) {
            e.set_stamp(stamp);
            e.token = e.token.max(token);
            e.holder = (holder != NO_HOLDER).then_some(Holder {
                client: NodeIx::from(holder),
                value,
                token,
                expires: now.saturating_add(ttl as i64),
            });
            how = Some(HandoffHow::Transfer);
        } else if !e.mine && e.version > 0 {
            how = Some(HandoffHow::Replica);
        } else if timed_out && t.as_ref().is_some_and(|t| t.answered == 0) {
            how = Some(HandoffHow::Wait);
        } else if first && epoch > 0 {
            how = Some(HandoffHow::Empty);
        }
        e.serving = Some(epoch);
        e.epoch = epoch.min(u64::from(u32::MAX)) as u32;
        e.mine = true;
        // Answers never confirmed by a replica are void: the state may have changed.
        e.pending.clear();
        e.acked = 0;
        e.gen += 1;
        let (gen, holder, token) = (e.gen, e.holder, e.token);
        if let Some(h) = holder {
            timer(ctx, until(now, h.expires), Timer::Expire { res, gen });
        }
        if let Some(how) = how {
            emit(
                ctx,
                LockEv::LockHandoff {
                    res,
                    how,
                    holder: holder.map(|h| h.client),
                    token,
                },
            );
        }
        self.changed(ctx, res);
        for (from, m) in t.map(|t| t.deferred).unwrap_or_default() {
            self.on_message(ctx, from, m);
        }
    }

    fn acquire(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, res: ResKey, value: u32, wait: bool) {
        match self.gate(ctx, res, from, Msg::Acquire { res, value, wait }) {
            Gate::NotOwner => return send(ctx, from, Msg::NotOwner { res, value }),
            Gate::Busy => return,
            Gate::Ready => {}
        }
        let now = ctx.now_local();
        let e = self.table.entry_default(res);
        // `SET res value NX PX ttl`: refused while a live key exists (Redis's own rule).
        let live = e.holder.filter(|h| rules::live(Some(h.expires), now));
        let refused = !rules::set_applies(Cond::Nx, live.is_some());
        if let (true, Some(h)) = (refused, live) {
            if h.client == from && h.value == value {
                // A retry: the grant (or its answer) may have been lost.
                return self.answer(ctx, res, from, value, false);
            }
            if !wait {
                return send(ctx, from, Msg::Refused { res, value });
            }
            let position = match e
                .queue
                .iter()
                .position(|w| w.client == from && w.value == value)
            {
                Some(i) => i as u32 + 1,
                None => {
                    e.queue.push(Waiter {
                        client: from,
                        value,
                    });
                    let position = e.queue.len() as u32;
                    emit(
                        ctx,
                        LockEv::LockQueue {
                            res,
                            client: from,
                            position,
                        },
                    );
                    position
                }
            };
            return send(
                ctx,
                from,
                Msg::Queued {
                    res,
                    value,
                    position,
                },
            );
        }
        self.grant(ctx, res, from, value, false);
    }

    fn grant(&mut self, ctx: &mut Ctx<'_>, res: ResKey, client: NodeIx, value: u32, queued: bool) {
        let now = ctx.now_local();
        let ttl = self.p.ttl;
        let e = self.table.entry_default(res);
        e.token += 1;
        e.gen += 1;
        let token = e.token;
        let gen = e.gen;
        e.holder = Some(Holder {
            client,
            value,
            token,
            expires: now.saturating_add(ttl as i64),
        });
        timer(ctx, ttl, Timer::Expire { res, gen });
        emit(
            ctx,
            LockEv::LockGrant {
                res,
                client,
                token,
                queued,
            },
        );
        self.changed(ctx, res);
        self.answer(ctx, res, client, value, false);
    }

    fn renew(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, res: ResKey, value: u32) {
        match self.gate(ctx, res, from, Msg::Renew { res, value }) {
            Gate::NotOwner => return send(ctx, from, Msg::NotOwner { res, value }),
            Gate::Busy => return,
            Gate::Ready => {}
        }
        let now = ctx.now_local();
        let ttl = self.p.ttl as i64;
        let e = self.table.entry_default(res);
        match e.holder.as_mut() {
            // The renewal script: compare the value, then PEXPIRE.
            Some(h) if rules::script_matches(Some(&(h.client, h.value)), &(from, value), true) => {
                h.expires = now.saturating_add(ttl);
                self.changed(ctx, res);
                self.answer(ctx, res, from, value, true);
            }
            _ => send(ctx, from, Msg::Refused { res, value }),
        }
    }

    fn release(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, res: ResKey, value: u32, check: bool) {
        match self.gate(ctx, res, from, Msg::Release { res, value, check }) {
            Gate::NotOwner | Gate::Busy => return,
            Gate::Ready => {}
        }
        let e = self.table.entry_default(res);
        e.queue.retain(|w| !(w.client == from && w.value == value));
        // Compare-and-delete (the release script) or, unchecked, a blind `DEL`.
        let mine = |h: &Holder, check| {
            rules::script_matches(Some(&(h.client, h.value)), &(from, value), check)
        };
        let ok = match e.holder {
            Some(h) if mine(&h, true) => {
                emit(
                    ctx,
                    LockEv::LockFree {
                        res,
                        holder: h.client,
                        token: h.token,
                        by: from,
                        blind: false,
                    },
                );
                true
            }
            Some(h) if mine(&h, check) => {
                emit(
                    ctx,
                    LockEv::LockFree {
                        res,
                        holder: h.client,
                        token: h.token,
                        by: from,
                        blind: h.client != from,
                    },
                );
                true
            }
            _ => false,
        };
        if ok {
            let e = self.table.entry_default(res);
            e.holder = None;
            e.pending.clear();
            self.changed(ctx, res);
            self.grant_next(ctx, res);
        }
        send(ctx, from, Msg::Released { res, value, ok });
    }

    fn expire(&mut self, ctx: &mut Ctx<'_>, res: ResKey, gen: u32) {
        let now = ctx.now_local();
        let owner = self.is_owner(ctx, res);
        let Some(e) = self.table.get_mut(&res) else {
            return;
        };
        let Some(h) = e.holder.filter(|_| e.gen == gen) else {
            return;
        };
        if now < h.expires {
            // Renewed meanwhile: wait for the new end.
            return timer(ctx, until(now, h.expires), Timer::Expire { res, gen });
        }
        e.holder = None;
        e.pending.clear();
        if !owner {
            // A stale copy: the owner decides, not us.
            return;
        }
        emit(
            ctx,
            LockEv::LockExpire {
                res,
                client: h.client,
                token: h.token,
            },
        );
        self.changed(ctx, res);
        self.grant_next(ctx, res);
    }

    fn grant_next(&mut self, ctx: &mut Ctx<'_>, res: ResKey) {
        let Some(e) = self.table.get_mut(&res) else {
            return;
        };
        if e.holder.is_some() || e.queue.is_empty() {
            return;
        }
        let w = e.queue.remove(0);
        self.grant(ctx, res, w.client, w.value, true);
    }

    /// Records a change: new version, durable log, replication.
    fn changed(&mut self, ctx: &mut Ctx<'_>, res: ResKey) {
        let persist = self.p.persist;
        let e = self.table.entry_default(res);
        e.version += 1;
        if persist {
            ctx.persist(Record::Locks(Rec::Kv {
                res,
                epoch: e.epoch,
                version: e.version,
                token: e.token,
                holder: e.holder,
            }));
        }
        match self.p.replication {
            Replication::None => {}
            Replication::Sync => {
                let m = state_msg(res, e);
                for t in self.replica_targets(ctx, res) {
                    send(ctx, t, m);
                }
                self.arm_tick(ctx, self.p.retry);
            }
            Replication::Async => {
                self.dirty.insert(res, ());
                self.arm_tick(ctx, self.p.repl_ms);
            }
        }
    }

    /// Answers a grant or renewal now, or (sync replication) once a replica holds the
    /// current state.
    fn answer(&mut self, ctx: &mut Ctx<'_>, res: ResKey, to: NodeIx, value: u32, renew: bool) {
        let sync =
            self.p.replication == Replication::Sync && !self.replica_targets(ctx, res).is_empty();
        let now = ctx.now_local();
        let e = self.table.entry_default(res);
        let need = e.stamp();
        if sync && e.acked < need {
            e.pending
                .retain(|p| !(p.to == to && p.value == value && p.renew == renew));
            e.pending.push(Pending {
                to,
                value,
                renew,
                need,
            });
            return;
        }
        if let Some(m) = reply(res, e, now, to, value, renew) {
            send(ctx, to, m);
        }
    }

    fn acked(&mut self, ctx: &mut Ctx<'_>, res: ResKey, stamp: u64) {
        let now = ctx.now_local();
        let Some(e) = self.table.get_mut(&res) else {
            return;
        };
        // Only an acknowledgement of the current state counts.
        if stamp != e.stamp() {
            return;
        }
        e.acked = stamp;
        let ready = std::mem::take(&mut e.pending);
        let msgs: Vec<(NodeIx, Msg)> = ready
            .iter()
            .filter_map(|p| reply(res, e, now, p.to, p.value, p.renew).map(|m| (p.to, m)))
            .collect();
        for (to, m) in msgs {
            send(ctx, to, m);
        }
    }

    /// A replica update from the owner, or an answer to our takeover question.
    #[allow(clippy::too_many_arguments)]
    fn copy_in(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: NodeIx,
        res: ResKey,
        stamp: u64,
        token: u64,
        holder: u16,
        value: u32,
    ) {
        let now = ctx.now_local();
        let (ttl, persist, epoch) = (self.p.ttl as i64, self.p.persist, ctx.ring_epoch());
        let owner = self.is_owner(ctx, res);
        let e = self.table.entry_default(res);
        let mine = e.stamp();
        if let Some(t) = e.takeover.as_mut() {
            let best = t.best.map_or(mine, |b| b.1);
            if stamp > best {
                t.best = Some((from, stamp, token, holder, value));
            }
            t.answered += 1;
            t.waiting.retain(|&n| n != from);
            if t.waiting.is_empty() {
                self.finish_takeover(ctx, res, false);
            }
            return;
        }
        if owner && e.serving == Some(epoch) {
            // We own it now: a copy from anyone else is from a previous owner.
            return;
        }
        if stamp > e.stamp() {
            e.set_stamp(stamp);
            e.token = e.token.max(token);
            e.holder = (holder != NO_HOLDER).then_some(Holder {
                client: NodeIx::from(holder),
                value,
                token,
                expires: now.saturating_add(ttl),
            });
            e.mine = false;
            e.serving = None;
            e.queue.clear();
            e.pending.clear();
            if persist {
                ctx.persist(Record::Locks(Rec::Kv {
                    res,
                    epoch: e.epoch,
                    version: e.version,
                    token: e.token,
                    holder: e.holder,
                }));
            }
        }
        if stamp == e.stamp() {
            send(ctx, from, Msg::ReplAck { res, stamp });
        }
    }

    fn arm_tick(&mut self, ctx: &mut Ctx<'_>, after: u64) {
        if !self.tick_armed {
            self.tick_armed = true;
            timer(ctx, after, Timer::Replicate);
        }
    }

    fn tick(&mut self, ctx: &mut Ctx<'_>) {
        self.tick_armed = false;
        let todo: Vec<ResKey> = match self.p.replication {
            Replication::Async => std::mem::take(&mut self.dirty)
                .into_iter()
                .map(|(k, ())| k)
                .collect(),
            Replication::Sync => self
                .table
                .iter()
                .filter(|(_, e)| e.mine && e.acked < e.stamp() && !e.pending.is_empty())
                .map(|(r, _)| *r)
                .collect(),
            Replication::None => Vec::new(),
        };
        let mut again = false;
        for res in todo {
            if !self.is_owner(ctx, res) {
                continue;
            }
            let Some(e) = self.table.get(&res) else {
                continue;
            };
            let m = state_msg(res, e);
            for t in self.replica_targets(ctx, res) {
                send(ctx, t, m);
            }
            again = true;
        }
        if again && self.p.replication == Replication::Sync {
            self.arm_tick(ctx, self.p.retry);
        }
    }
}

fn state_msg(res: ResKey, e: &Entry) -> Msg {
    Msg::Replicate {
        res,
        stamp: e.stamp(),
        token: e.token,
        holder: e
            .holder
            .and_then(|h| u16::try_from(h.client).ok())
            .unwrap_or(NO_HOLDER),
        value: e.holder.map_or(0, |h| h.value),
    }
}

/// The answer to a grant or renewal, if the requester still holds the lock.
fn reply(res: ResKey, e: &Entry, now: i64, to: NodeIx, value: u32, renew: bool) -> Option<Msg> {
    let h = e.holder.filter(|h| h.client == to && h.value == value)?;
    let lease_ms = until(now, h.expires).min(u32::MAX as u64) as u32;
    Some(if renew {
        Msg::Renewed {
            res,
            value,
            lease_ms,
        }
    } else {
        Msg::Granted {
            res,
            value,
            token: h.token,
            lease_ms,
        }
    })
}
