//! Gray & Lamport's TwoPhase specification (the TLA+ `TwoPhase` module) as a checkable model.
//!
//! The textbook mode keeps exactly the specification's state: each resource manager's state
//! (`working`, `prepared`, `committed`, `aborted`), the transaction manager's state (`init`,
//! `committed`, `aborted`), the set of RMs the TM knows are prepared, and the set of messages
//! ever sent (`Prepared(rm)`, `Commit`, `Abort`). Messages are never lost or consumed; there are
//! no crashes and no timeouts. Its reachable-state count is therefore comparable with TLC's
//! figure for the published model. The heuristic mode adds one unsafe action, a prepared RM
//! deciding on its own, and the checker finds the atomicity violation it allows.

use std::fmt;

use super::{Model, Property};

/// The largest number of resource managers the checker accepts (state is packed in a u64 and
/// the state space grows about eightfold per RM).
pub const MAX_RMS: usize = 8;

/// A resource manager's state, as in the specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rm {
    /// Doing the transaction's work; may still abort on its own.
    Working,
    /// Voted yes: must now wait for the decision.
    Prepared,
    /// Learnt the commit decision.
    Committed,
    /// Aborted (by choice while working, or on the abort decision).
    Aborted,
}

/// The transaction manager's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tm {
    /// Collecting votes.
    Init,
    /// Decided commit.
    Committed,
    /// Decided abort.
    Aborted,
}

/// One whole state of the specification.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// `rmState`.
    pub rm: Vec<Rm>,
    /// `tmState`.
    pub tm: Tm,
    /// `tmPrepared`, as a bit set over RM indices.
    pub tm_prepared: u16,
    /// `Prepared(rm)` messages in `msgs`, as a bit set.
    pub msg_prepared: u16,
    /// `Commit` ∈ `msgs`.
    pub msg_commit: bool,
    /// `Abort` ∈ `msgs`.
    pub msg_abort: bool,
}

/// One step, named as in the specification (`rm` counts from 1, as `r1`, `r2`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `TMRcvPrepared(r)`.
    TmRcvPrepared(usize),
    /// `TMCommit`.
    TmCommit,
    /// `TMAbort`.
    TmAbort,
    /// `RMPrepare(r)`.
    RmPrepare(usize),
    /// `RMChooseToAbort(r)`.
    RmChooseToAbort(usize),
    /// `RMRcvCommitMsg(r)`.
    RmRcvCommitMsg(usize),
    /// `RMRcvAbortMsg(r)`.
    RmRcvAbortMsg(usize),
    /// Unsafe: a prepared RM commits on its own after a timeout (heuristic decision).
    RmHeuristicCommit(usize),
    /// Unsafe: a prepared RM aborts on its own after a timeout (heuristic decision).
    RmHeuristicAbort(usize),
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::TmRcvPrepared(r) => write!(f, "TMRcvPrepared(r{})", r + 1),
            Action::TmCommit => write!(f, "TMCommit"),
            Action::TmAbort => write!(f, "TMAbort"),
            Action::RmPrepare(r) => write!(f, "RMPrepare(r{})", r + 1),
            Action::RmChooseToAbort(r) => write!(f, "RMChooseToAbort(r{})", r + 1),
            Action::RmRcvCommitMsg(r) => write!(f, "RMRcvCommitMsg(r{})", r + 1),
            Action::RmRcvAbortMsg(r) => write!(f, "RMRcvAbortMsg(r{})", r + 1),
            Action::RmHeuristicCommit(r) => write!(f, "RMHeuristicCommit(r{})", r + 1),
            Action::RmHeuristicAbort(r) => write!(f, "RMHeuristicAbort(r{})", r + 1),
        }
    }
}

/// Which protocol is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Exactly Gray & Lamport's TwoPhase.
    Textbook,
    /// TwoPhase plus heuristic decisions by prepared RMs (unsafe).
    Heuristic,
}

impl Variant {
    /// Parses the CLI spelling.
    pub fn parse(s: &str) -> Option<Variant> {
        match s {
            "textbook" => Some(Variant::Textbook),
            "heuristic" => Some(Variant::Heuristic),
            _ => None,
        }
    }
}

