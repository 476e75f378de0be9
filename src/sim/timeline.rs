//! Time travel without magic: the timeline keeps the trace, the log of commands (each with
//! the replay position it was applied at), and a snapshot (a clone of the world) every K
//! events. Seeking restores the nearest earlier snapshot and replays; acting in the past
//! forks: the recorded future is dropped, the new command appended, the fork remembered.

use serde::{Deserialize, Serialize};

use super::cmd::{Cmd, CmdError};
use super::event::{Event, What};
use super::invariant::{Checker, Verdict};
use super::time::Time;
use super::world::World;

/// Default snapshot interval in events: with about 1 KB per world snapshot this costs
/// ~100 KB per 100,000 events, and a seek replays at most this many events.
pub const DEFAULT_SNAPSHOT_EVERY: usize = 1000;

/// One recorded command: applied after `pops` queue items, with the clock at `now`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// [`World::pops`] when the command was applied.
    pub pops: u64,
    /// Virtual time when it was applied.
    pub now: Time,
    /// The command.
    pub cmd: Cmd,
}

/// Where a past intervention cut the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fork {
    /// Trace length at the fork (the first new event gets this index).
    pub at_event: usize,
    /// Virtual time at the fork.
    pub at_time: Time,
    /// How many recorded events were discarded.
    pub dropped_events: usize,
    /// How many recorded commands were discarded.
    pub dropped_inputs: usize,
}

/// A place to seek to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Just after the event with this trace index (and the rest of its step).
    Event(usize),
    /// Everything up to and including this virtual time.
    Time(Time),
    /// The end of the recorded history.
    Head,
}

#[derive(Clone, Debug)]
struct Snapshot {
    world: World,
    trace_len: usize,
    inputs: usize,
    checker: Vec<Option<usize>>,
}

/// A world plus its history, navigable in time. See the module docs.
#[derive(Clone, Debug)]
pub struct Timeline {
    world: World,
    trace: Vec<Event>,
    checker: Checker,
    log: Vec<Input>,
    snapshots: Vec<Snapshot>,
    every: usize,
    /// Trace length at the current position.
    cursor: usize,
    /// Log entries applied to `world`.
    applied: usize,
    head_pops: u64,
    head_now: Time,
    forks: Vec<Fork>,
    scratch: Vec<Event>,
}

impl Timeline {
    /// Starts a history at `world`, checking the built-in invariants, with a snapshot every
    /// `every` events (at least 1).
    pub fn new(world: World, every: usize) -> Self {
        Self::with_checker(world, Checker::builtin(), every)
    }

    /// Same as [`Timeline::new`] with a chosen set of invariants.
    pub fn with_checker(world: World, checker: Checker, every: usize) -> Self {
        let first = Snapshot {
            world: world.clone(),
            trace_len: 0,
            inputs: 0,
            checker: checker.state(),
        };
        Timeline {
            head_pops: world.pops(),
            head_now: world.now(),
            world,
            trace: Vec::new(),
            checker,
            log: Vec::new(),
            snapshots: vec![first],
            every: every.max(1),
            cursor: 0,
            applied: 0,
            forks: Vec::new(),
            scratch: Vec::new(),
        }
    }

    // ----- queries -----

    /// The world at the current position.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The trace up to the current position.
    pub fn trace(&self) -> &[Event] {
        &self.trace[..self.cursor]
    }

    /// The whole recorded trace, including the future beyond the current position.
    pub fn recorded(&self) -> &[Event] {
        &self.trace
    }

    /// Trace length at the current position.
    pub fn position(&self) -> usize {
        self.cursor
    }

    /// True when the current position is the end of the recorded history.
    pub fn at_head(&self) -> bool {
        self.applied == self.log.len() && self.world.pops() == self.head_pops
    }

    /// Virtual time at the end of the recorded history.
    pub fn head_time(&self) -> Time {
        self.head_now
    }

    /// The command log.
    pub fn log(&self) -> &[Input] {
        &self.log
    }

    /// Past interventions that cut the history.
    pub fn forks(&self) -> &[Fork] {
        &self.forks
    }

    /// The invariant checker (results so far).
    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    /// Number of snapshots held.
    pub fn snapshot_count(&self) -> usize {
        self.snapshots.len()
    }

    /// Estimated bytes of each snapshot (see [`World::approx_bytes`]).
    pub fn snapshot_bytes(&self) -> Vec<usize> {
        self.snapshots
            .iter()
            .map(|s| s.world.approx_bytes())
            .collect()
    }

    /// Estimated bytes of the recorded trace (heap strings of notes not included).
    pub fn trace_bytes(&self) -> usize {
        self.trace.capacity() * std::mem::size_of::<Event>()
    }

