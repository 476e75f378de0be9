//! What a protocol panel is given and what it is: the contract between the Cluster lab and
//! the panels in `protocol_panels`, apart from that list so a panel imports only this.

use yew::prelude::*;

use crate::sim::cmd::Cmd;
use crate::sim::scenario::Scenario;
use crate::view::session::Session;

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
}

/// One protocol's panel.
pub struct Panel {
    /// The protocol it belongs to (its section name).
    pub name: &'static str,
    /// Renders the panel (empty when its protocol is not in the scenario).
    pub view: fn(&PanelCtx<'_>) -> Html,
}
