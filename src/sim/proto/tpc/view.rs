//! Read-only queries on a world for the 2PC UI and the invariants: each node's log, the
//! phase of each transaction on each node, who is in doubt since when, which locks each
//! transaction holds, the orders with their outcome, and the conservation totals.

use super::shard::{CoordPhase, Phase, Shard};
use super::wire::{TxId, TxRecord};
use super::Tpc;
use super::{TpcCfg, TpcNode};
use crate::sim::ids::ResKey;
use crate::sim::proto::Protocol;
use crate::sim::proto::Record;
use crate::sim::time::Time;
use crate::sim::world::{NodeIx, Role, Status, World};

/// What became of an order, as the participants' outcomes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderOutcome {
    /// No participant has finished it yet.
    Open,
    /// Every participant that finished it committed.
    Committed,
    /// Every participant that finished it aborted.
    Aborted,
    /// Some committed and some aborted: atomicity broken.
    Split,
}

/// Stock, units sold, money on accounts and money paid, summed over the shards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Units in stock.
    pub stock: i64,
    /// Units recorded as sold in order rows.
    pub sold: i64,
    /// Money on accounts.
    pub money: i64,
    /// Money recorded as paid in order rows.
    pub paid: i64,
}

impl World {
    /// The two-phase commit settings, when the scenario enables them.
    pub fn tpc_cfg(&self) -> Option<&TpcCfg> {
        self.protocols().tpc.as_ref()
    }

    /// A server's shard state (None while it is down or without 2PC).
    pub fn tpc_shard(&self, ix: NodeIx) -> Option<&Shard> {
        Tpc::node(self.procs(ix)?).and_then(TpcNode::shard)
    }

    /// A node's log: records on disk (true) then, while it is up, those still in its
    /// volatile buffer (false), which a crash would lose.
    pub fn tpc_log(&self, ix: NodeIx) -> Vec<(TxRecord, bool)> {
        let mut out: Vec<(TxRecord, bool)> = self
            .node(ix)
            .map(|n| {
                n.durable
                    .iter()
                    .filter_map(|r| match r {
                        Record::Tpc(t) => Some((*t, true)),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(s) = self.tpc_shard(ix) {
            out.extend(s.buffered().iter().map(|r| (*r, false)));
        }
        out
    }

    /// Where node `ix` stands on `tx`, in words for the UI: "collecting", "pre-committing",
    /// "deciding" (coordinator), "working", "prepared", "pre-committed", "committed",
    /// "aborted" (participant); None if it knows nothing (or is down).
    pub fn tpc_phase(&self, ix: NodeIx, tx: TxId) -> Option<&'static str> {
        let s = self.tpc_shard(ix)?;
        if let Some(p) = s.parts().get(&tx) {
            return Some(match p.phase {
                Phase::Working => "working",
                Phase::Prepared => "prepared",
                Phase::PreCommitted => "pre-committed",
            });
        }
        if let Some(&d) = s.done().get(&tx) {
            return Some(if d { "committed" } else { "aborted" });
        }
        s.coords().get(&tx).map(|c| match c.phase {
            CoordPhase::Collecting => "collecting",
            CoordPhase::PreCommitting => "pre-committing",
            CoordPhase::Acking(_) => "deciding",
            CoordPhase::Recovering => "recovering",
        })
    }

    /// Every participant in doubt now (voted YES, no outcome; crashed ones included), with
    /// the virtual time it voted: the bars that grow on the affected shards.
    pub fn tpc_in_doubt(&self) -> Vec<(NodeIx, TxId, Time)> {
        self.tpc_stats()
            .in_doubt()
            .map(|((n, tx), t)| (n, tx, t))
            .collect()
    }

    /// The locks `tx` holds, by shard.
    pub fn tpc_locks_of(&self, tx: TxId) -> Vec<(NodeIx, ResKey)> {
        let mut out = Vec::new();
        for ix in 0..self.nodes().len() as NodeIx {
            if let Some(s) = self.tpc_shard(ix) {
                out.extend(
                    s.locks()
                        .iter()
                        .filter(|(_, t)| **t == tx)
                        .map(|(k, _)| (ix, *k)),
                );
            }
        }
        out
    }

    /// What became of order `tx` so far.
    pub fn tpc_outcome(&self, tx: TxId) -> OrderOutcome {
        match self.tpc_stats().outcomes(tx) {
            Some(o) if !o.committed.is_empty() && !o.aborted.is_empty() => OrderOutcome::Split,
            Some(o) if !o.committed.is_empty() => OrderOutcome::Committed,
            Some(o) if !o.aborted.is_empty() => OrderOutcome::Aborted,
            _ => OrderOutcome::Open,
        }
    }

    /// Conservation totals over every shard, when they are meaningful: every server up
    /// and none holding a transaction in doubt (otherwise None).
    pub fn tpc_totals(&self) -> Option<Totals> {
        self.tpc_cfg()?;
        let mut t = Totals::default();
        for (ix, n) in self.nodes().iter().enumerate() {
            if n.role != Role::Server {
                continue;
            }
            if n.status != Status::Up {
                return None;
            }
            let s = self.tpc_shard(ix as NodeIx)?;
            if s.parts().values().any(|p| p.in_doubt()) {
                return None;
            }
            for (k, v) in s.rows().iter() {
                if k.as_str().starts_with("sku:") {
                    t.stock += v;
                } else {
                    t.money += v;
                }
            }
            for (units, amount) in s.sales().values() {
                t.sold += units;
                t.paid += amount;
            }
        }
        Some(t)
    }
}
