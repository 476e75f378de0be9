//! The participant's side: work → PREPARE (locks, checks, forced prepare record, vote) →
//! in doubt until the outcome → apply, release, log, ack. Before voting it may abort on
//! its own; after a YES it may not: it asks the coordinator (and, optionally, its peers;
//! 3PC: runs the termination protocol) until it learns the outcome.

use super::event::{DecidedBy, How, NoWhy, TpcEv};
use super::shard::{Part, Phase, Shard};
use super::wire::{Known, Msg, RecKind, Timer, TxId};
use super::{send, set_timer, Heuristic, Variant};
use crate::sim::ids::NodeIx;
use crate::sim::proto::Ctx;

impl Shard {
    /// The client's work reached this participant: it knows the order and starts the
    /// PREPARE timeout.
    pub(super) fn on_work(&mut self, ctx: &mut Ctx<'_>, tx: TxId) {
        if self.parts.contains_key(&tx) || self.done.contains_key(&tx) {
            return;
        }
        self.parts.insert(tx, Part::new(Phase::Working));
        set_timer(ctx, self.p.work, Timer::Work { tx });
    }

    /// Aborts before voting (PREPARE timeout, or a peer asked first): nothing to undo.
    pub(super) fn abort_alone(&mut self, ctx: &mut Ctx<'_>, tx: TxId) {
        self.parts.remove(&tx);
        self.done.insert(tx, false);
        self.write(
            ctx,
            tx,
            RecKind::Outcome {
                commit: false,
                heuristic: false,
            },
            false,
        );
        self.emit(
            ctx,
            TpcEv::TpcAbort {
                tx,
                how: How::Unilateral,
            },
        );
    }

    pub(super) fn on_work_timeout(&mut self, ctx: &mut Ctx<'_>, tx: TxId) {
        if self
            .parts
            .get(&tx)
            .is_some_and(|p| p.phase == Phase::Working)
        {
            self.abort_alone(ctx, tx);
        }
    }

    /// What would make this shard vote NO on `tx` (no-wait locking, then the business
    /// checks: rows present, stock and money sufficient, payment accepted).
    fn refuse(&self, ctx: &Ctx<'_>, tx: TxId) -> Option<NoWhy> {
        let me = ctx.me();
        let o = ctx.order(tx)?;
        if o.keys_at(me)
            .iter()
            .any(|k| self.locks.get(k).is_some_and(|&t| t != tx))
        {
            return Some(NoWhy::LockBusy);
        }
        for l in o.lines.iter().filter(|l| l.shard == me) {
            match self.rows.get(&l.sku) {
                None => return Some(NoWhy::NoRow),
                Some(&v) if v < l.qty => return Some(NoWhy::OutOfStock),
                _ => {}
            }
        }
        if o.account_shard == me {
            if o.pay_fails {
                return Some(NoWhy::PaymentFailed);
            }
            match self.rows.get(&o.account) {
                None => return Some(NoWhy::NoRow),
                Some(&v) if v < o.amount => return Some(NoWhy::NoFunds),
                _ => {}
            }
        }
        None
    }

    /// PREPARE: vote again if already voted (duplicates), else lock, check, force the
    /// prepare record and vote YES, or abort and vote NO.
    pub(super) fn on_prepare(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, tx: TxId) {
        if let Some(&d) = self.done.get(&tx) {
            send(ctx, from, Msg::Vote { tx, yes: d });
            return;
        }
        if self.parts.get(&tx).is_some_and(Part::in_doubt) {
            send(ctx, from, Msg::Vote { tx, yes: true });
            return;
        }
        let Some(o) = ctx.order(tx) else { return };
        if let Some(why) = self.refuse(ctx, tx) {
            self.parts.remove(&tx);
            self.done.insert(tx, false);
            self.write(
                ctx,
                tx,
                RecKind::Outcome {
                    commit: false,
                    heuristic: false,
                },
                false,
            );
            self.emit(
                ctx,
                TpcEv::TpcVote {
                    tx,
                    yes: false,
                    why: Some(why),
                },
            );
            self.emit(
                ctx,
                TpcEv::TpcAbort {
                    tx,
                    how: How::VotedNo,
                },
            );
            send(ctx, from, Msg::Vote { tx, yes: false });
            return;
        }
        for k in o.keys_at(ctx.me()) {
            self.locks.insert(k, tx);
        }
        self.write(ctx, tx, RecKind::Prepared, true);
        self.parts.insert(tx, Part::new(Phase::Prepared));
        self.emit(
            ctx,
            TpcEv::TpcVote {
                tx,
                yes: true,
                why: None,
            },
        );
        send(ctx, from, Msg::Vote { tx, yes: true });
        set_timer(ctx, self.p.doubt, Timer::Doubt { tx });
        if self.p.heuristic.is_some() {
            set_timer(ctx, self.p.heuristic_ms, Timer::Heuristic { tx });
        }
    }

