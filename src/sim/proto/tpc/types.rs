//! Two-phase commit's vocabulary: its marker type, its commands and what the registry builds the engine's
//! enums from (see [`ProtoTypes`]). Nothing of the engine is imported here.

use serde::Serialize;

use super::cfg::TpcCfg;
use super::event::TpcEv;
use super::wire::{Msg, Timer, TxRecord};
use crate::sim::ids::{NodeIx, ResKey};
use crate::sim::proto::proto_types::ProtoTypes;

/// One line of a `checkout`: `qty` units of `sku` (`qty` defaults to 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The SKU key (`sku:…`).
    pub sku: ResKey,
    /// Units (1..=1,000,000).
    pub qty: u32,
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

/// Two-phase commit across the shards as a protocol of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tpc;

/// Two-phase commit's commands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum TpcCmd {
    /// A client submits one order: a two-phase commit across the shards owning
    /// `order:N`, each SKU and the account (routed through the ring now).
    Checkout {
        /// The submitting client.
        client: String,
        /// The order's lines.
        items: Vec<Item>,
        /// The paying account's key.
        account: ResKey,
        /// What it pays.
        amount: i64,
        /// The payment step fails (a NO vote from the account's shard).
        #[serde(skip_serializing_if = "is_false")]
        fail_payment: bool,
    },
}

impl ProtoTypes for Tpc {
    const NAME: &'static str = "tpc";
    type Cfg = TpcCfg;
    type Msg = Msg;
    type Timer = Timer;
    type Rec = TxRecord;
    type Ev = TpcEv;
    type Cmd = TpcCmd;

    fn cmd_op(c: &TpcCmd) -> &'static str {
        match c {
            TpcCmd::Checkout { .. } => "checkout",
        }
    }

    fn cmd_nodes(c: &TpcCmd) -> Vec<&str> {
        match c {
            TpcCmd::Checkout { client, .. } => vec![client.as_str()],
        }
    }

    fn msg_label(m: &Msg) -> String {
        m.label()
    }

    fn timer_label(t: &Timer) -> &'static str {
        t.label()
    }

    fn ev_kind(e: &TpcEv) -> &'static str {
        e.kind()
    }

    fn ev_words(e: &TpcEv, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
        e.describe(at, name)
    }
}
