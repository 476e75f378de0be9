//! Decodes a scenario file: the JSON, its version, then every field by hand, with the exact
//! JSON path of anything wrong ("protocols.locks.ttl_ms: expected a whole number ≥ 0, got
//! -5"). Each protocol reads its own section (`proto::dispatch::read_cfg`).
//!
//! Why not serde's derive: its visitors for the dozen scenario types cost ~45 KB of the
//! wasm bundle, and their errors only know a line and column. The derives stay on the types
//! (native tools and tests use them; unused in the browser, they are not linked there), and
//! a test checks both readers agree on every built-in scenario.

use std::collections::BTreeMap;

use serde_json::Value;

use super::cmd_decode;
use super::fault::{FaultBudget, Targets};
use super::json_read::{fail, kind, names, small, text, uint, Obj, R};
use super::net::LinkCfg;
use super::proto::{dispatch, ProtoCfg};
use super::scenario::{
    Ask, ClusterSpec, Expect, Narration, Scenario, ScenarioError, Scheduled, MAX_FILE_BYTES,
    MIN_VERSION, VERSION,
};
use super::topology::KeyCfg;

fn fail_at(path: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        path: path.to_string(),
        line: None,
        message: message.into(),
    }
}

impl Scenario {
    /// Decodes and validates a scenario file. Never panics, whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<Scenario, ScenarioError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(fail_at(
                "",
                format!("file is {} bytes; at most {MAX_FILE_BYTES}", bytes.len()),
            ));
        }
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| ScenarioError {
                path: String::new(),
                line: Some((e.line(), e.column())),
                message: format!("not valid JSON: {e}"),
            })?;
        let Some(obj) = value.as_object() else {
            return Err(fail_at("", "must be a JSON object"));
        };
        match obj.get("version") {
            None => {
                return Err(fail_at(
                    "version",
                    format!(
                    "missing; this file needs \"version\": {MIN_VERSION} (2 with locks, 3 with two-phase commit, {VERSION} with the newest protocols)"
                ),
                ))
            }
            Some(v)
                if v.as_u64()
                    .is_some_and(|v| (MIN_VERSION..=VERSION).contains(&v)) => {}
            Some(v) => {
                return Err(fail_at(
                    "version",
                    format!(
                    "unsupported version {v}; this build needs version {MIN_VERSION} to {VERSION}"
                ),
                ))
            }
        }
        let s = read(value)?;
        s.validate()?;
        Ok(s)
    }
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
    dispatch::read_cfg(Obj::new(&p, v)?)
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
