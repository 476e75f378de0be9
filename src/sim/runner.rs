//! Playing a scenario headless, and its report in the trace format. Shared by `ringlab-cli run`,
//! the explorer (CLI and browser) and the determinism tests, so the browser and the native
//! binary print the very same bytes for the same scenario and seed.

use serde_json::json;

use super::invariant::Class;
use super::scenario::{Scenario, MAX_UNTIL_MS};
use super::time::Time;
use super::timeline::Timeline;
use super::world::World;

/// Most trace events one run may produce before it is refused as too big.
pub const MAX_RUN_EVENTS: usize = 5_000_000;

/// Builds and runs a scenario to `until`, in 1-second chunks so a runaway run is refused (not
/// swapped to death). No snapshots: a run is played once. `extra` may schedule more commands
/// (injected faults) before the run starts.
pub fn play_with(
    s: &Scenario,
    seed: Option<u64>,
    until: Time,
    extra: impl FnOnce(&mut World),
) -> Result<Timeline, String> {
    if until > MAX_UNTIL_MS {
        return Err(format!("until: at most {MAX_UNTIL_MS} ms, got {until}"));
    }
    let mut world = s.build(seed).map_err(|e| e.to_string())?;
    extra(&mut world);
    let mut tl = Timeline::new(world, usize::MAX);
    let mut t = 0;
    while t < until {
        t = (t + 1_000).min(until);
        tl.advance_to(t);
        if tl.recorded().len() > MAX_RUN_EVENTS {
            return Err(format!(
                "the run exceeds {MAX_RUN_EVENTS} events by {t} ms; lower until_ms or the cluster size"
            ));
        }
    }
    // End-of-run checks (liveness: every waiter was granted or timed out).
    tl.finish();
    Ok(tl)
}

/// [`play_with`] without extra commands: one shared instantiation for every caller that
/// needs none (each closure type would compile its own copy of the run loop).
pub fn play(s: &Scenario, seed: Option<u64>, until: Time) -> Result<Timeline, String> {
    play_with(s, seed, until, |_| {})
}

/// A finished run in the trace format: one JSON line per event, then the summary line.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Every line, each ending in `\n`: what `ringlab-cli run` prints.
    pub text: String,
    /// Whether every expectation of the scenario was met.
    pub ok: bool,
}

/// Plays `s` to `until` and renders the report (see docs/engine.md, "Trace format").
pub fn report(s: &Scenario, seed: Option<u64>, until: Time) -> Result<Report, String> {
    let tl = play(s, seed, until)?;
    Ok(render(s, &tl, seed.unwrap_or(s.seed), until))
}

/// Renders a played timeline as trace lines plus the summary line.
pub fn render(s: &Scenario, tl: &Timeline, seed: u64, until: Time) -> Report {
    let w = tl.world();
    let name = |ix| w.name(ix);
    let mut text = String::new();
    for (i, e) in tl.trace().iter().enumerate() {
        text.push_str(&e.to_json_line(i, &name));
        text.push('\n');
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
            "seed": seed,
            "until_ms": until,
            "events": tl.trace().len(),
            "invariants": invariants,
            "expectations": verdicts,
            "ok": ok,
        }
    });
    for (name, section) in w.protocol_summaries(until) {
        summary["summary"][name] = section;
    }
    text.push_str(&summary.to_string());
    text.push('\n');
    Report { text, ok }
}
