//! Clients of the log: a producer (acks, retries, idempotent sequences) and a consumer-group
//! member (heartbeats, assignments applied at poll time, fetch, process, commit before or
//! after, dead-lettering, the poll-interval check). A client may be both.

use std::collections::VecDeque;
use std::sync::Arc;

use super::cfg::{Acks, CommitMode, MqCfg};
use super::state::{emit, send, sh, sh_mut, timer, up, MsgInfo};
use super::types::Mq;
use super::wire::{MqEv, MqMsg, MqRec, MqTimer, MqUp, ProduceErr};
use super::{parts, PartSet};
use crate::sim::ids::NodeIx;
use crate::sim::proto::{Ctx, Record, Registered};

/// A message the producer still waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    id: u32,
    attempt: u32,
    p: u32,
}

/// A producer's state. Idempotence follows Kafka's Java producer since 2.5 (KIP-360): a
/// record given up on leaves its partition "unresolved" until nothing is in flight there,
/// and the producer then bumps its epoch so the partition's sequences restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Producer {
    pid: u64,
    /// The producer epoch (same producer id, +1 per bump).
    pub epoch: u32,
    /// Last sequence given, per partition.
    seqs: Vec<u32>,
    /// Last sequence acknowledged, per partition.
    acked: Vec<u32>,
    /// The epoch each partition's sequences are under (a partition catches up with a bump
    /// once it has nothing in flight).
    pep: Vec<u32>,
    /// Per partition, 0 or the sequence after the last one given up on (unresolved).
    unres: Vec<u32>,
    /// Records (id, partition) not yet given a sequence (held while their partition is
    /// unresolved).
    held: Vec<(u32, u32)>,
    pending: Vec<Pending>,
    /// Workload messages sent so far.
    pub sent: u32,
}

/// A consumer-group member's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    /// It wants to be in the group.
    pub on: bool,
    joined: bool,
    inc: u64,
    /// Partitions it consumes.
    pub owned: PartSet,
    target: Option<PartSet>,
    epoch: u32,
    fenced: bool,
    waiting_offset: PartSet,
    /// Next offset to fetch, per partition.
    pub pos: Vec<u64>,
    /// Next offset after the last one processed, per partition.
    pub done: Vec<u64>,
    committed: Vec<u64>,
    batch: VecDeque<(u32, u64, u32)>,
    /// A batch is being processed.
    pub processing: bool,
    outstanding: u32,
    token: u32,
    last_poll: i64,
    attempts: u32,
    /// Time to process one message.
    pub process_ms: u64,
    kicked: bool,
    timers: bool,
}

/// A client of the log.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientNode {
    cfg: Arc<MqCfg>,
    /// Its producer.
    pub prod: Producer,
    /// Its group membership.
    pub cons: Consumer,
}

impl ClientNode {
    /// Starts a client: the workload if it is a producer, the group if it is a consumer
    /// (from the config or a durable join).
    /// Takes the settings switched during the run (`mq_set`) from now on.
    pub(crate) fn set_cfg(&mut self, cfg: Arc<MqCfg>) {
        self.cfg = cfg;
    }

    pub(crate) fn boot(cfg: &MqCfg, ctx: &mut Ctx<'_>) -> ClientNode {
        let me = ctx.me();
        let name = ctx.node_name(me).to_string();
        let mut inc = 1;
        let mut on = cfg.consumers.contains(&name);
        let mut process_ms = cfg.process_ms;
        for r in ctx.durable().iter().filter_map(Mq::rec) {
            match *r {
                MqRec::Member { on: o } => on = o,
                MqRec::Slow { ms } => process_ms = ms,
                MqRec::Incarnation { n } => inc = n + 1,
                _ => {}
            }
        }
        ctx.persist(Record::Mq(MqRec::Incarnation { n: inc }));
        let n = cfg.partitions as usize;
        let sent = sh(ctx)
            .book
            .iter()
            .filter(|m| m.producer == me && m.workload)
            .count() as u32;
        let mut c = ClientNode {
            cfg: Arc::new(cfg.clone()),
            prod: Producer {
                pid: (u64::from(me) << 32) | inc,
                epoch: 0,
                seqs: vec![0; n],
                acked: vec![0; n],
                pep: vec![0; n],
                unres: vec![0; n],
                held: Vec::new(),
                pending: Vec::new(),
                sent,
            },
            cons: Consumer {
                on,
                joined: false,
                inc,
                owned: 0,
                target: None,
                epoch: 0,
                fenced: false,
                waiting_offset: 0,
                pos: vec![0; n],
                done: vec![0; n],
                committed: vec![0; n],
                batch: VecDeque::new(),
                processing: false,
                outstanding: 0,
                token: 0,
                last_poll: ctx.now_local(),
                attempts: 0,
                process_ms,
                kicked: false,
                timers: false,
            },
        };
        if cfg.producers.contains(&name) && sent < cfg.messages {
            let wait = (cfg.start_ms as i64 - ctx.now_local()).max(1) as u64;
            timer(ctx, wait, MqTimer::Produce);
        }
        if on {
            c.start(ctx);
        }
        c
    }

