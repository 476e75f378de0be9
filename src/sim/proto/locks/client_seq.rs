//! Client side of the ZooKeeper and etcd recipes: one session (lease) per server, kept
//! alive by pings every quarter of the timeout; create an ephemeral sequential node, ask
//! whether it is the lowest, otherwise watch the predecessor (or, in the herd variant,
//! every child) and ask again when the watch fires.
//!
//! The client stops believing it holds a lock when it has heard nothing from the server
//! for half the session timeout: before the server can expire the session (a full timeout
//! after the last ping it heard), as long as one-way latency stays under a quarter of it.
//! A pause freezes that check too, which is how a paused client outlives its session.

use super::client::{emit, send, timer, Client, CoordSession, SlotState};
use super::event::{LockEv, LostWhy};
use super::wire::{Msg, Timer, NO_NODE};
use super::{place, random_id};
use crate::sim::ids::NodeIx;
use crate::sim::proto::Ctx;

impl Client {
    fn ping_every(&self) -> u64 {
        (self.p.ttl / 4).max(1)
    }

    /// The open session with `server`, starting one if there is none.
    fn session(&mut self, ctx: &mut Ctx<'_>, server: NodeIx) -> Option<u32> {
        if let Some(s) = self.sessions.iter().find(|s| s.server == server) {
            return s.open.then_some(s.sid);
        }
        let sid = random_id(ctx);
        self.sessions.push(CoordSession {
            server,
            sid,
            open: false,
            last: ctx.now_local(),
        });
        send(ctx, server, Msg::Open { sid });
        let every = self.ping_every();
        timer(ctx, every, Timer::Ping { server, sid });
        None
    }

    fn sid_of(&self, server: NodeIx) -> Option<u32> {
        self.sessions
            .iter()
            .find(|s| s.server == server && s.open)
            .map(|s| s.sid)
    }

    /// Joins (or re-joins) the queue of slot `i`'s lock with a fresh node.
    pub(super) fn seq_join(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        let res = self.slots[i].res;
        let server = place(ctx, &self.cfg, res, 1).first().copied();
        let s = &mut self.slots[i];
        s.gen += 1;
        s.state = SlotState::Queue {
            server: server.unwrap_or(NO_NODE),
            seq: 0,
        };
        let gen = s.gen;
        if let Some(server) = server {
            if let Some(sid) = self.session(ctx, server) {
                send(ctx, server, Msg::Create { res, sid });
            }
        }
        timer(ctx, self.p.retry, Timer::Retry { res, gen });
    }

    /// Resends whatever slot `i` is waiting for (lost messages).
    pub(super) fn seq_retry(&mut self, ctx: &mut Ctx<'_>, i: usize) {
        let s = &self.slots[i];
        let res = s.res;
        let (server, seq, leaving) = match s.state {
            SlotState::Queue { server, seq } => (server, seq, false),
            SlotState::Leaving { server, seq } => (server, seq, true),
            _ => return,
        };
        if server == NO_NODE {
            return self.seq_join(ctx, i);
        }
        let Some(sid) = self.sid_of(server) else {
            if leaving && !self.sessions.iter().any(|s| s.server == server) {
                // The session is gone, and the node with it.
                self.slots.remove(i);
                return;
            }
            let gen = self.slots[i].gen;
            return timer(ctx, self.p.retry, Timer::Retry { res, gen });
        };
        let all = self.p.watch_all;
        let m = match (seq, leaving) {
            (0, _) => Msg::Create { res, sid },
            (seq, true) => Msg::Delete { res, sid, seq },
            (seq, false) => Msg::Check { res, sid, seq, all },
        };
        send(ctx, server, m);
        // While watching, a resend is only a resynchronisation after lost messages.
        let after = if seq != 0 && !leaving {
            self.p.ttl
        } else {
            self.p.retry
        };
        let gen = self.slots[i].gen;
        timer(ctx, after, Timer::Retry { res, gen });
    }

    /// Releases or cancels slot `i`; true if the slot stays (its node still to delete).
    pub(super) fn seq_leave(&mut self, ctx: &mut Ctx<'_>, i: usize) -> bool {
        let s = &self.slots[i];
        let res = s.res;
        let (server, seq) = match s.state {
            SlotState::Held { server, seq, .. } | SlotState::Queue { server, seq } => (server, seq),
            _ => return false,
        };
        if server == NO_NODE || !self.sessions.iter().any(|s| s.server == server) {
            return false;
        }
        if let (Some(sid), true) = (self.sid_of(server), seq != 0) {
            send(ctx, server, Msg::Delete { res, sid, seq });
        }
        let s = &mut self.slots[i];
        s.gen += 1;
        s.state = SlotState::Leaving { server, seq };
        let gen = s.gen;
        timer(ctx, self.p.retry, Timer::Retry { res, gen });
        true
    }

