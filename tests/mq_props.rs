//! Property tests of the message log under random fault schedules, over fixed seeds (plain
//! loops, each run reproducible by its seed): acks=all with min ISR 2, no unclean election
//! and commits after processing never lose an acknowledged message, whatever crashes,
//! pauses, isolations and message loss hit brokers and clients; the idempotent producer
//! never appends a message twice; each unsafe setting (commit before processing, acks=1,
//! acks=0, unclean election, a plain producer) is caught within a small budget. Fixture:
//! tests/fixtures/mq/workload.json. The scenario demonstrations are checked here too.
#![cfg(not(target_arch = "wasm32"))] // native-only: files and the CLI library

use ringlab::cli::engine;
use ringlab::sim::cmd::Cmd;
use ringlab::sim::event::What;
use ringlab::sim::fault::{FaultBudget, Targets};
use ringlab::sim::proto::log::{Acks, CommitMode, MqCfg, MqEv, Rebalance};
use ringlab::sim::proto::ProtoEv;
use ringlab::sim::scenario::Scenario;
use ringlab::sim::testkit::fault_schedule;
use ringlab::sim::time::Time;
use ringlab::sim::world::World;

/// Mixed into a seed for the fault draws.
const FAULTS: u64 = 0x3A11_0C75;

fn load(file: &str) -> Scenario {
    let text = std::fs::read(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).expect("file");
    Scenario::decode(&text).expect("decodes")
}

fn workload(tune: impl FnOnce(&mut MqCfg)) -> Scenario {
    let mut s = load("tests/fixtures/mq/workload.json");
    if let Some(c) = s.protocols.mq.as_mut() {
        tune(c);
    }
    s
}

fn faults(s: &Scenario, b: &FaultBudget, seed: u64) -> Vec<(Time, Cmd)> {
    fault_schedule(s, b, seed ^ FAULTS, 2_000)
}

