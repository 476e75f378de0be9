//! Two-phase commit settings of a scenario (`protocols.tpc`): which variant, who
//! coordinates, the timeouts that decide when a node stops waiting, the initial stock and
//! balances the shards hold, the optional checkout workload, and the unsafe `heuristic`
//! switch whose damage the atomicity invariant must catch.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::super::locks::ResKey;

/// Longest timeout accepted (one hour, like a run).
pub const MAX_MS: u64 = 3_600_000;
/// Most keys with an initial stock or balance (every one becomes a row on some shard).
pub const MAX_ROWS: usize = 256;
/// Largest stock or balance either way: sums of many stay far from overflow.
pub const MAX_VALUE: i64 = 1_000_000_000_000;
/// Most lines (distinct SKUs) in one order: an order touches at most this + 2 keys.
pub const MAX_ITEMS: usize = 8;

/// Which commit protocol runs. They differ in which log writes are forced, which
/// messages are acknowledged and what an unknown transaction is presumed to have done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// Every decision forced and acknowledged; an unknown transaction was aborted.
    #[default]
    Classic,
    /// Aborts are neither logged by the coordinator nor acknowledged: no information
    /// means abort, so the common failure path costs nothing.
    PresumedAbort,
    /// The coordinator forces a "collecting" record before PREPARE; commits are not
    /// acknowledged and participants do not force them: no information means commit.
    PresumedCommit,
    /// PRE-COMMIT between the votes and the commit, so a participant that timed out can
    /// decide with its peers (non-blocking with crashes on a synchronous network; split
    /// decisions under partitions).
    ThreePhase,
}

impl Variant {
    /// Whether the coordinator forces its decision record `commit` before telling anyone.
    pub fn coordinator_forces(self, commit: bool) -> bool {
        commit || self != Variant::PresumedAbort
    }

    /// Whether a participant forces its outcome record before acknowledging it.
    pub fn participant_forces(self, commit: bool) -> bool {
        match self {
            Variant::Classic | Variant::ThreePhase => true,
            Variant::PresumedAbort => commit,
            Variant::PresumedCommit => !commit,
        }
    }

    /// Whether the outcome `commit` is acknowledged (and so ends with an end record).
    pub fn acked(self, commit: bool) -> bool {
        match self {
            Variant::Classic | Variant::ThreePhase => true,
            Variant::PresumedAbort => commit,
            Variant::PresumedCommit => !commit,
        }
    }

    /// What a coordinator that knows nothing of a transaction answers (None: it does not
    /// answer; 3PC leaves unknown transactions to the participants' termination protocol).
    pub fn presumption(self) -> Option<bool> {
        match self {
            Variant::Classic | Variant::PresumedAbort => Some(false),
            Variant::PresumedCommit => Some(true),
            Variant::ThreePhase => None,
        }
    }

    /// Short name for reports and the UI.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Classic => "classic",
            Variant::PresumedAbort => "presumed_abort",
            Variant::PresumedCommit => "presumed_commit",
            Variant::ThreePhase => "three_phase",
        }
    }
}

/// What an in-doubt participant does on its own under the unsafe `heuristic` option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Heuristic {
    /// Releases its locks and aborts (the usual operator's choice: free the inventory).
    Abort,
    /// Commits without a logged decision.
    Commit,
}

/// A stream of orders generated from the world's seeded generator by one client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// The client that submits the orders.
    pub client: String,
    /// Mean orders per second (intervals are uniform in 0..2× the mean).
    pub rate_per_s: u32,
    /// Each order has 1..=items distinct SKUs, one unit each.
    #[serde(default = "one")]
    pub items: u32,
    /// Probability that a line is the hottest SKU (the first in `stock`'s order).
    #[serde(default)]
    pub hot: f64,
    /// Probability that an order's payment fails (its account shard votes NO).
    #[serde(default)]
    pub pay_fail: f64,
    /// Price of one unit (amount = units × price).
    #[serde(default = "ten")]
    pub price: i64,
    /// First order at this virtual time (ms, client's clock).
    #[serde(default)]
    pub from_ms: u64,
    /// No order after this time (ms, client's clock; default: never stop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<u64>,
}

