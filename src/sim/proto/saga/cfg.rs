//! Saga settings of a scenario (`protocols.saga`): the orders, the rows they touch, how
//! messages leave a service (transactional outbox or dual write), how a service consumes them
//! (idempotent inbox or naive), whether reservations carry a semantic lock, and the step
//! failures to inject. Every field is described in docs/saga.md.

use serde::{Deserialize, Serialize};

use super::wire::Step;
use crate::sim::json_read::{fail, small, text, Obj, R};
use crate::sim::proto::log::cfg::{Assign, MqCfg};

/// Most orders in one run.
pub const MAX_ORDERS: u32 = 2_000;
/// Longest duration field (one hour, like a run).
pub const MAX_MS: u64 = 3_600_000;
/// Largest stock, balance, price or unit count.
pub const MAX_AMOUNT: u64 = 1_000_000_000;

/// Who drives the steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A coordinator (the orchestrator) sends each command and logs each answer.
    Orchestrated,
    /// No coordinator: each service reacts to the previous one's event on the log.
    Choreographed,
}

/// How a service's message leaves with its row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Publish {
    /// The row and an outbox row in one local transaction; a relay publishes the outbox and
    /// marks each row once the log has it (at least once: a relay crash republishes).
    Outbox,
    /// Commit the row, then send the message (no outbox): a crash in between, or a lost
    /// message, loses it for good.
    DualWrite,
}

/// How a service consumes a message the log delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consumer {
    /// An inbox of processed note ids, written in the same local transaction: a duplicate
    /// is acknowledged and ignored.
    Idempotent,
    /// Processes every delivery: a duplicate charge charges twice.
    Naive,
}

/// A step (or compensation) a failure is injected into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailAt {
    /// Out of stock.
    Reserve,
    /// Card declined.
    Charge,
    /// No carrier: the pivot fails, the saga compensates.
    Ship,
    /// The confirmation fails for now (retried).
    Confirm,
    /// The release fails for now (retried until it succeeds).
    Release,
    /// The refund fails for now (retried until it succeeds).
    Refund,
}

impl FailAt {
    /// Names as scenarios write them.
    pub const NAMES: &'static [&'static str] =
        &["reserve", "charge", "ship", "confirm", "release", "refund"];
    /// Every value, in [`FailAt::NAMES`] order.
    pub const ALL: [FailAt; 6] = [
        FailAt::Reserve,
        FailAt::Charge,
        FailAt::Ship,
        FailAt::Confirm,
        FailAt::Release,
        FailAt::Refund,
    ];

    /// The step and whether it is its compensation.
    pub fn step(self) -> (Step, bool) {
        match self {
            FailAt::Reserve => (Step::Reserve, false),
            FailAt::Charge => (Step::Charge, false),
            FailAt::Ship => (Step::Ship, false),
            FailAt::Confirm => (Step::Confirm, false),
            FailAt::Release => (Step::Reserve, true),
            FailAt::Refund => (Step::Charge, true),
        }
    }

    /// The value called `name`.
    pub fn from_name(name: &str) -> Option<FailAt> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Self::ALL[i])
    }
}

