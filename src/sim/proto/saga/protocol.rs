//! The saga's entry in the engine: its [`Protocol`] implementation (boot from the durable
//! log, message and timer dispatch, placement at build time), its commands (inject a step
//! failure, crash a relay after its next publish) and its run summary.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Value};

use super::cfg::{self, FailAt, Mode, SagaCfg};
use super::db::Db;
use super::event::{SagaEv, SagaShared};
use super::orch::Orch;
use super::types::{Saga, SagaCmd};
use super::wire::{Msg, Rec, Step, Timer};
use super::{check, choreo, sh, timer, Node};
use crate::sim::cmd::CmdError;
use crate::sim::cmd_fields::Fields;
use crate::sim::ids::{NodeIx, ResKey, Role, Time};
use crate::sim::invariant::Invariant;
use crate::sim::json_read::{Obj, R};
use crate::sim::proto::log::Mq;
use crate::sim::proto::{CmdCtx, Ctx, ProtoCfg, Protocol, Record, Registered};

fn step_named(s: &str) -> Option<Step> {
    Step::ALL.iter().copied().find(|x| x.name() == s)
}

fn key(name: &str) -> Option<ResKey> {
    ResKey::new(name).ok()
}

/// The owner of `name` on the ring now.
fn owner(w: &crate::sim::world::World, name: &str) -> Option<NodeIx> {
    let ring = w.topology().ring();
    let k = key(name)?;
    ring.replicas(k.hash(), 1)
        .into_iter()
        .filter_map(|id| ring.node(id).and_then(|n| w.node_ix(&n.name)))
        .next()
}

impl Protocol for Saga {
    const SINCE_VERSION: u64 = 4;

