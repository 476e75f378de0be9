//! `ringlab-cli contention`: the AWS optimistic-concurrency backoff experiment on the
//! engine (`sim::proto::stock::experiment`), one JSON line per client count and policy.

use std::io::Write;

use serde_json::json;

use super::engine::{number, say, BadInput, EXIT_BAD_INPUT, EXIT_OK};
use crate::sim::proto::stock::experiment;
use crate::sim::proto::stock::Policy;

/// Usage text of the subcommand.
pub const USAGE: &str = "ringlab-cli contention [--clients 10,20,30,40,50] \
[--policy none,expo,full-jitter,equal-jitter,decorrelated] [--runs 100] [--seed 1] [--svg FILE]";

/// Most clients in one point (buyers of one run).
pub const MAX_CLIENTS: u64 = 1_000;
/// Most runs averaged per point.
pub const MAX_RUNS: u64 = 10_000;

/// Runs the subcommand with its arguments (after `contention`); returns the exit code.
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match contention(args, out) {
        Ok(code) => code,
        Err(BadInput(m)) => {
            say(err, &format!("ringlab-cli contention: {m}"));
            say(err, &format!("usage: {USAGE}"));
            EXIT_BAD_INPUT
        }
    }
}

fn list(flag: &str, v: Option<&String>) -> Result<Vec<String>, BadInput> {
    let v = v.ok_or_else(|| BadInput(format!("{flag} needs a value")))?;
    let items: Vec<String> = v
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if items.is_empty() {
        return Err(BadInput(format!("{flag}: empty list")));
    }
    Ok(items)
}

fn contention(args: &[String], out: &mut dyn Write) -> Result<u8, BadInput> {
    let mut clients: Vec<u32> = vec![10, 20, 30, 40, 50];
    let mut policies = vec![
        Policy::None,
        Policy::Expo,
        Policy::FullJitter,
        Policy::Decorrelated,
    ];
    let mut runs = 100;
    let mut seed = 1;
    let mut svg = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--clients" => {
                clients = Vec::new();
                for c in list("--clients", it.next())? {
                    let n: u64 = c.parse().map_err(|_| {
                        BadInput(format!("--clients: expected whole numbers, got \"{c}\""))
                    })?;
                    if !(1..=MAX_CLIENTS).contains(&n) {
                        return Err(BadInput(format!(
                            "--clients: each must be in 1..={MAX_CLIENTS}, got {n}"
                        )));
                    }
                    clients.push(n as u32);
                }
            }
            "--policy" => {
                policies = Vec::new();
                for p in list("--policy", it.next())? {
                    policies.push(Policy::from_name(&p).ok_or_else(|| {
                        BadInput(format!(
                            "--policy: unknown policy \"{p}\" (one of: none, expo, full-jitter, equal-jitter, decorrelated)"
                        ))
                    })?);
                }
            }
            "--runs" => {
                runs = number("--runs", it.next())?;
                if !(1..=MAX_RUNS).contains(&runs) {
                    return Err(BadInput(format!(
                        "--runs: must be in 1..={MAX_RUNS}, got {runs}"
                    )));
                }
            }
            "--seed" => seed = number("--seed", it.next())?,
            "--svg" => {
                svg = Some(
                    it.next()
                        .ok_or_else(|| BadInput("--svg needs a file name".into()))?
                        .clone(),
                )
            }
            other => return Err(BadInput(format!("unexpected argument \"{other}\""))),
        }
    }
    let points = experiment::run(&clients, &policies, runs as u32, seed).map_err(BadInput)?;
    if let Some(file) = svg {
        // The same display list the panel paints, in the light theme.
        let charts = crate::view::stock_chart::contention(&points);
        let scene = crate::view::stock_chart::scene(&charts, 2, 720.0, 300.0);
        let text = crate::view::svg::to_svg(&scene, &crate::view::theme::Theme::light());
        std::fs::write(&file, text).map_err(|e| BadInput(format!("--svg {file}: {e}")))?;
    }
    for p in &points {
        say(
            out,
            &json!({
                "clients": p.clients,
                "policy": p.policy.name().replace('_', "-"),
                "calls": (p.calls * 10.0).round() / 10.0,
                "ms": (p.ms * 10.0).round() / 10.0,
                "runs": p.runs,
            })
            .to_string(),
        );
    }
    Ok(EXIT_OK)
}
