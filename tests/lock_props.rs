//! Property tests of the lock recipes under random fault schedules, over fixed seeds (plain
//! loops, so every run is reproducible by its seed): safe configurations never break their
//! invariants, and the explorer finds each unsafe configuration's violation within a small
//! budget. Fixtures live in tests/fixtures/locks/ (run them with `ringlab-cli explore`).
#![cfg(not(target_arch = "wasm32"))] // native-only: files and the CLI library

use ringlab::cli::{engine, explore};
use ringlab::sim::cmd::Cmd;
use ringlab::sim::rng::Rng;
use ringlab::sim::scenario::Scenario;
use ringlab::sim::testkit::fault_schedule;
use ringlab::sim::time::Time;

/// Mixed into a seed for the fault draws (any constant: the runs only need to be fixed).
const FAULTS: u64 = 0x10C4_FA17;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/locks/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str) -> Scenario {
    let bytes = std::fs::read(fixture(name)).expect("fixture");
    Scenario::decode(&bytes).expect("fixture decodes")
}

/// Runs `s` with seed `seed` plus `extra` commands; returns the invariants it violated.
fn violations(s: &Scenario, seed: u64, extra: &[(Time, Cmd)]) -> Vec<String> {
    let tl = engine::play_with(s, Some(seed), s.until_ms, |w| {
        for (t, c) in extra {
            w.schedule(*t, c.clone());
        }
    })
    .unwrap_or_else(|e| panic!("{}: {}", s.id, e.0));
    tl.checker()
        .results()
        .filter(|(_, at)| at.is_some())
        .map(|(inv, _)| inv.name.to_string())
        .collect()
}

/// The scenario's own fault budget drawn for `seed`, as commands.
fn faults(s: &Scenario, seed: u64) -> Vec<(Time, Cmd)> {
    let b = s.fault_budget.clone().expect("fault budget");
    fault_schedule(s, &b, seed ^ FAULTS, s.until_ms)
}

/// Runs `seeds` seeds of a fixture under its fault budget; fails on any violation of
/// `must_hold`; returns how many runs broke `lock_exclusive` (to show the faults bite).
fn hold_over_seeds(name: &str, s: &Scenario, seeds: u64, must_hold: &[&str]) -> u64 {
    let mut two_holders = 0;
    for seed in 0..seeds {
        let v = violations(s, seed, &faults(s, seed));
        for name_ in must_hold {
            assert!(
                !v.iter().any(|x| x == name_),
                "{name}: seed {seed} broke {name_} (replay: ringlab-cli explore {name} from seed {seed})"
            );
        }
        two_holders += u64::from(v.iter().any(|x| x == "lock_exclusive"));
    }
    two_holders
}

#[test]
fn fenced_storage_never_takes_a_stale_write_or_loses_an_update() {
    let s = load("safe-fenced.json");
    let two_holders = hold_over_seeds(
        "safe-fenced.json",
        &s,
        300,
        &[
            "no_stale_write",
            "no_lost_update",
            "no_deadlock",
            "lock_liveness",
        ],
    );
    // The faults are real: the lock alone fails in many runs; fencing is what saves them.
    assert!(two_holders > 30, "only {two_holders} runs had two holders");
}

#[test]
fn zookeeper_keeps_one_holder_under_crashes_partitions_and_loss() {
    let s = load("safe-zookeeper.json");
    let all = [
        "lock_exclusive",
        "no_stale_write",
        "no_lost_update",
        "no_deadlock",
        "lock_liveness",
    ];
    hold_over_seeds("safe-zookeeper.json", &s, 250, &all);
}

#[test]
fn etcd_keeps_one_holder_under_crashes_partitions_and_loss() {
    let mut s = load("safe-zookeeper.json");
    if let Some(l) = s.protocols.locks.as_mut() {
        l.recipe = ringlab::sim::proto::locks::Recipe::Etcd;
    }
    let all = [
        "lock_exclusive",
        "no_stale_write",
        "no_lost_update",
        "lock_liveness",
    ];
    hold_over_seeds("safe-zookeeper.json (etcd)", &s, 150, &all);
}

