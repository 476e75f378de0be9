//! The cluster tab's model: a loaded scenario on a [`Timeline`], plus what the page shows
//! about it (fault markers along the scrubber, the first violation of each invariant, fork
//! notices, the event log in words, narration, verdicts). Browser-free, so every rule the UI
//! follows (record the scenario up front, acting in the past forks, a refused command in the
//! past does not discard the future) is tested natively; the Yew component is a thin shell.

use std::rc::Rc;

use crate::sim::cmd::Cmd;
use crate::sim::event::{Event, What};
use crate::sim::ids::MsgId;
use crate::sim::invariant::{Checker, Class};
use crate::sim::scenario::{Scenario, Verdict};
use crate::sim::text::group_digits;
use crate::sim::time::{fmt_ms, Time};
use crate::sim::timeline::{Fork, Input, Target, Timeline, DEFAULT_SNAPSHOT_EVERY};
use crate::sim::world::World;

/// A scenario is recorded up front to its `until_ms`, but never beyond this many events: a
/// browser tab holds the trace (~72 bytes an event) plus snapshots.
pub const MAX_RECORDED_EVENTS: usize = 500_000;
/// Markers drawn along the scrubber at most (violations and forks are always kept).
pub const MAX_MARKERS: usize = 300;

/// What a scrubber marker stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    /// A process crashed.
    Crash,
    /// A process restarted.
    Recover,
    /// The network split or a node was isolated.
    Partition,
    /// Partitions removed.
    Heal,
    /// A stop-the-world pause began.
    Pause,
    /// A clock stepped.
    ClockJump,
    /// An invariant broke.
    Violation,
    /// The history was cut by an intervention in the past.
    Fork,
}

impl MarkerKind {
    /// CSS class suffix, so each kind gets its colour from the theme.
    pub fn class(self) -> &'static str {
        match self {
            MarkerKind::Crash => "crash",
            MarkerKind::Recover => "recover",
            MarkerKind::Partition => "partition",
            MarkerKind::Heal => "heal",
            MarkerKind::Pause => "pause",
            MarkerKind::ClockJump => "clock",
            MarkerKind::Violation => "violation",
            MarkerKind::Fork => "fork",
        }
    }
}

/// One clickable marker on the scrubber.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// What happened.
    pub kind: MarkerKind,
    /// Trace index of the event (None for a fork, which has no event of its own).
    pub event: Option<usize>,
    /// Virtual time.
    pub t: Time,
    /// Accessible name: "crash of C at 1,240 ms".
    pub label: String,
}

/// One line of the event log.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    /// Trace index.
    pub index: usize,
    /// Virtual time.
    pub t: Time,
    /// The event in words ([`World::describe`]).
    pub text: String,
    /// Stable kind string (for styling).
    pub kind: &'static str,
    /// The message it concerns, if any (selecting the line selects the message).
    pub msg: Option<MsgId>,
}

/// An invariant's status at the playhead.
#[derive(Clone, Debug, PartialEq)]
pub struct InvariantRow {
    /// Stable name.
    pub name: &'static str,
    /// One-line explanation.
    pub explain: &'static str,
    /// "engine" or "protocol".
    pub class: &'static str,
    /// Where it first broke, if it has by the playhead.
    pub violated: Option<Violated>,
}

/// A violation and its witnesses, ready to show.
#[derive(Clone, Debug, PartialEq)]
pub struct Violated {
    /// Trace index of the violation event.
    pub index: usize,
    /// Virtual time.
    pub t: Time,
    /// Witness events (trace index, in words), the offender first.
    pub witnesses: Vec<(usize, String)>,
}

/// The message an event concerns (send, delivery, drop).
pub fn event_msg(e: &Event) -> Option<MsgId> {
    match e.what {
        What::Send { msg, .. } | What::Deliver { msg, .. } | What::Drop { msg, .. } => Some(msg),
        _ => None,
    }
}

/// Faults, recoveries, failure-detector changes, ring changes, notes and violations: what the
/// log keeps when routine traffic is hidden.
pub fn is_notable(e: &Event) -> bool {
    !matches!(
        e.what,
        What::Send { .. } | What::Deliver { .. } | What::Timer { .. }
    )
}

