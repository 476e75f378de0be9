//! Flash-sale events (what the canvas, the charts, the counters and the invariants read) and
//! the run's counters. They flatten into the trace as `stock_*` kinds.

use serde::{Deserialize, Serialize};

use crate::sim::ids::NodeIx;
use crate::sim::time::Time;

/// What a shard did to a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// A blind write (no control or under the row lock).
    Write,
    /// A compare-and-set that matched.
    Cas,
    /// A conditional decrement.
    Decr,
}

/// Why a buyer stopped without buying or being told "sold out".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// No answer in time (a crashed shard, a partition, a long queue).
    Timeout,
    /// The optimistic retry budget ran out.
    Budget,
    /// Its row lock was taken away (transaction timeout) before it wrote.
    RolledBack,
}

/// Events of the flash sale (`node` of the event is where it happened).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StockEv {
    /// Client: buyer `buyer` arrives wanting `units`.
    StockArrive { buyer: u32, units: u32 },
    /// Shard: a write landed; the row now holds `stock` at `version`. `stock_total` and
    /// `taken_total` are the sums over every bucket right after it (for the invariants).
    StockRow {
        buyer: u32,
        bucket: u32,
        op: Op,
        stock: i64,
        version: u64,
        stock_total: i64,
        taken_total: i64,
    },
    /// Shard: buyer `buyer` waits for the row lock at `position`.
    StockQueued {
        buyer: u32,
        bucket: u32,
        position: u32,
    },
    /// Shard: the row lock's holder ran past the transaction timeout and was rolled back.
    StockRollback { buyer: u32, bucket: u32 },
    /// Client: a compare-and-set lost (attempt `attempt`).
    StockConflict { buyer: u32, attempt: u32 },
    /// Client: it sleeps `sleep_ms` before retry number `attempt`.
    StockRetry {
        buyer: u32,
        attempt: u32,
        sleep_ms: u64,
    },
    /// Client: the buyer got its units; `total` units are now promised to buyers.
    StockSold {
        buyer: u32,
        units: u32,
        total: i64,
        latency_ms: u64,
    },
    /// Client: told there is not enough stock.
    StockRefused { buyer: u32, latency_ms: u64 },
    /// Client: gave up.
    StockGaveUp {
        buyer: u32,
        why: Why,
        latency_ms: u64,
    },
}

impl StockEv {
    /// The stable `kind` string.
    pub fn kind(&self) -> &'static str {
        match self {
            StockEv::StockArrive { .. } => "stock_arrive",
            StockEv::StockRow { .. } => "stock_row",
            StockEv::StockQueued { .. } => "stock_queued",
            StockEv::StockRollback { .. } => "stock_rollback",
            StockEv::StockConflict { .. } => "stock_conflict",
            StockEv::StockRetry { .. } => "stock_retry",
            StockEv::StockSold { .. } => "stock_sold",
            StockEv::StockRefused { .. } => "stock_refused",
            StockEv::StockGaveUp { .. } => "stock_gave_up",
        }
    }

    /// The event in words (`at` is the node's name).
    pub fn describe(&self, at: &str) -> String {
        match self {
            StockEv::StockArrive { buyer, units } => {
                format!("buyer #{buyer} arrives at {at} wanting {units}")
            }
            StockEv::StockRow {
                buyer,
                bucket,
                op,
                stock,
                version,
                ..
            } => {
                let op = match op {
                    Op::Write => "write",
                    Op::Cas => "compare-and-set",
                    Op::Decr => "decrement",
                };
                format!("{at} applies buyer #{buyer}'s {op} on bucket {bucket}: stock {stock} (v{version})")
            }
            StockEv::StockQueued {
                buyer, position, ..
            } => format!("buyer #{buyer} waits for the row lock on {at} (position {position})"),
            StockEv::StockRollback { buyer, .. } => {
                format!("{at} rolls back buyer #{buyer}'s transaction (timeout), releasing the row lock")
            }
            StockEv::StockConflict { buyer, attempt } => {
                format!("buyer #{buyer}'s compare-and-set lost (attempt {attempt})")
            }
            StockEv::StockRetry {
                buyer,
                attempt,
                sleep_ms,
            } => format!("buyer #{buyer} sleeps {sleep_ms} ms before retry {attempt}"),
            StockEv::StockSold {
                buyer,
                units,
                total,
                latency_ms,
            } => format!(
                "buyer #{buyer} bought {units} after {latency_ms} ms ({total} promised in all)"
            ),
            StockEv::StockRefused { buyer, latency_ms } => {
                format!("buyer #{buyer} is told sold out after {latency_ms} ms")
            }
            StockEv::StockGaveUp {
                buyer,
                why,
                latency_ms,
            } => {
                let why = match why {
                    Why::Timeout => "no answer",
                    Why::Budget => "retry budget spent",
                    Why::RolledBack => "its transaction was rolled back",
                };
                format!("buyer #{buyer} gives up after {latency_ms} ms ({why})")
            }
        }
    }
}

