//! Reads a scenario from parsed JSON by hand, field by field, with the exact JSON path of
//! anything wrong ("protocols.locks.ttl_ms: expected a whole number ≥ 0, got -5").
//!
//! Why not serde's derive: its visitors for the dozen scenario types cost ~45 KB of the
//! wasm bundle, and their errors only know a line and column. The derives stay on the types
//! (native tools and tests use them; unused in the browser, they are not linked there), and
//! a test checks both readers agree on every built-in scenario.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::cmd_decode;
use super::fault::{FaultBudget, Targets};
use super::net::LinkCfg;
use super::proto::heartbeat::HeartbeatCfg;
use super::proto::locks::{LockCfg, Recipe, ReleaseMode, Replication, ResKey, WatchMode};
use super::proto::tpc::TpcCfg;
use super::proto::ProtoCfg;
use super::scenario::{Ask, ClusterSpec, Expect, Narration, Scenario, ScenarioError, Scheduled};
use super::topology::KeyCfg;

type R<T> = Result<T, ScenarioError>;

fn fail<T>(path: &str, message: impl Into<String>) -> R<T> {
    Err(ScenarioError {
        path: path.to_string(),
        line: None,
        message: message.into(),
    })
}

/// An object whose fields are taken one by one; what is left at the end is unknown.
struct Obj {
    path: String,
    m: Map<String, Value>,
}

impl Obj {
    fn new(path: &str, v: Value) -> R<Obj> {
        match v {
            Value::Object(m) => Ok(Obj {
                path: path.to_string(),
                m,
            }),
            other => fail(path, format!("expected an object, got {}", kind(&other))),
        }
    }

    fn at(&self, k: &str) -> String {
        if self.path.is_empty() {
            k.to_string()
        } else {
            format!("{}.{k}", self.path)
        }
    }

    /// A field's value; absent or `null` is None.
    fn opt(&mut self, k: &str) -> Option<(String, Value)> {
        let at = self.at(k);
        self.m.remove(k).filter(|v| !v.is_null()).map(|v| (at, v))
    }

    fn req(&mut self, k: &str) -> R<(String, Value)> {
        match self.opt(k) {
            Some(x) => Ok(x),
            None => fail(&self.at(k), "missing"),
        }
    }

    fn u64_or(&mut self, k: &str, d: u64) -> R<u64> {
        self.opt(k).map_or(Ok(d), |(p, v)| uint(&p, &v))
    }

    fn u32_or(&mut self, k: &str, d: u32) -> R<u32> {
        self.opt(k).map_or(Ok(d), |(p, v)| small(&p, &v))
    }

    fn f64_or(&mut self, k: &str, d: f64) -> R<f64> {
        self.opt(k).map_or(Ok(d), |(p, v)| match v.as_f64() {
            Some(x) => Ok(x),
            None => fail(&p, format!("expected a number, got {}", kind(&v))),
        })
    }

    fn bool_or(&mut self, k: &str, d: bool) -> R<bool> {
        self.opt(k).map_or(Ok(d), |(p, v)| match v {
            Value::Bool(b) => Ok(b),
            other => fail(&p, format!("expected true or false, got {}", kind(&other))),
        })
    }

    fn str_or(&mut self, k: &str, d: &str) -> R<String> {
        self.opt(k).map_or(Ok(d.to_string()), |(p, v)| text(&p, v))
    }

    fn opt_u64(&mut self, k: &str) -> R<Option<u64>> {
        self.opt(k).map(|(p, v)| uint(&p, &v)).transpose()
    }

    fn list<T>(&mut self, k: &str, item: impl Fn(&str, Value) -> R<T>) -> R<Vec<T>> {
        self.opt(k)
            .map_or(Ok(Vec::new()), |(p, v)| list(&p, v, item))
    }

