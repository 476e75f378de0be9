//! The lock protocol's vocabulary: its marker type, its commands and what the registry builds the engine's
//! enums from (see [`ProtoTypes`]). Nothing of the engine is imported here.

use serde::Serialize;

use super::cfg::LockCfg;
use super::event::LockEv;
use super::wire::{Msg, Rec, Timer};
use crate::sim::ids::{NodeIx, ResKey};
use crate::sim::proto::proto_types::ProtoTypes;

/// Distributed locks, storage and client jobs as a protocol of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Locks;

/// The lock protocol's commands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LockCmd {
    /// A client runs a job: take `locks` in order (giving up on one after `wait_ms`), read
    /// `write` fenced by the lock of the same name, work `work_ms`, write it minus one,
    /// release everything.
    LockJob {
        client: String,
        locks: Vec<ResKey>,
        work_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        write: Option<ResKey>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wait_ms: Option<u64>,
    },
    /// A client takes one lock and holds it (renewing) until `lock_release`.
    LockAcquire {
        client: String,
        resource: ResKey,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wait_ms: Option<u64>,
    },
    /// A client releases a lock taken with `lock_acquire`, or stops waiting for it.
    LockRelease { client: String, resource: ResKey },
    /// Storage starts (or stops) refusing stale fencing tokens.
    SetFencing { on: bool },
}

impl ProtoTypes for Locks {
    const NAME: &'static str = "locks";
    type Cfg = LockCfg;
    type Msg = Msg;
    type Timer = Timer;
    type Rec = Rec;
    type Ev = LockEv;
    type Cmd = LockCmd;

    fn cmd_op(c: &LockCmd) -> &'static str {
        match c {
            LockCmd::LockJob { .. } => "lock_job",
            LockCmd::LockAcquire { .. } => "lock_acquire",
            LockCmd::LockRelease { .. } => "lock_release",
            LockCmd::SetFencing { .. } => "set_fencing",
        }
    }

    fn cmd_nodes(c: &LockCmd) -> Vec<&str> {
        match c {
            LockCmd::LockJob { client, .. }
            | LockCmd::LockAcquire { client, .. }
            | LockCmd::LockRelease { client, .. } => vec![client.as_str()],
            LockCmd::SetFencing { .. } => Vec::new(),
        }
    }

    fn msg_label(m: &Msg) -> String {
        m.label()
    }

    fn timer_label(t: &Timer) -> &'static str {
        t.label()
    }

    fn ev_kind(e: &LockEv) -> &'static str {
        e.kind()
    }

    fn ev_words(e: &LockEv, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
        e.describe(at, name)
    }
}
