//! Commands: the only way anything outside the simulation changes it (a UI button, a
//! scenario's schedule, an explorer's fault). Serde-tagged by `op` so scenarios and the
//! timeline's command log store them as readable JSON.

use std::fmt;

use serde::Serialize;

use super::ids::MsgId;
use super::proto::enums::ProtoCmd;

/// Longest pause accepted (one hour of virtual time).
pub const MAX_PAUSE_MS: u64 = 3_600_000;
/// Largest clock jump or offset accepted, either way (about 11.5 days).
pub const MAX_CLOCK_STEP_MS: i64 = 1_000_000_000;
/// Longest narration text accepted (characters).
pub const MAX_NOTE_CHARS: usize = 2_000;

/// An input to the world. Nodes are named, not numbered, so commands read well in files.
///
/// Reading is hand-written ([`decode`](super::cmd_decode::decode)): the serde derive for an
/// internally tagged enum cost ~50 KB of wasm.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Cmd {
    /// A new server joins the cluster and the ring.
    AddNode { node: String, weight: f64 },
    /// A server leaves the cluster and the ring for good.
    RemoveNode { node: String },
    /// The ring marks a server failed (membership view; the process may be fine).
    FailNode { node: String },
    /// The ring marks a failed server healthy again.
    RecoverNode { node: String },
    /// A new client joins (clients run no server protocols).
    AddClient { node: String },
    /// The process crashes: volatile state lost, durable log kept.
    Crash { node: String },
    /// A crashed process restarts from its durable log.
    Recover { node: String },
    /// Stop-the-world pause (GC, VM steal) of `ms` virtual milliseconds.
    Pause { node: String, ms: u64 },
    /// Steps the node's clock by `delta_ms` (negative goes back).
    ClockJump { node: String, delta_ms: i64 },
    /// Sets the node's clock to read virtual time + `offset_ms`.
    SetSkew { node: String, offset_ms: i64 },
    /// Sets the node's clock drift in parts per million.
    SetDrift { node: String, ppm: i32 },
    /// Splits the network: `side` against everyone else.
    Partition { side: Vec<String> },
    /// Cuts one node off from everyone.
    Isolate { node: String },
    /// Removes all partitions.
    Heal,
    /// Drops one message in flight by id.
    DropMessage { msg: MsgId },
    /// Sets the loss probability for messages sent from now on.
    SetLoss { loss: f64 },
    /// Sets the duplication probability for messages sent from now on.
    SetDup { dup: f64 },
    /// Sets latency (base + up to jitter) for messages sent from now on.
    SetLatency { base_ms: u64, jitter_ms: u64 },
    /// Sets the one-way latency of the link `from → to` (and back, with `both_ways`) for
    /// messages sent from now on; other links keep the network's default.
    SetLinkLatency {
        from: String,
        to: String,
        base_ms: u64,
        jitter_ms: u64,
        both_ways: bool,
    },
    /// Narration: shows `text` in the trace at this moment.
    Note { text: String },
    /// The node's disk is lost: its durable log is erased (only while it is down), so it
    /// restarts as if it had never persisted anything.
    WipeDisk { node: String },
    /// A protocol's own command (`lock_job`, `checkout`, …), read and run by that protocol.
    #[serde(untagged)]
    Proto(ProtoCmd),
}

