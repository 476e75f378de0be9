//! Exhaustive, breadth-first model checking of small abstract protocols, in the style of
//! stateright and TLC: every interleaving of a model's actions is explored once per distinct
//! state, each `always` property is checked in every state and each `sometimes` property must
//! be reached somewhere. Breadth-first order makes every counterexample a shortest one.

pub mod two_phase;

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// A model: initial states, the actions enabled in a state, and its properties.
pub trait Model {
    /// A whole system state; small and hashable so millions fit in memory.
    type State: Clone + Eq + Hash;
    /// A labelled step between states, kept for counterexamples.
    type Action: Clone;

    /// The initial states.
    fn init(&self) -> Vec<Self::State>;
    /// Every (action, next state) enabled in `s`; self-loops may be included.
    fn next(&self, s: &Self::State, out: &mut Vec<(Self::Action, Self::State)>);
    /// Invariants: named predicates that must hold in every reachable state.
    fn always(&self) -> Vec<Property<Self::State>>;
    /// Reachability checks: named predicates that must hold in some reachable state, so a
    /// model that does nothing cannot pass vacuously.
    fn sometimes(&self) -> Vec<Property<Self::State>>;
}

/// A named predicate over states.
pub struct Property<S> {
    /// Short name, as in the specification.
    pub name: &'static str,
    /// One line saying what it means.
    pub explain: &'static str,
    /// The predicate.
    pub holds: fn(&S) -> bool,
}

/// What happened to one property.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict<A> {
    /// The property's name.
    pub name: &'static str,
    /// Its one-line explanation.
    pub explain: &'static str,
    /// For `always`: no state breaks it. For `sometimes`: some state satisfies it.
    pub ok: bool,
    /// Shortest path from an initial state to the breaking (or witnessing) state.
    pub path: Option<Vec<A>>,
}

/// The result of a full exploration.
#[derive(Clone, Debug, PartialEq)]
pub struct Report<A> {
    /// Distinct reachable states (TLC's "distinct states found").
    pub states: usize,
    /// Transitions examined, self-loops included.
    pub transitions: usize,
    /// Length of the longest shortest path from an initial state.
    pub depth: usize,
    /// `always` verdicts, in declaration order.
    pub always: Vec<Verdict<A>>,
    /// `sometimes` verdicts, in declaration order.
    pub sometimes: Vec<Verdict<A>>,
    /// True when `max_states` stopped the search early (verdicts then cover what was seen).
    pub truncated: bool,
}

impl<A> Report<A> {
    /// Every `always` holds and every `sometimes` was reached, on a complete search.
    pub fn passed(&self) -> bool {
        !self.truncated && self.always.iter().all(|v| v.ok) && self.sometimes.iter().all(|v| v.ok)
    }
}

/// Visited states: parent's discovery index, the action from it, and depth.
type Seen<S, A> = HashMap<S, (usize, Option<A>, usize)>;

/// Explores every reachable state of `model` breadth-first, up to `max_states` distinct ones.
pub fn check<M: Model>(model: &M, max_states: usize) -> Report<M::Action> {
    let always = model.always();
    let sometimes = model.sometimes();
    // state -> (index of parent in `order`, action from the parent); order = discovery order.
    let mut seen: Seen<M::State, M::Action> = HashMap::new();
    let mut order: Vec<M::State> = Vec::new();
    let mut queue: VecDeque<usize> = VecDeque::new();
    let mut broken: Vec<Option<usize>> = vec![None; always.len()];
    let mut witness: Vec<Option<usize>> = vec![None; sometimes.len()];
    let mut transitions = 0usize;
    let mut depth = 0usize;
    let mut truncated = false;

    let mut visit = |s: M::State,
                     parent: usize,
                     action: Option<M::Action>,
                     d: usize,
                     seen: &mut Seen<M::State, M::Action>,
                     order: &mut Vec<M::State>,
                     queue: &mut VecDeque<usize>| {
        if seen.contains_key(&s) {
            return;
        }
        let ix = order.len();
        for (p, slot) in always.iter().zip(broken.iter_mut()) {
            if slot.is_none() && !(p.holds)(&s) {
                *slot = Some(ix);
            }
        }
        for (p, slot) in sometimes.iter().zip(witness.iter_mut()) {
            if slot.is_none() && (p.holds)(&s) {
                *slot = Some(ix);
            }
        }
        seen.insert(s.clone(), (parent, action, d));
        order.push(s);
        queue.push_back(ix);
    };

    for s in model.init() {
        visit(s, usize::MAX, None, 0, &mut seen, &mut order, &mut queue);
    }
    let mut next = Vec::new();
    while let Some(ix) = queue.pop_front() {
        if order.len() >= max_states {
            truncated = true;
            break;
        }
        let s = order[ix].clone();
        let d = seen.get(&s).map_or(0, |e| e.2);
        depth = depth.max(d);
        next.clear();
        model.next(&s, &mut next);
        transitions += next.len();
        for (a, t) in next.drain(..) {
            visit(t, ix, Some(a), d + 1, &mut seen, &mut order, &mut queue);
        }
    }

    let path_to = |mut ix: usize| -> Vec<M::Action> {
        let mut path = Vec::new();
        while let Some((parent, action, _)) = order.get(ix).and_then(|s| seen.get(s)) {
            match action {
                Some(a) => path.push(a.clone()),
                None => break,
            }
            ix = *parent;
        }
        path.reverse();
        path
    };
    let verdicts = |props: &[Property<M::State>], hits: &[Option<usize>], ok_when_hit: bool| {
        props
            .iter()
            .zip(hits)
            .map(|(p, hit)| Verdict {
                name: p.name,
                explain: p.explain,
                ok: hit.is_some() == ok_when_hit,
                path: hit.map(path_to),
            })
            .collect::<Vec<_>>()
    };
    Report {
        states: order.len(),
        transitions,
        depth,
        always: verdicts(&always, &broken, false),
        sometimes: verdicts(&sometimes, &witness, true),
        truncated,
    }
}
