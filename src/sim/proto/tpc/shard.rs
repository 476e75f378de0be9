//! A shard: every server runs one. It holds the rows (stock, balances, sales) of the keys
//! it owned when the data was placed, a local lock table over them, its log, and both
//! protocol roles: coordinator of the transactions the ring (or the config) gives it and
//! participant in those touching its keys. This file has the state, the log and recovery;
//! `coord.rs` and `part.rs` the two roles' handlers.

use super::cfg::Params;
use super::event::{DecidedBy, How, TpcEv};
use super::order::Order;
use super::vecmap::VecMap;
use super::wire::{Known, Msg, RecKind, Timer, TxId, TxRecord};
use super::{send, set_timer};
use crate::sim::ids::NodeIx;
use crate::sim::ids::ResKey;
use crate::sim::proto::{Ctx, Record};

/// Where a participant stands on an open transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Knows the order (work done), has not voted: may still abort alone.
    Working,
    /// Voted YES: in doubt, holding its locks, until it learns the outcome.
    Prepared,
    /// 3PC: got PRE-COMMIT.
    PreCommitted,
}

/// A participant's open transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// Where it stands.
    pub phase: Phase,
    /// 3PC termination: the state request round has been sent.
    pub(super) asked: bool,
    /// 3PC termination: some peer said it is pre-committed.
    pub(super) seen_pre: bool,
}

/// Where a coordinator stands on an open transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoordPhase {
    /// Waiting for votes.
    Collecting,
    /// 3PC: waiting for pre-commit acks.
    PreCommitting,
    /// Decided; waiting for the acks the variant needs.
    Acking(bool),
    /// 3PC: restarted with PRE-COMMIT logged and no decision: asks the participants.
    Recovering,
}

/// A coordinator's open transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coord {
    /// Where it stands.
    pub phase: CoordPhase,
    /// Participants still concerned (NO voters drop out once they voted).
    pub shards: Vec<NodeIx>,
    /// Votes YES (or, later, acks) received.
    pub got: Vec<NodeIx>,
}

/// One server's commit-protocol state. Everything here is volatile except what the log
/// rebuilds on recovery (see [`Shard::boot`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Shard {
    pub(super) p: Params,
    /// Lazy records not yet on disk: lost if the node crashes before the next forced write.
    pub(super) buffer: Vec<TxRecord>,
    /// Stock and balances held here.
    pub(super) rows: VecMap<ResKey, i64>,
    /// Sales recorded here (the `order:N` rows): tx → (units, amount).
    pub(super) sales: VecMap<TxId, (i64, i64)>,
    /// Local lock table: key → transaction holding it.
    pub(super) locks: VecMap<ResKey, TxId>,
    /// Participant: open transactions.
    pub(super) parts: VecMap<TxId, Part>,
    /// Participant: outcomes applied.
    pub(super) done: VecMap<TxId, bool>,
    /// Coordinator: open transactions.
    pub(super) coords: VecMap<TxId, Coord>,
    /// Decisions this node knows it (or a terminator on it) made or presumed.
    pub(super) decided: VecMap<TxId, bool>,
}

