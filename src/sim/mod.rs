//! The simulation core: pure, deterministic, browser-free.
//!
//! Everything here builds and tests natively; time is passed in, never read, and all
//! randomness comes from seeded generators owned by the caller.

pub mod algorithms;
pub mod check;
pub mod clock;
pub mod cmd;
pub mod cmd_decode;
pub mod cmd_fields;
pub mod engine;
pub mod event;
pub mod explore;
pub mod fault;
pub mod hash;
pub mod history;
pub mod ids;
pub mod invariant;
pub mod json_read;
pub mod key_set;
pub mod net;
pub mod proto;
pub mod queue;
pub mod ring;
pub mod ring_lab;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod scenario_read;
pub mod slots;
pub mod sort;
pub mod testkit;
pub mod text;
pub mod time;
pub mod timeline;
pub mod topology;
pub mod vecmap;
pub mod world;

#[cfg(test)]
mod engine_tests;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod scenario_tests;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod timeline_tests;
#[cfg(test)]
mod world_tests;