    const OPS: &'static [&'static str] = &["saga_fail", "saga_relay_crash"];

    type Node = Node;

    type Shared = SagaShared;

    fn read_cfg(o: Obj) -> R<SagaCfg> {
        cfg::read(o)
    }

    fn check_cfg(
        c: &SagaCfg,
        servers: &[String],
        clients: &[String],
    ) -> Result<(), (String, String)> {
        cfg::check(c, servers, clients)
    }

    fn check_peers(
        c: &SagaCfg,
        all: &ProtoCfg,
        servers: &[String],
        clients: &[String],
    ) -> Result<(), (String, String)> {
        cfg::check_log(c, Mq::cfg(all), servers, clients)
    }

    fn boot(c: &SagaCfg, ctx: &mut Ctx<'_>) -> Option<Node> {
        let cfg = Arc::new(c.clone());
        let me = ctx.me();
        let is_orch = sh(ctx).orch == Some(me);
        if ctx.role() == Role::Client && !is_orch {
            // Only the orchestrator's client takes part.
            return None;
        }
        let (mut db, logs) = Db::from_log(ctx.durable());
        let orch = is_orch.then(|| Orch::boot(&cfg, ctx, &mut db, &logs));
        let mut placed = Orch::default();
        if cfg.mode == Mode::Choreographed && ctx.role() == Role::Server {
            for e in &logs {
                if let super::Effect::Log { order, at } = e {
                    placed.sagas.insert(*order, *at);
                }
            }
            let homes = sh(ctx).order_home.clone();
            let now = ctx.now_local();
            for (order, h) in homes.iter().enumerate() {
                let order = order as u32;
                if *h == me && !placed.sagas.contains_key(&order) {
                    let at = cfg.start_ms + u64::from(order) * cfg.gap_ms;
                    timer(ctx, (at as i64 - now).max(0) as u64, Timer::Start { order });
                }
            }
        }
        // The relay restarts with the process: every unmarked row goes out again.
        db.pump(&cfg, ctx);
        Some(Node {
            cfg,
            db,
            orch,
            placed,
        })
    }

    fn on_message(node: &mut Node, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        // Only the log's client on this very node talks to the saga.
        if from != ctx.me() {
            return;
        }
        let Msg::Log(up) = m;
        node.on_log(ctx, up);
    }

    fn on_timer(node: &mut Node, ctx: &mut Ctx<'_>, t: Timer) {
        let cfg = Arc::clone(&node.cfg);
        match t {
            Timer::Start { order } => {
                if let Some(o) = node.orch.as_mut() {
                    o.start(&cfg, ctx, &mut node.db, order);
                } else {
                    choreo::place(node, &cfg, ctx, order);
                }
            }
            Timer::Relay => node.db.on_tick(&cfg, ctx),
            Timer::Retry { order } => {
                if let Some(o) = node.orch.as_mut() {
                    o.on_retry(&cfg, ctx, &mut node.db, order);
                }
            }
            Timer::DualWrite { note } => node.db.dual_write(&cfg, ctx, note),
        }
    }

    /// Places every SKU, account and order row on the owner of its key, picks the
    /// orchestrator, finds the log partition each node consumes (its place in
    /// `mq.consumers`, read by the `pinned` assignor) and restarts every node so it reads
    /// its rows.
    fn on_built(c: &SagaCfg, w: &mut CmdCtx<'_>) {
        let world = w.world();
        let servers: Vec<NodeIx> = world
            .nodes()
            .iter()
            .enumerate()
            .filter(|(_, n)| n.role == Role::Server)
            .map(|(i, _)| i as NodeIx)
            .collect();
        let clients: Vec<NodeIx> = world
            .nodes()
            .iter()
            .enumerate()
            .filter(|(_, n)| n.role == Role::Client)
            .map(|(i, _)| i as NodeIx)
            .collect();
        let fallback = servers.first().copied().unwrap_or(0);
        let home = |name: String| owner(world, &name).unwrap_or(fallback);
        let sku_home: Vec<NodeIx> = (0..c.skus).map(|i| home(format!("sku:{i}"))).collect();
        let acct_home: Vec<NodeIx> = (0..c.accounts)
            .map(|i| home(format!("account:{i}")))
            .collect();
        let order_home: Vec<NodeIx> = (0..c.orders).map(|i| home(format!("order:{i}"))).collect();
        let mut part_of: Vec<Option<u32>> = vec![None; world.nodes().len()];
        if let Some(mq) = w.cfg::<Mq>() {
            for (p, name) in mq.consumers.iter().enumerate().take(mq.partitions as usize) {
                if let Some(slot) = world
                    .node_ix(name)
                    .and_then(|ix| part_of.get_mut(ix as usize))
                {
                    *slot = Some(p as u32);
                }
            }
        }
        let orch = match (c.mode, &c.orchestrator) {
            (Mode::Choreographed, _) => None,
            (_, Some(n)) => world.node_ix(n),
            (_, None) => clients.first().copied(),
        };
        for (i, ix) in sku_home.iter().enumerate() {
            w.persist(
                *ix,
                Record::Saga(Rec::Stock {
                    sku: i as u32,
                    units: c.stock as i64,
                }),
            );
        }
        for (i, ix) in acct_home.iter().enumerate() {
            w.persist(
                *ix,
                Record::Saga(Rec::Balance {
                    acct: i as u32,
                    amount: c.balance as i64,
                }),
            );
        }
        let mut s = SagaShared::new(c);
        s.sku_home = sku_home;
        s.acct_home = acct_home;
        s.order_home = order_home;
        s.part_of = part_of;
        s.orch = orch;
        let first = servers.first().copied().unwrap_or(0);
        w.on_node::<Saga, _>(first, |_, ctx| {
            *ctx.shared_mut::<Saga>() = s;
        });
        for ix in servers
            .iter()
            .chain(orch.iter().filter(|o| !servers.contains(o)))
        {
            w.reboot::<Saga>(*ix, c);
        }
    }

    fn read_cmd(op: &str, f: &mut Fields<'_>) -> Option<Result<SagaCmd, String>> {
        let r = match op {
            "saga_fail" => (|| {
                let order = f.u64("order")?;
                let step = f.string("step")?;
                let times = f.opt(Fields::u64, "times")?.unwrap_or(1);
                Ok(SagaCmd::SagaFail {
                    order: u32::try_from(order)
                        .map_err(|_| "`saga_fail`.order: too large".to_string())?,
                    step: FailAt::from_name(&step).ok_or_else(|| {
                        format!(
                            "`saga_fail`.step: unknown value \"{step}\" (one of: {})",
                            FailAt::NAMES.join(", ")
                        )
                    })?,
                    times: u32::try_from(times)
                        .map_err(|_| "`saga_fail`.times: too large".to_string())?,
                })
            })(),
            "saga_relay_crash" => (|| {
                let node = f.string("node")?;
                let step = match f.opt(Fields::string, "step")? {
                    None => None,
                    Some(s) => Some(step_named(&s).ok_or_else(|| {
                        format!(
                            "`saga_relay_crash`.step: unknown value \"{s}\" (one of: reserve, charge, ship, confirm)"
                        )
                    })?),
                };
                Ok(SagaCmd::SagaRelayCrash { node, step })
            })(),
            _ => return None,
        };
        Some(r)
    }

    fn check_cmd(
        c: &SagaCmd,
        cfg: Option<&SagaCfg>,
        _: &BTreeSet<String>,
    ) -> Result<(), (String, String)> {
        match (c, cfg) {
            (SagaCmd::SagaFail { order, .. }, Some(cfg)) if *order >= cfg.orders => Err((
                "order".into(),
                format!("there are {} orders (0..{})", cfg.orders, cfg.orders),
            )),
            (SagaCmd::SagaFail { times, .. }, _) if !(1..=1_000).contains(times) => {
                Err(("times".into(), format!("must be in 1..=1000, got {times}")))
            }
            _ => Ok(()),
        }
    }

    fn on_command(c: &SagaCmd, w: &mut CmdCtx<'_>) -> Result<(), CmdError> {
        let Some(cfg) = w.cfg::<Saga>().cloned() else {
            return Err(CmdError::BadValue {
                field: "protocols.saga",
                reason: "the saga is not configured".into(),
            });
        };
        match c {
            SagaCmd::SagaFail { order, step, times } => {
                if *order >= cfg.orders {
                    return Err(CmdError::BadValue {
                        field: "order",
                        reason: format!("there are {} orders", cfg.orders),
                    });
                }
                if !(1..=1_000).contains(times) {
                    return Err(CmdError::BadValue {
                        field: "times",
                        reason: format!("must be in 1..=1000, got {times}"),
                    });
                }
                let ix = w.world().members().first().copied().unwrap_or(0);
                w.on_node::<Saga, _>(ix, |_, ctx| {
                    *ctx.shared_mut::<Saga>()
                        .fail_left
                        .entry((*order, *step as u8))
                        .or_insert(0) += *times;
                });
                Ok(())
            }
            SagaCmd::SagaRelayCrash { node, step } => {
                let ix = w.present(node)?;
                let has = w.world().procs(ix).is_some_and(|p| Saga::node(p).is_some());
                if !has {
                    return Err(CmdError::WrongRole {
                        node: node.clone(),
                        needs: "saga service or orchestrator",
                    });
                }
                w.on_node::<Saga, _>(ix, |_, ctx| {
                    ctx.shared_mut::<Saga>().relay_armed.push((ix, *step));
                });
                Ok(())
            }
        }
    }

    fn observe(s: &mut SagaShared, _node: NodeIx, t: Time, e: &SagaEv) {
        s.observe(t, e);
    }

    fn reset_counters(s: &mut SagaShared) {
        s.stats = Default::default();
    }

    fn invariants() -> Vec<Invariant> {
        check::invariants()
    }

    fn summary(cfg: &SagaCfg, s: &SagaShared, _: Time) -> Option<Value> {
        Some(summary(cfg, s))
    }

    fn node_bytes(n: &Node) -> usize {
        std::mem::size_of::<Node>()
            + n.db.outbox.len() * 16
            + n.db.inbox.len() * 24
            + n.orch.as_ref().map_or(0, |o| o.sagas.len() * 32)
    }

    fn shared_bytes(s: &SagaShared) -> usize {
        s.book.len() * std::mem::size_of::<super::SagaRow>() + s.charged.len() * 32
    }
}