/// `protocols.tpc`: see docs/2pc.md for every field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TpcCfg {
    /// The commit protocol.
    #[serde(default)]
    pub variant: Variant,
    /// A fixed coordinator (a server name); default: the ring owner of `tx:N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinator: Option<String>,
    /// Coordinator: abort if not every vote arrived within this (ms, local clock).
    #[serde(default = "d_vote")]
    pub vote_timeout_ms: u64,
    /// Participant: abort unilaterally if PREPARE has not come this long after the work.
    #[serde(default = "d_work")]
    pub work_timeout_ms: u64,
    /// Participant: start asking (or, 3PC, terminating) after this long in doubt.
    #[serde(default = "d_doubt")]
    pub doubt_timeout_ms: u64,
    /// Resend interval for decisions, pre-commits and inquiries.
    #[serde(default = "d_retry")]
    pub retry_ms: u64,
    /// In-doubt participants also ask the other participants (cooperative termination).
    #[serde(default)]
    pub ask_peers: bool,
    /// UNSAFE: an in-doubt participant decides alone after `heuristic_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heuristic: Option<Heuristic>,
    /// How long the heuristic participant waits in doubt before deciding.
    #[serde(default = "d_heuristic")]
    pub heuristic_ms: u64,
    /// Initial units per SKU key (`sku:…`), each a row on the shard owning it at start.
    #[serde(default)]
    pub stock: BTreeMap<ResKey, i64>,
    /// Initial money per account key (`account:…`).
    #[serde(default)]
    pub balances: BTreeMap<ResKey, i64>,
    /// Generated orders, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
}

fn one() -> u32 {
    1
}
fn ten() -> i64 {
    10
}
fn d_vote() -> u64 {
    500
}
fn d_work() -> u64 {
    1_000
}
fn d_doubt() -> u64 {
    300
}
fn d_retry() -> u64 {
    200
}
fn d_heuristic() -> u64 {
    1_000
}

/// The resolved `Copy` settings every node keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Variant.
    pub variant: Variant,
    /// Vote timeout.
    pub vote: u64,
    /// Work (pre-PREPARE) timeout.
    pub work: u64,
    /// Time in doubt before asking.
    pub doubt: u64,
    /// Resend interval.
    pub retry: u64,
    /// Ask peers.
    pub ask_peers: bool,
    /// Unsafe heuristic decision.
    pub heuristic: Option<Heuristic>,
    /// Heuristic delay.
    pub heuristic_ms: u64,
}

impl TpcCfg {
    /// Every default, for tests and the UI.
    pub fn new(variant: Variant) -> Self {
        TpcCfg {
            variant,
            coordinator: None,
            vote_timeout_ms: d_vote(),
            work_timeout_ms: d_work(),
            doubt_timeout_ms: d_doubt(),
            retry_ms: d_retry(),
            ask_peers: false,
            heuristic: None,
            heuristic_ms: d_heuristic(),
            stock: BTreeMap::new(),
            balances: BTreeMap::new(),
            workload: None,
        }
    }

    /// Settings with defaults applied.
    pub fn params(&self) -> Params {
        Params {
            variant: self.variant,
            vote: self.vote_timeout_ms.max(1),
            work: self.work_timeout_ms.max(1),
            doubt: self.doubt_timeout_ms.max(1),
            retry: self.retry_ms.max(1),
            ask_peers: self.ask_peers,
            heuristic: self.heuristic,
            heuristic_ms: self.heuristic_ms.max(1),
        }
    }