/// One injected failure: the first `times` tries of `step` for order `order` fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    /// The order.
    pub order: u32,
    /// Where it fails.
    pub step: FailAt,
    /// How many tries fail (forward steps before the pivot fail once for good).
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// `protocols.saga`: see docs/saga.md for every field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SagaCfg {
    /// Orchestrated or choreographed.
    pub mode: Mode,
    /// Transactional outbox or dual write.
    pub publish: Publish,
    /// Idempotent or naive consumers.
    pub consumer: Consumer,
    /// Reservations flag their row `pending`, and another order's reservation waits for
    /// the flag to clear instead of reading around it.
    pub semantic_lock: bool,
    /// How many orders the shop places.
    pub orders: u32,
    /// When the first order is placed (virtual ms).
    pub start_ms: u64,
    /// Order `i` is placed at `start_ms + i · gap_ms`.
    pub gap_ms: u64,
    /// SKUs (order `i` buys `sku:{i mod skus}`).
    pub skus: u32,
    /// Accounts (order `i` pays from `account:{i mod accounts}`).
    pub accounts: u32,
    /// Initial units of each SKU.
    pub stock: u64,
    /// Units each order buys.
    pub units: u64,
    /// Initial balance of each account.
    pub balance: u64,
    /// Price of one unit.
    pub price: u64,
    /// The node that runs the orchestrator: a client, or a server (which then also runs
    /// its services), as two-phase commit's coordinator does (default: the first client).
    pub orchestrator: Option<String>,
    /// How often an outbox relay polls (local ms).
    pub relay_ms: u64,
    /// A relay publishes a row again this long after the log's producer gave up on it
    /// (local ms).
    pub relay_retry_ms: u64,
    /// How long a crashed relay stays down before it restarts (local ms).
    pub relay_restart_ms: u64,
    /// A saga waits this long before retrying a step or a compensation (local ms).
    pub retry_ms: u64,
    /// Dual write: time between committing the row and sending the message (local ms).
    pub dual_write_gap_ms: u64,
    /// Failures to inject.
    pub failures: Vec<Failure>,
}

impl Default for SagaCfg {
    fn default() -> Self {
        SagaCfg {
            mode: Mode::Orchestrated,
            publish: Publish::Outbox,
            consumer: Consumer::Idempotent,
            semantic_lock: false,
            orders: 3,
            start_ms: 100,
            gap_ms: 200,
            skus: 1,
            accounts: 3,
            stock: 10,
            units: 1,
            balance: 100,
            price: 10,
            orchestrator: None,
            relay_ms: 10,
            relay_retry_ms: 150,
            relay_restart_ms: 100,
            retry_ms: 60,
            dual_write_gap_ms: 5,
            failures: Vec::new(),
        }
    }
}

impl SagaCfg {
    /// The SKU order `order` buys.
    pub fn sku_of(&self, order: u32) -> u32 {
        order % self.skus.max(1)
    }

    /// The account order `order` pays from.
    pub fn acct_of(&self, order: u32) -> u32 {
        order % self.accounts.max(1)
    }

    /// What order `order` pays.
    pub fn amount(&self) -> i64 {
        (self.units * self.price) as i64
    }

    /// Units in stock at the start, over every SKU.
    pub fn initial_stock(&self) -> i64 {
        self.stock as i64 * i64::from(self.skus)
    }

    /// Money at the start, over every account.
    pub fn initial_money(&self) -> i64 {
        self.balance as i64 * i64::from(self.accounts)
    }
}

fn failure(p: &str, v: serde_json::Value) -> R<Failure> {
    let mut o = Obj::new(p, v)?;
    let order = match o.opt("order") {
        Some((p, v)) => small(&p, &v)?,
        None => return fail(&o.at("order"), "missing"),
    };
    let step = match o.opt("step") {
        Some((p, v)) => {
            let s = text(&p, v)?;
            match FailAt::from_name(&s) {
                Some(f) => f,
                None => {
                    return fail(
                        &p,
                        format!(
                            "unknown value \"{s}\" (one of: {})",
                            FailAt::NAMES.join(", ")
                        ),
                    )
                }
            }
        }
        None => return fail(&o.at("step"), "missing"),
    };
    let times = o.u32_or("times", 1)?;
    o.done("order, step, times")?;
    Ok(Failure { order, step, times })
}

