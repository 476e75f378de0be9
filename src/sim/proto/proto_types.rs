//! What a protocol says, apart from what it does: its name, its settings, the messages, timers,
//! durable records, events and commands it defines, and their words. The registry builds the
//! engine's closed enums from these alone, so the enums (and the world that holds them) sit
//! below every protocol's handlers: a protocol's folder implements this trait in its
//! `types.rs`, which imports nothing of the engine.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::sim::ids::NodeIx;

/// An uninhabited type for the parts a protocol does not have (no commands, no durable
/// records): the registry still gives it a variant, which can never be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Never {}

/// A protocol's vocabulary: the types the engine carries for it and their words.
pub trait ProtoTypes: Sized + 'static {
    /// Its section in a scenario's `protocols` and in the run summary ("locks").
    const NAME: &'static str;

    /// Its settings, from the scenario.
    type Cfg: Clone + Debug + PartialEq + Serialize;
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

    /// A message's short label ("ping #3").
    fn msg_label(m: &Self::Msg) -> String;

    /// A timer's short label ("heartbeat tick").
    fn timer_label(t: &Self::Timer) -> &'static str;

    /// An event's stable `kind` string (its serde tag).
    fn ev_kind(e: &Self::Ev) -> &'static str;

    /// An event in words; `at` is the name of the node it happened at, `name` names others.
    fn ev_words(e: &Self::Ev, at: &str, name: &dyn Fn(NodeIx) -> String) -> String;

    /// The command's `op` string (same as its serde tag).
    fn cmd_op(c: &Self::Cmd) -> &'static str;

    /// The node names a command refers to (checked against the cluster before running).
    fn cmd_nodes(c: &Self::Cmd) -> Vec<&str>;
}

/// The words of a protocol without commands (`type Cmd = Never`): `no_command_words!();`
/// inside its `impl ProtoTypes`.
macro_rules! no_command_words {
    () => {
        fn cmd_op(c: &$crate::sim::proto::proto_types::Never) -> &'static str {
            match *c {}
        }

        fn cmd_nodes(c: &$crate::sim::proto::proto_types::Never) -> Vec<&str> {
            match *c {}
        }
    };
}
pub(crate) use no_command_words;
