//! Flash-sale settings of a scenario (`protocols.stock`): how many units of which SKU, how
//! many buyers arrive and how, and which concurrency-control strategy they use, with the
//! retry policy's parameters for the optimistic one.

use serde::{Deserialize, Serialize};

use crate::sim::ids::ResKey;
use crate::sim::json_read::{fail, Obj, R};

/// Most buyers in one run (each keeps a small state on its client node).
pub const MAX_BUYERS: u32 = 10_000;
/// Most buckets (shards) the SKU may be split into.
pub const MAX_BUCKETS: u32 = 16;
/// Largest stock.
pub const MAX_STOCK: i64 = 1_000_000_000;
/// Longest duration field (one hour, like a run).
pub const MAX_MS: u64 = 3_600_000;

/// How a buyer keeps two buyers from selling the same unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Read, check, write `stock − units`: nothing stops two buyers reading the same stock.
    None,
    /// `SELECT … FOR UPDATE`: the shard's own row lock, waiters queue FIFO.
    RowLock,
    /// The lock manager of `protocols.locks` (any recipe, fencing on or off): each buyer is
    /// a `lock_job` on a lock client, decrementing the storage service's counter.
    LockManager,
    /// Read the row with its version, compare-and-set on the version, retry on conflict.
    Optimistic,
    /// `UPDATE … SET stock = stock − n WHERE stock ≥ n` on the shard: one round trip.
    Atomic,
}

impl Strategy {
    /// The names scenario files use, in declaration order.
    pub const NAMES: &'static [&'static str] =
        &["none", "row_lock", "lock_manager", "optimistic", "atomic"];
    const ALL: [Strategy; 5] = [
        Strategy::None,
        Strategy::RowLock,
        Strategy::LockManager,
        Strategy::Optimistic,
        Strategy::Atomic,
    ];

    /// The strategy's name as written in a scenario.
    pub fn name(self) -> &'static str {
        Self::NAMES[Self::ALL.iter().position(|s| *s == self).unwrap_or(0)]
    }

    /// The strategy called `name`.
    pub fn from_name(name: &str) -> Option<Strategy> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Self::ALL[i])
    }
}

/// How long an optimistic buyer sleeps before retrying after a conflict (the AWS
/// Architecture Blog's "Exponential Backoff and Jitter" policies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Retry at once.
    None,
    /// `min(cap, base · 2^attempt)`.
    Expo,
    /// `U(0, min(cap, base · 2^attempt))`.
    FullJitter,
    /// `t/2 + U(0, t/2)` with `t = min(cap, base · 2^attempt)`.
    EqualJitter,
    /// `min(cap, U(base, 3 · previous sleep))`, starting from `base`.
    Decorrelated,
}

impl Policy {
    /// The names scenario files (and the CLI) use.
    pub const NAMES: &'static [&'static str] = &[
        "none",
        "expo",
        "full_jitter",
        "equal_jitter",
        "decorrelated",
    ];
    /// Every policy, in [`Policy::NAMES`] order.
    pub const ALL: [Policy; 5] = [
        Policy::None,
        Policy::Expo,
        Policy::FullJitter,
        Policy::EqualJitter,
        Policy::Decorrelated,
    ];

    /// The policy's name (snake_case).
    pub fn name(self) -> &'static str {
        Self::NAMES[Self::ALL.iter().position(|p| *p == self).unwrap_or(0)]
    }

    /// The policy called `name` (`full-jitter` and `full_jitter` alike).
    pub fn from_name(name: &str) -> Option<Policy> {
        let n = name.replace('-', "_");
        Self::NAMES
            .iter()
            .position(|x| *x == n)
            .map(|i| Self::ALL[i])
    }
}

/// How buyers arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Everyone at `start_ms` (the sale opens).
    Burst,
    /// A Poisson process of `rate_per_s` from `start_ms`.
    Poisson,
}

