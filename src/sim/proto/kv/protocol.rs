//! The replicated store's entry in the engine: its [`Protocol`] implementation, config
//! reader and checks, counters and run summary (with the linearizability verdict).

use super::types::{Kv, KvCmd, KvSet};
use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Value};

use super::{
    KvCfg, KvEv, KvNode, KvShared, Mode, Msg, Replication, Resolve, Timer, Workload, MAX_KEYS,
    MAX_VV,
};
use crate::sim::cmd::CmdError;
use crate::sim::cmd_fields::Fields;
use crate::sim::history::{self, linearizable};
use crate::sim::ids::{NodeIx, Time};
use crate::sim::invariant::Invariant;
use crate::sim::json_read::{fail, Obj, R};
use crate::sim::proto::{CmdCtx, Ctx, Protocol};
use crate::sim::world::{Role, Status};

/// The fields of `protocols.kv`, for "unknown field" messages.
const FIELDS: &str = "mode, keys, op_every_ms, op_timeout_ms, reads_pct, cas_pct, stop_ms, shards, primary, replication, fencing, beat_ms, failover_ms, n, r, w, sloppy, hint_window_ms, hint_every_ms, read_repair, resolve, workload";

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

impl KvSet {
    /// `cfg` with these changes.
    pub fn apply(&self, cfg: &KvCfg) -> KvCfg {
        let mut c = cfg.clone();
        if let Some(v) = self.replication {
            c.replication = v;
        }
        if let Some(v) = self.fencing {
            c.fencing = v;
        }
        if let Some(v) = self.sloppy {
            c.sloppy = v;
        }
        if let Some(v) = self.n {
            c.n = v;
        }
        if let Some(v) = self.r {
            c.r = v;
        }
        if let Some(v) = self.w {
            c.w = v;
        }
        if let Some(v) = self.read_repair {
            c.read_repair = v;
        }
        if let Some(v) = self.resolve {
            c.resolve = v;
        }
        c
    }

    fn read(f: &mut Fields<'_>) -> Result<KvSet, String> {
        let small = |f: &mut Fields<'_>, k: &str| -> Result<Option<u8>, String> {
            match f.opt(Fields::u64, k)? {
                None => Ok(None),
                Some(v) => u8::try_from(v)
                    .map(Some)
                    .map_err(|_| format!("`kv_set`.{k}: must be at most 255, got {v}")),
            }
        };
        let pick =
            |f: &mut Fields<'_>, k: &str, names: [&str; 2]| -> Result<Option<bool>, String> {
                match f.opt(Fields::string, k)? {
                    None => Ok(None),
                    Some(v) if v == names[0] => Ok(Some(false)),
                    Some(v) if v == names[1] => Ok(Some(true)),
                    Some(v) => Err(format!(
                        "`kv_set`.{k}: expected \"{}\" or \"{}\", got \"{v}\"",
                        names[0], names[1]
                    )),
                }
            };
        Ok(KvSet {
            replication: pick(f, "replication", ["async", "sync"])?.map(|s| {
                if s {
                    Replication::Sync
                } else {
                    Replication::Async
                }
            }),
            fencing: f.opt(Fields::bool, "fencing")?,
            sloppy: f.opt(Fields::bool, "sloppy")?,
            n: small(f, "n")?,
            r: small(f, "r")?,
            w: small(f, "w")?,
            read_repair: f.opt(Fields::bool, "read_repair")?,
            resolve: pick(f, "resolve", ["lww", "vv"])?.map(|v| {
                if v {
                    Resolve::Vv
                } else {
                    Resolve::Lww
                }
            }),
        })
    }
}

fn kv_set_of(c: &KvCmd) -> &KvSet {
    match c {
        KvCmd::KvSet(s) => s,
    }
}

fn bad(reason: String) -> CmdError {
    CmdError::BadValue {
        field: "kv_set",
        reason,
    }
}

impl Protocol for Kv {
    const SINCE_VERSION: u64 = 4;

