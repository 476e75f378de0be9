//! `ringlab-cli explore SCENARIO.json --seeds N [--out FILE]`: runs N seeds, each with a
//! random fault schedule drawn from the scenario's fault budget; counts violations per
//! invariant; shrinks the shortest run that breaks an invariant the scenario expects to
//! hold, and writes it as a replayable scenario. The logic is `sim::explore` (the browser runs
//! the same); this module parses arguments and prints.

use std::io::Write;

use serde_json::json;

use super::engine::{load, number, say, BadInput, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::sim::explore::{Explorer, Progress};

/// Usage text of the subcommand.
pub const USAGE: &str = "ringlab-cli explore SCENARIO.json --seeds N [--out FILE]";

/// Most seeds one exploration may run.
pub use crate::sim::explore::MAX_SEEDS;

/// Runs the subcommand with its arguments (after `explore`); returns the exit code.
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match explore(args, out) {
        Ok(code) => code,
        Err(BadInput(m)) => {
            say(err, &format!("ringlab-cli explore: {m}"));
            say(err, &format!("usage: {USAGE}"));
            EXIT_BAD_INPUT
        }
    }
}

fn explore(args: &[String], out: &mut dyn Write) -> Result<u8, BadInput> {
    let mut path = None;
    let mut seeds = None;
    let mut out_file = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seeds" => seeds = Some(number("--seeds", it.next())?),
            "--out" => {
                out_file = Some(
                    it.next()
                        .ok_or_else(|| BadInput("--out needs a file name".into()))?
                        .clone(),
                )
            }
            flag if flag.starts_with('-') => {
                return Err(BadInput(format!("unknown option {flag}")))
            }
            p if path.is_none() => path = Some(p.to_string()),
            extra => return Err(BadInput(format!("unexpected argument \"{extra}\""))),
        }
    }
    let path = path.ok_or_else(|| BadInput("missing SCENARIO.json".into()))?;
    let seeds = seeds.ok_or_else(|| BadInput("missing --seeds N".into()))?;
    if !(1..=MAX_SEEDS).contains(&seeds) {
        return Err(BadInput(format!(
            "--seeds: must be in 1..={MAX_SEEDS}, got {seeds}"
        )));
    }
    let s = load(&path)?;
    if s.fault_budget.is_none() {
        return Err(BadInput(format!(
            "{path}: fault_budget: missing; explore needs one"
        )));
    }
    let id = s.id.clone();
    let mut ex = Explorer::new(s, seeds).map_err(BadInput)?;
    let found = loop {
        match ex.step().map_err(BadInput)? {
            Progress::Seed(r) => say(
                out,
                &json!({
                    "seed": r.seed,
                    "faults": r.faults,
                    "violated": r.violated,
                    "broke_expectation": r.broke,
                })
                .to_string(),
            ),
            Progress::Shrinking => {}
            Progress::Done(found) => break found,
        }
    };
    let shortest = match found {
        None => serde_json::Value::Null,
        Some(f) => {
            if let Some(file) = &out_file {
                std::fs::write(file, f.repro.encode() + "\n")
                    .map_err(|e| BadInput(format!("--out {file}: {e}")))?;
            }
            json!({
                "seed": f.seed,
                "invariant": f.broken.invariant,
                "at_event": f.broken.at_event,
                "at_ms": f.broken.at_ms,
                "faults": f.faults,
                "written_to": out_file,
            })
        }
    };
    let any = !shortest.is_null();
    say(
        out,
        &json!({
            "explore": {
                "scenario": id,
                "seeds": seeds,
                "runs_violating": ex.counts().iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
                "shortest": shortest,
            }
        })
        .to_string(),
    );
    Ok(if any { EXIT_FAILED } else { EXIT_OK })
}
