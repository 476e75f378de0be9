//! The orchestrator: one coordinator on a client that runs every order's saga. It logs each
//! position before asking for the step (the log record and the command's outbox row are one
//! local transaction), moves forward on each answer, compensates in reverse order from the
//! step before a failure up to the pivot, retries failed compensations until they succeed,
//! and after a crash resumes every saga from its log.

use std::collections::BTreeMap;

use super::cfg::{Publish, SagaCfg};
use super::db::Db;
use super::event::SagaEv;
use super::wire::{Effect, Kind, Note, Pos, Step, Timer};
use super::{emit, sh, timer};
use crate::sim::proto::Ctx;

/// The orchestrator's sagas, as its log has them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Orch {
    /// Each started order's position.
    pub sagas: BTreeMap<u32, Pos>,
}

/// The note that asks for `pos`, if it asks for anything.
pub fn ask(order: u32, pos: &Pos) -> Option<Note> {
    match *pos {
        Pos::Step {
            step,
            undo,
            attempt,
            wait: false,
        } => Some(Note {
            order,
            step,
            kind: if undo { Kind::Undo } else { Kind::Do },
            attempt,
        }),
        _ => None,
    }
}

impl Orch {
    /// Rebuilds the sagas from the log entries `logs` and resumes them: an order not placed
    /// yet gets its start timer, one waiting to retry gets its retry timer, and (dual write)
    /// the current step's command is sent again, since no outbox will.
    pub fn boot(cfg: &SagaCfg, ctx: &mut Ctx<'_>, db: &mut Db, logs: &[Effect]) -> Orch {
        let mut o = Orch::default();
        for e in logs {
            if let Effect::Log { order, at } = e {
                o.sagas.insert(*order, *at);
            }
        }
        let now = ctx.now_local();
        for order in 0..cfg.orders {
            let at = cfg.start_ms + u64::from(order) * cfg.gap_ms;
            match o.sagas.get(&order).copied() {
                None => {
                    let after = (at as i64 - now).max(0) as u64;
                    timer(ctx, after, Timer::Start { order });
                }
                Some(pos @ Pos::Step { wait, .. }) => {
                    emit(ctx, SagaEv::SagaRecover { order, at: pos });
                    if wait {
                        timer(ctx, cfg.retry_ms, Timer::Retry { order });
                    } else if cfg.publish == Publish::DualWrite {
                        if let Some(n) = ask(order, &pos) {
                            db.dual_write(cfg, ctx, n);
                        }
                    }
                }
                Some(_) => {}
            }
        }
        o
    }

    fn go(
        &mut self,
        cfg: &SagaCfg,
        ctx: &mut Ctx<'_>,
        db: &mut Db,
        order: u32,
        at: Pos,
        consumed: Option<Note>,
    ) {
        self.sagas.insert(order, at);
        db.commit(
            cfg,
            ctx,
            Effect::Log { order, at },
            consumed,
            ask(order, &at),
        );
        emit(ctx, SagaEv::SagaStep { order, at });
        if matches!(at, Pos::Completed | Pos::Compensated) {
            let started = sh(ctx)
                .book
                .get(order as usize)
                .and_then(|r| r.started)
                .unwrap_or(0);
            let ms = ctx.virtual_now().saturating_sub(started);
            emit(
                ctx,
                SagaEv::SagaEnd {
                    order,
                    completed: at == Pos::Completed,
                    ms,
                },
            );
        }
    }

    /// The shop places order `order`: its saga starts with the reservation.
    pub fn start(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>, db: &mut Db, order: u32) {
        if self.sagas.contains_key(&order) {
            return;
        }
        emit(
            ctx,
            SagaEv::SagaStart {
                order,
                sku: cfg.sku_of(order),
                acct: cfg.acct_of(order),
            },
        );
        let at = Pos::Step {
            step: Step::Reserve,
            undo: false,
            attempt: 0,
            wait: false,
        };
        self.go(cfg, ctx, db, order, at, None);
    }

    fn retry(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>, db: &mut Db, n: Note, undo: bool) {
        let attempt = n.attempt.saturating_add(1);
        let at = Pos::Step {
            step: n.step,
            undo,
            attempt,
            wait: true,
        };
        self.go(cfg, ctx, db, n.order, at, Some(n));
        emit(
            ctx,
            SagaEv::SagaRetry {
                order: n.order,
                step: n.step,
                undo,
                attempt,
                ms: cfg.retry_ms,
            },
        );
        timer(ctx, cfg.retry_ms, Timer::Retry { order: n.order });
    }

    /// Compensation starts below `step` (or the saga is compensated if nothing is left).
    fn compensate_below(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>, db: &mut Db, n: Note) {
        let at = match n.step.prev_compensable() {
            Some(step) => Pos::Step {
                step,
                undo: true,
                attempt: 0,
                wait: false,
            },
            None => Pos::Compensated,
        };
        self.go(cfg, ctx, db, n.order, at, Some(n));
    }

    /// A retry timer fired: ask for the current step again.
    pub fn on_retry(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>, db: &mut Db, order: u32) {
        if let Some(Pos::Step {
            step,
            undo,
            attempt,
            wait: true,
        }) = self.sagas.get(&order).copied()
        {
            let at = Pos::Step {
                step,
                undo,
                attempt,
                wait: false,
            };
            self.go(cfg, ctx, db, order, at, None);
        }
    }

    /// An answer from a service. Stale answers (an earlier try, a duplicate) are ignored.
    pub fn on_answer(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>, db: &mut Db, n: Note) {
        if db.inbox.contains(&n) {
            emit(ctx, SagaEv::SagaDuplicate { note: n });
            return;
        }
        let Some(Pos::Step {
            step,
            undo,
            attempt,
            wait: false,
        }) = self.sagas.get(&n.order).copied()
        else {
            return;
        };
        if step != n.step || attempt != n.attempt {
            return;
        }
        match (undo, n.kind) {
            (false, Kind::Done) => {
                let at = match step.next() {
                    Some(s) => Pos::Step {
                        step: s,
                        undo: false,
                        attempt: 0,
                        wait: false,
                    },
                    None => Pos::Completed,
                };
                self.go(cfg, ctx, db, n.order, at, Some(n));
            }
            (false, Kind::Failed) if step.before_pivot() => self.compensate_below(cfg, ctx, db, n),
            (false, Kind::Failed | Kind::Busy) => self.retry(cfg, ctx, db, n, false),
            (true, Kind::Undone) => self.compensate_below(cfg, ctx, db, n),
            (true, Kind::UndoFailed) => self.retry(cfg, ctx, db, n, true),
            _ => {}
        }
    }
}
