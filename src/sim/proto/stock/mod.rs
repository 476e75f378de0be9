//! A flash sale on one SKU as a protocol of the simulated cluster: K units on the shard the
//! ring assigns (or split into buckets on several shards), N buyers on the clients, and the
//! strategy that is supposed to stop them selling a unit twice: none, the shard's row lock,
//! the lock manager of `protocols.locks`, optimistic versions with retry policies, or an
//! atomic conditional decrement. See docs/inventory.md.

pub mod backoff;
mod buyer;
pub mod cfg;
pub mod check;
pub mod event;
pub mod experiment;
mod shard;
pub mod types;
pub mod wire;

use std::sync::Arc;

use serde_json::{json, Value};

pub use buyer::{Buyer, Buyers, Phase};
pub use cfg::{Arrival, Policy, StockCfg, Strategy};
pub use event::{Op, StockEv, StockStats, Why};
pub use shard::{Row, Shard};
pub use types::Stock;
pub use wire::{Msg, Rec, Timer};

use super::{CmdCtx, Ctx, Payload, Protocol, Record, TimerKind};
use crate::sim::cmd::Cmd;
use crate::sim::ids::{NodeIx, Role, Time};
use crate::sim::invariant::Invariant;
use crate::sim::json_read::{Obj, R};
use crate::sim::proto::locks::LockCmd;
use crate::sim::proto::ProtoCmd;

/// A node's part in the sale.
#[derive(Clone, Debug, PartialEq)]
pub enum StockNode {
    /// A shard holding one or more buckets' rows.
    Shard(Shard),
    /// A client running buyers.
    Buyers(Buyers),
}

/// World-wide state: the counters, plus where each bucket lives (the placement the ring
/// gave at build time, which buyers look up like a service registry).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StockShared {
    /// The run's counters.
    pub stats: StockStats,
    /// The shard of each bucket.
    pub home: Vec<NodeIx>,
}

impl std::ops::Deref for StockShared {
    type Target = StockStats;
    fn deref(&self) -> &StockStats {
        &self.stats
    }
}

impl std::ops::DerefMut for StockShared {
    fn deref_mut(&mut self) -> &mut StockStats {
        &mut self.stats
    }
}

pub(crate) fn ev(e: StockEv) -> crate::sim::event::What {
    crate::sim::event::What::Proto(crate::sim::proto::ProtoEv::Stock(e))
}

/// Puts `m` on the wire to `to`, after the extra |N(mean, sd)| delay when one is set.
pub(crate) fn out(ctx: &mut Ctx<'_>, cfg: &StockCfg, to: NodeIx, m: Msg) {
    if cfg.delay_mean_ms == 0 && cfg.delay_sd_ms == 0 {
        ctx.send(to, Payload::Stock(m));
        return;
    }
    let d = normal_abs(ctx, cfg.delay_mean_ms, cfg.delay_sd_ms);
    ctx.set_timer(d, TimerKind::Stock(Timer::Out { to, msg: m }));
}

/// |N(mean, sd)| rounded to whole ms, from 12 uniform draws (Irwin–Hall: integer
/// arithmetic only, so native and wasm runs agree bit for bit).
fn normal_abs(ctx: &mut Ctx<'_>, mean: u64, sd: u64) -> u64 {
    const SCALE: i64 = 1 << 20;
    let sum: i64 = (0..12)
        .map(|_| ctx.random_below(SCALE as u64) as i64)
        .sum::<i64>()
        - 6 * SCALE;
    // x = mean + sd · z, z = sum / SCALE
    let x = (mean as i64).saturating_mul(SCALE) + (sd as i64).saturating_mul(sum);
    ((x.abs() + SCALE / 2) / SCALE) as u64
}

/// The shard holding `bucket`, if it is still a live member.
pub(crate) fn shard_of(ctx: &Ctx<'_>, _cfg: &StockCfg, bucket: u32) -> Option<NodeIx> {
    ctx.shared::<Stock>().home.get(bucket as usize).copied()
}

