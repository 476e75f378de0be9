//! What two-phase commit puts on the wire, in timers and in durable logs. Messages carry
//! only the transaction id: the order itself (its lines, shards and coordinator, fixed at
//! BEGIN) is the request every node was handed with it, kept once in the world's order
//! book instead of being copied into every `Copy` message.

use serde::{Deserialize, Serialize};

use crate::sim::ids::ResKey;

/// A transaction (order) id: 1, 2, … in submission order.
pub type TxId = u32;

/// What a node knows about a transaction, as told to a peer that asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Known {
    /// Voted YES, no decision yet (uncertain).
    Prepared,
    /// 3PC: got PRE-COMMIT (everyone voted YES).
    PreCommitted,
    /// Committed.
    Committed,
    /// Aborted.
    Aborted,
}

/// Wire messages: client → coordinator (`begin`), client → participants (`work`),
/// coordinator ↔ participants (the protocol), participants → anyone (`inquire`,
/// `state_req`) and coordinator → client (`done`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Client asks the coordinator to commit order `tx`.
    Begin { tx: TxId },
    /// Client's work at a participant: it now knows the order and may abort it on its own
    /// until PREPARE arrives.
    Work { tx: TxId },
    /// Phase 1: take your locks, check, force a prepare record, vote.
    Prepare { tx: TxId },
    /// A participant's vote.
    Vote { tx: TxId, yes: bool },
    /// 3PC: everyone voted YES; get ready to commit.
    PreCommit { tx: TxId },
    /// 3PC: PRE-COMMIT logged.
    PreAck { tx: TxId },
    /// Phase 2: the outcome (from the coordinator, a 3PC terminator or a peer).
    Decision { tx: TxId, commit: bool },
    /// Participant: outcome applied and logged.
    Ack { tx: TxId },
    /// In-doubt participant → coordinator: what was decided?
    Inquire { tx: TxId },
    /// In-doubt participant → peers (cooperative termination, 3PC termination): what do
    /// you know?
    StateReq { tx: TxId },
    /// Answer to `state_req`.
    State { tx: TxId, known: Known },
    /// Coordinator → client: the order's outcome.
    Done { tx: TxId, commit: bool },
}

impl Msg {
    /// The transaction the message is about.
    pub fn tx(&self) -> TxId {
        match *self {
            Msg::Begin { tx }
            | Msg::Work { tx }
            | Msg::Prepare { tx }
            | Msg::Vote { tx, .. }
            | Msg::PreCommit { tx }
            | Msg::PreAck { tx }
            | Msg::Decision { tx, .. }
            | Msg::Ack { tx }
            | Msg::Inquire { tx }
            | Msg::StateReq { tx }
            | Msg::State { tx, .. }
            | Msg::Done { tx, .. } => tx,
        }
    }

    /// Short label for narration ("PREPARE T3").
    pub fn label(&self) -> String {
        let tx = self.tx();
        let word = |c: bool| if c { "COMMIT" } else { "ABORT" };
        match self {
            Msg::Begin { .. } => format!("BEGIN T{tx}"),
            Msg::Work { .. } => format!("work T{tx}"),
            Msg::Prepare { .. } => format!("PREPARE T{tx}"),
            Msg::Vote { yes, .. } => format!("vote {} T{tx}", if *yes { "YES" } else { "NO" }),
            Msg::PreCommit { .. } => format!("PRE-COMMIT T{tx}"),
            Msg::PreAck { .. } => format!("pre-ack T{tx}"),
            Msg::Decision { commit, .. } => format!("{} T{tx}", word(*commit)),
            Msg::Ack { .. } => format!("ack T{tx}"),
            Msg::Inquire { .. } => format!("outcome of T{tx}?"),
            Msg::StateReq { .. } => format!("state of T{tx}?"),
            Msg::State { known, .. } => format!("T{tx} is {known:?}"),
            Msg::Done { commit, .. } => {
                format!("T{tx} {}", if *commit { "committed" } else { "aborted" })
            }
        }
    }
}

/// Timers of the commit protocol. A timer whose transaction moved on finds nothing to do
/// (handlers check the state), so no generations are needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "timer", rename_all = "snake_case")]
pub enum Timer {
    /// Coordinator: stop waiting for votes (3PC: for pre-commit acks).
    Votes { tx: TxId },
    /// Coordinator: resend the decision (or PRE-COMMIT) to whoever has not acknowledged.
    Resend { tx: TxId },
    /// Participant: PREPARE never came; abort on its own.
    Work { tx: TxId },
    /// Participant in doubt: ask again (3PC: run the termination protocol).
    Doubt { tx: TxId },
    /// Participant in doubt under the unsafe option: decide alone.
    Heuristic { tx: TxId },
    /// Client: submit the next generated order.
    Workload,
}

impl Timer {
    /// Short label for narration.
    pub fn label(&self) -> &'static str {
        match self {
            Timer::Votes { .. } => "vote timeout",
            Timer::Resend { .. } => "2PC resend",
            Timer::Work { .. } => "PREPARE timeout",
            Timer::Doubt { .. } => "in-doubt timeout",
            Timer::Heuristic { .. } => "heuristic timeout",
            Timer::Workload => "next order",
        }
    }
}

/// What a log record says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rec", rename_all = "snake_case")]
pub enum RecKind {
    /// Initial value of a stock or balance row this shard holds (written at build).
    Row { key: ResKey, value: i64 },
    /// Presumed commit: the coordinator is collecting votes for `tx`.
    Collecting,
    /// The decision, logged by the coordinator or a 3PC terminator.
    Decision { commit: bool },
    /// 3PC: PRE-COMMIT sent (coordinator) or received (participant).
    PreCommit { coordinator: bool },
    /// Participant voted YES: from here on it may not decide alone.
    Prepared,
    /// Participant applied the outcome (`heuristic`: on its own, without a decision).
    Outcome { commit: bool, heuristic: bool },
    /// Coordinator: every needed ack arrived; the transaction can be forgotten.
    End,
}

impl RecKind {
    /// Short label for the log stacks in the UI.
    pub fn label(&self) -> String {
        match self {
            RecKind::Row { key, value } => format!("{key}={value}"),
            RecKind::Collecting => "collecting".into(),
            RecKind::Decision { commit } => if *commit { "COMMIT" } else { "ABORT" }.into(),
            RecKind::PreCommit { .. } => "pre-commit".into(),
            RecKind::Prepared => "prepared".into(),
            RecKind::Outcome { commit, heuristic } => format!(
                "{}{}",
                if *commit { "committed" } else { "aborted" },
                if *heuristic { " (heuristic)" } else { "" }
            ),
            RecKind::End => "end".into(),
        }
    }
}

/// One durable log record of the commit protocol. `forced`: written synchronously before
/// the message that depends on it; an unforced record sits in a volatile buffer until the
/// next forced write and is lost if the node crashes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    /// The transaction (0 for rows).
    pub tx: TxId,
    /// Forced (synchronous) or lazy.
    pub forced: bool,
    /// What it says.
    #[serde(flatten)]
    pub kind: RecKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_timers_stay_small() {
        assert!(
            std::mem::size_of::<Msg>() <= 12,
            "{}",
            std::mem::size_of::<Msg>()
        );
        assert!(std::mem::size_of::<Timer>() <= 8);
        let m = Msg::Vote { tx: 3, yes: true };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"type":"vote","tx":3,"yes":true}"#
        );
        assert_eq!(m.label(), "vote YES T3");
    }
}