    /// One of `names` (an enum written in snake_case), as its index.
    fn pick(&mut self, k: &str, names: &[&str]) -> R<Option<usize>> {
        let Some((p, v)) = self.opt(k) else {
            return Ok(None);
        };
        let s = text(&p, v)?;
        match names.iter().position(|n| *n == s) {
            Some(i) => Ok(Some(i)),
            None => fail(
                &p,
                format!("unknown value \"{s}\" (one of: {})", names.join(", ")),
            ),
        }
    }

    /// Fails on the first field nobody read.
    fn done(self, known: &str) -> R<()> {
        match self.m.keys().next() {
            Some(k) => fail(
                &self.at(k),
                format!("unknown field `{k}` (known here: {known})"),
            ),
            None => Ok(()),
        }
    }
}

fn kind(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() > 40 => "a long string".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        other => other.to_string(),
    }
}

fn uint(p: &str, v: &Value) -> R<u64> {
    match v.as_u64() {
        Some(x) => Ok(x),
        None => fail(
            p,
            format!(
                "expected a whole number ≥ 0, got {} (times, counts and sizes are whole numbers ≥ 0)",
                kind(v)
            ),
        ),
    }
}

fn small(p: &str, v: &Value) -> R<u32> {
    let x = uint(p, v)?;
    u32::try_from(x).or_else(|_| fail(p, format!("{x} is too large (at most {})", u32::MAX)))
}

fn text(p: &str, v: Value) -> R<String> {
    match v {
        Value::String(s) => Ok(s),
        other => fail(p, format!("expected a string, got {}", kind(&other))),
    }
}

fn list<T>(p: &str, v: Value, item: impl Fn(&str, Value) -> R<T>) -> R<Vec<T>> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, x)| item(&format!("{p}[{i}]"), x))
            .collect(),
        other => fail(p, format!("expected a list, got {}", kind(&other))),
    }
}

fn names(p: &str, v: Value) -> R<Vec<String>> {
    list(p, v, text)
}

/// Reads a whole scenario (the version was checked by the caller).
pub fn read(v: Value) -> R<Scenario> {
    let mut o = Obj::new("", v)?;
    let s = Scenario {
        version: uint("version", &o.req("version")?.1)?,
        id: text("id", o.req("id")?.1)?,
        title: text("title", o.req("title")?.1)?,
        summary: o.str_or("summary", "")?,
        seed: o.u64_or("seed", 0)?,
        cluster: cluster(o.req("cluster")?)?,
        network: o.opt("network").map(link).transpose()?.unwrap_or_default(),
        protocols: o
            .opt("protocols")
            .map(protocols)
            .transpose()?
            .unwrap_or_default(),
        keys: o.opt("keys").map(keys).transpose()?.unwrap_or_default(),
        schedule: o.list("schedule", scheduled)?,
        narration: o.list("narration", narration)?,
        expect: o.opt("expect").map(expect).transpose()?,
        fault_budget: o.opt("fault_budget").map(budget).transpose()?,
        until_ms: uint("until_ms", &o.req("until_ms")?.1)?,
    };
    o.done("version, id, title, summary, seed, cluster, network, protocols, keys, schedule, narration, expect, fault_budget, until_ms")?;
    Ok(s)
}

fn cluster((p, v): (String, Value)) -> R<ClusterSpec> {
    let mut o = Obj::new(&p, v)?;
    let mut weights = BTreeMap::new();
    if let Some((wp, wv)) = o.opt("weights") {
        for (name, x) in Obj::new(&wp, wv)?.m {
            let at = format!("{wp}.{name}");
            match x.as_f64() {
                Some(w) => weights.insert(name, w),
                None => return fail(&at, format!("expected a number, got {}", kind(&x))),
            };
        }
    }
    let c = ClusterSpec {
        servers: o.list("servers", text)?,
        server_count: o.opt_u64("server_count")?,
        weights,
        clients: o.list("clients", text)?,
        vnodes: o.u32_or("vnodes", 64)?,
    };
    o.done("servers, server_count, weights, clients, vnodes")?;
    Ok(c)
}