/// The run summary's `saga` section.
pub fn summary(cfg: &SagaCfg, s: &SagaShared) -> Value {
    let st = &s.stats;
    let ended = u64::from(st.completed + st.compensated);
    let unsettled = s
        .book
        .iter()
        .filter(|r| r.started.is_some() && r.ended.is_none())
        .count();
    json!({
        "mode": match cfg.mode { Mode::Orchestrated => "orchestrated", Mode::Choreographed => "choreographed" },
        "publish": match cfg.publish { super::Publish::Outbox => "outbox", super::Publish::DualWrite => "dual_write" },
        "consumer": match cfg.consumer { super::Consumer::Idempotent => "idempotent", super::Consumer::Naive => "naive" },
        "semantic_lock": cfg.semantic_lock,
        "sagas": st.sagas,
        "completed": st.completed,
        "compensated": st.compensated,
        "unsettled": unsettled,
        "compensation_retries": st.compensation_retries,
        "forward_retries": st.forward_retries,
        "double_charges": st.double_charges,
        "dirty_reads": st.dirty_reads,
        "appended": st.appended,
        "duplicate_appends": st.duplicate_appends,
        "duplicates_absorbed": st.duplicates_absorbed,
        "duplicates_applied": st.duplicates_applied,
        "relay_crashes": st.relay_crashes,
        "busy": st.busy,
        "mean_decision_ms": st.decision_ms_sum.checked_div(ended).unwrap_or(0),
        "max_decision_ms": st.decision_ms_max,
        "reserved_ms": st.reserved_ms_sum,
        "last_end_ms": st.last_end,
        "stock_left": s.stock.iter().sum::<i64>(),
        "money_left": s.balance.iter().sum::<i64>(),
    })
}