    /// 3PC PRE-COMMIT: force it, acknowledge (again, for duplicates).
    pub(super) fn on_pre_commit(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, tx: TxId) {
        match self.parts.get(&tx).map(|p| p.phase) {
            Some(Phase::Prepared) => {
                self.write(ctx, tx, RecKind::PreCommit { coordinator: false }, true);
                if let Some(p) = self.parts.get_mut(&tx) {
                    p.phase = Phase::PreCommitted;
                }
                self.emit(ctx, TpcEv::TpcPrecommit { tx });
                send(ctx, from, Msg::PreAck { tx });
            }
            Some(Phase::PreCommitted) => send(ctx, from, Msg::PreAck { tx }),
            _ => {}
        }
    }

    /// The outcome, from whoever knows it. Applied once; a repeat is acknowledged again;
    /// a contrary one (after a heuristic decision) is reported as damage.
    pub(super) fn on_decision(&mut self, ctx: &mut Ctx<'_>, tx: TxId, commit: bool) {
        if let Some(p) = self.parts.get(&tx) {
            if p.in_doubt() || !commit {
                self.finish(ctx, tx, commit, How::Told);
            }
            return;
        }
        let Some(o) = ctx.order(tx) else { return };
        if let Some(&applied) = self.done.get(&tx) {
            if applied != commit {
                self.emit(
                    ctx,
                    TpcEv::TpcMismatch {
                        tx,
                        applied,
                        told: commit,
                    },
                );
            }
        }
        if self.p.variant.acked(commit) && o.shards().contains(&ctx.me()) {
            send(ctx, o.coord, Msg::Ack { tx });
        }
    }

    /// In doubt too long: ask the coordinator (and peers when allowed) again; 3PC runs a
    /// termination round: ask everyone, then decide with what came back.
    pub(super) fn on_doubt(&mut self, ctx: &mut Ctx<'_>, tx: TxId) {
        let Some(p) = self.parts.get(&tx).copied() else {
            return;
        };
        if !p.in_doubt() {
            return;
        }
        let Some(o) = ctx.order(tx) else { return };
        let me = ctx.me();
        let peers: Vec<NodeIx> = o.shards().into_iter().filter(|&s| s != me).collect();
        if self.p.variant == Variant::ThreePhase {
            if p.asked {
                let commit = p.phase == Phase::PreCommitted || p.seen_pre;
                self.write(ctx, tx, RecKind::Decision { commit }, true);
                self.decided.insert(tx, commit);
                self.emit(
                    ctx,
                    TpcEv::TpcDecide {
                        tx,
                        commit,
                        by: DecidedBy::Termination,
                        logged: true,
                    },
                );
                self.finish(ctx, tx, commit, How::Terminated);
                for s in peers {
                    send(ctx, s, Msg::Decision { tx, commit });
                }
                return;
            }
            if let Some(p) = self.parts.get_mut(&tx) {
                p.asked = true;
            }
        } else {
            send(ctx, o.coord, Msg::Inquire { tx });
        }
        let three = self.p.variant == Variant::ThreePhase;
        if three && !peers.contains(&o.coord) {
            send(ctx, o.coord, Msg::StateReq { tx });
        }
        if three || self.p.ask_peers {
            for &s in &peers {
                send(ctx, s, Msg::StateReq { tx });
            }
        }
        set_timer(ctx, self.p.retry, Timer::Doubt { tx });
    }

    /// UNSAFE heuristic decision: still in doubt after `heuristic_ms`, decide alone.
    pub(super) fn on_heuristic(&mut self, ctx: &mut Ctx<'_>, tx: TxId) {
        let Some(h) = self.p.heuristic else { return };
        if self.parts.get(&tx).is_some_and(Part::in_doubt) {
            self.finish(ctx, tx, h == Heuristic::Commit, How::Heuristic);
        }
    }

    /// A peer (or the coordinator) asks what this node knows. A participant that has not
    /// voted aborts first, which makes "aborted" a safe answer.
    pub(super) fn on_state_req(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, tx: TxId) {
        let known = if let Some(k) = self.coord_state(ctx, tx) {
            Some(k)
        } else if let Some(&d) = self.done.get(&tx) {
            Some(if d { Known::Committed } else { Known::Aborted })
        } else {
            match self.parts.get(&tx).map(|p| p.phase) {
                Some(Phase::Prepared) => Some(Known::Prepared),
                Some(Phase::PreCommitted) => Some(Known::PreCommitted),
                Some(Phase::Working) => {
                    self.abort_alone(ctx, tx);
                    Some(Known::Aborted)
                }
                None if ctx
                    .order(tx)
                    .is_some_and(|o| o.shards().contains(&ctx.me())) =>
                {
                    self.abort_alone(ctx, tx);
                    Some(Known::Aborted)
                }
                None => None,
            }
        };
        if let Some(known) = known {
            send(ctx, from, Msg::State { tx, known });
        }
    }

    /// A peer's answer: an outcome settles it; a pre-committed peer counts for the 3PC
    /// termination decision.
    pub(super) fn on_state(&mut self, ctx: &mut Ctx<'_>, tx: TxId, known: Known) {
        self.coord_learns(ctx, tx, known);
        let Some(p) = self.parts.get_mut(&tx) else {
            return;
        };
        if !p.in_doubt() {
            return;
        }
        match known {
            Known::Committed => self.finish(ctx, tx, true, How::Told),
            Known::Aborted => self.finish(ctx, tx, false, How::Told),
            Known::PreCommitted => p.seen_pre = true,
            Known::Prepared => {}
        }
    }
}
