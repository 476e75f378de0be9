//! The log's entry in the engine: its [`Protocol`] implementation and its commands. Its
//! world-wide state is in `state`.

use super::types::{Mq, MqCmd};
use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::broker::Broker;
use super::cfg::MqCfg;
use super::check;
use super::client::ClientNode;
use super::state::{emit, placement, sh_mut, Delivery, MqShared, MqStats, MsgInfo, PartMeta};
use super::wire::{MqEv, MqMsg, MqTimer};
use crate::sim::cmd::CmdError;
use crate::sim::cmd_fields::Fields;
use crate::sim::ids::{NodeIx, Role, Time};
use crate::sim::invariant::Invariant;
use crate::sim::json_read::Obj;
use crate::sim::json_read::R;
use crate::sim::proto::{CmdCtx, Ctx, Protocol};

/// The log's node roles.
#[derive(Clone, Debug, PartialEq)]
pub enum MqNode {
    /// A server: a broker holding partition replicas.
    Broker(Box<Broker>),
    /// A client: producer and/or group member.
    Client(Box<ClientNode>),
    /// A server that is a broker and also runs a client for an application on it (the
    /// checkout saga's services publish and consume on their own shards).
    Both(Box<Broker>, Box<ClientNode>),
}

impl MqNode {
    /// The broker, if this is one.
    pub fn broker(&self) -> Option<&Broker> {
        match self {
            MqNode::Broker(b) | MqNode::Both(b, _) => Some(b),
            MqNode::Client(_) => None,
        }
    }

    /// The client, if this is one.
    pub fn client(&self) -> Option<&ClientNode> {
        match self {
            MqNode::Client(c) | MqNode::Both(_, c) => Some(c),
            MqNode::Broker(_) => None,
        }
    }
}

impl Protocol for Mq {
    const SINCE_VERSION: u64 = 4;

