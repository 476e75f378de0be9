//! A linearizability checker in the Wing–Gong / Lowe style that Knossos and Porcupine use:
//! depth-first search for a total order of the operations that respects real time and the
//! model's sequential specification, with memoisation of (set of linearized operations,
//! model state) so no configuration is explored twice, and per-key decomposition (each key
//! of a key-value map is an independent register). A step budget turns hopeless searches
//! into "unknown" instead of hanging the page or the CLI.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::{Op, Val, F};
use crate::sim::sort::sort_by_u64;

/// The sequential specification the history is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// Reads and writes of one register (keys, if present, are independent registers).
    Register,
    /// Reads, writes and compare-and-set.
    CasRegister,
    /// A map: get, put, append and cas per key.
    Kv,
}

impl Model {
    /// Reads `register`, `cas-register` or `kv`.
    pub fn parse(s: &str) -> Option<Model> {
        match s {
            "register" => Some(Model::Register),
            "cas-register" => Some(Model::CasRegister),
            "kv" => Some(Model::Kv),
            _ => None,
        }
    }

    /// Whether the model has this operation.
    pub fn allows(self, f: F) -> bool {
        match self {
            Model::Register => matches!(f, F::Read | F::Write),
            Model::CasRegister => !matches!(f, F::Append),
            Model::Kv => true,
        }
    }

    /// Applies `op` to `state`: the next state, or `None` if the op cannot happen here.
    fn step(self, state: &Val, op: &Op) -> Option<Val> {
        match op.f {
            F::Read => state.same(&op.value).then(|| state.clone()),
            F::Write => Some(op.value.clone()),
            F::Cas => match &op.value {
                Val::List(l) if l.len() == 2 => state.same(&l[0]).then(|| l[1].clone()),
                _ => None,
            },
            F::Append => match state {
                Val::Nil => Some(Val::List(vec![op.value.clone()])),
                Val::List(l) => {
                    let mut l = l.clone();
                    l.push(op.value.clone());
                    Some(Val::List(l))
                }
                _ => None,
            },
        }
    }
}

/// Why a history is not linearizable: the smallest window the search could not get past.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failure {
    /// The key whose sub-history fails ("" for a single register).
    pub key: String,
    /// The operation that could not be placed before its own completion: typically the read
    /// that could not have happened.
    pub op: Op,
    /// The key's value after the longest linearizable prefix found.
    pub state: Val,
    /// The already-ordered operation that last set that value (the write the blocked read
    /// contradicts), if any.
    pub because: Option<Op>,
    /// The operations not yet ordered at that point that overlap the blocked one, in invoke
    /// order, the blocked one included: the ones that cannot be ordered.
    pub window: Vec<Op>,
    /// How many of the key's operations the longest prefix ordered.
    pub linearized: usize,
}

/// The checker's verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Outcome {
    /// A legal total order exists.
    Linearizable,
    /// None exists; the failing window of the first failing key.
    NotLinearizable(Box<Failure>),
    /// The step budget ran out on this key before a verdict.
    Unknown {
        /// The key being searched.
        key: String,
    },
}

/// A verdict with what it cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The verdict.
    pub outcome: Outcome,
    /// Operations checked.
    pub ops: usize,
    /// Independent keys.
    pub keys: usize,
    /// Search steps taken (over all keys).
    pub steps: u64,
}

impl Report {
    /// Short name of the verdict: `linearizable`, `not_linearizable` or `unknown`.
    pub fn verdict(&self) -> &'static str {
        match self.outcome {
            Outcome::Linearizable => "linearizable",
            Outcome::NotLinearizable(_) => "not_linearizable",
            Outcome::Unknown { .. } => "unknown",
        }
    }
}

/// Default step budget: a few seconds natively at worst.
pub const DEFAULT_BUDGET: u64 = 20_000_000;

/// The first operation the model does not have, as an error naming its line.
pub fn unsupported(model: Model, ops: &[Op]) -> Option<String> {
    ops.iter().find(|o| !model.allows(o.f)).map(|o| {
        format!(
            "line {}: the {:?} model has no `{}` operation",
            o.line,
            model,
            o.f.name()
        )
    })
}

