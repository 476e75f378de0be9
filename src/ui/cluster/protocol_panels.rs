//! The Cluster tab's protocol panels, registered in one list. A panel shows one protocol's
//! state at the playhead and offers its controls; it receives the session and two
//! callbacks (run a command at the playhead, load another scenario) instead of importing
//! the lab component and its message enum. A new protocol's panel is one file and one line
//! here; a panel that keeps form state of its own is a function component with hooks.

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

/// Every registered panel, shown in this order under the canvas.
pub const PANELS: &[Panel] = &[
    #[cfg(feature = "proto-stock")]
    Panel {
        name: "stock",
        view: super::stock::view,
    },
    #[cfg(feature = "proto-log")]
    Panel {
        name: "mq",
        view: super::mq::view,
    },
    #[cfg(feature = "proto-saga")]
    Panel {
        name: "saga",
        view: super::saga::view,
    },
];
