//! The store's servers (primary/replica and Dynamo roles in one state machine) and clients.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{
    Cell, KvCfg, KvEv, KvRec, Mode, Msg, OpF, Phase, Resolve, Status, Timer, VCell, Workload,
    MAX_KEYS, MAX_VV,
};
use crate::sim::event::What;
use crate::sim::ids::{NodeIx, Role};
use crate::sim::proto::{Ctx, Payload, ProtoEv, Record, Registered, TimerKind};

use super::Kv;

mod primary;

pub use primary::Shard;

fn ev(e: KvEv) -> What {
    What::Proto(ProtoEv::Kv(e))
}

fn send(ctx: &mut Ctx<'_>, to: NodeIx, m: Msg) {
    ctx.send(to, Payload::Kv(m));
}

fn timer(ctx: &mut Ctx<'_>, after: u64, t: Timer) {
    ctx.set_timer(after, TimerKind::Kv(t));
}

fn bit(n: NodeIx) -> u128 {
    1u128 << (n.min(127))
}

fn mask(nodes: &[NodeIx]) -> u128 {
    nodes.iter().fold(0, |a, &p| a | bit(p))
}

/// A node's part in the store.
#[derive(Clone, Debug, PartialEq)]
pub enum KvNode {
    /// A storage server.
    Server(Box<Server>),
    /// A client running the workload.
    Client(Box<Client>),
}

impl KvNode {
    pub(crate) fn boot(cfg: &KvCfg, ctx: &mut Ctx<'_>) -> KvNode {
        let cfg = Arc::new(cfg.clone());
        match ctx.role() {
            Role::Server => KvNode::Server(Box::new(Server::boot(cfg, ctx))),
            Role::Client => KvNode::Client(Box::new(Client::boot(cfg, ctx))),
        }
    }

    /// Switches this node to new settings (`kv_set`), keeping its data and its state.
    pub(crate) fn set_cfg(&mut self, cfg: Arc<KvCfg>) {
        match self {
            KvNode::Server(s) => s.cfg = cfg,
            KvNode::Client(c) => c.cfg = cfg,
        }
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        match self {
            KvNode::Server(s) => s.on_message(ctx, from, m),
            KvNode::Client(c) => c.on_message(ctx, from, m),
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        match self {
            KvNode::Server(s) => s.on_timer(ctx, t),
            KvNode::Client(c) => c.on_timer(ctx, t),
        }
    }

    /// The server state, if this is a server.
    pub fn server(&self) -> Option<&Server> {
        match self {
            KvNode::Server(s) => Some(s),
            KvNode::Client(_) => None,
        }
    }
}

/// An operation a client is waiting on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Its number.
    pub op: u32,
    /// What.
    pub f: OpF,
    /// Key index.
    pub key: u8,
    /// Value written.
    pub val: i64,
    /// CAS expectation.
    pub expect: Option<i64>,
    /// Server asked.
    pub to: NodeIx,
}

/// A client: one operation at a time, a timeout per operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Client {
    cfg: Arc<KvCfg>,
    /// The operation in flight.
    pub pending: Option<Pending>,
    /// Who the client believes is primary of each shard (primary mode).
    pub primary: [Option<NodeIx>; MAX_KEYS],
    skip: u32,
    next_op: u32,
    last_read: [Option<i64>; MAX_KEYS],
    /// Version-vector context of the last read of each key.
    vctx: [[u32; MAX_VV]; MAX_KEYS],
    /// Cart: the next update of this key writes back what was read.
    have_read: [bool; MAX_KEYS],
    /// Cart: items this client removed and has not added back, per key.
    removed: [u64; MAX_KEYS],
}

impl Client {
    fn boot(cfg: Arc<KvCfg>, ctx: &mut Ctx<'_>) -> Client {
        let mut primary = [None; MAX_KEYS];
        for (s, p) in primary.iter_mut().enumerate().take(cfg.shard_count()) {
            *p = initial_primary(&cfg, ctx, s);
        }
        timer(ctx, cfg.op_every_ms, Timer::Op);
        if cfg.workload == Workload::Cart {
            ctx.shared_mut::<Kv>().cart = true;
        }
        Client {
            cfg,
            pending: None,
            primary,
            skip: 0,
            next_op: 0,
            last_read: [None; MAX_KEYS],
            vctx: [[0; MAX_VV]; MAX_KEYS],
            have_read: [false; MAX_KEYS],
            removed: [0; MAX_KEYS],
        }
    }

    fn target(&self, ctx: &Ctx<'_>, key: u8) -> Option<NodeIx> {
        match self.cfg.mode {
            Mode::Primary => {
                let s = self.cfg.shard_of(key);
                self.primary.get(s).copied().flatten().or_else(|| {
                    let m = primary::group(ctx, &self.cfg, s);
                    (!m.is_empty()).then(|| m[self.skip as usize % m.len()])
                })
            }
            Mode::Dynamo => {
                let pref = pref_list(ctx, key, self.cfg.n as usize);
                (!pref.is_empty()).then(|| pref[self.skip as usize % pref.len()])
            }
        }
    }

    /// Remembers the primary of `key`'s shard.
    fn set_primary(&mut self, key: u8, p: Option<NodeIx>) {
        let s = self.cfg.shard_of(key);
        if let Some(slot) = self.primary.get_mut(s) {
            *slot = p;
        }
    }

