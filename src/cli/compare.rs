//! `ringlab-cli compare saga-vs-2pc`: the same seeded checkout workload and the same faults
//! run as two-phase commit and as a saga, orchestrated and choreographed
//! (`sim::proto::saga::compare`), one
//! JSON line per fault setting and system, averaged over the seeds; `--markdown` prints the
//! table docs/saga.md shows.

use std::io::Write;

use serde_json::json;

use super::engine::{number, say, BadInput, EXIT_BAD_INPUT, EXIT_OK};
use crate::sim::proto::saga::compare::{compare, Figures, Spec};

/// Usage text of the subcommand.
pub const USAGE: &str = "ringlab-cli compare saga-vs-2pc [--orders 40] [--gap-ms 25] \
[--skus 4] [--accounts 8] [--stock 20] [--declined-every 5] [--crash-at 505] [--down-ms 800] \
[--seeds 10] [--markdown]";

/// Most orders per run.
pub const MAX_ORDERS: u64 = 1_000;
/// Most seeds averaged.
pub const MAX_SEEDS: u64 = 1_000;

/// Runs the subcommand with its arguments (after `compare`); returns the exit code.
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match run(args, out) {
        Ok(code) => code,
        Err(BadInput(m)) => {
            say(err, &format!("ringlab-cli compare: {m}"));
            say(err, &format!("usage: {USAGE}"));
            EXIT_BAD_INPUT
        }
    }
}

fn ranged(flag: &str, v: Option<&String>, lo: u64, hi: u64) -> Result<u64, BadInput> {
    let n = number(flag, v)?;
    if !(lo..=hi).contains(&n) {
        return Err(BadInput(format!("{flag}: must be in {lo}..={hi}, got {n}")));
    }
    Ok(n)
}

/// Field-by-field mean of several runs' figures.
fn mean(runs: &[Figures]) -> Figures {
    let n = runs.len().max(1) as f64;
    let f =
        |g: &dyn Fn(&Figures) -> f64| (runs.iter().map(g).sum::<f64>() / n * 10.0).round() / 10.0;
    let u =
        |g: &dyn Fn(&Figures) -> u64| (runs.iter().map(g).sum::<u64>() as f64 / n).round() as u64;
    Figures {
        system: runs.first().map_or("", |r| r.system),
        orders: u(&|r| r.orders),
        committed: u(&|r| r.committed),
        aborted: u(&|r| r.aborted),
        undecided: u(&|r| r.undecided),
        messages_per_order: f(&|r| r.messages_per_order),
        mean_decision_ms: f(&|r| r.mean_decision_ms),
        max_decision_ms: runs.iter().map(|r| r.max_decision_ms).max().unwrap_or(0),
        hold_ms_per_order: f(&|r| r.hold_ms_per_order),
        throughput_per_s: f(&|r| r.throughput_per_s),
        refused_locked: u(&|r| r.refused_locked),
        dirty_reads: u(&|r| r.dirty_reads),
        retries: u(&|r| r.retries),
    }
}

fn run(args: &[String], out: &mut dyn Write) -> Result<u8, BadInput> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("saga-vs-2pc") => {}
        Some(other) => {
            return Err(BadInput(format!(
                "unknown comparison \"{other}\" (known: saga-vs-2pc)"
            )))
        }
        None => return Err(BadInput("which comparison? (saga-vs-2pc)".into())),
    }
    let mut spec = Spec::default();
    let (mut crash_at, mut down_ms) = (505, 800);
    let mut seeds = 10;
    let mut markdown = false;
    while let Some(a) = it.next() {
        match a.as_str() {
            "--orders" => spec.orders = ranged(a, it.next(), 1, MAX_ORDERS)? as u32,
            "--gap-ms" => spec.gap_ms = ranged(a, it.next(), 0, 60_000)?,
            "--skus" => spec.skus = ranged(a, it.next(), 1, 256)? as u32,
            "--accounts" => spec.accounts = ranged(a, it.next(), 1, 256)? as u32,
            "--stock" => spec.stock = ranged(a, it.next(), 0, 1_000_000)?,
            "--declined-every" => spec.declined_every = ranged(a, it.next(), 0, 1_000)? as u32,
            "--crash-at" => crash_at = ranged(a, it.next(), 0, 3_600_000)?,
            "--down-ms" => down_ms = ranged(a, it.next(), 1, 3_600_000)?,
            "--seeds" => seeds = ranged(a, it.next(), 1, MAX_SEEDS)?,
            "--markdown" => markdown = true,
            other => return Err(BadInput(format!("unknown option {other}"))),
        }
    }
    if markdown {
        say(
            out,
            "| faults | system | committed / aborted | undecided | messages per order | mean decision (ms) | max decision (ms) | stock locked or reserved per order (ms) | committed orders/s | refused (row locked) | dirty reads | compensation retries |",
        );
        say(out, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    }
    let settings = [("none", None), ("A down", Some((crash_at, down_ms)))];
    for (faults, crash) in settings {
        let mut tpc = Vec::new();
        let mut saga = Vec::new();
        let mut choreo = Vec::new();
        for seed in 0..seeds {
            let s = Spec {
                crash,
                seed,
                until_ms: spec.until_ms.max(crash_at + down_ms + 4_000),
                ..spec.clone()
            };
            let [a, b, c] = compare(&s).map_err(BadInput)?;
            tpc.push(a);
            saga.push(b);
            choreo.push(c);
        }
        for f in [mean(&tpc), mean(&saga), mean(&choreo)] {
            let faults = match crash {
                Some((at, ms)) => format!("A down {at}–{} ms", at + ms),
                None => faults.to_string(),
            };
            if markdown {
                say(
                    out,
                    &format!(
                        "| {faults} | {} | {} / {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                        f.system,
                        f.committed,
                        f.aborted,
                        f.undecided,
                        f.messages_per_order,
                        f.mean_decision_ms,
                        f.max_decision_ms,
                        f.hold_ms_per_order,
                        f.throughput_per_s,
                        f.refused_locked,
                        f.dirty_reads,
                        f.retries
                    ),
                );
            } else {
                let mut v = json!(f);
                v["faults"] = json!(faults);
                v["seeds"] = json!(seeds);
                say(out, &v.to_string());
            }
        }
    }
    Ok(EXIT_OK)
}
