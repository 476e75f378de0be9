//! The flash sale's vocabulary: its marker type, and what the registry builds the engine's
//! enums from (see [`ProtoTypes`]). Nothing of the engine is imported here.

use super::cfg::StockCfg;
use super::event::StockEv;
use super::wire::{Msg, Rec, Timer};
use crate::sim::ids::NodeIx;
use crate::sim::proto::proto_types::{no_command_words, Never, ProtoTypes};

/// The flash-sale protocol (its registry entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stock;

impl ProtoTypes for Stock {
    const NAME: &'static str = "stock";
    type Cfg = StockCfg;
    type Msg = Msg;
    type Timer = Timer;
    type Rec = Rec;
    type Ev = StockEv;
    type Cmd = Never;

    fn msg_label(m: &Msg) -> String {
        m.label()
    }

    fn timer_label(t: &Timer) -> &'static str {
        t.label()
    }

    fn ev_kind(e: &StockEv) -> &'static str {
        e.kind()
    }

    fn ev_words(e: &StockEv, at: &str, _: &dyn Fn(NodeIx) -> String) -> String {
        e.describe(at)
    }

    no_command_words!();
}