    /// Places each shard on the whole initial ring (called once every server is on it).
    pub(crate) fn see_groups(&mut self, ctx: &Ctx<'_>) {
        for s in 0..self.cfg.shard_count() {
            self.primary[s] = initial_primary(&self.cfg, ctx, s);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        match t {
            Timer::Op => {
                let stopped = self.cfg.stop_ms > 0 && ctx.virtual_now() >= self.cfg.stop_ms;
                if stopped {
                    return;
                }
                if self.pending.is_none() {
                    self.start(ctx);
                }
                timer(ctx, self.cfg.op_every_ms, Timer::Op);
            }
            Timer::OpTimeout { op } => {
                if let Some(p) = self.pending.filter(|p| p.op == op) {
                    self.finish(ctx, p, Phase::Info, (p.f != OpF::Read).then_some(p.val));
                    self.set_primary(p.key, None);
                    self.skip += 1;
                }
            }
            _ => {}
        }
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        let c = &self.cfg;
        let key = ctx.random_below(c.keys.max(1) as u64) as u8;
        let roll = ctx.random_below(100) as u8;
        let cart = c.workload == Workload::Cart;
        let f = if cart {
            if self.have_read[key as usize] {
                OpF::Write
            } else {
                OpF::Read
            }
        } else if roll < c.reads_pct {
            OpF::Read
        } else if roll < c.reads_pct.saturating_add(c.cas_pct) {
            OpF::Cas
        } else {
            OpF::Write
        };
        let Some(to) = self.target(ctx, key) else {
            return;
        };
        let val = if f == OpF::Read {
            0
        } else if cart {
            // Add one of 6 items, or (3 times in 10) remove one the cart holds.
            let have = self.last_read[key as usize].unwrap_or(0);
            let item = ctx.random_below(6) as i64;
            if ctx.random_below(10) < 3 && have & (1 << item) != 0 {
                have & !(1 << item)
            } else {
                have | (1 << item)
            }
        } else {
            let s = ctx.shared_mut::<Kv>();
            s.next_value += 1;
            s.next_value
        };
        let expect = (f == OpF::Cas)
            .then(|| self.last_read[key as usize])
            .flatten();
        self.next_op += 1;
        let p = Pending {
            op: self.next_op,
            f,
            key,
            val,
            expect,
            to,
        };
        self.pending = Some(p);
        ctx.emit(ev(KvEv::KvOp {
            op: p.op,
            phase: Phase::Invoke,
            f,
            key,
            value: (f != OpF::Read).then_some(val),
            expect,
            to: Some(to),
        }));
        let vv = self.cfg.mode == Mode::Dynamo && self.cfg.resolve == Resolve::Vv;
        let m = if vv && f == OpF::Write {
            Msg::VPut {
                op: p.op,
                key,
                val,
                ctx: self.vctx[key as usize],
            }
        } else {
            Msg::Req {
                op: p.op,
                f,
                key,
                val,
                expect,
            }
        };
        send(ctx, to, m);
        timer(ctx, self.cfg.op_timeout_ms, Timer::OpTimeout { op: p.op });
    }

    fn finish(&mut self, ctx: &mut Ctx<'_>, p: Pending, phase: Phase, value: Option<i64>) {
        self.pending = None;
        if p.f == OpF::Write {
            if let Some(h) = self.have_read.get_mut(p.key as usize) {
                *h = false;
            }
            if phase == Phase::Ok && self.cfg.workload == Workload::Cart {
                let k = p.key as usize;
                let before = self.last_read[k].unwrap_or(0);
                self.removed[k] = (self.removed[k] | (before & !p.val) as u64) & !(p.val as u64);
            }
        }
        ctx.emit(ev(KvEv::KvOp {
            op: p.op,
            phase,
            f: p.f,
            key: p.key,
            value,
            expect: p.expect,
            to: None,
        }));
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_>, _from: NodeIx, m: Msg) {
        if let Msg::VResp {
            op, val, ctx: vctx, ..
        } = m
        {
            let Some(p) = self.pending.filter(|p| p.op == op && p.f == OpF::Read) else {
                return;
            };
            let k = p.key as usize;
            self.vctx[k] = vctx;
            self.have_read[k] = true;
            self.last_read[k] = val;
            let back = val.unwrap_or(0) as u64 & self.removed[k];
            for item in (0..6u8).filter(|i| back & (1 << i) != 0) {
                ctx.emit(ev(KvEv::KvResurrect { key: p.key, item }));
            }
            self.removed[k] &= !back;
            return self.finish(ctx, p, Phase::Ok, val);
        }
        let Msg::Resp {
            op,
            status,
            val,
            primary,
        } = m
        else {
            return;
        };
        let Some(p) = self.pending.filter(|p| p.op == op) else {
            return;
        };
        match status {
            Status::Ok => {
                let v = if p.f == OpF::Read { val } else { Some(p.val) };
                self.finish(ctx, p, Phase::Ok, v);
                if let Some(slot) = self.last_read.get_mut(p.key as usize) {
                    *slot = v;
                }
                if p.f == OpF::Read {
                    self.have_read[p.key as usize] = true;
                }
                // Dynamo clients stay with the coordinator that answers; they move on only
                // after a timeout.
                if self.cfg.mode == Mode::Primary {
                    self.set_primary(p.key, Some(p.to));
                }
            }
            Status::Fail => {
                if p.f == OpF::Cas {
                    if let Some(slot) = self.last_read.get_mut(p.key as usize) {
                        *slot = val;
                    }
                }
                self.finish(ctx, p, Phase::Fail, (p.f != OpF::Read).then_some(p.val));
            }
            Status::Redirect => {
                self.finish(ctx, p, Phase::Fail, (p.f != OpF::Read).then_some(p.val));
                self.set_primary(p.key, primary);
                if primary.is_none() {
                    self.skip += 1;
                }
            }
        }
    }
}

/// The initial primary of `shard`: with one shard `cfg.primary` or the first server; with
/// more, the first server of the shard's group (its owner on the ring).
fn initial_primary(cfg: &KvCfg, ctx: &Ctx<'_>, shard: usize) -> Option<NodeIx> {
    if cfg.mode != Mode::Primary {
        return None;
    }
    if cfg.shard_count() > 1 {
        return primary::group(ctx, cfg, shard).first().copied();
    }
    match &cfg.primary {
        Some(n) => ctx.node_ix(n),
        None => ctx.members().first().copied(),
    }
}

/// Where shard `shard` sits on the ring now: its name `s{shard}`'s next `n` distinct live
/// nodes, owner (the first primary) first.
pub(crate) fn shard_group(ctx: &Ctx<'_>, shard: usize, n: usize) -> Vec<NodeIx> {
    let ring = ctx.ring();
    ring.replicas(crate::sim::hash::pos(&format!("s{shard}")), n)
        .into_iter()
        .filter_map(|id| ring.node(id).map(|i| i.name.clone()))
        .filter_map(|name| ctx.node_ix(&name))
        .collect()
}

/// The ring's next `n` distinct live nodes for a key, owner first, as node indices.
fn pref_list(ctx: &Ctx<'_>, key: u8, n: usize) -> Vec<NodeIx> {
    let ring = ctx.ring();
    ring.replicas(crate::sim::hash::pos(&super::key_name(key)), n)
        .into_iter()
        .filter_map(|id| ring.node(id).map(|i| i.name.clone()))
        .filter_map(|name| ctx.node_ix(&name))
        .collect()
}

/// A client's request, as a primary reads it.
#[derive(Clone, Copy)]
struct Req {
    op: u32,
    f: OpF,
    key: u8,
    val: i64,
    expect: Option<i64>,
}

/// A request a server coordinates.
#[derive(Clone, Debug, PartialEq)]
enum Job {
    /// A write waiting for acks.
    Write { key: u8, cell: Cell, acks: u128 },
    /// A fenced read waiting for confirmations.
    Confirm { key: u8, acks: u128 },
    /// A Dynamo read waiting for replies.
    Read {
        key: u8,
        replies: Vec<(NodeIx, Cell)>,
    },
    /// A version-vector read: siblings gathered, nodes done, answered yet.
    VRead {
        key: u8,
        got: u128,
        sibs: Vec<VCell>,
        answered: bool,
    },
}

/// Adds `sib` to an antichain of siblings unless one already has seen it; drops those it
/// has seen. Whether it was added.
fn add_sib(sibs: &mut Vec<VCell>, sib: VCell) -> bool {
    if sibs.iter().any(|x| x.dominates(&sib)) {
        return false;
    }
    sibs.retain(|x| !sib.dominates(x));
    sibs.push(sib);
    true
}

#[derive(Clone, Debug, PartialEq)]
struct Coord {
    client: NodeIx,
    op: u32,
    job: Job,
    /// Nodes asked (for stand-in choice).
    asked: u128,
}

/// A hinted version a stand-in holds for its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint {
    /// Key index.
    pub key: u8,
    /// The version.
    pub cell: Cell,
    /// Its intended owner.
    pub owner: NodeIx,
    /// Local time stored.
    pub at: i64,
}