    /// Every initial row (stock, then balances).
    pub fn rows(&self) -> impl Iterator<Item = (ResKey, i64)> + '_ {
        self.stock
            .iter()
            .chain(&self.balances)
            .map(|(k, v)| (*k, *v))
    }

    /// Checks ranges; errors name the field relative to `protocols.tpc`. Node names are
    /// checked by [`TpcCfg::validate_nodes`].
    pub fn validate(&self) -> Result<(), (String, String)> {
        let f = |s: &str| s.to_string();
        for (name, v) in [
            ("vote_timeout_ms", self.vote_timeout_ms),
            ("work_timeout_ms", self.work_timeout_ms),
            ("doubt_timeout_ms", self.doubt_timeout_ms),
            ("retry_ms", self.retry_ms),
            ("heuristic_ms", self.heuristic_ms),
        ] {
            if !(1..=MAX_MS).contains(&v) {
                return Err((f(name), format!("must be in 1..={MAX_MS}, got {v}")));
            }
        }
        if self.stock.len() + self.balances.len() > MAX_ROWS {
            return Err((
                f("stock"),
                format!("at most {MAX_ROWS} stock and balance keys"),
            ));
        }
        for (field, map, prefix) in [
            ("stock", &self.stock, "sku:"),
            ("balances", &self.balances, "account:"),
        ] {
            for (k, v) in map {
                if !k.as_str().starts_with(prefix) {
                    return Err((
                        format!("{field}.{k}"),
                        format!("keys here must start with \"{prefix}\""),
                    ));
                }
                if !(0..=MAX_VALUE).contains(v) {
                    return Err((
                        format!("{field}.{k}"),
                        format!("must be in 0..={MAX_VALUE}, got {v}"),
                    ));
                }
            }
        }
        if let Some(w) = &self.workload {
            if !(1..=1_000).contains(&w.rate_per_s) {
                return Err((
                    f("workload.rate_per_s"),
                    format!("must be in 1..=1000, got {}", w.rate_per_s),
                ));
            }
            if !(1..=MAX_ITEMS as u32).contains(&w.items) {
                return Err((
                    f("workload.items"),
                    format!("must be in 1..={MAX_ITEMS}, got {}", w.items),
                ));
            }
            for (name, p) in [("workload.hot", w.hot), ("workload.pay_fail", w.pay_fail)] {
                if !(0.0..=1.0).contains(&p) {
                    return Err((f(name), format!("must be in [0, 1], got {p}")));
                }
            }
            if !(1..=1_000_000).contains(&w.price) {
                return Err((
                    f("workload.price"),
                    format!("must be in 1..=1000000, got {}", w.price),
                ));
            }
            if w.from_ms > MAX_MS || w.until_ms.is_some_and(|u| u > MAX_MS) {
                return Err((f("workload.from_ms"), format!("times are at most {MAX_MS}")));
            }
            if self.stock.is_empty() || self.balances.is_empty() {
                return Err((
                    f("workload"),
                    "a workload needs at least one stock key and one balance key".into(),
                ));
            }
        }
        Ok(())
    }

    /// Checks node references against the initial servers and clients.
    pub fn validate_nodes(
        &self,
        servers: &[String],
        clients: &[String],
    ) -> Result<(), (String, String)> {
        if let Some(c) = &self.coordinator {
            if !servers.contains(c) {
                return Err(("coordinator".into(), format!("\"{c}\" is not a server")));
            }
        }
        if let Some(w) = &self.workload {
            if !clients.contains(&w.client) {
                return Err((
                    "workload.client".into(),
                    format!("\"{}\" is not a client", w.client),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_variant_rules() {
        let c: TpcCfg = serde_json::from_str("{}").unwrap();
        assert_eq!(c, TpcCfg::new(Variant::Classic));
        assert!(c.validate().is_ok());
        // Presumed abort: aborts cost no forced write and no ack.
        let pa = Variant::PresumedAbort;
        assert!(!pa.coordinator_forces(false) && !pa.acked(false) && pa.acked(true));
        // Presumed commit: commits are not acked and participants do not force them.
        let pc = Variant::PresumedCommit;
        assert!(!pc.acked(true) && !pc.participant_forces(true) && pc.presumption() == Some(true));
        assert_eq!(Variant::ThreePhase.presumption(), None);
    }

    #[test]
    fn bad_values_name_the_field() {
        let bad = |json: &str| {
            let c: TpcCfg = serde_json::from_str(json).unwrap();
            c.validate().unwrap_err().0
        };
        assert_eq!(bad(r#"{"retry_ms":0}"#), "retry_ms");
        assert_eq!(bad(r#"{"stock":{"apple":3}}"#), "stock.apple");
        assert_eq!(
            bad(r#"{"balances":{"account:1":-5}}"#),
            "balances.account:1"
        );
        assert_eq!(
            bad(r#"{"workload":{"client":"web","rate_per_s":5}}"#),
            "workload"
        );
        assert!(serde_json::from_str::<TpcCfg>(r#"{"variant":"four_phase"}"#).is_err());
        let c = TpcCfg {
            coordinator: Some("Z".into()),
            ..TpcCfg::new(Variant::Classic)
        };
        assert_eq!(
            c.validate_nodes(&["A".into()], &[]).unwrap_err().0,
            "coordinator"
        );
    }
}
