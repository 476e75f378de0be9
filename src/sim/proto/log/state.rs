//! The log's world-wide state and the few helpers its brokers and clients reach the engine
//! with: the message book (bodies by id), the partition metadata the controller maintains
//! (replicas, leader, ISR, epoch: what ZooKeeper or KRaft holds in Kafka), the group's
//! membership and committed offsets (Kafka's `__consumer_offsets`), the delivery history the
//! checkers read, and the counters, read off the events as they are made. Apart from the
//! protocol's entry (`protocol`) so brokers, clients and checkers import this and not it.

use serde::Serialize;

use super::wire::{MqEv, MqMsg, MqTimer, MqUp};
use super::PartSet;
use crate::sim::event::What;
use crate::sim::ids::{NodeIx, Time};
use crate::sim::proto::{Ctx, Payload, ProtoEv, TimerKind};

/// One message's body and fate, by id (ids are 1-based, in production order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgInfo {
    /// The producing client.
    pub producer: NodeIx,
    /// Its producer id: node and incarnation (a restarted producer gets a new one).
    pub pid: u64,
    /// Sent by the configured workload (not by a command).
    pub workload: bool,
    /// The order id it is keyed by.
    pub key: u32,
    /// Its partition.
    pub p: u32,
    /// The producer's sequence number on that partition (idempotence), 1-based; 0 while
    /// the record is held in the producer's accumulator (KIP-360).
    pub seq: u32,
    /// The producer epoch `seq` is under (KIP-360).
    pub epoch: u32,
    /// Processing it always fails.
    pub poison: bool,
    /// When it was first sent.
    pub at: Time,
    /// When the producer learned it was written.
    pub acked: Option<Time>,
    /// When it was first processed.
    pub first_done: Option<Time>,
    /// An application's body (a record produced through `AppSend`), handed back to it.
    pub body: Option<u32>,
}

/// The controller's view of one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartMeta {
    /// Assigned replicas: the partition key's ring successors, preferred leader first.
    pub replicas: Vec<NodeIx>,
    /// Current leader, if any replica can lead.
    pub leader: Option<NodeIx>,
    /// In-sync replicas (leader included).
    pub isr: Vec<NodeIx>,
    /// Leader epoch, +1 on every election.
    pub epoch: u32,
    /// Reported offline (no leader) and not yet back.
    pub offline: bool,
}

/// One group member as the coordinator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The consumer.
    pub node: NodeIx,
    /// Its incarnation (a restarted consumer is a new member).
    pub inc: u64,
    /// Last heartbeat, on the coordinator's clock.
    pub last_hb: i64,
    /// What it last said it owns.
    pub owned: PartSet,
    /// What it may own now.
    pub target: PartSet,
    /// Member epoch: +1 whenever its target changes.
    pub epoch: u32,
    /// Everything it may hold: its targets since it last confirmed the current epoch.
    pub granted: PartSet,
}

/// The consumer group's state (one group).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    /// The broker acting as coordinator when the state was last touched.
    pub coord: Option<NodeIx>,
    /// Generation, +1 per rebalance.
    pub gen: u32,
    /// Members in join order.
    pub members: Vec<Member>,
    /// Eager rebalance: waiting for every member to revoke everything.
    pub revoking: bool,
    /// The assignor's answer for the current generation, by member.
    pub desired: Vec<(NodeIx, PartSet)>,
    /// Committed offset per partition.
    pub offsets: Vec<u64>,
}

/// One partition leaving a consumer and joining one (maybe the same, under eager): the
/// canvas draws it with the time the partition stood still.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartMove {
    /// The consumer it left (revoked, or gone from the group).
    pub from: Option<NodeIx>,
    /// The consumer it joined, once it resumed.
    pub to: Option<NodeIx>,
    /// When it stopped being consumed.
    pub since: Time,
    /// When it resumed.
    pub until: Option<Time>,
}

/// World-wide state of the log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MqShared {
    /// Message bodies and fates, id - 1.
    pub book: Vec<MsgInfo>,
    /// Partition metadata, by partition.
    pub meta: Vec<PartMeta>,
    /// Brokers that are up, sorted.
    pub live: Vec<NodeIx>,
    /// The ring epoch the placement was computed at.
    pub ring_epoch: u64,
    /// The consumer group.
    pub group: Group,
    /// Every processing and dead-lettering, in order.
    pub hist: Vec<Delivery>,
    /// When each partition stopped being consumed (a rebalance stall in progress).
    pub stall_since: Vec<Option<Time>>,
    /// Each partition's latest hand-over between consumers (what the canvas draws).
    pub moves: Vec<Option<PartMove>>,
    /// Counters.
    pub stats: MqStats,
}