/// Sends of a stream batch part before it is given up on.
pub const STREAM_TRIES: u8 = 5;

/// A streamed part waiting for its acknowledgement.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Outgoing {
    to: NodeIx,
    batch: u32,
    part: u8,
    msg: Msg,
    tries: u8,
}

/// A storage server.
#[derive(Clone, Debug, PartialEq)]
pub struct Server {
    cfg: Arc<KvCfg>,
    /// Its version of every key.
    pub cells: [Cell; MAX_KEYS],
    /// Primary mode: versions a majority holds (what a fenced read returns).
    pub committed: [Cell; MAX_KEYS],
    /// Primary mode: each shard's epoch, primary and election (one entry per shard).
    pub sh: Vec<Shard>,
    /// Keys it accepted writes for as a primary that the new primary may not have.
    diverged: u8,
    seq: u32,
    jobs: BTreeMap<u32, Coord>,
    next_rid: u32,
    /// Hints held for other nodes (Dynamo).
    pub hints: Vec<Hint>,
    /// Siblings of every key (Dynamo with version vectors).
    pub sibs: [Vec<VCell>; MAX_KEYS],
    stamp_ms: i64,
    stamp_n: u32,
    /// Dynamo: each key's preference list (a bit per node) as this server last placed it.
    prefs: [u128; MAX_KEYS],
    /// Dynamo: stream parts sent and not acknowledged yet.
    outbox: Vec<Outgoing>,
    next_batch: u32,
}