fn marker_for(w: &World, i: usize, e: &Event) -> Option<Marker> {
    let at = fmt_ms(e.t);
    let node = e.node.map(|n| w.name(n)).unwrap_or_default();
    let names = |v: &[u32]| v.iter().map(|&n| w.name(n)).collect::<Vec<_>>().join(", ");
    let (kind, label) = match &e.what {
        What::Crash => (MarkerKind::Crash, format!("crash of {node} at {at}")),
        What::Recover => (MarkerKind::Recover, format!("recover of {node} at {at}")),
        What::Pause { .. } => (MarkerKind::Pause, format!("pause of {node} at {at}")),
        What::ClockJump { .. } => (
            MarkerKind::ClockJump,
            format!("clock jump of {node} at {at}"),
        ),
        What::Partition { side, other } => (
            MarkerKind::Partition,
            format!(
                "partition {{{}}} | {{{}}} at {at}",
                names(side),
                names(other)
            ),
        ),
        What::Isolate => (MarkerKind::Partition, format!("isolate of {node} at {at}")),
        What::Heal => (MarkerKind::Heal, format!("heal at {at}")),
        What::Violation { invariant, .. } => (
            MarkerKind::Violation,
            format!("violation of {invariant} at {at}"),
        ),
        _ => return None,
    };
    Some(Marker {
        kind,
        event: Some(i),
        t: e.t,
        label,
    })
}

/// An end-of-run check a page session left for later (see [`Session::load_sliced`]): the
/// store's linearizability search, which can take seconds on a heavy history, run by the page
/// in slices between frames and recorded with [`Session::conclude_sliced`].
#[derive(Clone, Debug)]
pub struct SlicedCheck {
    /// The invariant it decides.
    pub name: &'static str,
    /// The whole run's history, paired into operations as the checker reads it.
    pub ops: Rc<Vec<crate::sim::history::Op>>,
    /// The step budget, the same as the run's own check (so the verdict is the CLI's).
    pub budget: u64,
}

/// The store's end-of-run linearizability check, when the world runs the store.
#[cfg(feature = "proto-kv")]
fn sliced_check(w: &World) -> Option<SlicedCheck> {
    use crate::sim::proto::kv::{check, Kv, RUN_BUDGET};
    w.cfg::<Kv>()?;
    Some(SlicedCheck {
        name: check::SLICED,
        ops: Rc::new(w.shared::<Kv>().ops()),
        budget: RUN_BUDGET,
    })
}

#[cfg(not(feature = "proto-kv"))]
fn sliced_check(_: &World) -> Option<SlicedCheck> {
    None
}

/// A loaded scenario and its navigable history. See the module docs.
#[derive(Clone, Debug)]
pub struct Session {
    scenario: Rc<Scenario>,
    tl: Timeline,
    markers: Vec<Marker>,
    /// First violation of each invariant over the whole recording: (name, trace index).
    violations: Vec<(String, usize)>,
    indexed: usize,
    forks_seen: usize,
    /// Set when recording stopped early or the last command forked; shown to the user.
    pub notice: Option<String>,
    /// An end-of-run check still to run (page sessions only).
    sliced: Option<SlicedCheck>,
}

impl Session {
    /// Builds the scenario's world (its own seed), records it up to `until_ms` (or
    /// [`MAX_RECORDED_EVENTS`]), and puts the playhead at the start.
    pub fn load(scenario: Scenario) -> Result<Session, String> {
        Self::load_with(scenario, false)
    }

    /// [`Session::load`] for the page: the end-of-run linearizability check (seconds on a
    /// heavy history) is not run here but left in [`Session::sliced`], for the page to run
    /// in slices and record with [`Session::conclude_sliced`]; every other check runs.
    pub fn load_sliced(scenario: Scenario) -> Result<Session, String> {
        Self::load_with(scenario, true)
    }

