//! Two-phase commit's entry in the engine: its [`Protocol`] implementation, the `checkout`
//! command with its reader and checks, the order book and counters it keeps world-wide, and
//! the seeding of stock and balance rows on the shards that own them.

use super::types::Item;
use super::types::{Tpc, TpcCmd};
use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Value};

use super::{
    Book, Msg, Order, RecKind, Request, Timer, TpcCfg, TpcEv, TpcNode, TpcStats, TxRecord,
};
use crate::sim::cmd::CmdError;
use crate::sim::cmd_fields::Fields;
use crate::sim::ids::{NodeIx, Time};
use crate::sim::invariant::Invariant;
use crate::sim::json_read::{fail, Obj, R};
use crate::sim::proto::{CmdCtx, Ctx, Protocol, Record};
use crate::sim::world::World;

/// World-wide two-phase commit state: every submitted order (the request each node of its
/// transaction was handed) and the run's counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TpcShared {
    /// Every order submitted, shared copy-on-write.
    pub book: Book,
    /// Counters, updated as shards send and emit.
    pub stats: TpcStats,
}

impl Protocol for Tpc {
    const SINCE_VERSION: u64 = 3;

    const OPS: &'static [&'static str] = &["checkout"];

    type Node = TpcNode;

    type Shared = TpcShared;

    fn read_cfg(o: Obj) -> R<TpcCfg> {
        let tp = o.path.clone();
        TpcCfg::from_json(&Value::Object(o.m)).or_else(|e| {
            // TpcCfg names the field inside `tpc` first ("variant: unknown ...").
            let (field, msg) = e.split_once(": ").unwrap_or(("", e.as_str()));
            let at = if field.is_empty() || field == "tpc" {
                tp.clone()
            } else {
                format!("{tp}.{field}")
            };
            fail(&at, msg)
        })
    }

    fn check_cfg(
        cfg: &TpcCfg,
        servers: &[String],
        clients: &[String],
    ) -> Result<(), (String, String)> {
        cfg.validate()
            .and_then(|_| cfg.validate_nodes(servers, clients))
    }

    fn boot(cfg: &TpcCfg, ctx: &mut Ctx<'_>) -> Option<TpcNode> {
        Some(TpcNode::boot(cfg, ctx))
    }

    fn on_message(node: &mut TpcNode, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        node.on_message(ctx, from, m);
    }

    fn on_timer(node: &mut TpcNode, ctx: &mut Ctx<'_>, t: Timer) {
        node.on_timer(ctx, t);
    }

    /// Places every initial stock and balance row on the shard owning its key (a durable
    /// `row` record), then restarts the shards so they read them. Rows stay there: they do
    /// not move when the ring changes.
    fn on_built(cfg: &TpcCfg, w: &mut CmdCtx<'_>) {
        for (key, value) in cfg.rows() {
            let world = w.world();
            let owner =
                super::order::owner(world.topology().ring(), key.as_str(), &|n| world.node_ix(n));
            if let Some(o) = owner {
                w.persist(
                    o,
                    Record::Tpc(TxRecord {
                        tx: 0,
                        forced: true,
                        kind: RecKind::Row { key, value },
                    }),
                );
            }
        }
        for ix in w.world().members().to_vec() {
            w.reboot::<Tpc>(ix, cfg);
        }
    }

    fn read_cmd(op: &str, f: &mut Fields<'_>) -> Option<Result<TpcCmd, String>> {
        let read = |f: &mut Fields<'_>| -> Result<TpcCmd, String> {
            Ok(TpcCmd::Checkout {
                client: f.string("client")?,
                items: f.list("items", as_item)?,
                account: f.res("account")?,
                amount: f.i64("amount")?,
                fail_payment: f.opt(Fields::bool, "fail_payment")?.unwrap_or(false),
            })
        };
        (op == "checkout").then(|| read(f))
    }

    fn check_cmd(
        c: &TpcCmd,
        _: Option<&TpcCfg>,
        clients: &BTreeSet<String>,
    ) -> Result<(), (String, String)> {
        let TpcCmd::Checkout {
            client,
            items,
            amount,
            ..
        } = c;
        if !clients.contains(client) {
            return Err(("client".into(), format!("\"{client}\" is not a client")));
        }
        let max = super::cfg::MAX_ITEMS;
        if items.is_empty() || items.len() > max {
            return Err((
                "items".into(),
                format!("an order has 1..={max} lines, got {}", items.len()),
            ));
        }
        for (k, it) in items.iter().enumerate() {
            if !(1..=1_000_000).contains(&it.qty) {
                return Err((
                    format!("items[{k}].qty"),
                    format!("must be in 1..=1000000, got {}", it.qty),
                ));
            }
        }
        let limit = super::cfg::MAX_VALUE;
        if !(0..=limit).contains(amount) {
            return Err((
                "amount".into(),
                format!("must be in 0..={limit}, got {amount}"),
            ));
        }
        Ok(())
    }

    fn on_command(c: &TpcCmd, w: &mut CmdCtx<'_>) -> Result<(), CmdError> {
        let TpcCmd::Checkout {
            client,
            items,
            account,
            amount,
            fail_payment,
        } = c;
        let req = Request {
            items: items.iter().map(|i| (i.sku, i.qty as i64)).collect(),
            account: *account,
            amount: *amount,
            pay_fails: *fail_payment,
        };
        check_order(&req)?;
        let ix = w.active_client(client)?;
        w.on_node::<Tpc, _>(ix, |n, ctx| match n.and_then(TpcNode::client_mut) {
            Some(c) => c
                .submit(ctx, &req)
                .map(|_| ())
                .map_err(|reason| CmdError::BadValue {
                    field: "checkout",
                    reason,
                }),
            None => Err(CmdError::BadValue {
                field: "protocols.tpc",
                reason: "two-phase commit is not configured".into(),
            }),
        })
    }

    fn on_send(s: &mut TpcShared, _: &Msg) {
        s.stats.sent();
    }

    fn observe(s: &mut TpcShared, node: NodeIx, t: Time, ev: &TpcEv) {
        s.stats.observe(node, t, ev);
    }

    fn reset_counters(s: &mut TpcShared) {
        s.stats = TpcStats::default();
    }

    fn invariants() -> Vec<Invariant> {
        super::check::invariants()
    }

    fn summary(cfg: &TpcCfg, s: &TpcShared, until: Time) -> Option<Value> {
        let st = &s.stats;
        let mut v = json!(st);
        v["variant"] = json!(cfg.variant.name());
        // Committed orders per second of the run, to one decimal: deterministic text.
        v["throughput_per_s"] = json!((st.throughput(until) * 10.0).round() / 10.0);
        Some(v)
    }

    fn node_bytes(n: &TpcNode) -> usize {
        n.approx_bytes()
    }

    fn shared_bytes(s: &TpcShared) -> usize {
        s.book.approx_bytes()
    }
}

