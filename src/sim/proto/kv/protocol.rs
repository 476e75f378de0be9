//! The replicated store's entry in the engine: its [`Protocol`] implementation, config
//! reader and checks, counters and run summary (with the linearizability verdict).

use serde_json::{json, Value};

use super::{
    KvCfg, KvEv, KvNode, KvRec, KvShared, Mode, Msg, Replication, Resolve, Timer, Workload,
    MAX_KEYS, MAX_VV,
};
use crate::sim::history::{self, linearizable};
use crate::sim::ids::{NodeIx, Time};
use crate::sim::invariant::Invariant;
use crate::sim::json_read::{fail, Obj, R};
use crate::sim::proto::{Ctx, Never, Protocol};

/// The replicated key-value store as a protocol of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kv;

/// The fields of `protocols.kv`, for "unknown field" messages.
const FIELDS: &str = "mode, keys, op_every_ms, op_timeout_ms, reads_pct, cas_pct, stop_ms, primary, replication, fencing, beat_ms, failover_ms, n, r, w, sloppy, hint_window_ms, hint_every_ms, read_repair, resolve, workload";

/// Step budget of the checker inside a run (the CLI's `check history` allows more).
pub const RUN_BUDGET: u64 = 2_000_000;

fn small_u8(o: &mut Obj, k: &str, d: u8) -> R<u8> {
    let at = o.at(k);
    let v = o.u64_or(k, d as u64)?;
    u8::try_from(v).or_else(|_| fail(&at, format!("must be at most 255, got {v}")))
}

impl KvShared {
    /// The history as the checker reads it, paired into operations.
    pub fn ops(&self) -> Vec<history::Op> {
        let ev: Vec<(usize, history::Event)> = self
            .history
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, e)| (i + 1, e))
            .collect();
        // The clients record well-formed histories; an error would be an engine bug.
        history::pair(&ev).unwrap_or_default()
    }

    /// The checker's report on this run's history.
    pub fn verdict(&self) -> linearizable::Report {
        linearizable::check(linearizable::Model::CasRegister, &self.ops(), RUN_BUDGET)
    }
}

