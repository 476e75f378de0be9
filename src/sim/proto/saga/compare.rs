//! Saga versus two-phase commit on the same checkout workload and the same faults, the
//! saga both orchestrated and choreographed: the same orders (one unit of `sku:{i mod skus}` paid from `account:{i mod accounts}`, every
//! `declined_every`-th card declined), the same cluster, network and seed, and optionally
//! the same node (the 2PC coordinator, the saga's orchestrator, both on server A) down for
//! the same window (choreographed, A is one of the shards, with no coordinator to lose).
//! Each side is a scenario run on the engine; the figures come from its
//! trace and counters, so they are virtual time and do not depend on the machine.
//! The 2PC side (and so [`compare`]) needs `proto-tpc`: a page without it asks the job
//! worker for the comparison (`model::saga_compare`).

#[cfg(not(target_arch = "wasm32"))]
use serde::Serialize;

use crate::sim::event::What;
#[cfg(feature = "proto-tpc")]
use crate::sim::ids::NodeIx;
use crate::sim::proto::log::wire::MqMsg;
#[cfg(feature = "proto-tpc")]
use crate::sim::proto::tpc::event::{NoWhy, TpcEv};
use crate::sim::proto::{Payload, ProtoEv};
use crate::sim::runner;
use crate::sim::scenario::Scenario;
#[cfg(feature = "proto-tpc")]
use crate::sim::time::Time;

use super::{Mode, SagaEv};

/// The shared workload and faults.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Orders placed.
    pub orders: u32,
    /// Order `i` is placed at `100 + i · gap_ms`.
    pub gap_ms: u64,
    /// SKUs the orders spread over.
    pub skus: u32,
    /// Accounts the orders pay from.
    pub accounts: u32,
    /// Units of each SKU at the start.
    pub stock: u64,
    /// Every n-th order's card is declined (0: none).
    pub declined_every: u32,
    /// Server A (coordinator / orchestrator) down from `at` for `ms`, if set.
    pub crash: Option<(u64, u64)>,
    /// The seed of both runs.
    pub seed: u64,
    /// How long both run (virtual ms).
    pub until_ms: u64,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            orders: 40,
            gap_ms: 25,
            skus: 4,
            accounts: 8,
            stock: 20,
            declined_every: 5,
            crash: None,
            seed: 1,
            until_ms: 6_000,
        }
    }
}

/// One side's figures (serialisable for the CLI only: the browser tables them).
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(not(target_arch = "wasm32"), derive(Serialize))]
pub struct Figures {
    /// `2pc`, `saga` (orchestrated) or `saga-choreo` (choreographed).
    pub system: &'static str,
    /// Orders placed.
    pub orders: u64,
    /// Committed (2PC) or completed (saga).
    pub committed: u64,
    /// Aborted (2PC) or compensated (saga).
    pub aborted: u64,
    /// Not decided by the end of the run.
    pub undecided: u64,
    /// Messages on the wire per order (the saga: the log's messages carrying its records
    /// or their acknowledgements, not the log's idle polls and heartbeats).
    pub messages_per_order: f64,
    /// Mean time from placing an order to its decision (2PC) or to the saga's end, ms.
    pub mean_decision_ms: f64,
    /// Longest such time, ms.
    pub max_decision_ms: u64,
    /// Mean time stock is locked (2PC: a YES vote to the outcome, per participant) or
    /// reserved (saga: reserve to confirm or release), per order, ms.
    pub hold_ms_per_order: f64,
    /// Committed orders per second, from the first order to the last decision.
    pub throughput_per_s: f64,
    /// Orders refused because a row was locked by another order (2PC's no-wait locks).
    pub refused_locked: u64,
    /// Dirty reads (saga without a semantic lock).
    pub dirty_reads: u64,
    /// Compensations (saga) or heuristic decisions (2PC) retried or taken.
    pub retries: u64,
}

fn base(spec: &Spec, id: &str, protocols: &str, schedule: &[String]) -> String {
    format!(
        r#"{{"version":4,"id":"{id}","title":"{id}","seed":{},"cluster":{{"servers":["A","B","C","D"],"clients":["web"]}},"network":{{"base_ms":2,"jitter_ms":3}},"protocols":{protocols},"schedule":[{}],"until_ms":{}}}"#,
        spec.seed,
        schedule.join(","),
        spec.until_ms
    )
}