/// `{"sku": "sku:1", "qty": 2}` (`qty` defaults to 1).
fn as_item(f: &mut Fields<'_>, k: &str, v: Value) -> Result<Item, String> {
    let Value::Object(m) = v else {
        return Err(f.bad(k, r#"an item like {"sku": "sku:1", "qty": 2}"#, &v));
    };
    let mut item = Fields { op: f.op, m };
    let sku = item.res("sku").map_err(|e| format!("{k}: {e}"))?;
    let qty = match item.opt(Fields::u64, "qty")? {
        None => 1,
        Some(q) => {
            u32::try_from(q).map_err(|_| format!("`{}`.{k}.qty: at most {}", f.op, u32::MAX))?
        }
    };
    match item.m.keys().next() {
        Some(extra) => Err(format!("`{}`.{k} has no field `{extra}`", f.op)),
        None => Ok(Item { sku, qty }),
    }
}

/// Bounds of a checkout a command (or a file) can ask for.
fn check_order(r: &Request) -> Result<(), CmdError> {
    let bad = |field, reason: String| Err(CmdError::BadValue { field, reason });
    if r.items.is_empty() || r.items.len() > super::cfg::MAX_ITEMS {
        return bad(
            "items",
            format!(
                "an order has 1..={} lines, got {}",
                super::cfg::MAX_ITEMS,
                r.items.len()
            ),
        );
    }
    if let Some((sku, q)) = r.items.iter().find(|(_, q)| !(1..=1_000_000).contains(q)) {
        return bad(
            "items",
            format!("{sku}: qty must be in 1..=1000000, got {q}"),
        );
    }
    if !(0..=super::cfg::MAX_VALUE).contains(&r.amount) {
        return bad(
            "amount",
            format!("must be in 0..={}, got {}", super::cfg::MAX_VALUE, r.amount),
        );
    }
    Ok(())
}

/// A two-phase commit event as the engine carries it.
pub(crate) fn ev(e: TpcEv) -> crate::sim::event::What {
    crate::sim::event::What::Proto(crate::sim::proto::ProtoEv::Tpc(e))
}

impl Ctx<'_> {
    /// A submitted order (the request every node of its transaction was handed).
    pub fn order(&self, tx: super::TxId) -> Option<Arc<Order>> {
        self.shared::<Tpc>().book.get_arc(tx)
    }

    /// Every submitted order.
    pub fn tpc_book(&self) -> &Book {
        &self.shared::<Tpc>().book
    }

    pub(crate) fn tpc_book_mut(&mut self) -> &mut Book {
        &mut self.shared_mut::<Tpc>().book
    }
}

impl World {
    /// Two-phase commit counters of the run so far (messages, forced writes, time in
    /// doubt, outcomes).
    pub fn tpc_stats(&self) -> &TpcStats {
        &self.shared::<Tpc>().stats
    }

    /// Every order submitted, by id.
    pub fn tpc_orders(&self) -> &Book {
        &self.shared::<Tpc>().book
    }
}