    const OPS: &'static [&'static str] =
        &["mq_produce", "mq_join", "mq_leave", "mq_slow", "mq_set"];

    type Node = MqNode;

    type Shared = MqShared;

    fn read_cfg(o: Obj) -> R<MqCfg> {
        MqCfg::read(o)
    }

    fn check_cfg(
        cfg: &MqCfg,
        servers: &[String],
        clients: &[String],
    ) -> Result<(), (String, String)> {
        cfg.validate(servers, clients)
    }

    fn boot(cfg: &MqCfg, ctx: &mut Ctx<'_>) -> Option<MqNode> {
        Some(match ctx.role() {
            Role::Server => {
                let b = Box::new(Broker::boot(cfg, ctx));
                let name = ctx.node_name(ctx.me());
                if cfg
                    .producers
                    .iter()
                    .chain(&cfg.consumers)
                    .any(|n| n == name)
                {
                    MqNode::Both(b, Box::new(ClientNode::boot(cfg, ctx)))
                } else {
                    MqNode::Broker(b)
                }
            }
            Role::Client => MqNode::Client(Box::new(ClientNode::boot(cfg, ctx))),
        })
    }

    fn on_message(node: &mut MqNode, ctx: &mut Ctx<'_>, from: NodeIx, m: MqMsg) {
        match node {
            MqNode::Broker(b) => b.on_message(ctx, from, m),
            MqNode::Client(c) => c.on_message(ctx, from, m),
            MqNode::Both(b, c) => {
                if m.for_client() {
                    c.on_message(ctx, from, m)
                } else {
                    b.on_message(ctx, from, m)
                }
            }
        }
    }

    fn on_timer(node: &mut MqNode, ctx: &mut Ctx<'_>, t: MqTimer) {
        match node {
            MqNode::Broker(b) => b.on_timer(ctx, t),
            MqNode::Client(c) => c.on_timer(ctx, t),
            MqNode::Both(b, c) => {
                if t == MqTimer::Tick {
                    b.on_timer(ctx, t)
                } else {
                    c.on_timer(ctx, t)
                }
            }
        }
    }

    fn on_crash(s: &mut MqShared, node: NodeIx) {
        // The broker's session with the controller ends (ZooKeeper/KRaft notices it).
        s.live.retain(|&n| n != node);
    }

    /// Places every partition on its ring successors, the preferred replica leading.
    fn on_built(cfg: &MqCfg, w: &mut CmdCtx<'_>) {
        let world = w.world();
        let ring = world.topology().ring();
        let epoch = world.topology().epoch();
        let meta: Vec<PartMeta> = (0..cfg.partitions)
            .map(|p| {
                let replicas = placement(ring, p, cfg.rf, &|n| world.node_ix(n));
                PartMeta {
                    leader: replicas.first().copied(),
                    isr: replicas.clone(),
                    replicas,
                    epoch: 1,
                    offline: false,
                }
            })
            .collect();
        let n = cfg.partitions as usize;
        let ix = world.members().first().copied();
        if let Some(ix) = ix {
            w.on_node::<Mq, _>(ix, |_, ctx| {
                let s = sh_mut(ctx);
                s.meta = meta;
                s.ring_epoch = epoch;
                s.group.offsets = vec![0; n];
                s.stall_since = vec![None; n];
                s.moves = vec![None; n];
            });
        }
    }

    fn read_cmd(op: &str, f: &mut Fields<'_>) -> Option<Result<MqCmd, String>> {
        let r = match op {
            "mq_produce" => (|| {
                let count = f.opt(Fields::u64, "count")?.unwrap_or(1);
                let key = f.u64("key")?;
                Ok(MqCmd::MqProduce {
                    client: f.string("client")?,
                    key: u32::try_from(key)
                        .map_err(|_| "`mq_produce`.key: too large".to_string())?,
                    count: u32::try_from(count)
                        .map_err(|_| "`mq_produce`.count: too large".to_string())?,
                    poison: f.opt(Fields::bool, "poison")?.unwrap_or(false),
                })
            })(),
            "mq_join" => f.string("client").map(|client| MqCmd::MqJoin { client }),
            "mq_leave" => f.string("client").map(|client| MqCmd::MqLeave { client }),
            "mq_slow" => (|| {
                Ok(MqCmd::MqSlow {
                    client: f.string("client")?,
                    process_ms: f.u64("process_ms")?,
                })
            })(),
            "mq_set" => (|| {
                Ok(MqCmd::MqSet {
                    setting: f.string("setting")?,
                    value: f.string("value")?,
                })
            })(),
            _ => return None,
        };
        Some(r)
    }

    fn check_cmd(
        c: &MqCmd,
        cfg: Option<&MqCfg>,
        clients: &BTreeSet<String>,
    ) -> Result<(), (String, String)> {
        let (MqCmd::MqProduce { client, .. }
        | MqCmd::MqJoin { client }
        | MqCmd::MqLeave { client }
        | MqCmd::MqSlow { client, .. }) = c
        else {
            let MqCmd::MqSet { setting, value } = c else {
                return Ok(());
            };
            let mut probe = cfg.cloned().unwrap_or_default();
            return probe.set(setting, value).map_err(|e| ("setting".into(), e));
        };
        if !clients.contains(client) {
            return Err(("client".into(), format!("\"{client}\" is not a client")));
        }
        match c {
            MqCmd::MqProduce { count, .. } if !(1..=1000).contains(count) => {
                Err(("count".into(), format!("must be in 1..=1000, got {count}")))
            }
            MqCmd::MqSlow { process_ms, .. } if !(1..=3_600_000).contains(process_ms) => Err((
                "process_ms".into(),
                format!("must be in 1..=3600000, got {process_ms}"),
            )),
            _ => Ok(()),
        }
    }

    fn on_command(c: &MqCmd, w: &mut CmdCtx<'_>) -> Result<(), CmdError> {
        check_cmd_values(c)?;
        let (MqCmd::MqProduce { client, .. }
        | MqCmd::MqJoin { client }
        | MqCmd::MqLeave { client }
        | MqCmd::MqSlow { client, .. }) = c
        else {
            let MqCmd::MqSet { setting, value } = c else {
                return Ok(());
            };
            return switch(w, setting, value);
        };
        let ix = w.active_client(client)?;
        let Some(cfg) = w.cfg::<Mq>().cloned() else {
            return Err(CmdError::BadValue {
                field: "protocols.mq",
                reason: "the message log is not configured".into(),
            });
        };
        w.on_node::<Mq, _>(ix, |n, ctx| {
            let Some(MqNode::Client(cl)) = n else {
                return Err(CmdError::WrongRole {
                    node: client.clone(),
                    needs: "client",
                });
            };
            match c {
                MqCmd::MqProduce {
                    key, count, poison, ..
                } => {
                    for _ in 0..*count {
                        cl.produce(&cfg, ctx, *key, *poison);
                    }
                }
                MqCmd::MqJoin { .. } => cl.join(&cfg, ctx),
                MqCmd::MqLeave { .. } => cl.leave(ctx),
                MqCmd::MqSlow { process_ms, .. } => cl.slow(ctx, *process_ms),
                MqCmd::MqSet { .. } => {}
            }
            Ok(())
        })
    }

    fn on_send(s: &mut MqShared, _: &MqMsg) {
        s.stats.messages += 1;
    }

    fn observe(s: &mut MqShared, node: NodeIx, t: Time, ev: &MqEv) {
        check::observe(s, node, t, ev);
    }

    fn reset_counters(s: &mut MqShared) {
        s.stats = MqStats::default();
    }

    fn invariants() -> Vec<Invariant> {
        check::invariants()
    }

    fn summary(cfg: &MqCfg, s: &MqShared, _until: Time) -> Option<Value> {
        let a = check::anomalies(s);
        let st = &s.stats;
        let lat = check::latency(s);
        Some(json!({
            "acks": cfg.acks_name(),
            "min_isr": cfg.min_isr,
            "idempotent": cfg.idempotent,
            "unclean": cfg.unclean,
            "commit": match cfg.commit { super::CommitMode::Before => "before", super::CommitMode::After => "after" },
            "rebalance": match cfg.rebalance { super::Rebalance::Eager => "eager", super::Rebalance::Cooperative => "cooperative" },
            "assignment": match cfg.assignment { super::Assign::Range => "range", super::Assign::Sticky => "sticky", super::Assign::Pinned => "pinned" },
            "produced": s.book.len(),
            "acknowledged": s.book.iter().filter(|m| m.acked.is_some()).count(),
            "delivered": s.book.iter().filter(|m| m.first_done.is_some()).count(),
            "processed": st.processed,
            "dead_lettered": st.dead_lettered,
            "lost": a.lost.len(),
            "duplicated": a.duplicated.len(),
            "nonmonotonic": a.nonmonotonic,
            "skipped": a.skipped,
            "key_order": a.key_order,
            "not_enough_replicas": st.not_enough_replicas,
            "produce_failed": st.produce_failed,
            "dup_dropped": st.dup_dropped,
            "elections": st.elections,
            "unclean_elections": st.unclean_elections,
            "truncated": st.truncated,
            "rebalances": st.rebalances,
            "stalled_partitions": st.stalled_partitions,
            "stall_ms": st.stall_ms,
            "max_stall_ms": st.max_stall_ms,
            "commits_rejected": st.commits_rejected,
            "messages": st.messages,
            "latency_ms_mean": lat.0,
            "latency_ms_max": lat.1,
        }))
    }

    fn node_bytes(n: &MqNode) -> usize {
        std::mem::size_of::<MqNode>()
            + match n {
                MqNode::Broker(b) => b.approx_bytes(),
                MqNode::Client(c) => c.approx_bytes(),
                MqNode::Both(b, c) => b.approx_bytes() + c.approx_bytes(),
            }
    }

    fn shared_bytes(s: &MqShared) -> usize {
        s.book.capacity() * std::mem::size_of::<MsgInfo>()
            + s.hist.capacity() * std::mem::size_of::<Delivery>()
            + s.meta.len() * 64
    }
}

