//! A ZooKeeper/etcd-style coordination server: sessions (leases) kept alive by pings,
//! ephemeral sequential nodes under each lock, one-shot watches. The lock recipe runs in the
//! client (lowest node holds, each waiter watches its predecessor); the server only stores
//! nodes, expires silent sessions (deleting their nodes) and fires watches.
//!
//! ZooKeeper numbers nodes per lock; etcd uses the store-wide revision. Either is a valid
//! fencing token: strictly increasing per lock, and persisted when persistence is on.

use crate::sim::vecmap::VecMap;
use std::sync::Arc;

use super::cfg::{LockCfg, Params, Recipe};
use super::event::LockEv;
use super::model::{etcd, zk};
use super::until;
use super::wire::{Msg, Rec, ResKey, Timer};
use crate::sim::ids::NodeIx;
use crate::sim::proto::{Ctx, Payload, Record, TimerKind};

/// An ephemeral sequential node: `res/lock-<seq>` owned by a client's session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Znode {
    /// Sequence number (ZooKeeper) or create revision (etcd): the fencing token.
    pub seq: u64,
    /// Owner.
    pub client: NodeIx,
    /// Owner's session.
    pub sid: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Watch {
    client: NodeIx,
    sid: u32,
    /// The node watched, or 0 for every child.
    on: u64,
}

/// The children of one lock node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Children {
    /// Last sequence number handed out under this lock (ZooKeeper).
    pub next: u64,
    /// Live nodes in creation order (ascending sequence).
    pub list: Vec<Znode>,
    watches: Vec<Watch>,
}

/// State of one coordination server.
#[derive(Clone, Debug, PartialEq)]
pub struct SeqServer {
    p: Params,
    /// Open sessions by (client, id): last time heard from (local clock).
    sessions: VecMap<(NodeIx, u32), i64>,
    nodes: VecMap<ResKey, Children>,
    /// etcd's store-wide revision.
    revision: u64,
}

fn send(ctx: &mut Ctx<'_>, to: NodeIx, m: Msg) {
    ctx.send(to, Payload::Locks(m));
}

fn emit(ctx: &mut Ctx<'_>, ev: LockEv) {
    ctx.emit(super::ev(ev));
}

impl SeqServer {
    /// Starts the server; with persistence on, restores sessions (each gets a full timeout
    /// from now, as ZooKeeper does after a leader change) and nodes from the durable log.
    pub(crate) fn boot(cfg: Arc<LockCfg>, ctx: &mut Ctx<'_>) -> Self {
        let p = cfg.params();
        let mut s = SeqServer {
            p,
            sessions: VecMap::default(),
            nodes: VecMap::default(),
            revision: 0,
        };
        let now = ctx.now_local();
        if p.persist {
            for r in ctx.durable() {
                match r {
                    Record::Locks(Rec::Session { client, sid, open }) => {
                        if *open {
                            s.sessions.insert((*client, *sid), now);
                        } else {
                            s.sessions.remove(&(*client, *sid));
                        }
                    }
                    Record::Locks(Rec::Node {
                        res,
                        seq,
                        client,
                        sid,
                    }) => {
                        let c = s.nodes.entry_default(*res);
                        c.next = c.next.max(*seq);
                        s.revision = s.revision.max(*seq);
                        c.list.push(Znode {
                            seq: *seq,
                            client: *client,
                            sid: *sid,
                        });
                    }
                    Record::Locks(Rec::Gone { res, seq }) => {
                        if let Some(c) = s.nodes.get_mut(res) {
                            c.list.retain(|z| z.seq != *seq);
                        }
                        s.revision = s.revision.max(*seq);
                    }
                    _ => {}
                }
            }
        }
        let keys: Vec<(NodeIx, u32)> = s.sessions.keys().copied().collect();
        for (client, sid) in keys {
            ctx.set_timer(p.ttl, TimerKind::Locks(Timer::Session { client, sid }));
        }
        s
    }

    /// Every lock's children.
    pub fn locks(&self) -> impl Iterator<Item = (&ResKey, &Children)> {
        self.nodes.iter()
    }

