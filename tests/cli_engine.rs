//! Runs the real `ringlab-cli` binary: exit codes 0/1/2, byte-identical output for the same
//! scenario and seed, and explore's reproduction file replaying as a passing scenario.

use std::path::PathBuf;
use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ringlab-cli"))
        .args(args)
        .output()
        .expect("the CLI binary runs")
}

fn scenario(name: &str) -> String {
    format!("{}/static/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A scratch file unique to this test process.
fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ringlab-cli-test-{}-{name}", std::process::id()))
}

#[test]
fn builtin_scenarios_meet_their_expectations() {
    for name in [
        "node-failure.json",
        "partition-false-suspicion.json",
        "gc-pause.json",
    ] {
        let out = cli(&["run", &scenario(name)]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let last = text.lines().last().unwrap();
        let summary: serde_json::Value = serde_json::from_str(last).unwrap();
        assert_eq!(summary["summary"]["ok"], true);
        // every other line is one trace event with the documented keys
        for line in text.lines().take(50) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v.get("summary").is_none() {
                for key in ["i", "t", "kind", "node", "fields"] {
                    assert!(v.get(key).is_some(), "{key} missing in {line}");
                }
            }
        }
    }
}

#[test]
fn same_scenario_and_seed_give_identical_bytes() {
    let a = cli(&[
        "run",
        &scenario("partition-false-suspicion.json"),
        "--seed",
        "9",
    ]);
    let b = cli(&[
        "run",
        &scenario("partition-false-suspicion.json"),
        "--seed",
        "9",
    ]);
    assert_eq!(a.stdout, b.stdout);
    let c = cli(&[
        "run",
        &scenario("partition-false-suspicion.json"),
        "--seed",
        "10",
    ]);
    assert_ne!(a.stdout, c.stdout, "the seed matters");
}

#[test]
fn failed_expectation_exits_1() {
    let text = std::fs::read_to_string(scenario("gc-pause.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut v = v;
    v["expect"] = serde_json::json!({ "hold": ["accurate_suspicion"] });
    let path = scratch("expect-fails.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let out = cli(&["run", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().last().unwrap().contains(r#""ok":false"#));
}

#[test]
fn until_shortens_the_run() {
    let out = cli(&["run", &scenario("gc-pause.json"), "--until", "1500"]);
    // the violation is at 2.5 s, so a 1.5 s run misses the expected violation
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let before_summary = text.lines().rev().nth(1).unwrap();
    let v: serde_json::Value = serde_json::from_str(before_summary).unwrap();
    assert!(v["t"].as_u64().unwrap() <= 1500);
}

#[test]
fn bad_files_and_arguments_exit_2() {
    let truncated = scratch("truncated.json");
    std::fs::write(&truncated, r#"{"version":1,"id":"x","#).unwrap();
    let future = scratch("future.json");
    std::fs::write(&future, r#"{"version":99}"#).unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["run".into(), truncated.display().to_string()],
            "line 1",
        ),
        (
            vec!["run".into(), future.display().to_string()],
            "needs version 1",
        ),
        (
            vec!["run".into(), "no/such/file.json".into()],
            "no/such/file.json",
        ),
        (vec!["run".into()], "missing SCENARIO"),
        (
            vec![
                "run".into(),
                scenario("gc-pause.json"),
                "--seed".into(),
                "x".into(),
            ],
            "--seed",
        ),
        (vec!["explore".into(), scenario("gc-pause.json")], "--seeds"),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cli(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    let _ = std::fs::remove_file(truncated);
    let _ = std::fs::remove_file(future);
}

#[test]
fn explore_writes_a_replayable_reproduction() {
    let repro = scratch("repro.json");
    let out = cli(&[
        "explore",
        &scenario("node-failure.json"),
        "--seeds",
        "12",
        "--out",
        repro.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "faults break accurate_suspicion"
    );
    let again = cli(&[
        "explore",
        &scenario("node-failure.json"),
        "--seeds",
        "12",
        "--out",
        repro.to_str().unwrap(),
    ]);
    assert_eq!(out.stdout, again.stdout, "exploration is deterministic too");
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(summary
        .lines()
        .last()
        .unwrap()
        .contains("accurate_suspicion"));
    let replay = cli(&["run", repro.to_str().unwrap()]);
    let _ = std::fs::remove_file(&repro);
    assert_eq!(
        replay.status.code(),
        Some(0),
        "the reproduction demonstrates the violation: {}",
        String::from_utf8_lossy(&replay.stderr)
    );
}