    /// Session heartbeat: declare the session lost after half a timeout of silence.
    pub(super) fn ping(&mut self, ctx: &mut Ctx<'_>, server: NodeIx, sid: u32) {
        let now = ctx.now_local();
        let Some(s) = self
            .sessions
            .iter()
            .find(|s| s.server == server && s.sid == sid)
            .copied()
        else {
            return;
        };
        if now.saturating_sub(s.last) > (self.p.ttl / 2) as i64 {
            return self.session_lost(ctx, server);
        }
        let m = if s.open {
            Msg::Ping { sid }
        } else {
            Msg::Open { sid }
        };
        send(ctx, server, m);
        let every = self.ping_every();
        timer(ctx, every, Timer::Ping { server, sid });
    }

    fn session_lost(&mut self, ctx: &mut Ctx<'_>, server: NodeIx) {
        self.sessions.retain(|s| s.server != server);
        let mut i = 0;
        while i < self.slots.len() {
            match self.slots[i].state {
                SlotState::Held { server: s, .. } if s == server => {
                    self.lose(ctx, i, LostWhy::SessionLost);
                    i += 1;
                }
                SlotState::Queue { server: s, .. } if s == server => {
                    self.seq_join(ctx, i);
                    i += 1;
                }
                SlotState::Leaving { server: s, .. } if s == server => {
                    self.slots.remove(i);
                }
                _ => i += 1,
            }
        }
    }

    /// Answers from a coordination server.
    pub(super) fn seq_reply(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        let now = ctx.now_local();
        if let Some(s) = self.sessions.iter_mut().find(|s| s.server == from) {
            if !matches!(m, Msg::Expired { .. }) {
                s.last = now;
            }
        }
        match m {
            Msg::Opened { sid } => {
                let Some(s) = self
                    .sessions
                    .iter_mut()
                    .find(|s| s.server == from && s.sid == sid)
                else {
                    return;
                };
                s.open = true;
                let creates: Vec<_> = self
                    .slots
                    .iter()
                    .filter(|s| {
                        matches!(s.state,
                            SlotState::Queue { server, seq: 0 } | SlotState::Leaving { server, seq: 0 }
                            if server == from)
                    })
                    .map(|s| s.res)
                    .collect();
                for res in creates {
                    send(ctx, from, Msg::Create { res, sid });
                }
            }
            Msg::Pong { .. } => {}
            Msg::Expired { sid }
                if self
                    .sessions
                    .iter()
                    .any(|s| s.server == from && s.sid == sid) =>
            {
                self.session_lost(ctx, from);
            }
            Msg::Created { res, sid, seq } => {
                if self.sid_of(from) != Some(sid) {
                    return;
                }
                let all = self.p.watch_all;
                let Some(i) = self.find(res) else {
                    return send(ctx, from, Msg::Delete { res, sid, seq });
                };
                match self.slots[i].state {
                    SlotState::Queue { server, seq: 0 } if server == from => {
                        let s = &mut self.slots[i];
                        s.state = SlotState::Queue { server, seq };
                        s.gen += 1;
                        let gen = s.gen;
                        send(ctx, from, Msg::Check { res, sid, seq, all });
                        timer(ctx, self.p.retry, Timer::Retry { res, gen });
                    }
                    SlotState::Leaving { server, seq: 0 } if server == from => {
                        self.slots[i].state = SlotState::Leaving { server, seq };
                        send(ctx, from, Msg::Delete { res, sid, seq });
                    }
                    SlotState::Queue { seq: mine, .. } | SlotState::Held { seq: mine, .. }
                        if mine == seq => {}
                    _ => send(ctx, from, Msg::Delete { res, sid, seq }),
                }
            }
            Msg::Standing {
                res,
                seq,
                pred,
                gone,
            } => {
                let Some(i) = self.find(res) else {
                    return;
                };
                let SlotState::Queue { server, seq: mine } = self.slots[i].state else {
                    return;
                };
                if server != from || mine != seq {
                    return;
                }
                if gone {
                    return self.seq_join(ctx, i);
                }
                if pred == 0 {
                    return self.acquired(ctx, i, seq, None, from, seq);
                }
                let s = &mut self.slots[i];
                s.queued = true;
                s.gen += 1;
                let gen = s.gen;
                timer(ctx, self.p.ttl, Timer::Retry { res, gen });
            }
            Msg::Fired { res, sid, gone } => {
                let Some(i) = self.find(res) else {
                    return;
                };
                let SlotState::Queue { server, seq } = self.slots[i].state else {
                    return;
                };
                if server != from || seq == 0 {
                    return;
                }
                emit(ctx, LockEv::LockWakeup { res, gone });
                let all = self.p.watch_all;
                send(ctx, from, Msg::Check { res, sid, seq, all });
                let s = &mut self.slots[i];
                s.gen += 1;
                let gen = s.gen;
                timer(ctx, self.p.retry, Timer::Retry { res, gen });
            }
            Msg::Deleted { res, seq } => {
                let done = self.find(res).filter(|&i| {
                    matches!(self.slots[i].state,
                        SlotState::Leaving { server, seq: s } if server == from && s == seq)
                });
                if let Some(i) = done {
                    self.slots.remove(i);
                }
            }
            _ => {}
        }
    }
}
