//! The replicated store's vocabulary: its marker type, its commands and what the registry builds the engine's
//! enums from (see [`ProtoTypes`]). Nothing of the engine is imported here.

use serde::Serialize;

use super::{KvCfg, KvEv, KvRec, Msg, Replication, Resolve, Timer};
use crate::sim::ids::NodeIx;
use crate::sim::proto::proto_types::ProtoTypes;

/// The replicated key-value store as a protocol of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kv;

/// The store's command: `kv_set` switches settings at the playhead (the panel's mode
/// switches; in the past it forks). Absent fields keep their value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum KvCmd {
    /// Change these settings from now on (every field optional).
    KvSet(KvSet),
}

/// The settings `kv_set` can change mid-run (the mode and the workload cannot).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KvSet {
    /// Primary mode: `async` or `sync`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication: Option<Replication>,
    /// Primary mode: fenced failover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fencing: Option<bool>,
    /// Dynamo: sloppy quorum with hints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sloppy: Option<bool>,
    /// Dynamo: replicas per key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u8>,
    /// Dynamo: read quorum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r: Option<u8>,
    /// Dynamo: write quorum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub w: Option<u8>,
    /// Dynamo: read repair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_repair: Option<bool>,
    /// Dynamo: `lww` or `vv` (only before the first write: versions are stored differently).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolve: Option<Resolve>,
}

impl ProtoTypes for Kv {
    const NAME: &'static str = "kv";
    type Cfg = KvCfg;
    type Msg = Msg;
    type Timer = Timer;
    type Rec = KvRec;
    type Ev = KvEv;
    type Cmd = KvCmd;

    fn cmd_op(_: &KvCmd) -> &'static str {
        "kv_set"
    }

    fn cmd_nodes(_: &KvCmd) -> Vec<&str> {
        Vec::new()
    }

    fn msg_label(m: &Msg) -> String {
        m.label()
    }

    fn timer_label(t: &Timer) -> &'static str {
        match t {
            Timer::Op => "kv next op",
            Timer::OpTimeout { .. } => "kv op timeout",
            Timer::Tick => "kv tick",
            Timer::Sloppy { .. } => "kv sloppy retry",
            Timer::Hints => "kv hints",
            Timer::StreamRetry { .. } => "kv stream retry",
        }
    }

    fn ev_kind(e: &KvEv) -> &'static str {
        e.kind()
    }

    fn ev_words(e: &KvEv, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
        e.words(at, name)
    }
}