impl Protocol for Kv {
    const NAME: &'static str = "kv";
    const SINCE_VERSION: u64 = 4;
    const OPS: &'static [&'static str] = &[];

    type Cfg = KvCfg;
    type Node = KvNode;
    type Msg = Msg;
    type Timer = Timer;
    type Rec = KvRec;
    type Ev = KvEv;
    type Cmd = Never;
    type Shared = KvShared;

    fn read_cfg(mut o: Obj) -> R<KvCfg> {
        let d = KvCfg::default();
        let c = KvCfg {
            mode: match o.pick("mode", &["primary", "dynamo"])? {
                Some(1) => Mode::Dynamo,
                _ => Mode::Primary,
            },
            keys: small_u8(&mut o, "keys", d.keys)?,
            op_every_ms: o.u64_or("op_every_ms", d.op_every_ms)?,
            op_timeout_ms: o.u64_or("op_timeout_ms", d.op_timeout_ms)?,
            reads_pct: small_u8(&mut o, "reads_pct", d.reads_pct)?,
            cas_pct: small_u8(&mut o, "cas_pct", d.cas_pct)?,
            stop_ms: o.u64_or("stop_ms", d.stop_ms)?,
            primary: match o.opt("primary") {
                None => None,
                Some((p, v)) => Some(crate::sim::json_read::text(&p, v)?),
            },
            replication: match o.pick("replication", &["async", "sync"])? {
                Some(1) => Replication::Sync,
                _ => Replication::Async,
            },
            fencing: o.bool_or("fencing", d.fencing)?,
            beat_ms: o.u64_or("beat_ms", d.beat_ms)?,
            failover_ms: o.u64_or("failover_ms", d.failover_ms)?,
            n: small_u8(&mut o, "n", d.n)?,
            r: small_u8(&mut o, "r", d.r)?,
            w: small_u8(&mut o, "w", d.w)?,
            sloppy: o.bool_or("sloppy", d.sloppy)?,
            hint_window_ms: o.u64_or("hint_window_ms", d.hint_window_ms)?,
            hint_every_ms: o.u64_or("hint_every_ms", d.hint_every_ms)?,
            read_repair: o.bool_or("read_repair", d.read_repair)?,
            resolve: match o.pick("resolve", &["lww", "vv"])? {
                Some(1) => Resolve::Vv,
                _ => Resolve::Lww,
            },
            workload: match o.pick("workload", &["register", "cart"])? {
                Some(1) => Workload::Cart,
                _ => Workload::Register,
            },
        };
        o.done(FIELDS)?;
        Ok(c)
    }

    fn check_cfg(c: &KvCfg, servers: &[String], _: &[String]) -> Result<(), (String, String)> {
        let bad = |f: &str, m: String| Err((f.to_string(), m));
        if !(1..=MAX_KEYS as u8).contains(&c.keys) {
            return bad("keys", format!("must be in 1..={MAX_KEYS}, got {}", c.keys));
        }
        for (f, v) in [
            ("op_every_ms", c.op_every_ms),
            ("op_timeout_ms", c.op_timeout_ms),
            ("beat_ms", c.beat_ms),
            ("failover_ms", c.failover_ms),
            ("hint_window_ms", c.hint_window_ms),
            ("hint_every_ms", c.hint_every_ms),
        ] {
            if !(1..=3_600_000).contains(&v) {
                return bad(f, format!("must be in 1..=3600000, got {v}"));
            }
        }
        if c.reads_pct as u32 + c.cas_pct as u32 > 100 {
            return bad(
                "cas_pct",
                format!(
                    "reads_pct + cas_pct must be at most 100, got {}",
                    c.reads_pct as u32 + c.cas_pct as u32
                ),
            );
        }
        if let Some(p) = &c.primary {
            if !servers.contains(p) {
                return bad("primary", format!("\"{p}\" is not a server"));
            }
        }
        if c.mode == Mode::Primary && c.resolve == Resolve::Vv {
            return bad(
                "resolve",
                "version vectors are a Dynamo mode setting".into(),
            );
        }
        if c.mode == Mode::Dynamo {
            if c.cas_pct > 0 {
                return bad("cas_pct", "Dynamo has no compare-and-set; use 0".into());
            }
            if c.n == 0 || c.n as usize > servers.len() {
                return bad(
                    "n",
                    format!(
                        "must be in 1..={} (the servers), got {}",
                        servers.len(),
                        c.n
                    ),
                );
            }
            if c.resolve == Resolve::Vv && servers.len() > MAX_VV {
                return bad(
                    "resolve",
                    format!("version vectors here have {MAX_VV} slots: at most {MAX_VV} servers, got {}", servers.len()),
                );
            }
            for (f, v) in [("r", c.r), ("w", c.w)] {
                if v == 0 || v > c.n {
                    return bad(f, format!("must be in 1..={} (n), got {v}", c.n));
                }
            }
        }
        if servers.len() > 100 {
            return bad("", "at most 100 servers".into());
        }
        Ok(())
    }

    fn boot(cfg: &KvCfg, ctx: &mut Ctx<'_>) -> Option<KvNode> {
        Some(KvNode::boot(cfg, ctx))
    }

    fn on_message(node: &mut KvNode, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        node.on_message(ctx, from, m);
    }

    fn on_timer(node: &mut KvNode, ctx: &mut Ctx<'_>, t: Timer) {
        node.on_timer(ctx, t);
    }

    crate::sim::proto::protocol::no_commands!();

    fn on_send(s: &mut KvShared, _: &Msg) {
        s.stats.messages += 1;
    }

    fn observe(s: &mut KvShared, node: NodeIx, t: Time, ev: &KvEv) {
        s.observe(node, t, ev);
    }

    fn reset_counters(s: &mut KvShared) {
        let cart = s.cart;
        *s = KvShared::default();
        s.cart = cart;
    }

    fn invariants() -> Vec<Invariant> {
        super::check::invariants()
    }

    fn summary(cfg: &KvCfg, s: &KvShared, _until: Time) -> Option<Value> {
        let lost = s.lost(cfg.mode == Mode::Dynamo);
        let report = s.verdict();
        let mut v = json!(s.stats);
        v["variant"] = json!(cfg.variant());
        v["acked_writes"] = json!(s.writes.values().filter(|w| w.acked.is_some()).count());
        v["lost_acked_writes"] = json!(lost.len());
        v["lost"] = json!(lost
            .iter()
            .take(20)
            .map(|(k, v)| format!("{}={v}", super::key_name(*k)))
            .collect::<Vec<_>>());
        v["stale_reads"] = json!(s.stale.len());
        v["siblings"] = json!(s.stats.siblings);
        v["checker"] = json!(report.verdict());
        v["checker_steps"] = json!(report.steps);
        if let linearizable::Outcome::NotLinearizable(f) = &report.outcome {
            v["failing_op"] = json!(f.op.to_string());
            v["failing_window"] = json!(f.window.len());
        }
        Some(v)
    }

    fn msg_label(m: &Msg) -> String {
        m.label()
    }

    fn timer_label(t: &Timer) -> &'static str {
        match t {
            Timer::Op => "kv next op",
            Timer::OpTimeout { .. } => "kv op timeout",
            Timer::Tick => "kv tick",
            Timer::Sloppy { .. } => "kv sloppy retry",
            Timer::Hints => "kv hints",
        }
    }

    fn ev_kind(e: &KvEv) -> &'static str {
        e.kind()
    }

    fn ev_words(e: &KvEv, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
        e.words(at, name)
    }

    fn node_bytes(n: &KvNode) -> usize {
        match n {
            KvNode::Server(s) => std::mem::size_of::<super::Server>() + s.hints.len() * 48,
            KvNode::Client(_) => std::mem::size_of::<super::Client>(),
        }
    }

    fn shared_bytes(s: &KvShared) -> usize {
        s.history.len() * 64 + s.writes.len() * 48 + s.parent.len() * 32
    }
}