impl Server {
    fn boot(cfg: Arc<KvCfg>, ctx: &mut Ctx<'_>) -> Server {
        let mut s = Server {
            cells: [Cell::default(); MAX_KEYS],
            committed: [Cell::default(); MAX_KEYS],
            sh: (0..cfg.shard_count())
                .map(|s| Shard::new(initial_primary(&cfg, ctx, s), ctx.now_local()))
                .collect(),
            diverged: 0,
            seq: 0,
            jobs: BTreeMap::new(),
            next_rid: 0,
            hints: Vec::new(),
            sibs: Default::default(),
            stamp_ms: -1,
            stamp_n: 0,
            prefs: [0; MAX_KEYS],
            outbox: Vec::new(),
            next_batch: 0,
            cfg,
        };
        for r in ctx.durable().iter().filter_map(Kv::rec) {
            match *r {
                KvRec::Set { key, cell } => {
                    if let Some(c) = s.cells.get_mut(key as usize) {
                        *c = cell;
                    }
                }
                KvRec::Epoch {
                    epoch,
                    primary,
                    shard,
                } => {
                    if let Some(x) = s.sh.get_mut(shard as usize) {
                        x.epoch = epoch;
                        x.primary = Some(primary);
                    }
                }
                KvRec::Voted { epoch, shard } => {
                    if let Some(x) = s.sh.get_mut(shard as usize) {
                        x.voted = x.voted.max(epoch);
                    }
                }
                KvRec::Hint {
                    key,
                    cell,
                    owner,
                    at,
                } => s.hints.push(Hint {
                    key,
                    cell,
                    owner,
                    at,
                }),
                KvRec::Sib { key, sib } => {
                    if let Some(v) = s.sibs.get_mut(key as usize) {
                        add_sib(v, sib);
                    }
                }
                KvRec::HintGone { key, cell, owner } => s
                    .hints
                    .retain(|h| !(h.key == key && h.cell == cell && h.owner == owner)),
            }
        }
        s.committed = s.cells;
        let restarted = ctx.durable().iter().any(|r| Kv::rec(r).is_some());
        let (me, dynamo, now) = (ctx.me(), s.cfg.mode == Mode::Dynamo, ctx.now_local());
        for x in s.sh.iter_mut() {
            // A restarted replica catches up from its primary before it confirms reads.
            x.synced = dynamo || x.primary == Some(me);
            if s.cfg.fencing && x.primary == Some(me) && restarted {
                // A fenced primary that restarts cannot tell its committed writes from the
                // rest: it steps down and lets an election (which merges a majority) decide.
                x.primary = None;
                x.synced = false;
                x.last_beat = now - s.cfg.failover_ms as i64;
            }
            x.voted = x.voted.max(x.epoch);
        }
        s.seq = s.cells.iter().map(|c| c.ver.1).max().unwrap_or(0);
        match s.cfg.mode {
            Mode::Primary => timer(ctx, s.cfg.beat_ms, Timer::Tick),
            Mode::Dynamo => {
                s.see_ring(ctx);
                timer(ctx, s.cfg.hint_every_ms, Timer::Hints)
            }
        }
        s
    }

    /// Primary mode with shards: each shard's first primary, placed on the whole initial
    /// ring (called once every server is on it, before anything happened).
    pub(crate) fn see_groups(&mut self, ctx: &Ctx<'_>) {
        for s in 0..self.sh.len() {
            self.sh[s].primary = initial_primary(&self.cfg, ctx, s);
        }
    }

    /// Dynamo: takes the ring as it is now as the one keys were placed by (at boot, and once
    /// the whole initial cluster exists).
    pub(crate) fn see_ring(&mut self, ctx: &Ctx<'_>) {
        for k in 0..self.cfg.keys.clamp(1, MAX_KEYS as u8) {
            self.prefs[k as usize] = mask(&pref_list(ctx, k, self.cfg.n as usize));
        }
    }

    /// Dynamo, after a membership change (checked every `hint_every_ms`): each key goes to
    /// the nodes that replicate it now and did not before (a joining node, the next node
    /// after one that left or failed), sent by the first node of its new preference list that
    /// was a replica before, one batch per new replica over the network: its version
    /// (last-writer-wins, one message) or every sibling (version vectors, a part each). The
    /// receiver acknowledges each part; what is not acknowledged within `op_timeout_ms` is
    /// sent again, at most [`STREAM_TRIES`] times.
    fn stream(&mut self, ctx: &mut Ctx<'_>) {
        let me = ctx.me();
        let vv = self.cfg.resolve == Resolve::Vv;
        let mut batches: BTreeMap<NodeIx, u8> = BTreeMap::new();
        for k in 0..self.cfg.keys.clamp(1, MAX_KEYS as u8) {
            let now = pref_list(ctx, k, self.cfg.n as usize);
            let was = std::mem::replace(&mut self.prefs[k as usize], mask(&now));
            let empty = if vv {
                self.sibs[k as usize].is_empty()
            } else {
                self.cells[k as usize].val.is_none()
            };
            // The first replica of the new list that was one before sends (one sender, so
            // one copy on the wire).
            let sender = now.iter().find(|&&p| was & bit(p) != 0);
            if sender != Some(&me) || empty {
                continue;
            }
            for p in now.into_iter().filter(|&p| p != me && was & bit(p) == 0) {
                *batches.entry(p).or_insert(0) |= 1 << k;
            }
        }
        for (to, keys) in batches {
            self.next_batch += 1;
            let batch = self.next_batch;
            let mut parts = Vec::new();
            let mut siblings = 0u8;
            if vv {
                for k in (0..MAX_KEYS as u8).filter(|k| keys & (1 << k) != 0) {
                    for sib in self.sibs[k as usize].clone() {
                        let part = parts.len().min(255) as u8;
                        parts.push(Msg::VStream {
                            batch,
                            part,
                            key: k,
                            sib,
                        });
                        siblings = siblings.saturating_add(1);
                    }
                }
            } else {
                let mut cells = [Cell::default(); MAX_KEYS];
                for k in (0..MAX_KEYS).filter(|k| keys & (1 << k) != 0) {
                    cells[k] = self.cells[k];
                }
                parts.push(Msg::Stream { batch, keys, cells });
            }
            for (part, m) in parts.into_iter().enumerate() {
                send(ctx, to, m);
                self.outbox.push(Outgoing {
                    to,
                    batch,
                    part: part.min(255) as u8,
                    msg: m,
                    tries: 1,
                });
            }
            ctx.emit(ev(KvEv::KvStream {
                to,
                keys: keys.count_ones() as u8,
                siblings,
            }));
            timer(ctx, self.cfg.op_timeout_ms, Timer::StreamRetry { batch });
        }
    }

