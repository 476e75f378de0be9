//! What the log puts on the wire, in its timers, in a broker's durable log and in the trace.
//! Messages carry message ids, not bodies: the body of message `n` (its key, producer,
//! sequence) is in the world's book, as an order is in two-phase commit's.

use serde::{Deserialize, Serialize};

use super::PartSet;
use crate::sim::ids::NodeIx;

/// Why a produce request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProduceErr {
    /// The receiver does not lead this partition (metadata was stale).
    NotLeader,
    /// acks=all and the ISR is smaller than `min.insync.replicas`.
    NotEnoughReplicas,
    /// Idempotent producer: a sequence arrived before its predecessor.
    OutOfOrderSequence,
    /// Idempotent producer: an epoch older than one this partition has from it (fenced).
    InvalidProducerEpoch,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The log's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MqMsg {
    /// Producer → leader: append message `id` (sequence `seq` of this producer there, under
    /// producer epoch `epoch`: KIP-360's, 0 until the producer first bumps it).
    Produce {
        p: u32,
        id: u32,
        seq: u32,
        #[serde(default, skip_serializing_if = "is_zero")]
        epoch: u32,
    },
    /// Leader → producer: `id` is in (at `off`), or why not.
    ProduceResp {
        p: u32,
        id: u32,
        off: u64,
        err: Option<ProduceErr>,
        /// A refusal's request epoch, so the producer tells a refusal of a record's old
        /// label (sent before a bump) from one of its current label.
        #[serde(default, skip_serializing_if = "is_zero")]
        epoch: u32,
    },
    /// Follower → leader: send what follows `off`; `prev` is my entry at `off - 1`.
    Fetch { p: u32, off: u64, prev: u32 },
    /// Leader → follower: entries from `off` (up to 4), and the leader's high watermark.
    Entries {
        p: u32,
        off: u64,
        n: u8,
        ids: [u32; 4],
        hw: u64,
    },
    /// Leader → follower: your log diverges or runs past mine; truncate to `to`.
    Truncate { p: u32, to: u64 },
    /// Consumer → leader: records from `off`.
    Poll { p: u32, off: u64 },
    /// Leader → consumer: up to 4 committed records from `off` (`hw`: the leader's high
    /// watermark; `reset`: `off` was past the log end, start again at `hw`).
    Records {
        p: u32,
        off: u64,
        n: u8,
        ids: [u32; 4],
        hw: u64,
        reset: bool,
    },
    /// Consumer → group coordinator: I (incarnation `inc`) join the group.
    Join { inc: u64 },
    /// Consumer → coordinator: I leave the group.
    Leave { inc: u64 },
    /// Consumer → coordinator: I am alive and own `owned`, having applied the assignment
    /// of member epoch `epoch`.
    Heartbeat {
        inc: u64,
        owned: PartSet,
        epoch: u32,
    },
    /// Coordinator → consumer: you may own `target` (member epoch `epoch`, KIP-848's: it
    /// grows with every change, so a late, older assignment is ignored).
    Assignment { epoch: u32, target: PartSet },
    /// Coordinator → consumer: you are not a member (rejoin).
    Fenced,
    /// Consumer → coordinator: commit offset `off` of partition `p`.
    Commit { inc: u64, p: u32, off: u64 },
    /// Consumer → coordinator: what is committed for `p`?
    OffsetFetch { p: u32 },
    /// Coordinator → consumer: `off` is committed for `p`.
    Offset { p: u32, off: u64 },
    /// An application → the log's client on its own node (`Ctx::local`, never on the
    /// wire): produce a record to partition `p` whose body is the application's `body`.
    AppSend { p: u32, body: u32 },
}

impl MqMsg {
    /// Whether a node that is both broker and client hands it to its client.
    pub fn for_client(&self) -> bool {
        matches!(
            self,
            MqMsg::ProduceResp { .. }
                | MqMsg::Records { .. }
                | MqMsg::Assignment { .. }
                | MqMsg::Fenced
                | MqMsg::Offset { .. }
                | MqMsg::AppSend { .. }
        )
    }
}

