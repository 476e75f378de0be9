//! What the lock protocol puts on the wire, in timers and in durable logs. Messages and
//! timers must be `Copy` (the engine keeps them in plain-value queues and events), so a
//! resource name is stored inline as a short fixed-size key instead of a `String`.

use serde::{Deserialize, Serialize};

pub use crate::sim::ids::ResKey;

/// Wire messages. Client ↔ lock server (the `SET NX PX` family used by the Redis and
/// Redlock recipes), lock server ↔ lock server (replication and ownership handoff),
/// client ↔ coordination server (ZooKeeper/etcd sessions, sequential nodes, watches) and
/// client ↔ storage (fenced reads and writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// `SET res value NX PX ttl`; `wait` queues the caller FIFO when the lock is taken.
    Acquire { res: ResKey, value: u32, wait: bool },
    /// Extend the lease if `value` still holds it.
    Renew { res: ResKey, value: u32 },
    /// Compare-and-delete (`check`) or plain `DEL` (no check); also leaves the queue.
    Release {
        res: ResKey,
        value: u32,
        check: bool,
    },
    /// The caller holds the lock with fencing `token`; the lease has `lease_ms` left.
    Granted {
        res: ResKey,
        value: u32,
        token: u64,
        lease_ms: u32,
    },
    /// Taken; the caller waits at `position` (1 = next).
    Queued {
        res: ResKey,
        value: u32,
        position: u32,
    },
    /// Taken (no waiting), or a renewal by someone who no longer holds it.
    Refused { res: ResKey, value: u32 },
    /// Lease extended; `lease_ms` left.
    Renewed {
        res: ResKey,
        value: u32,
        lease_ms: u32,
    },
    /// Answer to a release: whether something was deleted.
    Released { res: ResKey, value: u32, ok: bool },
    /// The ring says another server owns this resource now: ask it.
    NotOwner { res: ResKey, value: u32 },
    /// Owner → replica: the lock's state, stamped (ownership epoch << 32 | version) so
    /// copies from different owners compare; `holder` is a node index or [`NO_HOLDER`].
    /// Also the answer to [`Msg::StateReq`].
    Replicate {
        res: ResKey,
        stamp: u64,
        token: u64,
        holder: u16,
        value: u32,
    },
    /// Replica → owner: it now holds exactly the state stamped `stamp`.
    ReplAck { res: ResKey, stamp: u64 },
    /// New owner → replicas: "what do you know about this lock?"
    StateReq { res: ResKey },
    /// Open a session (ZooKeeper) or grant a lease (etcd) with id `sid`.
    Open { sid: u32 },
    /// Session `sid` is open.
    Opened { sid: u32 },
    /// Session heartbeat (ZooKeeper ping / etcd keep-alive).
    Ping { sid: u32 },
    /// Heartbeat answer: the session is alive.
    Pong { sid: u32 },
    /// The session is unknown or expired: every node it owned is gone.
    Expired { sid: u32 },
    /// Create an ephemeral sequential node under `res` for session `sid`.
    Create { res: ResKey, sid: u32 },
    /// Created with sequence number (ZooKeeper) or create revision (etcd) `seq`.
    Created { res: ResKey, sid: u32, seq: u64 },
    /// "Am I lowest?"; sets a one-shot watch on the predecessor, or on all children.
    Check {
        res: ResKey,
        sid: u32,
        seq: u64,
        all: bool,
    },
    /// Answer: this node's predecessor (0: it is the lowest, so it holds the lock), or
    /// `gone` if the caller's node no longer exists.
    Standing {
        res: ResKey,
        seq: u64,
        pred: u64,
        gone: bool,
    },
    /// Watch notification: node `gone` under `res` changed (deleted, or created for
    /// watch-all).
    Fired { res: ResKey, sid: u32, gone: u64 },
    /// Delete the caller's node.
    Delete { res: ResKey, sid: u32, seq: u64 },
    /// Node deleted (or already gone).
    Deleted { res: ResKey, seq: u64 },
    /// Storage read, fenced by `token` when fencing is on.
    Read { key: ResKey, token: u64 },
    /// Read result.
    ReadOk { key: ResKey, value: i64 },
    /// Storage write of a new `value`, fenced by `token`; `req` de-duplicates retries.
    Write {
        key: ResKey,
        value: i64,
        token: u64,
        req: u32,
    },
    /// Write applied.
    WriteOk { key: ResKey, req: u32 },
    /// Refused: `token` is lower than `seen` (`req` 0 for a read).
    Rejected {
        key: ResKey,
        token: u64,
        seen: u64,
        req: u32,
    },
}