/// `mq_set`: the world's settings and every broker's and client's copy change now; a node
/// booting later (a restart) reads the world's. The trace records the switch.
fn switch(w: &mut CmdCtx<'_>, setting: &str, value: &str) -> Result<(), CmdError> {
    let Some(mut cfg) = w.cfg::<Mq>().cloned() else {
        return Err(CmdError::BadValue {
            field: "protocols.mq",
            reason: "the message log is not configured".into(),
        });
    };
    cfg.set(setting, value)
        .map_err(|reason| CmdError::BadValue {
            field: "setting",
            reason,
        })?;
    if let Some(c) = w.cfg_mut::<Mq>() {
        *c = cfg.clone();
    }
    let shared = std::sync::Arc::new(cfg);
    let n = w.world().nodes().len();
    for ix in 0..n as NodeIx {
        w.on_node::<Mq, _>(ix, |node, _| match node {
            Some(MqNode::Broker(b)) => b.set_cfg(shared.clone()),
            Some(MqNode::Client(c)) => c.set_cfg(shared.clone()),
            Some(MqNode::Both(b, c)) => {
                b.set_cfg(shared.clone());
                c.set_cfg(shared.clone());
            }
            None => {}
        });
    }
    if let Some(&at) = w.world().members().first() {
        w.on_node::<Mq, _>(at, |_, ctx| {
            emit(
                ctx,
                MqEv::MqSet {
                    setting: setting.to_string(),
                    value: value.to_string(),
                },
            )
        });
    }
    Ok(())
}

fn check_cmd_values(c: &MqCmd) -> Result<(), CmdError> {
    match c {
        MqCmd::MqProduce { count, .. } if !(1..=1000).contains(count) => Err(CmdError::BadValue {
            field: "count",
            reason: format!("must be in 1..=1000, got {count}"),
        }),
        MqCmd::MqSlow { process_ms, .. } if !(1..=3_600_000).contains(process_ms) => {
            Err(CmdError::BadValue {
                field: "process_ms",
                reason: format!("must be in 1..=3600000, got {process_ms}"),
            })
        }
        _ => Ok(()),
    }
}

impl crate::sim::world::World {
    /// The message log's world-wide state (metadata, group, book, history, counters).
    pub fn mq(&self) -> &MqShared {
        self.shared::<Mq>()
    }
}