fn link((p, v): (String, Value)) -> R<LinkCfg> {
    let mut o = Obj::new(&p, v)?;
    let l = LinkCfg {
        base_ms: uint(&o.at("base_ms"), &o.req("base_ms")?.1)?,
        jitter_ms: o.u64_or("jitter_ms", 0)?,
        loss: o.f64_or("loss", 0.0)?,
        dup: o.f64_or("dup", 0.0)?,
    };
    o.done("base_ms, jitter_ms, loss, dup")?;
    Ok(l)
}

fn keys((p, v): (String, Value)) -> R<KeyCfg> {
    let mut o = Obj::new(&p, v)?;
    let (cp, cv) = o.req("count")?;
    let k = KeyCfg {
        count: small(&cp, &cv)?,
        pattern: o.str_or("pattern", "key:{}")?,
    };
    o.done("count, pattern")?;
    Ok(k)
}

fn protocols((p, v): (String, Value)) -> R<ProtoCfg> {
    let mut o = Obj::new(&p, v)?;
    let heartbeat = match o.opt("heartbeat") {
        None => None,
        Some((hp, hv)) => {
            let mut h = Obj::new(&hp, hv)?;
            let cfg = HeartbeatCfg {
                interval_ms: uint(&h.at("interval_ms"), &h.req("interval_ms")?.1)?,
                timeout_ms: uint(&h.at("timeout_ms"), &h.req("timeout_ms")?.1)?,
            };
            h.done("interval_ms, timeout_ms")?;
            Some(cfg)
        }
    };
    let locks = o.opt("locks").map(locks).transpose()?;
    let tpc = match o.opt("tpc") {
        None => None,
        Some((tp, tv)) => Some(TpcCfg::from_json(&tv).or_else(|e| {
            // TpcCfg names the field inside `tpc` first ("variant: unknown ...").
            let (field, msg) = e.split_once(": ").unwrap_or(("", e.as_str()));
            let at = if field.is_empty() || field == "tpc" {
                tp.clone()
            } else {
                format!("{tp}.{field}")
            };
            fail(&at, msg)
        })?),
    };
    o.done("heartbeat, locks, tpc")?;
    Ok(ProtoCfg {
        heartbeat,
        locks,
        tpc,
    })
}

fn locks((p, v): (String, Value)) -> R<LockCfg> {
    let mut o = Obj::new(&p, v)?;
    const RECIPES: [&str; 4] = ["redis", "redlock", "zookeeper", "etcd"];
    let recipe = match o.pick("recipe", &RECIPES)? {
        Some(i) => [
            Recipe::Redis,
            Recipe::Redlock,
            Recipe::Zookeeper,
            Recipe::Etcd,
        ][i],
        None => {
            return fail(
                &o.at("recipe"),
                "missing (one of: redis, redlock, zookeeper, etcd)",
            )
        }
    };
    let d = LockCfg::new(recipe);
    let mut stock = BTreeMap::new();
    if let Some((sp, sv)) = o.opt("stock") {
        for (name, x) in Obj::new(&sp, sv)?.m {
            let at = format!("{sp}.{name}");
            let key = ResKey::new(&name).or_else(|e| fail(&at, e))?;
            match x.as_i64() {
                Some(n) => stock.insert(key, n),
                None => return fail(&at, format!("expected a whole number, got {}", kind(&x))),
            };
        }
    }
    let c = LockCfg {
        recipe,
        ttl_ms: o.u64_or("ttl_ms", d.ttl_ms)?,
        drift_ms: o.opt_u64("drift_ms")?,
        retry_ms: o.opt_u64("retry_ms")?,
        renew: o.bool_or("renew", d.renew)?,
        release: match o.pick("release", &["check", "blind"])? {
            Some(1) => ReleaseMode::Blind,
            Some(_) => ReleaseMode::Check,
            None => d.release,
        },
        masters: o.u32_or("masters", d.masters)?,
        watch: match o.pick("watch", &["predecessor", "all"])? {
            Some(1) => WatchMode::All,
            Some(_) => WatchMode::Predecessor,
            None => d.watch,
        },
        replication: match o.pick("replication", &["none", "async", "sync"])? {
            Some(1) => Replication::Async,
            Some(2) => Replication::Sync,
            Some(_) => Replication::None,
            None => d.replication,
        },
        replicas: o.u32_or("replicas", d.replicas)?,
        repl_ms: o.u64_or("repl_ms", d.repl_ms)?,
        persist: o.bool_or("persist", d.persist)?,
        fencing: o.bool_or("fencing", d.fencing)?,
        storage: o.opt("storage").map(|(p, v)| text(&p, v)).transpose()?,
        servers: o.opt("servers").map(|(p, v)| names(&p, v)).transpose()?,
        stock,
        wait_ms: o.u64_or("wait_ms", d.wait_ms)?,
        stuck_ms: o.opt_u64("stuck_ms")?,
    };
    o.done("recipe, ttl_ms, drift_ms, retry_ms, renew, release, masters, watch, replication, replicas, repl_ms, persist, fencing, storage, servers, stock, wait_ms, stuck_ms")?;
    Ok(c)
}

