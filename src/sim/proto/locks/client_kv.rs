//! Client side of the Redis and Redlock recipes.
//!
//! Redis: ask the ring owner (`SET NX PX`, queued when taken), resend until answered,
//! follow `NotOwner` to the new owner, renew every third of the lease, and believe the lock
//! until `received + lease − drift` on the client's own clock.
//!
//! Redlock: ask the `masters` independent servers at once; with a majority of grants the
//! lock is valid for `ttl − elapsed − drift` measured from the attempt's start, else release
//! everywhere and retry after a random back-off. No renewal. Its "token" is the largest of
//! the majority's per-server tokens, which is *not* guaranteed to grow: Redlock has no real
//! fencing token, and the docs say so.

use super::client::{send, timer, Client, SlotState};
use super::event::LostWhy;
use super::wire::{Msg, Timer, NO_NODE};
use super::{place, random_id};
use crate::sim::ids::NodeIx;
use crate::sim::proto::Ctx;

impl Client {
    /// Redis: (re)sends the request to the lock's current owner.
    pub(super) fn kv_ask(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        let res = self.slots[i].res;
        let owner = place(ctx, &self.cfg, res, 1).first().copied();
        let s = &mut self.slots[i];
        s.gen += 1;
        s.state = SlotState::Asking {
            to: owner.unwrap_or(NO_NODE),
        };
        let (value, gen) = (s.value, s.gen);
        if let Some(o) = owner {
            send(
                ctx,
                o,
                Msg::Acquire {
                    res,
                    value,
                    wait: true,
                },
            );
        }
        timer(ctx, self.p.retry, Timer::Retry { res, gen });
    }

    /// Redlock: starts an attempt on every master with a fresh random value.
    pub(super) fn attempt(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        let res = self.slots[i].res;
        let masters = place(ctx, &self.cfg, res, self.p.masters as usize);
        let value = random_id(ctx);
        let now = ctx.now_local();
        let s = &mut self.slots[i];
        s.gen += 1;
        s.value = value;
        let gen = s.gen;
        for &m in &masters {
            send(
                ctx,
                m,
                Msg::Acquire {
                    res,
                    value,
                    wait: false,
                },
            );
        }
        self.slots[i].state = SlotState::Voting {
            start: now,
            masters,
            granted: Vec::new(),
            refused: 0,
        };
        timer(ctx, self.p.retry, Timer::Retry { res, gen });
    }

    /// Redlock: the attempt failed; undo it everywhere and back off a random while.
    pub(super) fn fail_attempt(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        let s = &self.slots[i];
        let (res, value) = (s.res, s.value);
        if let SlotState::Voting { masters, .. } = &s.state {
            for &m in masters.clone().iter() {
                send(
                    ctx,
                    m,
                    Msg::Release {
                        res,
                        value,
                        check: true,
                    },
                );
            }
        }
        let half = (self.p.retry / 2).max(1);
        let pause = half + ctx.random_below(half + 1);
        let s = &mut self.slots[i];
        s.gen += 1;
        s.queued = true;
        s.state = SlotState::Backoff;
        let gen = s.gen;
        timer(ctx, pause, Timer::Backoff { res, gen });
    }

    fn quorum(&self) -> usize {
        self.p.masters as usize / 2 + 1
    }

    /// Redlock: one master said yes (or no).
    fn vote(&mut self, ctx: &mut Ctx<'_>, i: usize, from: NodeIx, token: Option<u64>) {
        let now = ctx.now_local();
        let (ttl, drift, quorum) = (self.p.ttl as i64, self.p.drift as i64, self.quorum());
        let SlotState::Voting {
            start,
            masters,
            granted,
            refused,
        } = &mut self.slots[i].state
        else {
            return;
        };
        if !masters.contains(&from) || granted.iter().any(|(m, _)| *m == from) {
            return;
        }
        match token {
            Some(t) => granted.push((from, t)),
            None => *refused += 1,
        }
        if granted.len() >= quorum {
            let validity = ttl - (now - *start) - drift;
            if validity <= 0 {
                return self.fail_attempt(ctx, i);
            }
            let best = granted.iter().map(|(_, t)| *t).max().unwrap_or(0);
            let end = *start + ttl - drift;
            return self.acquired(ctx, i, best, Some(end), NO_NODE, 0);
        }
        if masters.len().saturating_sub(*refused as usize) < quorum {
            self.fail_attempt(ctx, i);
        }
    }