impl Cmd {
    /// The stable `op` string (same as the serde tag).
    pub fn op(&self) -> &'static str {
        match self {
            Cmd::AddNode { .. } => "add_node",
            Cmd::RemoveNode { .. } => "remove_node",
            Cmd::FailNode { .. } => "fail_node",
            Cmd::RecoverNode { .. } => "recover_node",
            Cmd::AddClient { .. } => "add_client",
            Cmd::Crash { .. } => "crash",
            Cmd::Recover { .. } => "recover",
            Cmd::Pause { .. } => "pause",
            Cmd::ClockJump { .. } => "clock_jump",
            Cmd::SetSkew { .. } => "set_skew",
            Cmd::SetDrift { .. } => "set_drift",
            Cmd::Partition { .. } => "partition",
            Cmd::Isolate { .. } => "isolate",
            Cmd::Heal => "heal",
            Cmd::DropMessage { .. } => "drop_message",
            Cmd::SetLoss { .. } => "set_loss",
            Cmd::SetDup { .. } => "set_dup",
            Cmd::SetLatency { .. } => "set_latency",
            Cmd::SetLinkLatency { .. } => "set_link_latency",
            Cmd::Note { .. } => "note",
            Cmd::WipeDisk { .. } => "wipe_disk",
            Cmd::Proto(c) => c.op(),
        }
    }

    /// The protocol the command drives, if it is a protocol's own (its section name).
    pub fn protocol(&self) -> Option<&'static str> {
        match self {
            Cmd::Proto(c) => Some(c.protocol()),
            _ => None,
        }
    }

    /// The node names this command refers to (for validating a schedule before running it).
    pub fn node_names(&self) -> Vec<&str> {
        match self {
            Cmd::AddNode { node, .. }
            | Cmd::RemoveNode { node }
            | Cmd::FailNode { node }
            | Cmd::RecoverNode { node }
            | Cmd::AddClient { node }
            | Cmd::Crash { node }
            | Cmd::Recover { node }
            | Cmd::Pause { node, .. }
            | Cmd::ClockJump { node, .. }
            | Cmd::SetSkew { node, .. }
            | Cmd::SetDrift { node, .. }
            | Cmd::Isolate { node }
            | Cmd::WipeDisk { node } => vec![node.as_str()],
            Cmd::Proto(c) => c.node_names(),
            Cmd::Partition { side } => side.iter().map(String::as_str).collect(),
            Cmd::SetLinkLatency { from, to, .. } => vec![from.as_str(), to.as_str()],
            Cmd::Heal
            | Cmd::DropMessage { .. }
            | Cmd::SetLoss { .. }
            | Cmd::SetDup { .. }
            | Cmd::SetLatency { .. }
            | Cmd::Note { .. } => Vec::new(),
        }
    }
}

/// Why a command was refused. Messages name the field or the node involved.
#[derive(Clone, Debug, PartialEq)]
pub enum CmdError {
    /// No node has this name.
    UnknownNode(String),
    /// A node with this name already exists (names are never reused, even after removal).
    DuplicateName(String),
    /// The command needs a server but the node is a client (or the reverse).
    WrongRole { node: String, needs: &'static str },
    /// The node is not in a state where this makes sense (e.g. crashing a crashed node).
    WrongState { node: String, state: &'static str },
    /// A field is out of range.
    BadValue { field: &'static str, reason: String },
    /// No message with this id is in flight.
    UnknownMessage(MsgId),
    /// The ring refused the change.
    Ring(String),
    /// A size limit would be exceeded.
    Limit(String),
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdError::UnknownNode(n) => write!(f, "no node named \"{n}\""),
            CmdError::DuplicateName(n) => write!(f, "a node named \"{n}\" already exists"),
            CmdError::WrongRole { node, needs } => write!(f, "\"{node}\" is not a {needs}"),
            CmdError::WrongState { node, state } => write!(f, "node \"{node}\" is {state}"),
            CmdError::BadValue { field, reason } => write!(f, "{field}: {reason}"),
            CmdError::UnknownMessage(id) => write!(f, "no message #{id} is in flight"),
            CmdError::Ring(e) => write!(f, "ring: {e}"),
            CmdError::Limit(e) => write!(f, "limit: {e}"),
        }
    }
}

impl std::error::Error for CmdError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_tagged_json_with_defaults() {
        let c: Cmd = serde_json::from_str(r#"{"op":"add_node","node":"E"}"#).unwrap();
        assert_eq!(
            c,
            Cmd::AddNode {
                node: "E".into(),
                weight: 1.0
            }
        );
        let h: Cmd = serde_json::from_str(r#"{"op":"heal"}"#).unwrap();
        assert_eq!(h.op(), "heal");
        let j: Cmd = serde_json::from_str(
            r#"{"op":"lock_job","client":"c1","locks":["sku:42"],"write":"sku:42"}"#,
        )
        .unwrap();
        assert_eq!(j.op(), "lock_job");
        assert_eq!(j.node_names(), vec!["c1"]);
        assert_eq!(j.protocol(), Some("locks"));
    }

    #[test]
    fn bad_resource_names_are_refused_with_the_reason() {
        let e = serde_json::from_str::<Cmd>(
            r#"{"op":"lock_acquire","client":"c1","resource":"a-name-far-too-long"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("1..=16 bytes"), "{e}");
    }

    #[test]
    fn rejects_unknown_fields() {
        let e = serde_json::from_str::<Cmd>(r#"{"op":"crash","node":"A","when":3}"#);
        assert!(e.unwrap_err().to_string().contains("when"));
    }
}
