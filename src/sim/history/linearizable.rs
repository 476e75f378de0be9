//! A linearizability checker in the Wing–Gong / Lowe style that Knossos and Porcupine use:
//! depth-first search for a total order of the operations that respects real time and the
//! model's sequential specification, with memoisation of (set of linearized operations,
//! model state) so no configuration is explored twice, and per-key decomposition (each key
//! of a key-value map is an independent register). A step budget turns hopeless searches
//! into "unknown" instead of hanging the page or the CLI.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::{Op, Val, F};

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
    let mut by_key: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for o in ops {
        by_key.entry(o.key.as_str()).or_default().push(o);
    }
    let keys = by_key.len();
    let mut steps = 0;
    let mut unknown = None;
    for (key, kops) in by_key {
        let left = budget.saturating_sub(steps);
        let (r, used) = check_key(model, &kops, left);
        steps += used;
        match r {
            KeyResult::Ok => {}
            KeyResult::Fail(f) => {
                return Report {
                    outcome: Outcome::NotLinearizable(f),
                    ops: ops.len(),
                    keys,
                    steps,
                }
            }
            KeyResult::Budget => {
                unknown.get_or_insert(key.to_string());
            }
        }
    }
    Report {
        outcome: match unknown {
            Some(key) => Outcome::Unknown { key },
            None => Outcome::Linearizable,
        },
        ops: ops.len(),
        keys,
        steps,
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

fn check_key(model: Model, ops: &[&Op], budget: u64) -> (KeyResult, u64) {
    // Entries sorted by time; at equal times calls come first (such ops overlap).
    let mut ev: Vec<(u64, u8, usize)> = Vec::with_capacity(ops.len() * 2);
    for (i, o) in ops.iter().enumerate() {
        ev.push((o.invoke, 0, i));
        ev.push((o.ret.unwrap_or(u64::MAX), 1, i));
    }
    ev.sort();
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
    let mut lin = vec![0u64; words];
    let mut count = 0usize;
    let mut state = Val::Nil;
    // The memo holds 128-bit fingerprints of the linearized set (Zobrist: XOR of a random
    // key per operation, updated in O(1)) with the model state, as TLC fingerprints states:
    // no bitset is cloned or hashed per step. Two different sets collide with probability
    // 2^-128 per pair; a collision could only skip a configuration.
    let keys: Vec<u128> = (0..ops.len() as u64).map(zobrist).collect();
    let mut fp: u128 = 0;
    let mut cache: HashSet<(u128, Val)> = HashSet::new();
    let mut stack: Vec<(usize, Val)> = Vec::new();
    let mut best: Option<(usize, usize, Vec<u64>, Val)> = None;
    let mut steps = 0u64;
    let mut entry = es[0].next;
    while es[0].next != NIL {
        steps += 1;
        if steps > budget {
            return (KeyResult::Budget, steps);
        }
        if entry == NIL || es[entry].open {
            // Only open-ended operations are left to place: they need not have happened.
            return (KeyResult::Ok, steps);
        }
        let e = &es[entry];
        if e.call {
            let op = ops[e.op];
            let id = e.op;
            if let Some(next) = model.step(&state, op) {
                if cache.insert((fp ^ keys[id], next.clone())) {
                    lin[id / 64] |= 1 << (id % 64);
                    fp ^= keys[id];
                    stack.push((entry, std::mem::replace(&mut state, next)));
                    count += 1;
                    lift(&mut es, entry);
                    entry = es[0].next;
                    continue;
                }
            }
            entry = es[entry].next;
        } else {
            if best.as_ref().is_none_or(|b| count > b.0) {
                best = Some((count, e.op, lin.clone(), state.clone()));
            }
            let Some((top, s)) = stack.pop() else {
                return (failure(ops, best), steps);
            };
            state = s;
            count -= 1;
            let id = es[top].op;
            lin[id / 64] &= !(1 << (id % 64));
            fp ^= keys[id];
            unlift(&mut es, top);
            entry = es[top].next;
        }
    }
    (KeyResult::Ok, steps)
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