impl MqShared {
    /// The body of message `id`.
    pub fn msg(&self, id: u32) -> Option<&MsgInfo> {
        self.book.get((id as usize).wrapping_sub(1))
    }

    /// The broker coordinating the group: the first live broker (FindCoordinator).
    pub fn coordinator(&self) -> Option<NodeIx> {
        self.live.first().copied()
    }

    /// The leader of `p`, if any.
    pub fn leader(&self, p: u32) -> Option<NodeIx> {
        self.meta.get(p as usize).and_then(|m| m.leader)
    }
}

/// One processing (or dead-lettering) of a message by a consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The consumer.
    pub consumer: NodeIx,
    /// Partition and offset it came from.
    pub p: u32,
    /// Offset.
    pub off: u64,
    /// Message id.
    pub id: u32,
    /// Virtual time.
    pub t: Time,
    /// Dead-lettered rather than processed.
    pub dead: bool,
    /// Start of a new assignment of `p` to this consumer at offset `off` (not a delivery).
    pub resume: bool,
}

/// The run's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MqStats {
    /// Log messages put on the wire.
    pub messages: u64,
    /// Processings (duplicates included).
    pub processed: u64,
    /// Messages moved to the dead-letter topic.
    pub dead_lettered: u64,
    /// Writes refused for lack of in-sync replicas.
    pub not_enough_replicas: u64,
    /// Messages a producer gave up on.
    pub produce_failed: u64,
    /// Retried writes an idempotent leader absorbed.
    pub dup_dropped: u64,
    /// Leader elections.
    pub elections: u64,
    /// Of which unclean.
    pub unclean_elections: u64,
    /// Log entries removed by truncation on followers.
    pub truncated: u64,
    /// Group rebalances.
    pub rebalances: u64,
    /// Partition stalls that ended (a partition stopped, then resumed).
    pub stalled_partitions: u64,
    /// Total time partitions stood still in rebalances.
    pub stall_ms: u64,
    /// Longest single stall.
    pub max_stall_ms: u64,
    /// Commits refused (from a consumer no longer a member).
    pub commits_rejected: u64,
}

pub(super) fn send(ctx: &mut Ctx<'_>, to: NodeIx, m: MqMsg) {
    ctx.send(to, Payload::Mq(m));
}

pub(super) fn timer(ctx: &mut Ctx<'_>, after: u64, t: MqTimer) {
    ctx.set_timer(after, TimerKind::Mq(t));
}

pub(super) fn emit(ctx: &mut Ctx<'_>, e: MqEv) {
    ctx.emit(What::Proto(ProtoEv::Mq(e)));
}

use super::types::Mq;

/// Hands `up` to the application on this node: the log's client library calling back, in
/// process (`Ctx::local`). The log's one application in this build is the checkout saga.
pub(super) fn up(ctx: &mut Ctx<'_>, up: MqUp) {
    #[cfg(feature = "proto-saga")]
    ctx.local(Payload::Saga(crate::sim::proto::saga::Msg::Log(up)));
    #[cfg(not(feature = "proto-saga"))]
    let _ = (ctx, up);
}

pub(super) fn sh<'a>(ctx: &'a Ctx<'_>) -> &'a MqShared {
    ctx.shared::<Mq>()
}

pub(super) fn sh_mut<'a>(ctx: &'a mut Ctx<'_>) -> &'a mut MqShared {
    ctx.shared_mut::<Mq>()
}

/// Replicas of partition `p` on the ring now: the `rf` ring successors of `mq:p`.
pub(super) fn placement(
    ring: &crate::sim::ring::Ring,
    p: u32,
    rf: u32,
    ix: &dyn Fn(&str) -> Option<NodeIx>,
) -> Vec<NodeIx> {
    ring.replicas(crate::sim::hash::pos(&format!("mq:{p}")), rf as usize)
        .into_iter()
        .filter_map(|id| ring.node(id).and_then(|n| ix(&n.name)))
        .collect()
}