    // ----- inputs -----

    /// Applies a command at the current position. In the past this forks the history.
    pub fn apply(&mut self, cmd: Cmd) -> Result<(), CmdError> {
        if !self.at_head() {
            self.fork();
        }
        let from = self.trace.len();
        self.world.apply(&cmd, &mut self.trace)?;
        self.log.push(Input {
            pops: self.world.pops(),
            now: self.world.now(),
            cmd,
        });
        self.applied = self.log.len();
        self.after_live_step(from);
        Ok(())
    }

    /// Rebuilds a shared history: runs the queue live up to the input's recorded place (`pops`
    /// queue items), sets the clock to its `now` and applies it, exactly as the original run
    /// did. Only at the head; an input whose place is already behind is refused.
    pub fn replay_input(&mut self, input: &Input, max_events: usize) -> Result<(), String> {
        self.run_to(input.pops, input.now, max_events)?;
        self.apply(input.cmd.clone()).map_err(|e| e.to_string())
    }

    /// Runs live at the head until the world has popped `pops` queue items, then sets the
    /// clock to `now`: the exact place a recorded history ended or a command was applied
    /// (a time alone is not enough: a step can stop between two items due at the same ms).
    /// Refused when the run cannot get there or exceeds `max_events`.
    pub fn run_to(&mut self, pops: u64, now: Time, max_events: usize) -> Result<(), String> {
        if !self.at_head() {
            self.seek(Target::Head);
        }
        while self.world.pops() < pops && self.trace.len() <= max_events {
            let from = self.trace.len();
            if !self.world.pop_one(&mut self.trace) {
                break;
            }
            if self.trace.len() > from {
                self.after_live_step(from);
            }
        }
        self.sync_head();
        if self.world.pops() != pops || self.world.now() > now {
            return Err(format!("t={now} ms does not fit this scenario's run"));
        }
        self.world.set_now(now);
        self.sync_head();
        Ok(())
    }

    /// Queue items popped at the end of the recorded history (with [`Timeline::head_time`],
    /// the exact place it ends).
    pub fn head_pops(&self) -> u64 {
        self.head_pops
    }

    /// Puts back the fork records of a shared history (they only label the scrubber).
    pub(crate) fn set_forks(&mut self, forks: Vec<Fork>) {
        self.forks = forks;
    }

    /// Moves to the next step that produces events (replaying if in the past). False when
    /// nothing is left to do.
    pub fn step(&mut self) -> bool {
        if !self.at_head() {
            let target = Target::Event(self.cursor);
            self.roll_forward(target);
            return true;
        }
        let from = self.trace.len();
        while self.world.pop_one(&mut self.trace) {
            if self.trace.len() > from {
                self.after_live_step(from);
                return true;
            }
        }
        self.sync_head();
        false
    }

    /// Runs until virtual time `t`: replays the recorded future as far as it goes, then
    /// simulates live. Invariants are checked after every queue item.
    pub fn advance_to(&mut self, t: Time) {
        if !self.at_head() {
            self.roll_forward(Target::Time(t));
            if !self.at_head() || t <= self.head_now {
                return;
            }
        }
        while self.world.next_time().is_some_and(|d| d <= t) {
            let from = self.trace.len();
            self.world.pop_one(&mut self.trace);
            if self.trace.len() > from {
                self.after_live_step(from);
            }
        }
        self.world.advance_to(t, &mut self.trace);
        self.sync_head();
    }

    /// Ends the run at the head: runs the end-of-run invariant checks (liveness), whose
    /// violations are appended to the trace. Call once, after the last `advance_to`.
    pub fn finish(&mut self) {
        self.finish_except(&[]);
    }

    /// [`Timeline::finish`] leaving out the end-of-run checks named in `defer`, to be
    /// recorded later by [`Timeline::conclude`] (the page checks linearizability in slices).
    pub fn finish_except(&mut self, defer: &[&str]) {
        if !self.at_head() {
            self.seek(Target::Head);
        }
        let from = self.trace.len();
        self.checker
            .finish_except(&self.world, &mut self.trace, defer);
        if self.trace.len() > from {
            self.sync_head();
        }
    }

    /// Records a deferred end-of-run check at the head of the history, as
    /// [`Timeline::finish`] would have (`verdict` judges the world and trace at the head),
    /// then returns to where the playhead was. Whether a violation was recorded.
    pub fn conclude(
        &mut self,
        name: &str,
        verdict: impl FnOnce(&World, &[Event]) -> Verdict,
    ) -> bool {
        let (pos, t) = (self.cursor, self.world.now());
        if !self.at_head() {
            self.seek(Target::Head);
        }
        let v = verdict(&self.world, &self.trace);
        let added = self.checker.conclude(name, &self.world, &mut self.trace, v) > 0;
        if added {
            self.sync_head();
        }
        self.seek(Target::Time(t));
        if self.cursor != pos && pos > 0 {
            self.seek(Target::Event(pos - 1));
        }
        added
    }