    fn load_with(scenario: Scenario, slice: bool) -> Result<Session, String> {
        let tl = Self::timeline_of(&scenario)?;
        let mut s = Session::around(scenario, tl, 0);
        let until = s.scenario.until_ms;
        let mut t = 0;
        while t < until {
            t = (t + 250).min(until);
            s.tl.advance_to(t);
            if s.tl.recorded().len() > MAX_RECORDED_EVENTS {
                s.notice = Some(format!(
                    "Recording stopped at t={}: the run exceeds {} events.",
                    fmt_ms(t),
                    group_digits(MAX_RECORDED_EVENTS as u64)
                ));
                break;
            }
        }
        if s.notice.is_none() {
            // The run is over: end-of-run checks (liveness, lost messages) as the CLI runs them.
            s.sliced = if slice {
                sliced_check(s.tl.world())
            } else {
                None
            };
            match &s.sliced {
                Some(c) => s.tl.finish_except(&[c.name]),
                None => s.tl.finish(),
            }
        }
        s.reindex();
        s.tl.seek(Target::Time(0));
        Ok(s)
    }

    /// Rebuilds a shared session (see `model::share`): the scenario's run with the same live
    /// commands at the same places, recorded to `head`, the fork records put back, and the
    /// playhead at trace position `position` / time `t`. Any mismatch is an error, not a panic.
    pub fn restore(
        scenario: Scenario,
        inputs: &[Input],
        forks: Vec<Fork>,
        head: (u64, Time),
        position: usize,
        t: Time,
    ) -> Result<Session, String> {
        // Queue items are bounded like events, so a crafted link cannot spin for long.
        let max_pops = 4 * MAX_RECORDED_EVENTS as u64;
        if head.0 > max_pops || inputs.iter().any(|i| i.pops > max_pops) {
            return Err("the shared run is longer than this build records".into());
        }
        let mut tl = Self::timeline_of(&scenario)?;
        for input in inputs {
            tl.replay_input(input, MAX_RECORDED_EVENTS)?;
        }
        tl.run_to(head.0, head.1, MAX_RECORDED_EVENTS)?;
        let n = forks.len();
        tl.set_forks(forks);
        let mut s = Session::around(scenario, tl, n);
        s.reindex();
        s.tl.seek(Target::Time(t));
        if s.tl.position() != position && position > 0 {
            s.tl.seek(Target::Event(position - 1));
        }
        Ok(s)
    }

    /// The scenario's world at time 0 on a timeline that checks the built-in invariants.
    fn timeline_of(scenario: &Scenario) -> Result<Timeline, String> {
        let world = scenario.build(None).map_err(|e| e.to_string())?;
        Ok(Timeline::with_checker(
            world,
            Checker::builtin(),
            DEFAULT_SNAPSHOT_EVERY,
        ))
    }

    /// A session on `tl`, not yet indexed; `forks_seen` forks are already known.
    fn around(scenario: Scenario, tl: Timeline, forks_seen: usize) -> Session {
        Session {
            scenario: Rc::new(scenario),
            tl,
            markers: Vec::new(),
            violations: Vec::new(),
            indexed: 0,
            forks_seen,
            sliced: None,
            notice: None,
        }
    }

    /// The scenario as loaded.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The scenario as loaded, shared: panels key what they computed to it by identity.
    pub fn scenario_rc(&self) -> Rc<Scenario> {
        Rc::clone(&self.scenario)
    }

    /// The history.
    pub fn timeline(&self) -> &Timeline {
        &self.tl
    }

    /// The world at the playhead.
    pub fn world(&self) -> &World {
        self.tl.world()
    }

    /// Where playing pauses by itself: the scenario's end.
    pub fn until(&self) -> Time {
        self.scenario.until_ms
    }

    /// Keeps markers and first violations in step with the recorded trace: drops what a
    /// fork discarded, scans what was added.
    fn reindex(&mut self) {
        let rec = self.tl.recorded();
        // A fork truncated the trace at its `at_event` before appending new events.
        let mut cut = rec.len();
        for f in self.tl.forks().iter().skip(self.forks_seen) {
            cut = cut.min(f.at_event);
        }
        self.forks_seen = self.tl.forks().len();
        if cut < self.indexed {
            self.markers.retain(|m| m.event.is_some_and(|i| i < cut));
            self.violations.retain(|(_, i)| *i < cut);
            self.indexed = cut;
        }
        let w = self.tl.world();
        for (i, e) in rec.iter().enumerate().skip(self.indexed) {
            if let Some(m) = marker_for(w, i, e) {
                self.markers.push(m);
            }
            if let What::Violation { invariant, .. } = &e.what {
                if !self.violations.iter().any(|(n, _)| n == invariant) {
                    self.violations.push((invariant.clone(), i));
                }
            }
        }
        self.indexed = rec.len();
    }

