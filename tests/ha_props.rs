//! Property tests of the replicated store under random fault schedules, over fixed seeds
//! (plain loops, each run reproducible by its seed): fenced primary/replica failover never
//! loses an acknowledged write, never serves a stale read and keeps the history
//! linearizable (one shard, and three shards each with its own primary); Dynamo with strict quorums and R + W > N never loses an acknowledged write
//! and never serves a read older than an acknowledged write; the unsafe modes (unfenced
//! asynchronous failover, sloppy quorums) are caught by the explorer within its budget.
//! Fixtures: tests/fixtures/ha/.
#![cfg(not(target_arch = "wasm32"))] // native-only: files and the CLI library

use ringlab::cli::engine;
use ringlab::sim::cmd::Cmd;
use ringlab::sim::explore::{Explorer, Progress};
use ringlab::sim::fault::{FaultBudget, Targets};
use ringlab::sim::proto::kv::{Kv, Replication};
use ringlab::sim::scenario::Scenario;
use ringlab::sim::testkit::fault_schedule;
use ringlab::sim::time::Time;

/// Mixed into a seed for the fault draws (any constant: the runs only need to be fixed).
const FAULTS: u64 = 0x4A_FA17;

/// Seeds per property: 100 (2,000 in release builds); `HA_SEEDS` overrides it.
fn seeds() -> u64 {
    std::env::var("HA_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 100 } else { 2_000 })
}

fn load(name: &str) -> Scenario {
    let path = format!("{}/tests/fixtures/ha/{name}", env!("CARGO_MANIFEST_DIR"));
    Scenario::decode(&std::fs::read(path).expect("fixture")).expect("decodes")
}

fn faults(s: &Scenario, b: &FaultBudget, seed: u64) -> Vec<(Time, Cmd)> {
    fault_schedule(s, b, seed ^ FAULTS, s.until_ms * 3 / 4)
}

/// Runs `s` with `seed` and its drawn faults: the violated invariants and (acked writes,
/// ok operations) for the record.
fn run(s: &Scenario, seed: u64) -> (Vec<String>, Vec<(Time, Cmd)>, u64) {
    let extra = faults(s, s.fault_budget.as_ref().expect("budget"), seed);
    let tl = engine::play_with(s, Some(seed), s.until_ms, |w| {
        for (t, c) in &extra {
            w.schedule(*t, c.clone());
        }
    })
    .unwrap_or_else(|e| panic!("{}: {}", s.id, e.0));
    let v = tl
        .checker()
        .results()
        .filter(|(_, at)| at.is_some())
        .map(|(inv, _)| inv.name.to_string())
        .collect();
    let ok = tl.world().shared::<Kv>().stats.ok;
    (v, extra, ok)
}

fn holds(s: &Scenario, n: u64, props: &[&str]) -> u64 {
    let mut ok = 0;
    for seed in 0..n {
        let (v, extra, k) = run(s, seed);
        ok += k;
        for p in props {
            assert!(
                !v.iter().any(|x| x == p),
                "{}: seed {seed} broke {p} (faults: {extra:?})",
                s.id
            );
        }
    }
    ok
}

#[test]
fn fenced_failover_never_loses_an_acknowledged_write_and_stays_linearizable() {
    let s = load("primary.json");
    let ok = holds(
        &s,
        seeds(),
        &["no_lost_acked_write", "no_stale_read", "linearizable"],
    );
    // The workload does make progress through the faults.
    assert!(ok > 10_000, "only {ok} operations completed");
}

#[test]
fn fenced_failover_with_three_shards_never_loses_an_acknowledged_write() {
    let s = load("primary-shards.json");
    let ok = holds(
        &s,
        seeds(),
        &["no_lost_acked_write", "no_stale_read", "linearizable"],
    );
    assert!(ok > 10_000, "only {ok} operations completed");
    // The faults do fail shards over, and often only some of them.
    let (mut any, mut partial) = (0, 0);
    for seed in 0..seeds().min(100) {
        let extra = faults(&s, s.fault_budget.as_ref().expect("budget"), seed);
        let tl = engine::play_with(&s, Some(seed), s.until_ms, |w| {
            for (t, c) in &extra {
                w.schedule(*t, c.clone());
            }
        })
        .expect("runs");
        let by = &tl.world().shared::<Kv>().stats.promotions_by_shard;
        let failed = by.iter().filter(|&&p| p > 0).count();
        any += usize::from(failed > 0);
        partial += usize::from(failed > 0 && failed < 3);
    }
    assert!(
        any >= 10 && partial >= 5,
        "{any} runs failed over, {partial} only some shards"
    );
    eprintln!("three shards: {any} runs failed over, {partial} of them only some shards");
}

#[test]
fn strict_quorums_with_r_plus_w_over_n_never_lose_or_serve_stale() {
    let s = load("dynamo.json");
    let ok = holds(&s, seeds(), &["no_lost_acked_write", "no_stale_read"]);
    assert!(ok > 10_000, "only {ok} operations completed");
}

/// Runs the explorer over `seeds` seeds; the first "must hold" invariant it broke.
fn explore(s: Scenario, seeds: u64) -> Option<String> {
    let mut x = Explorer::new(s, seeds).expect("explorer");
    loop {
        match x.step().expect("step") {
            Progress::Done(found) => return found.map(|f| f.broken.invariant),
            Progress::Seed(_) | Progress::Shrinking => {}
        }
    }
}

#[test]
fn unfenced_asynchronous_failover_is_caught_by_the_explorer() {
    let mut s = load("primary.json");
    if let Some(k) = s.protocols.kv.as_mut() {
        k.fencing = false;
        k.replication = Replication::Async;
    }
    // Faults on servers only, a few more of them: the primary must be the one hit.
    if let Some(b) = s.fault_budget.as_mut() {
        b.pauses = 2;
        b.partitions = 3;
        b.targets = Targets::Servers;
    }
    let found = explore(s, 200);
    assert!(found.is_some(), "no violation in 200 seeds");
    eprintln!("unfenced failover: {found:?}");
}

#[test]
fn unfenced_asynchronous_failover_with_shards_is_caught_by_the_explorer() {
    let mut s = load("primary-shards.json");
    if let Some(k) = s.protocols.kv.as_mut() {
        k.fencing = false;
        k.replication = Replication::Async;
    }
    if let Some(b) = s.fault_budget.as_mut() {
        b.pauses = 2;
        b.partitions = 3;
        b.targets = Targets::Servers;
    }
    let found = explore(s, 200);
    assert!(found.is_some(), "no violation in 200 seeds");
    eprintln!("unfenced failover, 3 shards: {found:?}");
}

#[test]
fn sloppy_quorums_are_caught_by_the_explorer() {
    let mut s = load("dynamo.json");
    if let Some(k) = s.protocols.kv.as_mut() {
        k.sloppy = true;
    }
    // Isolations of servers: a replica cut off makes a stand-in take its writes.
    if let Some(b) = s.fault_budget.as_mut() {
        b.pauses = 2;
        b.partitions = 3;
        b.targets = Targets::Servers;
    }
    let found = explore(s, 200);
    assert!(found.is_some(), "no violation in 200 seeds");
    eprintln!("sloppy quorum: {found:?}");
}
