//! The SKU's shard: one row per bucket it owns (stock, version, units sold), durable, plus
//! the volatile row lock and its FIFO queue for `SELECT … FOR UPDATE`.

use std::collections::VecDeque;
use std::sync::Arc;

use super::event::{Op, StockEv};
use super::wire::{Msg, Rec, Timer};
use super::{ev, out, Stock, StockCfg};
use crate::sim::ids::NodeIx;
use crate::sim::proto::{Ctx, Record, TimerKind};

/// One bucket's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Units left.
    pub stock: i64,
    /// Bumped on every write (the optimistic version).
    pub version: u64,
    /// Units this row sold.
    pub taken: i64,
    /// The buyer holding the row lock and where it runs.
    pub holder: Option<(u32, NodeIx)>,
    /// Row lock grants so far (tells a stale transaction timeout from a live one).
    pub grant: u64,
    /// Buyers waiting for the row lock, first in line first.
    pub queue: VecDeque<(u32, NodeIx)>,
}

/// The shard's state: rows by bucket (`None` for buckets it does not own).
#[derive(Clone, Debug, PartialEq)]
pub struct Shard {
    cfg: Arc<StockCfg>,
    /// Rows, indexed by bucket.
    pub rows: Vec<Option<Row>>,
}

impl Shard {
    /// Rebuilds the rows from the durable log (the last record of each bucket wins).
    pub(crate) fn boot(cfg: Arc<StockCfg>, ctx: &Ctx<'_>) -> Option<Shard> {
        let mut rows: Vec<Option<Row>> = vec![None; cfg.buckets as usize];
        for r in ctx.durable() {
            if let Record::Stock(Rec::Row {
                bucket,
                stock,
                version,
                taken,
            }) = r
            {
                if let Some(slot) = rows.get_mut(*bucket as usize) {
                    *slot = Some(Row {
                        stock: *stock,
                        version: *version,
                        taken: *taken,
                        holder: None,
                        grant: 0,
                        queue: VecDeque::new(),
                    });
                }
            }
        }
        rows.iter()
            .any(Option::is_some)
            .then_some(Shard { cfg, rows })
    }

