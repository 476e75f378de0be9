//! The checkout saga's vocabulary: its marker type, its commands and what the registry builds the engine's
//! enums from (see [`ProtoTypes`]). Nothing of the engine is imported here.

use serde::Serialize;

use super::cfg::{FailAt, SagaCfg};
use super::event::SagaEv;
use super::wire::{Msg, Rec, Step, Timer};
use crate::sim::ids::NodeIx;
use crate::sim::proto::proto_types::ProtoTypes;

/// The saga protocol (its registry entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Saga;

/// The saga's commands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SagaCmd {
    /// The next `times` tries of `step` for order `order` fail.
    SagaFail {
        /// The order.
        order: u32,
        /// Where (reserve, charge, ship, confirm, release, refund).
        step: FailAt,
        /// How many tries.
        times: u32,
    },
    /// The outbox relay on `node` crashes right after its next publish (of a note about
    /// `step`, if named), before it marks the row: the row is published again.
    SagaRelayCrash {
        /// The node whose relay crashes (a server or the orchestrator).
        node: String,
        /// Only after publishing a note about this step.
        #[serde(skip_serializing_if = "Option::is_none")]
        step: Option<Step>,
    },
}

impl ProtoTypes for Saga {
    const NAME: &'static str = "saga";
    type Cfg = SagaCfg;
    type Msg = Msg;
    type Timer = Timer;
    type Rec = Rec;
    type Ev = SagaEv;
    type Cmd = SagaCmd;

    fn cmd_op(c: &SagaCmd) -> &'static str {
        match c {
            SagaCmd::SagaFail { .. } => "saga_fail",
            SagaCmd::SagaRelayCrash { .. } => "saga_relay_crash",
        }
    }

    fn cmd_nodes(c: &SagaCmd) -> Vec<&str> {
        match c {
            SagaCmd::SagaFail { .. } => Vec::new(),
            SagaCmd::SagaRelayCrash { node, .. } => vec![node.as_str()],
        }
    }

    fn msg_label(m: &Msg) -> String {
        m.label()
    }

    fn timer_label(t: &Timer) -> &'static str {
        t.label()
    }

    fn ev_kind(e: &SagaEv) -> &'static str {
        e.kind()
    }

    fn ev_words(e: &SagaEv, at: &str, _: &dyn Fn(NodeIx) -> String) -> String {
        e.describe(at)
    }
}