/// Reads `protocols.saga`.
pub(crate) fn read(mut o: Obj) -> R<SagaCfg> {
    let d = SagaCfg::default();
    let mode = o
        .pick("mode", &["orchestrated", "choreographed"])?
        .map_or(d.mode, |i| [Mode::Orchestrated, Mode::Choreographed][i]);
    let publish = o
        .pick("publish", &["outbox", "dual_write"])?
        .map_or(d.publish, |i| [Publish::Outbox, Publish::DualWrite][i]);
    let consumer = o
        .pick("consumer", &["idempotent", "naive"])?
        .map_or(d.consumer, |i| [Consumer::Idempotent, Consumer::Naive][i]);
    let name = |o: &mut Obj, k: &str| -> R<Option<String>> {
        o.opt(k).map(|(p, v)| text(&p, v)).transpose()
    };
    let orchestrator = name(&mut o, "orchestrator")?;
    let cfg = SagaCfg {
        mode,
        publish,
        consumer,
        semantic_lock: o.bool_or("semantic_lock", d.semantic_lock)?,
        orders: o.u32_or("orders", d.orders)?,
        start_ms: o.u64_or("start_ms", d.start_ms)?,
        gap_ms: o.u64_or("gap_ms", d.gap_ms)?,
        skus: o.u32_or("skus", d.skus)?,
        accounts: o.u32_or("accounts", d.accounts)?,
        stock: o.u64_or("stock", d.stock)?,
        units: o.u64_or("units", d.units)?,
        balance: o.u64_or("balance", d.balance)?,
        price: o.u64_or("price", d.price)?,
        orchestrator,
        relay_ms: o.u64_or("relay_ms", d.relay_ms)?,
        relay_retry_ms: o.u64_or("relay_retry_ms", d.relay_retry_ms)?,
        relay_restart_ms: o.u64_or("relay_restart_ms", d.relay_restart_ms)?,
        retry_ms: o.u64_or("retry_ms", d.retry_ms)?,
        dual_write_gap_ms: o.u64_or("dual_write_gap_ms", d.dual_write_gap_ms)?,
        failures: o.list("failures", failure)?,
    };
    o.done(
        "mode, publish, consumer, semantic_lock, orders, start_ms, gap_ms, skus, accounts, \
         stock, units, balance, price, orchestrator, relay_ms, relay_retry_ms, \
         relay_restart_ms, retry_ms, dual_write_gap_ms, failures",
    )?;
    Ok(cfg)
}

/// Checks the settings against the cluster: `Err((field, reason))`.
pub(crate) fn check(
    c: &SagaCfg,
    servers: &[String],
    clients: &[String],
) -> Result<(), (String, String)> {
    let bad = |f: &str, m: String| Err((f.to_string(), m));
    if c.orders == 0 || c.orders > MAX_ORDERS {
        return bad(
            "orders",
            format!("must be in 1..={MAX_ORDERS}, got {}", c.orders),
        );
    }
    for (f, v) in [("skus", c.skus), ("accounts", c.accounts)] {
        if !(1..=1_000).contains(&v) {
            return bad(f, format!("must be in 1..=1000, got {v}"));
        }
    }
    for (f, v) in [
        ("stock", c.stock),
        ("units", c.units),
        ("balance", c.balance),
        ("price", c.price),
    ] {
        if v > MAX_AMOUNT {
            return bad(f, format!("must be at most {MAX_AMOUNT}, got {v}"));
        }
    }
    if c.units == 0 {
        return bad("units", "must be at least 1".into());
    }
    if c.units.saturating_mul(c.price) > MAX_AMOUNT {
        return bad("price", "units · price must be at most 1000000000".into());
    }
    for (f, v) in [
        ("start_ms", c.start_ms),
        ("gap_ms", c.gap_ms),
        ("relay_ms", c.relay_ms),
        ("relay_retry_ms", c.relay_retry_ms),
        ("relay_restart_ms", c.relay_restart_ms),
        ("retry_ms", c.retry_ms),
        ("dual_write_gap_ms", c.dual_write_gap_ms),
    ] {
        if v > MAX_MS {
            return bad(f, format!("must be at most {MAX_MS}, got {v}"));
        }
    }
    for (f, v) in [
        ("relay_ms", c.relay_ms),
        ("relay_retry_ms", c.relay_retry_ms),
        ("retry_ms", c.retry_ms),
    ] {
        if v == 0 {
            return bad(f, "must be at least 1".into());
        }
    }
    if servers.is_empty() {
        return bad(
            "",
            "the saga's services run on servers: there are none".into(),
        );
    }
    if c.mode == Mode::Orchestrated {
        match &c.orchestrator {
            Some(n) if !clients.contains(n) && !servers.contains(n) => {
                return bad("orchestrator", format!("\"{n}\" is not a node"));
            }
            None if clients.is_empty() => {
                return bad(
                    "",
                    "the orchestrator runs on a client: cluster.clients is empty".into(),
                );
            }
            _ => {}
        }
    }
    for (i, f) in c.failures.iter().enumerate() {
        if f.order >= c.orders {
            return bad(
                &format!("failures[{i}].order"),
                format!("there are {} orders (0..{})", c.orders, c.orders),
            );
        }
        if f.times > 1_000 {
            return bad(
                &format!("failures[{i}].times"),
                format!("must be at most 1000, got {}", f.times),
            );
        }
    }
    Ok(())
}

