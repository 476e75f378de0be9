//! The coordinator's side: BEGIN → PREPARE to every participant → collect votes (3PC:
//! PRE-COMMIT round) → force the decision → COMMIT/ABORT → acks → end record. Answers
//! in-doubt participants from its memory, its log, or the variant's presumption.

use super::event::{DecidedBy, TpcEv};
use super::shard::{Coord, CoordPhase, Shard};
use super::wire::{Known, Msg, RecKind, Timer, TxId};
use super::{send, set_timer, Variant};
use crate::sim::ids::NodeIx;
use crate::sim::proto::Ctx;

impl Shard {
    /// BEGIN from the client: presumed commit forces `collecting` first; then PREPARE to
    /// every participant. A repeated BEGIN is answered from what is known, never restarted.
    pub(super) fn on_begin(&mut self, ctx: &mut Ctx<'_>, tx: TxId) {
        let Some(o) = ctx.order(tx) else { return };
        if let Some(&c) = self.decided.get(&tx) {
            send(ctx, o.client, Msg::Done { tx, commit: c });
            return;
        }
        if self.coords.contains_key(&tx) {
            return;
        }
        if self.p.variant == Variant::PresumedCommit {
            self.write(ctx, tx, RecKind::Collecting, true);
        }
        let shards = o.shards();
        self.emit(ctx, TpcEv::TpcBegin { tx });
        for &s in &shards {
            send(ctx, s, Msg::Prepare { tx });
        }
        self.coords
            .insert(tx, Coord::new(CoordPhase::Collecting, shards));
        set_timer(ctx, self.p.vote, Timer::Votes { tx });
    }

    pub(super) fn on_vote(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, tx: TxId, yes: bool) {
        let Some(c) = self.coords.get_mut(&tx) else {
            return;
        };
        if c.phase != CoordPhase::Collecting || !c.shards.contains(&from) {
            return;
        }
        if !yes {
            // A NO voter has aborted already: it needs no decision and sends no ack.
            c.shards.retain(|&s| s != from);
            self.decide(ctx, tx, false, DecidedBy::NoVote);
            return;
        }
        if !c.got.contains(&from) {
            c.got.push(from);
        }
        if c.got.len() < c.shards.len() {
            return;
        }
        if self.p.variant == Variant::ThreePhase {
            c.phase = CoordPhase::PreCommitting;
            c.got.clear();
            let shards = c.shards.clone();
            self.write(ctx, tx, RecKind::PreCommit { coordinator: true }, true);
            for s in shards {
                send(ctx, s, Msg::PreCommit { tx });
            }
            set_timer(ctx, self.p.vote, Timer::Votes { tx });
            set_timer(ctx, self.p.retry, Timer::Resend { tx });
        } else {
            self.decide(ctx, tx, true, DecidedBy::Votes);
        }
    }

    pub(super) fn on_pre_ack(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, tx: TxId) {
        let Some(c) = self.coords.get_mut(&tx) else {
            return;
        };
        if c.phase != CoordPhase::PreCommitting {
            return;
        }
        if !c.got.contains(&from) {
            c.got.push(from);
        }
        if c.got.len() >= c.shards.len() {
            self.decide(ctx, tx, true, DecidedBy::Votes);
        }
    }

    pub(super) fn on_ack(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, tx: TxId) {
        let Some(c) = self.coords.get_mut(&tx) else {
            return;
        };
        if !matches!(c.phase, CoordPhase::Acking(_)) {
            return;
        }
        if !c.got.contains(&from) {
            c.got.push(from);
        }
        if c.shards.iter().all(|s| c.got.contains(s)) {
            self.coords.remove(&tx);
            self.write(ctx, tx, RecKind::End, false);
            self.emit(ctx, TpcEv::TpcEnd { tx });
        }
    }

    /// Vote timeout: abort (3PC, waiting for pre-commit acks: commit; every participant
    /// voted YES and the pre-committed ones would commit by termination anyway).
    pub(super) fn on_votes_timeout(&mut self, ctx: &mut Ctx<'_>, tx: TxId) {
        match self.coords.get(&tx).map(|c| c.phase) {
            Some(CoordPhase::Collecting) => self.decide(ctx, tx, false, DecidedBy::Timeout),
            Some(CoordPhase::PreCommitting) => self.decide(ctx, tx, true, DecidedBy::Timeout),
            _ => {}
        }
    }

