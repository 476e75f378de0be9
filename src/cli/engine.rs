//! What `run` and `explore` share: loading scenarios, parsing numbers, playing a run with a
//! size cap, exit codes. Deterministic: same scenario + seed ⇒ the same bytes on stdout.

use std::io::Write;

use crate::sim::scenario::{Scenario, MAX_UNTIL_MS};
use crate::sim::time::Time;
use crate::sim::timeline::Timeline;

/// Exit code: expectations met.
pub const EXIT_OK: u8 = 0;
/// Exit code: the run finished but an expectation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad arguments or a bad scenario file.
pub const EXIT_BAD_INPUT: u8 = 2;

/// Most trace events one run may produce before it is refused as too big.
pub const MAX_RUN_EVENTS: usize = 5_000_000;

/// A usage or input problem, reported on stderr with exit code 2.
#[derive(Debug)]
pub struct BadInput(pub String);

/// Reads and decodes a scenario file; errors are prefixed with the path.
pub fn load(path: &str) -> Result<Scenario, BadInput> {
    let bytes = std::fs::read(path).map_err(|e| BadInput(format!("{path}: {e}")))?;
    Scenario::decode(&bytes).map_err(|e| BadInput(format!("{path}: {e}")))
}

/// Parses a numeric flag value, naming the flag on error.
pub fn number(flag: &str, v: Option<&String>) -> Result<u64, BadInput> {
    let v = v.ok_or_else(|| BadInput(format!("{flag} needs a value")))?;
    v.parse()
        .map_err(|_| BadInput(format!("{flag}: expected a whole number ≥ 0, got \"{v}\"")))
}

/// Builds and runs a scenario to `until`, in chunks so a runaway run is refused (not
/// swapped to death). No snapshots: a run is played once.
pub fn play(s: &Scenario, seed: Option<u64>, until: Time) -> Result<Timeline, BadInput> {
    play_with(s, seed, until, |_| {})
}

/// Same as [`play`], letting the caller schedule extra commands (injected faults) first.
pub fn play_with(
    s: &Scenario,
    seed: Option<u64>,
    until: Time,
    extra: impl FnOnce(&mut crate::sim::world::World),
) -> Result<Timeline, BadInput> {
    if until > MAX_UNTIL_MS {
        return Err(BadInput(format!(
            "--until: at most {MAX_UNTIL_MS} ms, got {until}"
        )));
    }
    let mut world = s.build(seed).map_err(|e| BadInput(e.to_string()))?;
    extra(&mut world);
    let mut tl = Timeline::new(world, usize::MAX);
    let mut t = 0;
    while t < until {
        t = (t + 1_000).min(until);
        tl.advance_to(t);
        if tl.recorded().len() > MAX_RUN_EVENTS {
            return Err(BadInput(format!(
                "the run exceeds {MAX_RUN_EVENTS} events by {t} ms; lower until_ms or the cluster size"
            )));
        }
    }
    tl.finish();
    Ok(tl)
}

/// Writes, ignoring broken pipes (`ringlab-cli run x | head` must not panic).
pub(crate) fn say(out: &mut dyn Write, line: &str) {
    let _ = writeln!(out, "{line}");
}