    /// Sends a renewal to the current owner (or to `to`).
    pub(super) fn kv_renew(&mut self, ctx: &mut Ctx<'_>, i: usize, to: Option<NodeIx>) {
        let (res, value) = (self.slots[i].res, self.slots[i].value);
        let to = to.or_else(|| place(ctx, &self.cfg, res, 1).first().copied());
        if let Some(o) = to {
            send(ctx, o, Msg::Renew { res, value });
        }
    }

    /// Release (or cancel) under Redis/Redlock: to the owner, or to every master.
    pub(super) fn kv_release(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        let s = &self.slots[i];
        let (res, value) = (s.res, s.value);
        // A cancelled wait always uses compare-and-delete: it only leaves the queue.
        let check = self.p.check_release || s.waiting();
        let n = match self.p.recipe {
            super::Recipe::Redlock => self.p.masters as usize,
            _ => 1,
        };
        for to in place(ctx, &self.cfg, res, n) {
            send(ctx, to, Msg::Release { res, value, check });
        }
    }

    /// Answers from Redis servers and Redlock masters.
    pub(super) fn kv_reply(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        let now = ctx.now_local();
        let drift = self.p.drift as i64;
        let (res, value) = match m {
            Msg::Granted { res, value, .. }
            | Msg::Queued { res, value, .. }
            | Msg::Refused { res, value }
            | Msg::Renewed { res, value, .. }
            | Msg::NotOwner { res, value } => (res, value),
            _ => return,
        };
        let Some(i) = self.find(res).filter(|&i| self.slots[i].value == value) else {
            if let Msg::Granted { .. } = m {
                // A grant we no longer want (we gave up, or an old attempt): give it back.
                send(
                    ctx,
                    from,
                    Msg::Release {
                        res,
                        value,
                        check: true,
                    },
                );
            }
            return;
        };
        match (m, &self.slots[i].state) {
            (
                Msg::Granted {
                    token, lease_ms, ..
                },
                SlotState::Asking { .. },
            ) => {
                let end = now + lease_ms as i64 - drift;
                self.acquired(ctx, i, token, Some(end), from, 0);
            }
            (Msg::Granted { token, .. }, SlotState::Voting { .. }) => {
                self.vote(ctx, i, from, Some(token))
            }
            (Msg::Refused { .. }, SlotState::Voting { .. }) => self.vote(ctx, i, from, None),
            // A renewal refused. (Under Redlock a late "no" from one master after a
            // majority said yes changes nothing.)
            (Msg::Refused { .. }, SlotState::Held { .. })
                if self.p.recipe == super::Recipe::Redis =>
            {
                self.lose(ctx, i, LostWhy::RenewRefused)
            }
            (Msg::Queued { .. }, _) => self.slots[i].queued = true,
            (Msg::Renewed { lease_ms, .. }, SlotState::Held { .. }) => {
                if let SlotState::Held { until: Some(u), .. } = &mut self.slots[i].state {
                    *u = (*u).max(now + lease_ms as i64 - drift);
                }
            }
            (Msg::NotOwner { .. }, SlotState::Asking { to }) => {
                let owner = place(ctx, &self.cfg, res, 1).first().copied();
                if *to == from && owner.is_some_and(|o| o != from) {
                    self.kv_ask(ctx, i);
                }
            }
            (Msg::NotOwner { .. }, SlotState::Held { .. }) => {
                let owner = place(ctx, &self.cfg, res, 1).first().copied();
                if owner.is_some_and(|o| o != from) {
                    self.kv_renew(ctx, i, owner);
                }
            }
            _ => {}
        }
    }
}
