//! Buyers: each client node runs several, each a small state machine that arrives, reads
//! or locks or decrements per the strategy, retries under the optimistic policy, and ends
//! bought, refused or given up. Latency is measured on the client's own clock.

use std::sync::Arc;

use super::backoff;
use super::event::{StockEv, Why};
use super::wire::{Msg, Timer};
use super::{ev, out, shard_of, StockCfg, Strategy};
use crate::sim::proto::{Ctx, TimerKind};

/// Where a buyer is in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not arrived yet.
    Idle,
    /// Waiting for a read (or for the row lock).
    Reading,
    /// Between read and write (think time).
    Working,
    /// Waiting for the write's answer.
    Writing,
    /// Backing off before a retry.
    Sleeping,
    /// Finished.
    Done,
}

/// One buyer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buyer {
    /// Its number in the run.
    pub id: u32,
    /// The bucket it is buying from.
    pub bucket: u32,
    /// Buckets found empty so far.
    pub tried: u32,
    /// Where it is.
    pub phase: Phase,
    /// Retries so far.
    pub attempt: u32,
    /// Previous backoff sleep (decorrelated jitter).
    pub sleep: u64,
    /// Local time it arrived.
    pub arrived: i64,
    /// Guards timers: only the latest step's timers count.
    pub step: u32,
    /// The row as last read (stock, version).
    pub seen: (i64, u64),
}

/// A client node's buyers.
#[derive(Clone, Debug, PartialEq)]
pub struct Buyers {
    cfg: Arc<StockCfg>,
    /// Its buyers, in arrival-schedule order.
    pub list: Vec<Buyer>,
}

impl Buyers {
    /// A client with no buyers yet (the build hook hands them out).
    pub(crate) fn new(cfg: Arc<StockCfg>) -> Self {
        Buyers {
            cfg,
            list: Vec::new(),
        }
    }

    /// Rough heap footprint.
    pub fn approx_bytes(&self) -> usize {
        self.list.len() * std::mem::size_of::<Buyer>()
    }

    /// Adds buyer `id`, arriving `after_ms` from now.
    pub(crate) fn add(&mut self, ctx: &mut Ctx<'_>, id: u32, after_ms: u64) {
        let buckets = self.cfg.buckets.max(1);
        self.list.push(Buyer {
            id,
            bucket: id % buckets,
            tried: 0,
            phase: Phase::Idle,
            attempt: 0,
            sleep: self.cfg.base_ms,
            arrived: 0,
            step: 0,
            seen: (0, 0),
        });
        ctx.set_timer(after_ms, TimerKind::Stock(Timer::Arrive { buyer: id }));
    }