/// Checks `ops` (from [`super::pair`]) against `model`, key by key, within `budget` steps.
pub fn check(model: Model, ops: &[Op], budget: u64) -> Report {
    let mut s = Search::new(model, ops, budget);
    loop {
        if let Some(r) = s.run(u64::MAX) {
            return r;
        }
    }
}

/// A check that runs in slices: [`Search::run`] takes at most a given number of steps and
/// returns the report once there is one, so a page can check a long history between frames
/// (with a progress bar and Cancel) and get exactly the report [`check`] gives.
pub struct Search {
    model: Model,
    /// The remaining keys' operations, in key order (popped from the back).
    todo: Vec<(String, Vec<Op>)>,
    current: Option<(String, KeySearch)>,
    total: usize,
    done_ops: usize,
    keys: usize,
    budget: u64,
    steps: u64,
    unknown: Option<String>,
    report: Option<Report>,
}

impl Search {
    /// Prepares a check of `ops` against `model` within `budget` steps in all.
    pub fn new(model: Model, ops: &[Op], budget: u64) -> Search {
        let mut by_key: BTreeMap<&str, Vec<Op>> = BTreeMap::new();
        for o in ops {
            by_key.entry(o.key.as_str()).or_default().push(o.clone());
        }
        let keys = by_key.len();
        let mut todo: Vec<(String, Vec<Op>)> = by_key
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        todo.reverse();
        Search {
            model,
            todo,
            current: None,
            total: ops.len(),
            done_ops: 0,
            keys,
            budget,
            steps: 0,
            unknown: None,
            report: None,
        }
    }

    /// Runs at most `max_steps` search steps; the report once the check is over.
    pub fn run(&mut self, max_steps: u64) -> Option<Report> {
        let mut left = max_steps;
        while self.report.is_none() {
            if self.current.is_none() {
                let Some((key, kops)) = self.todo.pop() else {
                    let outcome = match self.unknown.take() {
                        Some(key) => Outcome::Unknown { key },
                        None => Outcome::Linearizable,
                    };
                    self.report = Some(self.finish(outcome));
                    break;
                };
                let room = self.budget.saturating_sub(self.steps);
                self.current = Some((key, KeySearch::new(kops, room)));
            }
            if left == 0 {
                return None;
            }
            let Some((key, ks)) = self.current.as_mut() else {
                continue;
            };
            let before = ks.steps;
            let r = ks.run(self.model, left);
            let used = ks.steps - before;
            left = left.saturating_sub(used.max(1));
            let Some(r) = r else { continue };
            self.steps += ks.steps;
            self.done_ops += ks.ops.len();
            let key = std::mem::take(key);
            self.current = None;
            match r {
                KeyResult::Ok => {}
                KeyResult::Fail(f) => self.report = Some(self.finish(Outcome::NotLinearizable(f))),
                KeyResult::Budget => {
                    self.unknown.get_or_insert(key);
                }
            }
        }
        self.report.clone()
    }

    fn finish(&self, outcome: Outcome) -> Report {
        Report {
            outcome,
            ops: self.total,
            keys: self.keys,
            steps: self.steps,
        }
    }

    /// How far the check is, from 0 to 1: keys finished, plus the deepest point reached in
    /// the key being searched (a search backtracks, so this can pause but never runs back).
    pub fn progress(&self) -> f64 {
        if self.report.is_some() || self.total == 0 {
            return 1.0;
        }
        let inner = self
            .current
            .as_ref()
            .map_or(0, |(_, k)| k.best.as_ref().map_or(0, |b| b.0));
        ((self.done_ops + inner) as f64 / self.total as f64).min(1.0)
    }

    /// Search steps taken so far (over all keys).
    pub fn steps(&self) -> u64 {
        self.steps + self.current.as_ref().map_or(0, |(_, k)| k.steps)
    }
}

enum KeyResult {
    Ok,
    Fail(Box<Failure>),
    Budget,
}

const NIL: usize = usize::MAX;

/// One call or return in the doubly linked list the search lifts operations out of.
struct Entry {
    op: usize,
    call: bool,
    /// A return at infinity: the op's outcome is unknown.
    open: bool,
    matched: usize,
    prev: usize,
    next: usize,
}