    /// The end-of-run check still to run, if any (see [`Session::load_sliced`]).
    pub fn sliced(&self) -> Option<&SlicedCheck> {
        self.sliced.as_ref()
    }

    /// Records the pending end-of-run check's outcome from the checker's `report` on
    /// [`SlicedCheck::ops`], exactly as [`Session::load`] would have (the same violation event
    /// at the end of the trace), and keeps the playhead where it is. Whether a violation was
    /// recorded; nothing happens when no check is pending (a command changed the run).
    #[cfg(feature = "proto-kv")]
    pub fn conclude_sliced(&mut self, report: &crate::sim::history::linearizable::Report) -> bool {
        let Some(c) = self.sliced.take() else {
            return false;
        };
        let added = self.tl.conclude(c.name, |_, trace| {
            crate::sim::proto::kv::check::verdict_of(report, trace)
        });
        self.reindex();
        added
    }

    // ----- moving in time -----

    /// Seeks to virtual time `t` (clamped to the recorded history).
    pub fn seek_time(&mut self, t: Time) {
        self.tl.seek(Target::Time(t.min(self.tl.head_time())));
    }

    /// Seeks to just after event `i`.
    pub fn seek_event(&mut self, i: usize) {
        self.tl.seek(Target::Event(i));
    }

    /// The next step that produces events; false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let moved = self.tl.step();
        self.reindex();
        moved
    }

    /// Back to the previous step boundary (the inverse of [`Session::step`], for the ←
    /// key and "Step back"); false at the start.
    pub fn step_back(&mut self) -> bool {
        let p = self.tl.position();
        for i in (0..p.saturating_sub(1)).rev().take(256) {
            self.tl.seek(Target::Event(i));
            if self.tl.position() < p {
                return true;
            }
        }
        self.tl.seek(Target::Time(0));
        self.tl.position() < p
    }

    /// Runs (replaying, then live) until virtual time `t`.
    pub fn advance_to(&mut self, t: Time) {
        if t <= self.tl.world().now() {
            return;
        }
        self.tl.advance_to(t);
        self.reindex();
    }

    /// Applies a command at the playhead. A command the world refuses changes nothing (not
    /// even in the past); an accepted one in the past forks, and the notice says so.
    pub fn apply(&mut self, cmd: Cmd) -> Result<Option<Fork>, String> {
        // Try it on a copy first: the timeline forks before applying, and a refused command
        // must not discard the recorded future.
        let mut probe = self.tl.world().clone();
        probe
            .apply(&cmd, &mut Vec::new())
            .map_err(|e| e.to_string())?;
        let forks = self.tl.forks().len();
        self.tl.apply(cmd).map_err(|e| e.to_string())?;
        // The recorded future changed: the pending end-of-run check no longer applies (a
        // fork's run is not judged at its end, as before).
        self.sliced = None;
        self.reindex();
        let fork = self.tl.forks().get(forks).cloned();
        self.notice = fork.as_ref().map(|f| {
            format!(
                "Forked at t={}: the old future was discarded ({} events).",
                fmt_ms(f.at_time),
                group_digits(f.dropped_events as u64)
            )
        });
        Ok(fork)
    }

    // ----- what the page shows -----

    /// Markers along the scrubber, in time order: faults and violations from the recorded
    /// trace plus forks. Thinned to [`MAX_MARKERS`], keeping every violation and fork.
    pub fn markers(&self) -> Vec<Marker> {
        let head = self.tl.head_time();
        let mut all: Vec<Marker> = self.markers.clone();
        all.extend(
            self.tl
                .forks()
                .iter()
                .filter(|f| f.at_time <= head)
                .map(|f| Marker {
                    kind: MarkerKind::Fork,
                    event: None,
                    t: f.at_time,
                    label: format!("fork at {}", fmt_ms(f.at_time)),
                }),
        );
        crate::sim::sort::sort_by_u64(&mut all, |m| m.t);
        if all.len() > MAX_MARKERS {
            let keep = |m: &Marker| matches!(m.kind, MarkerKind::Violation | MarkerKind::Fork);
            let must = all.iter().filter(|m| keep(m)).count();
            let room = MAX_MARKERS.saturating_sub(must).max(1);
            let others = all.len() - must;
            let every = others.div_ceil(room);
            let mut k = 0;
            all.retain(|m| {
                if keep(m) {
                    return true;
                }
                k += 1;
                (k - 1) % every == 0
            });
        }
        all
    }

    /// The first violation in the whole recording: (trace index, time).
    pub fn first_violation(&self) -> Option<(usize, Time)> {
        let i = self.violations.iter().map(|(_, i)| *i).min()?;
        self.tl.recorded().get(i).map(|e| (i, e.t))
    }

    /// The scenario's expectations judged on the whole recording.
    pub fn verdicts(&self) -> Vec<Verdict> {
        self.scenario.verdicts_by(|name| {
            self.violations
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, i)| *i)
        })
    }

    /// Each invariant's status at the playhead.
    pub fn invariants(&self) -> Vec<InvariantRow> {
        let rec = self.tl.recorded();
        let w = self.tl.world();
        self.tl
            .checker()
            .results()
            .map(|(inv, at)| InvariantRow {
                name: inv.name,
                explain: inv.explain,
                class: match inv.class {
                    Class::Engine => "engine",
                    Class::Protocol => "protocol",
                },
                violated: at.and_then(|i| {
                    let e = rec.get(i)?;
                    let witnesses = match &e.what {
                        What::Violation { witnesses, .. } => witnesses
                            .iter()
                            .filter_map(|&j| rec.get(j).map(|x| (j, w.describe(x))))
                            .collect(),
                        _ => Vec::new(),
                    };
                    Some(Violated {
                        index: i,
                        t: e.t,
                        witnesses,
                    })
                }),
            })
            .collect()
    }

    /// The scenario's narration with the step in force at the playhead marked.
    pub fn narration(&self) -> Vec<(Time, String, bool)> {
        let now = self.tl.world().now();
        let current = self.scenario.narration.iter().rposition(|n| n.at_ms <= now);
        self.scenario
            .narration
            .iter()
            .enumerate()
            .map(|(i, n)| (n.at_ms, n.text.clone(), Some(i) == current))
            .collect()
    }

    /// The last `limit` events up to the playhead, oldest first (newest last, like a
    /// terminal); with `notable_only`, routine sends, deliveries and timers are skipped.
    pub fn log(&self, limit: usize, notable_only: bool) -> Vec<LogLine> {
        let trace = self.tl.trace();
        let w = self.tl.world();
        let mut out: Vec<LogLine> = trace
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, e)| !notable_only || is_notable(e))
            .take(limit)
            .map(|(i, e)| LogLine {
                index: i,
                t: e.t,
                text: w.describe(e),
                kind: e.what.kind(),
                msg: event_msg(e),
            })
            .collect();
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gc_pause() -> Scenario {
        Scenario::decode(include_str!("../../static/scenarios/gc-pause.json").as_bytes()).unwrap()
    }

    #[test]
    fn loading_records_the_scenario_and_rewinds_to_the_start() {
        let s = Session::load(gc_pause()).unwrap();
        assert_eq!(s.timeline().head_time(), 5000);
        assert_eq!(s.world().now(), 0);
        assert!(!s.timeline().at_head());
        let labels: Vec<String> = s.markers().into_iter().map(|m| m.label).collect();
        assert!(
            labels.contains(&"pause of B at 2,000 ms".to_string()),
            "{labels:?}"
        );
        assert!(labels
            .iter()
            .any(|l| l.starts_with("violation of accurate_suspicion at ")));
        let (i, t) = s.first_violation().unwrap();
        assert!(t > 2000 && t < 3300, "{t}");
        assert!(matches!(
            s.timeline().recorded()[i].what,
            What::Violation { .. }
        ));
        // Expectations are judged on the whole recording, not at the playhead.
        assert!(s.verdicts().iter().all(|v| v.ok), "{:?}", s.verdicts());
        // At the playhead nothing is violated yet.
        assert!(s.invariants().iter().all(|r| r.violated.is_none()));
        assert!(
            s.narration()[0].2,
            "the first narration step is in force at 0"
        );
    }

    #[test]
    fn seeking_shows_the_past_and_acting_there_forks() {
        let mut s = Session::load(gc_pause()).unwrap();
        s.seek_time(2600);
        let rows = s.invariants();
        let acc = rows
            .iter()
            .find(|r| r.name == "accurate_suspicion")
            .unwrap();
        let v = acc.violated.as_ref().expect("violated by 2.6 s");
        assert!(!v.witnesses.is_empty());
        assert!(v.witnesses[0].1.contains("suspects B"), "{:?}", v.witnesses);
        s.seek_time(1000);
        assert_eq!(s.world().now(), 1000);
        assert!(s.invariants().iter().all(|r| r.violated.is_none()));
        // A refused command in the past keeps the recorded future.
        let head = s.timeline().recorded().len();
        let err = s.apply(Cmd::Recover { node: "A".into() }).unwrap_err();
        assert!(err.contains("not down"), "{err}");
        assert_eq!(s.timeline().recorded().len(), head);
        assert!(s.notice.is_none());
        // An accepted one forks, and says so.
        let fork = s.apply(Cmd::Crash { node: "C".into() }).unwrap().unwrap();
        assert_eq!(fork.at_time, 1000);
        let notice = s.notice.clone().unwrap();
        assert!(
            notice.starts_with("Forked at t=1,000 ms: the old future was discarded"),
            "{notice}"
        );
        assert!(s.timeline().at_head());
        let markers = s.markers();
        assert!(markers
            .iter()
            .any(|m| m.kind == MarkerKind::Fork && m.label == "fork at 1,000 ms"));
        assert!(markers.iter().any(|m| m.label == "crash of C at 1,000 ms"));
        // The discarded future's markers are gone (B's pause was at 2 s).
        assert!(!markers.iter().any(|m| m.kind == MarkerKind::Pause));
        assert!(s.first_violation().is_none());
        // Scheduled commands survive the fork: playing on, B still pauses at 2 s.
        s.advance_to(2100);
        assert!(s
            .markers()
            .iter()
            .any(|m| m.label == "pause of B at 2,000 ms"));
        // A command at the head does not fork.
        s.apply(Cmd::Heal).unwrap();
        assert!(s.notice.is_none());
        assert_eq!(s.timeline().forks().len(), 1);
    }

    #[test]
    fn the_log_is_capped_newest_last_and_can_hide_traffic() {
        let mut s = Session::load(gc_pause()).unwrap();
        s.seek_time(2600);
        let all = s.log(50, false);
        assert_eq!(all.len(), 50);
        assert!(all.windows(2).all(|w| w[0].index < w[1].index));
        assert_eq!(all.last().unwrap().index, s.timeline().position() - 1);
        assert!(all.iter().any(|l| l.msg.is_some()));
        let notable = s.log(50, true);
        assert!(notable
            .iter()
            .all(|l| !matches!(l.kind, "send" | "deliver" | "timer")));
        assert!(
            notable.iter().any(|l| l.text.contains("froze")),
            "{notable:?}"
        );
        // Stepping moves forward by one step of events.
        let before = s.timeline().position();
        assert!(s.step());
        assert!(s.timeline().position() > before);
    }

    #[test]
    fn step_back_undoes_step() {
        let mut s = Session::load(gc_pause()).unwrap();
        s.seek_time(2600);
        let (p, t) = (s.timeline().position(), s.world().now());
        assert!(s.step());
        assert!(s.step_back());
        assert!(
            s.timeline().position() <= p,
            "{} > {p}",
            s.timeline().position()
        );
        assert!(s.world().now() <= t.max(s.world().now()));
        let before = s.timeline().position();
        assert!(s.step_back());
        assert!(s.timeline().position() < before);
    }

    #[test]
    fn markers_are_thinned_but_keep_violations_and_forks() {
        let mut s = Session::load(gc_pause()).unwrap();
        s.seek_time(5000);
        // Many faults: a pause every 10 ms.
        for k in 0..400u64 {
            let node = ["A", "C"][(k % 2) as usize].to_string();
            s.apply(Cmd::ClockJump { node, delta_ms: 1 }).unwrap();
            s.advance_to(5000 + 10 * (k + 1));
        }
        let m = s.markers();
        assert!(m.len() <= MAX_MARKERS + 2, "{}", m.len());
        assert!(m.iter().any(|x| x.kind == MarkerKind::Violation));
        assert!(m.windows(2).all(|w| w[0].t <= w[1].t));
    }
}

