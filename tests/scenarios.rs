//! Every bundled scenario (static/scenarios/index.json) run through the CLI library, as
//! `ringlab-cli run` would: it must exit 0, its summary must say ok, and every expectation
//! it states must be met. Lock scenarios must also report their counters.
#![cfg(not(target_arch = "wasm32"))] // reads files; the CLI is native-only

use ringlab::cli::run;

fn dir() -> String {
    format!("{}/static/scenarios", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `ringlab-cli run ARGS…` in-process; returns (exit code, stdout, stderr).
fn run_cli(args: &[String]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run::main(args, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).expect("utf-8 trace"),
        String::from_utf8(err).expect("utf-8 errors"),
    )
}

fn index() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(format!("{}/index.json", dir())).expect("index.json");
    serde_json::from_str::<Vec<serde_json::Value>>(&text).expect("index.json is a list")
}

#[test]
fn every_bundled_scenario_meets_its_expectations() {
    let entries = index();
    assert!(entries.len() >= 13, "{} scenarios indexed", entries.len());
    for e in entries {
        let file = e["file"].as_str().expect("file");
        let path = format!("{}/{file}", dir());
        let (code, out, err) = run_cli(std::slice::from_ref(&path));
        assert_eq!(code, 0, "{file}: exit {code}: {err}");
        let last = out.lines().last().expect("a summary line");
        let summary: serde_json::Value = serde_json::from_str(last).expect("summary is JSON");
        let s = &summary["summary"];
        assert_eq!(s["ok"], true, "{file}");
        assert_eq!(s["scenario"], e["id"], "{file}: id matches the index");
        let verdicts = s["expectations"].as_array().expect("expectations");
        assert!(!verdicts.is_empty(), "{file} states expectations");
        for v in verdicts {
            assert_eq!(v["ok"], true, "{file}: {v}");
        }
        let text = std::fs::read_to_string(&path).expect("scenario file");
        if text.contains("\"locks\"") {
            let locks = &s["locks"];
            assert!(
                locks["grants"].as_u64().is_some_and(|g| g > 0),
                "{file}: {locks}"
            );
        }
    }
}

#[test]
fn lock_scenarios_demonstrate_what_their_titles_say() {
    // (file, invariants that must break, invariants that must hold)
    let cases = [
        (
            "lock-gc-unfenced.json",
            &["lock_exclusive", "no_stale_write", "no_lost_update"][..],
            &["lock_liveness"][..],
        ),
        (
            "lock-gc-fenced.json",
            &["lock_exclusive"],
            &["no_stale_write", "no_lost_update"],
        ),
        (
            "redlock-clock-jump.json",
            &["lock_exclusive", "no_lost_update"],
            &[],
        ),
        (
            "redis-failover.json",
            &["lock_exclusive", "no_lost_update"],
            &["no_stale_write"],
        ),
        (
            "ring-handoff.json",
            &[],
            &["lock_exclusive", "no_stale_write", "no_lost_update"],
        ),
        (
            "release-blind.json",
            &["lock_exclusive", "no_lost_update"],
            &[],
        ),
        (
            "zk-queue.json",
            &[],
            &["lock_exclusive", "no_lost_update", "lock_liveness"],
        ),
        (
            "zk-herd.json",
            &[],
            &["lock_exclusive", "no_lost_update", "lock_liveness"],
        ),
        (
            "etcd-partition.json",
            &[],
            &["lock_exclusive", "no_stale_write", "no_lost_update"],
        ),
        (
            "lock-deadlock.json",
            &["no_deadlock"],
            &["lock_liveness", "lock_exclusive"],
        ),
    ];
    for (file, broken, held) in cases {
        let (_, out, _) = run_cli(&[format!("{}/{file}", dir())]);
        let summary: serde_json::Value =
            serde_json::from_str(out.lines().last().expect("summary")).expect("JSON");
        let results = summary["summary"]["invariants"]
            .as_array()
            .expect("invariants")
            .clone();
        let violated = |name: &str| {
            results
                .iter()
                .find(|r| r["name"] == name)
                .map(|r| !r["violated_at"].is_null())
                .unwrap_or_else(|| panic!("{file}: no invariant {name}"))
        };
        for name in broken {
            assert!(violated(name), "{file}: {name} should break");
        }
        for name in held {
            assert!(!violated(name), "{file}: {name} should hold");
        }
    }
}

