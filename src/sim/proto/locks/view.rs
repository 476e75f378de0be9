//! Read-only queries on a world for the lock UI and the lock invariants: where each lock
//! lives, who believes they hold it, who waits, what servers and storage know.

use super::client::Client;
use super::kv::Entry;
use super::seq::Children;
use super::storage::Storage;
use super::Locks;
use super::{placement, LockCfg, LockNode, Recipe, Replication, ResKey};
use crate::sim::proto::Protocol;
use crate::sim::world::{NodeIx, Status, World};

/// A transaction in the wait-for graph: a client and its job (None: `lock_acquire` locks).
pub type Txn = (NodeIx, Option<u32>);

impl World {
    /// The lock settings, when the scenario enables locks.
    pub fn lock_cfg(&self) -> Option<&LockCfg> {
        self.protocols().locks.as_ref()
    }

    /// A node's lock-protocol state (lock server, storage or client).
    pub fn lock_node(&self, ix: NodeIx) -> Option<&LockNode> {
        self.procs(ix).and_then(Locks::node)
    }

    /// Servers responsible for `res` under the current ring: the owner first, then its
    /// replicas (Redis with replication) or the other masters (Redlock).
    pub fn lock_placement(&self, res: &ResKey) -> Vec<NodeIx> {
        let Some(cfg) = self.lock_cfg() else {
            return Vec::new();
        };
        let p = cfg.params();
        let n = match p.recipe {
            Recipe::Redlock => p.masters,
            _ if p.replication != Replication::None => p.replicas,
            _ => 1,
        };
        placement(self.topology().ring(), cfg, *res, n as usize, &|name| {
            self.node_ix(name)
        })
    }

    /// Every lock client that is up, with its state.
    pub fn lock_clients(&self) -> impl Iterator<Item = (NodeIx, &Client)> {
        (0..self.nodes().len() as NodeIx).filter_map(|ix| {
            let up = self.node(ix).is_some_and(|n| n.status == Status::Up);
            self.lock_node(ix)
                .and_then(LockNode::client)
                .filter(|_| up)
                .map(|c| (ix, c))
        })
    }

    /// Clients that believe they hold `res`, with their tokens (more than one is the bug
    /// the `lock_exclusive` invariant reports).
    pub fn lock_holders(&self, res: &ResKey) -> Vec<(NodeIx, u64)> {
        self.lock_clients()
            .filter_map(|(ix, c)| c.holds(res).map(|t| (ix, t)))
            .collect()
    }

    /// Clients waiting for `res`.
    pub fn lock_waiters(&self, res: &ResKey) -> Vec<NodeIx> {
        self.lock_clients()
            .filter(|(_, c)| c.slots().iter().any(|s| s.res == *res && s.waiting()))
            .map(|(ix, _)| ix)
            .collect()
    }

    /// The wait-for graph between transactions, a transaction being a client's job (or
    /// its single `lock_acquire` locks, job None): (waiter, holder, lock) for every
    /// transaction waiting on a lock another one believes it holds. Jobs of one client are
    /// independent, so the graph is over jobs, not clients.
    pub fn lock_wait_for(&self) -> Vec<(Txn, Txn, ResKey)> {
        let mut edges = Vec::new();
        for (ix, c) in self.lock_clients() {
            for s in c.slots().iter().filter(|s| s.waiting()) {
                let me = (ix, s.job);
                for (hix, hc) in self.lock_clients() {
                    for h in hc.slots().iter().filter(|h| h.res == s.res) {
                        let them = (hix, h.job);
                        if h.holds().is_some() && them != me {
                            edges.push((me, them, s.res));
                        }
                    }
                }
            }
        }
        edges
    }

    /// What a Redis-style server knows about `res` (holder, queue, token, version).
    pub fn lock_entry(&self, server: NodeIx, res: &ResKey) -> Option<&Entry> {
        match self.lock_node(server)? {
            LockNode::Kv(s) => s.entries().find(|(r, _)| *r == res).map(|(_, e)| e),
            _ => None,
        }
    }

    /// The sequential nodes a ZooKeeper/etcd server holds under `res`.
    pub fn lock_children(&self, server: NodeIx, res: &ResKey) -> Option<&Children> {
        match self.lock_node(server)? {
            LockNode::Seq(s) => s.locks().find(|(r, _)| *r == res).map(|(_, c)| c),
            _ => None,
        }
    }

    /// The storage node and its cells (None while it is down or not configured).
    pub fn storage(&self) -> Option<(NodeIx, &Storage)> {
        let name = self.lock_cfg()?.storage.as_deref()?;
        let ix = self.node_ix(name)?;
        match self.lock_node(ix)? {
            LockNode::Storage(s) => Some((ix, s)),
            _ => None,
        }
    }

    /// Every resource anyone knows about: configured stock, clients' slots, server tables.
    pub fn lock_resources(&self) -> Vec<ResKey> {
        let mut out: Vec<ResKey> = self
            .lock_cfg()
            .map(|c| c.stock.keys().copied().collect())
            .unwrap_or_default();
        for ix in 0..self.nodes().len() as NodeIx {
            match self.lock_node(ix) {
                Some(LockNode::Client(c)) => out.extend(c.slots().iter().map(|s| s.res)),
                Some(LockNode::Kv(s)) => out.extend(s.entries().map(|(r, _)| *r)),
                Some(LockNode::Seq(s)) => out.extend(s.locks().map(|(r, _)| *r)),
                _ => {}
            }
        }
        // The derived order of names, by two stable passes through the shared sort.
        crate::sim::sort::sort_by_u64(&mut out, |r| r.halves().1);
        crate::sim::sort::sort_dedup_by_u64(&mut out, |r| r.halves().0);
        out
    }
}
