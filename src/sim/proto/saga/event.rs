//! Saga events (what the canvas rows, the counters and the invariants read) and the run's
//! world-wide book: each order's saga, the money and stock ledger, and the counters of the
//! run summary. They flatten into the trace as `saga_*` kinds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cfg::{FailAt, SagaCfg};
use super::wire::{Effect, Kind, Note, Pos, Step};
use crate::sim::ids::NodeIx;
use crate::sim::time::Time;

/// Events of the saga (`node` of the event is where it happened).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SagaEv {
    /// Coordinator (or, choreographed, the order's shard): order `order` is placed.
    SagaStart { order: u32, sku: u32, acct: u32 },
    /// Coordinator: it logged the saga's new position and asks for that step.
    SagaStep { order: u32, at: Pos },
    /// A service committed a local transaction for `note` (a command), answering `answer`;
    /// `again` when a naive consumer processed a note it had processed before.
    SagaTxn {
        note: Note,
        answer: Kind,
        effect: Effect,
        again: bool,
    },
    /// A consumer got a note it had already processed and ignored it (its inbox had it).
    SagaDuplicate { note: Note },
    /// Order `order` waits `ms` before trying `step` again (`undo`: a compensation).
    SagaRetry {
        order: u32,
        step: Step,
        undo: bool,
        attempt: u16,
        ms: u64,
    },
    /// The saga of `order` ended: `completed`, or every committed step compensated.
    SagaEnd {
        order: u32,
        completed: bool,
        ms: u64,
    },
    /// Coordinator recovered order `order` from its saga log at `at`.
    SagaRecover { order: u32, at: Pos },
    /// Inventory: order `order` read SKU `sku` while order `writer` held units of it
    /// pending (no semantic lock): if `writer` is compensated, this was a dirty read.
    SagaRead {
        order: u32,
        sku: u32,
        writer: u32,
        stock: i64,
    },
    /// Inventory: `writer` released the units `order` had read around: a dirty read.
    SagaDirtyRead { order: u32, writer: u32 },
    /// The outbox relay crashed after publishing row `seq`, before marking it.
    SagaRelayCrash { seq: u32 },
    /// The outbox relay published row `seq` again (it was not marked).
    SagaRepublish { seq: u32, note: Note },
    /// The message log acknowledged `note` as its record `id` to the publishing node; `dup`
    /// when the log already had that note (a republish).
    SagaAppend { id: u32, note: Note, dup: bool },
}

