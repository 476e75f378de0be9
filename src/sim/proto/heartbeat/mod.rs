//! A heartbeat failure detector: every server pings its peers periodically and suspects a
//! peer it has not heard from for longer than a timeout, measured on its *own* clock. So a
//! partition, a GC pause or a skewed clock produces false suspicions, the classic trap that
//! lock sessions and leases must survive.

mod check;
pub mod types;

pub use types::{Ev, Heartbeat, HeartbeatCfg, Msg, Timer};

use super::{Ctx, Payload, Protocol, Record, TimerKind};
use crate::sim::ids::NodeIx;
use crate::sim::invariant::Invariant;
use crate::sim::json_read::{uint, Obj, R};

impl Protocol for Heartbeat {
    const SINCE_VERSION: u64 = 1;

    const OPS: &'static [&'static str] = &[];

    type Node = Detector;

    type Shared = ();

    fn read_cfg(mut h: Obj) -> R<HeartbeatCfg> {
        let cfg = HeartbeatCfg {
            interval_ms: uint(&h.at("interval_ms"), &h.req("interval_ms")?.1)?,
            timeout_ms: uint(&h.at("timeout_ms"), &h.req("timeout_ms")?.1)?,
        };
        h.done("interval_ms, timeout_ms")?;
        Ok(cfg)
    }

    fn check_cfg(cfg: &HeartbeatCfg, _: &[String], _: &[String]) -> Result<(), (String, String)> {
        if cfg.interval_ms == 0 {
            return Err(("interval_ms".into(), "must be at least 1".into()));
        }
        if cfg.timeout_ms == 0 {
            return Err(("timeout_ms".into(), "must be at least 1".into()));
        }
        Ok(())
    }

    fn boot(cfg: &HeartbeatCfg, ctx: &mut Ctx<'_>) -> Option<Detector> {
        (ctx.role() == crate::sim::ids::Role::Server).then(|| Detector::boot(cfg, ctx))
    }

    fn on_message(node: &mut Detector, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        node.on_message(ctx, from, m);
    }

    fn on_timer(node: &mut Detector, ctx: &mut Ctx<'_>, t: Timer) {
        node.on_timer(ctx, t);
    }

    crate::sim::proto::protocol::no_commands!();

    fn invariants() -> Vec<Invariant> {
        check::invariants()
    }

    fn node_bytes(n: &Detector) -> usize {
        n.approx_bytes()
    }
}

fn emit(ctx: &mut Ctx<'_>, ev: Ev) {
    ctx.emit(crate::sim::event::What::Proto(super::ProtoEv::Heartbeat(
        ev,
    )));
}

/// Volatile detector state of one node (lost on crash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detector {
    interval_ms: u64,
    timeout_ms: u64,
    seq: u64,
    incarnation: u64,
    /// Local time we last heard from each node index (None: never, grace until next tick).
    last_heard: Vec<Option<i64>>,
    suspected: Vec<bool>,
}

impl Detector {
    /// Starts the detector: bumps the incarnation in the durable log and arms the first tick.
    pub(crate) fn boot(cfg: &HeartbeatCfg, ctx: &mut Ctx<'_>) -> Self {
        let last = ctx
            .durable()
            .iter()
            .filter_map(|r| match r {
                Record::Boot { incarnation } => Some(*incarnation),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let incarnation = last + 1;
        ctx.persist(Record::Boot { incarnation });
        ctx.set_timer(cfg.interval_ms.max(1), TimerKind::Heartbeat(Timer::Tick));
        Detector {
            interval_ms: cfg.interval_ms.max(1),
            timeout_ms: cfg.timeout_ms,
            seq: 0,
            incarnation,
            last_heard: Vec::new(),
            suspected: Vec::new(),
        }
    }

    /// This process's incarnation (from the durable log; grows on every recovery).
    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// Rough heap footprint, for snapshot memory reports.
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.last_heard.capacity() * std::mem::size_of::<Option<i64>>()
            + self.suspected.capacity()
    }

    /// Whether this node currently suspects `peer`.
    pub fn suspects(&self, peer: NodeIx) -> bool {
        self.suspected.get(peer as usize).copied().unwrap_or(false)
    }

    /// All peers currently suspected, ascending.
    pub fn suspected(&self) -> impl Iterator<Item = NodeIx> + '_ {
        self.suspected
            .iter()
            .enumerate()
            .filter(|(_, s)| **s)
            .map(|(i, _)| i as NodeIx)
    }

    fn slot(&mut self, peer: NodeIx) -> usize {
        let i = peer as usize;
        if self.last_heard.len() <= i {
            self.last_heard.resize(i + 1, None);
            self.suspected.resize(i + 1, false);
        }
        i
    }

    fn heard(&mut self, ctx: &mut Ctx<'_>, from: NodeIx) {
        let now = ctx.now_local();
        let i = self.slot(from);
        self.last_heard[i] = Some(now);
        if self.suspected[i] {
            self.suspected[i] = false;
            emit(ctx, Ev::Trust { peer: from });
        }
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, msg: Msg) {
        if let Msg::Ping { seq } = msg {
            ctx.send(from, Payload::Heartbeat(Msg::Pong { seq }));
        }
        self.heard(ctx, from);
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        match t {
            Timer::Tick => self.tick(ctx),
        }
    }

    fn tick(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now_local();
        let me = ctx.me();
        for k in 0..ctx.members().len() {
            let p = ctx.members()[k];
            if p == me {
                continue;
            }
            let i = self.slot(p);
            let last = *self.last_heard[i].get_or_insert(now);
            let silent = now.saturating_sub(last);
            if !self.suspected[i] && silent > self.timeout_ms as i64 {
                self.suspected[i] = true;
                emit(
                    ctx,
                    Ev::Suspect {
                        peer: p,
                        silent_ms: silent.max(0) as u64,
                    },
                );
            }
        }
        for k in 0..ctx.members().len() {
            let p = ctx.members()[k];
            if p != me {
                ctx.send(p, Payload::Heartbeat(Msg::Ping { seq: self.seq }));
            }
        }
        self.seq += 1;
        ctx.set_timer(self.interval_ms, TimerKind::Heartbeat(Timer::Tick));
    }
}
