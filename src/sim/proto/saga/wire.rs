//! What the saga puts on the wire, in its timers and in durable logs. Every message on the
//! log is a [`Note`]: an order number, a step, what is asked or answered, and the attempt.
//! A note is its own id: the relay's republish and the log's redelivery carry the same
//! note, which is what an idempotent consumer's inbox remembers. On the message log a note
//! travels as its code ([`Note::code`]), the record's body.

use serde::{Deserialize, Serialize};

use crate::sim::proto::log::wire::MqUp;

/// A step of the checkout saga, in forward order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Inventory: take the units off the SKU's row and flag it `pending` (compensation:
    /// release them).
    Reserve,
    /// Payment: take the amount off the account (compensation: refund it).
    Charge,
    /// Shipping: create the shipment. The pivot: once it commits the saga only goes forward;
    /// if it cannot be created the saga compensates.
    Ship,
    /// Inventory: the reservation becomes final and its `pending` flag is cleared. After the
    /// pivot, so it is retried until it succeeds, never compensated.
    Confirm,
}

impl Step {
    /// Every step, in forward order.
    pub const ALL: [Step; 4] = [Step::Reserve, Step::Charge, Step::Ship, Step::Confirm];

    /// The step's name in scenarios and the trace.
    pub fn name(self) -> &'static str {
        match self {
            Step::Reserve => "reserve",
            Step::Charge => "charge",
            Step::Ship => "ship",
            Step::Confirm => "confirm",
        }
    }

    /// The name of its compensation, if it has one.
    pub fn undo_name(self) -> Option<&'static str> {
        match self {
            Step::Reserve => Some("release"),
            Step::Charge => Some("refund"),
            Step::Ship | Step::Confirm => None,
        }
    }

    /// Position in [`Step::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The step after this one.
    pub fn next(self) -> Option<Step> {
        Step::ALL.get(self.index() + 1).copied()
    }

    /// Whether the saga still compensates when this step fails (the pivot and before).
    pub fn before_pivot(self) -> bool {
        self <= Step::Ship
    }

    /// The nearest step before this one that has a compensation.
    pub fn prev_compensable(self) -> Option<Step> {
        Step::ALL[..self.index()]
            .iter()
            .rev()
            .copied()
            .find(|s| s.undo_name().is_some())
    }
}

/// What a note asks or answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A command: run the step.
    Do,
    /// A command: run the step's compensation.
    Undo,
    /// The step committed.
    Done,
    /// The step refused (out of stock, card declined, no carrier) or failed for now.
    Failed,
    /// The row is flagged `pending` by another saga (semantic lock): try again later.
    Busy,
    /// The compensation committed.
    Undone,
    /// The compensation failed this time (it is retried).
    UndoFailed,
}

impl Kind {
    /// Whether a service consumes it (a command) rather than the saga's coordinator.
    pub fn is_command(self) -> bool {
        matches!(self, Kind::Do | Kind::Undo)
    }

    /// The kind's name in the trace.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Do => "do",
            Kind::Undo => "undo",
            Kind::Done => "done",
            Kind::Failed => "failed",
            Kind::Busy => "busy",
            Kind::Undone => "undone",
            Kind::UndoFailed => "undo_failed",
        }
    }
}

/// One message on the log, and its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Note {
    /// The order (saga) number.
    pub order: u32,
    /// The step it is about.
    pub step: Step,
    /// Command or answer.
    pub kind: Kind,
    /// Which try of this step (retries are new notes; duplicates are the same note).
    pub attempt: u16,
}

impl Note {
    /// Short label ("charge #2", "refund failed #0").
    pub fn label(&self) -> String {
        let what = match self.kind {
            Kind::Do => self.step.name().to_string(),
            Kind::Undo => self.step.undo_name().unwrap_or("undo").to_string(),
            Kind::Done => format!("{} ok", self.step.name()),
            Kind::Failed => format!("{} failed", self.step.name()),
            Kind::Busy => format!("{} busy", self.step.name()),
            Kind::Undone => format!("{} ok", self.step.undo_name().unwrap_or("undo")),
            Kind::UndoFailed => format!("{} failed", self.step.undo_name().unwrap_or("undo")),
        };
        if self.attempt > 0 {
            format!("{what} #{} (try {})", self.order, self.attempt + 1)
        } else {
            format!("{what} #{}", self.order)
        }
    }
}

