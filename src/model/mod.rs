//! The browser-free models of both labs: what the page shows and keeps, as plain Rust tested
//! natively. The Cluster lab's session (a scenario on its timeline), playback and tours; the
//! Hash ring's metrics and the animated change; the link and embed codecs and the query
//! string; shortcuts; what the panels show about locks and 2PC and their comparisons; the
//! catalogue of mechanisms and scenarios. Imports only `sim`; `view` draws it, `ui` shows it.

pub mod catalog;
pub mod embed;
pub mod input;
pub mod job;
#[cfg(feature = "proto-kv")]
pub mod kv_compare;
pub mod link;
#[cfg(feature = "proto-locks")]
pub mod lock_view;
pub mod metrics;
#[cfg(feature = "proto-log")]
pub mod mq_view;
pub mod panel_memo;
pub mod playback;
#[cfg(feature = "proto-saga")]
pub mod saga_compare;
pub mod session;
pub mod share;
pub mod shortcuts;
pub mod tour;
#[cfg(feature = "proto-tpc")]
pub mod tpc_view;
pub mod transition;
pub mod url;
pub mod verify;
