//! Commit-protocol events: what the UI draws (votes, decisions, logs growing, bars of
//! time in doubt) and what the invariants and counters read. They flatten into the trace
//! as ordinary kinds (`tpc_vote`, `tpc_decide`, `order_done`, …).

use serde::{Deserialize, Serialize};

use super::vecmap::VecMap;
use super::wire::{Known, RecKind, TxId};
use crate::sim::ids::NodeIx;
use crate::sim::time::Time;

/// Why a participant voted NO.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoWhy {
    /// Another transaction holds a lock on one of its keys (no-wait locking).
    LockBusy,
    /// Not enough stock for a line.
    OutOfStock,
    /// Not enough money on the account.
    NoFunds,
    /// The payment provider refused the order.
    PaymentFailed,
    /// This shard holds no row for a key (it took the key over after BEGIN's routing, or
    /// after the data was placed: rows do not move with the ring).
    NoRow,
    /// It had already aborted the transaction (PREPARE came too late).
    AlreadyAborted,
}

/// How a decision was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// Every vote was YES (3PC: and the pre-commit round ended).
    Votes,
    /// A participant voted NO.
    NoVote,
    /// Votes (or pre-commit acks) did not all arrive in time.
    Timeout,
    /// The coordinator restarted and settled what its log left open.
    Recovery,
    /// An in-doubt 3PC participant decided with the peers it could reach.
    Termination,
    /// Asked while still collecting votes, the 3PC coordinator aborts rather than block.
    Asked,
}

/// Why a participant ended a transaction the way it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// It applied a decision it was told (by the coordinator, a peer or a terminator).
    Told,
    /// It voted NO.
    VotedNo,
    /// PREPARE never came (or a peer asked first): it aborted before voting.
    Unilateral,
    /// UNSAFE: it decided alone while in doubt.
    Heuristic,
    /// 3PC: it decided itself as terminator.
    Terminated,
}

/// Events of two-phase commit (`node` of the event is where it happened).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TpcEv {
    /// Client: submitted order `tx` to coordinator `coord`; `shards` participants.
    OrderSubmit {
        tx: TxId,
        coord: NodeIx,
        shards: u32,
        amount: i64,
    },
    /// Coordinator: sent PREPARE to every participant.
    TpcBegin { tx: TxId },
    /// A node appended a record to its log (`forced`: synchronously).
    TpcLog {
        tx: TxId,
        #[serde(flatten)]
        rec: RecKind,
        forced: bool,
    },
    /// Participant: voted (`why` when NO). A YES vote starts its time in doubt.
    TpcVote {
        tx: TxId,
        yes: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<NoWhy>,
    },
    /// Coordinator or 3PC terminator decided (`logged`: the decision record is forced
    /// first; presumed abort writes no abort record).
    TpcDecide {
        tx: TxId,
        commit: bool,
        by: DecidedBy,
        logged: bool,
    },
    /// 3PC participant: PRE-COMMIT logged.
    TpcPrecommit { tx: TxId },
    /// Participant: committed (applied its lines, released its locks).
    TpcCommit { tx: TxId, how: How },
    /// Participant: aborted (released its locks).
    TpcAbort { tx: TxId, how: How },
    /// Participant: told an outcome contrary to the one it applied (heuristic damage).
    TpcMismatch { tx: TxId, applied: bool, told: bool },
    /// Coordinator: every needed ack arrived; end record written.
    TpcEnd { tx: TxId },
    /// A restarted node found `tx` open in its log: `known` is where it stands.
    TpcRecover {
        tx: TxId,
        known: Known,
        coordinator: bool,
    },
    /// Client: learnt the outcome of its order.
    OrderDone { tx: TxId, commit: bool },
}

