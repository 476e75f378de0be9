//! The Cluster tab's protocol panels, registered in one list. A panel shows one protocol's
//! state at the playhead and offers its controls; it receives a `PanelCtx` (the session,
//! callbacks to run a command at the playhead, load another scenario or seek, and a memo for
//! what it keeps between renders) instead of importing the lab component and its message
//! enum. A new protocol's panel is one file and one line here.

use super::panel_ctx::Panel;

/// Every registered panel, shown in this order under the canvas.
pub const PANELS: &[Panel] = &[
    #[cfg(feature = "proto-locks")]
    Panel {
        name: "locks",
        view: super::locks::view,
    },
    #[cfg(feature = "proto-tpc")]
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
    #[cfg(feature = "proto-kv")]
    Panel {
        name: "kv",
        view: super::kv::view,
    },
    #[cfg(feature = "proto-saga")]
    Panel {
        name: "saga",
        view: super::saga::view,
    },
];

/// Protocol diagrams shown under the space-time diagram, in this order (a protocol's own
/// view of the same history, linked to the scrubber).
pub const DIAGRAMS: &[Panel] = &[
    #[cfg(feature = "proto-kv")]
    Panel {
        name: "kv",
        view: super::kv_history::view,
    },
];