    /// Goes to a point of the recorded history (never beyond its end), restoring the
    /// nearest earlier snapshot when the target is behind the current position.
    pub fn seek(&mut self, target: Target) {
        let behind = match target {
            Target::Event(i) => i < self.cursor,
            Target::Time(t) => t < self.world.now(),
            Target::Head => false,
        };
        let k = match target {
            Target::Event(i) => self.snapshots.partition_point(|s| s.trace_len <= i),
            Target::Time(t) => self.snapshots.partition_point(|s| s.world.now() <= t),
            Target::Head => self.snapshots.len(),
        }
        .saturating_sub(1);
        let s = &self.snapshots[k];
        // Restore when going back, or when a snapshot lies between here and the target
        // (cheaper than replaying everything in between).
        if behind || s.trace_len > self.cursor {
            self.world = s.world.clone();
            self.cursor = s.trace_len;
            self.applied = s.inputs;
            self.checker.restore(&s.checker);
        }
        self.roll_forward(target);
    }

    fn after_live_step(&mut self, from: usize) {
        self.checker.check(&self.world, &mut self.trace, from);
        self.cursor = self.trace.len();
        self.sync_head();
        let last = self.snapshots.last().map_or(0, |s| s.trace_len);
        if self.trace.len() >= last.saturating_add(self.every) {
            self.snapshots.push(Snapshot {
                world: self.world.clone(),
                trace_len: self.trace.len(),
                inputs: self.applied,
                checker: self.checker.state(),
            });
        }
    }

    fn sync_head(&mut self) {
        self.cursor = self.trace.len();
        self.head_pops = self.world.pops();
        self.head_now = self.world.now();
    }

    /// Replays the recorded log forward from the current state until `target`. Regenerated
    /// events must equal the recorded ones (checked in debug builds); invariant results are
    /// re-learnt from recorded violation events instead of re-running predicates.
    fn roll_forward(&mut self, target: Target) {
        loop {
            if self.applied < self.log.len() && self.log[self.applied].pops == self.world.pops() {
                let input = &self.log[self.applied];
                let stop = match target {
                    Target::Event(i) => self.cursor > i,
                    Target::Time(t) => input.now > t,
                    Target::Head => false,
                };
                if stop {
                    break;
                }
                self.world.set_now(input.now);
                self.scratch.clear();
                let replayed = self.world.apply(&input.cmd, &mut self.scratch);
                debug_assert!(replayed.is_ok(), "recorded command failed on replay");
                self.applied += 1;
                self.absorb();
                continue;
            }
            if self.world.pops() >= self.head_pops {
                break;
            }
            let stop = match target {
                Target::Event(i) => self.cursor > i,
                Target::Time(t) => self.world.next_time().is_none_or(|d| d > t),
                Target::Head => false,
            };
            if stop {
                break;
            }
            self.scratch.clear();
            self.world.pop_one(&mut self.scratch);
            self.absorb();
        }
        if self.at_head() {
            self.cursor = self.trace.len();
            let t = match target {
                Target::Time(t) => t.min(self.head_now),
                _ => self.head_now,
            };
            self.world.set_now(t);
        } else if let Target::Time(t) = target {
            self.world.set_now(t);
        }
    }

    /// Moves the cursor over the events just regenerated into `scratch` and the violation
    /// events the checker had appended after them.
    fn absorb(&mut self) {
        let n = self.scratch.len();
        debug_assert_eq!(
            self.scratch[..],
            self.trace[self.cursor..(self.cursor + n).min(self.trace.len())],
            "replay diverged from the recorded trace"
        );
        self.cursor += n;
        if n == 0 {
            return;
        }
        while let Some(e) = self.trace.get(self.cursor) {
            if !matches!(e.what, What::Violation { .. }) {
                break;
            }
            self.checker.observe(self.cursor, e);
            self.cursor += 1;
        }
    }

    fn fork(&mut self) {
        let fork = Fork {
            at_event: self.cursor,
            at_time: self.world.now(),
            dropped_events: self.trace.len() - self.cursor,
            dropped_inputs: self.log.len() - self.applied,
        };
        self.trace.truncate(self.cursor);
        self.log.truncate(self.applied);
        let (cursor, pops) = (self.cursor, self.world.pops());
        self.snapshots
            .retain(|s| s.trace_len <= cursor && s.world.pops() <= pops);
        self.forks.push(fork);
        self.sync_head();
    }
}