/// What the log's client hands back to the application on its node (`Ctx::local`) about
/// a record the application produced (`AppSend`): its message id and the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "up", rename_all = "snake_case")]
pub enum MqUp {
    /// The producer has it acknowledged (the acks mode satisfied).
    Acked { id: u32, body: u32 },
    /// The producer gave up on it after its retries.
    Failed { id: u32, body: u32 },
    /// The consumer processed it (from partition `p` at offset `off`).
    Record {
        id: u32,
        body: u32,
        p: u32,
        off: u64,
    },
}

impl MqMsg {
    /// Short label for the space-time diagram.
    pub fn label(&self) -> String {
        match self {
            MqMsg::Produce { p, id, .. } => format!("produce m{id} → p{p}"),
            MqMsg::ProduceResp { id, err: None, .. } => format!("ack m{id}"),
            MqMsg::ProduceResp {
                id, err: Some(e), ..
            } => format!("m{id}: {e:?}"),
            MqMsg::Fetch { p, off, .. } => format!("fetch p{p}@{off}"),
            MqMsg::Entries { p, off, n, .. } => format!("p{p}@{off} ×{n}"),
            MqMsg::Truncate { p, to } => format!("truncate p{p} to {to}"),
            MqMsg::Poll { p, off } => format!("poll p{p}@{off}"),
            MqMsg::Records { p, off, n, .. } => format!("records p{p}@{off} ×{n}"),
            MqMsg::Join { .. } => "join group".into(),
            MqMsg::Leave { .. } => "leave group".into(),
            MqMsg::Heartbeat { .. } => "group heartbeat".into(),
            MqMsg::Assignment { epoch, target } => {
                format!("assign #{epoch} {}", set_words(*target))
            }
            MqMsg::Fenced => "fenced".into(),
            MqMsg::Commit { p, off, .. } => format!("commit p{p}={off}"),
            MqMsg::OffsetFetch { p } => format!("offset? p{p}"),
            MqMsg::Offset { p, off } => format!("offset p{p}={off}"),
            MqMsg::AppSend { p, .. } => format!("app record → p{p}"),
        }
    }
}

/// "{p0,p2}".
pub fn set_words(s: PartSet) -> String {
    let v: Vec<String> = super::parts(s).map(|p| format!("p{p}")).collect();
    format!("{{{}}}", v.join(","))
}

/// The log's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "timer", rename_all = "snake_case")]
pub enum MqTimer {
    /// Broker housekeeping: follower fetches, ISR shrink, controller and coordinator duties.
    Tick,
    /// Producer: send the next message of the workload.
    Produce,
    /// Producer: message `id` was not acknowledged in time (attempt `attempt`).
    Timeout { id: u32, attempt: u32 },
    /// Producer: send message `id` again.
    Retry { id: u32 },
    /// Consumer: heartbeat and check the poll interval.
    Heartbeat,
    /// Consumer: poll again (token `n` ignores stale ones).
    Poll { n: u32 },
    /// Consumer: the current record is processed (token `n`).
    Processed { n: u32 },
    /// Consumer: auto commit.
    AutoCommit,
}

impl MqTimer {
    /// Short label.
    pub fn label(&self) -> &'static str {
        match self {
            MqTimer::Tick => "broker tick",
            MqTimer::Produce => "produce next",
            MqTimer::Timeout { .. } => "request timeout",
            MqTimer::Retry { .. } => "retry produce",
            MqTimer::Heartbeat => "consumer heartbeat",
            MqTimer::Poll { .. } => "poll",
            MqTimer::Processed { .. } => "processed",
            MqTimer::AutoCommit => "auto commit",
        }
    }
}

/// A broker's durable log: appends and truncations of its partition replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum MqRec {
    /// Message `id` appended to partition `p`.
    Append { p: u32, id: u32 },
    /// Partition `p` truncated to `to` entries.
    Truncate { p: u32, to: u64 },
    /// A client joined (`on`) or left the consumer group by command.
    Member { on: bool },
    /// A client's processing time per message was set by command.
    Slow { ms: u64 },
    /// A client (re)started: its producer id and group membership are new.
    Incarnation { n: u64 },
}

