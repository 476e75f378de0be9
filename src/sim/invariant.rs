//! Invariants: named, pure predicates over a world and the trace so far, each with a one-line
//! explanation. They are written as "for every event e in the trace, P(e, world at e)", so
//! checking only the newest events after each step is a complete check of the whole trace.
//! A violation names the first event that breaks it plus witnesses, and becomes an event.

use super::event::{Event, What};
use super::world::{Status, World};

/// Engine invariants must always hold (a violation is a simulator bug); protocol properties
/// are what a lesson shows breaking under faults (a false suspicion is not a bug).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Guaranteed by the simulator.
    Engine,
    /// Desired of a protocol; faults may break it.
    Protocol,
}

/// Outcome of checking one event: `Err(witnesses)` lists trace indices, the offender first.
pub type Verdict = Result<(), Vec<usize>>;

/// A named predicate. `check(world, trace, i)` judges event `trace[i]` with `world` as it
/// is right after the step that produced it; `at_end`, if any, judges the whole run once it
/// stops (liveness: "still waiting at the end" cannot be seen event by event).
#[derive(Clone, Copy, Debug)]
pub struct Invariant {
    /// Stable identifier used in scenarios and reports.
    pub name: &'static str,
    /// One line saying what must be true.
    pub explain: &'static str,
    /// Engine guarantee or protocol property.
    pub class: Class,
    /// The predicate.
    pub check: fn(&World, &[Event], usize) -> Verdict,
    /// Optional end-of-run check (see [`Checker::finish`]).
    pub at_end: Option<fn(&World, &[Event]) -> Verdict>,
}

/// The engine's own invariants (the registry's dispatch adds each protocol's after them).
pub fn engine_invariants() -> Vec<Invariant> {
    vec![
        Invariant {
            name: "time_monotonic",
            explain: "the trace never goes back in virtual time",
            class: Class::Engine,
            check: time_monotonic,
            at_end: None,
        },
        Invariant {
            name: "delivery_after_send",
            explain: "every message is delivered (or dropped) at or after its send time",
            class: Class::Engine,
            check: delivery_after_send,
            at_end: None,
        },
        Invariant {
            name: "inactive_node_silent",
            explain: "a crashed or paused node sends nothing",
            class: Class::Engine,
            check: inactive_node_silent,
            at_end: None,
        },
        Invariant {
            name: "no_partition_crossing",
            explain: "no message is delivered across a partition",
            class: Class::Engine,
            check: no_partition_crossing,
            at_end: None,
        },
    ]
}

/// The index of the last event before `i` that satisfies `pred`: the usual witness.
pub fn last_before(trace: &[Event], i: usize, pred: impl Fn(&Event) -> bool) -> Option<usize> {
    trace[..i].iter().rposition(pred)
}

fn time_monotonic(_: &World, trace: &[Event], i: usize) -> Verdict {
    if i > 0 && trace[i].t < trace[i - 1].t {
        return Err(vec![i, i - 1]);
    }
    Ok(())
}

fn send_of(trace: &[Event], i: usize, id: u64) -> Option<usize> {
    last_before(
        trace,
        i,
        |e| matches!(e.what, What::Send { msg, .. } if msg == id),
    )
}

fn delivery_after_send(_: &World, trace: &[Event], i: usize) -> Verdict {
    let (msg, sent_at) = match trace[i].what {
        What::Deliver { msg, sent_at, .. } | What::Drop { msg, sent_at, .. } => (msg, sent_at),
        _ => return Ok(()),
    };
    if trace[i].t < sent_at {
        return Err(std::iter::once(i).chain(send_of(trace, i, msg)).collect());
    }
    Ok(())
}

fn inactive_node_silent(w: &World, trace: &[Event], i: usize) -> Verdict {
    let e = &trace[i];
    let (What::Send { .. }, Some(n)) = (&e.what, e.node) else {
        return Ok(());
    };
    let active = w
        .node(n)
        .is_some_and(|node| node.status == Status::Up && !node.clock.is_paused(e.t));
    if active {
        return Ok(());
    }
    let cause = last_before(trace, i, |x| {
        x.node == Some(n) && matches!(x.what, What::Crash | What::Pause { .. })
    });
    Err(std::iter::once(i).chain(cause).collect())
}

fn no_partition_crossing(w: &World, trace: &[Event], i: usize) -> Verdict {
    let e = &trace[i];
    let (What::Deliver { from, .. }, Some(to)) = (&e.what, e.node) else {
        return Ok(());
    };
    if w.net().connected(*from, to) {
        return Ok(());
    }
    let cut = last_before(trace, i, |x| {
        matches!(x.what, What::Partition { .. } | What::Isolate)
    });
    Err(std::iter::once(i).chain(cut).collect())
}

