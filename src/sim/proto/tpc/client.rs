//! Clients: submit orders (one `checkout` command, or a generated workload), each routed
//! through the ring at BEGIN, and learn their outcomes.

use std::sync::Arc;

use super::cfg::TpcCfg;
use super::event::TpcEv;
use super::order::{route, Request};
use super::vecmap::VecMap;
use super::wire::{Msg, Timer, TxId};
use super::{send, set_timer};
use crate::sim::proto::Ctx;
use crate::sim::rng::Rng;

/// A client's commit-protocol state: the outcomes it was told (volatile) and, for the
/// workload's client, the generator of its orders.
#[derive(Clone, Debug, PartialEq)]
pub struct Client {
    cfg: Arc<TpcCfg>,
    outcomes: VecMap<TxId, bool>,
    /// Seeded once from the world's generator when the client starts, then independent
    /// of it: the same seed gives the same order stream whatever the variant does with
    /// the network (so variants compare on the same workload).
    orders: Rng,
}

impl Client {
    /// Starts; the workload's client arms its first order.
    pub(crate) fn boot(cfg: Arc<TpcCfg>, ctx: &mut Ctx<'_>) -> Client {
        let mut orders = Rng::new(0);
        if let Some(w) = &cfg.workload {
            if w.client == ctx.node_name(ctx.me()) {
                orders = Rng::new(ctx.random_below(u64::MAX));
                let now = ctx.now_local().max(0) as u64;
                set_timer(ctx, w.from_ms.saturating_sub(now).max(1), Timer::Workload);
            }
        }
        Client {
            cfg,
            outcomes: VecMap::default(),
            orders,
        }
    }

    /// Outcomes this client was told, by order.
    pub fn outcomes(&self) -> &VecMap<TxId, bool> {
        &self.outcomes
    }

    /// Rough heap footprint.
    pub fn approx_bytes(&self) -> usize {
        self.outcomes.len() * 16
    }

    /// Routes and submits one order: BEGIN to its coordinator, the work to each
    /// participant. Errors when a key has no live owner.
    pub(crate) fn submit(&mut self, ctx: &mut Ctx<'_>, req: &Request) -> Result<TxId, String> {
        let tx = ctx.tpc_book().next_tx();
        let fixed = match &self.cfg.coordinator {
            Some(c) => Some(
                ctx.node_ix(c)
                    .ok_or_else(|| format!("no server named \"{c}\""))?,
            ),
            None => None,
        };
        let order = {
            let ix_of = |n: &str| ctx.node_ix(n);
            route(
                ctx.ring(),
                &ix_of,
                fixed,
                tx,
                ctx.me(),
                req,
                ctx.virtual_now(),
            )?
        };
        let (coord, shards, amount) = (order.coord, order.shards(), order.amount);
        ctx.tpc_book_mut().push(order);
        ctx.emit(super::ev(TpcEv::OrderSubmit {
            tx,
            coord,
            shards: shards.len() as u32,
            amount,
        }));
        send(ctx, coord, Msg::Begin { tx });
        for s in shards {
            send(ctx, s, Msg::Work { tx });
        }
        Ok(tx)
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, m: Msg) {
        if let Msg::Done { tx, commit } = m {
            if !self.outcomes.contains_key(&tx) {
                self.outcomes.insert(tx, commit);
                ctx.emit(super::ev(TpcEv::OrderDone { tx, commit }));
            }
        }
    }

    /// Next generated order: 1..=items distinct SKUs (the hot one with probability
    /// `hot`), one unit each, a random account, a payment that fails with `pay_fail`.
    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        let Timer::Workload = t else { return };
        let Some(w) = self.cfg.workload.clone() else {
            return;
        };
        if w.until_ms.is_some_and(|u| ctx.now_local() > u as i64) {
            return;
        }
        let skus: Vec<_> = self.cfg.stock.keys().copied().collect();
        let accounts: Vec<_> = self.cfg.balances.keys().copied().collect();
        if skus.is_empty() || accounts.is_empty() {
            return;
        }
        let r = &mut self.orders;
        let n = 1 + r.below(w.items as u64) as usize;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            let sku = if r.chance(w.hot) {
                skus[0]
            } else {
                skus[r.below(skus.len() as u64) as usize]
            };
            if !items.iter().any(|(s, _)| *s == sku) {
                items.push((sku, 1));
            }
        }
        let account = accounts[r.below(accounts.len() as u64) as usize];
        let units = items.len() as i64;
        let pay_fails = r.chance(w.pay_fail);
        let mean = 1_000 / w.rate_per_s.max(1) as u64;
        let next = 1 + r.below(2 * mean.max(1));
        let req = Request {
            items,
            account,
            amount: units.saturating_mul(w.price),
            pay_fails,
        };
        // A key without a live owner skips this order; the stream goes on.
        let _ = self.submit(ctx, &req);
        set_timer(ctx, next, Timer::Workload);
    }
}
