//! `ringlab-cli check 2pc`: exhaustive exploration of the abstract two-phase commit protocol,
//! with state counts comparable to TLC's, verdicts per property, and counterexamples that can
//! be written out and replayed.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::sim::check::two_phase::{Action, Rm, TwoPhase, Variant};
use crate::sim::check::{check, Verdict};

/// Default bound on distinct states: plenty for 8 RMs, small enough for any laptop.
pub const DEFAULT_MAX_STATES: usize = 5_000_000;

/// A counterexample file: enough to rebuild the model and re-run the path.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Counterexample {
    /// Always "two_phase" for now.
    pub model: String,
    /// Number of resource managers.
    pub rms: usize,
    /// "textbook" or "heuristic".
    pub variant: String,
    /// The property the path breaks.
    pub property: String,
    /// Actions, in the specification's names (`RMPrepare(r1)`, `TMCommit`, ...).
    pub path: Vec<String>,
}

struct Args {
    rms: usize,
    variant: Variant,
    variant_name: String,
    max_states: usize,
    out: Option<String>,
    replay: Option<String>,
}

fn value<'a>(args: &'a [String], i: &mut usize, flag: &str) -> Result<&'a str, String> {
    *i += 1;
    args.get(*i)
        .map(String::as_str)
        .ok_or_else(|| format!("{flag} needs a value"))
}

fn parse(args: &[String]) -> Result<Args, String> {
    match args.first().map(String::as_str) {
        Some("2pc") => {}
        Some(other) => return Err(format!("unknown model `{other}` (available: 2pc, history)")),
        None => return Err("which model? usage: ringlab-cli check 2pc --rms N".into()),
    }
    let mut a = Args {
        rms: 3,
        variant: Variant::Textbook,
        variant_name: "textbook".into(),
        max_states: DEFAULT_MAX_STATES,
        out: None,
        replay: None,
    };
    let mut i = 1;
    while i < args.len() {
        let flag = args[i].as_str();
        match flag {
            "--rms" => {
                let v = value(args, &mut i, flag)?;
                a.rms = v
                    .parse()
                    .map_err(|_| format!("--rms must be a whole number, got `{v}`"))?;
            }
            "--variant" => {
                let v = value(args, &mut i, flag)?;
                a.variant = Variant::parse(v)
                    .ok_or_else(|| format!("--variant must be textbook or heuristic, got `{v}`"))?;
                a.variant_name = v.to_string();
            }
            "--max-states" => {
                let v = value(args, &mut i, flag)?;
                a.max_states = v.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                    format!("--max-states must be a positive whole number, got `{v}`")
                })?;
            }
            "--out" => a.out = Some(value(args, &mut i, flag)?.to_string()),
            "--replay" => a.replay = Some(value(args, &mut i, flag)?.to_string()),
            other => return Err(format!("unknown option `{other}`")),
        }
        i += 1;
    }
    Ok(a)
}

fn verdict_json(v: &Verdict<Action>) -> serde_json::Value {
    serde_json::json!({
        "property": v.name,
        "explain": v.explain,
        "ok": v.ok,
        "path": v.path.as_ref().map(|p| p.iter().map(|a| a.to_string()).collect::<Vec<_>>()),
    })
}

fn replay(file: &str, out: &mut dyn Write) -> Result<u8, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let cx: Counterexample = serde_json::from_str(&text)
        .map_err(|e| format!("{file}: not a counterexample file: {e}"))?;
    if cx.model != "two_phase" {
        return Err(format!("{file}: unknown model `{}`", cx.model));
    }
    let variant = Variant::parse(&cx.variant).ok_or_else(|| {
        format!(
            "{file}: variant must be textbook or heuristic, got `{}`",
            cx.variant
        )
    })?;
    let model = TwoPhase::new(cx.rms, variant)?;
    let mut path = Vec::new();
    for (i, name) in cx.path.iter().enumerate() {
        path.push(
            parse_action(name, cx.rms)
                .ok_or_else(|| format!("{file}: step {}: unknown action `{name}`", i + 1))?,
        );
    }
    let end = model.replay(&path).map_err(|e| format!("{file}: {e}"))?;
    let atomic = !(end.rm.contains(&Rm::Committed) && end.rm.contains(&Rm::Aborted));
    let line = serde_json::json!({
        "replayed": cx.path.len(),
        "rm": end.rm.iter().map(|r| format!("{r:?}").to_lowercase()).collect::<Vec<_>>(),
        "tm": format!("{:?}", end.tm).to_lowercase(),
        "atomic": atomic,
    });
    writeln!(out, "{line}").map_err(|e| format!("cannot write output: {e}"))?;
    Ok(0)
}

