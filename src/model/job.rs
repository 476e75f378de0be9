//! The Cluster tab's long jobs ("Explore N seeds", the 2PC Verify, and "Compare with 2PC" on
//! a page without 2PC of its own) as messages and the loop
//! that runs one, so a Web Worker can run them while the page keeps animating. What crosses
//! is JSON text both ways: the worker writes it with serde, the page reads replies with the
//! project's own field reader (`sim::json_read`, already in the page for scenarios), so the
//! page carries no typed deserializer for them (README, "Pages and their bundles": with the
//! on-page fallback's removal, 10.4 KB gzip of the Cluster page). Browser-free, so the
//! loop and both ends of the exchange are tested natively and the worker binary is a thin
//! shell around [`run`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::verify::{verify, Line, Verified};
use crate::sim::explore::{Broken, Explorer, Found, Progress};
use crate::sim::json_read::{self as jr, Obj, R};
use crate::sim::scenario::Scenario;
use crate::sim::time::Time;
use crate::sim::vecmap::VecMap;

/// How often a running exploration reports progress (ms of wall time): often enough for a
/// smooth bar, rarely enough that the page is not re-rendered thousands of times a second.
pub const PROGRESS_EVERY_MS: f64 = 100.0;

/// Which job a worker runs (each has its own, so a Verify need not wait for an exploration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// "Explore N seeds".
    Explore,
    /// The 2PC Verify.
    Verify,
    /// A panel's comparison table (today the saga panel's "Compare with 2PC" on a page
    /// without proto-tpc).
    #[cfg(feature = "table-jobs")]
    Compare,
}

/// A job for the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Explore `seeds` seeds of the scenario (`Scenario::encode` JSON).
    Explore {
        /// The scenario as JSON.
        scenario: String,
        /// Seeds to run.
        seeds: u64,
    },
    /// Verify two-phase commit for `rms` resource managers.
    Verify {
        /// Resource managers.
        rms: usize,
        /// The unsafe heuristic variant.
        heuristic: bool,
    },
    /// The saga/2PC comparison of these orders (`model::saga_compare::rows`).
    #[cfg(feature = "proto-saga")]
    Compare {
        /// The scenario's orders.
        workload: crate::model::saga_compare::Workload,
    },
}

/// The shrunk counterexample as it crosses: the reproduction as scenario JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FoundMsg {
    /// World seed of the run.
    pub seed: u64,
    /// The invariant that broke.
    pub invariant: String,
    /// Trace index of the violation.
    pub at_event: usize,
    /// Virtual time of the violation.
    pub at_ms: Time,
    /// Fault episodes left after shrinking.
    pub faults: usize,
    /// The reproduction (`Scenario::encode`).
    pub repro: String,
}

impl FoundMsg {
    /// Packs a counterexample for the trip out of the worker.
    pub fn pack(f: &Found) -> Self {
        FoundMsg {
            seed: f.seed,
            invariant: f.broken.invariant.clone(),
            at_event: f.broken.at_event,
            at_ms: f.broken.at_ms,
            faults: f.faults,
            repro: f.repro.encode(),
        }
    }

    /// Unpacks it on the page; the reproduction is decoded like any scenario file.
    pub fn unpack(self) -> Result<Found, String> {
        let repro = Scenario::decode(self.repro.as_bytes())
            .map_err(|e| format!("the worker's counterexample does not decode: {e}"))?;
        Ok(Found {
            seed: self.seed,
            broken: Broken {
                invariant: self.invariant,
                at_event: self.at_event,
                at_ms: self.at_ms,
            },
            faults: self.faults,
            repro,
        })
    }
}

