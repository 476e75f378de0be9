//! `ringlab-cli run SCENARIO.json [--seed N] [--until MS]`: prints the trace as JSON lines,
//! then one summary line with invariant results; exit 0 if expectations hold, 1 if not,
//! 2 for bad input. The report itself is `sim::runner::report`, shared with the browser.

use std::io::Write;

use super::engine::{
    check_until, load, number, say, BadInput, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK,
};
use crate::sim::runner;

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
    check_until(until)?;
    let report = runner::report(&s, seed, until).map_err(BadInput)?;
    // Ignore broken pipes (`ringlab-cli run x | head` must not panic).
    let _ = out.write_all(report.text.as_bytes());
    Ok(if report.ok { EXIT_OK } else { EXIT_FAILED })
}