/// The log's trace events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MqEv {
    /// A producer sent message `id` (key `key`) for the first time.
    MqProduce { id: u32, key: u32, p: u32 },
    /// A leader appended `id` at `off` (`dup`: the same id is already in this log).
    MqAppend {
        p: u32,
        off: u64,
        id: u32,
        dup: bool,
    },
    /// An idempotent leader dropped a retried (producer, sequence) it already had.
    MqDupDropped { p: u32, id: u32 },
    /// A producer learned `id` is written (acks mode satisfied).
    MqAck { id: u32, p: u32 },
    /// A produce request was refused.
    MqProduceError { id: u32, p: u32, err: ProduceErr },
    /// A producer gave up on `id` after its retries.
    MqProduceFailed { id: u32 },
    /// An idempotent producer bumped its epoch to `epoch` (KIP-360): `p`'s sequences
    /// restart under it.
    MqEpochBump { p: u32, epoch: u32 },
    /// The high watermark of `p` moved to `hw` (on the leader).
    MqHw { p: u32, hw: u64 },
    /// `node` left the ISR of `p`.
    MqIsrShrink { p: u32, node: NodeIx },
    /// `node` rejoined the ISR of `p`.
    MqIsrExpand { p: u32, node: NodeIx },
    /// The controller made `node` leader of `p` (epoch `epoch`); `clean: false` is an
    /// unclean election of an out-of-sync replica.
    MqElect {
        p: u32,
        node: NodeIx,
        epoch: u32,
        clean: bool,
    },
    /// No replica can lead `p` (offline until one returns).
    MqOffline { p: u32 },
    /// The ring changed: `p` is now placed on `replicas` (bit set of node indices < 64).
    MqPlace { p: u32, replicas: u64 },
    /// A follower truncated `p` to `to` (`dropped` entries gone).
    MqTruncate { p: u32, to: u64, dropped: u64 },
    /// The coordinator started rebalance generation `gen` with `members` members.
    MqRebalance { gen: u32, members: u32 },
    /// A member left the group (`why`: leave, session_timeout, rejoin) owning `owned`.
    MqMemberGone {
        peer: NodeIx,
        why: String,
        owned: PartSet,
    },
    /// A member joined.
    MqJoin { peer: NodeIx },
    /// A consumer stopped consuming `p` (revoked in a rebalance).
    MqRevoke { p: u32 },
    /// A consumer started consuming `p` at the committed offset `off`.
    MqResume { p: u32, off: u64 },
    /// A consumer processed message `id` at `p`/`off`.
    MqProcess { p: u32, off: u64, id: u32 },
    /// Processing `id` failed (attempt `attempt` of the delivery limit).
    MqProcessFail {
        p: u32,
        off: u64,
        id: u32,
        attempt: u32,
    },
    /// `id` went to the dead-letter topic.
    MqDeadLetter { p: u32, off: u64, id: u32 },
    /// The coordinator stored offset `off` for `p`, committed by `by`.
    MqCommit { p: u32, off: u64, by: NodeIx },
    /// The coordinator refused a commit from `by`, no longer a member.
    MqCommitRejected { p: u32, off: u64, by: NodeIx },
    /// A consumer overran `max.poll.interval.ms` and left its group.
    MqPollTimeout { ms: u64 },
    /// A consumer's fetch position was past the log end: reset to `to`.
    MqOffsetReset { p: u32, from: u64, to: u64 },
    /// A setting was switched from now on (`mq_set`).
    MqSet { setting: String, value: String },
}