/// Inverse of `Action`'s `Display`, for counterexample files.
pub fn parse_action(s: &str, rms: usize) -> Option<Action> {
    match s {
        "TMCommit" => return Some(Action::TmCommit),
        "TMAbort" => return Some(Action::TmAbort),
        _ => {}
    }
    let (name, rest) = s.split_once("(r")?;
    let r: usize = rest.strip_suffix(')')?.parse().ok()?;
    if r == 0 || r > rms {
        return None;
    }
    let r = r - 1;
    Some(match name {
        "TMRcvPrepared" => Action::TmRcvPrepared(r),
        "RMPrepare" => Action::RmPrepare(r),
        "RMChooseToAbort" => Action::RmChooseToAbort(r),
        "RMRcvCommitMsg" => Action::RmRcvCommitMsg(r),
        "RMRcvAbortMsg" => Action::RmRcvAbortMsg(r),
        "RMHeuristicCommit" => Action::RmHeuristicCommit(r),
        "RMHeuristicAbort" => Action::RmHeuristicAbort(r),
        _ => return None,
    })
}

/// Runs the command; returns the exit code (0 every property holds or a replay ran, 1 a
/// property fails, 2 bad input).
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    if args.first().map(String::as_str) == Some("history") {
        return super::history::main(&args[1..], out, err);
    }
    let a = match parse(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(err, "ringlab-cli check: {e}");
            return 2;
        }
    };
    if let Some(file) = &a.replay {
        return replay(file, out).unwrap_or_else(|e| {
            let _ = writeln!(err, "ringlab-cli check: {e}");
            2
        });
    }
    let model = match TwoPhase::new(a.rms, a.variant) {
        Ok(m) => m,
        Err(e) => {
            let _ = writeln!(err, "ringlab-cli check: {e}");
            return 2;
        }
    };
    let report = check(&model, a.max_states);
    let summary = serde_json::json!({
        "model": "two_phase",
        "rms": a.rms,
        "variant": a.variant_name,
        "states": report.states,
        "transitions": report.transitions,
        "depth": report.depth,
        "complete": !report.truncated,
        "always": report.always.iter().map(verdict_json).collect::<Vec<_>>(),
        "sometimes": report.sometimes.iter().map(verdict_json).collect::<Vec<_>>(),
    });
    if writeln!(out, "{summary}").is_err() {
        return 1;
    }
    if let Some(file) = &a.out {
        if let Some(v) = report.always.iter().find(|v| !v.ok) {
            let cx = Counterexample {
                model: "two_phase".into(),
                rms: a.rms,
                variant: a.variant_name.clone(),
                property: v.name.into(),
                path: v.path.iter().flatten().map(|x| x.to_string()).collect(),
            };
            let text = serde_json::to_string_pretty(&cx).unwrap_or_default();
            if let Err(e) = std::fs::write(file, text + "\n") {
                let _ = writeln!(err, "ringlab-cli check: cannot write {file}: {e}");
                return 2;
            }
        }
    }
    if report.passed() {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> (u8, String, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = main(&args, &mut out, &mut err);
        (
            code,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        )
    }

    #[test]
    fn textbook_passes_with_published_counts() {
        let (code, out, _) = run(&["2pc", "--rms", "3"]);
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
        assert_eq!(v["states"], 288);
        assert_eq!(v["complete"], true);
    }

    #[test]
    fn heuristic_fails_and_its_counterexample_replays() {
        let file = std::env::temp_dir().join(format!("ringlab-cx-{}.json", std::process::id()));
        let path = file.to_string_lossy().into_owned();
        let (code, out, _) = run(&[
            "2pc",
            "--rms",
            "2",
            "--variant",
            "heuristic",
            "--out",
            &path,
        ]);
        assert_eq!(code, 1, "{out}");
        let (code, out, err) = run(&["2pc", "--replay", &path]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("\"atomic\":false"), "{out}");
        let _ = std::fs::remove_file(&file);
    }

    #[test]
    fn bad_arguments_exit_2_with_a_reason() {
        for (args, needle) in [
            (vec!["3pc"], "unknown model"),
            (vec!["2pc", "--rms", "0"], "between 1 and"),
            (vec!["2pc", "--rms", "nine"], "whole number"),
            (vec!["2pc", "--variant", "paxos"], "textbook or heuristic"),
            (vec!["2pc", "--max-states", "0"], "positive"),
            (
                vec!["2pc", "--replay", "/nonexistent/cx.json"],
                "cannot read",
            ),
            (vec!["2pc", "--bogus"], "unknown option"),
        ] {
            let (code, _, err) = run(&args);
            assert_eq!(code, 2, "{args:?}");
            assert!(err.contains(needle), "{args:?}: {err}");
        }
        assert_eq!(parse_action("RMPrepare(r3)", 2), None);
        assert_eq!(parse_action("RMPrepare(r2)", 2), Some(Action::RmPrepare(1)));
    }
}
