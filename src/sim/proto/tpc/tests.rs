//! Two-phase commit through the world's public API.
