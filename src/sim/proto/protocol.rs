//! The one static interface every protocol implements (stateright's model shape applied to
//! live protocols). The engine never names a protocol: it calls these functions through the
//! enums that [`registry`](super::registry) builds, so adding a protocol is a folder plus one
//! registry line, and the world stays a plain `Clone + PartialEq` value for snapshots.

use std::collections::BTreeSet;
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::{CmdCtx, Ctx};
use crate::sim::cmd::CmdError;
use crate::sim::cmd_decode::Fields;
use crate::sim::ids::{NodeIx, Time};
use crate::sim::invariant::Invariant;
use crate::sim::json_read::{Obj, R};

/// An uninhabited type for the parts a protocol does not have (no commands, no durable
/// records): the registry still gives it a variant, which can never be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Never {}

/// A protocol of the simulated cluster: its types, its config reader, its handlers, its
/// commands, its invariants and its counters. Every function is static; state lives in the
/// per-node [`Protocol::Node`] and the world-wide [`Protocol::Shared`].
pub trait Protocol: Sized + 'static {
    /// Its section in a scenario's `protocols` and in the run summary ("locks").
    const NAME: &'static str;
    /// The scenario format version that introduced it (older files may not use it).
    const SINCE_VERSION: u64;
    /// The command ops it reads (`lock_job`, …), listed in "unknown op" messages.
    const OPS: &'static [&'static str];

    /// Its settings, from the scenario.
    type Cfg: Clone + Debug + PartialEq + Serialize;
    /// One node's volatile state (dropped on crash, rebuilt by [`Protocol::boot`]).
    type Node: Clone + Debug + PartialEq;
    /// What it sends (plain values: the engine copies them into queues and events).
    type Msg: Copy + Debug + PartialEq + Eq + Serialize + DeserializeOwned;
    /// What its timers are for.
    type Timer: Copy + Debug + PartialEq + Eq + Serialize + DeserializeOwned;
    /// What it writes to a node's durable log (survives crashes).
    type Rec: Clone + Debug + PartialEq + Eq + Serialize + DeserializeOwned;
    /// What it reports in the trace; serialises with its own `kind` tag.
    type Ev: Clone + Debug + PartialEq + Serialize + DeserializeOwned;
    /// The commands it adds; serialise with their own `op` tag.
    type Cmd: Clone + Debug + PartialEq + Serialize;
    /// World-wide bookkeeping outside any node (counters, an order book): part of the world
    /// value, so snapshots and forks carry it.
    type Shared: Clone + Debug + PartialEq + Default;

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

    /// The command's `op` string (same as its serde tag).
    fn cmd_op(c: &Self::Cmd) -> &'static str;

    /// The node names a command refers to (checked against the cluster before running).
    fn cmd_nodes(c: &Self::Cmd) -> Vec<&str>;

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

    // ----- words -----

    /// A message's short label ("ping #3").
    fn msg_label(m: &Self::Msg) -> String;

    /// A timer's short label ("heartbeat tick").
    fn timer_label(t: &Self::Timer) -> &'static str;

    /// An event's stable `kind` string (its serde tag).
    fn ev_kind(e: &Self::Ev) -> &'static str;

    /// An event in words; `at` is the name of the node it happened at, `name` names others.
    fn ev_words(e: &Self::Ev, at: &str, name: &dyn Fn(NodeIx) -> String) -> String;

    /// Rough heap footprint of a node's state, for snapshot memory reports.
    fn node_bytes(n: &Self::Node) -> usize;

    /// Rough heap footprint of the world-wide state.
    fn shared_bytes(_s: &Self::Shared) -> usize {
        0
    }
}

/// The command half of [`Protocol`] for a protocol that has no commands (`type Cmd = Never`):
/// `no_commands!();` inside its `impl Protocol`, instead of five functions that cannot run.
macro_rules! no_commands {
    () => {
        fn read_cmd(
            _: &str,
            _: &mut $crate::sim::cmd_decode::Fields<'_>,
        ) -> Option<Result<$crate::sim::proto::Never, String>> {
            None
        }

        fn cmd_op(c: &$crate::sim::proto::Never) -> &'static str {
            match *c {}
        }

        fn cmd_nodes(c: &$crate::sim::proto::Never) -> Vec<&str> {
            match *c {}
        }

        fn check_cmd(
            c: &$crate::sim::proto::Never,
            _: Option<&Self::Cfg>,
            _: &std::collections::BTreeSet<String>,
        ) -> Result<(), (String, String)> {
            match *c {}
        }

        fn on_command(
            c: &$crate::sim::proto::Never,
            _: &mut $crate::sim::proto::CmdCtx<'_>,
        ) -> Result<(), $crate::sim::cmd::CmdError> {
            match *c {}
        }
    };
}
pub(crate) use no_commands;
