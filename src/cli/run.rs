//! `ringlab-cli run SCENARIO.json [--seed N] [--until MS]`: prints the trace as JSON lines,
//! then one summary line with invariant results; exit 0 if expectations hold, 1 if not,
//! 2 for bad input.

use std::io::Write;

use serde_json::json;

use super::engine::{load, number, play, say, BadInput, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::sim::invariant::Class;

/// Usage text of the subcommand.
pub const USAGE: &str = "ringlab-cli run SCENARIO.json [--seed N] [--until MS]";

/// Runs the subcommand with its arguments (after `run`); returns the exit code.
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match run(args, out) {
        Ok(code) => code,
        Err(BadInput(m)) => {
            say(err, &format!("ringlab-cli run: {m}"));
            say(err, &format!("usage: {USAGE}"));
            EXIT_BAD_INPUT
        }
    }
}

fn run(args: &[String], out: &mut dyn Write) -> Result<u8, BadInput> {
    let mut path = None;
    let mut seed = None;
    let mut until = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seed" => seed = Some(number("--seed", it.next())?),
            "--until" => until = Some(number("--until", it.next())?),
            flag if flag.starts_with('-') => {
                return Err(BadInput(format!("unknown option {flag}")))
            }
            p if path.is_none() => path = Some(p.to_string()),
            extra => return Err(BadInput(format!("unexpected argument \"{extra}\""))),
        }
    }
    let path = path.ok_or_else(|| BadInput("missing SCENARIO.json".into()))?;
    let s = load(&path)?;
    let until = until.unwrap_or(s.until_ms);
    let tl = play(&s, seed, until)?;
    let w = tl.world();
    let name = |ix| w.name(ix);
    for (i, e) in tl.trace().iter().enumerate() {
        say(out, &e.to_json_line(i, &name));
    }
    let verdicts = s.verdicts(tl.checker());
    let ok = verdicts.iter().all(|v| v.ok);
    let invariants: Vec<_> = tl
        .checker()
        .results()
        .map(|(inv, at)| {
            json!({
                "name": inv.name,
                "class": match inv.class { Class::Engine => "engine", Class::Protocol => "protocol" },
                "explain": inv.explain,
                "violated_at": at,
            })
        })
        .collect();
    let mut summary = json!({
        "summary": {
            "scenario": s.id,
            "seed": seed.unwrap_or(s.seed),
            "until_ms": until,
            "events": tl.trace().len(),
            "invariants": invariants,
            "expectations": verdicts,
            "ok": ok,
        }
    });
    if w.lock_cfg().is_some() {
        summary["summary"]["locks"] = json!(w.lock_stats());
    }
    say(out, &summary.to_string());
    Ok(if ok { EXIT_OK } else { EXIT_FAILED })
}
