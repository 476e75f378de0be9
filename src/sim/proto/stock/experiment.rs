//! The contention experiment of the AWS Architecture Blog's "Exponential Backoff and
//! Jitter": N clients each update one row with an optimistic compare-and-set, retrying on
//! conflict under a policy; the figures are total calls and the time until the last client
//! is done, averaged over seeds. Same parameters as the published simulator: one-way delay
//! |N(10 ms, 2 ms)|, base 5 ms, cap 2,000 ms. It runs on the real engine (the `stock`
//! protocol, optimistic strategy), so the CLI, the tests and the panel share it.

use super::cfg::Policy;
use super::Stock;
use crate::sim::scenario::Scenario;

/// Mean delay of the published simulator (ms).
pub const DELAY_MEAN_MS: u64 = 10;
/// Its standard deviation (ms).
pub const DELAY_SD_MS: u64 = 2;
/// Backoff base (ms).
pub const BASE_MS: u64 = 5;
/// Backoff cap (ms).
pub const CAP_MS: u64 = 2_000;
/// A run that has not finished by then is cut (virtual ms; never reached by these runs).
pub const LIMIT_MS: u64 = 600_000;

/// One point of the experiment: a client count and a policy, averaged over `runs` seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Clients (each wants one unit of a row stocked for all of them).
    pub clients: u32,
    /// The retry policy.
    pub policy: Policy,
    /// Mean total compare-and-set calls.
    pub calls: f64,
    /// Mean completion time (virtual ms from the start to the last client done).
    pub ms: f64,
    /// Runs averaged.
    pub runs: u32,
}

/// The scenario of one run: one row on one shard, `clients` buyers arriving together.
pub fn scenario(clients: u32, policy: Policy) -> Result<Scenario, String> {
    let text = format!(
        r#"{{"version":4,"id":"contention","title":"OCC contention","seed":1,
        "cluster":{{"servers":["db"],"clients":["c1","c2","c3","c4","c5","c6","c7","c8"]}},
        "network":{{"base_ms":0,"jitter_ms":0}},
        "protocols":{{"stock":{{"strategy":"optimistic","policy":"{}","stock":{clients},
          "buyers":{clients},"start_ms":0,"work_ms":0,"base_ms":{BASE_MS},"cap_ms":{CAP_MS},
          "timeout_ms":{LIMIT_MS},"delay_mean_ms":{DELAY_MEAN_MS},"delay_sd_ms":{DELAY_SD_MS}}}}},
        "until_ms":{LIMIT_MS}}}"#,
        policy.name()
    );
    Scenario::decode(text.as_bytes()).map_err(|e| e.to_string())
}

/// Runs one seed to completion: (calls, completion ms).
pub fn run_once(s: &Scenario, seed: u64) -> Result<(u64, u64), String> {
    let mut w = s.build(Some(seed)).map_err(|e| e.to_string())?;
    let want = u64::from(w.cfg::<Stock>().map_or(0, |c| c.buyers));
    let mut scratch = Vec::new();
    loop {
        let st = &w.shared::<Stock>().stats;
        if st.sold as u64 + st.refused + st.gave_up >= want {
            break;
        }
        if w.next_time().is_none_or(|t| t > LIMIT_MS) || !w.step(&mut scratch) {
            break;
        }
        scratch.clear();
    }
    let st = &w.shared::<Stock>().stats;
    Ok((st.calls, st.last_done))
}

/// Every (clients, policy) point, averaged over seeds `seed .. seed + runs`.
pub fn run(
    clients: &[u32],
    policies: &[Policy],
    runs: u32,
    seed: u64,
) -> Result<Vec<Point>, String> {
    let mut out = Vec::new();
    for &n in clients {
        for &p in policies {
            let s = scenario(n, p)?;
            let (mut calls, mut ms) = (0u64, 0u64);
            for r in 0..runs {
                let (c, t) = run_once(&s, seed + u64::from(r))?;
                calls += c;
                ms += t;
            }
            let k = f64::from(runs.max(1));
            out.push(Point {
                clients: n,
                policy: p,
                calls: calls as f64 / k,
                ms: ms as f64 / k,
                runs,
            });
        }
    }
    Ok(out)
}
