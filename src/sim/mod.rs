//! The simulation core: pure, deterministic, browser-free.
//!
//! Everything here builds and tests natively; time is passed in, never read, and all
//! randomness comes from seeded generators owned by the caller.

pub mod algorithms;
pub mod hash;
pub mod keys;
pub mod ring;
pub mod ring_lab;
pub mod rng;
pub mod text;
