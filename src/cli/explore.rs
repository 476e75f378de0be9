//! `ringlab-cli explore SCENARIO.json --seeds N [--out FILE]`: runs N seeds, each with a
//! random fault schedule drawn from the scenario's fault budget; counts violations per
//! invariant; shrinks the shortest run that breaks an invariant the scenario expects to
//! hold, and writes it as a replayable scenario.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::json;

use super::engine::{load, number, play_with, say, BadInput, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::sim::event::What;
use crate::sim::fault::Episode;
use crate::sim::rng::Rng;
use crate::sim::scenario::{Expect, Scenario, Scheduled};
use crate::sim::time::Time;

/// Usage text of the subcommand.
pub const USAGE: &str = "ringlab-cli explore SCENARIO.json --seeds N [--out FILE]";

/// Most seeds one exploration may run.
pub const MAX_SEEDS: u64 = 100_000;

/// Mixed into a run's seed to seed its fault generator, so faults and the network's own
/// randomness are independent streams.
const FAULT_STREAM: u64 = 0xFA17_5EED_0000_0001;

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

/// What one run broke: the first violated "must hold" invariant and where.
#[derive(Clone, Debug)]
struct Broken {
    invariant: String,
    at_event: usize,
    at_ms: Time,
}

/// Runs the scenario with extra fault episodes; returns every violated invariant (name,
/// event index, time) in trace order.
fn run_once(
    s: &Scenario,
    seed: u64,
    episodes: &[Episode],
) -> Result<Vec<(String, usize, Time)>, BadInput> {
    let tl = play_with(s, Some(seed), s.until_ms, |w| {
        for ep in episodes {
            for (t, c) in &ep.0 {
                w.schedule(*t, c.clone());
            }
        }
    })?;
    Ok(tl
        .trace()
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.what {
            What::Violation { invariant, .. } => Some((invariant.clone(), i, e.t)),
            _ => None,
        })
        .collect())
}

fn first_broken(s: &Scenario, violations: &[(String, usize, Time)]) -> Option<Broken> {
    let hold: Vec<String> = s
        .verdicts(&crate::sim::invariant::Checker::builtin())
        .into_iter()
        .filter(|v| v.expected == "hold")
        .map(|v| v.invariant)
        .collect();
    violations
        .iter()
        .find(|(name, _, _)| hold.contains(name))
        .map(|(name, i, t)| Broken {
            invariant: name.clone(),
            at_event: *i,
            at_ms: *t,
        })
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
    let budget = s
        .fault_budget
        .clone()
        .ok_or_else(|| BadInput(format!("{path}: fault_budget: missing; explore needs one")))?;
    let targets = budget.targets(&s.server_names(), &s.cluster.clients);

    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut best: Option<(u64, Vec<Episode>, Broken)> = None;
    for k in 0..seeds {
        let seed = s.seed.wrapping_add(k);
        let episodes = budget.generate(
            &mut Rng::new(seed ^ FAULT_STREAM),
            &targets,
            s.until_ms,
            s.network.loss,
        );
        let violations = run_once(&s, seed, &episodes)?;
        for (name, _, _) in &violations {
            *counts.entry(name.clone()).or_default() += 1;
        }
        let broken = first_broken(&s, &violations);
        say(
            out,
            &json!({
                "seed": seed,
                "faults": episodes.len(),
                "violated": violations.iter().map(|v| &v.0).collect::<Vec<_>>(),
                "broke_expectation": broken.as_ref().map(|b| &b.invariant),
            })
            .to_string(),
        );
        if let Some(b) = broken {
            let better = best
                .as_ref()
                .is_none_or(|(_, _, cur)| b.at_event < cur.at_event);
            if better {
                best = Some((seed, episodes, b));
            }
        }
    }

    let shortest = match best {
        None => serde_json::Value::Null,
        Some((seed, episodes, broken)) => {
            let (episodes, broken) = shrink(&s, seed, episodes, broken)?;
            let repro = reproduction(&s, seed, &episodes, &broken);
            if let Some(f) = &out_file {
                std::fs::write(f, repro.encode() + "\n")
                    .map_err(|e| BadInput(format!("--out {f}: {e}")))?;
            }
            json!({
                "seed": seed,
                "invariant": broken.invariant,
                "at_event": broken.at_event,
                "at_ms": broken.at_ms,
                "faults": episodes.len(),
                "written_to": out_file,
            })
        }
    };
    let any = !shortest.is_null();
    say(
        out,
        &json!({
            "explore": {
                "scenario": s.id,
                "seeds": seeds,
                "runs_violating": counts,
                "shortest": shortest,
            }
        })
        .to_string(),
    );
    Ok(if any { EXIT_FAILED } else { EXIT_OK })
}

/// Greedily removes fault episodes while the same invariant still breaks no later.
fn shrink(
    s: &Scenario,
    seed: u64,
    mut episodes: Vec<Episode>,
    mut broken: Broken,
) -> Result<(Vec<Episode>, Broken), BadInput> {
    let mut i = 0;
    while i < episodes.len() {
        let mut fewer = episodes.clone();
        fewer.remove(i);
        let v = run_once(s, seed, &fewer)?;
        match first_broken(s, &v) {
            Some(b) if b.invariant == broken.invariant && b.at_event <= broken.at_event => {
                episodes = fewer;
                broken = b;
            }
            _ => i += 1,
        }
    }
    Ok((episodes, broken))
}

/// The failing run as a scenario: faults merged into the schedule, stopping just after the
/// violation, expecting exactly that violation.
fn reproduction(s: &Scenario, seed: u64, episodes: &[Episode], broken: &Broken) -> Scenario {
    let until = broken.at_ms.max(1);
    let mut schedule: Vec<Scheduled> = s.schedule.clone();
    for ep in episodes {
        for (t, c) in &ep.0 {
            schedule.push(Scheduled {
                at_ms: *t,
                cmd: c.clone(),
            });
        }
    }
    schedule.retain(|x| x.at_ms <= until);
    schedule.sort_by_key(|x| x.at_ms);
    let hold = s
        .verdicts(&crate::sim::invariant::Checker::builtin())
        .into_iter()
        .filter(|v| v.expected == "hold" && v.invariant != broken.invariant)
        .map(|v| v.invariant)
        .collect();
    Scenario {
        id: format!("{}-repro-{seed}", s.id),
        title: format!("Reproduction: {} breaks in {}", broken.invariant, s.id),
        summary: format!(
            "Found by explore (seed {seed}); {} breaks at {} ms.",
            broken.invariant, broken.at_ms
        ),
        seed,
        schedule,
        narration: s
            .narration
            .iter()
            .filter(|n| n.at_ms <= until)
            .cloned()
            .collect(),
        expect: Some(Expect {
            hold,
            violate: vec![broken.invariant.clone()],
        }),
        fault_budget: None,
        until_ms: until,
        ..s.clone()
    }
}