/// "No node" in a message field that holds a node index.
pub const NO_NODE: u32 = u32::MAX;
/// "No holder" in [`Msg::Replicate`] (node indices fit in 16 bits: at most 256 nodes).
pub const NO_HOLDER: u16 = u16::MAX;

impl Msg {
    /// Short label for narration ("acquire sku:42").
    pub fn label(&self) -> String {
        match self {
            Msg::Acquire { res, wait, .. } => {
                format!("{} {res}", if *wait { "acquire" } else { "SET NX" })
            }
            Msg::Renew { res, .. } => format!("renew {res}"),
            Msg::Release { res, check, .. } => {
                format!("{} {res}", if *check { "release" } else { "DEL" })
            }
            Msg::Granted { res, token, .. } => format!("grant {res} (token {token})"),
            Msg::Queued { res, position, .. } => format!("queued for {res} at {position}"),
            Msg::Refused { res, .. } => format!("refused {res}"),
            Msg::Renewed { res, .. } => format!("renewed {res}"),
            Msg::Released { res, ok, .. } => {
                format!("released {res}{}", if *ok { "" } else { " (nothing)" })
            }
            Msg::NotOwner { res, .. } => format!("not owner of {res}"),
            Msg::Replicate { res, stamp, .. } => {
                format!("replicate {res} e{}v{}", stamp >> 32, stamp & 0xFFFF_FFFF)
            }
            Msg::ReplAck { res, stamp } => {
                format!("ack {res} e{}v{}", stamp >> 32, stamp & 0xFFFF_FFFF)
            }
            Msg::StateReq { res } => format!("state of {res}?"),
            Msg::Open { sid } => format!("open session {sid}"),
            Msg::Opened { sid } => format!("session {sid} open"),
            Msg::Ping { sid } => format!("ping session {sid}"),
            Msg::Pong { sid } => format!("pong session {sid}"),
            Msg::Expired { sid } => format!("session {sid} expired"),
            Msg::Create { res, .. } => format!("create {res}/lock-"),
            Msg::Created { res, seq, .. } => format!("created {res}/lock-{seq}"),
            Msg::Check { res, seq, .. } => format!("children of {res}? (mine {seq})"),
            Msg::Standing {
                res, pred, gone, ..
            } => {
                if *gone {
                    format!("{res}: your node is gone")
                } else if *pred == 0 {
                    format!("{res}: you are lowest")
                } else {
                    format!("{res}: wait for {pred}")
                }
            }
            Msg::Fired { res, gone, .. } => format!("watch fired on {res}/lock-{gone}"),
            Msg::Delete { res, seq, .. } => format!("delete {res}/lock-{seq}"),
            Msg::Deleted { res, seq } => format!("deleted {res}/lock-{seq}"),
            Msg::Read { key, token } => format!("read {key} (token {token})"),
            Msg::ReadOk { key, value } => format!("{key} = {value}"),
            Msg::Write {
                key, value, token, ..
            } => format!("write {key} = {value} (token {token})"),
            Msg::WriteOk { key, .. } => format!("wrote {key}"),
            Msg::Rejected {
                key, token, seen, ..
            } => {
                format!("rejected {key}: token {token} < {seen}")
            }
        }
    }
}