#[test]
fn the_herd_wakes_many_more_waiters_than_predecessor_watches() {
    let wakeups = |file: &str| {
        let (_, out, _) = run_cli(&[format!("{}/{file}", dir())]);
        let v: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
        (
            v["summary"]["locks"]["wakeups"].as_u64().unwrap(),
            v["summary"]["locks"]["handoffs"].as_u64().unwrap(),
        )
    };
    let (queue, handoffs) = wakeups("zk-queue.json");
    let (herd, _) = wakeups("zk-herd.json");
    assert_eq!(
        queue, handoffs,
        "predecessor watches: one wake-up per handoff"
    );
    assert!(herd >= 3 * queue, "herd {herd} vs queue {queue}");
}

#[test]
fn lock_runs_are_byte_identical_for_the_same_seed() {
    for file in [
        "lock-gc-unfenced.json",
        "redlock-clock-jump.json",
        "zk-herd.json",
        "ring-handoff.json",
    ] {
        let args = |seed: &str| vec![format!("{}/{file}", dir()), "--seed".into(), seed.into()];
        let (_, a, _) = run_cli(&args("7"));
        let (_, b, _) = run_cli(&args("7"));
        assert_eq!(a, b, "{file}: same seed, same bytes");
        let (_, c, _) = run_cli(&args("8"));
        assert_ne!(a, c, "{file}: the seed matters");
    }
}

/// The lock events of the GC-pause lesson, pinned: any change to lock semantics, timers or
/// the order overdue timers fire in after a pause shows up here.
#[test]
fn golden_gc_pause_lock_events() {
    let (_, out, _) = run_cli(&[format!("{}/lock-gc-unfenced.json", dir())]);
    let got: Vec<String> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| {
            let k = v["kind"].as_str().unwrap_or("");
            k.starts_with("lock_") || k.starts_with("storage_") || k == "violation"
        })
        .map(|v| {
            format!(
                "{} {} {}",
                v["t"],
                v["kind"].as_str().unwrap_or(""),
                v["node"]
            )
        })
        .collect();
    let want = [
        "100 lock_request \"c1\"",
        "104 lock_grant \"C\"",
        "108 lock_acquired \"c1\"",
        "111 storage_read \"db\"",
        "150 lock_request \"c2\"",
        "152 lock_queue \"C\"",
        "1104 lock_expire \"C\"",
        "1104 lock_grant \"C\"",
        "1108 lock_acquired \"c2\"",
        "1108 violation null",
        "1113 storage_read \"db\"",
        "1417 storage_write \"db\"",
        "1419 lock_released \"c2\"",
        "1422 lock_free \"C\"",
        "1700 lock_lost \"c1\"",
        "1703 storage_write \"db\"",
        "1703 violation null",
        "1703 violation null",
        "1705 lock_released \"c1\"",
    ];
    assert_eq!(got, want);
}

/// Each two-phase commit lesson shows what its title says: the events that make the point
/// happen, in order, and the counters are reported.
#[test]
fn tpc_scenarios_demonstrate_what_their_titles_say() {
    let events = |file: &str| -> (Vec<serde_json::Value>, serde_json::Value) {
        let (code, out, err) = run_cli(&[format!("{}/{file}", dir())]);
        assert_eq!(code, 0, "{file}: {err}");
        let mut lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        let summary = lines.pop().expect("summary");
        (lines, summary["summary"].clone())
    };
    let find = |ev: &[serde_json::Value], kind: &str, node: &str| -> Vec<u64> {
        ev.iter()
            .filter(|v| v["kind"] == kind && v["node"] == node)
            .map(|v| v["t"].as_u64().unwrap())
            .collect()
    };
    // The core lesson: participants in doubt while the coordinator is down, a second
    // order refused on the locked rows, then ABORT delivered once it restarts.
    let (ev, s) = events("tpc-coordinator-crash.json");
    for p in ["B", "C", "D"] {
        let abort = find(&ev, "tpc_abort", p);
        let tx1_abort = ev
            .iter()
            .find(|v| v["kind"] == "tpc_abort" && v["node"] == p && v["fields"]["tx"] == 1)
            .map(|v| v["t"].as_u64().unwrap())
            .expect("T1 aborts");
        assert!(
            tx1_abort > 3000,
            "{p} stays in doubt until A restarts: {abort:?}"
        );
    }
    assert!(ev
        .iter()
        .any(|v| v["kind"] == "tpc_vote" && v["fields"]["why"] == "lock_busy"));
    assert!(s["tpc"]["max_in_doubt_ms"].as_u64().unwrap() > 2800, "{s}");
    // After logging COMMIT, a restarted coordinator re-sends it.
    let (ev, s) = events("tpc-coordinator-crash-after-commit.json");
    assert_eq!(find(&ev, "tpc_recover", "A").len(), 1);
    assert!(find(&ev, "tpc_commit", "B")[0] > 2000);
    assert_eq!(s["tpc"]["committed"], 1);
    // A restarted participant finds itself prepared and commits.
    let (ev, _) = events("tpc-participant-recovers-prepared.json");
    assert_eq!(find(&ev, "tpc_recover", "B").len(), 1);
    assert!(find(&ev, "tpc_commit", "B")[0] > 1200);
    // Lost COMMIT and lost ACK: the resend is acknowledged again, the end record follows.
    let (ev, _) = events("tpc-lost-commit-ack.json");
    assert_eq!(find(&ev, "tpc_end", "A").len(), 1);
    assert_eq!(
        find(&ev, "tpc_commit", "C").len(),
        1,
        "committed once, acked twice"
    );
    // NO vote; crash before voting: abort, by NO vote and by timeout.
    let (ev, _) = events("tpc-no-vote.json");
    assert!(ev.iter().any(|v| v["fields"]["why"] == "out_of_stock"));
    let (ev, _) = events("tpc-participant-crash-before-vote.json");
    assert!(ev
        .iter()
        .any(|v| v["kind"] == "tpc_decide" && v["fields"]["by"] == "timeout"));
    // The unsafe ones are caught.
    for file in ["tpc-3pc-split.json", "tpc-heuristic.json"] {
        let (ev, _) = events(file);
        let violations: Vec<&str> = ev
            .iter()
            .filter(|v| v["kind"] == "violation")
            .map(|v| v["fields"]["invariant"].as_str().unwrap())
            .collect();
        assert!(violations.contains(&"atomicity"), "{file}: {violations:?}");
        assert!(
            violations.contains(&"conservation"),
            "{file}: {violations:?}"
        );
    }
}