impl SagaEv {
    /// The stable `kind` string.
    pub fn kind(&self) -> &'static str {
        match self {
            SagaEv::SagaStart { .. } => "saga_start",
            SagaEv::SagaStep { .. } => "saga_step",
            SagaEv::SagaTxn { .. } => "saga_txn",
            SagaEv::SagaDuplicate { .. } => "saga_duplicate",
            SagaEv::SagaRetry { .. } => "saga_retry",
            SagaEv::SagaEnd { .. } => "saga_end",
            SagaEv::SagaRecover { .. } => "saga_recover",
            SagaEv::SagaRead { .. } => "saga_read",
            SagaEv::SagaDirtyRead { .. } => "saga_dirty_read",
            SagaEv::SagaRelayCrash { .. } => "saga_relay_crash",
            SagaEv::SagaRepublish { .. } => "saga_republish",
            SagaEv::SagaAppend { .. } => "saga_append",
        }
    }

    /// The event in words; `at` is the node it happened on.
    pub fn describe(&self, at: &str) -> String {
        match self {
            SagaEv::SagaStart { order, sku, acct } => {
                format!("{at}: order #{order} placed (sku:{sku}, account:{acct}); its saga starts")
            }
            SagaEv::SagaStep { order, at: pos } => {
                format!("{at}: saga #{order} logs {}", pos_words(pos))
            }
            SagaEv::SagaTxn {
                note,
                answer,
                again,
                ..
            } => {
                let twice = if *again {
                    " AGAIN (naive consumer: a duplicate applied)"
                } else {
                    ""
                };
                format!(
                    "{at}: {} → {}{twice}",
                    note.label(),
                    Note {
                        kind: *answer,
                        ..*note
                    }
                    .label()
                )
            }
            SagaEv::SagaDuplicate { note } => {
                format!("{at}: duplicate {} absorbed by the inbox", note.label())
            }
            SagaEv::SagaRetry {
                order,
                step,
                undo,
                attempt,
                ms,
            } => {
                let what = if *undo {
                    step.undo_name().unwrap_or("undo")
                } else {
                    step.name()
                };
                format!(
                    "{at}: saga #{order} retries {what} in {ms} ms (try {})",
                    attempt + 1
                )
            }
            SagaEv::SagaEnd {
                order,
                completed,
                ms,
            } => {
                let how = if *completed {
                    "completed"
                } else {
                    "compensated"
                };
                format!("{at}: saga #{order} {how} after {ms} ms")
            }
            SagaEv::SagaRecover { order, at: pos } => {
                format!("{at}: recovered saga #{order} from its log at {}", pos_words(pos))
            }
            SagaEv::SagaRead {
                order,
                sku,
                writer,
                stock,
            } => format!(
                "{at}: order #{order} reads sku:{sku} = {stock} while saga #{writer} holds units of it pending"
            ),
            SagaEv::SagaDirtyRead { order, writer } => format!(
                "{at}: saga #{writer} gives its units back: order #{order} had read around them (dirty read)"
            ),
            SagaEv::SagaRelayCrash { seq } => {
                format!("{at}: the outbox relay crashes after publishing row {seq}, before marking it")
            }
            SagaEv::SagaRepublish { seq, note } => {
                format!("{at}: the relay publishes row {seq} ({}) again", note.label())
            }
            SagaEv::SagaAppend { id, note, dup } => {
                let d = if *dup { " AGAIN (a duplicate)" } else { "" };
                format!("{at}: the log has {} as record m{id}{d}", note.label())
            }
        }
    }
}

/// A position in words.
pub fn pos_words(p: &Pos) -> String {
    match p {
        Pos::Completed => "completed".into(),
        Pos::Compensated => "compensated".into(),
        Pos::Step {
            step,
            undo,
            attempt,
            wait,
        } => {
            let what = if *undo {
                step.undo_name().unwrap_or("undo")
            } else {
                step.name()
            };
            let w = if *wait { "waiting to retry " } else { "" };
            format!("{w}{what} (try {})", attempt + 1)
        }
    }
}

/// How one step of one saga stands, for the rows under the canvas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Not reached.
    #[default]
    Idle,
    /// Asked, not answered.
    Running,
    /// Committed.
    Done,
    /// Refused or failed.
    Failed,
    /// Its compensation is running.
    Compensating,
    /// Compensated.
    Compensated,
}

/// One order's saga as the world sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SagaRow {
    /// When it started (virtual ms).
    pub started: Option<Time>,
    /// When it ended and whether it completed.
    pub ended: Option<(Time, bool)>,
    /// Each step's state.
    pub marks: [Mark; 4],
    /// Retries of this saga's compensations.
    pub comp_retries: u32,
    /// When its reservation was taken (while it holds units).
    pub reserved_at: Option<Time>,
}

/// World-wide saga state: placement, the ledger the invariants judge, the book of sagas,
/// the injected failures still to fire and the counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SagaShared {
    /// Shard of each SKU.
    pub sku_home: Vec<NodeIx>,
    /// Shard of each account.
    pub acct_home: Vec<NodeIx>,
    /// Shard of each order's shipment row.
    pub order_home: Vec<NodeIx>,
    /// The message-log partition each node consumes its notes from (by node index; `None`
    /// for a node that is not one of the log's consumers).
    pub part_of: Vec<Option<u32>>,
    /// Notes the log has acknowledged (to flag a republished one).
    pub logged: std::collections::BTreeSet<Note>,
    /// The orchestrator (orchestrated mode).
    pub orch: Option<NodeIx>,
    /// Units left per SKU (the committed rows, summed over shards).
    pub stock: Vec<i64>,
    /// Balance per account.
    pub balance: Vec<i64>,
    /// Net amount charged per order (charges − refunds).
    pub charged: Vec<i64>,
    /// Charges applied per order (a double charge makes it 2).
    pub charges: Vec<u32>,
    /// Units held per order (reserved, not released).
    pub held: Vec<i64>,
    /// Orders with a shipment.
    pub shipped: Vec<bool>,
    /// Each order's saga.
    pub book: Vec<SagaRow>,
    /// Tries still to fail, per (order, where).
    pub fail_left: BTreeMap<(u32, u8), u32>,
    /// Relays armed to crash after their next publish (of a note about that step, if one
    /// is named).
    pub relay_armed: Vec<(NodeIx, Option<Step>)>,
    /// Reads around a pending reservation: (reader, writer).
    pub reads: Vec<(u32, u32)>,
    /// The run's counters.
    pub stats: SagaStats,
}