/// Random single lock-server failures moving locks around the ring, one at a time, a few
/// leases apart, plus a little message loss: with synchronous replication and persistence
/// the new owner always learns the current holder.
#[test]
fn sync_replication_hands_locks_over_across_ring_failures() {
    let mut s = load("safe-fenced.json");
    s.until_ms = 5_000;
    s.fault_budget = None;
    if let Some(l) = s.protocols.locks.as_mut() {
        l.replication = ringlab::sim::proto::locks::Replication::Sync;
        l.replicas = 2;
    }
    let servers = ["A", "B", "C"];
    let mut moved = 0;
    for seed in 0..150u64 {
        let mut rng = Rng::new(seed ^ FAULTS);
        let mut extra = Vec::new();
        let mut t = 200 + rng.below(400);
        while t < s.until_ms {
            let node = servers[rng.below(3) as usize].to_string();
            let down = 300 + rng.below(1_200);
            if rng.chance(0.5) {
                extra.push((t, Cmd::Crash { node: node.clone() }));
            }
            extra.push((t + 10, Cmd::FailNode { node: node.clone() }));
            extra.push((t + down, Cmd::Recover { node: node.clone() }));
            extra.push((t + down + 10, Cmd::RecoverNode { node }));
            t += down + 1_800 + rng.below(1_000);
        }
        if rng.chance(0.5) {
            extra.push((0, Cmd::SetLoss { loss: 0.05 }));
        }
        let v = violations(&s, seed, &extra);
        for inv in [
            "lock_exclusive",
            "no_stale_write",
            "no_lost_update",
            "lock_liveness",
        ] {
            assert!(!v.iter().any(|x| x == inv), "seed {seed} broke {inv}");
        }
        moved += 1;
    }
    assert_eq!(moved, 150);
}

/// `ringlab-cli explore FIXTURE --seeds N` in-process: exit code and per-seed lines.
fn explore_cli(name: &str, seeds: u64) -> (u8, Vec<serde_json::Value>) {
    let args = vec![fixture(name), "--seeds".into(), seeds.to_string()];
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = explore::main(&args, &mut out, &mut err);
    let lines = String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    (code, lines)
}

#[test]
fn the_explorer_catches_every_unsafe_configuration() {
    // (fixture, the expectation it must find broken, seed budget)
    let cases = [
        ("unsafe-unfenced.json", "no_stale_write", 30),
        ("unsafe-redlock.json", "lock_exclusive", 40),
        ("unsafe-redlock-tokens.json", "no_stale_write", 30),
        ("unsafe-no-persist.json", "lock_exclusive", 30),
        ("unsafe-zk-pause.json", "lock_exclusive", 30),
    ];
    for (name, invariant, seeds) in cases {
        let (code, lines) = explore_cli(name, seeds);
        assert_eq!(
            code, 1,
            "{name}: the explorer should report a broken expectation"
        );
        let first = lines
            .iter()
            .find(|l| !l["broke_expectation"].is_null())
            .unwrap_or_else(|| panic!("{name}: nothing found in {seeds} seeds"));
        let broken: Vec<&str> = lines
            .iter()
            .filter_map(|l| l["broke_expectation"].as_str())
            .collect();
        assert!(
            broken.contains(&invariant),
            "{name}: expected {invariant} among {broken:?}"
        );
        eprintln!("{name}: first violation at seed {}", first["seed"]);
    }
}

#[test]
fn the_explorer_finds_nothing_in_safe_configurations() {
    for name in ["safe-fenced.json", "safe-zookeeper.json"] {
        let (code, lines) = explore_cli(name, 60);
        assert_eq!(code, 0, "{name}: {:?}", lines.last());
    }
}
