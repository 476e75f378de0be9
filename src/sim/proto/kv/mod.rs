//! A replicated key-value store on the ring, in two modes, so the lab can show what each
//! failover design promises and what it silently gives up (docs/replication.md):
//!
//! - **primary/replica** (Redis Sentinel, MySQL with Orchestrator): one primary per shard
//!   (`shards`, placed on the ring; one shard by default, replicated to every server),
//!   replication to the shard's other servers, asynchronous (ack at once) or synchronous
//!   (ack after a majority stored it); a shard's servers that stop hearing its primary's beat
//!   elect a replica by majority vote after `failover_ms`; a node that learns of a newer epoch
//!   resynchronises from the new primary, discarding what it had (split brain's writes).
//!   With `fencing`, every message carries the epoch, replicas refuse an older one, reads
//!   are confirmed by a majority and a new primary merges the majority's data first.
//! - **Dynamo** (DeCandia et al. 2007): the key's preference list is the ring's next N
//!   distinct nodes; the coordinator counts itself; W acks or R replies; last-writer-wins
//!   by the coordinator's clock; read repair; with `sloppy`, missing replicas are replaced
//!   by the next nodes on the ring holding a hint, handed back later, expiring after
//!   `hint_window_ms`.
//!
//! Clients run a seeded workload of reads, writes and compare-and-set and record a
//! history (invoke / ok / fail / info); [`KvShared`] keeps it with what is needed to name
//! lost acknowledged writes and stale reads, and the linearizability checker judges it.

pub mod check;
mod node;
mod protocol;
pub mod types;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::sim::history::{self, Kind, Val, F};
use crate::sim::ids::{NodeIx, Time};

pub use node::{Client, KvNode, Server, Shard};
pub use protocol::RUN_BUDGET;
pub use types::{Kv, KvCmd, KvSet};

/// At most this many keys (`k0`…`k3`): messages carry per-key arrays by value.
pub const MAX_KEYS: usize = 4;

/// Which replication design runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One primary, replicas, failover by vote.
    #[default]
    Primary,
    /// Preference lists and quorums.
    Dynamo,
}

/// How the primary replicates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replication {
    /// Acknowledge the client at once, replicate in the background.
    #[default]
    Async,
    /// Acknowledge once a majority of servers stored the write.
    Sync,
}

/// The store's settings (`protocols.kv`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KvCfg {
    /// `primary` or `dynamo`.
    pub mode: Mode,
    /// Keys the workload uses, 1..=4.
    pub keys: u8,
    /// Each client starts an operation this often (local ms), if none is pending.
    pub op_every_ms: u64,
    /// A client gives up waiting after this long: the outcome becomes unknown (info).
    pub op_timeout_ms: u64,
    /// Share of reads, percent.
    pub reads_pct: u8,
    /// Share of compare-and-set, percent (primary mode only).
    pub cas_pct: u8,
    /// Clients stop starting operations at this virtual time (0: never), so a run can end
    /// quiet and converged.
    pub stop_ms: u64,
    /// Primary mode: shards, 1..=4 (key `k` belongs to shard `k mod shards`; shard `s` is
    /// placed on the ring at `pos("s{s}")`: its owner is the first primary, the next `n - 1`
    /// distinct nodes its replicas). One shard (the default) replicates every key to every
    /// server.
    #[serde(skip_serializing_if = "is_one")]
    pub shards: u8,
    /// Primary mode: the initial primary (default: the first server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    /// Primary mode: `async` or `sync`.
    pub replication: Replication,
    /// Primary mode: epochs checked by replicas, majority-confirmed reads, merged promotion.
    pub fencing: bool,
    /// Primary mode: the primary's beat period.
    pub beat_ms: u64,
    /// Primary mode: silence after which a replica calls an election.
    pub failover_ms: u64,
    /// Dynamo: replicas per key.
    pub n: u8,
    /// Dynamo: replies a read waits for.
    pub r: u8,
    /// Dynamo: acks a write waits for (the coordinator's own included).
    pub w: u8,
    /// Dynamo: use the first N healthy nodes, with hints (sloppy quorum).
    pub sloppy: bool,
    /// Dynamo: a stand-in drops a hint it could not hand back within this long.
    pub hint_window_ms: u64,
    /// Dynamo: how often stand-ins try to hand hints back.
    pub hint_every_ms: u64,
    /// Dynamo: a read sends the newest version to the replicas that answered older ones.
    pub read_repair: bool,
    /// Dynamo: `lww` (last writer wins by the coordinator's clock) or `vv` (version
    /// vectors; concurrent versions kept as siblings and returned merged).
    pub resolve: Resolve,
    /// `register` (unique values) or `cart` (read-modify-write of an item set, Dynamo's
    /// shopping cart: add or remove one item per update).
    pub workload: Workload,
}

/// How Dynamo mode resolves concurrent versions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolve {
    /// Last writer wins, by the coordinator's clock.
    #[default]
    Lww,
    /// Version vectors and siblings.
    Vv,
}