/// Runs `s` with `seed` and extra commands: the violated invariants, the world, and
/// whether some leader appended a message it already had.
fn run(s: &Scenario, seed: u64, extra: &[(Time, Cmd)]) -> (Vec<String>, World, bool) {
    let tl = engine::play_with(s, Some(seed), s.until_ms, |w| {
        for (t, c) in extra {
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
    let dup_append = tl.trace().iter().any(|e| {
        matches!(
            &e.what,
            What::Proto(ProtoEv::Mq(MqEv::MqAppend { dup: true, .. }))
        )
    });
    (v, tl.world().clone(), dup_append)
}

fn budget(s: &Scenario) -> FaultBudget {
    s.fault_budget.clone().expect("budget")
}

#[test]
fn acks_all_min_isr_2_clean_elections_and_commit_after_never_lose_a_message() {
    let s = workload(|_| {});
    let b = budget(&s);
    let (mut acked, mut dups) = (0, 0);
    for seed in 0..1_000 {
        let extra = faults(&s, &b, seed);
        let (v, w, _) = run(&s, seed, &extra);
        assert!(
            !v.iter().any(|x| x == "lost"),
            "seed {seed} lost a message ({extra:?})"
        );
        acked += w.mq().book.iter().filter(|m| m.acked.is_some()).count();
        dups += usize::from(v.iter().any(|x| x == "duplicated"));
    }
    // The faults bite: at-least-once shows its duplicates, and most messages get through.
    assert!(dups > 10, "{dups} runs with duplicates");
    assert!(acked > 20_000, "{acked} acknowledged");
}

#[test]
fn the_idempotent_producer_never_appends_a_retried_message_twice() {
    let s = workload(|_| {});
    let b = FaultBudget {
        losses: 2,
        max_loss_pct: 50,
        targets: Targets::Servers,
        ..budget(&s)
    };
    let mut absorbed = 0;
    for seed in 0..700 {
        let extra = faults(&s, &b, seed);
        let (_, w, dup) = run(&s, seed, &extra);
        assert!(!dup, "seed {seed}: a leader appended a retry ({extra:?})");
        absorbed += w.mq().stats.dup_dropped;
    }
    assert!(absorbed > 50, "only {absorbed} retries absorbed");
}

/// The first seed (of `budget_seeds`) whose run violates `inv`.
fn caught(s: &Scenario, b: &FaultBudget, inv: &str, budget_seeds: u64) -> Option<u64> {
    (0..budget_seeds).find(|&seed| run(s, seed, &faults(s, b, seed)).0.iter().any(|x| x == inv))
}

fn mq(s: &mut Scenario) -> &mut MqCfg {
    s.protocols.mq.as_mut().expect("mq section")
}

/// Slow consumers (a backlog, so a message truncated away is not already processed), a
/// longer run to drain it, and two broker crashes plus an isolation.
fn backlog(s: &mut Scenario) {
    mq(s).process_ms = 150;
    s.until_ms = 8_000;
    s.fault_budget = Some(FaultBudget {
        crashes: 2,
        pauses: 0,
        partitions: 1,
        losses: 0,
        targets: Targets::Servers,
        ..budget(s)
    });
}

/// An unsafe setting: its name, how it changes the workload, the invariant it breaks.
type Case = (&'static str, fn(&mut Scenario), &'static str);

#[test]
fn each_unsafe_setting_is_caught_within_its_budget() {
    let cases: [Case; 5] = [
        (
            "commit before processing",
            |s| mq(s).commit = CommitMode::Before,
            "lost",
        ),
        ("acks=1", |s| mq(s).acks = Acks::One, "lost"),
        ("acks=0", |s| mq(s).acks = Acks::Zero, "lost"),
        (
            "unclean election",
            |s| {
                backlog(s);
                mq(s).unclean = true;
                mq(s).min_isr = 1;
            },
            "lost",
        ),
        ("plain producer", |s| mq(s).idempotent = false, "duplicated"),
    ];
    for (what, tune, inv) in cases {
        let mut s = workload(|_| {});
        tune(&mut s);
        let b = budget(&s);
        let found = caught(&s, &b, inv, 300);
        assert!(found.is_some(), "{what}: {inv} not caught in 300 seeds");
        eprintln!("{what}: {inv} first caught at seed {found:?}");
    }
}

/// The same backlog and faults with clean elections only: nothing is lost, so what the
/// unclean case finds is the election's doing.
#[test]
fn with_the_same_faults_clean_elections_lose_nothing() {
    let mut s = workload(|_| {});
    backlog(&mut s);
    mq(&mut s).min_isr = 1;
    let b = budget(&s);
    for seed in 0..300 {
        let extra = faults(&s, &b, seed);
        let (v, _, _) = run(&s, seed, &extra);
        assert!(
            !v.iter().any(|x| x == "lost"),
            "seed {seed} lost a message ({extra:?})"
        );
    }
}

fn summary(file: &str, tune: impl FnOnce(&mut MqCfg)) -> serde_json::Value {
    let mut s = load(&format!("static/scenarios/{file}"));
    if let Some(c) = s.protocols.mq.as_mut() {
        tune(c);
    }
    let r = ringlab::sim::runner::report(&s, None, s.until_ms).expect("runs");
    let last = r.text.lines().last().expect("summary");
    let v: serde_json::Value = serde_json::from_str(last).expect("json");
    v["summary"]["mq"].clone()
}

#[test]
fn the_scenarios_show_what_their_titles_say() {
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or(u64::MAX);
    let before = summary("mq-commit-before-crash.json", |_| {});
    assert!(
        n(&before, "lost") >= 1 && n(&before, "duplicated") == 0,
        "{before}"
    );
    let after = summary("mq-commit-before-crash.json", |c| {
        c.commit = CommitMode::After
    });
    assert!(
        n(&after, "lost") == 0 && n(&after, "duplicated") >= 1,
        "{after}"
    );
    let eager = summary("mq-rebalance-eager-vs-cooperative.json", |_| {});
    let coop = summary("mq-rebalance-eager-vs-cooperative.json", |c| {
        c.rebalance = Rebalance::Cooperative
    });
    assert!(
        n(&coop, "stall_ms") < n(&eager, "stall_ms"),
        "{eager} / {coop}"
    );
    assert!(
        n(&coop, "stalled_partitions") < n(&eager, "stalled_partitions"),
        "{eager} / {coop}"
    );
    let isr = summary("mq-min-isr.json", |_| {});
    assert!(
        n(&isr, "not_enough_replicas") > 0 && n(&isr, "lost") == 0,
        "{isr}"
    );
    assert_eq!(n(&isr, "acknowledged"), n(&isr, "produced"), "{isr}");
    let unclean = summary("mq-unclean-election.json", |_| {});
    assert!(
        n(&unclean, "unclean_elections") > 0 && n(&unclean, "lost") > 0,
        "{unclean}"
    );
    let clean = summary("mq-unclean-election.json", |c| c.unclean = false);
    assert_eq!(n(&clean, "lost"), 0, "{clean}");
    let idem = summary("mq-idempotent-producer.json", |_| {});
    assert!(
        n(&idem, "dup_dropped") > 0 && n(&idem, "duplicated") == 0,
        "{idem}"
    );
    let plain = summary("mq-idempotent-producer.json", |c| c.idempotent = false);
    assert!(n(&plain, "duplicated") > 0, "{plain}");
    let dlq = summary("mq-poison-dlq.json", |_| {});
    assert_eq!(n(&dlq, "dead_lettered"), 1, "{dlq}");
    let slow = summary("mq-slow-consumer.json", |_| {});
    assert!(
        n(&slow, "duplicated") > 0 && n(&slow, "commits_rejected") > 0,
        "{slow}"
    );
    assert!(n(&slow, "rebalances") >= 2, "{slow}");
}

#[test]
fn mq_runs_are_byte_identical_for_the_same_seed() {
    let s = load("static/scenarios/mq-slow-consumer.json");
    let a = ringlab::sim::runner::report(&s, Some(9), s.until_ms)
        .expect("runs")
        .text;
    let b = ringlab::sim::runner::report(&s, Some(9), s.until_ms)
        .expect("runs")
        .text;
    assert_eq!(a, b);
}
