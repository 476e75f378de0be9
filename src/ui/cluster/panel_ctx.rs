//! What a protocol panel is given and what it is: the contract between the Cluster lab and
//! the panels in `protocol_panels`, apart from that list so a panel imports only this.

use yew::prelude::*;

pub use crate::model::panel_memo::{Memo, PanelMemo};
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
    /// Hands a job to a worker whose reply is a table (`Reply::Compared`), kept in `memo`
    /// under the key ([`Memo::Running`] until it comes), for a comparison the page cannot
    /// run itself: the saga's "Compare with 2PC" on a page without 2PC.
    #[cfg(feature = "table-jobs")]
    pub on_job: Callback<(&'static str, crate::model::job::Request)>,
    /// Moves the playhead to a virtual time (a click on a panel's own diagram).
    pub on_seek: Callback<crate::sim::ids::Time>,
}

/// One protocol's panel.
pub struct Panel {
    /// The protocol it belongs to (its section name).
    pub name: &'static str,
    /// Renders the panel (empty when its protocol is not in the scenario).
    pub view: fn(&PanelCtx<'_>) -> Html,
}