/// What the clients do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// Reads, writes of unique values, compare-and-set.
    #[default]
    Register,
    /// Read the cart, add or remove one item, write it back with the read's context.
    Cart,
}

/// Version-vector slots: servers in a `vv` scenario (at most this many).
pub const MAX_VV: usize = 8;

/// A version-vector sibling: a value and the vector of per-server counters it descends from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VCell {
    /// Per-server counters (slot = the server's place among the members).
    pub vv: [u32; MAX_VV],
    /// The value (a cart: a bit per item).
    pub val: Option<i64>,
}

impl VCell {
    /// Every counter at least the other's: this version has seen that one.
    pub fn dominates(&self, o: &VCell) -> bool {
        self.vv.iter().zip(o.vv.iter()).all(|(a, b)| a >= b)
    }
}

impl Default for KvCfg {
    fn default() -> Self {
        KvCfg {
            mode: Mode::Primary,
            keys: 2,
            op_every_ms: 100,
            op_timeout_ms: 400,
            reads_pct: 50,
            cas_pct: 0,
            stop_ms: 0,
            shards: 1,
            primary: None,
            replication: Replication::Async,
            fencing: false,
            beat_ms: 100,
            failover_ms: 1000,
            n: 3,
            r: 2,
            w: 2,
            sloppy: false,
            hint_window_ms: 10_000,
            hint_every_ms: 500,
            read_repair: true,
            resolve: Resolve::Lww,
            workload: Workload::Register,
        }
    }
}

fn is_one(v: &u8) -> bool {
    *v == 1
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

impl KvCfg {
    /// Shards in use: `shards` in primary mode, one in Dynamo mode (preference lists place
    /// every key on its own).
    pub fn shard_count(&self) -> usize {
        match self.mode {
            Mode::Primary => self.shards.clamp(1, MAX_KEYS as u8) as usize,
            Mode::Dynamo => 1,
        }
    }

    /// The shard key index `key` belongs to.
    pub fn shard_of(&self, key: u8) -> usize {
        key as usize % self.shard_count()
    }

    /// The key indices (all [`MAX_KEYS`] slots) of `shard`, a bit each.
    pub fn shard_keys(&self, shard: usize) -> u8 {
        (0..MAX_KEYS as u8)
            .filter(|&k| self.shard_of(k) == shard)
            .fold(0, |m, k| m | (1 << k))
    }

    /// The shard's event tag: `Some(shard)` only when there is more than one, so single-shard
    /// traces keep their words and bytes.
    pub fn shard_tag(&self, shard: usize) -> Option<u8> {
        (self.shard_count() > 1).then_some(shard as u8)
    }

    /// A short name of the variant for summaries and the panel ("primary async fenced").
    pub fn variant(&self) -> String {
        match self.mode {
            Mode::Primary => format!(
                "primary {}{}{}",
                match self.replication {
                    Replication::Async => "async",
                    Replication::Sync => "sync",
                },
                if self.fencing { " fenced" } else { "" },
                if self.shard_count() > 1 {
                    format!(" {} shards", self.shard_count())
                } else {
                    String::new()
                }
            ),
            Mode::Dynamo => format!(
                "dynamo N={} R={} W={} {}{}",
                self.n,
                self.r,
                self.w,
                if self.sloppy { "sloppy" } else { "strict" },
                if self.resolve == Resolve::Vv {
                    " version-vectors"
                } else {
                    ""
                }
            ),
        }
    }
}

/// A stored version of one key: its value and version (primary: (epoch, seq); Dynamo:
/// (coordinator's clock, coordinator)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cell {
    /// Version, compared first.
    pub ver: (u64, u32),
    /// The value; `None` before the first write.
    pub val: Option<i64>,
}

/// What a client asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpF {
    /// Read a key.
    Read,
    /// Write a value.
    Write,
    /// Compare-and-set.
    Cas,
}

impl OpF {
    fn f(self) -> F {
        match self {
            OpF::Read => F::Read,
            OpF::Write => F::Write,
            OpF::Cas => F::Cas,
        }
    }
}

/// How a request ended, as the server answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Done (with the read's value).
    Ok,
    /// Certainly not done (a CAS whose expectation failed).
    Fail,
    /// Not the primary: try `primary` instead (certainly not done).
    Redirect,
}