    /// The parts of stream batch `batch` not acknowledged yet go again (or are given up on
    /// after [`STREAM_TRIES`] sends; read repair and writes still reach the replica).
    fn stream_retry(&mut self, ctx: &mut Ctx<'_>, batch: u32) {
        let due: Vec<usize> = (0..self.outbox.len())
            .filter(|&i| self.outbox[i].batch == batch)
            .collect();
        let Some(&first) = due.first() else {
            return;
        };
        if self.outbox[first].tries >= STREAM_TRIES {
            self.outbox.retain(|o| o.batch != batch);
            return;
        }
        let to = self.outbox[first].to;
        for &i in &due {
            let o = &mut self.outbox[i];
            o.tries += 1;
            let m = o.msg;
            send(ctx, to, m);
        }
        ctx.emit(ev(KvEv::KvStreamRetry {
            to,
            batch,
            parts: due.len().min(255) as u8,
        }));
        timer(ctx, self.cfg.op_timeout_ms, Timer::StreamRetry { batch });
    }

    /// A new replica acknowledged part `part` of batch `batch`.
    fn stream_acked(&mut self, from: NodeIx, batch: u32, part: u8) {
        self.outbox
            .retain(|o| !(o.to == from && o.batch == batch && o.part == part));
    }

    fn set(&mut self, ctx: &mut Ctx<'_>, key: u8, cell: Cell) {
        if let Some(c) = self.cells.get_mut(key as usize) {
            *c = cell;
            ctx.persist(Record::Kv(KvRec::Set { key, cell }));
        }
    }

    /// Takes the primary's version of a key; a demoted primary's own version is discarded
    /// (said once per key).
    fn replace(&mut self, ctx: &mut Ctx<'_>, key: u8, cell: Cell) {
        let mine = self.cells[key as usize];
        let mask = 1u8 << key;
        if mine.val.is_some() && mine.val != cell.val && (self.diverged & mask != 0 || cell < mine)
        {
            ctx.emit(ev(KvEv::KvDiscard {
                key,
                lost: mine.val,
                kept: cell.val,
            }));
        }
        self.diverged &= !mask;
        self.set(ctx, key, cell);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        match t {
            Timer::Tick => {
                self.tick(ctx);
                timer(ctx, self.cfg.beat_ms, Timer::Tick);
            }
            Timer::Hints => {
                self.stream(ctx);
                self.hand_back(ctx);
                timer(ctx, self.cfg.hint_every_ms, Timer::Hints);
            }
            Timer::Sloppy { rid } => self.sloppy(ctx, rid),
            Timer::StreamRetry { batch } => self.stream_retry(ctx, batch),
            _ => {}
        }
    }

    fn reply(ctx: &mut Ctx<'_>, client: NodeIx, op: u32, status: Status, val: Option<i64>) {
        send(
            ctx,
            client,
            Msg::Resp {
                op,
                status,
                val,
                primary: None,
            },
        );
    }

    // ----- Dynamo with version vectors -----

    fn store_sib(&mut self, ctx: &mut Ctx<'_>, key: u8, sib: VCell) -> bool {
        let Some(v) = self.sibs.get_mut(key as usize) else {
            return false;
        };
        let added = add_sib(v, sib);
        if added {
            ctx.persist(Record::Kv(KvRec::Sib { key, sib }));
        }
        added
    }

    fn vv_read(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, op: u32, key: u8) {
        let me = ctx.me();
        let pref = pref_list(ctx, key, self.cfg.n as usize);
        self.next_rid += 1;
        let rid = self.next_rid;
        let mut asked = 0u128;
        for &p in &pref {
            asked |= bit(p);
        }
        let (got, sibs) = if pref.contains(&me) {
            (bit(me), self.sibs[key as usize].clone())
        } else {
            (0, Vec::new())
        };
        for &p in pref.iter().filter(|&&p| p != me) {
            send(ctx, p, Msg::Fetch { rid, key });
        }
        self.jobs.insert(
            rid,
            Coord {
                client: from,
                op,
                job: Job::VRead {
                    key,
                    got,
                    sibs,
                    answered: false,
                },
                asked,
            },
        );
        self.vv_progress(ctx, rid);
    }