/// TwoPhase with `rms` resource managers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TwoPhase {
    rms: usize,
    variant: Variant,
}

impl TwoPhase {
    /// A model of `rms` resource managers (1..=`MAX_RMS`).
    pub fn new(rms: usize, variant: Variant) -> Result<Self, String> {
        if rms == 0 || rms > MAX_RMS {
            return Err(format!(
                "--rms must be between 1 and {MAX_RMS}, got {rms} (the state space grows about eightfold per RM)"
            ));
        }
        Ok(TwoPhase { rms, variant })
    }
}

impl TwoPhase {
    /// Replays a path of actions from the initial state, checking each is enabled where it is
    /// taken: how a counterexample is re-run, and how a hand-written one is validated.
    pub fn replay(&self, path: &[Action]) -> Result<State, String> {
        let mut s = self
            .init()
            .into_iter()
            .next()
            .ok_or_else(|| "the model has no initial state".to_string())?;
        let mut next = Vec::new();
        for (i, a) in path.iter().enumerate() {
            next.clear();
            self.next(&s, &mut next);
            s = next
                .drain(..)
                .find(|(b, _)| b == a)
                .map(|(_, t)| t)
                .ok_or_else(|| format!("step {}: {a} is not enabled", i + 1))?;
        }
        Ok(s)
    }
}

fn with_rm(s: &State, r: usize, to: Rm) -> State {
    let mut t = s.clone();
    t.rm[r] = to;
    t
}

impl Model for TwoPhase {
    type State = State;
    type Action = Action;

    fn init(&self) -> Vec<State> {
        vec![State {
            rm: vec![Rm::Working; self.rms],
            tm: Tm::Init,
            tm_prepared: 0,
            msg_prepared: 0,
            msg_commit: false,
            msg_abort: false,
        }]
    }

    fn next(&self, s: &State, out: &mut Vec<(Action, State)>) {
        let all = (1u16 << self.rms) - 1;
        if s.tm == Tm::Init {
            for r in 0..self.rms {
                if s.msg_prepared & (1 << r) != 0 {
                    let mut t = s.clone();
                    t.tm_prepared |= 1 << r;
                    out.push((Action::TmRcvPrepared(r), t));
                }
            }
            if s.tm_prepared == all {
                let mut t = s.clone();
                t.tm = Tm::Committed;
                t.msg_commit = true;
                out.push((Action::TmCommit, t));
            }
            let mut t = s.clone();
            t.tm = Tm::Aborted;
            t.msg_abort = true;
            out.push((Action::TmAbort, t));
        }
        for r in 0..self.rms {
            if s.rm[r] == Rm::Working {
                let mut t = with_rm(s, r, Rm::Prepared);
                t.msg_prepared |= 1 << r;
                out.push((Action::RmPrepare(r), t));
                out.push((Action::RmChooseToAbort(r), with_rm(s, r, Rm::Aborted)));
            }
            if s.msg_commit {
                out.push((Action::RmRcvCommitMsg(r), with_rm(s, r, Rm::Committed)));
            }
            if s.msg_abort {
                out.push((Action::RmRcvAbortMsg(r), with_rm(s, r, Rm::Aborted)));
            }
            if self.variant == Variant::Heuristic && s.rm[r] == Rm::Prepared {
                out.push((Action::RmHeuristicCommit(r), with_rm(s, r, Rm::Committed)));
                out.push((Action::RmHeuristicAbort(r), with_rm(s, r, Rm::Aborted)));
            }
        }
    }

    fn always(&self) -> Vec<Property<State>> {
        vec![
            Property {
                name: "TCConsistent",
                explain: "no resource manager has committed while another has aborted",
                holds: |s| !(s.rm.contains(&Rm::Committed) && s.rm.contains(&Rm::Aborted)),
            },
            Property {
                name: "TMDecidesOnce",
                explain: "the TM sends at most one of Commit and Abort",
                holds: |s| !(s.msg_commit && s.msg_abort),
            },
            Property {
                name: "CommitNeedsAllPrepared",
                explain: "Commit is only ever sent after every RM reported Prepared",
                holds: |s| !s.msg_commit || s.msg_prepared.count_ones() as usize == s.rm.len(),
            },
        ]
    }

