//! ringlab: a deterministic lab for the mechanisms that keep a sharded e-commerce backend correct.
//!
//! `sim` is the pure simulation core (no browser crates, no wall clock); `model` holds what
//! the labs show and keep (sessions, playback, tours, link codecs), over `sim`; `view` turns
//! models into pure geometry; `paint` and `ui` exist only in the wasm build and are the only
//! code that touches the DOM. Each layer imports only the ones before it.

pub mod model;
pub mod sim;
pub mod view;

/// The CLI's commands, as a library so they are unit-testable; native only, so none of it
/// is even compiled for the browser.
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod paint;
#[cfg(target_arch = "wasm32")]
pub mod ui;