impl Shard {
    /// Restarts from the log, as the textbooks do: rows, then every record in order; a
    /// participant with `prepared` and no outcome is in doubt again (it re-takes its locks
    /// and asks); a coordinator with a decision and no end re-sends it; a presumed-commit
    /// coordinator with `collecting` and no decision aborts; a 3PC coordinator with
    /// PRE-COMMIT and no decision asks the participants.
    pub(crate) fn boot(p: Params, ctx: &mut Ctx<'_>) -> Shard {
        let mut s = Shard {
            p,
            buffer: Vec::new(),
            rows: VecMap::default(),
            sales: VecMap::default(),
            locks: VecMap::default(),
            parts: VecMap::default(),
            done: VecMap::default(),
            coords: VecMap::default(),
            decided: VecMap::default(),
        };
        let log: Vec<TxRecord> = ctx
            .durable()
            .iter()
            .filter_map(|r| match r {
                Record::Tpc(t) => Some(*t),
                _ => None,
            })
            .collect();
        let mut collecting: Vec<TxId> = Vec::new();
        let mut coord_pre: Vec<TxId> = Vec::new();
        let mut ended: Vec<TxId> = Vec::new();
        let me = ctx.me();
        for r in &log {
            let tx = r.tx;
            match r.kind {
                RecKind::Row { key, value } => {
                    s.rows.insert(key, value);
                }
                RecKind::Collecting => {
                    collecting.push(tx);
                }
                RecKind::Decision { commit } => {
                    s.decided.insert(tx, commit);
                }
                RecKind::PreCommit { coordinator: true } => {
                    coord_pre.push(tx);
                }
                RecKind::PreCommit { coordinator: false } => {
                    if let Some(p) = s.parts.get_mut(&tx) {
                        p.phase = Phase::PreCommitted;
                    }
                }
                RecKind::Prepared => {
                    s.parts.insert(tx, Part::new(Phase::Prepared));
                }
                RecKind::Outcome { commit, .. } => {
                    s.parts.remove(&tx);
                    if commit {
                        if let Some(o) = ctx.order(tx) {
                            s.apply(&o, me);
                        }
                    }
                    s.done.insert(tx, commit);
                }
                RecKind::End => {
                    ended.push(tx);
                }
            }
        }
        // Participants in doubt: locks back, then ask (or finish what a logged 3PC
        // termination decided).
        let open: Vec<(TxId, Phase)> = s.parts.iter().map(|(t, p)| (*t, p.phase)).collect();
        for (tx, phase) in open {
            let Some(o) = ctx.order(tx) else { continue };
            for k in o.keys_at(me) {
                s.locks.insert(k, tx);
            }
            if let Some(&c) = s.decided.get(&tx) {
                s.finish(ctx, tx, c, How::Terminated);
                continue;
            }
            let known = if phase == Phase::PreCommitted {
                Known::PreCommitted
            } else {
                Known::Prepared
            };
            s.emit(
                ctx,
                TpcEv::TpcRecover {
                    tx,
                    known,
                    coordinator: false,
                },
            );
            set_timer(ctx, p.retry, Timer::Doubt { tx });
            if p.heuristic.is_some() {
                set_timer(ctx, p.heuristic_ms, Timer::Heuristic { tx });
            }
        }
        // Coordinator: settle what the log left open.
        let mine = |tx: TxId, ctx: &Ctx<'_>| ctx.order(tx).filter(|o| o.coord == me);
        let decided: Vec<(TxId, bool)> = s.decided.iter().map(|(t, c)| (*t, *c)).collect();
        for (tx, commit) in decided {
            let Some(o) = mine(tx, ctx) else { continue };
            if ended.contains(&tx) || !p.variant.acked(commit) {
                continue;
            }
            let known = if commit {
                Known::Committed
            } else {
                Known::Aborted
            };
            s.emit(
                ctx,
                TpcEv::TpcRecover {
                    tx,
                    known,
                    coordinator: true,
                },
            );
            s.coords.insert(
                tx,
                Coord {
                    phase: CoordPhase::Acking(commit),
                    shards: o.shards(),
                    got: Vec::new(),
                },
            );
            s.resend(ctx, tx);
        }
        for tx in collecting {
            let Some(o) = mine(tx, ctx) else { continue };
            if s.decided.contains_key(&tx) {
                continue;
            }
            s.emit(
                ctx,
                TpcEv::TpcRecover {
                    tx,
                    known: Known::Prepared,
                    coordinator: true,
                },
            );
            s.coords
                .insert(tx, Coord::new(CoordPhase::Collecting, o.shards()));
            s.decide(ctx, tx, false, DecidedBy::Recovery);
        }
        for tx in coord_pre {
            let Some(o) = mine(tx, ctx) else { continue };
            if s.decided.contains_key(&tx) {
                continue;
            }
            s.emit(
                ctx,
                TpcEv::TpcRecover {
                    tx,
                    known: Known::PreCommitted,
                    coordinator: true,
                },
            );
            s.coords
                .insert(tx, Coord::new(CoordPhase::Recovering, o.shards()));
            s.resend(ctx, tx);
        }
        s
    }

    /// The settings.
    pub fn params(&self) -> Params {
        self.p
    }

    /// Stock and balance rows held here.
    pub fn rows(&self) -> &VecMap<ResKey, i64> {
        &self.rows
    }

