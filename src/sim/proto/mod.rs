//! Protocols plug into the world as state machines reacting to messages, timers and
//! crash/recovery. Dispatch is by enum (payload, timer kind, per-node state), not trait
//! objects, so the whole world stays a plain `Clone + PartialEq` value for snapshots.
//!
//! To add a protocol (locks, 2PC): add a module with its `Msg`, `Timer`, per-node state and
//! config; add one variant to [`Payload`], [`TimerKind`], maybe [`Record`]; one field to
//! [`Procs`] and [`ProtoCfg`]; route it in the three `Procs` methods.

pub mod heartbeat;
pub mod locks;
pub mod tpc;

use serde::{Deserialize, Serialize};

use super::event::{Event, What};
use super::ring::Ring;
use super::topology::Topology;
use super::world::{Core, NodeIx, Role};

/// The body of a message on the wire, tagged with the protocol that understands it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "proto", rename_all = "snake_case")]
pub enum Payload {
    /// Failure-detector traffic.
    Heartbeat(heartbeat::Msg),
    /// Lock, coordination and storage traffic.
    Locks(locks::Msg),
    /// Two-phase commit traffic.
    Tpc(tpc::Msg),
}

impl Payload {
    /// Short human label for narration and the UI ("ping #3").
    pub fn label(&self) -> String {
        match self {
            Payload::Heartbeat(m) => m.label(),
            Payload::Locks(m) => m.label(),
            Payload::Tpc(m) => m.label(),
        }
    }
}

/// What a timer is for, tagged with the protocol that set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "proto", rename_all = "snake_case")]
pub enum TimerKind {
    /// Failure-detector timers.
    Heartbeat(heartbeat::Timer),
    /// Lock protocol timers (leases, retries, sessions, jobs).
    Locks(locks::Timer),
    /// Two-phase commit timers (votes, resends, doubt, workload).
    Tpc(tpc::Timer),
}

impl TimerKind {
    /// Short human label ("heartbeat tick").
    pub fn label(&self) -> &'static str {
        match self {
            TimerKind::Heartbeat(t) => t.label(),
            TimerKind::Locks(t) => t.label(),
            TimerKind::Tpc(t) => t.label(),
        }
    }
}

/// One entry of a node's durable log: survives crashes, unlike everything in [`Procs`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    /// The process (re)started with this incarnation number.
    Boot {
        /// 1 on first start, +1 on every recovery.
        incarnation: u64,
    },
    /// Lock server, coordination server or storage state (see `locks::Rec`).
    Lock(locks::Rec),
    /// Two-phase commit: rows, prepare, decision, outcome and end records.
    Tpc(tpc::TRec),
}

/// Which protocols run on the servers, with their settings (part of the scenario).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtoCfg {
    /// The heartbeat failure detector, if enabled.
    #[serde(default)]
    pub heartbeat: Option<heartbeat::HeartbeatCfg>,
    /// Distributed locks, storage and client jobs, if enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locks: Option<locks::LockCfg>,
    /// Two-phase commit across the shards, if enabled (scenario version 3).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "tpc::cfg::deserialize_opt"
    )]
    pub tpc: Option<tpc::TpcCfg>,
}

/// A node's volatile protocol state: one slot per protocol, `None` when not running.
/// Dropped wholesale on crash; rebuilt from the durable log on recovery.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Procs {
    /// Failure detector state, on servers when enabled.
    pub heartbeat: Option<heartbeat::Node>,
    /// Lock server, storage or lock client state, when locks are enabled.
    pub locks: Option<locks::Node>,
    /// Shard or order client, when two-phase commit is enabled.
    pub tpc: Option<tpc::Node>,
}

impl Procs {
    /// Starts the protocols a node runs (servers: heartbeat, lock server or storage;
    /// clients: the lock client), reading whatever they need from its durable log.
    pub(crate) fn boot(cfg: &ProtoCfg, ctx: &mut Ctx<'_>) -> Self {
        let server = ctx.role() == Role::Server;
        Procs {
            heartbeat: cfg
                .heartbeat
                .as_ref()
                .filter(|_| server)
                .map(|c| heartbeat::Node::boot(c, ctx)),
            locks: cfg.locks.as_ref().and_then(|c| locks::Node::boot(c, ctx)),
            tpc: cfg.tpc.as_ref().map(|c| tpc::Node::boot(c, ctx)),
        }
    }

