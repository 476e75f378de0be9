//! Events: everything that happens in a run, in order. The trace is a list of these; the UI
//! narrates them, invariants read them, the CLI prints them as JSON lines. Each has a time,
//! a stable `kind` string, an optional node, and kind-specific fields.

use serde::{Deserialize, Serialize};

use super::ids::MsgId;
use super::ids::NodeIx;
use super::proto::enums::{Payload, ProtoEv, TimerKind};
use super::time::{fmt_ms, fmt_ms_signed, Time};

/// One thing that happened at virtual time `t`, at `node` (None for cluster-wide events).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Virtual time (ms).
    pub t: Time,
    /// Where it happened (an index into the world's nodes), if anywhere in particular.
    pub node: Option<NodeIx>,
    /// What happened; serialises with a `kind` tag.
    #[serde(flatten)]
    pub what: What,
}

/// Why a message did not arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// The network lost it (loss probability).
    Lost,
    /// A partition separated sender and receiver.
    Partition,
    /// The receiver was crashed when it arrived.
    ReceiverDown,
    /// The receiver had left the cluster.
    ReceiverRemoved,
    /// Someone dropped it by hand (`DropMessage`).
    Manual,
}

impl DropReason {
    fn words(self) -> &'static str {
        match self {
            DropReason::Lost => "the network lost it",
            DropReason::Partition => "a partition is in the way",
            DropReason::ReceiverDown => "the receiver is down",
            DropReason::ReceiverRemoved => "the receiver left the cluster",
            DropReason::Manual => "it was dropped by hand",
        }
    }
}

/// The kinds of events. The serde tag (`kind`) is part of the trace format: stable strings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    /// `node` put a message on the wire.
    Send {
        msg: MsgId,
        to: NodeIx,
        payload: Payload,
        deliver_at: Time,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dup_of: Option<MsgId>,
    },
    /// A message reached `node`.
    Deliver {
        msg: MsgId,
        from: NodeIx,
        sent_at: Time,
        payload: Payload,
    },
    /// A message vanished instead of reaching `to` (`node` is the receiver).
    Drop {
        msg: MsgId,
        from: NodeIx,
        to: NodeIx,
        sent_at: Time,
        reason: DropReason,
    },
    /// A timer set by a protocol on `node` fired.
    Timer { timer: TimerKind },
    /// The process on `node` crashed: volatile state lost, durable log kept.
    Crash,
    /// The process on `node` restarted from its durable log.
    Recover,
    /// `node` froze (GC, VM steal) for `ms`; virtual time runs on.
    Pause { ms: u64, until: Time },
    /// `node` resumed after a pause.
    Resume { paused_ms: u64 },
    /// `node`'s clock stepped by `delta_ms`; it now reads `local`.
    ClockJump { delta_ms: i64, local: i64 },
    /// `node`'s clock was set to read virtual time + `offset_ms`.
    ClockSkew { offset_ms: i64 },
    /// `node`'s clock now drifts by `ppm` parts per million.
    ClockDrift { ppm: i32 },
    /// The network split: `side` on one side, `other` on the other.
    Partition {
        side: Vec<NodeIx>,
        other: Vec<NodeIx>,
    },
    /// `node` was cut off from everyone.
    Isolate,
    /// All partitions were removed.
    Heal,
    /// Network settings changed.
    NetSet {
        base_ms: u64,
        jitter_ms: u64,
        loss: f64,
        dup: f64,
    },
    /// The link from `node` to `to` got its own latency (`both_ways`: and back).
    LinkSet {
        to: NodeIx,
        base_ms: u64,
        jitter_ms: u64,
        both_ways: bool,
    },
    /// Server `node` joined the ring; `moved` keys changed owner.
    RingJoin { weight: f64, moved: u64 },
    /// Server `node` left the ring for good; `moved` keys changed owner.
    RingLeave { moved: u64 },
    /// The ring marked `node` failed: its keys moved to successors.
    RingFail { moved: u64 },
    /// The ring marked `node` healthy again: its keys came back.
    RingRecover { moved: u64 },
    /// Client `node` joined.
    ClientJoin,
    /// Narration from a scenario.
    Note { text: String },
    /// `node`'s durable log was erased (a lost disk) while it was down.
    WipeDisk,
    /// A scheduled command could not be applied (for example it named an unknown node).
    Rejected { op: String, reason: String },
    /// An invariant failed; `witnesses` are trace indices of the events that show it.
    Violation {
        invariant: String,
        witnesses: Vec<usize>,
    },
    /// A protocol's own event (`suspect`, `lock_grant`, `tpc_vote`, …); its `kind` appears
    /// at the top level of the trace line like the engine's.
    #[serde(untagged)]
    Proto(ProtoEv),
}

