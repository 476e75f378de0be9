//! Two-phase commit settings of a scenario (`protocols.tpc`): which variant, who
//! coordinates, the timeouts that decide when a node stops waiting, the initial stock and
//! balances the shards hold, the optional checkout workload, and the unsafe `heuristic`
//! switch whose damage the atomicity invariant must catch.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::sim::ids::ResKey;

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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Heuristic {
    /// Releases its locks and aborts (the usual operator's choice: free the inventory).
    Abort,
    /// Commits without a logged decision.
    Commit,
}

/// A stream of orders generated from the world's seeded generator by one client.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Workload {
    /// The client that submits the orders.
    pub client: String,
    /// Mean orders per second (intervals are uniform in 0..2× the mean).
    pub rate_per_s: u32,
    /// Each order has 1..=items distinct SKUs, one unit each.
    pub items: u32,
    /// Probability that a line is the hottest SKU (the first in `stock`'s order).
    pub hot: f64,
    /// Probability that an order's payment fails (its account shard votes NO).
    pub pay_fail: f64,
    /// Price of one unit (amount = units × price).
    pub price: i64,
    /// First order at this virtual time (ms, client's clock).
    pub from_ms: u64,
    /// No order after this time (ms, client's clock; default: never stop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<u64>,
}

/// `protocols.tpc`: see docs/2pc.md for every field. Written with serde, read by
/// [`TpcCfg::from_json`] (a hand decoder is much smaller than a derived one in the wasm
/// bundle).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TpcCfg {
    /// The commit protocol.
    pub variant: Variant,
    /// A fixed coordinator (a server name); default: the ring owner of `tx:N`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coordinator: Option<String>,
    /// Coordinator: abort if not every vote arrived within this (ms, local clock).
    pub vote_timeout_ms: u64,
    /// Participant: abort unilaterally if PREPARE has not come this long after the work.
    pub work_timeout_ms: u64,
    /// Participant: start asking (or, 3PC, terminating) after this long in doubt.
    pub doubt_timeout_ms: u64,
    /// Resend interval for decisions, pre-commits and inquiries.
    pub retry_ms: u64,
    /// In-doubt participants also ask the other participants (cooperative termination).
    pub ask_peers: bool,
    /// UNSAFE: an in-doubt participant decides alone after `heuristic_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heuristic: Option<Heuristic>,
    /// How long the heuristic participant waits in doubt before deciding.
    pub heuristic_ms: u64,
    /// Initial units per SKU key (`sku:…`), each a row on the shard owning it at start.
    pub stock: BTreeMap<ResKey, i64>,
    /// Initial money per account key (`account:…`).
    pub balances: BTreeMap<ResKey, i64>,
    /// Generated orders, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
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

/// Reads `protocols.tpc` through [`TpcCfg::from_json`]; a bad value fails with its
/// field's name (the scenario decoder adds the path and position).
pub fn deserialize_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TpcCfg>, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_null() {
        return Ok(None);
    }
    TpcCfg::from_json(&v)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("tpc.{e}")))
}

fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a serde_json::Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what}: expected an object, got {v}"))
}

fn uint(v: &Value, k: &str) -> Result<u64, String> {
    v.as_u64()
        .ok_or_else(|| format!("{k}: expected a whole number ≥ 0, got {v}"))
}

fn int(v: &Value, k: &str) -> Result<i64, String> {
    v.as_i64()
        .ok_or_else(|| format!("{k}: expected a whole number, got {v}"))
}

fn prob(v: &Value, k: &str) -> Result<f64, String> {
    v.as_f64()
        .ok_or_else(|| format!("{k}: expected a number, got {v}"))
}

fn text<'a>(v: &'a Value, k: &str) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("{k}: expected a string, got {v}"))
}

fn rows(v: &Value, k: &str) -> Result<BTreeMap<ResKey, i64>, String> {
    let mut out = BTreeMap::new();
    for (name, x) in obj(v, k)? {
        let key = ResKey::new(name).map_err(|e| format!("{k}: {e}"))?;
        out.insert(key, int(x, &format!("{k}.{name}"))?);
    }
    Ok(out)
}

fn u32_of(v: &Value, k: &str) -> Result<u32, String> {
    u32::try_from(uint(v, k)?).map_err(|_| format!("{k}: too large, got {v}"))
}

