//! Property runs of the flash sale over thousands of fixed seeds under each scenario's own
//! fault budget (plain loops: every run is reproducible by its seed): the row lock, the
//! fenced lock manager, optimistic versions and the atomic decrement never oversell; the
//! explorer catches no control and unfenced locks under a pause. Plus the contention
//! experiment's shape, a real assertion on deterministic seeded results.
#![cfg(not(target_arch = "wasm32"))] // native-only: files and the CLI library

use ringlab::cli::engine;
use ringlab::sim::cmd::Cmd;
use ringlab::sim::explore::{Explorer, Progress};
use ringlab::sim::proto::stock::{experiment, Policy, Strategy};
use ringlab::sim::scenario::{Expect, Scenario};
use ringlab::sim::testkit::fault_schedule;
use ringlab::sim::time::Time;

/// Mixed into a seed for the fault draws.
const FAULTS: u64 = 0x57_0C4;

fn load(name: &str) -> Scenario {
    let path = format!("{}/static/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    Scenario::decode(&std::fs::read(path).expect("scenario")).expect("decodes")
}

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

fn faults(s: &Scenario, seed: u64) -> Vec<(Time, Cmd)> {
    let b = s.fault_budget.clone().expect("fault budget");
    fault_schedule(s, &b, seed ^ FAULTS, s.until_ms)
}

/// Runs `seeds` seeds under the budget; fails on any broken `must_hold`; returns how many
/// runs had at least one fault that changed something (a buyer gave up or was refused late).
fn hold_over_seeds(s: &Scenario, seeds: u64, must_hold: &[&str]) -> u64 {
    let mut faulted = 0;
    for seed in 0..seeds {
        let f = faults(s, seed);
        faulted += u64::from(!f.is_empty());
        let v = violations(s, seed, &f);
        for inv in must_hold {
            assert!(
                !v.iter().any(|x| x == inv),
                "{}: seed {seed} broke {inv}",
                s.id
            );
        }
    }
    faulted
}

/// A smaller sale (for speed): `buyers` buyers, `stock` units.
fn small(name: &str, buyers: u32, stock: i64, until: Time) -> Scenario {
    let mut s = load(name);
    if let Some(c) = s.protocols.stock.as_mut() {
        c.buyers = buyers;
        c.stock = stock;
    }
    s.until_ms = until;
    s
}

const SAFE: [&str; 2] = ["no_oversell", "stock_conservation"];

#[test]
fn the_row_lock_never_oversells_under_pauses_and_crashes() {
    let s = small("inventory-pessimistic.json", 12, 5, 3_000);
    assert!(hold_over_seeds(&s, 600, &SAFE) > 300);
}

#[test]
fn the_atomic_decrement_never_oversells_under_pauses_crashes_and_partitions() {
    let s = small("inventory-atomic.json", 16, 6, 2_000);
    assert!(hold_over_seeds(&s, 600, &SAFE) > 300);
    let s = small("inventory-buckets.json", 16, 9, 2_000);
    assert!(hold_over_seeds(&s, 300, &SAFE) > 150);
}

#[test]
fn optimistic_versions_never_oversell_with_any_policy() {
    for (i, p) in Policy::ALL.into_iter().enumerate() {
        let mut s = small("inventory-optimistic-no-backoff.json", 10, 6, 4_000);
        if let Some(c) = s.protocols.stock.as_mut() {
            c.policy = p;
            c.retry_budget = Some(8);
        }
        hold_over_seeds(&s, if i == 0 { 400 } else { 100 }, &SAFE);
    }
}

/// The GC-pause lesson with fencing on and the scripted pause replaced by random client
/// pauses: the stale holder's write is refused, so no unit is sold twice.
#[test]
fn the_fenced_lock_manager_never_oversells_under_pauses() {
    let mut s = load("inventory-lock-gc-pause.json");
    s.schedule.clear();
    if let Some(l) = s.protocols.locks.as_mut() {
        l.fencing = true;
    }
    let mut two_holders = 0;
    for seed in 0..600 {
        let v = violations(&s, seed, &faults(&s, seed));
        assert!(!v.iter().any(|x| x == "no_oversell"), "seed {seed}: {v:?}");
        two_holders += u64::from(v.iter().any(|x| x == "lock_exclusive"));
    }
    // The pauses bite: two clients believed they held the lock in some runs.
    assert!(two_holders > 8, "only {two_holders} runs had two holders");
}

fn explore_finds(mut s: Scenario, seeds: u64, inv: &str) -> u64 {
    s.expect = Some(Expect {
        hold: vec![inv.to_string()],
        violate: Vec::new(),
    });
    let mut ex = Explorer::new(s, seeds).expect("explorer");
    loop {
        match ex.step().expect("step") {
            Progress::Done(found) => {
                let f = found.unwrap_or_else(|| panic!("{inv} never broke in {seeds} seeds"));
                assert_eq!(f.broken.invariant, inv);
                return f.seed;
            }
            Progress::Seed(_) | Progress::Shrinking => {}
        }
    }
}

#[test]
fn the_explorer_catches_no_control_and_unfenced_locks_under_a_pause() {
    let s = load("inventory-no-control.json");
    let mut s2 = s.clone();
    s2.fault_budget = load("inventory-atomic.json").fault_budget;
    explore_finds(s2, 20, "no_oversell");
    let mut s = load("inventory-lock-gc-pause.json");
    s.schedule.clear(); // only the explorer's random pauses
    assert_eq!(
        s.protocols.stock.as_ref().map(|c| c.strategy),
        Some(Strategy::LockManager)
    );
    explore_finds(s, 400, "no_oversell");
}

#[test]
fn contention_has_the_published_shape() {
    let clients = [10, 20, 30, 40, 50];
    let policies = [
        Policy::None,
        Policy::Expo,
        Policy::FullJitter,
        Policy::Decorrelated,
    ];
    let pts = experiment::run(&clients, &policies, 10, 1).expect("runs");
    assert_eq!(
        pts,
        experiment::run(&clients, &policies, 10, 1).expect("runs")
    );
    let calls = |n: u32, p: Policy| {
        pts.iter()
            .find(|x| x.clients == n && x.policy == p)
            .map_or(0.0, |x| x.calls)
    };
    // No backoff: one winner per round, so about n²/2 calls (linear would be 5× from 10 to 50).
    for n in clients {
        let q = f64::from(n * n) / 2.0;
        assert!(
            calls(n, Policy::None) > 0.8 * q,
            "{n}: {}",
            calls(n, Policy::None)
        );
    }
    assert!(calls(50, Policy::None) / calls(10, Policy::None) > 15.0);
    // Plain exponential backoff keeps the clients in lockstep: no fewer calls.
    assert!(calls(50, Policy::Expo) > 0.9 * calls(50, Policy::None));
    // Jitter spreads them: a sharp cut at 50 clients.
    for p in [Policy::FullJitter, Policy::Decorrelated] {
        assert!(
            calls(50, p) < 0.65 * calls(50, Policy::None),
            "{p:?}: {}",
            calls(50, p)
        );
        assert!(calls(50, p) > 50.0, "every client succeeds at least once");
    }
}