    fn vv_progress(&mut self, ctx: &mut Ctx<'_>, rid: u32) {
        let r = self.cfg.r as u32;
        let Some(c) = self.jobs.get_mut(&rid) else {
            return;
        };
        let Job::VRead {
            key,
            got,
            sibs,
            answered,
        } = &mut c.job
        else {
            return;
        };
        if *answered && *got & c.asked == c.asked {
            // Answered, and everyone replied: nothing more to merge.
            self.jobs.remove(&rid);
            return;
        }
        if *answered || got.count_ones() < r {
            return;
        }
        *answered = true;
        let live: Vec<VCell> = sibs.iter().copied().filter(|x| x.val.is_some()).collect();
        let val = live.iter().filter_map(|x| x.val).reduce(|a, b| a | b);
        let mut vctx = [0u32; MAX_VV];
        for x in sibs.iter() {
            for (a, b) in vctx.iter_mut().zip(x.vv.iter()) {
                *a = (*a).max(*b);
            }
        }
        let (client, op, key, n) = (c.client, c.op, *key, live.len());
        if n > 1 {
            ctx.emit(ev(KvEv::KvSiblings {
                key,
                count: n.min(255) as u8,
            }));
        }
        send(
            ctx,
            client,
            Msg::VResp {
                op,
                val,
                siblings: n.min(255) as u8,
                ctx: vctx,
            },
        );
    }

    fn vv_put(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: NodeIx,
        op: u32,
        key: u8,
        val: i64,
        vctx: [u32; MAX_VV],
    ) {
        if key as usize >= MAX_KEYS {
            return Self::reply(ctx, from, op, Status::Fail, None);
        }
        let me = ctx.me();
        let slot = ctx.members().iter().position(|&m| m == me).unwrap_or(0) % MAX_VV;
        let mut vv = vctx;
        let mine = self.sibs[key as usize]
            .iter()
            .map(|x| x.vv[slot])
            .max()
            .unwrap_or(0);
        vv[slot] = vv[slot].max(mine) + 1;
        let sib = VCell { vv, val: Some(val) };
        let pref = pref_list(ctx, key, self.cfg.n as usize);
        let in_pref = pref.contains(&me);
        if in_pref {
            self.store_sib(ctx, key, sib);
        }
        self.next_rid += 1;
        let rid = self.next_rid;
        let mut asked = 0u128;
        for &p in &pref {
            asked |= bit(p);
        }
        for &p in pref.iter().filter(|&&p| p != me) {
            send(ctx, p, Msg::VStore { rid, key, sib });
        }
        self.jobs.insert(
            rid,
            Coord {
                client: from,
                op,
                job: Job::Write {
                    key,
                    cell: Cell::default(),
                    acks: if in_pref { bit(me) } else { 0 },
                },
                asked,
            },
        );
        self.dynamo_progress(ctx, rid);
    }

    /// Version-vector messages; false if `m` is not one.
    fn on_vv_msg(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) -> bool {
        match m {
            Msg::VPut {
                op,
                key,
                val,
                ctx: c,
            } => self.vv_put(ctx, from, op, key, val, c),
            Msg::VStore { rid, key, sib } => {
                self.store_sib(ctx, key, sib);
                send(ctx, from, Msg::StoreAck { rid });
            }
            Msg::VStream {
                batch,
                part,
                key,
                sib,
            } => {
                if sib.val.is_some() && (key as usize) < MAX_KEYS {
                    self.store_sib(ctx, key, sib);
                }
                send(ctx, from, Msg::StreamAck { batch, part });
            }
            Msg::Fetch { rid, key } => {
                let sibs = self.sibs.get(key as usize).cloned().unwrap_or_default();
                if sibs.is_empty() {
                    send(
                        ctx,
                        from,
                        Msg::VFetchR {
                            rid,
                            sib: VCell::default(),
                            last: true,
                        },
                    );
                }
                let n = sibs.len();
                for (i, sib) in sibs.into_iter().enumerate() {
                    send(
                        ctx,
                        from,
                        Msg::VFetchR {
                            rid,
                            sib,
                            last: i + 1 == n,
                        },
                    );
                }
            }
            Msg::VFetchR { rid, sib, last } => {
                let repair = self.cfg.read_repair;
                let mut key = None;
                if let Some(Coord {
                    job:
                        Job::VRead {
                            key: k, got, sibs, ..
                        },
                    ..
                }) = self.jobs.get_mut(&rid)
                {
                    if sib.val.is_some() {
                        add_sib(sibs, sib);
                    }
                    if last {
                        *got |= bit(from);
                    }
                    key = Some(*k);
                }
                // Read repair: the coordinator keeps every sibling it learns of.
                if let (Some(k), true, true) = (key, repair, sib.val.is_some()) {
                    self.store_sib(ctx, k, sib);
                }
                self.vv_progress(ctx, rid);
            }
            _ => return false,
        }
        true
    }

    // ----- Dynamo -----

