//! The one static interface every protocol implements (stateright's model shape applied to
//! live protocols). The engine never names a protocol: the registry's dispatch calls these
//! functions through the enums built from each protocol's [`ProtoTypes`], so adding a
//! protocol is a folder plus one registry line, and the world stays a plain
//! `Clone + PartialEq` value for snapshots. A protocol's node and world-wide state sit in the
//! engine's [`Slots`](crate::sim::slots::Slots); the typed access to them lives here.

use std::collections::BTreeSet;
use std::fmt::Debug;

use serde_json::Value;

use super::enums::{ProtoCfg, Registered};
use super::Ctx;
use crate::sim::cmd::CmdError;
use crate::sim::cmd_fields::Fields;
use crate::sim::event::What;
use crate::sim::ids::{NodeIx, Time};
use crate::sim::invariant::Invariant;
use crate::sim::json_read::{Obj, R};
use crate::sim::slots::{Procs, ProtoShared};
use crate::sim::world::{CmdCtx, World};

/// A protocol of the simulated cluster: its vocabulary ([`ProtoTypes`], through
/// [`Registered`]), its state, its config reader, its handlers, its commands, its invariants
/// and its counters. Every function is static; state lives in the per-node
/// [`Protocol::Node`] and the world-wide [`Protocol::Shared`].
pub trait Protocol: Registered {
    /// The scenario format version that introduced it (older files may not use it).
    const SINCE_VERSION: u64;
    /// The command ops it reads (`lock_job`, …), listed in "unknown op" messages.
    const OPS: &'static [&'static str];

    /// One node's volatile state (dropped on crash, rebuilt by [`Protocol::boot`]).
    type Node: Clone + Debug + PartialEq + 'static;
    /// World-wide bookkeeping outside any node (counters, an order book): part of the world
    /// value, so snapshots and forks carry it.
    type Shared: Clone + Debug + PartialEq + Default + 'static;

    // ----- config -----

    /// Reads its section of `protocols` (errors carry the exact JSON path).
    fn read_cfg(o: Obj) -> R<Self::Cfg>;

    /// Checks settings against the cluster: `Err((field, reason))`, `field` relative to its
    /// section ("" for the section itself).
    fn check_cfg(
        cfg: &Self::Cfg,
        servers: &[String],
        clients: &[String],
    ) -> Result<(), (String, String)>;

    /// Checks its settings against the other protocols' sections, once every section passed
    /// its own check: a protocol that runs on another one says here what it needs of it, so
    /// a scenario that cannot work is refused at load time instead of stalling at run time.
    /// `Err((path under protocols, reason))`, e.g. `("mq.consumers", …)`.
    fn check_peers(
        _cfg: &Self::Cfg,
        _all: &ProtoCfg,
        _servers: &[String],
        _clients: &[String],
    ) -> Result<(), (String, String)> {
        Ok(())
    }

    // ----- handlers -----

    /// Starts it on a node that just joined or recovered (reading the durable log); `None`
    /// when this node plays no part.
    fn boot(cfg: &Self::Cfg, ctx: &mut Ctx<'_>) -> Option<Self::Node>;

    /// A message of this protocol reached the node.
    fn on_message(node: &mut Self::Node, ctx: &mut Ctx<'_>, from: NodeIx, m: Self::Msg);

    /// A timer this protocol set fired.
    fn on_timer(node: &mut Self::Node, ctx: &mut Ctx<'_>, t: Self::Timer);

    /// A node crashed (its volatile state is already gone); world-wide bookkeeping may note it.
    fn on_crash(_shared: &mut Self::Shared, _node: NodeIx) {}

    /// The initial cluster is built (every node booted once): seed durable state that
    /// depends on the whole ring, such as rows placed on their owners.
    fn on_built(_cfg: &Self::Cfg, _w: &mut CmdCtx<'_>) {}

    // ----- commands -----

    /// Reads a command with this `op`, or `None` if the op is not this protocol's.
    fn read_cmd(op: &str, f: &mut Fields<'_>) -> Option<Result<Self::Cmd, String>>;

    /// Checks a scheduled command against the scenario: `Err((field, reason))`, `field`
    /// relative to the command ("" for the command itself).
    fn check_cmd(
        c: &Self::Cmd,
        cfg: Option<&Self::Cfg>,
        clients: &BTreeSet<String>,
    ) -> Result<(), (String, String)>;

    /// Runs a command at the current virtual time.
    fn on_command(c: &Self::Cmd, w: &mut CmdCtx<'_>) -> Result<(), CmdError>;

    // ----- bookkeeping and checks -----

    /// A node of this protocol put a message on the wire.
    fn on_send(_s: &mut Self::Shared, _m: &Self::Msg) {}

    /// A node reported an event (counters read the trace as it is made).
    fn observe(_s: &mut Self::Shared, _node: NodeIx, _t: Time, _ev: &Self::Ev) {}

    /// Forgets what building the initial cluster counted (a run's counters start at zero).
    fn reset_counters(s: &mut Self::Shared) {
        *s = Self::Shared::default();
    }

    /// Its named properties, checked after every step (and at the end).
    fn invariants() -> Vec<Invariant> {
        Vec::new()
    }

    /// Its counters in the run summary, under [`Protocol::NAME`].
    fn summary(_cfg: &Self::Cfg, _s: &Self::Shared, _until: Time) -> Option<Value> {
        None
    }

    // ----- sizes -----

    /// Rough heap footprint of a node's state, for snapshot memory reports.
    fn node_bytes(n: &Self::Node) -> usize;

    /// Rough heap footprint of the world-wide state.
    fn shared_bytes(_s: &Self::Shared) -> usize {
        0
    }

    // ----- its slots in the engine's state -----

    /// Its event, if the event is one.
    fn ev(w: &What) -> Option<&Self::Ev> {
        match w {
            What::Proto(e) => Self::proto_ev(e),
            _ => None,
        }
    }

    /// Its state on one node, if it runs there.
    fn node(p: &Procs) -> Option<&Self::Node> {
        p.get(Self::SLOT)
    }

    /// Its state on one node, to change.
    fn node_mut(p: &mut Procs) -> Option<&mut Self::Node> {
        p.get_mut(Self::SLOT)
    }

    /// Starts or stops it on one node.
    fn set_node(p: &mut Procs, n: Option<Self::Node>) {
        p.set(Self::SLOT, n);
    }

    /// Its world-wide state (the registry fills every slot when the world is built).
    fn shared(s: &ProtoShared) -> &Self::Shared {
        match s.get(Self::SLOT) {
            Some(v) => v,
            None => unreachable!("the world holds every protocol's shared state"),
        }
    }

    /// Its world-wide state, to change.
    fn shared_mut(s: &mut ProtoShared) -> &mut Self::Shared {
        match s.get_mut(Self::SLOT) {
            Some(v) => v,
            None => unreachable!("the world holds every protocol's shared state"),
        }
    }
}

/// The command half of [`Protocol`] for a protocol that has no commands (`type Cmd = Never`):
/// `no_commands!();` inside its `impl Protocol`, instead of five functions that cannot run.
macro_rules! no_commands {
    () => {
        fn read_cmd(
            _: &str,
            _: &mut $crate::sim::cmd_fields::Fields<'_>,
        ) -> Option<Result<$crate::sim::proto::proto_types::Never, String>> {
            None
        }

        fn check_cmd(
            c: &$crate::sim::proto::proto_types::Never,
            _: Option<&Self::Cfg>,
            _: &std::collections::BTreeSet<String>,
        ) -> Result<(), (String, String)> {
            match *c {}
        }

        fn on_command(
            c: &$crate::sim::proto::proto_types::Never,
            _: &mut $crate::sim::proto::CmdCtx<'_>,
        ) -> Result<(), $crate::sim::cmd::CmdError> {
            match *c {}
        }
    };
}
pub(crate) use no_commands;

impl Ctx<'_> {
    /// A protocol's world-wide state (its counters, its order book).
    pub fn shared<P: Protocol>(&self) -> &P::Shared {
        P::shared(&self.core.shared)
    }

    /// A protocol's world-wide state, to change.
    pub fn shared_mut<P: Protocol>(&mut self) -> &mut P::Shared {
        P::shared_mut(&mut self.core.shared)
    }
}

impl World {
    /// A protocol's world-wide state (its counters, its order book).
    pub fn shared<P: Protocol>(&self) -> &P::Shared {
        P::shared(&self.core.shared)
    }
}

impl CmdCtx<'_> {
    /// Runs `f` on node `ix`'s state of protocol `P` (None when it does not run there) with
    /// a handler context, so a command acts exactly as a message handler would.
    pub fn on_node<P: Protocol, T>(
        &mut self,
        ix: NodeIx,
        f: impl FnOnce(Option<&mut P::Node>, &mut Ctx<'_>) -> T,
    ) -> T {
        let (procs, _, mut ctx) = self.world.handler(ix, self.out, self.hooks);
        f(procs.and_then(P::node_mut), &mut ctx)
    }

    /// Restarts protocol `P` alone on node `ix`, so it reads what was just persisted.
    pub fn reboot<P: Protocol>(&mut self, ix: NodeIx, cfg: &P::Cfg) {
        let (procs, _, mut ctx) = self.world.handler(ix, self.out, self.hooks);
        let node = P::boot(cfg, &mut ctx);
        if let Some(p) = procs {
            P::set_node(p, node);
        }
    }
}
