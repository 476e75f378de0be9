//! The message-log panel's model: the counters it shows for a world, a scenario with one
//! setting changed, and the comparison of settings on the same seed and faults (browser-free,
//! so it is tested natively; the panel in `ui/cluster/mq.rs` only draws it).

use crate::sim::proto::log::check::{anomalies, latency};
use crate::sim::proto::log::{CommitMode, MqCfg, Rebalance};
use crate::sim::scenario::Scenario;
use crate::sim::world::World;

/// The scenario with one setting changed.
pub fn variant(s: &Scenario, f: impl FnOnce(&mut MqCfg)) -> Result<Scenario, String> {
    let mut v = s.clone();
    match v.protocols.mq.as_mut() {
        Some(c) => f(c),
        None => return Err("this scenario has no message log".into()),
    }
    v.validate().map_err(|e| e.to_string())?;
    Ok(v)
}

/// The counters shown for a world: (heading, value).
pub fn counters(w: &World) -> Vec<(&'static str, String)> {
    let s = w.mq();
    let a = anomalies(s);
    let (mean, _) = latency(s);
    vec![
        ("produced", s.book.len().to_string()),
        (
            "acknowledged",
            s.book
                .iter()
                .filter(|m| m.acked.is_some())
                .count()
                .to_string(),
        ),
        (
            "delivered",
            s.book
                .iter()
                .filter(|m| m.first_done.is_some())
                .count()
                .to_string(),
        ),
        ("dead-lettered", s.stats.dead_lettered.to_string()),
        ("lost", a.lost.len().to_string()),
        ("duplicated", a.duplicated.len().to_string()),
        ("nonmonotonic", a.nonmonotonic.to_string()),
        ("skipped", a.skipped.to_string()),
        ("rebalances", s.stats.rebalances.to_string()),
        ("stall (ms)", s.stats.stall_ms.to_string()),
        ("latency (ms)", mean.to_string()),
        ("messages", s.stats.messages.to_string()),
    ]
}

/// A change to the log's settings.
type Tweak = fn(&mut MqCfg);

/// The settings the comparison runs against the loaded one, on the same seed and faults.
pub const COMPARED: &[(&str, Tweak)] = &[
    ("as loaded", |_| {}),
    ("rebalance eager", |c| c.rebalance = Rebalance::Eager),
    ("rebalance cooperative", |c| {
        c.rebalance = Rebalance::Cooperative
    }),
    ("commit before", |c| c.commit = CommitMode::Before),
    ("commit after", |c| c.commit = CommitMode::After),
    ("plain producer", |c| c.idempotent = false),
    ("unclean election", |c| c.unclean = true),
];

/// Runs every compared setting to the end: one row of cells each.
pub fn compare(s: &Scenario) -> Result<Vec<Vec<String>>, String> {
    COMPARED
        .iter()
        .map(|(label, f)| {
            let v = variant(s, f)?;
            let tl = crate::sim::runner::play(&v, None, v.until_ms)?;
            let w = tl.world();
            let m = w.mq();
            let a = anomalies(m);
            Ok(vec![
                (*label).to_string(),
                m.stats.messages.to_string(),
                latency(m).0.to_string(),
                m.stats.stall_ms.to_string(),
                a.lost.len().to_string(),
                a.duplicated.len().to_string(),
                a.nonmonotonic.to_string(),
                a.skipped.to_string(),
            ])
        })
        .collect()
}

/// The comparison table's column headings, in the order of [`compare`]'s cells.
pub const COMPARE_HEAD: &[&str] = &[
    "Setting",
    "Messages",
    "Latency (ms)",
    "Stall (ms)",
    "Lost",
    "Duplicated",
    "Nonmonotonic",
    "Skipped",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled(name: &str) -> Scenario {
        let path = format!(
            "{}/static/scenarios/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(path).expect("bundled scenario");
        Scenario::decode(&bytes).expect("valid scenario")
    }

    #[test]
    fn comparison_runs_every_setting_and_commit_before_loses_what_after_reprocesses() {
        let s = bundled("mq-commit-before-crash");
        let rows = compare(&s).expect("the log scenario compares");
        assert_eq!(rows.len(), COMPARED.len());
        assert!(rows.iter().all(|r| r.len() == COMPARE_HEAD.len()));
        let row = |label: &str| rows.iter().find(|r| r[0] == label).expect("row");
        assert_ne!(
            row("commit before")[4],
            "0",
            "committing before processing loses the crashed consumer's message"
        );
        assert_eq!(
            row("commit after")[4],
            "0",
            "committing after processing loses nothing"
        );
        assert_ne!(row("commit after")[5], "0", "and reprocesses instead");
    }

    #[test]
    fn a_scenario_without_the_log_is_refused_in_words() {
        let s = bundled("gc-pause");
        let e = compare(&s).expect_err("no log to compare");
        assert!(e.contains("no message log"), "{e}");
    }
}
