//! The heartbeat failure detector's vocabulary: its marker type, its settings, messages, timers and events and what the registry builds the engine's
//! enums from (see [`ProtoTypes`]). Nothing of the engine is imported here.

use serde::{Deserialize, Serialize};

use crate::sim::ids::NodeIx;
use crate::sim::proto::proto_types::{no_command_words, Never, ProtoTypes};
use crate::sim::time::fmt_ms;

/// Settings of the detector (part of the scenario).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatCfg {
    /// How often a node pings every peer, on its local clock (ms, at least 1).
    pub interval_ms: u64,
    /// Silence after which a peer is suspected, on the local clock (ms).
    pub timeout_ms: u64,
}

/// Wire messages of the detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// "Are you there?" numbered by the sender's round.
    Ping {
        /// Sender's round number.
        seq: u64,
    },
    /// "Yes": echoes the round it answers.
    Pong {
        /// The round being answered.
        seq: u64,
    },
}

impl Msg {
    /// Short label for narration.
    pub fn label(&self) -> String {
        match self {
            Msg::Ping { seq } => format!("ping #{seq}"),
            Msg::Pong { seq } => format!("pong #{seq}"),
        }
    }
}

/// Timers of the detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "timer", rename_all = "snake_case")]
pub enum Timer {
    /// Periodic round: check silences, then ping everyone.
    Tick,
}

impl Timer {
    /// Short label for narration.
    pub fn label(&self) -> &'static str {
        match self {
            Timer::Tick => "heartbeat tick",
        }
    }
}

/// What the detector reports in the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ev {
    /// `node` now suspects `peer` of having failed, after `silent_ms` of silence (local clock).
    Suspect {
        /// The suspected peer.
        peer: NodeIx,
        /// How long it has been silent, by the suspecting node's clock.
        silent_ms: u64,
    },
    /// `node` heard from `peer` again and stopped suspecting it.
    Trust {
        /// The peer trusted again.
        peer: NodeIx,
    },
}

/// The heartbeat failure detector as a protocol of the engine (runs on servers only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heartbeat;

impl ProtoTypes for Heartbeat {
    const NAME: &'static str = "heartbeat";
    type Cfg = HeartbeatCfg;
    type Msg = Msg;
    type Timer = Timer;
    type Rec = Never;
    type Ev = Ev;
    type Cmd = Never;

    fn msg_label(m: &Msg) -> String {
        m.label()
    }

    fn timer_label(t: &Timer) -> &'static str {
        t.label()
    }

    fn ev_kind(e: &Ev) -> &'static str {
        match e {
            Ev::Suspect { .. } => "suspect",
            Ev::Trust { .. } => "trust",
        }
    }

    fn ev_words(e: &Ev, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
        match e {
            Ev::Suspect { peer, silent_ms } => format!(
                "node {at} suspects {} after {} of silence on its own clock",
                name(*peer),
                fmt_ms(*silent_ms)
            ),
            Ev::Trust { peer } => format!("node {at} heard from {} again", name(*peer)),
        }
    }

    no_command_words!();
}
