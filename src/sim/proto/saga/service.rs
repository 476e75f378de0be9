//! The three services on the shards the ring assigns: inventory (reserve, release, confirm
//! on the SKU's row, with its `pending` flag), payment (charge, refund on the account's row)
//! and shipping (the shipment on the order's row). Each command is one local transaction
//! that also writes the inbox row and the answer's outbox row. The idempotent consumer looks
//! in its inbox first; the naive one does not.

use super::cfg::{Consumer, FailAt, SagaCfg};
use super::db::Db;
use super::event::SagaEv;
use super::wire::{Effect, Kind, Note, Step};
use super::{emit, sh, sh_mut};
use crate::sim::proto::Ctx;

/// Whether the consumer should process `consumed`: an idempotent consumer skips (and
/// reports) a note its inbox has. Returns `Some(again)` to process, `again` when a naive
/// consumer is about to process a note a second time.
pub fn admit(db: &Db, cfg: &SagaCfg, ctx: &mut Ctx<'_>, consumed: Note) -> Option<bool> {
    let seen = db.inbox.contains(&consumed);
    if seen && cfg.consumer == Consumer::Idempotent {
        emit(ctx, SagaEv::SagaDuplicate { note: consumed });
        return None;
    }
    Some(seen)
}

/// Runs command `cmd` (consumed as note `consumed`) as one local transaction and publishes
/// the answer.
pub fn serve(
    db: &mut Db,
    cfg: &SagaCfg,
    ctx: &mut Ctx<'_>,
    consumed: Note,
    cmd: Note,
    again: bool,
) {
    let order = cmd.order;
    let sku = cfg.sku_of(order);
    let acct = cfg.acct_of(order);
    let units = cfg.units as i64;
    let amount = cfg.amount();
    let fail = |at: FailAt, ctx: &mut Ctx<'_>| sh_mut(ctx).take_failure(order, at);
    let (answer, effect) = match (cmd.kind, cmd.step) {
        (Kind::Do, Step::Reserve) => {
            let others = db.rows.pending_others(sku, order);
            let stock = db.rows.stock.get(&sku).copied().unwrap_or(0);
            if fail(FailAt::Reserve, ctx) {
                (Kind::Failed, Effect::Nothing)
            } else if cfg.semantic_lock && !others.is_empty() {
                (Kind::Busy, Effect::Nothing)
            } else {
                for writer in others {
                    emit(
                        ctx,
                        SagaEv::SagaRead {
                            order,
                            sku,
                            writer,
                            stock,
                        },
                    );
                }
                if stock >= units {
                    (Kind::Done, Effect::Reserve { sku, order, units })
                } else {
                    (Kind::Failed, Effect::Nothing)
                }
            }
        }
        (Kind::Do, Step::Charge) => {
            let balance = db.rows.balance.get(&acct).copied().unwrap_or(0);
            if fail(FailAt::Charge, ctx) || balance < amount {
                (Kind::Failed, Effect::Nothing)
            } else {
                (
                    Kind::Done,
                    Effect::Charge {
                        acct,
                        order,
                        amount,
                    },
                )
            }
        }
        (Kind::Do, Step::Ship) => {
            if fail(FailAt::Ship, ctx) {
                (Kind::Failed, Effect::Nothing)
            } else {
                (Kind::Done, Effect::Ship { order })
            }
        }
        (Kind::Do, Step::Confirm) => {
            if fail(FailAt::Confirm, ctx) {
                (Kind::Failed, Effect::Nothing)
            } else {
                (Kind::Done, Effect::Confirm { sku, order })
            }
        }
        (Kind::Undo, Step::Reserve) => {
            if fail(FailAt::Release, ctx) {
                (Kind::UndoFailed, Effect::Nothing)
            } else {
                match db.rows.pending.get(&(sku, order)).copied() {
                    Some(u) if u > 0 => {
                        let readers: Vec<u32> = sh(ctx)
                            .reads
                            .iter()
                            .filter(|(_, w)| *w == order)
                            .map(|(r, _)| *r)
                            .collect();
                        for r in readers {
                            emit(
                                ctx,
                                SagaEv::SagaDirtyRead {
                                    order: r,
                                    writer: order,
                                },
                            );
                        }
                        (
                            Kind::Undone,
                            Effect::Release {
                                sku,
                                order,
                                units: u,
                            },
                        )
                    }
                    _ => (Kind::Undone, Effect::Nothing),
                }
            }
        }
        (Kind::Undo, Step::Charge) => {
            if fail(FailAt::Refund, ctx) {
                (Kind::UndoFailed, Effect::Nothing)
            } else {
                match db.rows.charges.get(&order).and_then(|v| v.last()) {
                    Some(&(acct, amount)) => (
                        Kind::Undone,
                        Effect::Refund {
                            acct,
                            order,
                            amount,
                        },
                    ),
                    None => (Kind::Undone, Effect::Nothing),
                }
            }
        }
        (Kind::Undo, _) => (Kind::Undone, Effect::Nothing),
        // Answers are not commands; the router never sends one here.
        _ => return,
    };
    let reply = Note {
        kind: answer,
        ..cmd
    };
    db.commit(cfg, ctx, effect, Some(consumed), Some(reply));
    emit(
        ctx,
        SagaEv::SagaTxn {
            note: cmd,
            answer,
            effect,
            again,
        },
    );
}
