//! "Compare with 2PC" as the saga panel tables it: this scenario's orders through two-phase
//! commit and both sagas, without faults and with server A down. The workload is a plain
//! value, so the page can run it itself when it carries 2PC (`proto-tpc`) or hand it to the
//! job worker (`model::job`, every feature) when it does not; both call [`rows`], so the
//! table is the same either way.

use serde::{Deserialize, Serialize};

use crate::sim::proto::saga::SagaCfg;

/// The comparison's workload, taken from the scenario's saga section (clamped as the panel
/// always did, so a hand-edited scenario cannot ask for a run without end).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    /// Orders placed (1–100).
    pub orders: u32,
    /// Gap between orders (ms, at most 1 s).
    pub gap_ms: u64,
    /// SKUs the orders spread over (1–64).
    pub skus: u32,
    /// Accounts they pay from (1–64).
    pub accounts: u32,
    /// Units of each SKU at the start.
    pub stock: u64,
}

impl Workload {
    /// The workload of a scenario's saga section.
    pub fn of(cfg: &SagaCfg) -> Self {
        Workload {
            orders: cfg.orders,
            gap_ms: cfg.gap_ms,
            skus: cfg.skus,
            accounts: cfg.accounts,
            stock: cfg.stock,
        }
    }
}

/// The table's column headings, in the order of [`rows`]' cells.
pub const COLUMNS: [&str; 9] = [
    "Faults",
    "System",
    "Committed / aborted",
    "Messages per order",
    "Mean decision (ms)",
    "Max decision (ms)",
    "Locked or reserved per order (ms)",
    "Committed/s",
    "Dirty reads",
];

#[cfg(feature = "proto-tpc")]
fn cells(faults: &str, f: &crate::sim::proto::saga::compare::Figures) -> Vec<String> {
    vec![
        faults.to_string(),
        f.system.to_string(),
        format!("{} / {}", f.committed, f.aborted),
        f.messages_per_order.to_string(),
        f.mean_decision_ms.to_string(),
        f.max_decision_ms.to_string(),
        f.hold_ms_per_order.to_string(),
        f.throughput_per_s.to_string(),
        f.dirty_reads.to_string(),
    ]
}

/// Saga and 2PC on these orders, with and without the coordinator down: six rows of
/// [`COLUMNS`] cells (2PC, orchestrated saga, choreographed saga; then the same with A down).
#[cfg(feature = "proto-tpc")]
pub fn rows(w: &Workload) -> Result<Vec<Vec<String>>, String> {
    use crate::sim::proto::saga::compare::{compare, Spec};
    let base = Spec {
        orders: w.orders.clamp(1, 100),
        gap_ms: w.gap_ms.min(1_000),
        skus: w.skus.clamp(1, 64),
        accounts: w.accounts.clamp(1, 64),
        stock: w.stock.min(1_000_000),
        ..Spec::default()
    };
    let mut rows = Vec::new();
    for (label, crash) in [
        ("none", None),
        ("A down 800 ms", Some((105 + base.gap_ms, 800))),
    ] {
        let s = Spec {
            crash,
            until_ms: 100 + u64::from(base.orders) * base.gap_ms + 6_000,
            ..base.clone()
        };
        for f in compare(&s)? {
            rows.push(cells(label, &f));
        }
    }
    Ok(rows)
}

#[cfg(all(test, feature = "proto-tpc"))]
mod tests {
    use super::*;
    use crate::sim::scenario::Scenario;

    #[test]
    fn the_bundled_saga_scenario_compares_in_six_rows() {
        let s = Scenario::decode(
            include_str!("../../static/scenarios/outbox-relay-crash.json").as_bytes(),
        )
        .unwrap();
        let cfg = s.protocols.saga.as_ref().expect("a saga section");
        let rows = rows(&Workload::of(cfg)).unwrap();
        let systems: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(
            systems,
            ["2pc", "saga", "saga-choreo", "2pc", "saga", "saga-choreo"]
        );
        assert!(rows.iter().all(|r| r.len() == COLUMNS.len()));
        assert_eq!(rows[0][0], "none");
        assert_eq!(rows[3][0], "A down 800 ms");
    }
}