fn crash_cmds(spec: &Spec) -> Vec<String> {
    match spec.crash {
        Some((at, ms)) => vec![
            format!(r#"{{"at_ms":{at},"cmd":{{"op":"crash","node":"A"}}}}"#),
            format!(
                r#"{{"at_ms":{},"cmd":{{"op":"recover","node":"A"}}}}"#,
                at + ms
            ),
        ],
        None => Vec::new(),
    }
}

fn declined(spec: &Spec, i: u32) -> bool {
    spec.declined_every > 0 && i % spec.declined_every == spec.declined_every - 1
}

#[cfg(feature = "proto-tpc")]
fn keys(prefix: &str, n: u32, v: u64) -> String {
    let items: Vec<String> = (0..n).map(|i| format!(r#""{prefix}:{i}":{v}"#)).collect();
    format!("{{{}}}", items.join(","))
}

#[cfg(feature = "proto-tpc")]
/// The two-phase commit side as a scenario (JSON text): one `checkout` per order, A
/// coordinating.
pub fn tpc_scenario(spec: &Spec) -> String {
    let mut schedule: Vec<String> = (0..spec.orders)
        .map(|i| {
            format!(
                r#"{{"at_ms":{},"cmd":{{"op":"checkout","client":"web","items":[{{"sku":"sku:{}","qty":1}}],"account":"account:{}","amount":10,"fail_payment":{}}}}}"#,
                100 + u64::from(i) * spec.gap_ms,
                i % spec.skus.max(1),
                i % spec.accounts.max(1),
                declined(spec, i)
            )
        })
        .collect();
    schedule.extend(crash_cmds(spec));
    let protocols = format!(
        r#"{{"tpc":{{"coordinator":"A","stock":{},"balances":{}}}}}"#,
        keys("sku", spec.skus, spec.stock),
        keys("account", spec.accounts, 1_000)
    );
    base(spec, "compare-2pc", &protocols, &schedule)
}

/// The saga side as a scenario (JSON text): the same orders, orchestrated (the orchestrator
/// on A) or choreographed, over the message log on A–D.
pub fn saga_scenario(spec: &Spec, mode: Mode) -> String {
    let failures: Vec<String> = (0..spec.orders)
        .filter(|i| declined(spec, *i))
        .map(|i| format!(r#"{{"order":{i},"step":"charge"}}"#))
        .collect();
    let protocols = format!(
        r#"{{"saga":{{"mode":"{}","orders":{},"start_ms":100,"gap_ms":{},"skus":{},"accounts":{},"stock":{},"balance":1000,"price":10,"orchestrator":"A","failures":[{}]}},"mq":{}}}"#,
        match mode {
            Mode::Orchestrated => "orchestrated",
            Mode::Choreographed => "choreographed",
        },
        spec.orders,
        spec.gap_ms,
        spec.skus,
        spec.accounts,
        spec.stock,
        failures.join(","),
        super::cfg::log_section(&["A", "B", "C", "D"])
    );
    base(spec, "compare-saga", &protocols, &crash_cmds(spec))
}

fn decode(text: &str) -> Result<Scenario, String> {
    Scenario::decode(text.as_bytes()).map_err(|e| e.to_string())
}

fn per(n: f64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        (n / d as f64 * 10.0).round() / 10.0
    }
}

#[cfg(feature = "proto-tpc")]
/// A transaction as the comparison reads the trace: id, submitted at, the coordinator's
/// decision (when and whether commit), the last outcome a participant learned.
type TxRow = (u32, Time, Option<(Time, bool)>, Option<(Time, bool)>);

#[cfg(feature = "proto-tpc")]
/// Runs the 2PC side.
pub fn run_tpc(spec: &Spec) -> Result<Figures, String> {
    let s = decode(&tpc_scenario(spec))?;
    let tl = runner::play(&s, Some(spec.seed), s.until_ms)?;
    // Per transaction: (tx, submitted at, decided at and how); a transaction the
    // coordinator never decided in the trace (it learned the outcome on recovery and
    // answered inquiries) is decided when its last participant learned it.
    let mut txs: Vec<TxRow> = Vec::new();
    // Participants holding locks: (node, tx, since).
    let mut yes_at: Vec<(NodeIx, u32, Time)> = Vec::new();
    let (mut hold, mut refused) = (0u64, 0u64);
    for e in tl.trace() {
        let What::Proto(ProtoEv::Tpc(ev)) = &e.what else {
            continue;
        };
        let node = e.node.unwrap_or(0);
        let slot = |txs: &mut Vec<_>, tx: u32| -> usize {
            match txs.iter().position(|r: &TxRow| r.0 == tx) {
                Some(i) => i,
                None => {
                    txs.push((tx, e.t, None, None));
                    txs.len() - 1
                }
            }
        };
        match ev {
            TpcEv::OrderSubmit { tx, .. } => {
                let i = slot(&mut txs, *tx);
                txs[i].1 = e.t;
            }
            TpcEv::TpcDecide { tx, commit, .. } => {
                let i = slot(&mut txs, *tx);
                txs[i].2.get_or_insert((e.t, *commit));
            }
            TpcEv::TpcVote { tx, yes: true, .. } => yes_at.push((node, *tx, e.t)),
            TpcEv::TpcVote {
                why: Some(NoWhy::LockBusy),
                ..
            } => refused += 1,
            TpcEv::TpcCommit { tx, .. } | TpcEv::TpcAbort { tx, .. } => {
                let commit = matches!(ev, TpcEv::TpcCommit { .. });
                let i = slot(&mut txs, *tx);
                txs[i].3 = Some((e.t, commit));
                if let Some(k) = yes_at.iter().position(|y| y.0 == node && y.1 == *tx) {
                    hold += e.t.saturating_sub(yes_at.swap_remove(k).2);
                }
            }
            _ => {}
        }
    }
    // Still locked at the end: held until the end of the run.
    hold += yes_at
        .iter()
        .map(|y| s.until_ms.saturating_sub(y.2))
        .sum::<u64>();
    let decided: Vec<(Time, Time, bool)> = txs
        .iter()
        .filter_map(|(_, at, d, l)| d.or(*l).map(|(t, c)| (*at, t, c)))
        .collect();
    let submit: Vec<Time> = txs.iter().map(|r| r.1).collect();
    let times: Vec<u64> = decided
        .iter()
        .map(|(a, t, _)| t.saturating_sub(*a))
        .collect();
    let committed = decided.iter().filter(|d| d.2).count() as u64;
    let orders = submit.len() as u64;
    let st = tl.world().tpc_stats();
    let first = submit.iter().min().copied().unwrap_or(0);
    let last = decided.iter().map(|d| d.1).max().unwrap_or(first);
    Ok(Figures {
        system: "2pc",
        orders,
        committed,
        aborted: decided.len() as u64 - committed,
        undecided: orders.saturating_sub(decided.len() as u64),
        messages_per_order: per(st.messages as f64, orders),
        mean_decision_ms: per(times.iter().sum::<u64>() as f64, times.len() as u64),
        max_decision_ms: times.iter().max().copied().unwrap_or(0),
        hold_ms_per_order: per(hold as f64, orders),
        throughput_per_s: per(committed as f64 * 1000.0, last.saturating_sub(first).max(1)),
        refused_locked: refused,
        dirty_reads: 0,
        retries: st.heuristic,
    })
}

/// Runs the saga side, orchestrated or choreographed.
pub fn run_saga(spec: &Spec, mode: Mode) -> Result<Figures, String> {
    let s = decode(&saga_scenario(spec, mode))?;
    let tl = runner::play(&s, Some(spec.seed), s.until_ms)?;
    let w = tl.world();
    let sh = w.saga();
    let st = &sh.stats;
    let mut first = None;
    let mut times = Vec::new();
    // The log's messages that carry the saga's records or their acknowledgements (produce
    // requests and answers, replication, fetch answers with records): its idle fetches,
    // polls and heartbeats run whether or not anyone orders, so they are not counted.
    let mq = w.mq();
    let app = |id: &u32| mq.msg(*id).is_some_and(|m| m.body.is_some());
    let mut carried = 0u64;
    for e in tl.trace() {
        if let What::Send {
            payload: Payload::Mq(m),
            ..
        } = &e.what
        {
            let carries = match m {
                MqMsg::Produce { id, .. } | MqMsg::ProduceResp { id, .. } => app(id),
                MqMsg::Entries { n, ids, .. } | MqMsg::Records { n, ids, .. } => {
                    ids[..(*n as usize).min(4)].iter().any(app)
                }
                _ => false,
            };
            carried += u64::from(carries);
        }
        match &e.what {
            What::Proto(ProtoEv::Saga(SagaEv::SagaStart { .. })) => {
                first.get_or_insert(e.t);
            }
            What::Proto(ProtoEv::Saga(SagaEv::SagaEnd { ms, .. })) => times.push(*ms),
            _ => {}
        }
    }
    // Units still reserved at the end count until the end of the run.
    let open_hold: u64 = sh
        .book
        .iter()
        .filter_map(|r| r.reserved_at)
        .map(|t| s.until_ms.saturating_sub(t))
        .sum();
    let first = first.unwrap_or(0);
    let orders = u64::from(st.sagas);
    let ended = u64::from(st.completed + st.compensated);
    Ok(Figures {
        system: match mode {
            Mode::Orchestrated => "saga",
            Mode::Choreographed => "saga-choreo",
        },
        orders,
        committed: u64::from(st.completed),
        aborted: u64::from(st.compensated),
        undecided: orders.saturating_sub(ended),
        messages_per_order: per(carried as f64, orders),
        mean_decision_ms: per(times.iter().sum::<u64>() as f64, times.len() as u64),
        max_decision_ms: times.iter().max().copied().unwrap_or(0),
        hold_ms_per_order: per((st.reserved_ms_sum + open_hold) as f64, orders),
        throughput_per_s: per(
            f64::from(st.completed) * 1000.0,
            st.last_end.saturating_sub(first).max(1),
        ),
        refused_locked: 0,
        dirty_reads: u64::from(st.dirty_reads),
        retries: u64::from(st.compensation_retries),
    })
}

#[cfg(feature = "proto-tpc")]
/// Every side on the same workload and faults: [2PC, orchestrated saga, choreographed saga].
pub fn compare(spec: &Spec) -> Result<[Figures; 3], String> {
    Ok([
        run_tpc(spec)?,
        run_saga(spec, Mode::Orchestrated)?,
        run_saga(spec, Mode::Choreographed)?,
    ])
}
