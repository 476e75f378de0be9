//! The Cluster tab's protocol panels, registered in one list. A panel shows one protocol's
//! state at the playhead and offers its controls; it receives the session and two
//! callbacks (run a command at the playhead, load another scenario) instead of importing
//! the lab component and its message enum. A new protocol's panel is one file and one line
//! here; a panel that keeps form state of its own is a function component with hooks.

use super::panel_ctx::Panel;

/// Every registered panel, shown in this order under the canvas.
pub const PANELS: &[Panel] = &[
    Panel {
        name: "locks",
        view: super::locks::view,
    },
    Panel {
        name: "tpc",
        view: super::tpc::view,
    },
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
];