    fn lww(&mut self, ctx: &mut Ctx<'_>, key: u8, cell: Cell) {
        let Some(mine) = self.cells.get(key as usize).copied() else {
            return;
        };
        if cell > mine {
            self.set(ctx, key, cell);
            if let Some(v) = cell.val {
                ctx.shared_mut::<Kv>().applied.insert(v);
            }
        } else if cell.val != mine.val && cell.ver != mine.ver {
            if let (Some(v), Some(k)) = (cell.val, mine.val) {
                ctx.shared_mut::<Kv>()
                    .beaten_by
                    .entry(v)
                    .or_default()
                    .insert(k);
            }
            ctx.emit(ev(KvEv::KvLwwDrop {
                key,
                value: cell.val,
                kept: mine.val,
            }));
        }
    }

    /// What this node can answer for a key: its own version or a newer hinted one.
    fn held(&self, key: u8) -> Cell {
        let own = self.cells.get(key as usize).copied().unwrap_or_default();
        self.hints
            .iter()
            .filter(|h| h.key == key)
            .map(|h| h.cell)
            .fold(own, |a, b| a.max(b))
    }

    fn dynamo_req(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, op: u32, f: OpF, key: u8, val: i64) {
        if key as usize >= MAX_KEYS || f == OpF::Cas {
            return Self::reply(ctx, from, op, Status::Fail, None);
        }
        let me = ctx.me();
        let pref = pref_list(ctx, key, self.cfg.n as usize);
        let in_pref = pref.contains(&me);
        self.next_rid += 1;
        let rid = self.next_rid;
        let mut asked = 0u128;
        for &p in &pref {
            asked |= bit(p);
        }
        if f == OpF::Write {
            // Microsecond-style stamps: the clock's ms and a counter within it, so two writes
            // a coordinator stamps in the same ms are still ordered (a tie would drop one).
            let now = ctx.now_local().max(0);
            if now == self.stamp_ms {
                self.stamp_n = (self.stamp_n + 1).min(999);
            } else {
                self.stamp_ms = now;
                self.stamp_n = 0;
            }
            let stamp = now as u64 * 1000 + self.stamp_n as u64;
            let cell = Cell {
                ver: (stamp, me),
                val: Some(val),
            };
            if in_pref {
                self.lww(ctx, key, cell);
            }
            for &p in pref.iter().filter(|&&p| p != me) {
                send(
                    ctx,
                    p,
                    Msg::Store {
                        rid,
                        key,
                        cell,
                        hint: None,
                    },
                );
            }
            self.jobs.insert(
                rid,
                Coord {
                    client: from,
                    op,
                    job: Job::Write {
                        key,
                        cell,
                        acks: if in_pref { bit(me) } else { 0 },
                    },
                    asked,
                },
            );
        } else {
            for &p in pref.iter().filter(|&&p| p != me) {
                send(ctx, p, Msg::Fetch { rid, key });
            }
            let replies = if in_pref {
                vec![(me, self.held(key))]
            } else {
                Vec::new()
            };
            self.jobs.insert(
                rid,
                Coord {
                    client: from,
                    op,
                    job: Job::Read { key, replies },
                    asked,
                },
            );
        }
        if self.cfg.sloppy {
            timer(
                ctx,
                (self.cfg.op_timeout_ms / 3).max(1),
                Timer::Sloppy { rid },
            );
        }
        self.dynamo_progress(ctx, rid);
    }

