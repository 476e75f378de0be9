//! Orders: what a checkout asks for, routed through the ring at BEGIN. The order's keys
//! (`order:N`, each `sku:…`, the `account:…`) go to the shards owning them at that moment,
//! and the transaction stays bound to those shards whatever the ring does afterwards.

use std::sync::Arc;

use super::wire::TxId;
use crate::sim::ids::NodeIx;
use crate::sim::ids::ResKey;
use crate::sim::ring::Ring;
use crate::sim::time::Time;

/// One line of an order: `qty` units of `sku`, held by `shard`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// The SKU key.
    pub sku: ResKey,
    /// Units.
    pub qty: i64,
    /// Shard owning the SKU at BEGIN.
    pub shard: NodeIx,
}

/// An order as submitted, immutable afterwards: the request every node of the
/// transaction was handed (the world keeps one shared copy; messages carry the id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// Transaction id.
    pub tx: TxId,
    /// The client that submitted it (told the outcome).
    pub client: NodeIx,
    /// Its coordinator.
    pub coord: NodeIx,
    /// `order:N`: the row recording the sale.
    pub key: ResKey,
    /// Shard owning `key`.
    pub key_shard: NodeIx,
    /// Lines, one per distinct SKU.
    pub lines: Vec<Line>,
    /// The paying account.
    pub account: ResKey,
    /// Shard owning the account.
    pub account_shard: NodeIx,
    /// Money moved from the account to the order's row.
    pub amount: i64,
    /// The payment provider will refuse it (the account's shard votes NO).
    pub pay_fails: bool,
    /// Virtual time of submission.
    pub at: Time,
}

impl Order {
    /// The participants: every shard owning one of its keys, sorted, without repeats.
    pub fn shards(&self) -> Vec<NodeIx> {
        let mut v: Vec<NodeIx> = self.lines.iter().map(|l| l.shard).collect();
        v.push(self.key_shard);
        v.push(self.account_shard);
        crate::sim::sort::sort_dedup_by_u64(&mut v, |&n| u64::from(n));
        v
    }

    /// Keys of this order held by `shard` (what it locks at PREPARE).
    pub fn keys_at(&self, shard: NodeIx) -> Vec<ResKey> {
        let mut v: Vec<ResKey> = self
            .lines
            .iter()
            .filter(|l| l.shard == shard)
            .map(|l| l.sku)
            .collect();
        if self.account_shard == shard {
            v.push(self.account);
        }
        if self.key_shard == shard {
            v.push(self.key);
        }
        v
    }

    /// Total units.
    pub fn units(&self) -> i64 {
        self.lines.iter().map(|l| l.qty).sum()
    }
}

/// A checkout request before routing.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// (SKU, units) lines; repeats are merged.
    pub items: Vec<(ResKey, i64)>,
    /// Paying account.
    pub account: ResKey,
    /// Amount.
    pub amount: i64,
    /// Whether the payment will fail.
    pub pay_fails: bool,
}

/// Every order ever submitted, shared copy-on-write between snapshots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Book {
    orders: Vec<Arc<Order>>,
}

impl Book {
    /// Order `tx`.
    pub fn get(&self, tx: TxId) -> Option<&Order> {
        self.orders.get((tx as usize).checked_sub(1)?).map(|o| &**o)
    }

    /// Order `tx`, shared (what handlers hold while they also send).
    pub fn get_arc(&self, tx: TxId) -> Option<Arc<Order>> {
        self.orders.get((tx as usize).checked_sub(1)?).cloned()
    }

    /// Every order, by id.
    pub fn all(&self) -> impl Iterator<Item = &Order> {
        self.orders.iter().map(|o| &**o)
    }

    /// The id the next order gets.
    pub fn next_tx(&self) -> TxId {
        self.orders.len() as TxId + 1
    }

    pub(crate) fn push(&mut self, o: Order) {
        self.orders.push(Arc::new(o));
    }

    /// Rough heap bytes (the order array; the orders are shared).
    pub fn approx_bytes(&self) -> usize {
        self.orders.capacity() * std::mem::size_of::<Arc<Order>>()
    }
}

/// The server owning `key` on `ring` now (first live point clockwise), as a world index.
pub fn owner(ring: &Ring, key: &str, ix_of: &dyn Fn(&str) -> Option<NodeIx>) -> Option<NodeIx> {
    let id = ring.owner_of(crate::sim::hash::pos(key))?;
    ix_of(&ring.node(id)?.name)
}

/// Routes a request through the ring: coordinator (fixed, or the owner of `tx:N`) and a
/// shard per key. Errors say which key has no live owner.
pub fn route(
    ring: &Ring,
    ix_of: &dyn Fn(&str) -> Option<NodeIx>,
    fixed_coord: Option<NodeIx>,
    tx: TxId,
    client: NodeIx,
    req: &Request,
    at: Time,
) -> Result<Order, String> {
    let place = |k: &str| owner(ring, k, ix_of).ok_or_else(|| format!("no live server owns {k}"));
    let key = ResKey::new(&format!("order:{tx}"))?;
    let coord = match fixed_coord {
        Some(c) => c,
        None => place(&format!("tx:{tx}"))?,
    };
    let mut lines: Vec<Line> = Vec::new();
    for (sku, qty) in &req.items {
        match lines.iter_mut().find(|l| l.sku == *sku) {
            Some(l) => l.qty += qty,
            None => lines.push(Line {
                sku: *sku,
                qty: *qty,
                shard: place(sku.as_str())?,
            }),
        }
    }
    Ok(Order {
        tx,
        client,
        coord,
        key_shard: place(key.as_str())?,
        key,
        lines,
        account: req.account,
        account_shard: place(req.account.as_str())?,
        amount: req.amount,
        pay_fails: req.pay_fails,
        at,
    })
}
