//! The log's settings (`protocols.mq` in a scenario), read by hand so the wasm bundle does
//! not carry serde's visitors; the serde derives serve native tools and agree with it.

use serde::{Deserialize, Serialize};

use crate::sim::json_read::{fail, names, Obj, R};

/// Most partitions a topic may have (a partition set is a `u32` bit set).
pub const MAX_PARTITIONS: u32 = 32;

/// How many replicas must have a message before the producer hears "ok".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Acks {
    /// Fire and forget: acknowledged when sent.
    #[serde(rename = "0")]
    Zero,
    /// The leader appended it.
    #[serde(rename = "1")]
    One,
    /// Every in-sync replica has it (the high watermark passed it).
    #[serde(rename = "all")]
    All,
}

/// How a group's partitions are shared among its members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assign {
    /// Contiguous ranges in member order (Kafka's RangeAssignor).
    Range,
    /// Balanced, keeping each member's partitions where possible (StickyAssignor).
    Sticky,
    /// Partition `p` only to the member on node `consumers[p]`, unassigned while that node
    /// is not a member (a custom assignor standing in for a topic per service: the saga's
    /// service on each node reads its own partition).
    Pinned,
}

/// How a group moves partitions when its membership changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rebalance {
    /// Everyone revokes everything, then everything is assigned (stop the world).
    Eager,
    /// Only partitions that move are revoked; they are assigned in a second round.
    Cooperative,
}

/// When a consumer commits its offset relative to processing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitMode {
    /// Commit what was fetched, then process (at most once).
    Before,
    /// Process, then commit (at least once).
    After,
}

/// The log's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MqCfg {
    /// Partitions of the one topic (1..=32).
    pub partitions: u32,
    /// Replication factor: replicas are the partition key's ring successors.
    pub rf: u32,
    /// `min.insync.replicas`: acks=all writes need at least this many in the ISR.
    pub min_isr: u32,
    /// Producer acknowledgement mode.
    pub acks: Acks,
    /// Idempotent producer: leaders drop a (producer, sequence) they already have.
    pub idempotent: bool,
    /// Unclean leader election: an out-of-sync replica may lead (and lose data).
    pub unclean: bool,
    /// Clients that produce the workload.
    pub producers: Vec<String>,
    /// Clients in the consumer group from the start.
    pub consumers: Vec<String>,
    /// Messages each producer sends (0: only commands produce).
    pub messages: u32,
    /// Interval between a producer's messages.
    pub produce_every_ms: u64,
    /// When producers start.
    pub start_ms: u64,
    /// Distinct order ids the messages are keyed by.
    pub keys: u32,
    /// Message numbers (1-based, in production order) whose processing always fails.
    pub poison: Vec<u32>,
    /// Producer `request.timeout.ms`: no answer by then means retry.
    pub request_timeout_ms: u64,
    /// Producer `retries` before giving up on a message.
    pub retries: u32,
    /// Pause before a retry.
    pub retry_backoff_ms: u64,
    /// `replica.lag.time.max.ms`: a follower not caught up for this long leaves the ISR.
    pub replica_lag_ms: u64,
    /// Follower fetch interval when idle.
    pub fetch_ms: u64,
    /// Partition assignment strategy.
    pub assignment: Assign,
    /// Rebalance protocol.
    pub rebalance: Rebalance,
    /// Consumer `session.timeout.ms`.
    pub session_timeout_ms: u64,
    /// Consumer `heartbeat.interval.ms`.
    pub heartbeat_ms: u64,
    /// Consumer `max.poll.interval.ms`: a batch taking longer gets the member kicked out.
    pub max_poll_interval_ms: u64,
    /// Consumer `max.poll.records` per partition fetch (1..=4).
    pub max_poll_records: u32,
    /// Idle poll interval.
    pub poll_ms: u64,
    /// Time to process one message.
    pub process_ms: u64,
    /// Commit before or after processing.
    pub commit: CommitMode,
    /// Auto commit interval (`enable.auto.commit`); absent: commit after every batch.
    pub auto_commit_ms: Option<u64>,
    /// Commit on revocation (`onPartitionsRevoked`).
    pub commit_on_revoke: bool,
    /// Deliveries of one message before it goes to the dead-letter topic.
    pub delivery_limit: u32,
}

impl Default for MqCfg {
    fn default() -> Self {
        MqCfg {
            partitions: 4,
            rf: 3,
            min_isr: 2,
            acks: Acks::All,
            idempotent: true,
            unclean: false,
            producers: Vec::new(),
            consumers: Vec::new(),
            messages: 0,
            produce_every_ms: 50,
            start_ms: 200,
            keys: 4,
            poison: Vec::new(),
            request_timeout_ms: 300,
            retries: 5,
            retry_backoff_ms: 100,
            replica_lag_ms: 500,
            fetch_ms: 50,
            assignment: Assign::Range,
            rebalance: Rebalance::Eager,
            session_timeout_ms: 1000,
            heartbeat_ms: 100,
            max_poll_interval_ms: 3000,
            max_poll_records: 4,
            poll_ms: 20,
            process_ms: 10,
            commit: CommitMode::After,
            auto_commit_ms: None,
            commit_on_revoke: true,
            delivery_limit: 3,
        }
    }
}