    /// Sales recorded here: tx → (units, amount).
    pub fn sales(&self) -> &VecMap<TxId, (i64, i64)> {
        &self.sales
    }

    /// The lock table: key → transaction.
    pub fn locks(&self) -> &VecMap<ResKey, TxId> {
        &self.locks
    }

    /// Open transactions as a participant.
    pub fn parts(&self) -> &VecMap<TxId, Part> {
        &self.parts
    }

    /// Outcomes applied as a participant.
    pub fn done(&self) -> &VecMap<TxId, bool> {
        &self.done
    }

    /// Open transactions as a coordinator.
    pub fn coords(&self) -> &VecMap<TxId, Coord> {
        &self.coords
    }

    /// Records written lazily and not yet on disk.
    pub fn buffered(&self) -> &[TxRecord] {
        &self.buffer
    }

    /// Rough heap footprint.
    pub fn approx_bytes(&self) -> usize {
        (self.rows.len() + self.locks.len()) * 32
            + (self.sales.len() + self.parts.len() + self.done.len() + self.decided.len()) * 24
            + self.coords.len() * 64
            + self.buffer.capacity() * std::mem::size_of::<TxRecord>()
    }

    pub(super) fn emit(&self, ctx: &mut Ctx<'_>, ev: TpcEv) {
        ctx.emit(super::ev(ev));
    }

    /// Appends a record: forced ones go to disk at once, with every lazy one before them
    /// (a log is written in order); lazy ones wait in the buffer.
    pub(super) fn write(&mut self, ctx: &mut Ctx<'_>, tx: TxId, kind: RecKind, forced: bool) {
        let rec = TxRecord { tx, forced, kind };
        if forced {
            for r in self.buffer.drain(..) {
                ctx.persist(Record::Tpc(r));
            }
            ctx.persist(Record::Tpc(rec));
        } else {
            self.buffer.push(rec);
        }
        self.emit(
            ctx,
            TpcEv::TpcLog {
                tx,
                rec: kind,
                forced,
            },
        );
    }

    /// Applies a committed order's effect on the rows held here.
    pub(super) fn apply(&mut self, o: &Order, me: NodeIx) {
        for l in o.lines.iter().filter(|l| l.shard == me) {
            if let Some(v) = self.rows.get_mut(&l.sku) {
                *v = v.saturating_sub(l.qty);
            }
        }
        if o.account_shard == me {
            if let Some(v) = self.rows.get_mut(&o.account) {
                *v = v.saturating_sub(o.amount);
            }
        }
        if o.key_shard == me {
            self.sales.insert(o.tx, (o.units(), o.amount));
        }
    }

    /// Participant: applies an outcome (rows on commit), releases the locks, logs it
    /// (forced as the variant says; always for a heuristic decision) and acknowledges it
    /// when the variant wants an ack.
    pub(super) fn finish(&mut self, ctx: &mut Ctx<'_>, tx: TxId, commit: bool, how: How) {
        let me = ctx.me();
        let Some(o) = ctx.order(tx) else { return };
        self.parts.remove(&tx);
        if commit {
            self.apply(&o, me);
        }
        self.locks.retain(|_, t| *t != tx);
        self.done.insert(tx, commit);
        let heuristic = how == How::Heuristic;
        let forced = heuristic || self.p.variant.participant_forces(commit);
        self.write(ctx, tx, RecKind::Outcome { commit, heuristic }, forced);
        let ev = if commit {
            TpcEv::TpcCommit { tx, how }
        } else {
            TpcEv::TpcAbort { tx, how }
        };
        self.emit(ctx, ev);
        let told = matches!(how, How::Told | How::Terminated);
        if told && self.p.variant.acked(commit) {
            send(ctx, o.coord, Msg::Ack { tx });
        }
    }
}

impl Part {
    pub(super) fn new(phase: Phase) -> Self {
        Part {
            phase,
            asked: false,
            seen_pre: false,
        }
    }

    /// Voted YES and waiting for the outcome.
    pub fn in_doubt(&self) -> bool {
        self.phase != Phase::Working
    }
}

impl Coord {
    pub(super) fn new(phase: CoordPhase, shards: Vec<NodeIx>) -> Self {
        Coord {
            phase,
            shards,
            got: Vec::new(),
        }
    }
}