/// The store's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Client request `op`.
    Req {
        /// Client's operation number.
        op: u32,
        /// What to do.
        f: OpF,
        /// Key index.
        key: u8,
        /// Value to write (CAS: the new value).
        val: i64,
        /// CAS: the expected current value.
        expect: Option<i64>,
    },
    /// Answer to `op`.
    Resp {
        /// Client's operation number.
        op: u32,
        /// Outcome.
        status: Status,
        /// A read's value.
        val: Option<i64>,
        /// On redirect: who the server thinks is primary.
        primary: Option<NodeIx>,
    },
    /// The primary of `epoch` is alive.
    Beat {
        /// Its epoch.
        epoch: u32,
        /// The shard (primary mode; absent in one-shard traces).
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u8,
    },
    /// Store this version (primary → replica).
    Repl {
        /// The sender's epoch.
        epoch: u32,
        /// Write id (the primary's sequence number).
        seq: u32,
        /// Key index.
        key: u8,
        /// The version.
        cell: Cell,
    },
    /// Stored write `seq` of `epoch`.
    ReplAck {
        /// Epoch.
        epoch: u32,
        /// Write id.
        seq: u32,
        /// The shard (primary mode; absent in one-shard traces).
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u8,
    },
    /// Refused: the sender's epoch is old; `primary` leads `epoch`.
    Nack {
        /// The newer epoch.
        epoch: u32,
        /// Its primary.
        primary: NodeIx,
        /// The shard (primary mode; absent in one-shard traces).
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u8,
    },
    /// Fenced read: are you still in `epoch`?
    Confirm {
        /// Epoch.
        epoch: u32,
        /// Read id.
        rid: u32,
        /// The shard (primary mode; absent in one-shard traces).
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u8,
    },
    /// Yes, and synchronised.
    ConfirmAck {
        /// Epoch.
        epoch: u32,
        /// Read id.
        rid: u32,
        /// The shard (primary mode; absent in one-shard traces).
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u8,
    },
    /// Vote for the sender as primary of `epoch`.
    VoteReq {
        /// Proposed epoch.
        epoch: u32,
        /// The shard (primary mode; absent in one-shard traces).
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u8,
    },
    /// A vote, with the voter's data (merged by a fenced candidate).
    Vote {
        /// Epoch voted on.
        epoch: u32,
        /// Granted or not.
        granted: bool,
        /// The voter's versions.
        cells: [Cell; MAX_KEYS],
        /// The shard (primary mode; absent in one-shard traces).
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u8,
    },
    /// Send me your data (a replica that just followed a new primary).
    SyncReq {
        /// The epoch followed.
        epoch: u32,
        /// The shard (primary mode; absent in one-shard traces).
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u8,
    },
    /// One key of a full resynchronisation.
    Sync {
        /// The primary's epoch.
        epoch: u32,
        /// Key index.
        key: u8,
        /// The primary's version.
        cell: Cell,
        /// The last key of the sync.
        last: bool,
    },
    /// Dynamo: store this version (for `hint` if a stand-in).
    Store {
        /// Request id at the coordinator (0: read repair or hand-off, no ack wanted).
        rid: u32,
        /// Key index.
        key: u8,
        /// The version.
        cell: Cell,
        /// The intended owner, when the receiver stands in for it.
        hint: Option<NodeIx>,
    },
    /// Dynamo: stored.
    StoreAck {
        /// Request id.
        rid: u32,
    },
    /// Dynamo: your version of `key`?
    Fetch {
        /// Request id.
        rid: u32,
        /// Key index.
        key: u8,
    },
    /// Dynamo: my version.
    FetchR {
        /// Request id.
        rid: u32,
        /// The version held (hints included).
        cell: Cell,
    },
    /// Dynamo: a stand-in hands a hinted version back to its owner.
    Handoff {
        /// Key index.
        key: u8,
        /// The version.
        cell: Cell,
    },
    /// Dynamo with version vectors: write `val` descending from the read's context `ctx`.
    VPut {
        /// Client's operation number.
        op: u32,
        /// Key index.
        key: u8,
        /// The value.
        val: i64,
        /// The version vector of what the client read.
        ctx: [u32; MAX_VV],
    },
    /// Dynamo with version vectors: store this sibling.
    VStore {
        /// Request id at the coordinator.
        rid: u32,
        /// Key index.
        key: u8,
        /// The sibling.
        sib: VCell,
    },
    /// Dynamo with version vectors: one of my siblings (`last`: no more follow).
    VFetchR {
        /// Request id.
        rid: u32,
        /// A sibling (none: an empty vector and no value).
        sib: VCell,
        /// The last sibling of this reply.
        last: bool,
    },
    /// Dynamo with version vectors: the merged read, with its context.
    VResp {
        /// Client's operation number.
        op: u32,
        /// The merged value (a cart: the union of the siblings).
        val: Option<i64>,
        /// The siblings merged.
        siblings: u8,
        /// Their version vectors' pointwise maximum (the context of the next write).
        ctx: [u32; MAX_VV],
    },
    /// Dynamo: a batch of keys streamed to a node that replicates them since a membership
    /// change.
    Stream {
        /// The sender's batch number (acknowledged, re-sent if not).
        batch: u32,
        /// The keys in the batch (a bit per key index).
        keys: u8,
        /// Their versions (slots outside `keys` unused).
        cells: [Cell; MAX_KEYS],
    },
    /// Dynamo with version vectors: one sibling of a key streamed to a new replica (a batch
    /// is one part per sibling of each key it carries).
    VStream {
        /// The sender's batch number.
        batch: u32,
        /// This part's number within the batch.
        part: u8,
        /// Key index.
        key: u8,
        /// The sibling.
        sib: VCell,
    },
    /// Dynamo: part `part` of stream batch `batch` arrived (a last-writer-wins batch is one
    /// part, 0).
    StreamAck {
        /// Batch number.
        batch: u32,
        /// Part number.
        part: u8,
    },
    /// Dynamo: the owner took it.
    HandoffAck {
        /// Key index.
        key: u8,
        /// The version taken.
        cell: Cell,
    },
}