/// Timers of the lock protocol. Those tied to a resource carry a generation so a timer set
/// for an earlier attempt is recognised as stale (the engine has no timer cancellation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "timer", rename_all = "snake_case")]
pub enum Timer {
    /// Client: resend the pending request (lost messages), or end a Redlock attempt.
    Retry { res: ResKey, gen: u32 },
    /// Client: stop waiting for this lock.
    Deadline { res: ResKey, gen: u32 },
    /// Client: its own estimate of the lease's end.
    Lease { res: ResKey, gen: u32 },
    /// Client: time to renew the lease.
    Renew { res: ResKey, gen: u32 },
    /// Client: Redlock's random back-off before the next attempt.
    Backoff { res: ResKey, gen: u32 },
    /// Client: a job step (read/write) got no answer, or its work is done.
    Job { job: u32, step: u32 },
    /// Client: session heartbeat to server `server` for session `sid`.
    Ping { server: u32, sid: u32 },
    /// Lock server: the holder's lease ends.
    Expire { res: ResKey, gen: u32 },
    /// Lock server: stop waiting for replicas' answers during a takeover.
    Takeover { res: ResKey, gen: u32 },
    /// Lock server: push unreplicated changes (async batch, or sync retransmission).
    Replicate,
    /// Coordination server: has session `sid` of `client` been silent too long?
    Session { client: u32, sid: u32 },
}

impl Timer {
    /// Short label for narration.
    pub fn label(&self) -> &'static str {
        match self {
            Timer::Retry { .. } => "lock retry",
            Timer::Deadline { .. } => "lock wait deadline",
            Timer::Lease { .. } => "lease estimate",
            Timer::Renew { .. } => "lease renewal",
            Timer::Backoff { .. } => "Redlock back-off",
            Timer::Job { .. } => "job step",
            Timer::Ping { .. } => "session ping",
            Timer::Expire { .. } => "lease expiry",
            Timer::Takeover { .. } => "takeover wait",
            Timer::Replicate => "replication",
            Timer::Session { .. } => "session check",
        }
    }
}

/// A lock holder as persisted: who, with which random value and token, until when (on the
/// server's clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The client (node index).
    pub client: u32,
    /// The random value the client chose (checked on release).
    pub value: u32,
    /// Fencing token of this grant.
    pub token: u64,
    /// Lease end, in the server's local time.
    pub expires: i64,
}

/// Entries of a node's durable log written by the lock protocol (only when persistence is
/// on; storage always persists, it is the database).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rec", rename_all = "snake_case")]
pub enum Rec {
    /// A lock server's state of one lock (the last record per resource wins).
    Kv {
        res: ResKey,
        epoch: u32,
        version: u32,
        token: u64,
        holder: Option<Holder>,
    },
    /// A session opened (or closed) on a coordination server.
    Session { client: u32, sid: u32, open: bool },
    /// An ephemeral sequential node created.
    Node {
        res: ResKey,
        seq: u64,
        client: u32,
        sid: u32,
    },
    /// An ephemeral sequential node deleted.
    Gone { res: ResKey, seq: u64 },
    /// A storage cell after a change; `last` is the writer's request id (de-duplication).
    Cell {
        key: ResKey,
        value: i64,
        seen: u64,
        writes: u64,
        client: u32,
        req: u32,
    },
    /// Storage fencing switched.
    Fencing { on: bool },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_refuse_bad_names() {
        let k = ResKey::new("sku:42").unwrap();
        assert_eq!(k.as_str(), "sku:42");
        assert_eq!(serde_json::to_string(&k).unwrap(), r#""sku:42""#);
        let back: ResKey = serde_json::from_str(r#""sku:42""#).unwrap();
        assert_eq!(back, k);
        assert!(ResKey::new("").is_err());
        assert!(ResKey::new("a-name-that-is-too-long")
            .unwrap_err()
            .contains("16"));
        assert!(ResKey::new("a\tb").is_err());
        assert!(ResKey::new("a") < ResKey::new("a0"));
    }

    #[test]
    fn messages_stay_small() {
        assert!(
            std::mem::size_of::<Msg>() <= 40,
            "{}",
            std::mem::size_of::<Msg>()
        );
        assert!(std::mem::size_of::<Timer>() <= 24);
    }
}