/// The run summary's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SagaStats {
    /// Sagas started.
    pub sagas: u32,
    /// Sagas completed.
    pub completed: u32,
    /// Sagas fully compensated.
    pub compensated: u32,
    /// Compensation tries that failed and were retried.
    pub compensation_retries: u32,
    /// Forward retries (after the pivot, and semantic-lock waits).
    pub forward_retries: u32,
    /// Charges applied to an order already charged (or already compensated).
    pub double_charges: u32,
    /// Reads around a reservation that was then compensated.
    pub dirty_reads: u32,
    /// Notes appended to the log.
    pub appended: u32,
    /// Notes the log already had, appended again.
    pub duplicate_appends: u32,
    /// Duplicates a consumer's inbox absorbed.
    pub duplicates_absorbed: u32,
    /// Duplicates a naive consumer applied.
    pub duplicates_applied: u32,
    /// Relay crashes.
    pub relay_crashes: u32,
    /// Semantic-lock waits (a reservation found its row pending).
    pub busy: u32,
    /// Sum of start-to-end times of ended sagas (ms).
    pub decision_ms_sum: u64,
    /// Longest start-to-end time (ms).
    pub decision_ms_max: u64,
    /// Sum of the time units stayed reserved (pending), reserve to confirm or release (ms).
    pub reserved_ms_sum: u64,
    /// When the last saga ended.
    pub last_end: Time,
}

impl SagaShared {
    /// Fresh ledger and book for `cfg`.
    pub fn new(cfg: &SagaCfg) -> SagaShared {
        let n = cfg.orders as usize;
        let mut fail_left = BTreeMap::new();
        for f in &cfg.failures {
            *fail_left.entry((f.order, f.step as u8)).or_insert(0) += f.times;
        }
        SagaShared {
            stock: vec![cfg.stock as i64; cfg.skus as usize],
            balance: vec![cfg.balance as i64; cfg.accounts as usize],
            charged: vec![0; n],
            charges: vec![0; n],
            held: vec![0; n],
            shipped: vec![false; n],
            book: vec![SagaRow::default(); n],
            fail_left,
            ..SagaShared::default()
        }
    }

    /// Whether every saga that started has ended.
    pub fn all_settled(&self) -> bool {
        self.book
            .iter()
            .all(|r| r.started.is_none() || r.ended.is_some())
    }