impl What {
    /// The stable `kind` string (same as the serde tag).
    pub fn kind(&self) -> &'static str {
        match self {
            What::Send { .. } => "send",
            What::Deliver { .. } => "deliver",
            What::Drop { .. } => "drop",
            What::Timer { .. } => "timer",
            What::Crash => "crash",
            What::Recover => "recover",
            What::Pause { .. } => "pause",
            What::Resume { .. } => "resume",
            What::ClockJump { .. } => "clock_jump",
            What::ClockSkew { .. } => "clock_skew",
            What::ClockDrift { .. } => "clock_drift",
            What::Partition { .. } => "partition",
            What::Isolate => "isolate",
            What::Heal => "heal",
            What::NetSet { .. } => "net_set",
            What::LinkSet { .. } => "link_set",
            What::RingJoin { .. } => "ring_join",
            What::RingLeave { .. } => "ring_leave",
            What::RingFail { .. } => "ring_fail",
            What::RingRecover { .. } => "ring_recover",
            What::ClientJoin => "client_join",
            What::Note { .. } => "note",
            What::WipeDisk => "wipe_disk",
            What::Rejected { .. } => "rejected",
            What::Violation { .. } => "violation",
            What::Proto(ev) => ev.kind(),
        }
    }
}

/// Names of the node-valued fields, so the JSON-lines writer can print names, not indices.
const NODE_FIELDS: [&str; 8] = [
    "to", "from", "peer", "node", "client", "holder", "by", "coord",
];
const NODE_LIST_FIELDS: [&str; 2] = ["side", "other"];

impl Event {
    /// The event in words, e.g. "t=1,240 ms: node C crashed; its volatile state is lost".
    /// `name` maps node indices to names.
    pub fn describe(&self, name: &dyn Fn(NodeIx) -> String) -> String {
        let at = self.node.map(name).unwrap_or_default();
        let list = |v: &[NodeIx]| v.iter().map(|&n| name(n)).collect::<Vec<_>>().join(", ");
        let body = match &self.what {
            What::Send {
                msg,
                to,
                payload,
                deliver_at,
                dup_of,
            } => {
                let dup = dup_of
                    .map(|d| format!(" (a duplicate of #{d})"))
                    .unwrap_or_default();
                format!(
                    "node {at} sent {} to {} as message #{msg}{dup}, due at {}",
                    payload.label(),
                    name(*to),
                    fmt_ms(*deliver_at)
                )
            }
            What::Deliver {
                msg,
                from,
                sent_at,
                payload,
            } => format!(
                "node {at} received {} (#{msg}) from {}, sent at {}",
                payload.label(),
                name(*from),
                fmt_ms(*sent_at)
            ),
            What::Drop {
                msg,
                from,
                to,
                reason,
                ..
            } => format!(
                "message #{msg} from {} to {} vanished: {}",
                name(*from),
                name(*to),
                reason.words()
            ),
            What::Timer { timer } => format!("node {at}: {} timer fired", timer.label()),
            What::Crash => format!("node {at} crashed; its volatile state is lost"),
            What::Recover => format!("node {at} recovered from its durable log"),
            What::Pause { ms, until } => format!(
                "node {at} froze for {} (stop-the-world) until {}",
                fmt_ms(*ms),
                fmt_ms(*until)
            ),
            What::Resume { paused_ms } => {
                format!("node {at} resumed after {} frozen", fmt_ms(*paused_ms))
            }
            What::ClockJump { delta_ms, local } => format!(
                "node {at}'s clock jumped by {}; it now reads {}",
                fmt_ms_signed(*delta_ms),
                fmt_ms_signed(*local)
            ),
            What::ClockSkew { offset_ms } => {
                format!(
                    "node {at}'s clock is now off by {}",
                    fmt_ms_signed(*offset_ms)
                )
            }
            What::ClockDrift { ppm } => format!("node {at}'s clock now drifts by {ppm} ppm"),
            What::Partition { side, other } => {
                format!(
                    "the network split: {{{}}} | {{{}}}",
                    list(side),
                    list(other)
                )
            }
            What::Isolate => format!("node {at} was cut off from the network"),
            What::Heal => "the network healed".to_string(),
            What::NetSet {
                base_ms,
                jitter_ms,
                loss,
                dup,
            } => format!(
                "network now: latency {} + up to {}, loss {loss}, duplication {dup}",
                fmt_ms(*base_ms),
                fmt_ms(*jitter_ms)
            ),
            What::LinkSet {
                to,
                base_ms,
                jitter_ms,
                both_ways,
            } => format!(
                "link {at} {} {} now: latency {} + up to {}",
                if *both_ways { "↔" } else { "→" },
                name(*to),
                fmt_ms(*base_ms),
                fmt_ms(*jitter_ms)
            ),
            What::RingJoin { weight, moved } => {
                format!("node {at} joined the ring (weight {weight}); {moved} keys moved")
            }
            What::RingLeave { moved } => format!("node {at} left the ring; {moved} keys moved"),
            What::RingFail { moved } => {
                format!("the ring marked {at} failed; {moved} keys moved to successors")
            }
            What::RingRecover { moved } => {
                format!("the ring marked {at} healthy; {moved} keys moved back")
            }
            What::ClientJoin => format!("client {at} joined"),
            What::Note { text } => text.clone(),
            What::WipeDisk => format!("node {at} lost its disk: it will restart with nothing"),
            What::Rejected { op, reason } => format!("command {op} rejected: {reason}"),
            What::Violation {
                invariant,
                witnesses,
            } => format!("INVARIANT VIOLATED: {invariant} (see events {witnesses:?})"),
            What::Proto(ev) => ev.words(&at, name),
        };
        format!("t={}: {body}", fmt_ms(self.t))
    }

