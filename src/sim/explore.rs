//! Exploration: runs many seeds of a scenario, each with a random fault schedule drawn from
//! its fault budget; counts violations per invariant; shrinks the earliest run that breaks an
//! invariant the scenario expects to hold, and turns it into a replayable scenario.
//!
//! It advances one run per [`Explorer::step`], so the CLI can print as it goes and the browser
//! can spread the work over animation frames and cancel it; both get the same results.

use crate::sim::vecmap::VecMap;

use super::event::What;
use super::fault::{Episode, FaultBudget};
use super::invariant::Checker;
use super::rng::Rng;
use super::runner::play_with;
use super::scenario::{Expect, Scenario, Scheduled};
use super::time::Time;

/// Most seeds one exploration may run.
pub const MAX_SEEDS: u64 = 100_000;

/// Mixed into a run's seed to seed its fault generator, so faults and the network's own
/// randomness are independent streams.
const FAULT_STREAM: u64 = 0xFA17_5EED_0000_0001;

/// What one run broke: the first violated "must hold" invariant and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The invariant the scenario expected to hold.
    pub invariant: String,
    /// Trace index of its violation event.
    pub at_event: usize,
    /// Virtual time of the violation.
    pub at_ms: Time,
}

/// The outcome of one seed, as `ringlab-cli explore` prints it.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedRun {
    /// The world seed of this run.
    pub seed: u64,
    /// How many fault episodes were injected.
    pub faults: usize,
    /// Every invariant violated, in trace order.
    pub violated: Vec<String>,
    /// The first "must hold" invariant that broke, if any.
    pub broke: Option<String>,
}

/// The shrunk counterexample: the earliest-breaking run with as few faults as still break it.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// World seed of the run.
    pub seed: u64,
    /// What broke, and where (after shrinking).
    pub broken: Broken,
    /// Fault episodes left after shrinking.
    pub faults: usize,
    /// A scenario that replays the violation (faults merged into its schedule).
    pub repro: Scenario,
}

/// What one [`Explorer::step`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Ran the next seed.
    Seed(SeedRun),
    /// Tried removing one fault episode from the counterexample.
    Shrinking,
    /// Finished; the counterexample, if any run broke a "must hold" expectation.
    Done(Option<Box<Found>>),
}

enum Phase {
    Seeds,
    Shrinking {
        seed: u64,
        episodes: Vec<Episode>,
        broken: Broken,
        i: usize,
    },
    Done,
}

/// An exploration in progress. See the module docs.
pub struct Explorer {
    scenario: Scenario,
    budget: FaultBudget,
    /// Nodes faults may hit (servers, clients or both, per the budget's `targets`).
    targets: Vec<String>,
    hold: Vec<String>,
    seeds: u64,
    next: u64,
    counts: VecMap<String, u64>,
    best: Option<(u64, Vec<Episode>, Broken)>,
    phase: Phase,
}

impl Explorer {
    /// Prepares `seeds` runs (1..=[`MAX_SEEDS`]) of `s`, which needs a fault budget.
    pub fn new(s: Scenario, seeds: u64) -> Result<Self, String> {
        if !(1..=MAX_SEEDS).contains(&seeds) {
            return Err(format!("seeds: must be in 1..={MAX_SEEDS}, got {seeds}"));
        }
        let budget = s
            .fault_budget
            .clone()
            .ok_or_else(|| "fault_budget: missing; explore needs one".to_string())?;
        let hold = s
            .verdicts(&Checker::builtin())
            .into_iter()
            .filter(|v| v.expected == "hold")
            .map(|v| v.invariant)
            .collect();
        Ok(Explorer {
            targets: budget.targets(&s.server_names(), &s.cluster.clients),
            scenario: s,
            budget,
            hold,
            seeds,
            next: 0,
            counts: VecMap::default(),
            best: None,
            phase: Phase::Seeds,
        })
    }

    /// The scenario being explored.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// How many seeds this exploration runs.
    pub fn seeds(&self) -> u64 {
        self.seeds
    }

    /// How many seeds have run so far.
    pub fn seeds_done(&self) -> u64 {
        self.next
    }

    /// Number of runs violating each invariant so far.
    pub fn counts(&self) -> &VecMap<String, u64> {
        &self.counts
    }

    /// The run that broke an expectation earliest so far: (seed, what broke), before shrinking.
    pub fn earliest(&self) -> Option<(u64, &Broken)> {
        self.best.as_ref().map(|(seed, _, b)| (*seed, b))
    }