    /// Decides: force the decision record (except a presumed-abort abort, which writes
    /// nothing), then tell every participant still concerned and the client. Waits for
    /// acks only when the variant wants them.
    pub(super) fn decide(&mut self, ctx: &mut Ctx<'_>, tx: TxId, commit: bool, by: DecidedBy) {
        let Some(c) = self.coords.get_mut(&tx) else {
            return;
        };
        if matches!(c.phase, CoordPhase::Acking(_)) {
            return;
        }
        let v = self.p.variant;
        let logged = v.coordinator_forces(commit);
        c.phase = CoordPhase::Acking(commit);
        c.got.clear();
        let shards = c.shards.clone();
        if logged {
            self.write(ctx, tx, RecKind::Decision { commit }, true);
        }
        self.decided.insert(tx, commit);
        self.emit(
            ctx,
            TpcEv::TpcDecide {
                tx,
                commit,
                by,
                logged,
            },
        );
        for &s in &shards {
            send(ctx, s, Msg::Decision { tx, commit });
        }
        if let Some(o) = ctx.order(tx) {
            send(ctx, o.client, Msg::Done { tx, commit });
        }
        if v.acked(commit) && !shards.is_empty() {
            set_timer(ctx, self.p.retry, Timer::Resend { tx });
        } else {
            self.coords.remove(&tx);
            if v.acked(commit) {
                self.write(ctx, tx, RecKind::End, false);
                self.emit(ctx, TpcEv::TpcEnd { tx });
            }
        }
    }

    /// Resend timer: the decision (or PRE-COMMIT, or a recovering 3PC coordinator's state
    /// request) again to whoever has not answered.
    pub(super) fn resend(&mut self, ctx: &mut Ctx<'_>, tx: TxId) {
        let Some(c) = self.coords.get(&tx) else {
            return;
        };
        let missing: Vec<NodeIx> = c
            .shards
            .iter()
            .copied()
            .filter(|s| !c.got.contains(s))
            .collect();
        let msg = match c.phase {
            CoordPhase::Acking(commit) => Msg::Decision { tx, commit },
            CoordPhase::PreCommitting => Msg::PreCommit { tx },
            CoordPhase::Recovering => Msg::StateReq { tx },
            CoordPhase::Collecting => return,
        };
        for s in missing {
            send(ctx, s, msg);
        }
        set_timer(ctx, self.p.retry, Timer::Resend { tx });
    }

    /// An in-doubt participant asks: the decision if known; nothing while still
    /// collecting; otherwise the variant's presumption (remembered, so a late BEGIN
    /// cannot start the transaction again on this incarnation).
    pub(super) fn on_inquire(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, tx: TxId) {
        if let Some(&commit) = self.decided.get(&tx) {
            send(ctx, from, Msg::Decision { tx, commit });
            return;
        }
        if self.coords.contains_key(&tx) || ctx.order(tx).is_none_or(|o| o.coord != ctx.me()) {
            return;
        }
        if let Some(commit) = self.p.variant.presumption() {
            // First time since this restart: the client never heard, tell it too.
            self.decided.insert(tx, commit);
            send(ctx, from, Msg::Decision { tx, commit });
            if let Some(o) = ctx.order(tx) {
                send(ctx, o.client, Msg::Done { tx, commit });
            }
        }
    }

    /// What the coordinator side answers to a state request, if anything. A 3PC
    /// coordinator still collecting votes aborts rather than let the asker block.
    pub(super) fn coord_state(&mut self, ctx: &mut Ctx<'_>, tx: TxId) -> Option<Known> {
        if let Some(&c) = self.decided.get(&tx) {
            return Some(if c { Known::Committed } else { Known::Aborted });
        }
        match self.coords.get(&tx)?.phase {
            CoordPhase::Collecting if self.p.variant == Variant::ThreePhase => {
                self.decide(ctx, tx, false, DecidedBy::Asked);
                Some(Known::Aborted)
            }
            CoordPhase::PreCommitting => Some(Known::PreCommitted),
            _ => None,
        }
    }

    /// A recovering 3PC coordinator adopts an outcome a participant reports.
    pub(super) fn coord_learns(&mut self, ctx: &mut Ctx<'_>, tx: TxId, known: Known) {
        let Some(c) = self.coords.get(&tx) else {
            return;
        };
        if c.phase != CoordPhase::Recovering {
            return;
        }
        let commit = match known {
            Known::Committed => true,
            Known::Aborted => false,
            _ => return,
        };
        self.coords.remove(&tx);
        self.write(ctx, tx, RecKind::Decision { commit }, true);
        self.decided.insert(tx, commit);
        self.emit(
            ctx,
            TpcEv::TpcDecide {
                tx,
                commit,
                by: DecidedBy::Recovery,
                logged: true,
            },
        );
    }
}