/// Shards for each bucket: walking the ring clockwise from the bucket key's hash, the first
/// server not already holding a bucket (so B buckets land on B shards).
pub fn placement(w: &crate::sim::world::World, cfg: &StockCfg) -> Vec<NodeIx> {
    let ring = w.topology().ring();
    let mut home: Vec<NodeIx> = Vec::new();
    for b in 0..cfg.buckets {
        let key = cfg.bucket_key(b);
        let pick = ring
            .replicas(key.hash(), ring.live_count())
            .into_iter()
            .filter_map(|id| ring.node(id).and_then(|n| w.node_ix(&n.name)))
            .find(|ix| !home.contains(ix));
        if let Some(ix) = pick {
            home.push(ix);
        }
    }
    home
}

/// Arrival offsets (ms from the start) of every buyer, drawn from the world's generator.
fn arrivals(cfg: &StockCfg, draw: &mut dyn FnMut(u64) -> u64) -> Vec<u64> {
    let mut t = cfg.start_ms as f64;
    (0..u64::from(cfg.buyers))
        .map(|i| match cfg.arrival {
            Arrival::Burst => cfg.start_ms.saturating_add(i.saturating_mul(cfg.gap_ms)),
            Arrival::Poisson => {
                let u = (draw(1 << 30) + 1) as f64 / (1u64 << 30) as f64;
                t += -u.ln() * 1000.0 / cfg.rate_per_s.max(1) as f64;
                t.round() as u64
            }
        })
        .collect()
}

impl Protocol for Stock {
    const SINCE_VERSION: u64 = 4;