/// What the worker says.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Reply {
    /// Loaded and listening (messages sent before this are lost).
    Ready,
    /// An exploration's progress.
    Progress {
        /// Seeds run so far.
        done: u64,
        /// Seeds asked for.
        seeds: u64,
        /// Runs violating each invariant so far.
        counts: Vec<(String, u64)>,
    },
    /// An exploration finished.
    Explored {
        /// Seeds run.
        done: u64,
        /// Seeds asked for.
        seeds: u64,
        /// Runs violating each invariant.
        counts: Vec<(String, u64)>,
        /// The shrunk counterexample, if a run broke an expectation.
        found: Option<FoundMsg>,
        /// Wall time of the whole job in the worker (ms), shrinking included.
        ms: f64,
    },
    /// A verification finished (or was refused), with its wall time in ms.
    Verified {
        /// The result.
        result: Result<Verified, String>,
        /// Wall time (ms).
        ms: f64,
    },
    /// A comparison finished: its table rows (or why it could not run), with its wall time.
    #[cfg(feature = "table-jobs")]
    Compared {
        /// The rows, as the panel tables them.
        result: Result<Vec<Vec<String>>, String>,
        /// Wall time (ms).
        ms: f64,
    },
    /// The job could not run (bad scenario, no fault budget, a failing run).
    Failed {
        /// Why, in words.
        error: String,
    },
}

impl Request {
    /// The job as JSON text, for the trip into the worker.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The worker reads it back.
    pub fn from_json(text: &str) -> Result<Request, String> {
        serde_json::from_slice(text.as_bytes()).map_err(|e| e.to_string())
    }
}

impl Reply {
    /// The reply as JSON text, for the trip out of the worker (u64 seeds exact).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The page reads a reply: `"Ready"` or `{"Variant": {fields}}` as serde writes them,
    /// with the exact path of anything unexpected.
    pub fn from_json(text: &str) -> Result<Reply, String> {
        let v: Value =
            serde_json::from_slice(text.as_bytes()).map_err(|e| format!("not JSON: {e}"))?;
        read_reply(v).map_err(|e| e.to_string())
    }
}

fn read_reply(v: Value) -> R<Reply> {
    if v.as_str() == Some("Ready") {
        return Ok(Reply::Ready);
    }
    let (tag, body) = tagged("reply", v)?;
    let mut o = Obj::new(&tag, body)?;
    let r = match tag.as_str() {
        "Progress" => Reply::Progress {
            done: uint(&mut o, "done")?,
            seeds: uint(&mut o, "seeds")?,
            counts: o.list("counts", count)?,
        },
        "Explored" => Reply::Explored {
            done: uint(&mut o, "done")?,
            seeds: uint(&mut o, "seeds")?,
            counts: o.list("counts", count)?,
            found: o.opt("found").map(|(p, v)| found(&p, v)).transpose()?,
            ms: o.f64_or("ms", 0.0)?,
        },
        // `Verified` and `Compared` read their `Result` alike, written out: a shared generic
        // reader measured +0.5 KB gzip on log.html.
        "Verified" => {
            let (p, v) = o.req("result")?;
            let result = match tagged(&p, v)? {
                (t, v) if t == "Ok" => Ok(verified(&format!("{p}.Ok"), v)?),
                (t, v) if t == "Err" => Err(jr::text(&format!("{p}.Err"), v)?),
                (t, _) => return jr::fail(&p, format!("expected Ok or Err, got {t}")),
            };
            Reply::Verified {
                result,
                ms: o.f64_or("ms", 0.0)?,
            }
        }
        #[cfg(feature = "table-jobs")]
        "Compared" => {
            let (p, v) = o.req("result")?;
            let result = match tagged(&p, v)? {
                (t, v) if t == "Ok" => Ok(table_rows(&format!("{p}.Ok"), v)?),
                (t, v) if t == "Err" => Err(jr::text(&format!("{p}.Err"), v)?),
                (t, _) => return jr::fail(&p, format!("expected Ok or Err, got {t}")),
            };
            Reply::Compared {
                result,
                ms: o.f64_or("ms", 0.0)?,
            }
        }
        "Failed" => Reply::Failed {
            error: text(&mut o, "error")?,
        },
        other => return jr::fail("reply", format!("unknown reply `{other}`")),
    };
    o.done("the fields serde writes for this reply")?;
    Ok(r)
}

/// `{"Tag": body}`: the tag and the body.
fn tagged(p: &str, v: Value) -> R<(String, Value)> {
    match v {
        Value::Object(m) if m.len() == 1 => m
            .into_iter()
            .next()
            .map_or_else(|| jr::fail(p, "empty"), Ok),
        other => jr::fail(
            p,
            format!("expected {{\"Tag\": …}}, got {}", jr::kind(&other)),
        ),
    }
}