    /// Rough heap footprint, for snapshot memory reports.
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.heartbeat.as_ref().map_or(0, |h| h.approx_bytes())
            + self.locks.as_ref().map_or(0, |l| l.approx_bytes())
            + self.tpc.as_ref().map_or(0, |t| t.approx_bytes())
    }

    /// Routes a delivered message to the protocol that owns its payload.
    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, payload: Payload) {
        match payload {
            Payload::Heartbeat(m) => {
                if let Some(h) = self.heartbeat.as_mut() {
                    h.on_message(ctx, from, m);
                }
            }
            Payload::Locks(m) => {
                if let Some(l) = self.locks.as_mut() {
                    l.on_message(ctx, from, m);
                }
            }
            Payload::Tpc(m) => {
                if let Some(t) = self.tpc.as_mut() {
                    t.on_message(ctx, from, m);
                }
            }
        }
    }

    /// Routes a fired timer to the protocol that set it.
    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, kind: TimerKind) {
        match kind {
            TimerKind::Heartbeat(t) => {
                if let Some(h) = self.heartbeat.as_mut() {
                    h.on_timer(ctx, t);
                }
            }
            TimerKind::Locks(t) => {
                if let Some(l) = self.locks.as_mut() {
                    l.on_timer(ctx, t);
                }
            }
            TimerKind::Tpc(t) => {
                if let Some(n) = self.tpc.as_mut() {
                    n.on_timer(ctx, t);
                }
            }
        }
    }
}

/// Everything a protocol may do while handling one input: read its own clock, send, set
/// timers in local time, persist, and say what happened. It cannot see other nodes' state.
pub struct Ctx<'a> {
    pub(crate) core: &'a mut Core,
    pub(crate) out: &'a mut Vec<Event>,
    pub(crate) me: NodeIx,
    pub(crate) topo: &'a Topology,
}

impl Ctx<'_> {
    /// The node this handler runs on.
    pub fn me(&self) -> NodeIx {
        self.me
    }

    /// Whether this node is a server or a client.
    pub fn role(&self) -> Role {
        self.core.nodes[self.me as usize].role
    }

    /// The name of a node (what configs refer to), "" if there is no such node.
    pub fn node_name(&self, ix: NodeIx) -> &str {
        self.core.nodes.get(ix as usize).map_or("", |n| &n.name)
    }

    /// The index of the node with this name.
    pub fn node_ix(&self, name: &str) -> Option<NodeIx> {
        self.core
            .nodes
            .iter()
            .position(|n| n.name == name)
            .map(|i| i as NodeIx)
    }

    /// The membership view every node shares (a service registry): who owns what.
    pub fn ring(&self) -> &Ring {
        self.topo.ring()
    }

    /// How many membership changes happened since the world was built: a node compares
    /// it with the epoch it last checked ownership at.
    pub fn ring_epoch(&self) -> u64 {
        self.topo.epoch()
    }

    /// A random number from the world's one seeded generator (lock values, session ids,
    /// back-off), so runs stay replayable.
    pub fn random_below(&mut self, n: u64) -> u64 {
        self.core.rng.below(n)
    }

    /// This node's clock reading: the only notion of "now" a protocol is allowed.
    pub fn now_local(&self) -> i64 {
        self.core.nodes[self.me as usize]
            .clock
            .local_time(self.core.now)
    }

    /// Current cluster members (servers not removed), in join order; includes this node.
    pub fn members(&self) -> &[NodeIx] {
        &self.core.members
    }

    /// Sends a message; the network decides latency, loss and duplication.
    pub fn send(&mut self, to: NodeIx, payload: Payload) {
        if let Payload::Tpc(_) = payload {
            self.core.tpc_stats.sent();
        }
        self.core.send(self.me, to, payload, self.out);
    }

    /// Arms a timer that fires when this node's clock has advanced by `after_ms`.
    pub fn set_timer(&mut self, after_ms: u64, kind: TimerKind) {
        let deadline = self
            .now_local()
            .saturating_add(after_ms.min(i64::MAX as u64) as i64);
        self.core.set_timer(self.me, deadline, kind);
    }

    /// Records something worth showing (a suspicion, a decision) in the trace.
    pub fn emit(&mut self, what: What) {
        match &what {
            What::Lock(ev) => self.core.lock_stats.observe(self.me, self.core.now, ev),
            What::Tpc(ev) => self.core.tpc_stats.observe(self.me, self.core.now, ev),
            _ => {}
        }
        self.out.push(Event {
            t: self.core.now,
            node: Some(self.me),
            what,
        });
    }

    /// A submitted order (the request every node of its transaction was handed).
    pub fn order(&self, tx: tpc::TxId) -> Option<std::sync::Arc<tpc::Order>> {
        self.core.tpc_book.get_arc(tx)
    }

    /// Every submitted order.
    pub fn tpc_book(&self) -> &tpc::Book {
        &self.core.tpc_book
    }

    pub(crate) fn tpc_book_mut(&mut self) -> &mut tpc::Book {
        &mut self.core.tpc_book
    }

    /// Virtual time, for bookkeeping only (an order's submission time in the UI); protocol
    /// decisions use [`Ctx::now_local`].
    pub(crate) fn virtual_now(&self) -> crate::sim::time::Time {
        self.core.now
    }

    /// This node's durable log.
    pub fn durable(&self) -> &[Record] {
        &self.core.nodes[self.me as usize].durable
    }

    /// Appends to this node's durable log (kept across crashes).
    pub fn persist(&mut self, r: Record) {
        self.core.nodes[self.me as usize].durable.push(r);
    }
}