    /// Rough heap footprint.
    pub fn approx_bytes(&self) -> usize {
        self.prod.seqs.len() * 16
            + self.prod.held.capacity() * 8
            + self.prod.pending.capacity() * 12
            + self.cons.pos.len() * 24
            + self.cons.batch.len() * 16
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        if self.cons.timers {
            return;
        }
        self.cons.timers = true;
        self.heartbeat(ctx);
        timer(ctx, self.cfg.heartbeat_ms, MqTimer::Heartbeat);
        self.cons.token += 1;
        timer(ctx, self.cfg.poll_ms, MqTimer::Poll { n: self.cons.token });
        if let Some(ms) = self.cfg.auto_commit_ms {
            timer(ctx, ms, MqTimer::AutoCommit);
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: MqTimer) {
        match t {
            MqTimer::Produce => {
                let key = self.prod.sent % self.cfg.keys + 1;
                self.prod.sent += 1;
                self.produce_one(ctx, key, false, true);
                if self.prod.sent < self.cfg.messages {
                    timer(ctx, self.cfg.produce_every_ms, MqTimer::Produce);
                }
            }
            MqTimer::Timeout { id, attempt }
                if self
                    .prod
                    .pending
                    .iter()
                    .any(|p| p.id == id && p.attempt == attempt) =>
            {
                self.retry(ctx, id);
            }
            MqTimer::Retry { id } if self.prod.pending.iter().any(|p| p.id == id) => {
                self.send_req(ctx, id);
            }
            MqTimer::Heartbeat => {
                self.heartbeat(ctx);
                if self.cons.on {
                    timer(ctx, self.cfg.heartbeat_ms, MqTimer::Heartbeat);
                } else {
                    self.cons.timers = false;
                }
            }
            MqTimer::Poll { n } if n == self.cons.token => self.poll(ctx),
            MqTimer::Processed { n } if n == self.cons.token => self.processed(ctx),
            MqTimer::AutoCommit if self.cons.on => {
                let before = self.cfg.commit == CommitMode::Before;
                for p in parts(self.cons.owned) {
                    let off = if before {
                        self.cons.pos[p as usize]
                    } else {
                        self.cons.done[p as usize]
                    };
                    self.commit(ctx, p, off);
                }
                if let Some(ms) = self.cfg.auto_commit_ms {
                    timer(ctx, ms, MqTimer::AutoCommit);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, _from: NodeIx, m: MqMsg) {
        match m {
            MqMsg::ProduceResp {
                p, id, err, epoch, ..
            } => {
                if !self.prod.pending.iter().any(|x| x.id == id) {
                    return;
                }
                let label = label_of(ctx, id);
                let pr = &mut self.prod;
                let i = p as usize;
                if p >= self.cfg.partitions {
                    return;
                }
                match err {
                    None => {
                        pr.pending.retain(|x| x.id != id);
                        if label.0 == pr.pep[i] {
                            pr.acked[i] = pr.acked[i].max(label.1);
                        }
                        emit(ctx, MqEv::MqAck { id, p });
                        self.up_acked(ctx, id);
                        self.resolve(ctx, p);
                    }
                    Some(err) => {
                        emit(ctx, MqEv::MqProduceError { id, p, err });
                        // The record right after a given-up one is refused as out of order
                        // under its current label: a real gap (Kafka's canRetry): bump and
                        // resequence, then retry (or, its retries spent, give up first, as
                        // Kafka fails the batch and then bumps).
                        let gap = err == ProduceErr::OutOfOrderSequence
                            && pr.unres[i] != 0
                            && (epoch, label.1) == (pr.pep[i], pr.unres[i])
                            && label.0 == epoch;
                        self.retry(ctx, id);
                        if gap && self.prod.unres[i] != 0 {
                            self.bump(ctx, p);
                            self.drain(ctx, p);
                        }
                    }
                }
            }
            MqMsg::Assignment { target, epoch } => {
                if !self.cons.on || epoch < self.cons.epoch || !self.cons.joined {
                    return;
                }
                self.cons.epoch = epoch;
                self.cons.target = Some(target);
                if !self.cons.processing && self.cons.outstanding == 0 {
                    self.apply(ctx);
                }
            }
            MqMsg::Fenced if self.cons.on => {
                self.cons.joined = false;
                self.cons.fenced = true;
                if !self.cons.processing && self.cons.outstanding == 0 {
                    self.apply(ctx);
                }
            }
            MqMsg::Offset { p, off } => {
                let bit = 1 << p;
                if self.cons.waiting_offset & bit == 0
                    || self.cons.target.is_some_and(|t| t & bit == 0)
                {
                    return;
                }
                self.cons.waiting_offset &= !bit;
                self.cons.owned |= bit;
                self.cons.pos[p as usize] = off;
                self.cons.done[p as usize] = off;
                self.cons.committed[p as usize] = off;
                emit(ctx, MqEv::MqResume { p, off });
            }
            MqMsg::Records {
                p,
                off,
                n,
                ids,
                hw,
                reset,
            } => self.on_records(ctx, p, off, n, ids, hw, reset),
            MqMsg::AppSend { p, body } => self.produce_app(ctx, p, body),
            _ => {}
        }
    }

    /// An application on this node produces a record to partition `p` (keyed by `p`, so a
    /// producer's records to one partition keep their order for `per_key_order`).
    fn produce_app(&mut self, ctx: &mut Ctx<'_>, p: u32, body: u32) {
        if p >= self.cfg.partitions {
            return;
        }
        self.produce_to(ctx, p, p, false, false, Some(body));
    }

    fn body(ctx: &Ctx<'_>, id: u32) -> Option<u32> {
        sh(ctx).msg(id).and_then(|m| m.body)
    }

    fn up_acked(&self, ctx: &mut Ctx<'_>, id: u32) {
        if let Some(body) = Self::body(ctx, id) {
            up(ctx, MqUp::Acked { id, body });
        }
    }

    // ----- producer -----

    /// Produces one message keyed by `key` (a command).
    pub(crate) fn produce(&mut self, _cfg: &MqCfg, ctx: &mut Ctx<'_>, key: u32, poison: bool) {
        self.produce_one(ctx, key, poison, false);
    }

    fn produce_one(&mut self, ctx: &mut Ctx<'_>, key: u32, poison: bool, workload: bool) {
        let p = self.cfg.partition_of(key);
        self.produce_to(ctx, key, p, poison, workload, None);
    }

    fn produce_to(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: u32,
        p: u32,
        poison: bool,
        workload: bool,
        body: Option<u32>,
    ) {
        let at = ctx.virtual_now();
        let producer = ctx.me();
        let pid = self.prod.pid;
        let shared = sh_mut(ctx);
        let id = shared.book.len() as u32 + 1;
        let poison = poison || self.cfg.poison.contains(&id);
        shared.book.push(MsgInfo {
            producer,
            pid,
            workload,
            key,
            p,
            seq: 0,
            epoch: 0,
            poison,
            at,
            acked: None,
            first_done: None,
            body,
        });
        emit(ctx, MqEv::MqProduce { id, key, p });
        self.prod.held.push((id, p));
        self.drain(ctx, p);
    }

    /// Sends `p`'s held records, each given the next sequence, unless `p` is unresolved or
    /// still has records in flight under an older epoch (Kafka's
    /// `shouldStopDrainBatchesForPartition`); with nothing in flight it takes up the
    /// current epoch, sequences from the first (`maybeUpdateProducerIdAndEpoch`).
    fn drain(&mut self, ctx: &mut Ctx<'_>, p: u32) {
        let i = p as usize;
        if self.prod.unres[i] != 0 {
            return;
        }
        if self.prod.pep[i] != self.prod.epoch {
            if self.in_flight(p) {
                return;
            }
            self.restart(p);
        }
        while let Some(k) = self.prod.held.iter().position(|h| h.1 == p) {
            let (id, _) = self.prod.held.remove(k);
            self.label(ctx, id, p);
            self.prod.pending.push(Pending { id, attempt: 0, p });
            self.send_req(ctx, id);
        }
    }

    /// Gives record `id` the next sequence of `p`, under `p`'s epoch.
    fn label(&mut self, ctx: &mut Ctx<'_>, id: u32, p: u32) {
        let i = p as usize;
        self.prod.seqs[i] += 1;
        let label = (self.prod.pep[i], self.prod.seqs[i]);
        if let Some(m) = sh_mut(ctx).book.get_mut((id as usize).wrapping_sub(1)) {
            (m.epoch, m.seq) = label;
        }
    }

    /// Whether `p` has records in flight (sent, neither acknowledged nor given up).
    fn in_flight(&self, p: u32) -> bool {
        self.prod.pending.iter().any(|x| x.p == p)
    }

    /// `p`'s sequences start again from the first, under the current epoch.
    fn restart(&mut self, p: u32) {
        let (pr, i) = (&mut self.prod, p as usize);
        (pr.pep[i], pr.seqs[i], pr.acked[i], pr.unres[i]) = (pr.epoch, 0, 0, 0);
    }

    /// Bumps the producer epoch for `p` (Kafka's `bumpIdempotentProducerEpoch`): `p`'s
    /// records in flight are given sequences from the first under the new epoch (the
    /// broker refused them, or will refuse their old sequences as fenced).
    fn bump(&mut self, ctx: &mut Ctx<'_>, p: u32) {
        self.prod.epoch += 1;
        let epoch = self.prod.epoch;
        emit(ctx, MqEv::MqEpochBump { p, epoch });
        self.restart(p);
        for k in 0..self.prod.pending.len() {
            let x = self.prod.pending[k];
            if x.p == p {
                self.label(ctx, x.id, p);
            }
        }
    }

    /// Once `p` has nothing in flight, an unresolved `p` is resolved (Kafka's
    /// `maybeResolveSequences`): without a bump when a later record was acknowledged (the
    /// given-up one was in fact written), else with one. Then its held records go.
    fn resolve(&mut self, ctx: &mut Ctx<'_>, p: u32) {
        let i = p as usize;
        if self.in_flight(p) {
            return;
        }
        if self.prod.unres[i] != 0 {
            self.prod.unres[i] = 0;
            if self.prod.acked[i] != self.prod.seqs[i] {
                self.bump(ctx, p);
            }
        }
        self.drain(ctx, p);
    }

    fn send_req(&mut self, ctx: &mut Ctx<'_>, id: u32) {
        let Some(info) = sh(ctx).msg(id) else {
            return;
        };
        let (p, seq, epoch) = (info.p, info.seq, info.epoch);
        let Some(leader) = sh(ctx).leader(p) else {
            return self.retry(ctx, id);
        };
        send(ctx, leader, MqMsg::Produce { p, id, seq, epoch });
        if self.cfg.acks == Acks::Zero {
            self.prod.pending.retain(|x| x.id != id);
            emit(ctx, MqEv::MqAck { id, p });
            return self.up_acked(ctx, id);
        }
        let Some(x) = self.prod.pending.iter_mut().find(|x| x.id == id) else {
            return;
        };
        let attempt = x.attempt;
        timer(
            ctx,
            self.cfg.request_timeout_ms,
            MqTimer::Timeout { id, attempt },
        );
    }

    fn retry(&mut self, ctx: &mut Ctx<'_>, id: u32) {
        let Some(x) = self.prod.pending.iter_mut().find(|x| x.id == id) else {
            return;
        };
        x.attempt += 1;
        if x.attempt > self.cfg.retries {
            let p = x.p;
            self.prod.pending.retain(|x| x.id != id);
            emit(ctx, MqEv::MqProduceFailed { id });
            if let Some(body) = Self::body(ctx, id) {
                up(ctx, MqUp::Failed { id, body });
            }
            // Its sequence may or may not be written: `p` is unresolved (Kafka's
            // markSequenceUnresolved) until nothing is in flight there.
            let (pr, i) = (&mut self.prod, p as usize);
            let label = label_of(ctx, id);
            if self.cfg.idempotent && label.0 == pr.pep[i] {
                pr.unres[i] = pr.unres[i].max(label.1 + 1);
            }
            return self.resolve(ctx, p);
        }
        timer(ctx, self.cfg.retry_backoff_ms, MqTimer::Retry { id });
    }

    // ----- consumer -----

    /// Joins the group (a command).
    pub(crate) fn join(&mut self, _cfg: &MqCfg, ctx: &mut Ctx<'_>) {
        ctx.persist(Record::Mq(MqRec::Member { on: true }));
        self.cons.on = true;
        self.start(ctx);
    }

    /// Leaves the group, committing what it owns (a command).
    pub(crate) fn leave(&mut self, ctx: &mut Ctx<'_>) {
        ctx.persist(Record::Mq(MqRec::Member { on: false }));
        if !self.cons.on {
            return;
        }
        let owned = self.cons.owned;
        self.revoke(ctx, owned, true);
        self.cons.batch.clear();
        self.cons.processing = false;
        self.cons.token += 1;
        if let Some(c) = sh(ctx).coordinator() {
            send(ctx, c, MqMsg::Leave { inc: self.cons.inc });
        }
        self.cons.on = false;
        self.cons.joined = false;
    }

    /// Sets the processing time per message (a command).
    pub(crate) fn slow(&mut self, ctx: &mut Ctx<'_>, ms: u64) {
        ctx.persist(Record::Mq(MqRec::Slow { ms }));
        self.cons.process_ms = ms;
    }

    fn heartbeat(&mut self, ctx: &mut Ctx<'_>) {
        let c = &mut self.cons;
        if !c.on {
            return;
        }
        let now = ctx.now_local();
        let over = now - c.last_poll;
        if c.processing && c.joined && !c.kicked && over > self.cfg.max_poll_interval_ms as i64 {
            // The heartbeat thread notices poll() has not been called: leave the group.
            c.kicked = true;
            c.joined = false;
            emit(ctx, MqEv::MqPollTimeout { ms: over as u64 });
            if let Some(co) = sh(ctx).coordinator() {
                send(ctx, co, MqMsg::Leave { inc: self.cons.inc });
            }
            return;
        }
        if c.kicked {
            return;
        }
        let Some(co) = sh(ctx).coordinator() else {
            return;
        };
        let inc = c.inc;
        if !c.joined {
            c.joined = true;
            c.epoch = 0;
            return send(ctx, co, MqMsg::Join { inc });
        }
        let (owned, epoch) = (c.owned, c.epoch);
        send(ctx, co, MqMsg::Heartbeat { inc, owned, epoch });
        for p in parts(c.waiting_offset) {
            send(ctx, co, MqMsg::OffsetFetch { p });
        }
    }

    /// Applies the latest assignment (or the loss of membership) between batches.
    fn apply(&mut self, ctx: &mut Ctx<'_>) {
        if self.cons.fenced || self.cons.kicked {
            // Partitions lost, not revoked: nothing may be committed.
            let owned = self.cons.owned;
            self.revoke(ctx, owned, false);
            self.cons.waiting_offset = 0;
            self.cons.target = None;
            self.cons.fenced = false;
            if self.cons.kicked {
                self.cons.kicked = false;
                self.cons.joined = false;
                self.heartbeat(ctx);
            }
            return;
        }
        let Some(target) = self.cons.target else {
            return;
        };
        let revoked = self.cons.owned & !target;
        if revoked != 0 {
            self.revoke(ctx, revoked, self.cfg.commit_on_revoke);
        }
        self.cons.waiting_offset &= target;
        let added = target & !self.cons.owned & !self.cons.waiting_offset;
        if let Some(co) = sh(ctx).coordinator() {
            for p in parts(added) {
                self.cons.waiting_offset |= 1 << p;
                send(ctx, co, MqMsg::OffsetFetch { p });
            }
            if revoked != 0 {
                let (inc, owned, epoch) = (self.cons.inc, self.cons.owned, self.cons.epoch);
                send(ctx, co, MqMsg::Heartbeat { inc, owned, epoch });
            }
        }
    }

    fn revoke(&mut self, ctx: &mut Ctx<'_>, set: PartSet, commit: bool) {
        let before = self.cfg.commit == CommitMode::Before;
        for p in parts(set) {
            if commit {
                let off = if before {
                    self.cons.pos[p as usize]
                } else {
                    self.cons.done[p as usize]
                };
                self.commit(ctx, p, off);
            }
            emit(ctx, MqEv::MqRevoke { p });
        }
        self.cons.owned &= !set;
        self.cons.batch.retain(|r| set & (1 << r.0) == 0);
    }

    fn commit(&mut self, ctx: &mut Ctx<'_>, p: u32, off: u64) {
        if self.cons.committed[p as usize] == off {
            return;
        }
        self.cons.committed[p as usize] = off;
        if let Some(co) = sh(ctx).coordinator() {
            send(
                ctx,
                co,
                MqMsg::Commit {
                    inc: self.cons.inc,
                    p,
                    off,
                },
            );
        }
    }

    fn poll(&mut self, ctx: &mut Ctx<'_>) {
        if !self.cons.on || self.cons.processing {
            return;
        }
        self.cons.last_poll = ctx.now_local();
        self.cons.outstanding = 0;
        self.apply(ctx);
        for p in parts(self.cons.owned) {
            if let Some(l) = sh(ctx).leader(p) {
                let off = self.cons.pos[p as usize];
                send(ctx, l, MqMsg::Poll { p, off });
                self.cons.outstanding += 1;
            }
        }
        self.cons.token += 1;
        // Unanswered fetches end the poll after a while.
        let wait = if self.cons.outstanding > 0 {
            self.cfg.poll_ms.max(1) * 5
        } else {
            self.cfg.poll_ms
        };
        timer(ctx, wait, MqTimer::Poll { n: self.cons.token });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_records(
        &mut self,
        ctx: &mut Ctx<'_>,
        p: u32,
        off: u64,
        n: u8,
        ids: [u32; 4],
        hw: u64,
        reset: bool,
    ) {
        let c = &mut self.cons;
        if c.outstanding == 0 || c.processing || p >= self.cfg.partitions {
            return;
        }
        c.outstanding -= 1;
        if c.owned & (1 << p) != 0 && c.pos[p as usize] == off {
            if reset {
                c.pos[p as usize] = hw;
                emit(
                    ctx,
                    MqEv::MqOffsetReset {
                        p,
                        from: off,
                        to: hw,
                    },
                );
            } else {
                for (k, &id) in ids[..n as usize].iter().enumerate() {
                    self.cons.batch.push_back((p, off + k as u64, id));
                }
                self.cons.pos[p as usize] = off + u64::from(n);
            }
        }
        if self.cons.outstanding == 0 {
            self.poll_done(ctx);
        }
    }

    fn poll_done(&mut self, ctx: &mut Ctx<'_>) {
        self.cons.token += 1;
        if self.cons.batch.is_empty() {
            return timer(ctx, self.cfg.poll_ms, MqTimer::Poll { n: self.cons.token });
        }
        self.cons.last_poll = ctx.now_local();
        if self.cfg.commit == CommitMode::Before && self.cfg.auto_commit_ms.is_none() {
            for p in parts(self.cons.owned) {
                let off = self.cons.pos[p as usize];
                self.commit(ctx, p, off);
            }
        }
        self.cons.processing = true;
        timer(
            ctx,
            self.cons.process_ms,
            MqTimer::Processed { n: self.cons.token },
        );
    }

    fn processed(&mut self, ctx: &mut Ctx<'_>) {
        let Some(&(p, off, id)) = self.cons.batch.front() else {
            self.cons.processing = false;
            return self.poll(ctx);
        };
        let poison = sh(ctx).msg(id).is_some_and(|m| m.poison);
        if poison {
            self.cons.attempts += 1;
            let attempt = self.cons.attempts;
            emit(
                ctx,
                MqEv::MqProcessFail {
                    p,
                    off,
                    id,
                    attempt,
                },
            );
            if attempt >= self.cfg.delivery_limit {
                emit(ctx, MqEv::MqDeadLetter { p, off, id });
                self.finish_one(p, off);
            }
        } else {
            emit(ctx, MqEv::MqProcess { p, off, id });
            if let Some(body) = Self::body(ctx, id) {
                up(ctx, MqUp::Record { id, body, p, off });
            }
            self.finish_one(p, off);
        }
        if self.cons.batch.is_empty() {
            self.cons.processing = false;
            if self.cfg.commit == CommitMode::After && self.cfg.auto_commit_ms.is_none() {
                for p in parts(self.cons.owned) {
                    let off = self.cons.done[p as usize];
                    self.commit(ctx, p, off);
                }
            }
            return self.poll(ctx);
        }
        self.cons.token += 1;
        timer(
            ctx,
            self.cons.process_ms,
            MqTimer::Processed { n: self.cons.token },
        );
    }

    fn finish_one(&mut self, p: u32, off: u64) {
        self.cons.batch.pop_front();
        self.cons.attempts = 0;
        self.cons.done[p as usize] = off + 1;
    }
}

/// The (epoch, sequence) record `id` was last sent under.
fn label_of(ctx: &Ctx<'_>, id: u32) -> (u32, u32) {
    sh(ctx).msg(id).map_or((0, 0), |m| (m.epoch, m.seq))
}
