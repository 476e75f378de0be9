//! A node's local database as the saga sees it: its business rows, its inbox (the notes it
//! has processed) and its outbox (the notes its transactions published), and the relay that
//! moves the outbox to the log. A local transaction writes the change, the inbox row and the
//! outbox row as one durable record; a dual write commits the change and sends the note
//! afterwards, with nothing to retry it.

use std::collections::{BTreeMap, BTreeSet};

use super::cfg::{Publish, SagaCfg};
use super::event::SagaEv;
use super::wire::{Effect, Note, Rec, Timer};
use super::{emit, publish, sh, sh_mut, timer};
use crate::sim::ids::NodeIx;
use crate::sim::proto::{Ctx, Record};

/// The business rows a shard holds (rebuilt from its durable log on boot).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rows {
    /// Units per SKU.
    pub stock: BTreeMap<u32, i64>,
    /// Units reserved and flagged `pending`, per (SKU, order).
    pub pending: BTreeMap<(u32, u32), i64>,
    /// Balance per account.
    pub balance: BTreeMap<u32, i64>,
    /// Charges per order still standing: (account, amount) of each.
    pub charges: BTreeMap<u32, Vec<(u32, i64)>>,
    /// Orders with a shipment.
    pub shipped: BTreeSet<u32>,
}

impl Rows {
    /// Applies one committed change.
    pub fn apply(&mut self, e: &Effect) {
        match *e {
            Effect::Reserve { sku, order, units } => {
                *self.stock.entry(sku).or_insert(0) -= units;
                *self.pending.entry((sku, order)).or_insert(0) += units;
            }
            Effect::Release { sku, order, units } => {
                *self.stock.entry(sku).or_insert(0) += units;
                self.pending.remove(&(sku, order));
            }
            Effect::Confirm { sku, order } => {
                self.pending.remove(&(sku, order));
            }
            Effect::Charge {
                acct,
                order,
                amount,
            } => {
                *self.balance.entry(acct).or_insert(0) -= amount;
                self.charges.entry(order).or_default().push((acct, amount));
            }
            Effect::Refund {
                acct,
                order,
                amount,
            } => {
                *self.balance.entry(acct).or_insert(0) += amount;
                if let Some(v) = self.charges.get_mut(&order) {
                    v.pop();
                    if v.is_empty() {
                        self.charges.remove(&order);
                    }
                }
            }
            Effect::Ship { order } => {
                self.shipped.insert(order);
            }
            Effect::Nothing | Effect::Log { .. } => {}
        }
    }

    /// Orders other than `order` holding units of `sku` pending.
    pub fn pending_others(&self, sku: u32, order: u32) -> Vec<u32> {
        self.pending
            .range((sku, 0)..=(sku, u32::MAX))
            .filter(|((_, o), u)| *o != order && **u > 0)
            .map(|((_, o), _)| *o)
            .collect()
    }
}

/// The node's database: rows, inbox, outbox, and the relay's volatile state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Db {
    /// Business rows.
    pub rows: Rows,
    /// Notes processed (the idempotent consumer's inbox; a naive consumer keeps it too but
    /// does not look).
    pub inbox: BTreeSet<Note>,
    /// Outbox rows in commit order (their sequence number is the index): the note and
    /// whether the relay has marked it published.
    pub outbox: Vec<(Note, bool)>,
    /// Relay: rows handed to the log's producer and not acknowledged yet, with the local
    /// time from which to publish them again (`i64::MAX` while the producer still tries).
    inflight: BTreeMap<u32, i64>,
    /// Relay: rows it has published at least once since this process started.
    sent: BTreeSet<u32>,
    /// Relay: down (crashed) until this local time.
    down_until: Option<i64>,
    /// Relay: a poll is armed.
    ticking: bool,
}

impl Db {
    /// Rebuilds the database from the node's durable log.
    pub fn from_log(durable: &[Record]) -> (Db, Vec<Effect>) {
        let mut db = Db::default();
        let mut logs = Vec::new();
        for r in durable {
            let Record::Saga(r) = r else { continue };
            match r {
                Rec::Stock { sku, units } => {
                    db.rows.stock.insert(*sku, *units);
                }
                Rec::Balance { acct, amount } => {
                    db.rows.balance.insert(*acct, *amount);
                }
                Rec::Txn {
                    effect,
                    consumed,
                    outbox,
                } => {
                    db.rows.apply(effect);
                    if let Some(n) = consumed {
                        db.inbox.insert(*n);
                    }
                    if let Some(n) = outbox {
                        db.outbox.push((*n, false));
                    }
                    if let Effect::Log { .. } = effect {
                        logs.push(*effect);
                    }
                }
                Rec::Marked { seq } => {
                    if let Some(row) = db.outbox.get_mut(*seq as usize) {
                        row.1 = true;
                    }
                }
            }
        }
        (db, logs)
    }

    /// Whether any outbox row still waits for the log.
    pub fn unmarked(&self) -> usize {
        self.outbox.iter().filter(|r| !r.1).count()
    }