#[cfg(all(test, feature = "proto-kv"))]
mod sliced_tests {
    use super::*;
    use crate::sim::history::linearizable::{Model, Search};

    fn scenario(path: &str) -> Scenario {
        let p = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
        Scenario::decode(&std::fs::read(p).expect("file")).expect("decodes")
    }

    /// Runs the pending check in slices of `steps`, as the page does between frames.
    fn in_slices(c: &SlicedCheck, steps: u64) -> crate::sim::history::linearizable::Report {
        let mut s = Search::new(Model::CasRegister, &c.ops, c.budget);
        loop {
            if let Some(r) = s.run(steps) {
                return r;
            }
        }
    }

    #[test]
    fn the_sliced_end_check_records_what_load_records() {
        for file in [
            "static/scenarios/ha-sentinel-partition.json",
            "static/scenarios/ha-fenced-failover.json",
            "static/scenarios/ha-multi-shard-failover.json",
        ] {
            let whole = Session::load(scenario(file)).expect("loads");
            let mut page = Session::load_sliced(scenario(file)).expect("loads");
            let c = page.sliced().cloned().expect("a pending check");
            assert_eq!(c.name, "linearizable");
            // Nothing about linearizability is known at load.
            assert!(page.violations.iter().all(|(n, _)| n != "linearizable"));
            page.seek_time(1234);
            let before = (page.timeline().position(), page.world().now());
            page.conclude_sliced(&in_slices(&c, 97));
            assert!(page.sliced().is_none());
            assert_eq!(
                page.timeline().recorded(),
                whole.timeline().recorded(),
                "{file}"
            );
            assert_eq!(page.violations, whole.violations, "{file}");
            assert_eq!(page.verdicts(), whole.verdicts(), "{file}");
            // The playhead stayed where the user was.
            assert_eq!((page.timeline().position(), page.world().now()), before);
        }
    }

