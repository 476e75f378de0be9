//! What a protocol panel is given and what it is: the contract between the Cluster lab and
//! the panels in `protocol_panels`, apart from that list so a panel imports only this.

use yew::prelude::*;

use crate::model::session::Session;
use crate::sim::cmd::Cmd;
use crate::sim::scenario::Scenario;

/// What a protocol panel is given each time the lab renders.
pub struct PanelCtx<'a> {
    /// The loaded session (world at the playhead, its timeline and scenario).
    pub session: &'a Session,
    /// The playhead, in virtual ms.
    pub vt: f64,
    /// Runs a command at the playhead (forking the timeline when it is in the past).
    pub on_cmd: Callback<Cmd>,
    /// Loads a scenario (a variant of this one), labelled for errors and history.
    pub on_load: Callback<(String, Result<Scenario, String>)>,
    /// Why the last command was refused, if it was.
    pub cmd_error: Option<&'a str>,
    /// What the panels keep between renders (inputs as typed, the last comparison).
    pub memo: &'a PanelMemo,
    /// Keeps (or, with `None`, forgets) one entry of `memo`.
    pub on_memo: Callback<(&'static str, Option<Memo>)>,
}

/// One thing a panel keeps between renders.
#[derive(Clone, Debug, PartialEq)]
pub enum Memo {
    /// An input as typed, so a bad value stays in its field to be fixed.
    Text(String),
    /// A comparison: rows of cells (the last one says what broke, "none" if nothing), or
    /// why it could not run.
    Table(Result<Vec<Vec<String>>, String>),
}

/// What the panels keep between renders, held by the lab so a panel stays a plain function
/// of what it is given (a component per panel would cost the page's size goal several KB).
/// Keys are `"protocol.what"`; tables belong to the scenario they ran on and are dropped
/// when another one loads, typed inputs stay.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PanelMemo {
    entries: Vec<(&'static str, Memo)>,
}

impl PanelMemo {
    /// The text kept under `key` ("" when none).
    pub fn text(&self, key: &str) -> &str {
        match self.get(key) {
            Some(Memo::Text(t)) => t,
            _ => "",
        }
    }

    /// The table kept under `key`, if any.
    pub fn table(&self, key: &str) -> Option<&Result<Vec<Vec<String>>, String>> {
        match self.get(key) {
            Some(Memo::Table(t)) => Some(t),
            _ => None,
        }
    }

    fn get(&self, key: &str) -> Option<&Memo> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, m)| m)
    }

    /// Keeps `memo` under `key`, or forgets the key.
    pub fn set(&mut self, key: &'static str, memo: Option<Memo>) {
        self.entries.retain(|(k, _)| *k != key);
        if let Some(m) = memo {
            self.entries.push((key, m));
        }
    }

    /// Forgets every table: another scenario was loaded.
    pub fn drop_tables(&mut self) {
        self.entries.retain(|(_, m)| matches!(m, Memo::Text(_)));
    }
}

/// One protocol's panel.
pub struct Panel {
    /// The protocol it belongs to (its section name).
    pub name: &'static str,
    /// Renders the panel (empty when its protocol is not in the scenario).
    pub view: fn(&PanelCtx<'_>) -> Html,
}
