//! Protocols plug into the world as state machines reacting to messages, timers and
//! crash/recovery. Dispatch is by enum (payload, timer kind, per-node state), not trait
//! objects, so the whole world stays a plain `Clone + PartialEq` value for snapshots.
//!
//! To add a protocol (locks, 2PC): add a module with its `Msg`, `Timer`, per-node state and
//! config; add one variant to [`Payload`], [`TimerKind`], maybe [`Record`]; one field to
//! [`Procs`] and [`ProtoCfg`]; route it in the three `Procs` methods.

pub mod heartbeat;

use serde::{Deserialize, Serialize};

use super::event::{Event, What};
use super::world::{Core, NodeIx};

/// The body of a message on the wire, tagged with the protocol that understands it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "proto", rename_all = "snake_case")]
pub enum Payload {
    /// Failure-detector traffic.
    Heartbeat(heartbeat::Msg),
}

impl Payload {
    /// Short human label for narration and the UI ("ping #3").
    pub fn label(&self) -> String {
        match self {
            Payload::Heartbeat(m) => m.label(),
        }
    }
}

/// What a timer is for, tagged with the protocol that set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "proto", rename_all = "snake_case")]
pub enum TimerKind {
    /// Failure-detector timers.
    Heartbeat(heartbeat::Timer),
}

impl TimerKind {
    /// Short human label ("heartbeat tick").
    pub fn label(&self) -> &'static str {
        match self {
            TimerKind::Heartbeat(t) => t.label(),
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
}

/// Which protocols run on the servers, with their settings (part of the scenario).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtoCfg {
    /// The heartbeat failure detector, if enabled.
    #[serde(default)]
    pub heartbeat: Option<heartbeat::HeartbeatCfg>,
}

/// A node's volatile protocol state: one slot per protocol, `None` when not running.
/// Dropped wholesale on crash; rebuilt from the durable log on recovery.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Procs {
    /// Failure detector state, on servers when enabled.
    pub heartbeat: Option<heartbeat::Node>,
}

impl Procs {
    /// Starts the protocols a server runs, reading whatever they need from its durable log.
    pub(crate) fn boot(cfg: &ProtoCfg, ctx: &mut Ctx<'_>) -> Self {
        Procs {
            heartbeat: cfg
                .heartbeat
                .as_ref()
                .map(|c| heartbeat::Node::boot(c, ctx)),
        }
    }

    /// Routes a delivered message to the protocol that owns its payload.
    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, payload: Payload) {
        match payload {
            Payload::Heartbeat(m) => {
                if let Some(h) = self.heartbeat.as_mut() {
                    h.on_message(ctx, from, m);
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
        }
    }
}

/// Everything a protocol may do while handling one input: read its own clock, send, set
/// timers in local time, persist, and say what happened. It cannot see other nodes' state.
pub struct Ctx<'a> {
    pub(crate) core: &'a mut Core,
    pub(crate) out: &'a mut Vec<Event>,
    pub(crate) me: NodeIx,
}

impl Ctx<'_> {
    /// The node this handler runs on.
    pub fn me(&self) -> NodeIx {
        self.me
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
        self.out.push(Event {
            t: self.core.now,
            node: Some(self.me),
            what,
        });
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