    fn dynamo_progress(&mut self, ctx: &mut Ctx<'_>, rid: u32) {
        let (w, r) = (self.cfg.w as u32, self.cfg.r as usize);
        let Some(c) = self.jobs.get(&rid) else {
            return;
        };
        match &c.job {
            Job::Write { acks, .. } if acks.count_ones() >= w => {
                let (client, op) = (c.client, c.op);
                self.jobs.remove(&rid);
                Self::reply(ctx, client, op, Status::Ok, None);
            }
            Job::Read { key, replies } if replies.len() >= r => {
                let (client, op, key) = (c.client, c.op, *key);
                let best = replies.iter().map(|x| x.1).max().unwrap_or_default();
                let stale: Vec<NodeIx> =
                    replies.iter().filter(|x| x.1 < best).map(|x| x.0).collect();
                self.jobs.remove(&rid);
                Self::reply(ctx, client, op, Status::Ok, best.val);
                if self.cfg.read_repair {
                    for to in stale {
                        ctx.emit(ev(KvEv::KvRepair { key, to }));
                        if to == ctx.me() {
                            self.lww(ctx, key, best);
                        } else {
                            send(
                                ctx,
                                to,
                                Msg::Store {
                                    rid: 0,
                                    key,
                                    cell: best,
                                    hint: None,
                                },
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Sloppy quorum: the replicas that have not answered are replaced by the next nodes on
    /// the ring, each holding a hint naming the one it stands in for.
    fn sloppy(&mut self, ctx: &mut Ctx<'_>, rid: u32) {
        let Some(c) = self.jobs.get(&rid) else { return };
        let me = ctx.me();
        let (key, answered) = match &c.job {
            Job::Write { key, acks, .. } => (*key, *acks),
            Job::Read { key, replies } => (*key, replies.iter().fold(0, |a, x| a | bit(x.0))),
            Job::Confirm { .. } | Job::VRead { .. } => return,
        };
        let all = pref_list(ctx, key, ctx.members().len());
        let n = self.cfg.n as usize;
        let missing: Vec<NodeIx> = all
            .iter()
            .take(n)
            .copied()
            .filter(|&p| answered & bit(p) == 0 && p != me)
            .collect();
        let mut spare = all
            .iter()
            .skip(n)
            .copied()
            .filter(|&p| c.asked & bit(p) == 0 && p != me);
        let mut asked = c.asked;
        let job = c.job.clone();
        for owner in missing {
            let Some(standin) = spare.next() else { break };
            asked |= bit(standin);
            match &job {
                Job::Write { cell, .. } => send(
                    ctx,
                    standin,
                    Msg::Store {
                        rid,
                        key,
                        cell: *cell,
                        hint: Some(owner),
                    },
                ),
                _ => send(ctx, standin, Msg::Fetch { rid, key }),
            }
        }
        if let Some(c) = self.jobs.get_mut(&rid) {
            c.asked = asked;
        }
    }

    fn hand_back(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now_local();
        let window = self.cfg.hint_window_ms as i64;
        let (keep, expired): (Vec<Hint>, Vec<Hint>) =
            self.hints.iter().partition(|h| now - h.at <= window);
        self.hints = keep;
        for h in expired {
            ctx.persist(Record::Kv(KvRec::HintGone {
                key: h.key,
                cell: h.cell,
                owner: h.owner,
            }));
            ctx.emit(ev(KvEv::KvHintExpired {
                key: h.key,
                owner: h.owner,
                value: h.cell.val,
            }));
        }
        for h in self.hints.clone() {
            send(
                ctx,
                h.owner,
                Msg::Handoff {
                    key: h.key,
                    cell: h.cell,
                },
            );
        }
    }

    fn on_dynamo_msg(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        match m {
            Msg::Stream { batch, keys, cells } => {
                for k in 0..MAX_KEYS as u8 {
                    if keys & (1 << k) != 0 {
                        self.lww(ctx, k, cells[k as usize]);
                    }
                }
                send(ctx, from, Msg::StreamAck { batch, part: 0 });
            }
            Msg::StreamAck { batch, part } => self.stream_acked(from, batch, part),
            Msg::Store {
                rid,
                key,
                cell,
                hint,
            } => {
                match hint {
                    Some(owner) if owner != ctx.me() => {
                        let at = ctx.now_local();
                        let h = Hint {
                            key,
                            cell,
                            owner,
                            at,
                        };
                        if !self.hints.contains(&h) {
                            self.hints.push(h);
                            ctx.persist(Record::Kv(KvRec::Hint {
                                key,
                                cell,
                                owner,
                                at,
                            }));
                            ctx.emit(ev(KvEv::KvHint { key, owner }));
                        }
                    }
                    _ => self.lww(ctx, key, cell),
                }
                if rid != 0 {
                    send(ctx, from, Msg::StoreAck { rid });
                }
            }
            Msg::StoreAck { rid } => {
                if let Some(Coord {
                    job: Job::Write { acks, .. },
                    ..
                }) = self.jobs.get_mut(&rid)
                {
                    *acks |= bit(from);
                }
                self.dynamo_progress(ctx, rid);
            }
            Msg::Fetch { rid, key } => {
                let cell = self.held(key);
                send(ctx, from, Msg::FetchR { rid, cell });
            }
            Msg::FetchR { rid, cell } => {
                if let Some(Coord {
                    job: Job::Read { replies, .. },
                    ..
                }) = self.jobs.get_mut(&rid)
                {
                    if !replies.iter().any(|x| x.0 == from) {
                        replies.push((from, cell));
                    }
                }
                self.dynamo_progress(ctx, rid);
            }
            Msg::Handoff { key, cell } => {
                self.lww(ctx, key, cell);
                send(ctx, from, Msg::HandoffAck { key, cell });
            }
            Msg::HandoffAck { key, cell } => {
                let before = self.hints.len();
                let mut gone = Vec::new();
                self.hints.retain(|h| {
                    let hit = h.key == key && h.cell == cell && h.owner == from;
                    if hit {
                        gone.push(*h);
                    }
                    !hit
                });
                if self.hints.len() != before {
                    for h in gone {
                        ctx.persist(Record::Kv(KvRec::HintGone {
                            key,
                            cell,
                            owner: h.owner,
                        }));
                    }
                    ctx.emit(ev(KvEv::KvHandoff { key, owner: from }));
                }
            }
            _ => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        if let Msg::Req {
            op,
            f,
            key,
            val,
            expect,
        } = m
        {
            if self.cfg.mode == Mode::Dynamo && self.cfg.resolve == Resolve::Vv && f == OpF::Read {
                return self.vv_read(ctx, from, op, key);
            }
            return match self.cfg.mode {
                Mode::Primary => self.primary_req(
                    ctx,
                    from,
                    Req {
                        op,
                        f,
                        key,
                        val,
                        expect,
                    },
                ),
                Mode::Dynamo => self.dynamo_req(ctx, from, op, f, key, val),
            };
        }
        let vv = self.cfg.mode == Mode::Dynamo && self.cfg.resolve == Resolve::Vv;
        if vv && self.on_vv_msg(ctx, from, m) {
            return;
        }
        match self.cfg.mode {
            Mode::Primary => self.on_primary_msg(ctx, from, m),
            Mode::Dynamo => self.on_dynamo_msg(ctx, from, m),
        }
    }
}
