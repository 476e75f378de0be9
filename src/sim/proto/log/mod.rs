//! A partitioned, replicated message log on the ring, with Kafka's semantics and Kafka's
//! names: topics of partitions whose replicas are the ring successors of the partition's
//! key, an in-sync replica set, log end offsets and a high watermark; producers with
//! `acks` 0/1/all, `min.insync.replicas` and an optional idempotent mode; leader failover
//! (clean, or unclean and losing committed messages); consumer groups with range or sticky
//! assignment, eager or cooperative rebalancing, commits before or after processing, and a
//! dead-letter topic. The queue checkers (lost, duplicated, nonmonotonic, skipped, per-key
//! order) are pure functions over the delivery history. See docs/queue.md.

mod broker;
pub mod cfg;
pub mod check;
mod client;
mod protocol;
pub mod state;
#[cfg(test)]
mod tests;
pub mod types;
pub mod wire;

pub use broker::Broker;
pub use cfg::{Acks, Assign, CommitMode, MqCfg, Rebalance};
pub use check::Anomalies;
pub use client::{ClientNode, Consumer, Producer};
pub use protocol::MqNode;
pub use state::{Delivery, MqShared, MqStats, MsgInfo, PartMeta, PartMove};
pub use types::{Mq, MqCmd};
pub use wire::{MqEv, MqMsg, MqRec, MqTimer};

/// Partitions as a bit set (at most [`cfg::MAX_PARTITIONS`]), so messages stay `Copy`.
pub type PartSet = u32;

/// The partitions in a set, in order.
pub fn parts(s: PartSet) -> impl Iterator<Item = u32> {
    (0..32u32).filter(move |p| s & (1 << p) != 0)
}