fn uint(o: &mut Obj, k: &str) -> R<u64> {
    let (p, v) = o.req(k)?;
    jr::uint(&p, &v)
}

fn text(o: &mut Obj, k: &str) -> R<String> {
    let (p, v) = o.req(k)?;
    jr::text(&p, v)
}

/// A table: a list of rows, each a list of cells.
#[cfg(feature = "table-jobs")]
fn table_rows(p: &str, v: Value) -> R<Vec<Vec<String>>> {
    match v {
        Value::Array(rows) => rows
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let p = format!("{p}[{i}]");
                match row {
                    Value::Array(cells) => cells
                        .into_iter()
                        .enumerate()
                        .map(|(j, c)| jr::text(&format!("{p}[{j}]"), c))
                        .collect(),
                    other => jr::fail(&p, format!("expected a row, got {}", jr::kind(&other))),
                }
            })
            .collect(),
        other => jr::fail(p, format!("expected rows, got {}", jr::kind(&other))),
    }
}

/// `["invariant", runs]`.
fn count(p: &str, v: Value) -> R<(String, u64)> {
    match v {
        Value::Array(a) if a.len() == 2 => {
            let mut a = a.into_iter();
            let (name, n) = (a.next(), a.next());
            match (name, n) {
                (Some(name), Some(n)) => Ok((
                    jr::text(&format!("{p}[0]"), name)?,
                    jr::uint(&format!("{p}[1]"), &n)?,
                )),
                _ => jr::fail(p, "expected [name, runs]"),
            }
        }
        other => jr::fail(
            p,
            format!("expected [name, runs], got {}", jr::kind(&other)),
        ),
    }
}

fn found(p: &str, v: Value) -> R<FoundMsg> {
    let mut o = Obj::new(p, v)?;
    let f = FoundMsg {
        seed: uint(&mut o, "seed")?,
        invariant: text(&mut o, "invariant")?,
        at_event: uint(&mut o, "at_event")? as usize,
        at_ms: uint(&mut o, "at_ms")?,
        faults: uint(&mut o, "faults")? as usize,
        repro: text(&mut o, "repro")?,
    };
    o.done("seed, invariant, at_event, at_ms, faults, repro")?;
    Ok(f)
}

fn verified(p: &str, v: Value) -> R<Verified> {
    let mut o = Obj::new(p, v)?;
    let r = Verified {
        summary: text(&mut o, "summary")?,
        always: o.list("always", line)?,
        sometimes: o.list("sometimes", line)?,
        counterexample: o
            .opt("counterexample")
            .map(|(p, v)| jr::text(&p, v))
            .transpose()?,
    };
    o.done("summary, always, sometimes, counterexample")?;
    Ok(r)
}

fn line(p: &str, v: Value) -> R<Line> {
    let mut o = Obj::new(p, v)?;
    let l = Line {
        name: text(&mut o, "name")?,
        explain: text(&mut o, "explain")?,
        ok: o.bool_or("ok", false)?,
        path: o.list("path", jr::text)?,
    };
    o.done("name, explain, ok, path")?;
    Ok(l)
}

/// A counts map as it crosses.
pub fn counts_vec(c: &VecMap<String, u64>) -> Vec<(String, u64)> {
    c.iter().map(|(k, v)| (k.clone(), *v)).collect()
}

/// Runs one job to the end, posting progress at most every [`PROGRESS_EVERY_MS`] of `clock`
/// (ms) and the result last. Cancel is the page terminating the worker, so no check here.
pub fn run(req: Request, clock: &dyn Fn() -> f64, post: &mut dyn FnMut(Reply)) {
    let start = clock();
    match req {
        Request::Verify { rms, heuristic } => {
            let result = verify(rms, heuristic);
            post(Reply::Verified {
                result,
                ms: clock() - start,
            });
        }
        #[cfg(feature = "proto-saga")]
        Request::Compare { workload } => {
            #[cfg(feature = "proto-tpc")]
            let result = crate::model::saga_compare::rows(&workload);
            #[cfg(not(feature = "proto-tpc"))]
            let result = Err(format!(
                "this build has no two-phase commit to compare {} orders with",
                workload.orders
            ));
            post(Reply::Compared {
                result,
                ms: clock() - start,
            });
        }
        Request::Explore { scenario, seeds } => {
            let ex = Scenario::decode(scenario.as_bytes())
                .map_err(|e| e.to_string())
                .and_then(|s| Explorer::new(s, seeds));
            match ex {
                Ok(mut ex) => explore(&mut ex, start, clock, post),
                Err(error) => post(Reply::Failed { error }),
            }
        }
    }
}