    /// True once [`Progress::Done`] has been returned.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// Does one run: the next seed, or one shrinking attempt, or finishes.
    pub fn step(&mut self) -> Result<Progress, String> {
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Done => Ok(Progress::Done(None)),
            Phase::Seeds if self.next < self.seeds => {
                self.phase = Phase::Seeds;
                self.run_seed().map(Progress::Seed)
            }
            Phase::Seeds => match self.best.take() {
                None => Ok(Progress::Done(None)),
                Some((seed, episodes, broken)) => {
                    self.phase = Phase::Shrinking {
                        seed,
                        episodes,
                        broken,
                        i: 0,
                    };
                    self.step()
                }
            },
            Phase::Shrinking {
                seed,
                mut episodes,
                mut broken,
                mut i,
            } => {
                if i >= episodes.len() {
                    let repro = reproduction(&self.scenario, &self.hold, seed, &episodes, &broken);
                    return Ok(Progress::Done(Some(Box::new(Found {
                        seed,
                        faults: episodes.len(),
                        broken,
                        repro,
                    }))));
                }
                // Greedily drop one episode while the same invariant still breaks no later.
                let mut fewer = episodes.clone();
                fewer.remove(i);
                let v = self.run_once(seed, &fewer)?;
                match self.first_broken(&v) {
                    Some(b) if b.invariant == broken.invariant && b.at_event <= broken.at_event => {
                        episodes = fewer;
                        broken = b;
                    }
                    _ => i += 1,
                }
                self.phase = Phase::Shrinking {
                    seed,
                    episodes,
                    broken,
                    i,
                };
                Ok(Progress::Shrinking)
            }
        }
    }

    fn run_seed(&mut self) -> Result<SeedRun, String> {
        let s = &self.scenario;
        let seed = s.seed.wrapping_add(self.next);
        self.next += 1;
        let episodes = self.budget.generate(
            &mut Rng::new(seed ^ FAULT_STREAM),
            &self.targets,
            s.until_ms,
            s.network.loss,
        );
        let violations = self.run_once(seed, &episodes)?;
        for (name, _, _) in &violations {
            *self.counts.entry_default(name.clone()) += 1;
        }
        let broken = self.first_broken(&violations);
        let run = SeedRun {
            seed,
            faults: episodes.len(),
            violated: violations.iter().map(|v| v.0.clone()).collect(),
            broke: broken.as_ref().map(|b| b.invariant.clone()),
        };
        if let Some(b) = broken {
            let better = self
                .best
                .as_ref()
                .is_none_or(|(_, _, cur)| b.at_event < cur.at_event);
            if better {
                self.best = Some((seed, episodes, b));
            }
        }
        Ok(run)
    }

    /// Runs the scenario with extra fault episodes; returns every violated invariant (name,
    /// event index, time) in trace order.
    fn run_once(
        &self,
        seed: u64,
        episodes: &[Episode],
    ) -> Result<Vec<(String, usize, Time)>, String> {
        let s = &self.scenario;
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

    fn first_broken(&self, violations: &[(String, usize, Time)]) -> Option<Broken> {
        violations
            .iter()
            .find(|(name, _, _)| self.hold.contains(name))
            .map(|(name, i, t)| Broken {
                invariant: name.clone(),
                at_event: *i,
                at_ms: *t,
            })
    }
}

/// The failing run as a scenario: faults merged into the schedule, stopping just after the
/// violation, expecting exactly that violation.
fn reproduction(
    s: &Scenario,
    hold: &[String],
    seed: u64,
    episodes: &[Episode],
    broken: &Broken,
) -> Scenario {
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
    super::sort::sort_by_u64(&mut schedule, |x| x.at_ms);
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
            hold: hold
                .iter()
                .filter(|h| **h != broken.invariant)
                .cloned()
                .collect(),
            violate: vec![broken.invariant.clone()],
        }),
        fault_budget: None,
        until_ms: until,
        ..s.clone()
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn node_failure() -> Scenario {
        let text = include_str!("../../static/scenarios/node-failure.json");
        Scenario::decode(text.as_bytes()).unwrap()
    }

    fn run_all(ex: &mut Explorer) -> (Vec<SeedRun>, Option<Box<Found>>, usize) {
        let mut runs = Vec::new();
        let mut shrinks = 0;
        loop {
            match ex.step().unwrap() {
                Progress::Seed(r) => runs.push(r),
                Progress::Shrinking => shrinks += 1,
                Progress::Done(f) => return (runs, f, shrinks),
            }
        }
    }

    #[test]
    fn finds_shrinks_and_reproduces_a_broken_expectation() {
        let mut ex = Explorer::new(node_failure(), 12).unwrap();
        let (runs, found, _) = run_all(&mut ex);
        assert_eq!(runs.len(), 12);
        assert!(ex.is_done());
        assert_eq!(ex.seeds_done(), 12);
        let found = found.expect("faults break accurate_suspicion");
        assert_eq!(found.broken.invariant, "accurate_suspicion");
        // The reproduction replays the violation and expects it.
        let r = crate::sim::runner::report(&found.repro, None, found.repro.until_ms).unwrap();
        assert!(r.ok, "{}", r.text.lines().last().unwrap_or_default());
        // Same seeds, same results.
        let mut again = Explorer::new(node_failure(), 12).unwrap();
        let (runs2, found2, _) = run_all(&mut again);
        assert_eq!(runs, runs2);
        assert_eq!(Some(found), found2);
    }

    #[test]
    fn refuses_missing_budget_and_bad_seed_counts() {
        let mut s = node_failure();
        assert!(Explorer::new(s.clone(), 0).is_err());
        assert!(Explorer::new(s.clone(), MAX_SEEDS + 1).is_err());
        s.fault_budget = None;
        let e = Explorer::new(s, 3).err().unwrap_or_default();
        assert!(e.contains("fault_budget"), "{e}");
    }
}
