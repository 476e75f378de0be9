//! The Cluster tab: the browser face of the deterministic engine. A scenario plays on a
//! timeline you can scrub, step, fork and explore; the cluster canvas, the space-time diagram
//! and the event log are three views of the same history with one shared selection.
//!
//! - `component`: the `ClusterLab` component: inputs, commands, loading, the view;
//! - `state`: what the component shares with the frame loop, and the frame itself;
//! - `msg`: its messages, command buttons and properties;
//! - `timebar`: play/pause/step/speed, the scrubber with fault markers, fork notices;
//! - `locks`: the Locks panel: each lock in words, counters, acquire/release, fencing, recipes;
//! - `commands`: live commands (crash, pause, clock jump, partitions, drop a message, ring);
//! - `gallery`: built-in scenarios (fetched), file and paste import;
//! - `explore`: "Explore N seeds" (in the job worker, or in slices between frames without
//!   one), with progress, cancel, the rate and replay;
//! - `worker`: the page's side of the job worker that runs explorations and verifications;
//! - `tpc`: the 2PC panel: orders and their outcomes, counters, another variant;
//! - `tour`: the guided tour card (Back/Next through the narration, predict-then-reveal);
//! - `verify`: the Verify panel: exhaustive check of abstract two-phase commit (in the worker);
//! - `kv`: the replicated store's panel: counters, mode switches forking at the playhead,
//!   modes compared on the same seed and faults;
//! - `kv_history`: the store's history diagram under the space-time diagram, checked for
//!   linearizability in slices with a progress bar and Cancel;
//! - `stock`: the flash-sale panel: counters, live charts, strategies compared, contention;
//! - `panel_table`: the one table the protocol panels show counters and comparisons in;
//! - `panel_ctx`: what a protocol panel is given (`PanelCtx`) and what it is (`Panel`);
//! - `protocol_panels`: the registered protocol panels (one line per protocol);
//! - `panels`: nodes, invariants and expectations, narration, the event log.

pub mod commands;
pub mod component;
pub mod explore;
pub mod gallery;
#[cfg(feature = "proto-kv")]
pub mod kv;
#[cfg(feature = "proto-kv")]
pub mod kv_history;
#[cfg(feature = "proto-locks")]
pub mod locks;
#[cfg(feature = "proto-log")]
pub mod mq;
pub mod msg;
pub mod panel_ctx;
pub mod panel_table;
pub mod panels;
pub mod protocol_panels;
#[cfg(feature = "proto-saga")]
pub mod saga;
pub mod sections;
pub mod state;
#[cfg(feature = "proto-stock")]
pub mod stock;
pub mod timebar;
pub mod tour;
#[cfg(feature = "proto-tpc")]
pub mod tpc;
pub mod verify;
pub mod worker;

pub use component::ClusterLab;