/// Counters of one run, kept by the world as events happen (snapshots carry them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StockStats {
    /// Units promised to buyers.
    pub sold: i64,
    /// Orders told "sold out".
    pub refused: u64,
    /// Orders given up (timeout, budget, rollback).
    pub gave_up: u64,
    /// Requests buyers sent to shards.
    pub requests: u64,
    /// Write attempts (blind writes, CAS, decrements): the AWS experiment's "calls".
    pub calls: u64,
    /// Optimistic retries.
    pub retries: u64,
    /// Lost compare-and-sets.
    pub conflicts: u64,
    /// Buyers arrived.
    pub arrived: u64,
    /// Time spent queued for the row lock (virtual ms, summed).
    pub lock_wait_ms: u64,
    /// Latest virtual time a buyer finished (bought, refused or gave up).
    pub last_done: Time,
    /// Every finished order's latency (ms), in finishing order.
    #[serde(skip)]
    pub latencies: Vec<u32>,
    /// Stock per bucket as the shards last wrote it (seeded when the cluster is built).
    #[serde(skip)]
    pub stock: Vec<i64>,
    /// Units sold per bucket as the shards counted them.
    #[serde(skip)]
    pub taken: Vec<i64>,
    /// When each queued buyer started waiting (buyer, virtual ms).
    #[serde(skip)]
    pub queued_at: Vec<(u32, Time)>,
}

impl StockStats {
    /// Counts one event that happened at virtual time `now`.
    pub(crate) fn observe(&mut self, _node: NodeIx, now: Time, ev: &StockEv) {
        match ev {
            StockEv::StockArrive { .. } => self.arrived += 1,
            StockEv::StockQueued { buyer, .. } => {
                if !self.queued_at.iter().any(|(b, _)| b == buyer) {
                    self.queued_at.push((*buyer, now));
                }
            }
            StockEv::StockConflict { .. } => self.conflicts += 1,
            StockEv::StockRetry { .. } => self.retries += 1,
            StockEv::StockSold {
                units, latency_ms, ..
            } => {
                self.sold += i64::from(*units);
                self.finish(now, *latency_ms);
            }
            StockEv::StockRefused { latency_ms, .. } => {
                self.refused += 1;
                self.finish(now, *latency_ms);
            }
            StockEv::StockGaveUp { latency_ms, .. } => {
                self.gave_up += 1;
                self.finish(now, *latency_ms);
            }
            StockEv::StockRow { .. } | StockEv::StockRollback { .. } => {}
        }
    }

    /// A queued buyer got the row lock at `now`: its wait ends.
    pub(crate) fn unqueue(&mut self, buyer: u32, now: Time) {
        if let Some(i) = self.queued_at.iter().position(|(b, _)| *b == buyer) {
            let (_, t) = self.queued_at.swap_remove(i);
            self.lock_wait_ms += now.saturating_sub(t);
        }
    }

    fn finish(&mut self, now: Time, latency: u64) {
        self.last_done = self.last_done.max(now);
        self.latencies.push(latency.min(u64::from(u32::MAX)) as u32);
    }

    /// The `q`-quantile (0..=1) of finished orders' latencies, nearest rank.
    pub fn quantile(&self, q: f64) -> u64 {
        quantile(&self.latencies, q)
    }

    /// Units left over all buckets.
    pub fn stock_left(&self) -> i64 {
        self.stock.iter().sum()
    }
}

/// The `q`-quantile (nearest rank) of `xs`; 0 for none.
pub fn quantile(xs: &[u32], q: f64) -> u64 {
    if xs.is_empty() {
        return 0;
    }
    let mut v = xs.to_vec();
    crate::sim::sort::sort_by_u64(&mut v, |x| u64::from(*x));
    let rank = (q.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize;
    u64::from(v[rank.clamp(1, v.len()) - 1])
}