    /// One line of the trace format: `{"i":…,"t":…,"kind":…,"node":…,"fields":{…}}` with
    /// node names instead of indices. Field order is fixed, so output is byte-stable.
    pub fn to_json_line(&self, index: usize, name: &dyn Fn(NodeIx) -> String) -> String {
        let mut fields = match serde_json::to_value(&self.what) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        fields.remove("kind");
        for key in NODE_FIELDS {
            if let Some(v) = fields.get_mut(key) {
                if let Some(n) = v.as_u64() {
                    *v = serde_json::Value::String(name(n as NodeIx));
                }
            }
        }
        for key in NODE_LIST_FIELDS {
            if let Some(serde_json::Value::Array(items)) = fields.get_mut(key) {
                for v in items.iter_mut() {
                    if let Some(n) = v.as_u64() {
                        *v = serde_json::Value::String(name(n as NodeIx));
                    }
                }
            }
        }
        let node = match self.node {
            Some(n) => serde_json::Value::String(name(n)),
            None => serde_json::Value::Null,
        };
        format!(
            r#"{{"i":{index},"t":{},"kind":"{}","node":{node},"fields":{}}}"#,
            self.t,
            self.what.kind(),
            serde_json::Value::Object(fields)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::proto::heartbeat::Msg;

    fn name(n: NodeIx) -> String {
        ["A", "B", "C"][n as usize].to_string()
    }

    #[test]
    fn describes_in_words() {
        let e = Event {
            t: 1240,
            node: Some(2),
            what: What::Crash,
        };
        assert_eq!(
            e.describe(&name),
            "t=1,240 ms: node C crashed; its volatile state is lost"
        );
    }

    #[test]
    fn json_line_uses_names_and_stable_kind() {
        let e = Event {
            t: 7,
            node: Some(0),
            what: What::Send {
                msg: 3,
                to: 1,
                payload: Payload::Heartbeat(Msg::Ping { seq: 2 }),
                deliver_at: 12,
                dup_of: None,
            },
        };
        let line = e.to_json_line(5, &name);
        assert_eq!(
            line,
            r#"{"i":5,"t":7,"kind":"send","node":"A","fields":{"deliver_at":12,"msg":3,"payload":{"proto":"heartbeat","seq":2,"type":"ping"},"to":"B"}}"#
        );
    }

    #[test]
    fn lock_events_flatten_into_the_trace_and_round_trip() {
        use crate::sim::proto::locks::ResKey;
        let e = Event {
            t: 9,
            node: Some(2),
            what: What::Proto(ProtoEv::Locks(crate::sim::proto::locks::LockEv::LockFree {
                res: ResKey::new("sku:42").unwrap(),
                holder: 0,
                token: 3,
                by: 1,
                blind: true,
            })),
        };
        assert_eq!(e.what.kind(), "lock_free");
        assert_eq!(
            e.to_json_line(4, &name),
            r#"{"i":4,"t":9,"kind":"lock_free","node":"C","fields":{"blind":true,"by":"B","holder":"A","res":"sku:42","token":3}}"#
        );
        assert_eq!(
            e.describe(&name),
            "t=9 ms: server C deletes sku:42 held by A because B said DEL"
        );
        let s = serde_json::to_string(&e).unwrap();
        let back: Event = serde_json::from_str(&s).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn serde_round_trip_keeps_kind() {
        let e = Event {
            t: 1,
            node: None,
            what: What::Partition {
                side: vec![0],
                other: vec![1, 2],
            },
        };
        let s = serde_json::to_string(&e).unwrap();
        assert!(s.contains(r#""kind":"partition""#));
        let back: Event = serde_json::from_str(&s).unwrap();
        assert_eq!(back, e);
    }
}