impl Workload {
    fn from_json(v: &Value) -> Result<Workload, String> {
        let mut w = Workload {
            client: String::new(),
            rate_per_s: 0,
            items: 1,
            hot: 0.0,
            pay_fail: 0.0,
            price: 10,
            from_ms: 0,
            until_ms: None,
        };
        let o = obj(v, "workload")?;
        for (k, x) in o {
            let f = format!("workload.{k}");
            match k.as_str() {
                "client" => w.client = text(x, &f)?.to_string(),
                "rate_per_s" => w.rate_per_s = u32_of(x, &f)?,
                "items" => w.items = u32_of(x, &f)?,
                "hot" => w.hot = prob(x, &f)?,
                "pay_fail" => w.pay_fail = prob(x, &f)?,
                "price" => w.price = int(x, &f)?,
                "from_ms" => w.from_ms = uint(x, &f)?,
                "until_ms" if x.is_null() => w.until_ms = None,
                "until_ms" => w.until_ms = Some(uint(x, &f)?),
                _ => return Err(format!("{f}: unknown field")),
            }
        }
        for need in ["client", "rate_per_s"] {
            if !o.contains_key(need) {
                return Err(format!("workload.{need}: missing"));
            }
        }
        Ok(w)
    }
}

impl TpcCfg {
    /// Reads `protocols.tpc` from JSON: unknown fields refused, defaults applied; errors
    /// start with the field's name.
    pub fn from_json(v: &Value) -> Result<TpcCfg, String> {
        let mut c = TpcCfg::new(Variant::Classic);
        for (k, x) in obj(v, "tpc")? {
            match k.as_str() {
                "variant" => {
                    c.variant = match x.as_str() {
                        Some("classic") => Variant::Classic,
                        Some("presumed_abort") => Variant::PresumedAbort,
                        Some("presumed_commit") => Variant::PresumedCommit,
                        Some("three_phase") => Variant::ThreePhase,
                        _ => return Err(format!(
                            "variant: expected classic, presumed_abort, presumed_commit or three_phase, got {x}"
                        )),
                    }
                }
                "coordinator" if x.is_null() => c.coordinator = None,
                "coordinator" => c.coordinator = Some(text(x, k)?.to_string()),
                "vote_timeout_ms" => c.vote_timeout_ms = uint(x, k)?,
                "work_timeout_ms" => c.work_timeout_ms = uint(x, k)?,
                "doubt_timeout_ms" => c.doubt_timeout_ms = uint(x, k)?,
                "retry_ms" => c.retry_ms = uint(x, k)?,
                "heuristic_ms" => c.heuristic_ms = uint(x, k)?,
                "ask_peers" => {
                    c.ask_peers = x
                        .as_bool()
                        .ok_or_else(|| format!("ask_peers: expected true or false, got {x}"))?
                }
                "heuristic" => {
                    c.heuristic = match x.as_str() {
                        _ if x.is_null() => None,
                        Some("abort") => Some(Heuristic::Abort),
                        Some("commit") => Some(Heuristic::Commit),
                        _ => return Err(format!("heuristic: expected abort or commit, got {x}")),
                    }
                }
                "stock" => c.stock = rows(x, k)?,
                "balances" => c.balances = rows(x, k)?,
                "workload" if x.is_null() => c.workload = None,
                "workload" => c.workload = Some(Workload::from_json(x)?),
                _ => return Err(format!("{k}: unknown field")),
            }
        }
        Ok(c)
    }
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
        let c = TpcCfg::from_json(&serde_json::json!({})).unwrap();
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
            let c = TpcCfg::from_json(&serde_json::from_str(json).unwrap()).unwrap();
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
        let decode = |json: &str| TpcCfg::from_json(&serde_json::from_str(json).unwrap());
        assert!(decode(r#"{"variant":"four_phase"}"#)
            .unwrap_err()
            .starts_with("variant"));
        assert!(decode(r#"{"retry":5}"#)
            .unwrap_err()
            .contains("unknown field"));
        assert!(decode(r#"{"stock":{"sku:1":"x"}}"#)
            .unwrap_err()
            .starts_with("stock.sku:1"));
        assert!(decode(r#"{"workload":{"client":"w"}}"#)
            .unwrap_err()
            .contains("rate_per_s"));
        // What serde writes, the decoder reads back.
        let mut full = TpcCfg::new(Variant::ThreePhase);
        full.heuristic = Some(Heuristic::Commit);
        full.stock.insert(ResKey::new("sku:1").unwrap(), 4);
        full.workload = Some(Workload {
            client: "web".into(),
            rate_per_s: 5,
            items: 2,
            hot: 0.5,
            pay_fail: 0.1,
            price: 3,
            from_ms: 7,
            until_ms: Some(9),
        });
        let back = TpcCfg::from_json(&serde_json::to_value(&full).unwrap()).unwrap();
        assert_eq!(back, full);
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