/// The search over one key's operations, resumable between slices.
struct KeySearch {
    ops: Vec<Op>,
    es: Vec<Entry>,
    lin: Vec<u64>,
    count: usize,
    state: Val,
    keys: Vec<u128>,
    fp: u128,
    cache: HashSet<(u128, Val)>,
    stack: Vec<(usize, Val)>,
    best: Option<(usize, usize, Vec<u64>, Val)>,
    steps: u64,
    budget: u64,
    entry: usize,
}

impl KeySearch {
    fn new(ops: Vec<Op>, budget: u64) -> KeySearch {
        // Entries sorted by time; at equal times calls come first (such ops overlap).
        let mut ev: Vec<(u64, u8, usize)> = Vec::with_capacity(ops.len() * 2);
        for (i, o) in ops.iter().enumerate() {
            ev.push((o.invoke, 0, i));
            ev.push((o.ret.unwrap_or(u64::MAX), 1, i));
        }
        // By time, then calls first, then op: three stable passes, least significant first
        // (pushed in op order already), through the one shared sort.
        sort_by_u64(&mut ev, |e| u64::from(e.1));
        sort_by_u64(&mut ev, |e| e.0);
        // Index 0 is the head sentinel.
        let mut es: Vec<Entry> = Vec::with_capacity(ev.len() + 1);
        es.push(Entry {
            op: NIL,
            call: false,
            open: false,
            matched: NIL,
            prev: NIL,
            next: NIL,
        });
        let mut call_at = vec![NIL; ops.len()];
        for (k, &(_, r, i)) in ev.iter().enumerate() {
            let ix = k + 1;
            let call = r == 0;
            if call {
                call_at[i] = ix;
            }
            es.push(Entry {
                op: i,
                call,
                open: !call && ops[i].ret.is_none(),
                matched: if call { NIL } else { call_at[i] },
                prev: ix - 1,
                next: if k + 1 < ev.len() { ix + 1 } else { NIL },
            });
            es[ix - 1].next = ix;
        }
        for ix in 1..es.len() {
            if !es[ix].call {
                let c = es[ix].matched;
                es[c].matched = ix;
            }
        }
        let words = ops.len().div_ceil(64);
        // The memo holds 128-bit fingerprints of the linearized set (Zobrist: XOR of a random
        // key per operation, updated in O(1)) with the model state, as TLC fingerprints
        // states: no bitset is cloned or hashed per step. Two different sets collide with
        // probability 2^-128 per pair; a collision could only skip a configuration.
        let keys: Vec<u128> = (0..ops.len() as u64).map(zobrist).collect();
        let entry = es[0].next;
        KeySearch {
            ops,
            es,
            lin: vec![0u64; words],
            count: 0,
            state: Val::Nil,
            keys,
            fp: 0,
            cache: HashSet::new(),
            stack: Vec::new(),
            best: None,
            steps: 0,
            budget,
            entry,
        }
    }

    /// At most `max` steps; the key's result once there is one.
    fn run(&mut self, model: Model, max: u64) -> Option<KeyResult> {
        let stop = self.steps.saturating_add(max);
        let es = &mut self.es;
        while es[0].next != NIL {
            if self.steps >= stop {
                return None;
            }
            self.steps += 1;
            if self.steps > self.budget {
                return Some(KeyResult::Budget);
            }
            let entry = self.entry;
            if entry == NIL || es[entry].open {
                // Only open-ended operations are left to place: they need not have happened.
                return Some(KeyResult::Ok);
            }
            let e = &es[entry];
            if e.call {
                let id = e.op;
                let op = &self.ops[id];
                if let Some(next) = model.step(&self.state, op) {
                    if self.cache.insert((self.fp ^ self.keys[id], next.clone())) {
                        self.lin[id / 64] |= 1 << (id % 64);
                        self.fp ^= self.keys[id];
                        self.stack
                            .push((entry, std::mem::replace(&mut self.state, next)));
                        self.count += 1;
                        lift(es, entry);
                        self.entry = es[0].next;
                        continue;
                    }
                }
                self.entry = es[entry].next;
            } else {
                if self.best.as_ref().is_none_or(|b| self.count > b.0) {
                    self.best = Some((self.count, e.op, self.lin.clone(), self.state.clone()));
                }
                let Some((top, s)) = self.stack.pop() else {
                    let refs: Vec<&Op> = self.ops.iter().collect();
                    return Some(failure(&refs, self.best.take()));
                };
                self.state = s;
                self.count -= 1;
                let id = es[top].op;
                self.lin[id / 64] &= !(1 << (id % 64));
                self.fp ^= self.keys[id];
                unlift(es, top);
                self.entry = es[top].next;
            }
        }
        Some(KeyResult::Ok)
    }
}

