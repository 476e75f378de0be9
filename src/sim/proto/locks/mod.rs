//! Distributed locks as a protocol of the simulated cluster: lock servers placed on the
//! ring, a storage service that may check fencing tokens, and clients running jobs (take
//! locks, read-modify-write a counter, release). Four recipes (Redis `SET NX PX`, Redlock,
//! ZooKeeper, etcd) share the client and differ in servers and messages; each one's failure
//! modes come from the engine's faults, not from special cases. See docs/locks.md.

pub mod cfg;
pub mod check;
mod client;
mod client_kv;
mod client_seq;
pub mod event;
mod kv;
pub mod model;
mod protocol;
mod seq;
mod storage;
#[cfg(test)]
mod tests;
pub mod types;
pub mod view;
pub mod wire;

use std::sync::Arc;

pub use cfg::{LockCfg, Params, Recipe, ReleaseMode, Replication, WatchMode};
pub use client::{Client, Slot, SlotState};
pub use event::{HandoffHow, LockEv, LockStats, LostWhy};
pub use kv::{Entry, KvServer, Waiter};
pub(crate) use protocol::ev;
pub use seq::{Children, SeqServer, Znode};
pub use storage::{Cell, Storage};
pub use types::{LockCmd, Locks};
pub use wire::{Holder, Msg, Rec, ResKey, Timer};

use super::Ctx;
use crate::sim::ids::{NodeIx, Role};
use crate::sim::ring::Ring;

/// Most locks one job takes (in order).
pub const MAX_JOB_LOCKS: usize = 4;

/// A node's lock-protocol role and state.
#[derive(Clone, Debug, PartialEq)]
pub enum LockNode {
    /// A Redis-style lock server (Redis and Redlock recipes).
    Kv(KvServer),
    /// A ZooKeeper/etcd-style coordination server.
    Seq(SeqServer),
    /// The storage service (inventory counters).
    Storage(Storage),
    /// A client running jobs.
    Client(Client),
}

impl LockNode {
    /// Starts the role this node plays under `cfg`, if any (a server that is neither a lock
    /// server nor storage runs nothing).
    pub(crate) fn boot(cfg: &LockCfg, ctx: &mut Ctx<'_>) -> Option<LockNode> {
        let shared = Arc::new(cfg.clone());
        match ctx.role() {
            Role::Client => Some(LockNode::Client(Client::boot(shared))),
            Role::Server => {
                let name = ctx.node_name(ctx.me()).to_string();
                if cfg.storage.as_deref() == Some(name.as_str()) {
                    Some(LockNode::Storage(Storage::boot(&shared, ctx)))
                } else if !is_lock_server(cfg, &name) {
                    None
                } else if cfg.recipe.sequential() {
                    Some(LockNode::Seq(SeqServer::boot(shared, ctx)))
                } else {
                    Some(LockNode::Kv(KvServer::boot(shared, ctx)))
                }
            }
        }
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        match self {
            LockNode::Kv(s) => s.on_message(ctx, from, m),
            LockNode::Seq(s) => s.on_message(ctx, from, m),
            LockNode::Storage(s) => s.on_message(ctx, from, m),
            LockNode::Client(c) => c.on_message(ctx, from, m),
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: Timer) {
        match self {
            LockNode::Kv(s) => s.on_timer(ctx, t),
            LockNode::Seq(s) => s.on_timer(ctx, t),
            LockNode::Storage(_) => {}
            LockNode::Client(c) => c.on_timer(ctx, t),
        }
    }

    /// Rough heap footprint, for snapshot memory reports.
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + match self {
                LockNode::Kv(s) => s.approx_bytes(),
                LockNode::Seq(s) => s.approx_bytes(),
                LockNode::Storage(s) => s.approx_bytes(),
                LockNode::Client(c) => c.approx_bytes(),
            }
    }

    /// The client state, if this node is a lock client.
    pub fn client(&self) -> Option<&Client> {
        match self {
            LockNode::Client(c) => Some(c),
            _ => None,
        }
    }
}

/// Whether the server called `name` holds locks under `cfg`.
pub fn is_lock_server(cfg: &LockCfg, name: &str) -> bool {
    match &cfg.servers {
        Some(list) => list.iter().any(|s| s == name),
        None => Some(name) != cfg.storage.as_deref(),
    }
}

/// The first `n` live lock servers for `res` walking the ring clockwise from its hash
/// (owner first; Redlock's masters are the first `masters`, replicas follow the owner).
/// `ix_of` maps a node name to its world index.
pub fn placement(
    ring: &Ring,
    cfg: &LockCfg,
    res: ResKey,
    n: usize,
    ix_of: &dyn Fn(&str) -> Option<NodeIx>,
) -> Vec<NodeIx> {
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    for id in ring.replicas(res.hash(), ring.live_count()) {
        let Some(info) = ring.node(id) else {
            continue;
        };
        if !is_lock_server(cfg, &info.name) {
            continue;
        }
        if let Some(ix) = ix_of(&info.name) {
            out.push(ix);
            if out.len() == n {
                break;
            }
        }
    }
    out
}

/// [`placement`] as seen from inside a handler.
pub(crate) fn place(ctx: &Ctx<'_>, cfg: &LockCfg, res: ResKey, n: usize) -> Vec<NodeIx> {
    placement(ctx.ring(), cfg, res, n, &|name| ctx.node_ix(name))
}

/// A fresh random non-zero 32-bit id (lock values, session ids, request ids).
pub(crate) fn random_id(ctx: &mut Ctx<'_>) -> u32 {
    ctx.random_below(u32::MAX as u64) as u32 + 1
}

/// Milliseconds from local time `now` until local deadline `at` (0 if already past).
pub(crate) fn until(now: i64, at: i64) -> u64 {
    at.saturating_sub(now).max(0) as u64
}