impl Msg {
    fn label(&self) -> String {
        match self {
            Msg::Req { f, key, val, .. } => match f {
                OpF::Read => format!("get k{key}"),
                OpF::Write => format!("put k{key}={val}"),
                OpF::Cas => format!("cas k{key}→{val}"),
            },
            Msg::Resp { status, val, .. } => match (status, val) {
                (Status::Ok, Some(v)) => format!("ok {v}"),
                (Status::Ok, None) => "ok".into(),
                (Status::Fail, _) => "fail".into(),
                (Status::Redirect, _) => "redirect".into(),
            },
            Msg::Beat { epoch, .. } => format!("beat e{epoch}"),
            Msg::Repl { key, cell, .. } => format!("repl k{key}={}", show(cell.val)),
            Msg::ReplAck { seq, .. } => format!("ack #{seq}"),
            Msg::Nack { epoch, .. } => format!("nack e{epoch}"),
            Msg::Confirm { epoch, .. } => format!("confirm e{epoch}"),
            Msg::ConfirmAck { .. } => "confirmed".into(),
            Msg::VoteReq { epoch, .. } => format!("vote? e{epoch}"),
            Msg::Vote { granted, .. } => if *granted { "vote yes" } else { "vote no" }.into(),
            Msg::SyncReq { .. } => "sync?".into(),
            Msg::Sync { key, cell, .. } => format!("sync k{key}={}", show(cell.val)),
            Msg::Store {
                key, cell, hint, ..
            } => match hint {
                Some(_) => format!("store k{key}={} (hint)", show(cell.val)),
                None => format!("store k{key}={}", show(cell.val)),
            },
            Msg::StoreAck { .. } => "stored".into(),
            Msg::Fetch { key, .. } => format!("fetch k{key}"),
            Msg::FetchR { cell, .. } => format!("has {}", show(cell.val)),
            Msg::Handoff { key, .. } => format!("handoff k{key}"),
            Msg::HandoffAck { .. } => "handoff ok".into(),
            Msg::Stream { keys, .. } => match keys.count_ones() {
                1 => "stream 1 key".into(),
                n => format!("stream {n} keys"),
            },
            Msg::VStream { key, sib, .. } => format!("stream k{key}={}", show(sib.val)),
            Msg::StreamAck { .. } => "streamed".into(),
            Msg::VPut { key, val, .. } => format!("put k{key}={val} (ctx)"),
            Msg::VStore { key, sib, .. } => format!("store k{key}={}", show(sib.val)),
            Msg::VFetchR { sib, .. } => format!("has {}", show(sib.val)),
            Msg::VResp { val, siblings, .. } => format!("ok {} ({siblings} siblings)", show(*val)),
        }
    }
}

/// "shard s1 " before an epoch's words, when there are shards.
fn of_shard(s: Option<u8>) -> String {
    s.map_or(String::new(), |s| format!("shard s{s} "))
}

fn show(v: Option<i64>) -> String {
    v.map_or("nil".into(), |v| v.to_string())
}

/// The store's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "timer", rename_all = "snake_case")]
pub enum Timer {
    /// A client's next operation.
    Op,
    /// A client's operation `op` timed out.
    OpTimeout {
        /// Its number.
        op: u32,
    },
    /// A server's periodic duties (beat, failure detection, election timeout).
    Tick,
    /// Dynamo: a coordinator turns to stand-ins for request `rid`.
    Sloppy {
        /// Request id.
        rid: u32,
    },
    /// Dynamo: stand-ins try to hand hints back.
    Hints,
    /// Dynamo: re-send what of stream batch `batch` is not acknowledged yet.
    StreamRetry {
        /// Batch number.
        batch: u32,
    },
}