impl Note {
    /// The note as a log record's body: order (11 bits), step (2), kind (3), attempt (16).
    pub fn code(&self) -> u32 {
        (self.order & 0x7ff) << 21
            | (self.step as u32) << 19
            | (self.kind as u32) << 16
            | u32::from(self.attempt)
    }

    /// The note a record's body encodes ([`Note::code`]), if it is one.
    pub fn decode(c: u32) -> Option<Note> {
        const KINDS: [Kind; 7] = [
            Kind::Do,
            Kind::Undo,
            Kind::Done,
            Kind::Failed,
            Kind::Busy,
            Kind::Undone,
            Kind::UndoFailed,
        ];
        Some(Note {
            order: c >> 21,
            step: Step::ALL[(c >> 19 & 3) as usize],
            kind: *KINDS.get((c >> 16 & 7) as usize)?,
            attempt: (c & 0xffff) as u16,
        })
    }
}

/// The saga's one message: what the message log's client on the same node hands back
/// (`Ctx::local`): an acknowledgement of a published note, a give-up, or a note consumed.
/// The saga puts nothing on the wire itself; the log's messages carry its notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// From the log's client on this node.
    Log(MqUp),
}

impl Msg {
    /// Short label.
    pub fn label(&self) -> String {
        let Msg::Log(up) = self;
        let (what, id, body) = match *up {
            MqUp::Acked { id, body } => ("acked", id, body),
            MqUp::Failed { id, body } => ("not published", id, body),
            MqUp::Record { id, body, .. } => ("consumed", id, body),
        };
        let note = Note::decode(body).map_or_else(|| "?".to_string(), |n| n.label());
        format!("{note} {what} (m{id})")
    }
}

/// What the saga's timers are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "timer", rename_all = "snake_case")]
pub enum Timer {
    /// The shop places order `order` (the coordinator starts its saga).
    Start { order: u32 },
    /// The outbox relay polls for rows to publish.
    Relay,
    /// Order `order` tries its current step again.
    Retry { order: u32 },
    /// A dual write: the row is committed, the message goes out now (lost if the node
    /// crashed in between).
    DualWrite { note: Note },
}

impl Timer {
    /// Short label.
    pub fn label(&self) -> &'static str {
        match self {
            Timer::Start { .. } => "saga start",
            Timer::Relay => "outbox relay",
            Timer::Retry { .. } => "saga retry",
            Timer::DualWrite { .. } => "dual write",
        }
    }
}

/// What one local transaction changed in a service's rows (or in the coordinator's log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Effect {
    /// Nothing (a refusal, a busy answer, a failed compensation): only the inbox row and the
    /// answer.
    Nothing,
    /// Units off the SKU, flagged pending for the order.
    Reserve { sku: u32, order: u32, units: i64 },
    /// The order's pending units back on the SKU.
    Release { sku: u32, order: u32, units: i64 },
    /// The order's pending flag cleared (the units are sold).
    Confirm { sku: u32, order: u32 },
    /// The amount off the account, for the order.
    Charge { acct: u32, order: u32, amount: i64 },
    /// The order's charge given back.
    Refund { acct: u32, order: u32, amount: i64 },
    /// A shipment for the order.
    Ship { order: u32 },
    /// The coordinator's saga log: order `order` is now at `at`.
    Log { order: u32, at: Pos },
}

/// Where a saga stands, as its coordinator logs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Pos {
    /// Running `step` forward (`undo` false) or its compensation (`undo` true), try
    /// `attempt`; `wait` while it sleeps before that try.
    Step {
        step: Step,
        undo: bool,
        attempt: u16,
        wait: bool,
    },
    /// Every step committed.
    Completed,
    /// Every committed step before the failure was compensated.
    Compensated,
}

/// Durable records: a node's rows, its local transactions (each with its inbox row and its
/// outbox row in one record) and relay marks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Rec {
    /// Initial stock of a SKU on its shard.
    Stock { sku: u32, units: i64 },
    /// Initial balance of an account on its shard.
    Balance { acct: u32, amount: i64 },
    /// One local transaction: the change, the note it consumed (the inbox row, if any) and
    /// the note it publishes (the outbox row; `None` for a dual write, which sends it after
    /// committing).
    Txn {
        effect: Effect,
        consumed: Option<Note>,
        outbox: Option<Note>,
    },
    /// The relay published outbox row `seq` and the log acknowledged it.
    Marked { seq: u32 },
}