    /// Open sessions: (client, session id).
    pub fn sessions(&self) -> impl Iterator<Item = (NodeIx, u32)> + '_ {
        self.sessions.keys().copied()
    }

    /// Rough heap footprint.
    pub fn approx_bytes(&self) -> usize {
        self.sessions.len() * 24
            + self
                .nodes
                .values()
                .map(|c| {
                    std::mem::size_of::<Children>()
                        + c.list.capacity() * std::mem::size_of::<Znode>()
                        + c.watches.capacity() * std::mem::size_of::<Watch>()
                })
                .sum::<usize>()
    }

    fn persist(&self, ctx: &mut Ctx<'_>, r: Rec) {
        if self.p.persist {
            ctx.persist(Record::Locks(r));
        }
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        let now = ctx.now_local();
        match m {
            Msg::Open { sid } => {
                if self.sessions.insert((from, sid), now).is_none() {
                    self.persist(
                        ctx,
                        Rec::Session {
                            client: from,
                            sid,
                            open: true,
                        },
                    );
                    ctx.set_timer(
                        self.p.ttl,
                        TimerKind::Locks(Timer::Session { client: from, sid }),
                    );
                }
                send(ctx, from, Msg::Opened { sid });
            }
            Msg::Ping { sid } => match self.sessions.get_mut(&(from, sid)) {
                Some(last) => {
                    *last = now;
                    send(ctx, from, Msg::Pong { sid });
                }
                None => send(ctx, from, Msg::Expired { sid }),
            },
            Msg::Create { res, sid } => {
                if !self.touch(from, sid, now) {
                    return send(ctx, from, Msg::Expired { sid });
                }
                let seq = self.create(ctx, res, from, sid);
                send(ctx, from, Msg::Created { res, sid, seq });
            }
            Msg::Check { res, sid, seq, all } => {
                if !self.touch(from, sid, now) {
                    return send(ctx, from, Msg::Expired { sid });
                }
                let c = self.nodes.entry_default(res);
                let mine = c.list.iter().any(|z| z.seq == seq && z.client == from);
                let pred = zk::predecessor(c.list.iter().map(|z| z.seq), seq).unwrap_or(0);
                let pred = if mine { pred } else { 0 };
                if pred != 0 {
                    c.watches.retain(|w| !(w.client == from && w.sid == sid));
                    c.watches.push(Watch {
                        client: from,
                        sid,
                        on: if all { 0 } else { pred },
                    });
                }
                send(
                    ctx,
                    from,
                    Msg::Standing {
                        res,
                        seq,
                        pred,
                        gone: !mine,
                    },
                );
            }
            Msg::Delete { res, seq, .. } => {
                let owned = self
                    .nodes
                    .get(&res)
                    .is_some_and(|c| c.list.iter().any(|z| z.seq == seq && z.client == from));
                if owned {
                    self.delete(ctx, res, seq, false);
                }
                send(ctx, from, Msg::Deleted { res, seq });
            }
            _ => {}
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        let Timer::Session { client, sid } = t else {
            return;
        };
        let now = ctx.now_local();
        let Some(&last) = self.sessions.get(&(client, sid)) else {
            return;
        };
        let deadline = last.saturating_add(self.p.ttl as i64);
        if now < deadline {
            return ctx.set_timer(
                until(now, deadline),
                TimerKind::Locks(Timer::Session { client, sid }),
            );
        }
        self.sessions.remove(&(client, sid));
        self.persist(
            ctx,
            Rec::Session {
                client,
                sid,
                open: false,
            },
        );
        emit(ctx, LockEv::SessionExpire { client, sid });
        let doomed: Vec<(ResKey, u64)> = self
            .nodes
            .iter()
            .flat_map(|(r, c)| {
                c.list
                    .iter()
                    .filter(|z| z.client == client && z.sid == sid)
                    .map(|z| (*r, z.seq))
            })
            .collect();
        for c in self.nodes.values_mut() {
            c.watches.retain(|w| !(w.client == client && w.sid == sid));
        }
        for (res, seq) in doomed {
            self.delete(ctx, res, seq, true);
        }
    }

    /// A request counts as a sign of life of its session; false if the session is gone.
    fn touch(&mut self, client: NodeIx, sid: u32, now: i64) -> bool {
        match self.sessions.get_mut(&(client, sid)) {
            Some(last) => {
                *last = now;
                true
            }
            None => false,
        }
    }

    fn create(&mut self, ctx: &mut Ctx<'_>, res: ResKey, client: NodeIx, sid: u32) -> u64 {
        let etcd = self.p.recipe == Recipe::Etcd;
        let c = self.nodes.entry_default(res);
        if let Some(z) = c.list.iter().find(|z| z.client == client && z.sid == sid) {
            return z.seq; // idempotent: a retried create returns the same node
        }
        let seq = if etcd {
            self.revision = etcd::bump(self.revision);
            self.revision
        } else {
            c.next += 1;
            c.next
        };
        c.list.push(Znode { seq, client, sid });
        self.persist(
            ctx,
            Rec::Node {
                res,
                seq,
                client,
                sid,
            },
        );
        emit(ctx, LockEv::NodeCreate { res, client, seq });
        self.fire(ctx, res, seq, false);
        seq
    }

    fn delete(&mut self, ctx: &mut Ctx<'_>, res: ResKey, seq: u64, expired: bool) {
        let Some(c) = self.nodes.get_mut(&res) else {
            return;
        };
        let Some(i) = c.list.iter().position(|z| z.seq == seq) else {
            return;
        };
        let z = c.list.remove(i);
        if self.p.recipe == Recipe::Etcd {
            self.revision = etcd::bump(self.revision);
        }
        self.persist(ctx, Rec::Gone { res, seq });
        emit(
            ctx,
            LockEv::NodeDelete {
                res,
                client: z.client,
                seq,
                expired,
            },
        );
        self.fire(ctx, res, seq, true);
    }

    /// One-shot watches: a predecessor watch fires when that node is deleted; a watch on
    /// every child fires on any change (the herd).
    fn fire(&mut self, ctx: &mut Ctx<'_>, res: ResKey, seq: u64, deleted: bool) {
        let Some(c) = self.nodes.get_mut(&res) else {
            return;
        };
        let (hit, keep): (Vec<Watch>, Vec<Watch>) = c
            .watches
            .iter()
            .partition(|w| w.on == 0 || (deleted && w.on == seq));
        c.watches = keep;
        for w in hit {
            send(
                ctx,
                w.client,
                Msg::Fired {
                    res,
                    sid: w.sid,
                    gone: seq,
                },
            );
        }
    }
}