/// The settings `mq_set` may switch during a run, with their values (as in a scenario file).
pub const SETTINGS: &[(&str, &[&str])] = &[
    ("acks", &["0", "1", "all"]),
    ("min_isr", &["1", "2", "3"]),
    ("idempotent", &["false", "true"]),
    ("unclean", &["false", "true"]),
    ("commit", &["before", "after"]),
    ("assignment", &["range", "sticky", "pinned"]),
    ("rebalance", &["eager", "cooperative"]),
];

const FIELDS: &str = "partitions, rf, min_isr, acks, idempotent, unclean, producers, consumers, \
messages, produce_every_ms, start_ms, keys, poison, request_timeout_ms, retries, \
retry_backoff_ms, replica_lag_ms, fetch_ms, assignment, rebalance, session_timeout_ms, \
heartbeat_ms, max_poll_interval_ms, max_poll_records, poll_ms, process_ms, commit, \
auto_commit_ms, commit_on_revoke, delivery_limit";

impl MqCfg {
    /// Reads `protocols.mq`; unknown fields and values are refused with their path.
    pub fn read(mut o: Obj) -> R<MqCfg> {
        let d = MqCfg::default();
        let acks = match o.opt("acks") {
            None => d.acks,
            Some((p, v)) => match v
                .as_str()
                .map(str::to_string)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
                .as_deref()
            {
                Some("0") => Acks::Zero,
                Some("1") => Acks::One,
                Some("all") | Some("-1") => Acks::All,
                _ => return fail(&p, format!("unknown value {v} (one of: 0, 1, all)")),
            },
        };
        let assignment = match o.pick("assignment", &["range", "sticky", "pinned"])? {
            None => d.assignment,
            Some(0) => Assign::Range,
            Some(1) => Assign::Sticky,
            Some(_) => Assign::Pinned,
        };
        let rebalance = match o.pick("rebalance", &["eager", "cooperative"])? {
            None => d.rebalance,
            Some(0) => Rebalance::Eager,
            Some(_) => Rebalance::Cooperative,
        };
        let commit = match o.pick("commit", &["before", "after"])? {
            None => d.commit,
            Some(0) => CommitMode::Before,
            Some(_) => CommitMode::After,
        };
        let producers = match o.opt("producers") {
            None => Vec::new(),
            Some((p, v)) => names(&p, v)?,
        };
        let consumers = match o.opt("consumers") {
            None => Vec::new(),
            Some((p, v)) => names(&p, v)?,
        };
        let poison = o.list("poison", |p, v| crate::sim::json_read::small(p, &v))?;
        let c = MqCfg {
            partitions: o.u32_or("partitions", d.partitions)?,
            rf: o.u32_or("rf", d.rf)?,
            min_isr: o.u32_or("min_isr", d.min_isr)?,
            acks,
            idempotent: o.bool_or("idempotent", d.idempotent)?,
            unclean: o.bool_or("unclean", d.unclean)?,
            producers,
            consumers,
            messages: o.u32_or("messages", d.messages)?,
            produce_every_ms: o.u64_or("produce_every_ms", d.produce_every_ms)?,
            start_ms: o.u64_or("start_ms", d.start_ms)?,
            keys: o.u32_or("keys", d.keys)?,
            poison,
            request_timeout_ms: o.u64_or("request_timeout_ms", d.request_timeout_ms)?,
            retries: o.u32_or("retries", d.retries)?,
            retry_backoff_ms: o.u64_or("retry_backoff_ms", d.retry_backoff_ms)?,
            replica_lag_ms: o.u64_or("replica_lag_ms", d.replica_lag_ms)?,
            fetch_ms: o.u64_or("fetch_ms", d.fetch_ms)?,
            assignment,
            rebalance,
            session_timeout_ms: o.u64_or("session_timeout_ms", d.session_timeout_ms)?,
            heartbeat_ms: o.u64_or("heartbeat_ms", d.heartbeat_ms)?,
            max_poll_interval_ms: o.u64_or("max_poll_interval_ms", d.max_poll_interval_ms)?,
            max_poll_records: o.u32_or("max_poll_records", d.max_poll_records)?,
            poll_ms: o.u64_or("poll_ms", d.poll_ms)?,
            process_ms: o.u64_or("process_ms", d.process_ms)?,
            commit,
            auto_commit_ms: o.opt_u64("auto_commit_ms")?,
            commit_on_revoke: o.bool_or("commit_on_revoke", d.commit_on_revoke)?,
            delivery_limit: o.u32_or("delivery_limit", d.delivery_limit)?,
        };
        o.done(FIELDS)?;
        Ok(c)
    }

