//! Choreography: no orchestrator. The order's shard places the order (its first event asks
//! for the reservation); each service reacts to the previous one's event on the log and
//! publishes its own; a failure's event makes the service before it compensate; a failed
//! compensation or a busy row is retried by publishing the command again. The order's shard
//! hears the last event and ends the saga.

use std::sync::Arc;

use super::cfg::{Mode, SagaCfg};
use super::event::SagaEv;
use super::service;
use super::wire::{Effect, Kind, Note, Pos, Step};
use super::{emit, sh, Node};
use crate::sim::proto::Ctx;

/// Who reacts to an event.
pub(crate) enum Reactor {
    /// The service that runs this step.
    Service(Step),
    /// The order's own shard (it ends the saga).
    OrderHome,
}

/// Who reacts to the event `n`.
pub(crate) fn reactor(n: &Note) -> Reactor {
    use Kind::*;
    use Step::*;
    match (n.kind, n.step) {
        (Done, Reserve) => Reactor::Service(Charge),
        (Done, Charge) => Reactor::Service(Ship),
        (Done, Ship) => Reactor::Service(Confirm),
        (Done, Confirm) => Reactor::OrderHome,
        (Failed, Reserve) | (Undone, Reserve) => Reactor::OrderHome,
        (Failed, Charge) | (Undone, Charge) => Reactor::Service(Reserve),
        (Failed, Ship) => Reactor::Service(Charge),
        (Failed, Confirm) | (Busy, _) | (UndoFailed, _) => Reactor::Service(n.step),
        (Undone, s) => Reactor::Service(s),
        (Do | Undo, s) => Reactor::Service(s),
    }
}

/// What reacting to `n` means.
enum Reaction {
    /// Run this command.
    Run(Note),
    /// Publish this command again (a retry).
    Retry(Note, bool),
    /// End the saga.
    End(bool),
}

fn reaction(n: &Note) -> Option<Reaction> {
    use Kind::*;
    use Step::*;
    let cmd = |step, kind| Note {
        order: n.order,
        step,
        kind,
        attempt: 0,
    };
    let again = |kind| Note {
        kind,
        attempt: n.attempt.saturating_add(1),
        ..*n
    };
    Some(match (n.kind, n.step) {
        (Done, Reserve) => Reaction::Run(cmd(Charge, Do)),
        (Done, Charge) => Reaction::Run(cmd(Ship, Do)),
        (Done, Ship) => Reaction::Run(cmd(Confirm, Do)),
        (Done, Confirm) => Reaction::End(true),
        (Failed, Reserve) | (Undone, Reserve) => Reaction::End(false),
        (Failed, Charge) | (Undone, Charge) => Reaction::Run(cmd(Reserve, Undo)),
        (Failed, Ship) => Reaction::Run(cmd(Charge, Undo)),
        (Failed, Confirm) | (Busy, _) => Reaction::Retry(again(Do), false),
        (UndoFailed, _) => Reaction::Retry(again(Undo), true),
        _ => return None,
    })
}

/// A service (or the order's shard) reacts to event `n`.
pub(crate) fn react(node: &mut Node, cfg: &Arc<SagaCfg>, ctx: &mut Ctx<'_>, n: Note) {
    let Some(again) = service::admit(&node.db, cfg, ctx, n) else {
        return;
    };
    match reaction(&n) {
        Some(Reaction::Run(cmd)) => service::serve(&mut node.db, cfg, ctx, n, cmd, again),
        Some(Reaction::Retry(cmd, undo)) => {
            emit(
                ctx,
                SagaEv::SagaRetry {
                    order: n.order,
                    step: n.step,
                    undo,
                    attempt: cmd.attempt,
                    ms: 0,
                },
            );
            node.db
                .commit(cfg, ctx, Effect::Nothing, Some(n), Some(cmd));
        }
        Some(Reaction::End(completed)) => {
            let at = if completed {
                Pos::Completed
            } else {
                Pos::Compensated
            };
            if node
                .placed
                .sagas
                .get(&n.order)
                .is_some_and(|p| matches!(p, Pos::Completed | Pos::Compensated))
            {
                return;
            }
            node.placed.sagas.insert(n.order, at);
            node.db
                .commit(cfg, ctx, Effect::Log { order: n.order, at }, Some(n), None);
            let started = sh(ctx)
                .book
                .get(n.order as usize)
                .and_then(|r| r.started)
                .unwrap_or(0);
            let ms = ctx.virtual_now().saturating_sub(started);
            emit(
                ctx,
                SagaEv::SagaEnd {
                    order: n.order,
                    completed,
                    ms,
                },
            );
        }
        None => {}
    }
}

/// The order's shard places `order`: the saga's first event asks for the reservation.
pub(crate) fn place(node: &mut Node, cfg: &Arc<SagaCfg>, ctx: &mut Ctx<'_>, order: u32) {
    if cfg.mode != Mode::Choreographed || node.placed.sagas.contains_key(&order) {
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
    node.placed.sagas.insert(order, at);
    let first = Note {
        order,
        step: Step::Reserve,
        kind: Kind::Do,
        attempt: 0,
    };
    node.db
        .commit(cfg, ctx, Effect::Log { order, at }, None, Some(first));
}
