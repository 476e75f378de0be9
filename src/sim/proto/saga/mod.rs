//! The checkout as a saga over a message log, as a protocol of the simulated cluster: each
//! order reserves stock, charges payment, creates a shipment (the pivot) and confirms, each a
//! local transaction on the shard the ring assigns its key; a failure before the pivot is
//! compensated in reverse order (refund, release). Services publish through a transactional
//! outbox and a relay (or, unsafely, a dual write) to the message log (`mq`, through the log's
//! client on their own node: `Ctx::local`), which delivers at least once through its
//! consumer group, and consume through an inbox (idempotent) or not (naive). An orchestrator
//! coordinates, or the services react to each other's events (choreography). See
//! docs/saga.md.

pub mod cfg;
pub mod check;
mod choreo;
pub mod compare;
pub mod db;
pub mod event;
pub mod orch;
mod protocol;
pub mod service;
pub mod types;
pub mod wire;

use std::sync::Arc;

pub use cfg::{Consumer, FailAt, Failure, Mode, Publish, SagaCfg};
pub use event::{Mark, SagaEv, SagaRow, SagaShared, SagaStats};
pub use protocol::summary;
pub use types::{Saga, SagaCmd};
pub use wire::{Effect, Kind, Msg, Note, Pos, Rec, Step, Timer};

use crate::sim::event::What;
use crate::sim::ids::NodeIx;
use crate::sim::proto::log::wire::{MqMsg, MqUp};
use crate::sim::proto::{Ctx, Payload, ProtoEv, TimerKind};

/// A node's part in the saga: every server is a shard with its database (rows, inbox,
/// outbox); one client is the orchestrator. Each publishes and consumes through the message
/// log's client on its own node.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    cfg: Arc<SagaCfg>,
    /// The node's database.
    pub db: db::Db,
    /// The orchestrator, on its client.
    pub orch: Option<orch::Orch>,
    /// Choreographed: the sagas of the orders whose row lives here (placed, ended).
    pub placed: orch::Orch,
}

/// Hands `note` to the message log's producer on this node, to the partition its consumer
/// reads (nothing if it has none: the scenario's `mq.consumers` leaves that node out).
pub(crate) fn publish(cfg: &SagaCfg, ctx: &mut Ctx<'_>, note: Note) {
    let p =
        route(cfg, ctx, &note).and_then(|to| sh(ctx).part_of.get(to as usize).copied().flatten());
    if let Some(p) = p {
        ctx.local(Payload::Mq(MqMsg::AppSend {
            p,
            body: note.code(),
        }));
    }
}

pub(crate) fn timer(ctx: &mut Ctx<'_>, after: u64, t: Timer) {
    ctx.set_timer(after, TimerKind::Saga(t));
}

pub(crate) fn emit(ctx: &mut Ctx<'_>, e: SagaEv) {
    ctx.emit(What::Proto(ProtoEv::Saga(e)));
}

pub(crate) fn sh<'a>(ctx: &'a Ctx<'_>) -> &'a SagaShared {
    ctx.shared::<Saga>()
}

pub(crate) fn sh_mut<'a>(ctx: &'a mut Ctx<'_>) -> &'a mut SagaShared {
    ctx.shared_mut::<Saga>()
}

/// The shard that runs `step` for `order` (the owner of its key at build time).
pub fn service_home(cfg: &SagaCfg, s: &SagaShared, step: Step, order: u32) -> Option<NodeIx> {
    match step {
        Step::Reserve | Step::Confirm => s.sku_home.get(cfg.sku_of(order) as usize),
        Step::Charge => s.acct_home.get(cfg.acct_of(order) as usize),
        Step::Ship => s.order_home.get(order as usize),
    }
    .copied()
}

/// Who consumes `note`: commands go to their service; answers go to the orchestrator, or,
/// choreographed, to the service that reacts to them.
pub(crate) fn route(cfg: &SagaCfg, ctx: &Ctx<'_>, note: &Note) -> Option<NodeIx> {
    let s = sh(ctx);
    if note.kind.is_command() {
        return service_home(cfg, s, note.step, note.order);
    }
    match cfg.mode {
        Mode::Orchestrated => s.orch,
        Mode::Choreographed => match choreo::reactor(note) {
            choreo::Reactor::Service(step) => service_home(cfg, s, step, note.order),
            choreo::Reactor::OrderHome => s.order_home.get(note.order as usize).copied(),
        },
    }
}

impl Node {
    /// Its settings.
    pub fn cfg(&self) -> &SagaCfg {
        &self.cfg
    }

    /// What the log's client on this node hands back: an acknowledgement, a give-up, or a
    /// note it consumed.
    fn on_log(&mut self, ctx: &mut Ctx<'_>, up: MqUp) {
        let cfg = Arc::clone(&self.cfg);
        match up {
            MqUp::Acked { id, body } => {
                if let Some(note) = Note::decode(body) {
                    self.db.on_acked(ctx, id, note);
                }
            }
            MqUp::Failed { body, .. } => {
                if let Some(note) = Note::decode(body) {
                    self.db.on_failed(&cfg, ctx, note);
                }
            }
            MqUp::Record { body, .. } => {
                if let Some(note) = Note::decode(body) {
                    self.on_deliver(ctx, note);
                }
            }
        }
    }

    /// A note the log's consumer processed (offsets are the log's business: it commits
    /// them after processing, so a crash or a rebalance in between delivers the note again).
    fn on_deliver(&mut self, ctx: &mut Ctx<'_>, note: Note) {
        let cfg = Arc::clone(&self.cfg);
        if note.kind.is_command() {
            if let Some(again) = service::admit(&self.db, &cfg, ctx, note) {
                service::serve(&mut self.db, &cfg, ctx, note, note, again);
            }
        } else if let Some(o) = self.orch.as_mut() {
            o.on_answer(&cfg, ctx, &mut self.db, note);
        } else if cfg.mode == Mode::Choreographed {
            choreo::react(self, &cfg, ctx, note);
        }
    }
}

impl crate::sim::world::World {
    /// The saga's world-wide state (placement, ledger, book, counters).
    pub fn saga(&self) -> &SagaShared {
        self.shared::<Saga>()
    }
}

#[cfg(test)]
mod tests;
