//! The log the saga runs over, modelled inside the protocol: one broker appends every
//! published note (a plain log: it does not drop duplicates) and delivers each entry to the
//! consumer the note is for, again and again until that consumer acknowledges it (at least
//! once). Appends and acknowledgements are durable, so a broker crash loses nothing.

use std::collections::{BTreeMap, BTreeSet};

use super::cfg::SagaCfg;
use super::event::SagaEv;
use super::wire::{Msg, Note, Rec, Timer, NO_SEQ};
use super::{emit, route, send, timer};
use crate::sim::ids::NodeIx;
use crate::sim::proto::{Ctx, Record};

/// The broker's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Broker {
    /// The log: each entry's note and whether its consumer acknowledged it.
    pub log: Vec<(Note, bool)>,
    /// Notes appended so far (to flag duplicates in the trace; the log keeps them all).
    seen: BTreeSet<Note>,
    /// Unacknowledged offsets with the local time they were last delivered.
    sent: BTreeMap<u32, i64>,
    /// A redelivery poll is armed.
    ticking: bool,
}

impl Broker {
    /// Rebuilds the log from the durable records; `None` if this node is not the broker.
    pub fn boot(is_broker: bool, durable: &[Record]) -> Option<Broker> {
        if !is_broker {
            return None;
        }
        let mut b = Broker::default();
        for r in durable {
            match r {
                Record::Saga(Rec::Append { note, .. }) => {
                    b.log.push((*note, false));
                    b.seen.insert(*note);
                }
                Record::Saga(Rec::Acked { off }) => {
                    if let Some(e) = b.log.get_mut(*off as usize) {
                        e.1 = true;
                    }
                }
                _ => {}
            }
        }
        Some(b)
    }

    /// After (re)start: deliver every unacknowledged entry again.
    pub fn resume(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>) {
        for off in 0..self.log.len() as u32 {
            if !self.log[off as usize].1 {
                self.deliver(cfg, ctx, off);
            }
        }
    }

    fn deliver(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>, off: u32) {
        let Some(&(note, _)) = self.log.get(off as usize) else {
            return;
        };
        let now = ctx.now_local();
        self.sent.insert(off, now);
        if let Some(to) = route(cfg, ctx, &note) {
            send(ctx, to, Msg::Deliver { off, note });
        }
        if !self.ticking {
            self.ticking = true;
            timer(ctx, cfg.redeliver_ms, Timer::Redeliver);
        }
    }

    /// A producer publishes `note`.
    pub fn on_publish(
        &mut self,
        cfg: &SagaCfg,
        ctx: &mut Ctx<'_>,
        from: NodeIx,
        seq: u32,
        note: Note,
    ) {
        let off = self.log.len() as u32;
        let dup = !self.seen.insert(note);
        self.log.push((note, false));
        ctx.persist(Record::Saga(Rec::Append { off, note }));
        emit(ctx, SagaEv::SagaAppend { off, note, dup });
        if seq != NO_SEQ {
            send(ctx, from, Msg::PubAck { seq });
        }
        self.deliver(cfg, ctx, off);
    }

    /// A consumer processed offset `off`.
    pub fn on_ack(&mut self, ctx: &mut Ctx<'_>, off: u32) {
        self.sent.remove(&off);
        if let Some(e) = self.log.get_mut(off as usize) {
            if !e.1 {
                e.1 = true;
                ctx.persist(Record::Saga(Rec::Acked { off }));
            }
        }
    }

    /// The redelivery poll: deliver again what has waited `redeliver_ms`.
    pub fn on_tick(&mut self, cfg: &SagaCfg, ctx: &mut Ctx<'_>) {
        self.ticking = false;
        let now = ctx.now_local();
        let due: Vec<u32> = self
            .sent
            .iter()
            .filter(|(off, t)| {
                now - **t >= cfg.redeliver_ms as i64
                    && self.log.get(**off as usize).is_some_and(|e| !e.1)
            })
            .map(|(off, _)| *off)
            .collect();
        for off in due {
            self.deliver(cfg, ctx, off);
        }
        self.sent
            .retain(|off, _| self.log.get(*off as usize).is_some_and(|e| !e.1));
        if !self.sent.is_empty() && !self.ticking {
            self.ticking = true;
            timer(ctx, cfg.redeliver_ms, Timer::Redeliver);
        }
    }
}