    /// Range checks, and the named clients must exist: `Err((field, reason))`.
    pub fn validate(&self, servers: &[String], clients: &[String]) -> Result<(), (String, String)> {
        let bad = |f: &str, r: String| Err((f.to_string(), r));
        if !(1..=MAX_PARTITIONS).contains(&self.partitions) {
            return bad(
                "partitions",
                format!("must be in 1..={MAX_PARTITIONS}, got {}", self.partitions),
            );
        }
        if !(1..=5).contains(&self.rf) {
            return bad("rf", format!("must be in 1..=5, got {}", self.rf));
        }
        if !(1..=self.rf).contains(&self.min_isr) {
            return bad(
                "min_isr",
                format!("must be in 1..=rf ({}), got {}", self.rf, self.min_isr),
            );
        }
        if !(1..=4).contains(&self.max_poll_records) {
            return bad(
                "max_poll_records",
                format!("must be in 1..=4, got {}", self.max_poll_records),
            );
        }
        if !(1..=10_000).contains(&self.keys) {
            return bad("keys", format!("must be in 1..=10000, got {}", self.keys));
        }
        if self.messages > 100_000 {
            return bad("messages", format!("at most 100000, got {}", self.messages));
        }
        if !(1..=100).contains(&self.delivery_limit) {
            return bad(
                "delivery_limit",
                format!("must be in 1..=100, got {}", self.delivery_limit),
            );
        }
        let ms = [
            ("produce_every_ms", self.produce_every_ms),
            ("request_timeout_ms", self.request_timeout_ms),
            ("retry_backoff_ms", self.retry_backoff_ms),
            ("replica_lag_ms", self.replica_lag_ms),
            ("fetch_ms", self.fetch_ms),
            ("session_timeout_ms", self.session_timeout_ms),
            ("heartbeat_ms", self.heartbeat_ms),
            ("max_poll_interval_ms", self.max_poll_interval_ms),
            ("poll_ms", self.poll_ms),
            ("process_ms", self.process_ms),
            ("auto_commit_ms", self.auto_commit_ms.unwrap_or(1)),
        ];
        for (f, v) in ms {
            if !(1..=3_600_000).contains(&v) {
                return bad(f, format!("must be in 1..=3600000, got {v}"));
            }
        }
        if self.start_ms > 3_600_000 {
            return bad(
                "start_ms",
                format!("at most 3600000, got {}", self.start_ms),
            );
        }
        for (f, list) in [
            ("producers", &self.producers),
            ("consumers", &self.consumers),
        ] {
            // A server may be one too: an application on it (the saga's services) uses the
            // log through its own client.
            if let Some(n) = list
                .iter()
                .find(|n| !clients.contains(n) && !servers.contains(n))
            {
                return bad(f, format!("\"{n}\" is not a node"));
            }
        }
        Ok(())
    }

    /// The partition a key goes to (a stable hash of `order:KEY`, like Kafka's murmur2).
    pub fn partition_of(&self, key: u32) -> u32 {
        (crate::sim::hash::pos(&format!("order:{key}")) % u64::from(self.partitions)) as u32
    }

    /// The wire name of the acks mode.
    /// Changes one switchable setting by its scenario name (`mq_set`, a fork at the playhead):
    /// the value is one of [`SETTINGS`]' words for it; `min_isr` must stay within `rf`.
    pub fn set(&mut self, setting: &str, value: &str) -> Result<(), String> {
        let Some((_, words)) = SETTINGS.iter().find(|(n, _)| *n == setting) else {
            let names: Vec<&str> = SETTINGS.iter().map(|s| s.0).collect();
            return Err(format!(
                "unknown setting \"{setting}\" (one of: {})",
                names.join(", ")
            ));
        };
        let Some(i) = words.iter().position(|w| *w == value) else {
            return Err(format!(
                "{setting}: unknown value \"{value}\" (one of: {})",
                words.join(", ")
            ));
        };
        match setting {
            "acks" => self.acks = [Acks::Zero, Acks::One, Acks::All][i],
            "min_isr" => {
                let n = i as u32 + 1;
                if n > self.rf {
                    return Err(format!(
                        "min_isr: must be at most rf ({}), got {n}",
                        self.rf
                    ));
                }
                self.min_isr = n;
            }
            "idempotent" => self.idempotent = i == 1,
            "unclean" => self.unclean = i == 1,
            "commit" => self.commit = [CommitMode::Before, CommitMode::After][i],
            "assignment" => self.assignment = [Assign::Range, Assign::Sticky, Assign::Pinned][i],
            _ => self.rebalance = [Rebalance::Eager, Rebalance::Cooperative][i],
        }
        Ok(())
    }

    /// The current word of a switchable setting (one of its [`SETTINGS`] values).
    pub fn get(&self, setting: &str) -> &'static str {
        let words = SETTINGS
            .iter()
            .find(|(n, _)| *n == setting)
            .map_or(&[][..], |s| s.1);
        let i = match setting {
            "acks" => self.acks as usize,
            "min_isr" => self.min_isr.saturating_sub(1) as usize,
            "idempotent" => usize::from(self.idempotent),
            "unclean" => usize::from(self.unclean),
            "commit" => self.commit as usize,
            "assignment" => self.assignment as usize,
            _ => self.rebalance as usize,
        };
        words.get(i).copied().unwrap_or("")
    }

    pub fn acks_name(&self) -> &'static str {
        match self.acks {
            Acks::Zero => "0",
            Acks::One => "1",
            Acks::All => "all",
        }
    }
}