    fn sometimes(&self) -> Vec<Property<State>> {
        vec![
            Property {
                name: "AllCommitted",
                explain: "some run commits everywhere",
                holds: |s| s.rm.iter().all(|&r| r == Rm::Committed),
            },
            Property {
                name: "AllAborted",
                explain: "some run aborts everywhere",
                holds: |s| s.rm.iter().all(|&r| r == Rm::Aborted),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::check::check;

    fn run(rms: usize, variant: Variant) -> crate::sim::check::Report<Action> {
        check(&TwoPhase::new(rms, variant).expect("valid"), 10_000_000)
    }

    #[test]
    fn textbook_state_counts_match_the_published_model() {
        // TLC reports 288 distinct states for TwoPhase with 3 RMs and 8,832 with 5.
        let expected = [
            (1, 12, 4),
            (2, 56, 7),
            (3, 288, 10),
            (4, 1_568, 13),
            (5, 8_832, 16),
        ];
        for (rms, states, depth) in expected {
            let r = run(rms, Variant::Textbook);
            assert_eq!((r.states, r.depth), (states, depth), "rms = {rms}");
            assert!(r.passed(), "rms = {rms}: {r:?}");
        }
    }

    #[test]
    fn textbook_reaches_both_outcomes_and_keeps_every_invariant() {
        let r = run(3, Variant::Textbook);
        assert!(r.always.iter().all(|v| v.ok && v.path.is_none()));
        let commit = r
            .sometimes
            .iter()
            .find(|v| v.name == "AllCommitted")
            .expect("property");
        let path = commit.path.clone().expect("a witness");
        // Shortest commit: 3 prepares, 3 TM receipts, TMCommit, 3 commit receipts.
        assert_eq!(path.len(), 10);
        let end = TwoPhase::new(3, Variant::Textbook)
            .expect("valid")
            .replay(&path)
            .expect("replays");
        assert!(end.rm.iter().all(|&x| x == Rm::Committed));
    }

    #[test]
    fn heuristic_decisions_break_atomicity_with_a_shortest_counterexample() {
        let model = TwoPhase::new(2, Variant::Heuristic).expect("valid");
        let r = check(&model, 1_000_000);
        assert!(!r.passed());
        let v = r
            .always
            .iter()
            .find(|v| v.name == "TCConsistent")
            .expect("property");
        assert!(!v.ok);
        let path = v.path.clone().expect("a counterexample");
        // Prepare, decide alone, and the other RM aborts: nothing shorter can mix outcomes.
        assert_eq!(path.len(), 3, "{path:?}");
        let end = model.replay(&path).expect("the counterexample replays");
        assert!(end.rm.contains(&Rm::Committed) && end.rm.contains(&Rm::Aborted));
        let text: Vec<String> = path.iter().map(|a| a.to_string()).collect();
        assert!(
            text.iter().any(|t| t.starts_with("RMHeuristic")),
            "{text:?}"
        );
    }

    #[test]
    fn bad_sizes_and_invalid_paths_are_refused_with_a_reason() {
        assert!(TwoPhase::new(0, Variant::Textbook).is_err());
        let e = TwoPhase::new(MAX_RMS + 1, Variant::Textbook).expect_err("too many");
        assert!(e.contains("between 1 and"), "{e}");
        let model = TwoPhase::new(2, Variant::Textbook).expect("valid");
        let e = model.replay(&[Action::TmCommit]).expect_err("not enabled");
        assert_eq!(e, "step 1: TMCommit is not enabled");
        assert_eq!(Variant::parse("heuristic"), Some(Variant::Heuristic));
        assert_eq!(Variant::parse("3pc"), None);
    }

    #[test]
    fn a_state_limit_truncates_instead_of_running_away() {
        let r = check(&TwoPhase::new(5, Variant::Textbook).expect("valid"), 100);
        assert!(r.truncated);
        assert!(!r.passed());
        assert!(r.states <= 100 + 64);
    }
}