/// What the store writes to a node's durable log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rec", rename_all = "snake_case")]
pub enum KvRec {
    /// Key `key` now holds `cell`.
    Set {
        /// Key index.
        key: u8,
        /// Its version.
        cell: Cell,
    },
    /// A sibling of `key` was added (dominated ones dropped).
    Sib {
        /// Key index.
        key: u8,
        /// The sibling.
        sib: VCell,
    },
    /// Following `primary` in `epoch`.
    Epoch {
        /// Epoch.
        epoch: u32,
        /// Its primary.
        primary: NodeIx,
        /// The shard (primary mode; absent in one-shard traces).
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u8,
    },
    /// Voted in `epoch`.
    Voted {
        /// Epoch.
        epoch: u32,
        /// The shard (primary mode; absent in one-shard traces).
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u8,
    },
    /// Holding a hinted version for `owner`.
    Hint {
        /// Key index.
        key: u8,
        /// The version.
        cell: Cell,
        /// The intended owner.
        owner: NodeIx,
        /// Local time it was stored.
        at: i64,
    },
    /// The hint for `owner` with this version is gone (handed back or expired).
    HintGone {
        /// Key index.
        key: u8,
        /// The version.
        cell: Cell,
        /// The intended owner.
        owner: NodeIx,
    },
}

/// Where an operation is in its life, as the client records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Sent.
    Invoke,
    /// Completed.
    Ok,
    /// Certainly not done.
    Fail,
    /// Timed out: outcome unknown.
    Info,
}

/// The store's trace events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KvEv {
    /// A client operation's invoke or completion (the history).
    KvOp {
        /// The client's operation number.
        op: u32,
        /// Invoke, ok, fail or info.
        phase: Phase,
        /// What.
        f: OpF,
        /// Key index.
        key: u8,
        /// Written value (invoke), read value (ok of a read).
        value: Option<i64>,
        /// CAS: the expected value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expect: Option<i64>,
        /// Which server it went to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<NodeIx>,
    },
    /// This server became primary of `epoch`.
    KvPromote {
        /// New epoch.
        epoch: u32,
        /// Votes won.
        votes: u32,
        /// The shard, when there is more than one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard: Option<u8>,
    },
    /// This server follows `primary` of `epoch` and resynchronises from it; `was_primary`:
    /// it had been accepting writes itself (split brain ends).
    KvFollow {
        /// Epoch followed.
        epoch: u32,
        /// New primary.
        primary: NodeIx,
        /// It was a primary.
        was_primary: bool,
        /// The shard, when there is more than one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard: Option<u8>,
    },
    /// A resynchronisation replaced this node's version of a key (its writes discarded).
    KvDiscard {
        /// Key index.
        key: u8,
        /// The value thrown away.
        lost: Option<i64>,
        /// The value taken instead.
        kept: Option<i64>,
    },
    /// A fenced replica refused a message from an old epoch.
    KvRefuse {
        /// The sender's epoch.
        theirs: u32,
        /// This node's epoch.
        mine: u32,
        /// The shard, when there is more than one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard: Option<u8>,
    },
    /// A server called an election.
    KvElect {
        /// Proposed epoch.
        epoch: u32,
        /// The shard, when there is more than one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard: Option<u8>,
    },
    /// A stand-in stored a hinted version for `owner`.
    KvHint {
        /// Key index.
        key: u8,
        /// The intended owner.
        owner: NodeIx,
    },
    /// A hint was handed back to its owner.
    KvHandoff {
        /// Key index.
        key: u8,
        /// The owner.
        owner: NodeIx,
    },
    /// A hint expired before its owner came back.
    KvHintExpired {
        /// Key index.
        key: u8,
        /// The owner it never reached.
        owner: NodeIx,
        /// The value dropped.
        value: Option<i64>,
    },
    /// A last-writer-wins store kept its version over an incoming older-stamped one.
    KvLwwDrop {
        /// Key index.
        key: u8,
        /// The value dropped.
        value: Option<i64>,
        /// The value kept.
        kept: Option<i64>,
    },
    /// A read found concurrent versions and merged them.
    KvSiblings {
        /// Key index.
        key: u8,
        /// How many.
        count: u8,
    },
    /// A cart read shows an item this client removed (and did not add back) again.
    KvResurrect {
        /// Key index.
        key: u8,
        /// The item.
        item: u8,
    },
    /// A membership change made `to` a replica of keys this server held: they were streamed.
    KvStream {
        /// The new replica.
        to: NodeIx,
        /// How many keys the batch carried.
        keys: u8,
        /// Version vectors: how many sibling versions of them.
        #[serde(default, skip_serializing_if = "is_zero")]
        siblings: u8,
    },
    /// Parts of a stream batch were not acknowledged in time: they are sent again.
    KvStreamRetry {
        /// The new replica.
        to: NodeIx,
        /// Batch number.
        batch: u32,
        /// Parts re-sent.
        parts: u8,
    },
    /// Read repair sent the newest version to a stale replica.
    KvRepair {
        /// Key index.
        key: u8,
        /// The stale replica.
        to: NodeIx,
    },
}