impl TpcEv {
    /// The stable `kind` string.
    pub fn kind(&self) -> &'static str {
        match self {
            TpcEv::OrderSubmit { .. } => "order_submit",
            TpcEv::TpcBegin { .. } => "tpc_begin",
            TpcEv::TpcLog { .. } => "tpc_log",
            TpcEv::TpcVote { .. } => "tpc_vote",
            TpcEv::TpcDecide { .. } => "tpc_decide",
            TpcEv::TpcPrecommit { .. } => "tpc_precommit",
            TpcEv::TpcCommit { .. } => "tpc_commit",
            TpcEv::TpcAbort { .. } => "tpc_abort",
            TpcEv::TpcMismatch { .. } => "tpc_mismatch",
            TpcEv::TpcEnd { .. } => "tpc_end",
            TpcEv::TpcRecover { .. } => "tpc_recover",
            TpcEv::OrderDone { .. } => "order_done",
        }
    }

    /// The transaction the event is about.
    pub fn tx(&self) -> TxId {
        match *self {
            TpcEv::OrderSubmit { tx, .. }
            | TpcEv::TpcBegin { tx }
            | TpcEv::TpcLog { tx, .. }
            | TpcEv::TpcVote { tx, .. }
            | TpcEv::TpcDecide { tx, .. }
            | TpcEv::TpcPrecommit { tx }
            | TpcEv::TpcCommit { tx, .. }
            | TpcEv::TpcAbort { tx, .. }
            | TpcEv::TpcMismatch { tx, .. }
            | TpcEv::TpcEnd { tx }
            | TpcEv::TpcRecover { tx, .. }
            | TpcEv::OrderDone { tx, .. } => tx,
        }
    }

    /// The event in words (`at` is the node's name, `name` maps indices to names).
    pub fn describe(&self, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
        let word = |c: bool| if c { "COMMIT" } else { "ABORT" };
        match self {
            TpcEv::OrderSubmit {
                tx,
                coord,
                shards,
                amount,
            } => format!(
                "client {at} submits order T{tx} ({amount}) to coordinator {} across {shards} shards",
                name(*coord)
            ),
            TpcEv::TpcBegin { tx } => format!("coordinator {at} sends PREPARE for T{tx}"),
            TpcEv::TpcLog { tx, rec, forced } => format!(
                "{at} {} \"{}\" for T{tx} to its log",
                if *forced { "forces" } else { "appends" },
                rec.label()
            ),
            TpcEv::TpcVote { tx, yes, why } => match why {
                Some(w) if !yes => format!("{at} votes NO on T{tx}: {w:?}"),
                _ if *yes => format!("{at} votes YES on T{tx} and is now in doubt, holding its locks"),
                _ => format!("{at} votes NO on T{tx}"),
            },
            TpcEv::TpcDecide {
                tx,
                commit,
                by,
                logged,
            } => format!(
                "{at} decides {} for T{tx} ({by:?}){}",
                word(*commit),
                if *logged { "; the decision is logged" } else { " and logs nothing (presumed abort)" }
            ),
            TpcEv::TpcPrecommit { tx } => format!("{at} is pre-committed on T{tx}"),
            TpcEv::TpcCommit { tx, how } => format!("{at} commits T{tx} ({how:?}) and releases its locks"),
            TpcEv::TpcAbort { tx, how } => format!("{at} aborts T{tx} ({how:?}) and releases its locks"),
            TpcEv::TpcMismatch { tx, applied, told } => format!(
                "{at} is told {} for T{tx} but already applied {}: heuristic damage",
                word(*told),
                word(*applied)
            ),
            TpcEv::TpcEnd { tx } => format!("coordinator {at} has every ack for T{tx}: end"),
            TpcEv::TpcRecover {
                tx,
                known,
                coordinator,
            } => format!(
                "{at} restarts and finds T{tx} {known:?} in its log{}",
                if *coordinator { " (as coordinator)" } else { "" }
            ),
            TpcEv::OrderDone { tx, commit } => format!(
                "client {at} learns that order T{tx} {}",
                if *commit { "committed" } else { "aborted" }
            ),
        }
    }
}

/// Participants' outcomes of one transaction (for atomicity), kept as events happen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Participants that committed.
    pub committed: Vec<NodeIx>,
    /// Participants that aborted.
    pub aborted: Vec<NodeIx>,
    /// Decisions logged so far (commit, abort) by anyone.
    pub decided: (bool, bool),
}

