//! What a protocol's handler may do while handling one input, and nothing more: read its own
//! clock, send, set timers in local time, persist, and say what happened.

use super::enums::ProtoCfg;
use super::enums::{Payload, Record, TimerKind};
use crate::sim::event::{Event, What};
use crate::sim::ids::{NodeIx, Role};
use crate::sim::ring::Ring;
use crate::sim::slots::Procs;
use crate::sim::topology::Topology;
use crate::sim::world::{Core, Hooks, World};

/// Everything a protocol may do while handling one input: read its own clock, send, set
/// timers in local time, persist, and say what happened. It cannot see other nodes' state.
pub struct Ctx<'a> {
    pub(crate) core: &'a mut Core,
    pub(crate) out: &'a mut Vec<Event>,
    pub(crate) me: NodeIx,
    pub(crate) topo: &'a Topology,
    /// The counters this handler's sends and events feed (the registry's dispatch).
    pub(crate) hooks: Hooks,
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
        (self.hooks.on_send)(&mut self.core.shared, &payload);
        self.core.send(self.me, to, payload, self.out);
    }

    /// Hands `payload` to the protocol that owns it on this same node: an in-process library
    /// call (one protocol using another, as the saga uses the log's client), not a message.
    /// It is taken at the current virtual time, after what is already due now, through that
    /// protocol's `on_message` with `from` = this node; no network, no loss, no trace event
    /// of its own, not counted as sent. It is dropped if the node crashes first, and waits
    /// while the node is paused.
    pub fn local(&mut self, payload: Payload) {
        self.core.local(self.me, payload);
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
        (self.hooks.observe)(&mut self.core.shared, self.me, self.core.now, &what);
        self.out.push(Event {
            t: self.core.now,
            node: Some(self.me),
            what,
        });
    }

    /// Virtual time, for bookkeeping only (an order's submission time in the UI); protocol
    /// decisions use [`Ctx::now_local`].
    #[allow(dead_code)] // a build with the heartbeat alone (the Hash ring page) calls it nowhere
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

impl World {
    /// Node `me`'s protocol state, the settings, and a handler context for it: the one place
    /// the engine and commands split the world's borrows to hand an input to a node.
    pub(crate) fn handler<'a>(
        &'a mut self,
        me: NodeIx,
        out: &'a mut Vec<Event>,
        hooks: Hooks,
    ) -> (Option<&'a mut Procs>, &'a ProtoCfg, Ctx<'a>) {
        let World {
            core,
            procs,
            protocols,
            topo,
        } = self;
        let ctx = Ctx {
            core,
            out,
            me,
            topo,
            hooks,
        };
        (procs.get_mut(me as usize), protocols, ctx)
    }
}