fn scheduled(p: &str, v: Value) -> R<Scheduled> {
    let mut o = Obj::new(p, v)?;
    let at_ms = uint(&o.at("at_ms"), &o.req("at_ms")?.1)?;
    let (cp, cv) = o.req("cmd")?;
    let cmd = cmd_decode::decode(cv).or_else(|e| fail(&cp, e))?;
    o.done("at_ms, cmd")?;
    Ok(Scheduled { at_ms, cmd })
}

fn narration(p: &str, v: Value) -> R<Narration> {
    let mut o = Obj::new(p, v)?;
    let at_ms = uint(&o.at("at_ms"), &o.req("at_ms")?.1)?;
    let text_ = text(&o.at("text"), o.req("text")?.1)?;
    let ask = match o.opt("ask") {
        None => None,
        Some((ap, av)) => {
            let mut a = Obj::new(&ap, av)?;
            let ask = Ask {
                question: text(&a.at("question"), a.req("question")?.1)?,
                choices: {
                    let (lp, lv) = a.req("choices")?;
                    names(&lp, lv)?
                },
                answer: uint(&a.at("answer"), &a.req("answer")?.1)? as usize,
                why: a.str_or("why", "")?,
            };
            a.done("question, choices, answer, why")?;
            Some(ask)
        }
    };
    o.done("at_ms, text, ask")?;
    Ok(Narration {
        at_ms,
        text: text_,
        ask,
    })
}

fn expect((p, v): (String, Value)) -> R<Expect> {
    let mut o = Obj::new(&p, v)?;
    let e = Expect {
        hold: o.list("hold", text)?,
        violate: o.list("violate", text)?,
    };
    o.done("hold, violate")?;
    Ok(e)
}

fn budget((p, v): (String, Value)) -> R<FaultBudget> {
    let mut o = Obj::new(&p, v)?;
    let b = FaultBudget {
        crashes: o.u32_or("crashes", 0)?,
        pauses: o.u32_or("pauses", 0)?,
        partitions: o.u32_or("partitions", 0)?,
        clock_jumps: o.u32_or("clock_jumps", 0)?,
        max_duration_ms: o.u64_or("max_duration_ms", 2_000)?,
        max_jump_ms: o.u64_or("max_jump_ms", 2_000)?,
        targets: match o.pick("targets", &["servers", "clients", "all"])? {
            Some(1) => Targets::Clients,
            Some(2) => Targets::All,
            _ => Targets::Servers,
        },
        losses: o.u32_or("losses", 0)?,
        max_loss_pct: o.u32_or("max_loss_pct", 30)?,
    };
    o.done("crashes, pauses, partitions, clock_jumps, max_duration_ms, max_jump_ms, targets, losses, max_loss_pct")?;
    Ok(b)
}