#[test]
fn ha_scenarios_show_what_their_titles_say() {
    // (file, counter, at least, at most)
    let cases: [(&str, &str, u64, u64); 16] = [
        (
            "ha-sentinel-partition.json",
            "lost_acked_writes",
            1,
            u64::MAX,
        ),
        ("ha-fenced-failover.json", "lost_acked_writes", 0, 0),
        ("ha-fenced-failover.json", "stale_reads", 0, 0),
        (
            "ha-sloppy-quorum-stale-read.json",
            "stale_reads",
            1,
            u64::MAX,
        ),
        ("ha-sloppy-quorum-stale-read.json", "hints", 1, u64::MAX),
        ("ha-hinted-handoff.json", "handoffs", 1, u64::MAX),
        ("ha-hinted-handoff.json", "hints_expired", 1, u64::MAX),
        ("ha-lww-clock-skew.json", "lost_acked_writes", 1, u64::MAX),
        ("ha-cart-divergence.json", "siblings", 1, u64::MAX),
        ("ha-cart-divergence.json", "resurrected", 1, u64::MAX),
        ("ha-join-streams-keys.json", "streamed", 2, u64::MAX),
        ("ha-join-streams-keys.json", "lost_acked_writes", 0, 0),
        ("ha-multi-shard-failover.json", "promotions", 1, 1),
        ("ha-multi-shard-failover.json", "lost_acked_writes", 0, 0),
        ("ha-multi-shard-failover.json", "stale_reads", 0, 0),
        (
            "ha-long-partition-failover.json",
            "lost_acked_writes",
            1,
            u64::MAX,
        ),
    ];
    for (file, counter, lo, hi) in cases {
        let (code, out, err) = run_cli(&[format!("{}/{file}", dir())]);
        assert_eq!(code, 0, "{file}: {err}");
        let summary: serde_json::Value =
            serde_json::from_str(out.lines().last().expect("summary")).expect("JSON");
        let kv = &summary["summary"]["kv"];
        let n = kv[counter]
            .as_u64()
            .unwrap_or_else(|| panic!("{file}: {kv}"));
        assert!(
            (lo..=hi).contains(&n),
            "{file}: {counter} = {n}, want {lo}..={hi}"
        );
    }
}