    /// One local transaction: the change, the inbox row for `consumed` and the note to
    /// publish (an outbox row, or a dual write sent `dual_write_gap_ms` later).
    pub fn commit(
        &mut self,
        cfg: &SagaCfg,
        ctx: &mut Ctx<'_>,
        effect: Effect,
        consumed: Option<Note>,
        out: Option<Note>,
    ) {
        let outbox = match cfg.publish {
            Publish::Outbox => out,
            Publish::DualWrite => None,
        };
        ctx.persist(Record::Saga(Rec::Txn {
            effect,
            consumed,
            outbox,
        }));
        self.rows.apply(&effect);
        if let Some(n) = consumed {
            self.inbox.insert(n);
        }
        match (cfg.publish, out) {
            (Publish::Outbox, Some(n)) => {
                self.outbox.push((n, false));
                self.pump(cfg, ctx);
            }
            (Publish::DualWrite, Some(n)) => {
                timer(ctx, cfg.dual_write_gap_ms, Timer::DualWrite { note: n });
            }
            (_, None) => {}
        }
    }

    /// Dual write: the committed row's message goes to the log's producer now, once (no
    /// row to publish again if the producer gives up or the node crashes first).
    pub fn dual_write(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>, note: Note) {
        publish(cfg, ctx, note);
    }

    /// The relay publishes every unmarked row not already with the log's producer (or
    /// given up on by it `relay_retry_ms` ago), and keeps polling while rows are left.
    pub fn pump(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>) {
        let now = ctx.now_local();
        if self.down_until.is_some_and(|t| now < t) {
            self.arm(cfg, ctx);
            return;
        }
        self.down_until = None;
        let me: NodeIx = ctx.me();
        for seq in 0..self.outbox.len() as u32 {
            let (note, marked) = self.outbox[seq as usize];
            if marked {
                continue;
            }
            let due = self.inflight.get(&seq).is_none_or(|t| now >= *t);
            if !due {
                continue;
            }
            if !self.sent.insert(seq) {
                emit(ctx, SagaEv::SagaRepublish { seq, note });
            }
            publish(cfg, ctx, note);
            self.inflight.insert(seq, i64::MAX);
            let armed = sh(ctx)
                .relay_armed
                .iter()
                .position(|(n, step)| *n == me && step.is_none_or(|s| s == note.step));
            if let Some(i) = armed {
                sh_mut(ctx).relay_armed.remove(i);
                emit(ctx, SagaEv::SagaRelayCrash { seq });
                // The relay process dies: what it had in flight and what it had sent is
                // gone; the rows stay unmarked in the database.
                self.inflight.clear();
                self.sent.clear();
                self.down_until = Some(now + cfg.relay_restart_ms as i64);
                break;
            }
        }
        self.arm(cfg, ctx);
    }

    fn arm(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>) {
        // Rows with the producer need no poll: its answer comes back through the log.
        let waiting = self
            .outbox
            .iter()
            .enumerate()
            .any(|(i, r)| !r.1 && self.inflight.get(&(i as u32)) != Some(&i64::MAX));
        if self.ticking || !waiting {
            return;
        }
        let now = ctx.now_local();
        let after = match self.down_until {
            Some(t) => (t - now).max(1) as u64,
            None => cfg.relay_ms.max(1),
        };
        self.ticking = true;
        timer(ctx, after, Timer::Relay);
    }

    /// The relay's poll fired.
    pub fn on_tick(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>) {
        self.ticking = false;
        self.pump(cfg, ctx);
    }

    /// The log acknowledged record `id` carrying `note` to this node: mark the row it
    /// published (unless the relay is down and missed the answer).
    pub fn on_acked(&mut self, ctx: &mut Ctx<'_>, id: u32, note: Note) {
        let dup = !sh_mut(ctx).logged.insert(note);
        emit(ctx, SagaEv::SagaAppend { id, note, dup });
        let now = ctx.now_local();
        if self.down_until.is_some_and(|t| now < t) {
            return;
        }
        let seq = self.inflight.keys().copied().find(|s| {
            self.outbox
                .get(*s as usize)
                .is_some_and(|r| r.0 == note && !r.1)
        });
        let Some(seq) = seq else {
            return;
        };
        self.inflight.remove(&seq);
        if let Some(row) = self.outbox.get_mut(seq as usize) {
            row.1 = true;
            ctx.persist(Record::Saga(Rec::Marked { seq }));
        }
    }

    /// The log's producer gave up on `note`: the relay publishes its row again after
    /// `relay_retry_ms`.
    pub fn on_failed(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>, note: Note) {
        let now = ctx.now_local();
        let seq = self
            .inflight
            .iter()
            .find(|(s, t)| {
                **t == i64::MAX && self.outbox.get(**s as usize).is_some_and(|r| r.0 == note)
            })
            .map(|(s, _)| *s);
        if let Some(seq) = seq {
            self.inflight.insert(seq, now + cfg.relay_retry_ms as i64);
            self.arm(cfg, ctx);
        }
    }
}