fn explore(ex: &mut Explorer, start: f64, clock: &dyn Fn() -> f64, post: &mut dyn FnMut(Reply)) {
    let mut last = start;
    loop {
        match ex.step() {
            Ok(Progress::Done(found)) => {
                post(Reply::Explored {
                    done: ex.seeds_done(),
                    seeds: ex.seeds(),
                    counts: counts_vec(ex.counts()),
                    found: found.as_deref().map(FoundMsg::pack),
                    ms: clock() - start,
                });
                return;
            }
            Ok(_) => {}
            Err(error) => {
                post(Reply::Failed { error });
                return;
            }
        }
        let now = clock();
        if now - last >= PROGRESS_EVERY_MS {
            last = now;
            post(Reply::Progress {
                done: ex.seeds_done(),
                seeds: ex.seeds(),
                counts: counts_vec(ex.counts()),
            });
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn node_failure() -> String {
        include_str!("../../static/scenarios/node-failure.json").to_string()
    }

    /// A clock that advances 30 ms every time it is read, so progress is posted now and then.
    fn ticking() -> impl Fn() -> f64 {
        let t = Cell::new(0.0);
        move || {
            t.set(t.get() + 30.0);
            t.get()
        }
    }

    #[test]
    fn explore_reports_progress_then_the_same_result_as_the_explorer() {
        let mut replies = Vec::new();
        let req = Request::Explore {
            scenario: node_failure(),
            seeds: 12,
        };
        // Through the JSON text that crosses, both ways.
        let req = Request::from_json(&req.to_json()).unwrap();
        run(req, &ticking(), &mut |r| {
            replies.push(Reply::from_json(&r.to_json()).unwrap());
        });
        let last = replies.pop().expect("a final reply");
        let progress: Vec<u64> = replies
            .iter()
            .map(|r| match r {
                Reply::Progress {
                    done, seeds: 12, ..
                } => *done,
                other => panic!("not progress: {other:?}"),
            })
            .collect();
        assert!(!progress.is_empty(), "no progress posted");
        assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
        let Reply::Explored {
            done,
            seeds,
            counts,
            found,
            ms,
        } = last
        else {
            panic!("last reply is not the result: {last:?}");
        };
        assert_eq!((done, seeds), (12, 12));
        assert!(ms > 0.0);

        let mut ex =
            Explorer::new(Scenario::decode(node_failure().as_bytes()).unwrap(), 12).unwrap();
        let direct = loop {
            if let Progress::Done(f) = ex.step().unwrap() {
                break f;
            }
        };
        assert_eq!(counts, counts_vec(ex.counts()));
        let found = found.expect("node-failure breaks accurate_suspicion within 12 seeds");
        assert_eq!(Some(Box::new(found.unpack().unwrap())), direct);
    }

    #[test]
    fn verify_and_refusals_come_back_as_replies() {
        let mut replies = Vec::new();
        run(
            Request::Verify {
                rms: 3,
                heuristic: false,
            },
            &ticking(),
            &mut |r| replies.push(r),
        );
        run(
            Request::Verify {
                rms: 99,
                heuristic: false,
            },
            &ticking(),
            &mut |r| replies.push(r),
        );
        let mut no_budget = Scenario::decode(node_failure().as_bytes()).unwrap();
        no_budget.fault_budget = None;
        run(
            Request::Explore {
                scenario: no_budget.encode(),
                seeds: 3,
            },
            &ticking(),
            &mut |r| replies.push(r),
        );
        run(
            Request::Explore {
                scenario: "{ not json".into(),
                seeds: 3,
            },
            &ticking(),
            &mut |r| replies.push(r),
        );
        match &replies[..] {
            [Reply::Verified { result: Ok(v), .. }, Reply::Verified { result: Err(e), .. }, Reply::Failed { error: budget }, Reply::Failed { error: syntax }] =>
            {
                assert!(v.summary.contains("288 distinct states"), "{}", v.summary);
                assert!(e.contains("ringlab-cli check 2pc"), "{e}");
                assert!(budget.contains("fault_budget"), "{budget}");
                assert!(!syntax.is_empty());
            }
            other => panic!("unexpected replies: {other:?}"),
        }
        // What the page reads is what the worker wrote, for every reply.
        for r in &replies {
            assert_eq!(&Reply::from_json(&r.to_json()).unwrap(), r);
        }
    }

    /// "Compare with 2PC" in the worker (a page without 2PC) tables what the page itself
    /// tables when it carries 2PC: the same rows, through the JSON that crosses.
    #[cfg(all(feature = "proto-saga", feature = "proto-tpc"))]
    #[test]
    fn the_comparison_in_the_worker_is_the_one_on_the_page() {
        use crate::model::saga_compare::{rows, Workload};
        let s = Scenario::decode(
            include_str!("../../static/scenarios/outbox-relay-crash.json").as_bytes(),
        )
        .unwrap();
        let workload = Workload::of(s.protocols.saga.as_ref().expect("a saga section"));
        let on_page = rows(&workload).unwrap();
        let req = Request::from_json(
            &Request::Compare {
                workload: workload.clone(),
            }
            .to_json(),
        )
        .unwrap();
        let mut replies = Vec::new();
        run(req, &ticking(), &mut |r| {
            replies.push(Reply::from_json(&r.to_json()).unwrap());
        });
        match &replies[..] {
            [Reply::Compared { result: Ok(r), ms }] => {
                assert_eq!(r, &on_page);
                assert!(*ms > 0.0);
            }
            other => panic!("unexpected replies: {other:?}"),
        }
        assert_eq!(on_page.len(), 6);
        // A refusal crosses too, and a malformed table says where.
        let refused = Reply::Compared {
            result: Err("no".into()),
            ms: 1.0,
        };
        assert_eq!(Reply::from_json(&refused.to_json()), Ok(refused));
        let e = Reply::from_json(r#"{"Compared": {"result": {"Ok": [["a", 1]]}, "ms": 1}}"#)
            .unwrap_err();
        assert!(e.contains("Compared.result.Ok[0][1]"), "{e}");
    }

    #[test]
    fn replies_cross_as_json_text_exactly() {
        let found = FoundMsg {
            // Beyond 2^53: a JavaScript number would round it.
            seed: u64::MAX - 1,
            invariant: "accurate_suspicion".into(),
            at_event: 17,
            at_ms: 1_234,
            faults: 2,
            repro: node_failure(),
        };
        let replies = [
            Reply::Ready,
            Reply::Progress {
                done: 3,
                seeds: 9,
                counts: vec![("a".into(), 1), ("b \"quoted\"".into(), 2)],
            },
            Reply::Explored {
                done: 9,
                seeds: 9,
                counts: vec![],
                found: Some(found),
                ms: 12.5,
            },
            Reply::Explored {
                done: 9,
                seeds: 9,
                counts: vec![("a".into(), 0)],
                found: None,
                ms: 0.0,
            },
            Reply::Verified {
                result: Err("too many".into()),
                ms: 1.0,
            },
            Reply::Failed {
                error: "no fault_budget".into(),
            },
        ];
        for r in replies {
            assert_eq!(Reply::from_json(&r.to_json()), Ok(r));
        }
    }

    #[test]
    fn unreadable_replies_say_where() {
        let cases = [
            ("{ not json", "not JSON"),
            (r#""Steady""#, "reply: expected"),
            (r#"{"Shrug": {}}"#, "unknown reply `Shrug`"),
            (
                r#"{"Progress": {"done": -1, "seeds": 2}}"#,
                "Progress.done: expected a whole number",
            ),
            (
                r#"{"Progress": {"done": 1, "seeds": 2, "extra": 0}}"#,
                "Progress.extra: unknown field",
            ),
            (
                r#"{"Verified": {"result": {"Maybe": 1}, "ms": 1}}"#,
                "Verified.result: expected Ok or Err",
            ),
            (
                r#"{"Explored": {"done": 1, "seeds": 1, "found": {"seed": 1}}}"#,
                "Explored.found.invariant: missing",
            ),
        ];
        for (text, want) in cases {
            let e = Reply::from_json(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
