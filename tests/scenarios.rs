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