/// Runs a set of invariants after every step and turns the first violation of each into a
/// `violation` event. Its only state (which invariants already failed, and where) is small
/// and is saved in timeline snapshots.
#[derive(Clone, Debug)]
pub struct Checker {
    invariants: Vec<Invariant>,
    first: Vec<Option<usize>>,
}

impl Checker {
    /// Checks the given invariants.
    pub fn new(invariants: Vec<Invariant>) -> Self {
        let first = vec![None; invariants.len()];
        Checker { invariants, first }
    }

    /// Checks events `trace[from..]` (just produced by one step); appends a violation event
    /// for each invariant that fails for the first time. Returns how many were appended.
    pub fn check(&mut self, world: &World, trace: &mut Vec<Event>, from: usize) -> usize {
        let end = trace.len();
        let mut added = 0;
        for i in from..end {
            for (k, inv) in self.invariants.iter().enumerate() {
                if self.first[k].is_some() {
                    continue;
                }
                if let Err(witnesses) = (inv.check)(world, &trace[..end], i) {
                    self.first[k] = Some(record_violation(inv.name, world, trace, witnesses));
                    added += 1;
                }
            }
        }
        added
    }

    /// Runs the end-of-run checks of invariants that have not failed yet, appending a
    /// violation event for each that fails now. Call once, when the run stops.
    pub fn finish(&mut self, world: &World, trace: &mut Vec<Event>) -> usize {
        self.finish_except(world, trace, &[])
    }

    /// [`Checker::finish`] leaving out the end-of-run checks named in `defer`: the page runs
    /// those in slices (a long linearizability search must not freeze it) and records their
    /// outcome with [`Checker::conclude`].
    pub fn finish_except(
        &mut self,
        world: &World,
        trace: &mut Vec<Event>,
        defer: &[&str],
    ) -> usize {
        let mut added = 0;
        for (k, inv) in self.invariants.iter().enumerate() {
            let Some(at_end) = inv.at_end else {
                continue;
            };
            if self.first[k].is_some() || defer.contains(&inv.name) {
                continue;
            }
            if let Err(witnesses) = at_end(world, trace) {
                self.first[k] = Some(record_violation(inv.name, world, trace, witnesses));
                added += 1;
            }
        }
        added
    }

    /// Records the outcome of the deferred end-of-run check `name` (see
    /// [`Checker::finish_except`]): a violation event when `verdict` is one and the invariant
    /// has not failed yet. Returns how many events were appended (0 or 1).
    pub fn conclude(
        &mut self,
        name: &str,
        world: &World,
        trace: &mut Vec<Event>,
        verdict: Verdict,
    ) -> usize {
        let Some(k) = self.invariants.iter().position(|i| i.name == name) else {
            return 0;
        };
        match verdict {
            Err(witnesses) if self.first[k].is_none() => {
                let inv = self.invariants[k].name;
                self.first[k] = Some(record_violation(inv, world, trace, witnesses));
                1
            }
            _ => 0,
        }
    }

    /// Re-learns a violation seen while replaying a recorded trace (no predicate is run).
    pub(crate) fn observe(&mut self, index: usize, e: &Event) {
        if let What::Violation { invariant, .. } = &e.what {
            if let Some(k) = self.invariants.iter().position(|i| i.name == invariant) {
                if self.first[k].is_none() {
                    self.first[k] = Some(index);
                }
            }
        }
    }

    /// State to save in a snapshot.
    pub(crate) fn state(&self) -> Vec<Option<usize>> {
        self.first.clone()
    }

    /// Restores state saved by [`Checker::state`].
    pub(crate) fn restore(&mut self, state: &[Option<usize>]) {
        self.first.clear();
        self.first.extend_from_slice(state);
    }

    /// Each invariant with the trace index of its violation event, if it failed.
    pub fn results(&self) -> impl Iterator<Item = (&Invariant, Option<usize>)> + '_ {
        self.invariants.iter().zip(self.first.iter().copied())
    }

    /// Names of the invariants violated so far, in declaration order.
    pub fn broken(&self) -> Vec<&'static str> {
        self.results()
            .filter(|(_, at)| at.is_some())
            .map(|(i, _)| i.name)
            .collect()
    }

    /// The invariants being checked.
    pub fn invariants(&self) -> &[Invariant] {
        &self.invariants
    }
}
/// Appends the violation event of invariant `name` at the world's current time; returns its
/// index in the trace (the first violation the checker remembers).
fn record_violation(
    name: &str,
    world: &World,
    trace: &mut Vec<Event>,
    witnesses: Vec<usize>,
) -> usize {
    let at = trace.len();
    trace.push(Event {
        t: world.now(),
        node: None,
        what: What::Violation {
            invariant: name.to_string(),
            witnesses,
        },
    });
    at
}