/// A well-mixed 128-bit key for operation `i` (two SplitMix64 outputs).
fn zobrist(i: u64) -> u128 {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let a = mix(i
        .wrapping_mul(2)
        .wrapping_add(1)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let b = mix(i
        .wrapping_mul(2)
        .wrapping_add(2)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15));
    ((a as u128) << 64) | b as u128
}

fn lift(es: &mut [Entry], c: usize) {
    let (p, n) = (es[c].prev, es[c].next);
    es[p].next = n;
    if n != NIL {
        es[n].prev = p;
    }
    let r = es[c].matched;
    let (p, n) = (es[r].prev, es[r].next);
    es[p].next = n;
    if n != NIL {
        es[n].prev = p;
    }
}

fn unlift(es: &mut [Entry], c: usize) {
    let r = es[c].matched;
    let (p, n) = (es[r].prev, es[r].next);
    es[p].next = r;
    if n != NIL {
        es[n].prev = r;
    }
    let (p, n) = (es[c].prev, es[c].next);
    es[p].next = c;
    if n != NIL {
        es[n].prev = c;
    }
}

fn failure(ops: &[&Op], best: Option<(usize, usize, Vec<u64>, Val)>) -> KeyResult {
    let Some((count, blocked, lin, state)) = best else {
        return KeyResult::Ok;
    };
    let b = ops[blocked];
    let done = |i: usize| lin[i / 64] & (1 << (i % 64)) != 0;
    let until = b.ret.unwrap_or(u64::MAX);
    let because = ops
        .iter()
        .enumerate()
        .filter(|&(i, o)| done(i) && o.f != F::Read)
        .filter(|(_, o)| match (&o.f, &o.value) {
            (F::Cas, Val::List(l)) => l.get(1).is_some_and(|v| v.same(&state)),
            _ => o.value.same(&state),
        })
        .max_by_key(|(_, o)| o.invoke)
        .map(|(_, o)| (*o).clone());
    let window: Vec<Op> = ops
        .iter()
        .enumerate()
        .filter(|&(i, o)| i == blocked || (!done(i) && o.invoke <= until))
        .map(|(_, o)| (*o).clone())
        .collect();
    KeyResult::Fail(Box::new(Failure {
        key: b.key.clone(),
        op: b.clone(),
        state,
        because,
        window,
        linearized: count,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::history::{pair, Event, Kind};

    /// (process, kind, f, value, time) on one key.
    fn h(rows: &[(u64, Kind, F, Val, u64)]) -> Vec<Op> {
        let ev: Vec<(usize, Event)> = rows
            .iter()
            .enumerate()
            .map(|(i, (p, k, f, v, t))| {
                (
                    i + 1,
                    Event {
                        process: *p,
                        kind: *k,
                        f: *f,
                        key: None,
                        value: v.clone(),
                        time: Some(*t),
                    },
                )
            })
            .collect();
        pair(&ev).expect("well-formed")
    }

    use Kind::{Info, Invoke as I, Ok as K};
    use F::{Cas, Read as R, Write as W};
    const N: Val = Val::Nil;
    fn v(i: i64) -> Val {
        Val::Int(i)
    }

    fn verdict(m: Model, ops: &[Op]) -> &'static str {
        let r = check(m, ops, DEFAULT_BUDGET);
        r.verdict()
    }

    #[test]
    fn sequential_history_is_linearizable() {
        let ops = h(&[
            (0, I, W, v(1), 0),
            (0, K, W, v(1), 1),
            (1, I, R, N, 2),
            (1, K, R, v(1), 3),
        ]);
        assert_eq!(verdict(Model::Register, &ops), "linearizable");
    }

    #[test]
    fn stale_read_after_a_completed_write_is_not() {
        let ops = h(&[
            (0, I, W, v(1), 0),
            (0, K, W, v(1), 1),
            (0, I, W, v(2), 2),
            (0, K, W, v(2), 3),
            (1, I, R, N, 4),
            (1, K, R, v(1), 5),
        ]);
        let r = check(Model::Register, &ops, DEFAULT_BUDGET);
        let Outcome::NotLinearizable(f) = r.outcome else {
            panic!("expected a failure, got {r:?}");
        };
        assert_eq!(f.op.f, F::Read);
        assert_eq!(f.op.value, v(1));
        assert_eq!(f.state, v(2));
        assert_eq!(f.linearized, 2);
        assert_eq!(f.because.map(|o| o.value), Some(v(2)));
    }

    #[test]
    fn concurrent_read_may_see_either_value() {
        // The read overlaps the write of 2: both 1 and 2 are fine, 3 is not.
        for (seen, want) in [
            (1, "linearizable"),
            (2, "linearizable"),
            (3, "not_linearizable"),
        ] {
            let ops = h(&[
                (0, I, W, v(1), 0),
                (0, K, W, v(1), 1),
                (0, I, W, v(2), 2),
                (1, I, R, N, 3),
                (1, K, R, v(seen), 4),
                (0, K, W, v(2), 5),
            ]);
            assert_eq!(verdict(Model::Register, &ops), want, "read {seen}");
        }
    }

    #[test]
    fn reads_cannot_go_back_in_time() {
        // Two overlapping reads by different processes, then a later read of the old value.
        let ops = h(&[
            (0, I, W, v(1), 0),
            (1, I, R, N, 1),
            (1, K, R, v(1), 2),
            (2, I, R, N, 3),
            (2, K, R, N, 4),
            (0, K, W, v(1), 5),
        ]);
        assert_eq!(verdict(Model::Register, &ops), "not_linearizable");
    }

    #[test]
    fn an_unknown_write_may_or_may_not_have_happened() {
        let base = |seen| {
            h(&[
                (0, I, W, v(1), 0),
                (0, Info, W, v(1), 1),
                (1, I, R, N, 5),
                (1, K, R, seen, 6),
            ])
        };
        assert_eq!(verdict(Model::Register, &base(v(1))), "linearizable");
        assert_eq!(verdict(Model::Register, &base(N)), "linearizable");
        assert_eq!(verdict(Model::Register, &base(v(7))), "not_linearizable");
    }

    #[test]
    fn a_failed_write_did_not_happen() {
        let ops = h(&[
            (0, I, W, v(1), 0),
            (0, Kind::Fail, W, v(1), 1),
            (1, I, R, N, 5),
            (1, K, R, v(1), 6),
        ]);
        assert_eq!(verdict(Model::Register, &ops), "not_linearizable");
    }

    #[test]
    fn cas_register() {
        let cas = |a, b| Val::List(vec![v(a), v(b)]);
        let ok = h(&[
            (0, I, W, v(1), 0),
            (0, K, W, v(1), 1),
            (1, I, Cas, cas(1, 4), 2),
            (1, K, Cas, cas(1, 4), 3),
            (2, I, R, N, 4),
            (2, K, R, v(4), 5),
        ]);
        assert_eq!(verdict(Model::CasRegister, &ok), "linearizable");
        // Two successful CAS from the same old value cannot both have happened.
        let bad = h(&[
            (0, I, W, v(1), 0),
            (0, K, W, v(1), 1),
            (1, I, Cas, cas(1, 4), 2),
            (1, K, Cas, cas(1, 4), 3),
            (2, I, Cas, cas(1, 5), 4),
            (2, K, Cas, cas(1, 5), 5),
        ]);
        assert_eq!(verdict(Model::CasRegister, &bad), "not_linearizable");
        assert!(unsupported(Model::Register, &ok).is_some());
    }

    #[test]
    fn kv_keys_are_independent_and_append_builds_lists() {
        let mk = |k: &str, p, kind, f, val, t| {
            (
                t as usize + 1,
                Event {
                    process: p,
                    kind,
                    f,
                    key: Some(k.into()),
                    value: val,
                    time: Some(t),
                },
            )
        };
        let list = |xs: &[i64]| Val::List(xs.iter().map(|&x| v(x)).collect());
        let ev = vec![
            mk("x", 0, I, F::Append, v(1), 0),
            mk("y", 1, I, W, v(9), 1),
            mk("x", 0, K, F::Append, v(1), 2),
            mk("y", 1, K, W, v(9), 3),
            mk("x", 0, I, F::Append, v(2), 4),
            mk("x", 0, K, F::Append, v(2), 5),
            mk("x", 1, I, R, N, 6),
            mk("x", 1, K, R, list(&[1, 2]), 7),
            mk("y", 2, I, R, N, 8),
            mk("y", 2, K, R, v(9), 9),
        ];
        let ops = pair(&ev).expect("pairs");
        let r = check(Model::Kv, &ops, DEFAULT_BUDGET);
        assert_eq!(r.verdict(), "linearizable");
        assert_eq!(r.keys, 2);
        let mut bad = ev.clone();
        bad[7].1.value = list(&[2, 1]);
        let ops = pair(&bad).expect("pairs");
        let r = check(Model::Kv, &ops, DEFAULT_BUDGET);
        let Outcome::NotLinearizable(f) = r.outcome else {
            panic!("{r:?}")
        };
        assert_eq!(f.key, "x");
    }

    #[test]
    fn budget_exhaustion_is_unknown_not_a_verdict() {
        // Many concurrent writes then a read of a value nobody wrote: a big search.
        let mut rows = Vec::new();
        for p in 0..14 {
            rows.push((p, I, W, v(p as i64), 0));
        }
        rows.push((99, I, R, N, 1));
        rows.push((99, K, R, v(-1), 2));
        for p in 0..14 {
            rows.push((p, K, W, v(p as i64), 3));
        }
        let ops = h(&rows);
        let r = check(Model::Register, &ops, 1000);
        assert_eq!(r.verdict(), "unknown");
        assert_eq!(
            check(Model::Register, &ops, DEFAULT_BUDGET).verdict(),
            "not_linearizable"
        );
    }

    /// A long history of 4 clients on a register, each op overlapping its neighbours.
    pub(crate) fn long_history(n: usize, corrupt: bool) -> Vec<Op> {
        let mut rows = Vec::new();
        let mut cur = 0i64;
        let mut t = 0u64;
        for i in 0..n {
            let p = (i % 4) as u64;
            if i % 3 == 0 {
                cur = i as i64;
                rows.push((p, I, W, v(cur), t));
                rows.push((p, K, W, v(cur), t + 2));
            } else {
                let seen = if corrupt && i == n - 2 { -5 } else { cur };
                rows.push((p, I, R, N, t + 1));
                rows.push((p, K, R, v(seen), t + 3));
            }
            t += 4;
        }
        h(&rows)
    }

    #[test]
    fn a_check_in_slices_gives_the_same_report() {
        for corrupt in [false, true] {
            let ops = long_history(2_000, corrupt);
            let whole = check(Model::Register, &ops, DEFAULT_BUDGET);
            let mut s = Search::new(Model::Register, &ops, DEFAULT_BUDGET);
            let mut slices = 0;
            let mut last = 0.0;
            let sliced = loop {
                if let Some(r) = s.run(97) {
                    break r;
                }
                slices += 1;
                assert!(s.progress() >= last && s.progress() <= 1.0);
                last = s.progress();
            };
            assert_eq!(sliced, whole);
            assert!(slices > 10, "{slices} slices");
            assert_eq!(s.progress(), 1.0);
        }
        // The budget is shared by the slices exactly as by one run.
        let mut rows = Vec::new();
        for p in 0..14 {
            rows.push((p, I, W, v(p as i64), 0));
        }
        rows.push((99, I, R, N, 1));
        rows.push((99, K, R, v(-1), 2));
        let ops = h(&rows);
        let mut s = Search::new(Model::Register, &ops, 1000);
        let r = loop {
            if let Some(r) = s.run(7) {
                break r;
            }
        };
        assert_eq!(r, check(Model::Register, &ops, 1000));
        assert_eq!(r.verdict(), "unknown");
    }

    #[test]
    fn ten_thousand_operations_finish() {
        let ops = long_history(10_000, false);
        assert_eq!(ops.len(), 10_000);
        let r = check(Model::Register, &ops, DEFAULT_BUDGET);
        assert_eq!(r.verdict(), "linearizable", "{} steps", r.steps);
        let ops = long_history(10_000, true);
        assert_eq!(
            check(Model::Register, &ops, DEFAULT_BUDGET).verdict(),
            "not_linearizable"
        );
    }
}