    /// Takes one injected failure for (order, where), if any is left.
    pub fn take_failure(&mut self, order: u32, at: FailAt) -> bool {
        match self.fail_left.get_mut(&(order, at as u8)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    fn mark(&mut self, order: u32, step: Step, m: Mark) {
        if let Some(r) = self.book.get_mut(order as usize) {
            r.marks[step.index()] = m;
        }
    }

    /// Counts one event.
    pub fn observe(&mut self, t: Time, e: &SagaEv) {
        match e {
            SagaEv::SagaStart { order, .. } => {
                self.stats.sagas += 1;
                if let Some(r) = self.book.get_mut(*order as usize) {
                    r.started = Some(t);
                }
            }
            SagaEv::SagaStep { order, at } => {
                if let Pos::Step { step, undo, .. } = at {
                    let m = if *undo {
                        Mark::Compensating
                    } else {
                        Mark::Running
                    };
                    self.mark(*order, *step, m);
                }
            }
            SagaEv::SagaTxn {
                note,
                answer,
                effect,
                again,
            } => {
                if *again {
                    self.stats.duplicates_applied += 1;
                }
                self.apply(t, note.order, effect);
                let m = match answer {
                    Kind::Done => Some(Mark::Done),
                    Kind::Failed => Some(Mark::Failed),
                    Kind::Undone => Some(Mark::Compensated),
                    _ => None,
                };
                if let Some(m) = m {
                    self.mark(note.order, note.step, m);
                }
                if *answer == Kind::Busy {
                    self.stats.busy += 1;
                }
            }
            SagaEv::SagaDuplicate { .. } => self.stats.duplicates_absorbed += 1,
            SagaEv::SagaRetry { order, undo, .. } => {
                if *undo {
                    self.stats.compensation_retries += 1;
                    if let Some(r) = self.book.get_mut(*order as usize) {
                        r.comp_retries += 1;
                    }
                } else {
                    self.stats.forward_retries += 1;
                }
            }
            SagaEv::SagaEnd {
                order,
                completed,
                ms,
            } => {
                if let Some(r) = self.book.get_mut(*order as usize) {
                    if r.ended.is_none() {
                        if *completed {
                            self.stats.completed += 1;
                        } else {
                            self.stats.compensated += 1;
                        }
                        self.stats.decision_ms_sum += ms;
                        self.stats.decision_ms_max = self.stats.decision_ms_max.max(*ms);
                        self.stats.last_end = self.stats.last_end.max(t);
                    }
                    r.ended = Some((t, *completed));
                }
            }
            SagaEv::SagaRead { order, writer, .. } => self.reads.push((*order, *writer)),
            SagaEv::SagaDirtyRead { order, writer } => {
                self.stats.dirty_reads += 1;
                self.reads.retain(|p| *p != (*order, *writer));
            }
            SagaEv::SagaRelayCrash { .. } => self.stats.relay_crashes += 1,
            SagaEv::SagaAppend { dup, .. } => {
                self.stats.appended += 1;
                if *dup {
                    self.stats.duplicate_appends += 1;
                }
            }
            SagaEv::SagaRecover { .. } | SagaEv::SagaRepublish { .. } => {}
        }
    }

    fn apply(&mut self, t: Time, order: u32, e: &Effect) {
        let o = order as usize;
        let release_hold = |s: &mut SagaShared| {
            if let Some(at) = s.book.get_mut(o).and_then(|r| r.reserved_at.take()) {
                s.stats.reserved_ms_sum += t.saturating_sub(at);
            }
        };
        match *e {
            Effect::Reserve { sku, units, .. } => {
                if let Some(s) = self.stock.get_mut(sku as usize) {
                    *s -= units;
                }
                if let Some(h) = self.held.get_mut(o) {
                    *h += units;
                }
                if let Some(r) = self.book.get_mut(o) {
                    r.reserved_at.get_or_insert(t);
                }
            }
            Effect::Release { sku, units, .. } => {
                if let Some(s) = self.stock.get_mut(sku as usize) {
                    *s += units;
                }
                if let Some(h) = self.held.get_mut(o) {
                    *h -= units;
                }
                release_hold(self);
            }
            Effect::Confirm { order, .. } => {
                // A confirmed reservation is no longer uncommitted: reads of it were clean.
                self.reads.retain(|(_, w)| *w != order);
                release_hold(self);
            }
            Effect::Charge { acct, amount, .. } => {
                if let Some(b) = self.balance.get_mut(acct as usize) {
                    *b -= amount;
                }
                let already = self.charged.get(o).copied().unwrap_or(0) > 0
                    || self
                        .book
                        .get(o)
                        .is_some_and(|r| r.ended.is_some_and(|(_, c)| !c));
                if already {
                    self.stats.double_charges += 1;
                }
                if let Some(c) = self.charged.get_mut(o) {
                    *c += amount;
                }
                if let Some(c) = self.charges.get_mut(o) {
                    *c += 1;
                }
            }
            Effect::Refund { acct, amount, .. } => {
                if let Some(b) = self.balance.get_mut(acct as usize) {
                    *b += amount;
                }
                if let Some(c) = self.charged.get_mut(o) {
                    *c -= amount;
                }
            }
            Effect::Ship { .. } => {
                if let Some(s) = self.shipped.get_mut(o) {
                    *s = true;
                }
            }
            Effect::Nothing | Effect::Log { .. } => {}
        }
    }
}