/// `protocols.stock`: see docs/inventory.md for every field. (The hand reader requires
/// `strategy`; the serde derive, kept for native tools, defaults every field.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StockCfg {
    /// The strategy every buyer uses.
    pub strategy: Strategy,
    /// The SKU (its bucket keys are `SKU/0`, `SKU/1`, … when split).
    pub sku: ResKey,
    /// Units on sale, K.
    pub stock: i64,
    /// Buckets the stock is split into, each on the shard the ring assigns its key.
    pub buckets: u32,
    /// Buyers, N, spread over the cluster's clients.
    pub buyers: u32,
    /// Units each buyer wants.
    pub units: u32,
    /// Burst or Poisson arrivals.
    pub arrival: Arrival,
    /// Poisson rate (buyers per second).
    pub rate_per_s: u64,
    /// When the sale opens (virtual ms).
    pub start_ms: u64,
    /// Burst: buyer `i` arrives at `start_ms + i · gap_ms` (0: all at once), so a lesson
    /// can say which buyer comes first.
    pub gap_ms: u64,
    /// Time a buyer spends between reading and writing (local ms; the race window).
    pub work_ms: u64,
    /// Optimistic retry policy.
    pub policy: Policy,
    /// Backoff base (ms).
    pub base_ms: u64,
    /// Backoff cap (ms).
    pub cap_ms: u64,
    /// Most retries per buyer before it gives up (`None`: unlimited).
    pub retry_budget: Option<u32>,
    /// A buyer gives up when no answer comes within this (local ms).
    pub timeout_ms: u64,
    /// Row lock: the shard rolls back a holder's transaction after this (local ms).
    pub txn_timeout_ms: u64,
    /// Extra one-way delay per message drawn from |N(mean, sd)| (0: the network alone),
    /// the AWS experiment's delay model.
    pub delay_mean_ms: u64,
    /// Standard deviation of that delay.
    pub delay_sd_ms: u64,
    /// Lock manager: the lock client's `wait_ms` (how long a job queues for the lock).
    pub wait_ms: u64,
}

impl Default for StockCfg {
    fn default() -> Self {
        StockCfg {
            strategy: Strategy::None,
            sku: ResKey::new("sku:1").unwrap_or_else(|_| unreachable!()),
            stock: 10,
            buckets: 1,
            buyers: 20,
            units: 1,
            arrival: Arrival::Burst,
            rate_per_s: 100,
            start_ms: 100,
            gap_ms: 0,
            work_ms: 5,
            policy: Policy::None,
            base_ms: 5,
            cap_ms: 2_000,
            retry_budget: None,
            timeout_ms: 10_000,
            txn_timeout_ms: 1_000,
            delay_mean_ms: 0,
            delay_sd_ms: 0,
            wait_ms: 30_000,
        }
    }
}

impl StockCfg {
    /// The key of bucket `b` (the SKU itself when it is not split).
    pub fn bucket_key(&self, b: u32) -> ResKey {
        if self.buckets <= 1 {
            return self.sku;
        }
        ResKey::new(&format!("{}/{b}", self.sku)).unwrap_or(self.sku)
    }

    /// Initial stock of bucket `b`: K split as evenly as possible.
    pub fn bucket_stock(&self, b: u32) -> i64 {
        let n = i64::from(self.buckets.max(1));
        self.stock / n + i64::from(i64::from(b) < self.stock % n)
    }
}