    #[test]
    fn a_command_before_the_check_ends_drops_it() {
        let file = "static/scenarios/ha-sentinel-partition.json";
        let mut page = Session::load_sliced(scenario(file)).expect("loads");
        let c = page.sliced().cloned().expect("pending");
        page.seek_time(1000);
        page.apply(crate::sim::cmd_decode::decode(serde_json::json!({"op": "heal"})).expect("cmd"))
            .expect("applies");
        assert!(page.sliced().is_none());
        assert!(!page.conclude_sliced(&in_slices(&c, 1000)));
    }

    #[test]
    fn a_heavy_history_loads_without_its_check_and_the_check_finishes_in_slices() {
        let s = scenario("tests/fixtures/ha/heavy-history.json");
        let t0 = std::time::Instant::now();
        let page = Session::load_sliced(s).expect("loads");
        let load = t0.elapsed();
        let c = page.sliced().cloned().expect("pending");
        let t1 = std::time::Instant::now();
        let mut search = Search::new(Model::CasRegister, &c.ops, c.budget);
        let mut slices = 0u64;
        while search.run(20_000).is_none() {
            slices += 1;
        }
        eprintln!(
            "heavy history: load without the check {:?}, check {:?} in {slices} slices of 20,000 steps",
            load,
            t1.elapsed()
        );
        assert!(slices > 10, "{slices}");
    }
}
