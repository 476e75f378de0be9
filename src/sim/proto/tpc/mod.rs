//! Two-phase commit across the ring's shards, as a protocol of the simulated cluster: an
//! order's keys route through the ring to the shards owning them at BEGIN; each shard
//! locks its keys at PREPARE, checks stock and money, forces a prepare record and votes;
//! the coordinator forces the decision and tells everyone; in-doubt participants keep
//! their locks and ask until they learn it. Classic 2PC, presumed abort, presumed commit
//! and three-phase commit share the code and differ in forced writes, acks, presumptions
//! and the pre-commit round. Failures come from the engine's faults. See docs/2pc.md.

pub mod cfg;
pub mod check;
mod client;
mod coord;
pub mod event;
pub mod order;
mod part;
mod protocol;
pub mod shard;
#[cfg(test)]
mod tests;
pub use crate::sim::vecmap;
pub mod types;
pub mod view;
pub mod wire;

use std::sync::Arc;

pub use cfg::{Heuristic, Params, TpcCfg, Variant, Workload};
pub use client::Client;
pub use event::{DecidedBy, How, NoWhy, TpcEv, TpcStats};
pub use order::{Book, Line, Order, Request};
pub(crate) use protocol::ev;
pub use protocol::TpcShared;
pub use shard::{Coord, CoordPhase, Part, Phase, Shard};
pub use types::{Item, Tpc, TpcCmd};
pub use wire::{Known, Msg, RecKind, Timer, TxId, TxRecord};

use super::{Ctx, Payload, TimerKind};
use crate::sim::ids::{NodeIx, Role};

/// A node's commit-protocol role and state.
#[derive(Clone, Debug, PartialEq)]
pub enum TpcNode {
    /// A server: shard, participant and (for some transactions) coordinator.
    Shard(Box<Shard>),
    /// A client submitting orders.
    Client(Client),
}

impl TpcNode {
    /// Starts the node's role: every server is a shard (rebuilt from its log), every
    /// client may submit orders.
    pub(crate) fn boot(cfg: &TpcCfg, ctx: &mut Ctx<'_>) -> TpcNode {
        match ctx.role() {
            Role::Server => TpcNode::Shard(Box::new(Shard::boot(cfg.params(), ctx))),
            Role::Client => TpcNode::Client(Client::boot(Arc::new(cfg.clone()), ctx)),
        }
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        let s = match self {
            TpcNode::Client(c) => return c.on_message(ctx, m),
            TpcNode::Shard(s) => s,
        };
        match m {
            Msg::Begin { tx } => s.on_begin(ctx, tx),
            Msg::Work { tx } => s.on_work(ctx, tx),
            Msg::Prepare { tx } => s.on_prepare(ctx, from, tx),
            Msg::Vote { tx, yes } => s.on_vote(ctx, from, tx, yes),
            Msg::PreCommit { tx } => s.on_pre_commit(ctx, from, tx),
            Msg::PreAck { tx } => s.on_pre_ack(ctx, from, tx),
            Msg::Decision { tx, commit } => s.on_decision(ctx, tx, commit),
            Msg::Ack { tx } => s.on_ack(ctx, from, tx),
            Msg::Inquire { tx } => s.on_inquire(ctx, from, tx),
            Msg::StateReq { tx } => s.on_state_req(ctx, from, tx),
            Msg::State { tx, known } => s.on_state(ctx, tx, known),
            Msg::Done { .. } => {}
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        let s = match self {
            TpcNode::Client(c) => return c.on_timer(ctx, t),
            TpcNode::Shard(s) => s,
        };
        match t {
            Timer::Votes { tx } => s.on_votes_timeout(ctx, tx),
            Timer::Resend { tx } => s.resend(ctx, tx),
            Timer::Work { tx } => s.on_work_timeout(ctx, tx),
            Timer::Doubt { tx } => s.on_doubt(ctx, tx),
            Timer::Heuristic { tx } => s.on_heuristic(ctx, tx),
            Timer::Workload => {}
        }
    }

    /// Rough heap footprint, for snapshot memory reports.
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + match self {
                TpcNode::Shard(s) => s.approx_bytes(),
                TpcNode::Client(c) => c.approx_bytes(),
            }
    }

    /// The shard state, if this node is a server.
    pub fn shard(&self) -> Option<&Shard> {
        match self {
            TpcNode::Shard(s) => Some(s),
            TpcNode::Client(_) => None,
        }
    }

    /// The client state, if this node is a client.
    pub fn client(&self) -> Option<&Client> {
        match self {
            TpcNode::Client(c) => Some(c),
            TpcNode::Shard(_) => None,
        }
    }

    pub(crate) fn client_mut(&mut self) -> Option<&mut Client> {
        match self {
            TpcNode::Client(c) => Some(c),
            TpcNode::Shard(_) => None,
        }
    }
}

fn send(ctx: &mut Ctx<'_>, to: NodeIx, m: Msg) {
    ctx.send(to, Payload::Tpc(m));
}

fn set_timer(ctx: &mut Ctx<'_>, after_ms: u64, t: Timer) {
    ctx.set_timer(after_ms, TimerKind::Tpc(t));
}
