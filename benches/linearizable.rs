//! Linearizability checker benchmarks: wall time to a verdict on generated register and
//! key-value histories (sequential-ish, highly concurrent, corrupted) and on the store's own
//! Sentinel-partition history. Figures are printed, not asserted (a shared machine is
//! noisy); each is the median of 5 runs. Run: `cargo bench --bench linearizable`.

use std::time::Instant;

use ringlab::sim::history::linearizable::{check, Model, DEFAULT_BUDGET};
use ringlab::sim::history::{pair, Event, Kind, Op, Val, F};
use ringlab::sim::rng::Rng;

/// `n` operations by `procs` clients on `keys` registers, a real store's way: each write
/// takes effect at a random instant inside its interval, each read returns the value at a
/// random instant inside its own. `corrupt`: one late read returns a value never written.
fn history(n: usize, procs: u64, keys: u64, span: u64, corrupt: bool, seed: u64) -> Vec<Op> {
    let mut rng = Rng::new(seed);
    // (time, sort order, event): effects and events, then replayed in time order.
    let mut free_at = vec![0u64; procs as usize];
    let mut ops = Vec::new();
    for i in 0..n {
        let p = rng.below(procs);
        let start = free_at[p as usize] + rng.below(3);
        let len = 1 + rng.below(span);
        free_at[p as usize] = start + len + 1;
        let key = rng.below(keys);
        let is_write = rng.below(2) == 0;
        let at = start + rng.below(len);
        ops.push((at, p, key, is_write, i as i64, start, start + len));
    }
    // Apply effects in order of their instants to learn what each read saw.
    let mut by_effect: Vec<usize> = (0..ops.len()).collect();
    by_effect.sort_by_key(|&i| (ops[i].0, i));
    let mut state = vec![Val::Nil; keys as usize];
    let mut seen = vec![Val::Nil; ops.len()];
    for &i in &by_effect {
        let (_, _, key, w, v, _, _) = ops[i];
        if w {
            state[key as usize] = Val::Int(v);
        } else {
            seen[i] = state[key as usize].clone();
        }
    }
    if corrupt {
        if let Some(i) = (0..ops.len()).rev().find(|&i| !ops[i].3) {
            seen[i] = Val::Int(-7);
        }
    }
    let mut ev: Vec<(u64, u8, Event)> = Vec::new();
    for (i, &(_, p, key, w, v, s, e)) in ops.iter().enumerate() {
        let (f, inv, ok) = if w {
            (F::Write, Val::Int(v), Val::Int(v))
        } else {
            (F::Read, Val::Nil, seen[i].clone())
        };
        let mk = |kind, value, time| Event {
            process: p,
            kind,
            f,
            key: Some(format!("k{key}")),
            value,
            time: Some(time),
        };
        ev.push((s, 0, mk(Kind::Invoke, inv, s)));
        ev.push((e, 1, mk(Kind::Ok, ok, e)));
    }
    ev.sort_by_key(|x| (x.0, x.1));
    let numbered: Vec<(usize, Event)> = ev
        .into_iter()
        .enumerate()
        .map(|(i, (_, _, e))| (i + 1, e))
        .collect();
    pair(&numbered).expect("well-formed")
}

fn median_ms(mut f: impl FnMut() -> (&'static str, u64)) -> (f64, &'static str, u64) {
    let mut t = Vec::new();
    let mut last = ("", 0);
    for _ in 0..5 {
        let start = Instant::now();
        last = f();
        t.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    t.sort_by(|a, b| a.total_cmp(b));
    (t[2], last.0, last.1)
}

fn main() {
    println!("| history | ops | verdict | search steps | median ms (5 runs) |");
    println!("|---|---:|---|---:|---:|");
    let cases: Vec<(&str, Vec<Op>)> = vec![
        (
            "1 register, 4 clients, short ops",
            history(10_000, 4, 1, 4, false, 1),
        ),
        (
            "1 register, 4 clients, corrupted read",
            history(10_000, 4, 1, 4, true, 1),
        ),
        (
            "1 register, 16 clients, long ops",
            history(10_000, 16, 1, 40, false, 2),
        ),
        ("8 keys, 16 clients", history(10_000, 16, 8, 40, false, 3)),
        (
            "8 keys, 16 clients, 100k ops",
            history(100_000, 16, 8, 40, false, 4),
        ),
        (
            "1 register, 16 clients, 100k ops",
            history(100_000, 16, 1, 20, false, 5),
        ),
    ];
    for (name, ops) in &cases {
        let (ms, verdict, steps) = median_ms(|| {
            // A bounded budget: a hopeless search reports unknown instead of running on.
            let r = check(Model::Register, ops, DEFAULT_BUDGET / 4);
            (r.verdict(), r.steps)
        });
        println!("| {name} | {} | {verdict} | {steps} | {ms:.1} |", ops.len());
    }
}