    /// Rough heap footprint.
    pub fn approx_bytes(&self) -> usize {
        self.rows
            .iter()
            .flatten()
            .map(|r| std::mem::size_of::<Row>() + r.queue.len() * 8)
            .sum()
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        let (buyer, bucket) = match m {
            Msg::Read { buyer, bucket }
            | Msg::LockRead { buyer, bucket }
            | Msg::Write { buyer, bucket, .. }
            | Msg::Unlock { buyer, bucket }
            | Msg::Cas { buyer, bucket, .. }
            | Msg::Decr { buyer, bucket, .. } => (buyer, bucket),
            _ => return,
        };
        let cfg = self.cfg.clone();
        let Some(Some(row)) = self.rows.get_mut(bucket as usize) else {
            return; // not this shard's bucket: the buyer times out
        };
        match m {
            Msg::Read { .. } => {
                let (stock, version) = (row.stock, row.version);
                out(
                    ctx,
                    &cfg,
                    from,
                    Msg::ReadOk {
                        buyer,
                        bucket,
                        stock,
                        version,
                    },
                );
            }
            Msg::LockRead { .. } => {
                if row.holder.is_none() {
                    self.grant(ctx, bucket, buyer, from);
                } else if !row.queue.iter().any(|(b, _)| *b == buyer) {
                    row.queue.push_back((buyer, from));
                    let position = row.queue.len() as u32;
                    ctx.emit(ev(StockEv::StockQueued {
                        buyer,
                        bucket,
                        position,
                    }));
                    out(
                        ctx,
                        &cfg,
                        from,
                        Msg::Queued {
                            buyer,
                            bucket,
                            position,
                        },
                    );
                }
            }
            Msg::Write {
                value,
                units,
                locked,
                ..
            } => {
                if locked && row.holder.map(|h| h.0) != Some(buyer) {
                    out(ctx, &cfg, from, Msg::Aborted { buyer, bucket });
                    return;
                }
                row.stock = value;
                self.apply(ctx, bucket, buyer, Op::Write, units);
                out(ctx, &cfg, from, Msg::Done { buyer, bucket });
                if locked {
                    self.release(ctx, bucket, buyer);
                }
            }
            Msg::Unlock { .. } => self.release(ctx, bucket, buyer),
            Msg::Cas {
                version,
                value,
                units,
                ..
            } => {
                if row.version != version {
                    let (stock, version) = (row.stock, row.version);
                    let m = Msg::Conflict {
                        buyer,
                        bucket,
                        stock,
                        version,
                    };
                    out(ctx, &cfg, from, m);
                    return;
                }
                row.stock = value;
                self.apply(ctx, bucket, buyer, Op::Cas, units);
                out(ctx, &cfg, from, Msg::Done { buyer, bucket });
            }
            Msg::Decr { units, .. } => {
                if row.stock < i64::from(units) {
                    out(ctx, &cfg, from, Msg::SoldOut { buyer, bucket });
                    return;
                }
                row.stock -= i64::from(units);
                self.apply(ctx, bucket, buyer, Op::Decr, units);
                out(ctx, &cfg, from, Msg::Done { buyer, bucket });
            }
            _ => {}
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        if let Timer::TxnTimeout { bucket, grant } = t {
            let Some(Some(row)) = self.rows.get_mut(bucket as usize) else {
                return;
            };
            if row.grant != grant {
                return;
            }
            if let Some((buyer, _)) = row.holder {
                ctx.emit(ev(StockEv::StockRollback { buyer, bucket }));
                self.release(ctx, bucket, buyer);
            }
        }
    }

    /// A write landed: bump the version, count the units, persist, report with the totals.
    fn apply(&mut self, ctx: &mut Ctx<'_>, bucket: u32, buyer: u32, op: Op, units: u32) {
        let Some(Some(row)) = self.rows.get_mut(bucket as usize) else {
            return;
        };
        row.version += 1;
        row.taken += i64::from(units);
        let (stock, version, taken) = (row.stock, row.version, row.taken);
        ctx.persist(Record::Stock(Rec::Row {
            bucket,
            stock,
            version,
            taken,
        }));
        let s = ctx.shared_mut::<Stock>();
        let b = bucket as usize;
        if s.stock.len() <= b {
            s.stock.resize(b + 1, 0);
            s.taken.resize(b + 1, 0);
        }
        s.stock[b] = stock;
        s.taken[b] = taken;
        let (stock_total, taken_total) = (s.stock.iter().sum(), s.taken.iter().sum());
        ctx.emit(ev(StockEv::StockRow {
            buyer,
            bucket,
            op,
            stock,
            version,
            stock_total,
            taken_total,
        }));
    }

    fn grant(&mut self, ctx: &mut Ctx<'_>, bucket: u32, buyer: u32, from: NodeIx) {
        let cfg = self.cfg.clone();
        let Some(Some(row)) = self.rows.get_mut(bucket as usize) else {
            return;
        };
        row.holder = Some((buyer, from));
        row.grant += 1;
        let (stock, version, grant) = (row.stock, row.version, row.grant);
        let now = ctx.virtual_now();
        ctx.shared_mut::<Stock>().unqueue(buyer, now);
        ctx.set_timer(
            cfg.txn_timeout_ms,
            TimerKind::Stock(Timer::TxnTimeout { bucket, grant }),
        );
        out(
            ctx,
            &cfg,
            from,
            Msg::ReadOk {
                buyer,
                bucket,
                stock,
                version,
            },
        );
    }

    /// The holder `buyer` lets go (commit, unlock or rollback); the next in line gets it.
    fn release(&mut self, ctx: &mut Ctx<'_>, bucket: u32, buyer: u32) {
        let Some(Some(row)) = self.rows.get_mut(bucket as usize) else {
            return;
        };
        if row.holder.map(|h| h.0) != Some(buyer) {
            row.queue.retain(|(b, _)| *b != buyer);
            return;
        }
        row.holder = None;
        if let Some((next, at)) = row.queue.pop_front() {
            self.grant(ctx, bucket, next, at);
        }
    }
}
