//! `ringlab-cli check history`: the linearizability checker on a history file (the
//! project's JSON-lines export, Jepsen's EDN maps or Jepsen's log lines), or on the history
//! a scenario's run produces (`--scenario`, optionally written out with `--export`). Exit 0
//! linearizable, 1 not (the failing window printed) or unknown (budget exhausted), 2
//! unreadable input (the line named).

use std::io::Write;

use crate::sim::history::linearizable::{self, Model, Outcome, DEFAULT_BUDGET};
use crate::sim::history::{self, formats, Event};

/// The usage line, for errors.
pub const USAGE: &str = "usage: ringlab-cli check history (FILE | --scenario S.json [--seed N] [--export OUT]) [--model register|cas-register|kv] [--budget STEPS]";

struct Args {
    file: Option<String>,
    scenario: Option<String>,
    seed: Option<u64>,
    export: Option<String>,
    model: Model,
    budget: u64,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        file: None,
        scenario: None,
        seed: None,
        export: None,
        model: Model::CasRegister,
        budget: DEFAULT_BUDGET,
    };
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let mut val = || {
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "--model" => {
                let v = val()?;
                a.model = Model::parse(&v).ok_or_else(|| {
                    format!("--model must be register, cas-register or kv, got `{v}`")
                })?;
            }
            "--budget" => {
                let v = val()?;
                a.budget = v.parse().ok().filter(|&b| b > 0).ok_or_else(|| {
                    format!("--budget must be a positive whole number, got `{v}`")
                })?;
            }
            "--scenario" => a.scenario = Some(val()?),
            "--seed" => {
                let v = val()?;
                a.seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed must be a whole number, got `{v}`"))?,
                );
            }
            "--export" => a.export = Some(val()?),
            f if f.starts_with("--") => return Err(format!("unknown option `{f}`")),
            f => {
                if a.file.is_some() {
                    return Err(format!("one history file at a time (also got `{f}`)"));
                }
                a.file = Some(f.to_string());
            }
        }
        i += 1;
    }
    if a.file.is_some() == a.scenario.is_some() {
        return Err(format!("give a history FILE or --scenario; {USAGE}"));
    }
    Ok(a)
}

/// Reads a history file: events with their line numbers.
fn read_file(path: &str) -> Result<Vec<(usize, Event)>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if meta.len() > 512 * 1024 * 1024 {
        return Err(format!("{path}: larger than 512 MiB"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| format!("{path}: not UTF-8 ({e})"))?;
    formats::parse(&text).map_err(|e| format!("{path}: {e}"))
}

/// Runs a scenario and returns its store history.
fn from_scenario(path: &str, seed: Option<u64>) -> Result<Vec<(usize, Event)>, String> {
    let s = crate::cli::engine::load(path).map_err(|e| e.0)?;
    if s.protocols.kv.is_none() {
        return Err(format!(
            "{path}: the scenario does not run the store (protocols.kv)"
        ));
    }
    let tl = crate::cli::engine::play_with(&s, seed, s.until_ms, |_| {}).map_err(|e| e.0)?;
    let h = &tl.world().shared::<crate::sim::proto::kv::Kv>().history;
    Ok(h.iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| (i + 1, e))
        .collect())
}

fn export(path: &str, ev: &[(usize, Event)]) -> Result<(), String> {
    let mut text = String::new();
    for (_, e) in ev {
        let line = serde_json::to_string(e).map_err(|e| format!("cannot encode: {e}"))?;
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}"))
}

/// Runs the command; returns the exit code.
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match run(args, out) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "ringlab-cli check history: {e}");
            2
        }
    }
}