impl MqEv {
    /// The stable kind string.
    pub fn kind(&self) -> &'static str {
        match self {
            MqEv::MqProduce { .. } => "mq_produce",
            MqEv::MqAppend { .. } => "mq_append",
            MqEv::MqDupDropped { .. } => "mq_dup_dropped",
            MqEv::MqAck { .. } => "mq_ack",
            MqEv::MqProduceError { .. } => "mq_produce_error",
            MqEv::MqProduceFailed { .. } => "mq_produce_failed",
            MqEv::MqEpochBump { .. } => "mq_epoch_bump",
            MqEv::MqHw { .. } => "mq_hw",
            MqEv::MqIsrShrink { .. } => "mq_isr_shrink",
            MqEv::MqIsrExpand { .. } => "mq_isr_expand",
            MqEv::MqElect { .. } => "mq_elect",
            MqEv::MqOffline { .. } => "mq_offline",
            MqEv::MqPlace { .. } => "mq_place",
            MqEv::MqTruncate { .. } => "mq_truncate",
            MqEv::MqRebalance { .. } => "mq_rebalance",
            MqEv::MqMemberGone { .. } => "mq_member_gone",
            MqEv::MqJoin { .. } => "mq_join",
            MqEv::MqRevoke { .. } => "mq_revoke",
            MqEv::MqResume { .. } => "mq_resume",
            MqEv::MqProcess { .. } => "mq_process",
            MqEv::MqProcessFail { .. } => "mq_process_fail",
            MqEv::MqDeadLetter { .. } => "mq_dead_letter",
            MqEv::MqCommit { .. } => "mq_commit",
            MqEv::MqCommitRejected { .. } => "mq_commit_rejected",
            MqEv::MqPollTimeout { .. } => "mq_poll_timeout",
            MqEv::MqOffsetReset { .. } => "mq_offset_reset",
            MqEv::MqSet { .. } => "mq_set",
        }
    }

    /// The event in words.
    pub fn describe(&self, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
        match self {
            MqEv::MqProduce { id, key, p } => format!("{at} produces m{id} (order {key}) to p{p}"),
            MqEv::MqAppend { p, off, id, dup } => {
                let d = if *dup { " AGAIN (a duplicate)" } else { "" };
                format!("leader {at} appends m{id} to p{p} at offset {off}{d}")
            }
            MqEv::MqDupDropped { p, id } => {
                format!("leader {at} drops a retried m{id} on p{p}: it has that sequence")
            }
            MqEv::MqAck { id, p } => format!("{at} has m{id} acknowledged (p{p})"),
            MqEv::MqProduceError { id, p, err } => format!("{at}: m{id} to p{p} refused: {err:?}"),
            MqEv::MqProduceFailed { id } => format!("{at} gives up on m{id}"),
            MqEv::MqEpochBump { p, epoch } => {
                format!("{at} bumps its producer epoch to {epoch} (p{p})")
            }
            MqEv::MqHw { p, hw } => format!("p{p} high watermark {hw} on {at}"),
            MqEv::MqIsrShrink { p, node } => format!("{} leaves the ISR of p{p}", name(*node)),
            MqEv::MqIsrExpand { p, node } => format!("{} rejoins the ISR of p{p}", name(*node)),
            MqEv::MqElect {
                p,
                node,
                epoch,
                clean,
            } => {
                let u = if *clean {
                    ""
                } else {
                    " (UNCLEAN: out of sync)"
                };
                format!("{} leads p{p}, epoch {epoch}{u}", name(*node))
            }
            MqEv::MqOffline { p } => format!("p{p} is offline: no replica can lead it"),
            MqEv::MqPlace { p, .. } => format!("p{p} placed on new ring successors"),
            MqEv::MqTruncate { p, to, dropped } => {
                format!("{at} truncates p{p} to {to} ({dropped} entries gone)")
            }
            MqEv::MqRebalance { gen, members } => {
                format!("group rebalance, generation {gen}, {members} members")
            }
            MqEv::MqMemberGone { peer, why, owned } => {
                format!(
                    "{} leaves the group ({why}), owning {}",
                    name(*peer),
                    super::wire::set_words(*owned)
                )
            }
            MqEv::MqJoin { peer } => format!("{} joins the group", name(*peer)),
            MqEv::MqRevoke { p } => format!("{at} stops consuming p{p}"),
            MqEv::MqResume { p, off } => format!("{at} consumes p{p} from offset {off}"),
            MqEv::MqProcess { p, off, id } => format!("{at} processes m{id} (p{p}@{off})"),
            MqEv::MqProcessFail { id, attempt, .. } => {
                format!("{at} fails to process m{id} (attempt {attempt})")
            }
            MqEv::MqDeadLetter { id, .. } => format!("{at} moves m{id} to the dead-letter topic"),
            MqEv::MqCommit { p, off, by } => {
                format!("offset {off} committed for p{p} by {}", name(*by))
            }
            MqEv::MqCommitRejected { p, off, by } => {
                format!("commit p{p}={off} from {} refused: not a member", name(*by))
            }
            MqEv::MqPollTimeout { ms } => {
                format!(
                    "{at} overran max.poll.interval ({ms} ms since its poll) and leaves its group"
                )
            }
            MqEv::MqOffsetReset { p, from, to } => {
                format!("{at}: offset {from} of p{p} is past the log end; reset to {to}")
            }
            MqEv::MqSet { setting, value } => {
                format!("the log's {setting} is switched to {value} from now on")
            }
        }
    }
}