/// Checks the message log's section against the saga that runs on it: there is one, its
/// assignor is `pinned`, and every node with a part in the saga (each server's services and
/// the orchestrator's node) is a consumer of its own partition. Without this a left-out node's
/// notes were never read and its sagas never settled, with no word why. `Err((path under
/// protocols, reason))`.
pub(crate) fn check_log(
    c: &SagaCfg,
    mq: Option<&MqCfg>,
    servers: &[String],
    clients: &[String],
) -> Result<(), (String, String)> {
    let bad = |f: &str, m: String| Err((f.to_string(), m));
    let Some(mq) = mq else {
        return bad(
            "saga",
            "the saga's notes travel on the message log: add a protocols.mq section \
             (docs/saga.md gives the one the bundled sagas use)"
                .into(),
        );
    };
    if mq.assignment != Assign::Pinned {
        return bad(
            "mq.assignment",
            "the saga's services each read their own partition: must be \"pinned\"".into(),
        );
    }
    let orchestrator = match (c.mode, &c.orchestrator) {
        (Mode::Choreographed, _) => None,
        (_, Some(n)) => Some(n),
        (_, None) => clients.first(),
    };
    let mut parts: Vec<&String> = servers.iter().collect();
    if let Some(o) = orchestrator.filter(|o| !servers.contains(o)) {
        parts.push(o);
    }
    for n in parts {
        match mq.consumers.iter().position(|m| m == n) {
            None => {
                return bad(
                    "mq.consumers",
                    format!(
                    "\"{n}\" takes part in the saga but is not listed: nobody would read its notes"
                ),
                )
            }
            Some(p) if p >= mq.partitions as usize => {
                return bad(
                    "mq.consumers",
                    format!(
                    "\"{n}\" is consumer {p}, but the log has partitions 0..{}: it would read none",
                    mq.partitions
                ),
                )
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The message log's section (`protocols.mq`) a saga over `nodes` (every server with a
/// service, and the orchestrator's node) runs on: a partition per node, each node's
/// partition read by its own consumer (the `pinned` assignor), every node a producer
/// (idempotent, acks=all), commits after processing (at least once). The bundled saga
/// scenarios carry this section with these values; docs/saga.md explains each.
pub fn log_section(nodes: &[&str]) -> String {
    let names: Vec<String> = nodes.iter().map(|n| format!("\"{n}\"")).collect();
    let list = names.join(",");
    format!(
        r#"{{"partitions":{},"rf":2,"min_isr":1,"acks":"all","idempotent":true,"producers":[{list}],"consumers":[{list}],"assignment":"pinned","rebalance":"cooperative","commit":"after","fetch_ms":10,"poll_ms":5,"process_ms":1,"heartbeat_ms":50,"session_timeout_ms":300,"request_timeout_ms":100,"retry_backoff_ms":20,"retries":1000,"replica_lag_ms":300}}"#,
        nodes.len()
    )
}