/// Counters of one run, kept by the world as events happen (so snapshots carry them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TpcStats {
    /// Orders submitted.
    pub orders: u64,
    /// Transactions decided COMMIT (first decision of each).
    pub committed: u64,
    /// Transactions decided ABORT (first decision of each).
    pub aborted: u64,
    /// Messages of the protocol sent (client's BEGIN/work and DONE included).
    pub messages: u64,
    /// Forced (synchronous) log writes.
    pub forced_writes: u64,
    /// Lazy log writes.
    pub lazy_writes: u64,
    /// Total participant time in doubt (YES vote → outcome), virtual ms.
    pub in_doubt_ms: u64,
    /// Longest single stay in doubt, virtual ms.
    pub max_in_doubt_ms: u64,
    /// Heuristic decisions taken.
    pub heuristic: u64,
    /// Virtual time of the last first-decision.
    pub last_decision_at: Time,
    #[serde(skip)]
    per_tx: VecMap<TxId, Outcomes>,
    #[serde(skip)]
    doubt_since: VecMap<(NodeIx, TxId), Time>,
}

impl TpcStats {
    /// Counts one event that happened on `node` at virtual time `now`.
    pub(crate) fn observe(&mut self, node: NodeIx, now: Time, ev: &TpcEv) {
        match *ev {
            TpcEv::OrderSubmit { .. } => self.orders += 1,
            TpcEv::TpcLog { forced, .. } => {
                if forced {
                    self.forced_writes += 1;
                } else {
                    self.lazy_writes += 1;
                }
            }
            TpcEv::TpcVote { tx, yes: true, .. } => {
                self.doubt_since.get_or_insert_with((node, tx), || now);
            }
            TpcEv::TpcRecover {
                tx,
                known: Known::Prepared | Known::PreCommitted,
                coordinator: false,
            } => {
                self.doubt_since.get_or_insert_with((node, tx), || now);
            }
            TpcEv::TpcDecide { tx, commit, .. } => {
                let o = self.per_tx.get_or_insert_with(tx, Outcomes::default);
                if o.decided == (false, false) {
                    if commit {
                        self.committed += 1;
                    } else {
                        self.aborted += 1;
                    }
                    self.last_decision_at = now;
                }
                if commit {
                    o.decided.0 = true;
                } else {
                    o.decided.1 = true;
                }
            }
            TpcEv::TpcCommit { tx, how } | TpcEv::TpcAbort { tx, how } => {
                let commit = matches!(ev, TpcEv::TpcCommit { .. });
                self.heuristic += u64::from(how == How::Heuristic);
                if let Some(t) = self.doubt_since.remove(&(node, tx)) {
                    let d = now.saturating_sub(t);
                    self.in_doubt_ms += d;
                    self.max_in_doubt_ms = self.max_in_doubt_ms.max(d);
                }
                let o = self.per_tx.get_or_insert_with(tx, Outcomes::default);
                let list = if commit {
                    &mut o.committed
                } else {
                    &mut o.aborted
                };
                if !list.contains(&node) {
                    list.push(node);
                }
            }
            _ => {}
        }
    }

    /// Counts one protocol message sent.
    pub(crate) fn sent(&mut self) {
        self.messages += 1;
    }

    /// What is known of `tx` so far: participants' outcomes and logged decisions.
    pub fn outcomes(&self, tx: TxId) -> Option<&Outcomes> {
        self.per_tx.get(&tx)
    }

    /// Virtual time at which `node` started being in doubt about `tx`, if it still is.
    pub fn in_doubt_since(&self, node: NodeIx, tx: TxId) -> Option<Time> {
        self.doubt_since.get(&(node, tx)).copied()
    }

    /// Every (participant, tx) in doubt now, with the virtual time it started.
    pub fn in_doubt(&self) -> impl Iterator<Item = ((NodeIx, TxId), Time)> + '_ {
        self.doubt_since.iter().map(|(k, v)| (*k, *v))
    }

    /// Committed orders per second of virtual time over `span_ms`.
    pub fn throughput(&self, span_ms: Time) -> f64 {
        if span_ms == 0 {
            return 0.0;
        }
        self.committed as f64 * 1000.0 / span_ms as f64
    }
}