fn run(args: &[String], out: &mut dyn Write) -> Result<u8, String> {
    let a = parse(args)?;
    let ev = match (&a.file, &a.scenario) {
        (Some(f), _) => read_file(f)?,
        (None, Some(s)) => from_scenario(s, a.seed)?,
        (None, None) => return Err(USAGE.into()),
    };
    if let Some(p) = &a.export {
        export(p, &ev)?;
    }
    let ops = history::pair(&ev)?;
    if let Some(e) = linearizable::unsupported(a.model, &ops) {
        return Err(e);
    }
    let report = linearizable::check(a.model, &ops, a.budget);
    let w = |out: &mut dyn Write, s: String| {
        writeln!(out, "{s}").map_err(|e| format!("cannot write output: {e}"))
    };
    let code = match &report.outcome {
        Outcome::Linearizable => {
            w(
                out,
                format!(
                    "linearizable: {} operations on {} key(s)",
                    report.ops, report.keys
                ),
            )?;
            0
        }
        Outcome::Unknown { key } => {
            w(
                out,
                format!(
                    "unknown: the budget of {} steps ran out on key {key:?} (raise --budget)",
                    a.budget
                ),
            )?;
            1
        }
        Outcome::NotLinearizable(f) => {
            w(
                out,
                format!(
                    "not linearizable: key {:?}: after {} operations in order the value is {}, and this operation cannot be placed:",
                    f.key, f.linearized, f.state
                ),
            )?;
            w(out, format!("  {}", f.op))?;
            if let Some(b) = &f.because {
                w(out, format!("the value was set by:\n  {b}"))?;
            }
            w(
                out,
                "failing window (operations not yet ordered that overlap it):".into(),
            )?;
            for o in &f.window {
                w(out, format!("  {o}"))?;
            }
            1
        }
    };
    let summary = serde_json::json!({
        "model": a.model,
        "ops": report.ops,
        "keys": report.keys,
        "steps": report.steps,
        "verdict": report.verdict(),
        "failure": match &report.outcome {
            Outcome::NotLinearizable(f) => serde_json::to_value(f).unwrap_or_default(),
            _ => serde_json::Value::Null,
        },
    });
    w(out, summary.to_string())?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(args: &[&str]) -> (u8, String, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = main(&args, &mut out, &mut err);
        (
            code,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        )
    }

    fn tmp(name: &str, text: &str) -> String {
        let dir = std::env::temp_dir().join(format!("ringlab-history-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join(name);
        std::fs::write(&p, text).expect("temp file");
        p.to_string_lossy().into_owned()
    }

    const ETCD_LOG: &str = "\
INFO  jepsen.util - 0\t:invoke\t:write\t1
INFO  jepsen.util - 0\t:ok\t:write\t1
INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]
INFO  jepsen.util - 3\t:ok\t:cas\t[1 4]
INFO  jepsen.util - 1\t:invoke\t:read\tnil
INFO  jepsen.util - 1\t:ok\t:read\t4
";

    #[test]
    fn jepsen_log_linearizable_exits_0() {
        let p = tmp("etcd.log", ETCD_LOG);
        let (code, out, err) = run_args(&[&p, "--model", "cas-register"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.starts_with("linearizable"), "{out}");
    }

    #[test]
    fn jepsen_log_not_linearizable_exits_1_with_the_window() {
        let p = tmp("etcd-bad.log", &ETCD_LOG.replace(":read\t4", ":read\t1"));
        let (code, out, _) = run_args(&[&p, "--model", "cas-register"]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("not linearizable"), "{out}");
        assert!(out.contains("process 1 read 1"), "{out}");
        assert!(out.contains("(line 5)"), "{out}");
    }

    #[test]
    fn edn_history_with_keys() {
        let text = r#"{:process 0, :type :invoke, :f :put, :key "x", :value 1}
{:process 0, :type :ok, :f :put, :key "x", :value 1}
{:process 1, :type :invoke, :f :get, :key "x", :value nil}
{:process 1, :type :ok, :f :get, :key "x", :value nil}
"#;
        let p = tmp("h.edn", text);
        let (code, out, _) = run_args(&[&p, "--model", "kv"]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("key \"x\""), "{out}");
        let p = tmp(
            "h2.edn",
            &text.replace(
                ":ok, :f :get, :key \"x\", :value nil",
                ":ok, :f :get, :key \"x\", :value 1",
            ),
        );
        assert_eq!(run_args(&[&p, "--model", "kv"]).0, 0);
    }

    #[test]
    fn bad_input_exits_2_naming_the_line() {
        let p = tmp(
            "bad.log",
            "INFO jepsen.util - 0 :invoke :write 1\nINFO jepsen.util - zero :ok :write 1\n",
        );
        let (code, _, err) = run_args(&[&p]);
        assert_eq!(code, 2);
        assert!(err.contains("line 2"), "{err}");
        let (code, _, err) = run_args(&["/nonexistent/history.edn"]);
        assert_eq!(code, 2);
        assert!(err.contains("cannot read"), "{err}");
        let (code, _, err) = run_args(&[]);
        assert_eq!(code, 2);
        assert!(err.contains("usage"), "{err}");
        let p = tmp("ok.log", ETCD_LOG);
        let (code, _, err) = run_args(&[&p, "--model", "register"]);
        assert_eq!(code, 2, "a cas in a register history");
        assert!(err.contains("line 3"), "{err}");
        let (code, _, err) = run_args(&[&p, "--model", "paxos"]);
        assert_eq!(code, 2);
        assert!(err.contains("--model"), "{err}");
        let p = tmp("bin.log", "\u{0}\u{1}{:process");
        assert_eq!(run_args(&[&p]).0, 2);
    }

    #[test]
    fn a_scenario_run_exports_and_rechecks_its_history() {
        let scen = format!(
            "{}/static/scenarios/ha-sentinel-partition.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let dir = std::env::temp_dir().join(format!("ringlab-history-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let exp = dir.join("sentinel.jsonl").to_string_lossy().into_owned();
        let (code, out, err) = run_args(&["--scenario", &scen, "--export", &exp]);
        assert_eq!(code, 1, "{out}{err}");
        let (code2, out2, _) = run_args(&[&exp]);
        assert_eq!(code2, 1);
        assert_eq!(
            out.lines().last(),
            out2.lines().last(),
            "same verdict from the file"
        );
    }
}