/// Reads `protocols.stock`.
pub(crate) fn read(mut o: Obj) -> R<StockCfg> {
    let d = StockCfg::default();
    let strategy = match o.pick("strategy", Strategy::NAMES)? {
        Some(i) => Strategy::ALL[i],
        None => return fail(&o.at("strategy"), "missing"),
    };
    let sku = match o.opt("sku") {
        None => d.sku,
        Some((p, v)) => {
            let s = crate::sim::json_read::text(&p, v)?;
            match ResKey::new(&s) {
                Ok(k) if s.len() <= 12 => k,
                Ok(_) => return fail(&p, "at most 12 bytes (bucket keys add a suffix)"),
                Err(e) => return fail(&p, e),
            }
        }
    };
    let stock = o.u64_or("stock", d.stock as u64)?;
    if stock as i64 > MAX_STOCK || stock > MAX_STOCK as u64 {
        return fail(&o.at("stock"), format!("at most {MAX_STOCK}, got {stock}"));
    }
    let policy = o
        .pick("policy", Policy::NAMES)?
        .map_or(d.policy, |i| Policy::ALL[i]);
    let arrival = o
        .pick("arrival", &["burst", "poisson"])?
        .map_or(d.arrival, |i| [Arrival::Burst, Arrival::Poisson][i]);
    let cfg = StockCfg {
        strategy,
        sku,
        stock: stock as i64,
        buckets: o.u32_or("buckets", d.buckets)?,
        buyers: o.u32_or("buyers", d.buyers)?,
        units: o.u32_or("units", d.units)?,
        arrival,
        rate_per_s: o.u64_or("rate_per_s", d.rate_per_s)?,
        start_ms: o.u64_or("start_ms", d.start_ms)?,
        gap_ms: o.u64_or("gap_ms", d.gap_ms)?,
        work_ms: o.u64_or("work_ms", d.work_ms)?,
        policy,
        base_ms: o.u64_or("base_ms", d.base_ms)?,
        cap_ms: o.u64_or("cap_ms", d.cap_ms)?,
        retry_budget: o
            .opt_u64("retry_budget")?
            .map(|v| v.min(u32::MAX as u64) as u32),
        timeout_ms: o.u64_or("timeout_ms", d.timeout_ms)?,
        txn_timeout_ms: o.u64_or("txn_timeout_ms", d.txn_timeout_ms)?,
        delay_mean_ms: o.u64_or("delay_mean_ms", d.delay_mean_ms)?,
        delay_sd_ms: o.u64_or("delay_sd_ms", d.delay_sd_ms)?,
        wait_ms: o.u64_or("wait_ms", d.wait_ms)?,
    };
    o.done(
        "strategy, sku, stock, buckets, buyers, units, arrival, rate_per_s, start_ms, gap_ms, work_ms, \
         policy, base_ms, cap_ms, retry_budget, timeout_ms, txn_timeout_ms, delay_mean_ms, \
         delay_sd_ms, wait_ms",
    )?;
    Ok(cfg)
}

/// Checks the settings against the cluster: `Err((field, reason))`.
pub(crate) fn check(
    c: &StockCfg,
    servers: &[String],
    clients: &[String],
) -> Result<(), (String, String)> {
    let bad = |f: &str, m: String| Err((f.to_string(), m));
    if c.buyers == 0 || c.buyers > MAX_BUYERS {
        return bad(
            "buyers",
            format!("must be in 1..={MAX_BUYERS}, got {}", c.buyers),
        );
    }
    if c.buckets == 0 || c.buckets > MAX_BUCKETS {
        return bad(
            "buckets",
            format!("must be in 1..={MAX_BUCKETS}, got {}", c.buckets),
        );
    }
    if c.buckets as usize > servers.len() {
        return bad(
            "buckets",
            format!(
                "{} buckets need as many servers, the cluster has {}",
                c.buckets,
                servers.len()
            ),
        );
    }
    if c.units == 0 || c.units > 1_000 {
        return bad("units", format!("must be in 1..=1000, got {}", c.units));
    }
    if clients.is_empty() {
        return bad("", "buyers run on clients: cluster.clients is empty".into());
    }
    if c.arrival == Arrival::Poisson && !(1..=100_000).contains(&c.rate_per_s) {
        return bad(
            "rate_per_s",
            format!("must be in 1..=100000, got {}", c.rate_per_s),
        );
    }
    for (f, v) in [
        ("start_ms", c.start_ms),
        ("gap_ms", c.gap_ms),
        ("work_ms", c.work_ms),
        ("base_ms", c.base_ms),
        ("cap_ms", c.cap_ms),
        ("timeout_ms", c.timeout_ms),
        ("txn_timeout_ms", c.txn_timeout_ms),
        ("delay_mean_ms", c.delay_mean_ms),
        ("delay_sd_ms", c.delay_sd_ms),
        ("wait_ms", c.wait_ms),
    ] {
        if v > MAX_MS {
            return bad(f, format!("must be at most {MAX_MS}, got {v}"));
        }
    }
    if c.timeout_ms == 0 {
        return bad("timeout_ms", "must be at least 1".into());
    }
    if c.strategy == Strategy::LockManager && (c.units != 1 || c.buckets != 1) {
        return bad(
            "strategy",
            "lock_manager jobs take one unit of one key: units and buckets must be 1".into(),
        );
    }
    Ok(())
}
