//! Determinism across builds: the trace of a bundled scenario for a fixed seed is pinned in
//! `tests/golden/`, byte for byte. The browser test (`tests/web_timeline.rs`) compares its own
//! run with the same file, so native and wasm must agree exactly.
//!
//! After an intended change to the engine, regenerate it with
//! `ringlab-cli run static/scenarios/gc-pause.json --seed 3 > tests/golden/gc-pause.trace.jsonl`.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

use ringlab::sim::runner;
use ringlab::sim::scenario::Scenario;

const SCENARIO: &str = include_str!("../static/scenarios/gc-pause.json");
const GOLDEN: &str = include_str!("golden/gc-pause.trace.jsonl");

#[test]
fn library_report_matches_the_golden_trace() {
    let s = Scenario::decode(SCENARIO.as_bytes()).expect("bundled scenario decodes");
    let r = runner::report(&s, Some(3), s.until_ms).expect("runs");
    assert!(r.ok);
    assert_eq!(r.text.len(), GOLDEN.len());
    for (i, (a, b)) in r.text.lines().zip(GOLDEN.lines()).enumerate() {
        assert_eq!(a, b, "line {} differs", i + 1);
    }
    assert_eq!(r.text, GOLDEN);
}

#[test]
fn cli_prints_the_golden_trace() {
    let path = format!(
        "{}/static/scenarios/gc-pause.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ringlab-cli"))
        .args(["run", &path, "--seed", "3"])
        .output()
        .expect("the CLI binary runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout == GOLDEN.as_bytes(),
        "CLI output differs from tests/golden/gc-pause.trace.jsonl"
    );
}
