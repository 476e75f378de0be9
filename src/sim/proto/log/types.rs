//! The message log's vocabulary: its marker type, its commands and what the registry builds the engine's
//! enums from (see [`ProtoTypes`]). Nothing of the engine is imported here.

use serde::Serialize;

use super::cfg::MqCfg;
use super::wire::{MqEv, MqMsg, MqRec, MqTimer};
use crate::sim::ids::NodeIx;
use crate::sim::proto::proto_types::ProtoTypes;

/// The partitioned log as a protocol of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mq;

/// The log's commands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum MqCmd {
    /// `client` produces `count` messages keyed by order `key` (`poison`: they always fail).
    MqProduce {
        /// The producing client.
        client: String,
        /// Order id.
        key: u32,
        /// How many (1..=1000).
        count: u32,
        /// Processing them always fails.
        #[serde(skip_serializing_if = "is_false")]
        poison: bool,
    },
    /// `client` joins the consumer group.
    MqJoin {
        /// The consumer.
        client: String,
    },
    /// `client` leaves the consumer group.
    MqLeave {
        /// The consumer.
        client: String,
    },
    /// `client` now takes `process_ms` per message (a slow consumer).
    MqSlow {
        /// The consumer.
        client: String,
        /// Processing time per message.
        process_ms: u64,
    },
    /// Switches one setting from now on, for every broker and client (acks, min_isr,
    /// idempotent, unclean, commit, assignment, rebalance; see [`super::cfg::SETTINGS`]).
    /// In the past this forks: the history before keeps the old setting.
    MqSet {
        /// The setting's scenario name.
        setting: String,
        /// Its new value, as a scenario file spells it.
        value: String,
    },
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

impl ProtoTypes for Mq {
    const NAME: &'static str = "mq";
    type Cfg = MqCfg;
    type Msg = MqMsg;
    type Timer = MqTimer;
    type Rec = MqRec;
    type Ev = MqEv;
    type Cmd = MqCmd;

    fn cmd_op(c: &MqCmd) -> &'static str {
        match c {
            MqCmd::MqProduce { .. } => "mq_produce",
            MqCmd::MqJoin { .. } => "mq_join",
            MqCmd::MqLeave { .. } => "mq_leave",
            MqCmd::MqSlow { .. } => "mq_slow",
            MqCmd::MqSet { .. } => "mq_set",
        }
    }

    fn cmd_nodes(c: &MqCmd) -> Vec<&str> {
        match c {
            MqCmd::MqProduce { client, .. }
            | MqCmd::MqJoin { client }
            | MqCmd::MqLeave { client }
            | MqCmd::MqSlow { client, .. } => vec![client.as_str()],
            MqCmd::MqSet { .. } => Vec::new(),
        }
    }

    fn msg_label(m: &MqMsg) -> String {
        m.label()
    }

    fn timer_label(t: &MqTimer) -> &'static str {
        t.label()
    }

    fn ev_kind(e: &MqEv) -> &'static str {
        e.kind()
    }

    fn ev_words(e: &MqEv, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
        e.describe(at, name)
    }
}