    const OPS: &'static [&'static str] = &["kv_set"];

    type Node = KvNode;

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
            shards: small_u8(&mut o, "shards", d.shards)?,
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
        if !(1..=MAX_KEYS as u8).contains(&c.shards) {
            return bad(
                "shards",
                format!("must be in 1..={MAX_KEYS}, got {}", c.shards),
            );
        }
        if c.shards > 1 {
            if c.mode != Mode::Primary {
                return bad(
                    "shards",
                    "shards are a primary mode setting (Dynamo places every key on its own)".into(),
                );
            }
            if c.shards > c.keys {
                return bad(
                    "shards",
                    format!(
                        "at most one shard per key: keys is {}, got {}",
                        c.keys, c.shards
                    ),
                );
            }
            if c.primary.is_some() {
                return bad(
                    "primary",
                    "with shards the ring places each shard's primary; leave it out".into(),
                );
            }
            if c.n == 0 || c.n as usize > servers.len() {
                return bad(
                    "n",
                    format!(
                        "servers per shard: must be in 1..={} (the servers), got {}",
                        servers.len(),
                        c.n
                    ),
                );
            }
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

    fn on_built(cfg: &KvCfg, w: &mut CmdCtx<'_>) {
        // Servers booted while the ring was being built: they place keys by the whole ring.
        let n = w.world().nodes().len() as NodeIx;
        if cfg.mode == Mode::Primary && cfg.shard_count() > 1 {
            // Shards are placed once, on the whole initial ring; every node starts from it.
            let groups = w.on_node::<Kv, _>(0, |_, ctx| {
                (0..cfg.shard_count())
                    .map(|s| super::node::shard_group(ctx, s, cfg.n as usize))
                    .collect::<Vec<_>>()
            });
            w.on_node::<Kv, _>(0, |_, ctx| ctx.shared_mut::<Kv>().groups = groups);
            for ix in 0..n {
                w.on_node::<Kv, _>(ix, |node, ctx| match node {
                    Some(super::KvNode::Server(s)) => s.see_groups(ctx),
                    Some(super::KvNode::Client(c)) => c.see_groups(ctx),
                    None => {}
                });
            }
            return;
        }
        if cfg.mode != Mode::Dynamo {
            return;
        }
        for ix in 0..n {
            w.on_node::<Kv, _>(ix, |node, ctx| {
                if let Some(super::KvNode::Server(s)) = node {
                    s.see_ring(ctx);
                }
            });
        }
    }

    fn on_message(node: &mut KvNode, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        node.on_message(ctx, from, m);
    }

    fn on_timer(node: &mut KvNode, ctx: &mut Ctx<'_>, t: Timer) {
        node.on_timer(ctx, t);
    }

    fn read_cmd(op: &str, f: &mut Fields<'_>) -> Option<Result<KvCmd, String>> {
        (op == "kv_set").then(|| KvSet::read(f).map(KvCmd::KvSet))
    }

    fn check_cmd(
        c: &KvCmd,
        cfg: Option<&KvCfg>,
        _: &BTreeSet<String>,
    ) -> Result<(), (String, String)> {
        let Some(cfg) = cfg else {
            return Err(("op".into(), "this scenario has no protocols.kv".into()));
        };
        let next = kv_set_of(c).apply(cfg);
        if next.mode == Mode::Dynamo {
            for (f, v) in [("r", next.r), ("w", next.w)] {
                if v == 0 || v > next.n {
                    return Err((f.into(), format!("must be in 1..={} (n), got {v}", next.n)));
                }
            }
        }
        Ok(())
    }

    fn on_command(c: &KvCmd, w: &mut CmdCtx<'_>) -> Result<(), CmdError> {
        let cfg = w
            .cfg::<Kv>()
            .ok_or_else(|| bad("this scenario has no replicated store".into()))?;
        let set = kv_set_of(c);
        let next = set.apply(cfg);
        if next.resolve != cfg.resolve && !w.world().shared::<Kv>().writes.is_empty() {
            return Err(bad(
                "conflict resolution can change only before the first write (versions are stored differently); seek to 0 ms first".into(),
            ));
        }
        let servers: Vec<String> = w
            .world()
            .nodes()
            .iter()
            .filter(|n| n.role == Role::Server && n.status != Status::Removed)
            .map(|n| n.name.clone())
            .collect();
        Kv::check_cfg(&next, &servers, &[]).map_err(|(f, m)| bad(format!("{f}: {m}")))?;
        let shared = Arc::new(next.clone());
        if let Some(c) = w.cfg_mut::<Kv>() {
            *c = next;
        }
        let n = w.world().nodes().len() as NodeIx;
        for ix in 0..n {
            w.on_node::<Kv, _>(ix, |node, _| {
                if let Some(node) = node {
                    node.set_cfg(Arc::clone(&shared));
                }
            });
        }
        Ok(())
    }

    fn on_send(s: &mut KvShared, _: &Msg) {
        s.stats.messages += 1;
    }

    fn observe(s: &mut KvShared, node: NodeIx, t: Time, ev: &KvEv) {
        s.observe(node, t, ev);
    }

    fn reset_counters(s: &mut KvShared) {
        let cart = s.cart;
        let groups = std::mem::take(&mut s.groups);
        *s = KvShared::default();
        s.cart = cart;
        s.groups = groups;
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
        if cfg.mode == Mode::Dynamo {
            v["stream_retries"] = json!(s.stats.stream_retries);
            if cfg.resolve == Resolve::Vv {
                v["streamed_siblings"] = json!(s.stats.streamed_siblings);
            }
        }
        if cfg.shard_count() > 1 {
            let n = cfg.shard_count();
            let mut by = s.stats.promotions_by_shard.clone();
            by.resize(n, 0);
            v["promotions_by_shard"] = json!(by);
            v["shard_epochs"] = json!(s.top_epoch[..n]);
        }
        v["checker"] = json!(report.verdict());
        v["checker_steps"] = json!(report.steps);
        if let linearizable::Outcome::NotLinearizable(f) = &report.outcome {
            v["failing_op"] = json!(f.op.to_string());
            v["failing_window"] = json!(f.window.len());
        }
        Some(v)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cmd::Cmd;
    use crate::sim::invariant::Checker;
    use crate::sim::proto::kv::Msg;
    use crate::sim::proto::ProtoCmd;
    use crate::sim::scenario::Scenario;
    use crate::sim::timeline::Timeline;

    fn scenario(file: &str) -> Scenario {
        let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
        Scenario::decode(&std::fs::read(path).expect("file")).expect("decodes")
    }

    fn set(s: KvSet) -> Cmd {
        Cmd::Proto(ProtoCmd::Kv(KvCmd::KvSet(s)))
    }

    /// Runs `s`, applying `cmd` at `at` ms: the final world's lost writes and verdict.
    fn run_with(s: &Scenario, at: Time, cmd: Cmd) -> (usize, &'static str) {
        let w = s.build(None).expect("builds");
        let mut tl = Timeline::with_checker(w, Checker::builtin(), 1000);
        tl.advance_to(at);
        tl.apply(cmd).expect("accepted");
        tl.advance_to(s.until_ms);
        tl.finish();
        let w = tl.world();
        let k = w.shared::<Kv>();
        (k.lost(false).len(), k.verdict().verdict())
    }

    #[test]
    fn fencing_switched_on_before_the_partition_loses_nothing() {
        let s = scenario("ha-sentinel-partition.json");
        let on = KvSet {
            fencing: Some(true),
            ..KvSet::default()
        };
        // At 0 ms it is the fenced scenario: the same run.
        let (lost, verdict) = run_with(&s, 0, set(on.clone()));
        assert_eq!((lost, verdict), (0, "linearizable"));
        let fenced = scenario("ha-fenced-failover.json");
        let tl = crate::sim::runner::play(&fenced, None, fenced.until_ms).expect("runs");
        let w = s.build(None).expect("builds");
        let mut t = Timeline::new(w, 1000);
        t.apply(set(on.clone())).expect("accepted");
        t.advance_to(s.until_ms);
        assert_eq!(
            t.world().shared::<Kv>().history,
            tl.world().shared::<Kv>().history
        );
        // Mid-run, before the partition at 2,000 ms: still nothing lost.
        assert_eq!(run_with(&s, 1500, set(on)).0, 0);
        // Off, the same run as loaded loses writes.
        let off = KvSet {
            fencing: Some(false),
            ..KvSet::default()
        };
        assert!(run_with(&s, 1500, set(off)).0 > 0);
    }

    #[test]
    fn a_primary_crash_fails_over_only_its_shard() {
        let s = scenario("ha-multi-shard-failover.json");
        let tl = crate::sim::runner::play(&s, None, s.until_ms).expect("runs");
        let w = tl.world();
        let k = w.shared::<Kv>();
        let cfg = w.cfg::<Kv>().expect("kv");
        let summary = Kv::summary(cfg, k, s.until_ms).expect("summary");
        assert_eq!(summary["promotions_by_shard"], json!([0, 1, 0]));
        assert_eq!(summary["shard_epochs"], json!([0, 1, 0]));
        assert_eq!(summary["lost_acked_writes"], json!(0));
        assert_eq!(summary["checker"], json!("linearizable"));
        // The ring placed the shards: s1's primary n2 crashes at 2,000 ms, n3 (its first
        // replica) is promoted; s0 (on n3) and s2 (on n4) keep acknowledging meanwhile.
        let names: Vec<Vec<String>> = k
            .groups
            .iter()
            .map(|g| g.iter().map(|&i| w.name(i)).collect())
            .collect();
        assert_eq!(
            names,
            [["n3", "n1", "n5"], ["n2", "n3", "n1"], ["n4", "n2", "n5"]]
        );
        let promoted = tl
            .trace()
            .iter()
            .find(|e| w.describe(e).contains("promoted"))
            .map(|e| e.t)
            .expect("a promotion");
        let acked_during = |key: &str| {
            k.history
                .iter()
                .filter(|e| e.kind == history::Kind::Ok && e.key.as_deref() == Some(key))
                .filter(|e| e.time.is_some_and(|t| (2000..promoted).contains(&t)))
                .count()
        };
        assert_eq!(acked_during("k1"), 0);
        assert!(acked_during("k0") > 0 && acked_during("k2") > 0);
    }

    fn fixture(file: &str) -> Scenario {
        let path = format!("{}/tests/fixtures/ha/{file}", env!("CARGO_MANIFEST_DIR"));
        Scenario::decode(&std::fs::read(path).expect("file")).expect("decodes")
    }

    /// Plays `s` to `at`, drops the first in-flight store message `pick` accepts, plays to
    /// the end: the timeline and the dropped message.
    fn drop_one(s: &Scenario, at: Time, pick: fn(&Msg) -> bool) -> (Timeline, Msg) {
        let w = s.build(None).expect("builds");
        let mut tl = Timeline::with_checker(w, Checker::builtin(), 1000);
        tl.advance_to(at);
        let (id, m) = tl
            .world()
            .net()
            .in_flight()
            .find_map(|m| match &m.payload {
                crate::sim::proto::Payload::Kv(k) if pick(k) => Some((m.id, *k)),
                _ => None,
            })
            .expect("a message to drop");
        tl.apply(Cmd::DropMessage { msg: id }).expect("dropped");
        tl.advance_to(s.until_ms);
        tl.finish();
        (tl, m)
    }

    fn server<'a>(w: &'a crate::sim::world::World, name: &str) -> &'a super::super::Server {
        w.node_ix(name)
            .and_then(|ix| w.procs(ix))
            .and_then(<Kv as crate::sim::proto::Protocol>::node)
            .and_then(super::super::KvNode::server)
            .expect("a server")
    }

    #[test]
    fn every_sibling_of_a_key_streams_to_a_joining_replica() {
        let s = fixture("join-siblings.json");
        let tl = crate::sim::runner::play(&s, None, s.until_ms).expect("runs");
        let w = tl.world();
        // X joins at 7,000 ms as k0's first replica; B, its first old replica, holds two
        // concurrent versions of the cart (the partition's) and streams both.
        let (b, x) = (server(w, "B"), server(w, "X"));
        assert_eq!(b.sibs[0].len(), 2, "{:?}", b.sibs[0]);
        assert_eq!(x.sibs[0], b.sibs[0]);
        let k = w.shared::<Kv>();
        assert_eq!((k.stats.streamed, k.stats.streamed_siblings), (1, 2));
        assert_eq!(k.stats.stream_retries, 0);
    }

    #[test]
    fn a_lost_stream_part_is_sent_again_and_the_siblings_arrive() {
        let s = fixture("join-siblings.json");
        let (tl, dropped) = drop_one(&s, 7001, |m| matches!(m, Msg::VStream { part: 0, .. }));
        let w = tl.world();
        let k = w.shared::<Kv>();
        assert_eq!(k.stats.stream_retries, 1);
        // The same versions (arrived in another order).
        let sorted = |n: &str| {
            let mut v = server(w, n).sibs[0].clone();
            v.sort_by_key(|c| c.vv);
            v
        };
        assert_eq!(sorted("X"), sorted("B"));
        assert_eq!(sorted("X").len(), 2);
        // Only the lost part went again.
        let again = tl
            .trace()
            .iter()
            .filter(|e| w.describe(e).contains("re-sends 1 unacknowledged part of"))
            .count();
        assert_eq!(again, 1, "{dropped:?}");
    }

    #[test]
    fn a_lost_stream_batch_is_retried_and_no_key_is_lost() {
        let s = scenario("ha-join-streams-keys.json");
        let (tl, dropped) = drop_one(&s, 3001, |m| matches!(m, Msg::Stream { .. }));
        let Msg::Stream { keys, cells, .. } = dropped else {
            unreachable!("picked a stream batch")
        };
        let w = tl.world();
        let k = w.shared::<Kv>();
        assert!(k.stats.stream_retries >= 1, "{:?}", k.stats);
        assert_eq!(k.lost(true), []);
        // The new replica holds every key of the lost batch, at least as new as was sent.
        let x = server(w, "X");
        for key in (0..MAX_KEYS).filter(|i| keys & (1 << i) != 0) {
            assert!(
                x.cells[key] >= cells[key] && cells[key].val.is_some(),
                "k{key}"
            );
        }
        let summary = Kv::summary(w.cfg::<Kv>().expect("kv"), k, s.until_ms).expect("summary");
        assert_eq!(summary["stream_retries"], json!(k.stats.stream_retries));
    }

    #[test]
    fn kv_set_refuses_what_cannot_change_and_bad_quorums() {
        let s = scenario("ha-sloppy-quorum-stale-read.json");
        let w = s.build(None).expect("builds");
        let mut tl = Timeline::new(w, 1000);
        let r4 = set(KvSet {
            r: Some(4),
            ..KvSet::default()
        });
        let e = tl.apply(r4).expect_err("r > n");
        assert!(e.to_string().contains("r: must be in 1..=3"), "{e}");
        tl.advance_to(2000);
        let vv = set(KvSet {
            resolve: Some(Resolve::Vv),
            ..KvSet::default()
        });
        let e = tl.apply(vv).expect_err("after writes");
        assert!(e.to_string().contains("before the first write"), "{e}");
        tl.apply(set(KvSet {
            sloppy: Some(false),
            ..KvSet::default()
        }))
        .expect("accepted");
        assert_eq!(tl.world().cfg::<Kv>().map(|c| c.sloppy), Some(false));
    }

    #[test]
    fn kv_set_reads_and_writes_its_json() {
        let v = serde_json::json!({"op": "kv_set", "fencing": true, "replication": "sync", "n": 3});
        let c = crate::sim::cmd_decode::decode(v.clone()).expect("decodes");
        assert_eq!(serde_json::to_value(&c).expect("encodes"), v);
        let bad = serde_json::json!({"op": "kv_set", "replication": "semi"});
        let e = crate::sim::cmd_decode::decode(bad).expect_err("bad value");
        assert!(e.contains("replication"), "{e}");
    }
}