impl KvEv {
    fn kind(&self) -> &'static str {
        match self {
            KvEv::KvOp { .. } => "kv_op",
            KvEv::KvPromote { .. } => "kv_promote",
            KvEv::KvFollow { .. } => "kv_follow",
            KvEv::KvDiscard { .. } => "kv_discard",
            KvEv::KvRefuse { .. } => "kv_refuse",
            KvEv::KvElect { .. } => "kv_elect",
            KvEv::KvHint { .. } => "kv_hint",
            KvEv::KvHandoff { .. } => "kv_handoff",
            KvEv::KvHintExpired { .. } => "kv_hint_expired",
            KvEv::KvLwwDrop { .. } => "kv_lww_drop",
            KvEv::KvRepair { .. } => "kv_repair",
            KvEv::KvStream { .. } => "kv_stream",
            KvEv::KvStreamRetry { .. } => "kv_stream_retry",
            KvEv::KvSiblings { .. } => "kv_siblings",
            KvEv::KvResurrect { .. } => "kv_resurrect",
        }
    }

    fn words(&self, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
        match self {
            KvEv::KvOp {
                op,
                phase,
                f,
                key,
                value,
                expect,
                ..
            } => {
                let what = match f {
                    OpF::Read => format!("read k{key}"),
                    OpF::Write => format!("write k{key}={}", show(*value)),
                    OpF::Cas => format!("cas k{key} {}→{}", show(*expect), show(*value)),
                };
                match phase {
                    Phase::Invoke => format!("{at} invokes #{op}: {what}"),
                    Phase::Ok if *f == OpF::Read => {
                        format!("{at} #{op} ok: k{key} = {}", show(*value))
                    }
                    Phase::Ok => format!("{at} #{op} acknowledged: {what}"),
                    Phase::Fail => format!("{at} #{op} failed: {what}"),
                    Phase::Info => format!("{at} #{op} timed out, outcome unknown: {what}"),
                }
            }
            KvEv::KvPromote {
                epoch,
                votes,
                shard,
            } => {
                format!(
                    "{at} is promoted to primary of {}epoch {epoch} ({votes} votes)",
                    of_shard(*shard)
                )
            }
            KvEv::KvFollow {
                epoch,
                primary,
                was_primary,
                shard,
            } => {
                if *was_primary {
                    format!(
                        "{at}, a primary, learns {} leads {}epoch {epoch}: demoted, resyncing",
                        name(*primary),
                        of_shard(*shard)
                    )
                } else {
                    format!(
                        "{at} follows {} ({}epoch {epoch})",
                        name(*primary),
                        of_shard(*shard)
                    )
                }
            }
            KvEv::KvDiscard { key, lost, kept } => format!(
                "{at} resync: k{key} {} discarded for {}",
                show(*lost),
                show(*kept)
            ),
            KvEv::KvRefuse {
                theirs,
                mine,
                shard,
            } => {
                let s = of_shard(*shard);
                format!("{at} refuses {s}epoch {theirs} (it is in epoch {mine})")
            }
            KvEv::KvElect { epoch, shard } => format!(
                "{at} calls an election for {}epoch {epoch}",
                of_shard(*shard)
            ),
            KvEv::KvHint { key, owner } => {
                format!("{at} stores k{key} with a hint for {}", name(*owner))
            }
            KvEv::KvHandoff { key, owner } => {
                format!("{at} hands k{key} back to {}", name(*owner))
            }
            KvEv::KvHintExpired { key, owner, value } => format!(
                "{at}'s hint for {} (k{key}={}) expired",
                name(*owner),
                show(*value)
            ),
            KvEv::KvLwwDrop { key, value, kept } => format!(
                "{at} drops k{key}={}: older timestamp than {}",
                show(*value),
                show(*kept)
            ),
            KvEv::KvRepair { key, to } => format!("{at} repairs k{key} on {}", name(*to)),
            KvEv::KvStream { to, keys, siblings } => format!(
                "{at} streams {keys} key{}{} to {}, a replica of them since the ring changed",
                if *keys == 1 { "" } else { "s" },
                if *siblings > 0 {
                    format!(" ({siblings} sibling versions)")
                } else {
                    String::new()
                },
                name(*to)
            ),
            KvEv::KvStreamRetry { to, batch, parts } => format!(
                "{at} re-sends {parts} unacknowledged part{} of stream batch #{batch} to {}",
                if *parts == 1 { "" } else { "s" },
                name(*to)
            ),
            KvEv::KvSiblings { key, count } => {
                format!("{at} finds {count} concurrent versions of k{key} and merges them")
            }
            KvEv::KvResurrect { key, item } => {
                format!("{at} sees item {item} back in cart k{key} after removing it")
            }
        }
    }
}

/// One write as the clients saw it: when it was invoked and acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteSeen {
    /// Key index.
    pub key: u8,
    /// Virtual time of the invoke.
    pub invoked: Time,
    /// Virtual time of the ok, if acknowledged.
    pub acked: Option<Time>,
}