    const OPS: &'static [&'static str] = &[];

    type Node = StockNode;

    type Shared = StockShared;

    fn read_cfg(o: Obj) -> R<StockCfg> {
        cfg::read(o)
    }

    fn check_cfg(
        c: &StockCfg,
        servers: &[String],
        clients: &[String],
    ) -> Result<(), (String, String)> {
        cfg::check(c, servers, clients)?;
        if c.strategy == Strategy::LockManager && c.buyers as usize > clients.len() {
            return Err((
                "buyers".into(),
                format!(
                    "lock_manager runs one lock job per client: at most {} buyers",
                    clients.len()
                ),
            ));
        }
        Ok(())
    }

    fn boot(cfg: &StockCfg, ctx: &mut Ctx<'_>) -> Option<StockNode> {
        let cfg = Arc::new(cfg.clone());
        match ctx.role() {
            Role::Client if cfg.strategy != Strategy::LockManager => {
                Some(StockNode::Buyers(Buyers::new(cfg)))
            }
            Role::Client => None,
            Role::Server => Shard::boot(cfg, ctx).map(StockNode::Shard),
        }
    }

    fn on_message(node: &mut StockNode, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        match node {
            StockNode::Shard(s) => s.on_message(ctx, from, m),
            StockNode::Buyers(b) => b.on_message(ctx, m),
        }
    }

    fn on_timer(node: &mut StockNode, ctx: &mut Ctx<'_>, t: Timer) {
        if let Timer::Out { to, msg } = t {
            ctx.send(to, Payload::Stock(msg));
            return;
        }
        match node {
            StockNode::Shard(s) => s.on_timer(ctx, t),
            StockNode::Buyers(b) => b.on_timer(ctx, t),
        }
    }

    fn on_built(cfg: &StockCfg, w: &mut CmdCtx<'_>) {
        let home = placement(w.world(), cfg);
        for (b, ix) in home.iter().enumerate() {
            w.persist(
                *ix,
                Record::Stock(Rec::Row {
                    bucket: b as u32,
                    stock: cfg.bucket_stock(b as u32),
                    version: 0,
                    taken: 0,
                }),
            );
        }
        for ix in &home {
            w.reboot::<Stock>(*ix, cfg);
        }
        let clients: Vec<NodeIx> = w
            .world()
            .nodes()
            .iter()
            .enumerate()
            .filter(|(_, n)| n.role == Role::Client)
            .map(|(i, _)| i as NodeIx)
            .collect();
        if clients.is_empty() {
            return;
        }
        let times = w.on_node::<Stock, _>(clients[0], |_, ctx| {
            let s = ctx.shared_mut::<Stock>();
            s.stats.stock = (0..cfg.buckets).map(|b| cfg.bucket_stock(b)).collect();
            s.stats.taken = vec![0; cfg.buckets as usize];
            s.home = home.clone();
            arrivals(cfg, &mut |n| ctx.random_below(n))
        });
        for (b, at) in times.into_iter().enumerate() {
            let client = clients[b % clients.len()];
            if cfg.strategy == Strategy::LockManager {
                let name = w.world().name(client);
                w.world.schedule(
                    at,
                    Cmd::Proto(ProtoCmd::Locks(LockCmd::LockJob {
                        client: name,
                        locks: vec![cfg.sku],
                        work_ms: cfg.work_ms,
                        write: Some(cfg.sku),
                        wait_ms: Some(cfg.wait_ms),
                    })),
                );
                continue;
            }
            w.on_node::<Stock, _>(client, |n, ctx| {
                if let Some(StockNode::Buyers(bs)) = n {
                    bs.add(ctx, b as u32, at);
                }
            });
        }
    }

    crate::sim::proto::protocol::no_commands!();

    fn on_send(s: &mut StockShared, m: &Msg) {
        match m {
            Msg::Read { .. } | Msg::LockRead { .. } | Msg::Unlock { .. } => s.stats.requests += 1,
            Msg::Write { .. } | Msg::Cas { .. } | Msg::Decr { .. } => {
                s.stats.requests += 1;
                s.stats.calls += 1;
            }
            _ => {}
        }
    }

    fn observe(s: &mut StockShared, node: NodeIx, t: Time, e: &StockEv) {
        s.stats.observe(node, t, e);
    }

    fn reset_counters(s: &mut StockShared) {
        *s = StockShared {
            stats: StockStats {
                stock: s.stats.stock.clone(),
                taken: s.stats.taken.clone(),
                ..StockStats::default()
            },
            home: s.home.clone(),
        };
    }

    fn invariants() -> Vec<Invariant> {
        check::invariants()
    }

    fn summary(cfg: &StockCfg, s: &StockShared, _: Time) -> Option<Value> {
        Some(summary(cfg, &s.stats))
    }

    fn node_bytes(n: &StockNode) -> usize {
        std::mem::size_of::<StockNode>()
            + match n {
                StockNode::Shard(s) => s.approx_bytes(),
                StockNode::Buyers(b) => b.approx_bytes(),
            }
    }

    fn shared_bytes(s: &StockShared) -> usize {
        s.stats.latencies.len() * 4 + s.home.len() * 4 + s.stats.stock.len() * 16
    }
}

/// The run summary's `stock` section.
pub fn summary(cfg: &StockCfg, s: &StockStats) -> Value {
    if cfg.strategy == Strategy::LockManager {
        // Its buyers are lock jobs: the locks section counts them (writes, unsafe_writes,
        // wait_ms) and no_oversell judges them; zeros here would be a lie.
        return json!({
            "strategy": cfg.strategy.name(),
            "stock": cfg.stock,
            "buyers": cfg.buyers,
            "counted_by": "locks",
        });
    }
    json!({
        "strategy": cfg.strategy.name(),
        "policy": cfg.policy.name(),
        "stock": cfg.stock,
        "buyers": cfg.buyers,
        "sold": s.sold,
        "oversold": (s.sold - cfg.stock).max(0),
        "stock_left": s.stock_left(),
        "refused": s.refused,
        "gave_up": s.gave_up,
        "requests": s.requests,
        "calls": s.calls,
        "retries": s.retries,
        "conflicts": s.conflicts,
        "lock_wait_ms": s.lock_wait_ms,
        "p50_ms": s.quantile(0.5),
        "p99_ms": s.quantile(0.99),
        "done_ms": s.last_done,
    })
}