#[test]
fn saga_scenarios_show_what_their_titles_say() {
    let run = |file: &str| -> (serde_json::Value, Vec<serde_json::Value>) {
        let (code, out, err) = run_cli(&[format!("{}/{file}", dir())]);
        assert_eq!(code, 0, "{file}: {err}");
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        let last = lines.last().expect("summary").clone();
        (last["summary"]["saga"].clone(), lines)
    };
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k}: {v}"));

    // Order 2 fails at the pivot: refund, then release (reverse order).
    let (s, lines) = run("saga-payment-fails.json");
    assert_eq!((n(&s, "completed"), n(&s, "compensated")), (1, 2), "{s}");
    let undo_order: Vec<&str> = lines
        .iter()
        .filter(|l| l["kind"] == "saga_txn" && l["fields"]["note"]["order"] == 2)
        .filter(|l| l["fields"]["note"]["kind"] == "undo")
        .map(|l| l["fields"]["effect"]["op"].as_str().expect("op"))
        .collect();
    assert_eq!(undo_order, ["refund", "release"]);

    let (s, _) = run("saga-compensation-fails.json");
    assert_eq!(n(&s, "compensation_retries"), 4, "{s}");
    assert_eq!(n(&s, "compensated"), 1, "{s}");

    let (s, lines) = run("saga-orchestrator-crash.json");
    assert_eq!(n(&s, "completed"), 3, "{s}");
    assert!(lines.iter().any(|l| l["kind"] == "saga_recover"));

    let (s, _) = run("saga-dirty-read.json");
    assert_eq!(n(&s, "dirty_reads"), 1, "{s}");
    let (s, _) = run("saga-semantic-lock.json");
    assert_eq!((n(&s, "dirty_reads"), n(&s, "completed")), (0, 1), "{s}");
    assert!(n(&s, "busy") >= 1, "{s}");

    // The same duplicate publish: absorbed by the inbox, or charged twice.
    let (s, _) = run("outbox-relay-crash.json");
    assert_eq!(n(&s, "relay_crashes"), 1, "{s}");
    assert!(n(&s, "duplicate_appends") >= 1, "{s}");
    assert!(n(&s, "duplicates_absorbed") >= 1, "{s}");
    assert_eq!(n(&s, "double_charges"), 0, "{s}");
    let (s, _) = run("outbox-relay-crash-naive.json");
    assert_eq!(n(&s, "double_charges"), 1, "{s}");
    assert_eq!(n(&s, "duplicates_applied"), 1, "{s}");

    let (s, _) = run("dual-write-lost-message.json");
    assert_eq!(n(&s, "unsettled"), 1, "{s}");

    // Choreographed: the same outcomes and the same reverse order, in fewer records on the
    // log (no commands and answers through an orchestrator).
    let (c, lines) = run("saga-choreography.json");
    assert_eq!((n(&c, "completed"), n(&c, "compensated")), (1, 2), "{c}");
    let undo_order: Vec<&str> = lines
        .iter()
        .filter(|l| l["kind"] == "saga_txn" && l["fields"]["note"]["order"] == 2)
        .filter(|l| l["fields"]["note"]["kind"] == "undo")
        .map(|l| l["fields"]["effect"]["op"].as_str().expect("op"))
        .collect();
    assert_eq!(undo_order, ["refund", "release"]);
    let (o, _) = run("saga-payment-fails.json");
    assert!(n(&c, "appended") < n(&o, "appended"), "{c} vs {o}");

    // The broker failure and the rebalance happen under the saga, on its own topic: D led
    // a partition (a new leader is elected), its consumer leaves the group and rejoins, and
    // order 4's shipment (its row on D) runs on D after the rejoin.
    let (s, lines) = run("checkout-end-to-end.json");
    assert_eq!((n(&s, "completed"), n(&s, "compensated")), (5, 1), "{s}");
    let mq = &lines.last().expect("summary")["summary"]["mq"];
    assert!(n(mq, "elections") >= 1, "{mq}");
    assert_eq!((n(mq, "lost"), n(mq, "duplicated")), (0, 0), "{mq}");
    let at = |kind: &str, f: &dyn Fn(&serde_json::Value) -> bool| {
        lines
            .iter()
            .find(|l| l["kind"] == kind && f(&l["fields"]))
            .and_then(|l| l["t"].as_u64())
    };
    let gone = at("mq_member_gone", &|f| f["peer"] == "D").expect("D leaves the group");
    let back = at("mq_join", &|f| f["peer"] == "D").expect("D joins");
    let rejoin = lines
        .iter()
        .filter(|l| l["kind"] == "mq_join" && l["fields"]["peer"] == "D")
        .filter_map(|l| l["t"].as_u64())
        .max()
        .expect("D rejoins");
    assert!(back < gone && gone < rejoin, "{back} {gone} {rejoin}");
    let ship4 = lines
        .iter()
        .find(|l| {
            l["kind"] == "saga_txn"
                && l["node"] == "D"
                && l["fields"]["note"]["order"] == 4
                && l["fields"]["note"]["step"] == "ship"
        })
        .and_then(|l| l["t"].as_u64())
        .expect("order 4 ships on D");
    assert!(ship4 > rejoin, "{ship4} after {rejoin}");
}