/// World-wide bookkeeping: the history, the write genealogy lost writes are judged by, and
/// counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KvShared {
    /// Next value a client writes (values are unique, increasing in invoke order).
    pub next_value: i64,
    /// Every client event, in trace order (the history the checker reads).
    pub history: Vec<history::Event>,
    /// Each written value's invoke and ack times.
    pub writes: BTreeMap<i64, WriteSeen>,
    /// Primary mode: the value each write overwrote at the primary that accepted it.
    pub parent: BTreeMap<i64, Option<i64>>,
    /// Primary mode, per key: the version held by the primary of the newest epoch (what
    /// survives a resync).
    pub latest: [Option<Cell>; MAX_KEYS],
    /// Per shard, the newest epoch a primary was promoted in.
    pub top_epoch: [u32; MAX_KEYS],
    /// Primary mode with shards: each shard's servers (primary first, then its ring
    /// successors), placed once on the initial ring. Empty with one shard (every server).
    pub groups: Vec<Vec<NodeIx>>,
    /// Dynamo: values some replica stored as its own data (not only as a hint).
    pub applied: BTreeSet<i64>,
    /// Dynamo: for a value some replica dropped, the values whose newer stamp beat it.
    pub beaten_by: BTreeMap<i64, BTreeSet<i64>>,
    /// Reads (client, op) that returned a value older than an acknowledged write.
    pub stale: BTreeSet<(NodeIx, u32)>,
    /// Counters.
    pub stats: KvStats,
    /// The clients run the cart workload (values are item sets, not unique: lost writes and
    /// stale reads are not judged).
    pub cart: bool,
}

/// Counters in the run summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KvStats {
    /// Operations invoked.
    pub ops: u64,
    /// Completed ok.
    pub ok: u64,
    /// Certainly failed.
    pub fail: u64,
    /// Timed out (unknown).
    pub info: u64,
    /// Messages sent.
    pub messages: u64,
    /// Promotions.
    pub promotions: u64,
    /// Demoted primaries.
    pub demotions: u64,
    /// Key versions discarded by resync.
    pub discarded: u64,
    /// Refusals of an old epoch.
    pub refused: u64,
    /// Hints stored.
    pub hints: u64,
    /// Hints handed back.
    pub handoffs: u64,
    /// Hints expired.
    pub hints_expired: u64,
    /// Read repairs.
    pub repairs: u64,
    /// Writes dropped by last-writer-wins.
    pub lww_drops: u64,
    /// Reads that merged more than one sibling.
    pub siblings: u64,
    /// Cart reads with a removed item back.
    pub resurrected: u64,
    /// Keys streamed to new replicas after membership changes.
    pub streamed: u64,
    /// Batches they went in.
    pub stream_batches: u64,
    /// Version vectors: sibling versions streamed (in the summary in Dynamo mode).
    #[serde(skip)]
    pub streamed_siblings: u64,
    /// Stream batches re-sent because parts were not acknowledged in time (in the summary
    /// in Dynamo mode).
    #[serde(skip)]
    pub stream_retries: u64,
    /// Primary mode with shards: promotions per shard.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub promotions_by_shard: Vec<u64>,
}

/// The history key of key index `k`.
pub fn key_name(k: u8) -> String {
    format!("k{k}")
}

impl KvShared {
    pub(crate) fn observe(&mut self, node: NodeIx, t: Time, ev: &KvEv) {
        let s = &mut self.stats;
        let KvEv::KvOp {
            op,
            phase,
            f,
            key,
            value,
            expect,
            ..
        } = ev
        else {
            match ev {
                KvEv::KvPromote { shard, .. } => {
                    s.promotions += 1;
                    if let Some(sh) = shard {
                        let i = *sh as usize;
                        if s.promotions_by_shard.len() <= i {
                            s.promotions_by_shard.resize(i + 1, 0);
                        }
                        s.promotions_by_shard[i] += 1;
                    }
                }
                KvEv::KvFollow {
                    was_primary: true, ..
                } => s.demotions += 1,
                KvEv::KvDiscard { .. } => s.discarded += 1,
                KvEv::KvRefuse { .. } => s.refused += 1,
                KvEv::KvHint { .. } => s.hints += 1,
                KvEv::KvHandoff { .. } => s.handoffs += 1,
                KvEv::KvHintExpired { .. } => s.hints_expired += 1,
                KvEv::KvRepair { .. } => s.repairs += 1,
                KvEv::KvLwwDrop { .. } => s.lww_drops += 1,
                KvEv::KvSiblings { .. } => s.siblings += 1,
                KvEv::KvResurrect { .. } => s.resurrected += 1,
                KvEv::KvStream { keys, siblings, .. } => {
                    s.stream_batches += 1;
                    s.streamed += *keys as u64;
                    s.streamed_siblings += *siblings as u64;
                }
                KvEv::KvStreamRetry { .. } => s.stream_retries += 1,
                _ => {}
            }
            return;
        };
        let kind = match phase {
            Phase::Invoke => Kind::Invoke,
            Phase::Ok => Kind::Ok,
            Phase::Fail => Kind::Fail,
            Phase::Info => Kind::Info,
        };
        match phase {
            Phase::Invoke => s.ops += 1,
            Phase::Ok => s.ok += 1,
            Phase::Fail => s.fail += 1,
            Phase::Info => s.info += 1,
        }
        let opt = |v: &Option<i64>| v.map_or(Val::Nil, Val::Int);
        let hv = match (f, phase) {
            (OpF::Read, Phase::Ok) => opt(value),
            (OpF::Read, _) => Val::Nil,
            (OpF::Write, _) => opt(value),
            (OpF::Cas, _) => Val::List(vec![opt(expect), opt(value)]),
        };
        self.history.push(history::Event {
            process: node as u64,
            kind,
            f: f.f(),
            key: Some(key_name(*key)),
            value: hv,
            time: Some(t),
        });
        if self.cart {
            return;
        }
        match (f, phase, value) {
            (OpF::Write | OpF::Cas, Phase::Invoke, Some(v)) => {
                self.writes.insert(
                    *v,
                    WriteSeen {
                        key: *key,
                        invoked: t,
                        acked: None,
                    },
                );
            }
            (OpF::Write | OpF::Cas, Phase::Ok, Some(v)) => {
                if let Some(w) = self.writes.get_mut(v) {
                    w.acked = Some(t);
                }
            }
            (OpF::Read, Phase::Ok, _) => {
                let invoked = self
                    .history
                    .iter()
                    .rev()
                    .find(|e| e.process == node as u64 && e.kind == Kind::Invoke)
                    .and_then(|e| e.time)
                    .unwrap_or(t);
                if self.is_stale(*key, *value, invoked) {
                    self.stale.insert((node, *op));
                }
            }
            _ => {}
        }
    }