    fn get(&mut self, id: u32) -> Option<&mut Buyer> {
        self.list.iter_mut().find(|b| b.id == id)
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        match t {
            Timer::Arrive { buyer } => {
                let now = ctx.now_local();
                let units = self.cfg.units;
                let Some(b) = self.get(buyer) else { return };
                if b.phase != Phase::Idle {
                    return;
                }
                b.arrived = now;
                ctx.emit(ev(StockEv::StockArrive { buyer, units }));
                self.attempt(ctx, buyer);
            }
            Timer::Step { buyer, step } => {
                let Some(b) = self.get(buyer) else { return };
                if b.step != step {
                    return;
                }
                match b.phase {
                    Phase::Working => self.write(ctx, buyer),
                    Phase::Sleeping => self.retry(ctx, buyer),
                    _ => {}
                }
            }
            Timer::Timeout { buyer, step } => {
                let Some(b) = self.get(buyer) else { return };
                if b.step == step && matches!(b.phase, Phase::Reading | Phase::Writing) {
                    self.finish_gave_up(ctx, buyer, Why::Timeout);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, m: Msg) {
        let buyer = m.buyer();
        let cfg = self.cfg.clone();
        let Some(b) = self.get(buyer) else { return };
        match m {
            Msg::ReadOk { stock, version, .. } if b.phase == Phase::Reading => {
                if stock < i64::from(cfg.units) {
                    if cfg.strategy == Strategy::RowLock {
                        let bucket = b.bucket;
                        send(ctx, &cfg, bucket, Msg::Unlock { buyer, bucket });
                    }
                    return self.next_bucket(ctx, buyer);
                }
                b.seen = (stock, version);
                if cfg.work_ms == 0 {
                    return self.write(ctx, buyer);
                }
                b.phase = Phase::Working;
                b.step += 1;
                let step = b.step;
                ctx.set_timer(cfg.work_ms, TimerKind::Stock(Timer::Step { buyer, step }));
            }
            Msg::Queued { .. } if b.phase == Phase::Reading => {}
            Msg::Done { .. } if b.phase == Phase::Writing => {
                b.phase = Phase::Done;
                let latency_ms = latency(ctx, b.arrived);
                let units = cfg.units;
                let total = ctx.shared::<super::Stock>().sold + i64::from(units);
                ctx.emit(ev(StockEv::StockSold {
                    buyer,
                    units,
                    total,
                    latency_ms,
                }));
            }
            Msg::Conflict { stock, version, .. } if b.phase == Phase::Writing => {
                b.seen = (stock, version);
                let attempt = b.attempt + 1;
                ctx.emit(ev(StockEv::StockConflict { buyer, attempt }));
                if cfg.retry_budget.is_some_and(|max| b.attempt >= max) {
                    return self.finish_gave_up(ctx, buyer, Why::Budget);
                }
                let prev = b.sleep;
                let a = b.attempt;
                let sleep =
                    backoff::sleep_ms(cfg.policy, cfg.base_ms, cfg.cap_ms, a, prev, &mut |n| {
                        ctx.random_below(n.max(1))
                    });
                let Some(b) = self.get(buyer) else { return };
                b.attempt = attempt;
                b.sleep = sleep;
                ctx.emit(ev(StockEv::StockRetry {
                    buyer,
                    attempt,
                    sleep_ms: sleep,
                }));
                if sleep == 0 {
                    return self.retry(ctx, buyer);
                }
                b.phase = Phase::Sleeping;
                b.step += 1;
                let step = b.step;
                ctx.set_timer(sleep, TimerKind::Stock(Timer::Step { buyer, step }));
            }
            Msg::SoldOut { .. } if b.phase == Phase::Writing => self.next_bucket(ctx, buyer),
            Msg::Aborted { .. } if b.phase == Phase::Writing => {
                self.finish_gave_up(ctx, buyer, Why::RolledBack)
            }
            _ => {}
        }
    }

    /// Starts (or restarts) the order on the buyer's current bucket.
    fn attempt(&mut self, ctx: &mut Ctx<'_>, buyer: u32) {
        let cfg = self.cfg.clone();
        let Some(b) = self.get(buyer) else { return };
        let bucket = b.bucket;
        let (msg, phase) = match cfg.strategy {
            Strategy::None | Strategy::Optimistic | Strategy::LockManager => {
                (Msg::Read { buyer, bucket }, Phase::Reading)
            }
            Strategy::RowLock => (Msg::LockRead { buyer, bucket }, Phase::Reading),
            Strategy::Atomic => (
                Msg::Decr {
                    buyer,
                    bucket,
                    units: cfg.units,
                },
                Phase::Writing,
            ),
        };
        b.phase = phase;
        self.arm(ctx, buyer);
        send(ctx, &cfg, bucket, msg);
    }

    /// After a conflict: compare-and-set again with the row the conflict returned, or
    /// move to the next bucket (or be refused) if it has too little left.
    fn retry(&mut self, ctx: &mut Ctx<'_>, buyer: u32) {
        let units = i64::from(self.cfg.units);
        let Some(b) = self.get(buyer) else { return };
        if b.seen.0 < units {
            return self.next_bucket(ctx, buyer);
        }
        self.write(ctx, buyer);
    }

    /// Sends the write the strategy calls for, from the row last read.
    fn write(&mut self, ctx: &mut Ctx<'_>, buyer: u32) {
        let cfg = self.cfg.clone();
        let Some(b) = self.get(buyer) else { return };
        let (bucket, (stock, version), units) = (b.bucket, b.seen, cfg.units);
        let value = stock - i64::from(units);
        let msg = match cfg.strategy {
            Strategy::Optimistic => Msg::Cas {
                buyer,
                bucket,
                version,
                value,
                units,
            },
            s => Msg::Write {
                buyer,
                bucket,
                value,
                units,
                locked: s == Strategy::RowLock,
            },
        };
        b.phase = Phase::Writing;
        self.arm(ctx, buyer);
        send(ctx, &cfg, bucket, msg);
    }

    /// A new step with its own answer timeout.
    fn arm(&mut self, ctx: &mut Ctx<'_>, buyer: u32) {
        let t = self.cfg.timeout_ms;
        let Some(b) = self.get(buyer) else { return };
        b.step += 1;
        let step = b.step;
        ctx.set_timer(t, TimerKind::Stock(Timer::Timeout { buyer, step }));
    }

    /// This bucket has too little: try the next one, or be refused once all were tried.
    fn next_bucket(&mut self, ctx: &mut Ctx<'_>, buyer: u32) {
        let buckets = self.cfg.buckets.max(1);
        let Some(b) = self.get(buyer) else { return };
        b.tried += 1;
        if b.tried < buckets {
            b.bucket = (b.bucket + 1) % buckets;
            return self.attempt(ctx, buyer);
        }
        b.phase = Phase::Done;
        let latency_ms = latency(ctx, b.arrived);
        ctx.emit(ev(StockEv::StockRefused { buyer, latency_ms }));
    }

    fn finish_gave_up(&mut self, ctx: &mut Ctx<'_>, buyer: u32, why: Why) {
        let Some(b) = self.get(buyer) else { return };
        b.phase = Phase::Done;
        let latency_ms = latency(ctx, b.arrived);
        ctx.emit(ev(StockEv::StockGaveUp {
            buyer,
            why,
            latency_ms,
        }));
    }
}

fn latency(ctx: &Ctx<'_>, arrived: i64) -> u64 {
    ctx.now_local().saturating_sub(arrived).max(0) as u64
}

/// Sends to the shard the ring assigns the bucket now (dropped if none is live).
fn send(ctx: &mut Ctx<'_>, cfg: &StockCfg, bucket: u32, m: Msg) {
    if let Some(to) = shard_of(ctx, cfg, bucket) {
        out(ctx, cfg, to, m);
    }
}
