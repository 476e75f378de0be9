//! What the flash sale puts on the wire, in timers and in the shard's durable log. Buyers
//! are numbered across the whole run (`buyer`), buckets by index; both fit in a message.

use serde::{Deserialize, Serialize};

/// Buyer ↔ shard messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Plain read of the row (no control, optimistic).
    Read { buyer: u32, bucket: u32 },
    /// `SELECT … FOR UPDATE`: read once the row lock is this buyer's (queues otherwise).
    LockRead { buyer: u32, bucket: u32 },
    /// The row as read: its stock and version.
    ReadOk {
        buyer: u32,
        bucket: u32,
        stock: i64,
        version: u64,
    },
    /// The buyer waits for the row lock at `position` (1 = next).
    Queued {
        buyer: u32,
        bucket: u32,
        position: u32,
    },
    /// Blind write `stock = value` (no control; with the row lock when `locked`).
    Write {
        buyer: u32,
        bucket: u32,
        value: i64,
        units: u32,
        locked: bool,
    },
    /// Release the row lock without writing (nothing left to buy).
    Unlock { buyer: u32, bucket: u32 },
    /// Compare-and-set: `stock = value, version + 1` if the version is still `version`.
    Cas {
        buyer: u32,
        bucket: u32,
        version: u64,
        value: i64,
        units: u32,
    },
    /// Conditional decrement: `stock = stock − units where stock ≥ units`.
    Decr { buyer: u32, bucket: u32, units: u32 },
    /// The write (CAS, decrement) applied: the units are the buyer's.
    Done { buyer: u32, bucket: u32 },
    /// CAS lost: the version moved on; the row as it is now comes back (as etcd and
    /// DynamoDB return it), so a retry can compare-and-set again without a read.
    Conflict {
        buyer: u32,
        bucket: u32,
        stock: i64,
        version: u64,
    },
    /// Decrement refused: not enough stock.
    SoldOut { buyer: u32, bucket: u32 },
    /// A locked write came from a buyer who no longer holds the row lock (rolled back).
    Aborted { buyer: u32, bucket: u32 },
}

impl Msg {
    /// Short label for the canvas and the message list.
    pub fn label(&self) -> String {
        match self {
            Msg::Read { buyer, .. } => format!("read #{buyer}"),
            Msg::LockRead { buyer, .. } => format!("select for update #{buyer}"),
            Msg::ReadOk { stock, version, .. } => format!("stock {stock} v{version}"),
            Msg::Queued { position, .. } => format!("queued {position}"),
            Msg::Write { value, .. } => format!("write {value}"),
            Msg::Unlock { .. } => "unlock".into(),
            Msg::Cas { version, value, .. } => format!("cas v{version}→{value}"),
            Msg::Decr { units, .. } => format!("decr {units}"),
            Msg::Done { .. } => "ok".into(),
            Msg::Conflict { version, .. } => format!("conflict v{version}"),
            Msg::SoldOut { .. } => "sold out".into(),
            Msg::Aborted { .. } => "rolled back".into(),
        }
    }

    /// The buyer this message is about.
    pub fn buyer(&self) -> u32 {
        match *self {
            Msg::Read { buyer, .. }
            | Msg::LockRead { buyer, .. }
            | Msg::ReadOk { buyer, .. }
            | Msg::Queued { buyer, .. }
            | Msg::Write { buyer, .. }
            | Msg::Unlock { buyer, .. }
            | Msg::Cas { buyer, .. }
            | Msg::Decr { buyer, .. }
            | Msg::Done { buyer, .. }
            | Msg::Conflict { buyer, .. }
            | Msg::SoldOut { buyer, .. }
            | Msg::Aborted { buyer, .. } => buyer,
        }
    }
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "timer", rename_all = "snake_case")]
pub enum Timer {
    /// Buyer `buyer` arrives.
    Arrive { buyer: u32 },
    /// Buyer `buyer`'s think time (or backoff sleep) number `step` is over.
    Step { buyer: u32, step: u32 },
    /// Buyer `buyer` waited too long for answer number `step`.
    Timeout { buyer: u32, step: u32 },
    /// Row lock grant number `grant` of `bucket` has run too long: roll it back.
    TxnTimeout { bucket: u32, grant: u64 },
    /// A message held back by the extra delay model, now put on the wire.
    Out { to: u32, msg: Msg },
}

impl Timer {
    /// Short label.
    pub fn label(&self) -> &'static str {
        match self {
            Timer::Arrive { .. } => "buyer arrives",
            Timer::Step { .. } => "buyer wakes",
            Timer::Timeout { .. } => "buyer timeout",
            Timer::TxnTimeout { .. } => "transaction timeout",
            Timer::Out { .. } => "network delay",
        }
    }
}

/// The shard's durable row: survives a crash (the row lock and its queue do not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rec", rename_all = "snake_case")]
pub enum Rec {
    /// Bucket `bucket` now holds `stock` units at `version`; `taken` units were sold from it.
    Row {
        bucket: u32,
        stock: i64,
        version: u64,
        taken: i64,
    },
}