    /// A read of `key` invoked at `invoked` returning `got` is stale when some write of the
    /// key was acknowledged before the read began and invoked after `got`'s write was
    /// acknowledged (or `got` is the initial nil): every legal order puts it after `got`.
    fn is_stale(&self, key: u8, got: Option<i64>, invoked: Time) -> bool {
        let floor = match got {
            None => None,
            Some(v) => match self.writes.get(&v) {
                Some(w) => match w.acked {
                    Some(a) => Some(a),
                    None => return false,
                },
                None => return false,
            },
        };
        self.writes.iter().any(|(v, w)| {
            w.key == key
                && Some(*v) != got
                && w.acked.is_some_and(|a| a < invoked)
                && floor.is_none_or(|f| w.invoked > f)
        })
    }

    fn beaten_only_by_older(&self, v: i64, w: &WriteSeen) -> bool {
        self.beaten_by.get(&v).is_none_or(|b| {
            b.iter().all(|k| {
                self.writes
                    .get(k)
                    .and_then(|x| x.acked)
                    .is_some_and(|a| a < w.invoked)
            })
        })
    }

    /// A primary of `epoch` of `shard` accepted a client's write of `cell` over `prev`.
    pub(crate) fn note_write(
        &mut self,
        shard: usize,
        epoch: u32,
        key: u8,
        cell: Cell,
        prev: Option<i64>,
    ) {
        if let Some(v) = cell.val {
            self.parent.insert(v, prev);
        }
        if self.top_epoch.get(shard).is_some_and(|&t| epoch >= t) {
            if let Some(l) = self.latest.get_mut(key as usize) {
                *l = Some(cell);
            }
        }
    }

    /// A primary of `shard` (its keys a bit each) was promoted in `epoch` holding `cells`.
    pub(crate) fn note_promote(
        &mut self,
        shard: usize,
        keys: u8,
        epoch: u32,
        cells: &[Cell; MAX_KEYS],
    ) {
        let Some(top) = self.top_epoch.get_mut(shard) else {
            return;
        };
        if epoch >= *top {
            *top = epoch;
            for (k, c) in cells.iter().enumerate() {
                if keys & (1 << k) != 0 {
                    self.latest[k] = Some(*c);
                }
            }
        }
    }

    /// Acknowledged writes no longer part of any key's surviving state, with their key:
    /// primary mode, writes not in the genealogy of the key's newest version; Dynamo,
    /// writes no replica ever stored, beaten only by versions acknowledged before they
    /// began (so not a concurrent write winning, but a later write losing to a clock).
    pub fn lost(&self, dynamo: bool) -> Vec<(u8, i64)> {
        let mut survive = BTreeSet::new();
        if !dynamo {
            for c in self.latest.iter().flatten() {
                let mut cur = c.val;
                while let Some(v) = cur {
                    if !survive.insert(v) {
                        break;
                    }
                    cur = self.parent.get(&v).copied().flatten();
                }
            }
        }
        self.writes
            .iter()
            .filter(|(v, w)| {
                w.acked.is_some()
                    && if dynamo {
                        !self.applied.contains(v) && self.beaten_only_by_older(**v, w)
                    } else {
                        !survive.contains(v)
                    }
            })
            .map(|(v, w)| (w.key, *v))
            .collect()
    }
}
