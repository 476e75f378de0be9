//! Protocols plug into the world as state machines reacting to messages, timers and
//! crash/recovery. Each one is a folder implementing [`ProtoTypes`] (in its `types.rs`: what
//! it says) and [`Protocol`] (what it does); [`registry`] is the one file that lists them,
//! [`enums`] builds the closed enums the engine carries from their vocabularies, and
//! [`dispatch`] routes the engine's inputs to their handlers, so the world stays a plain
//! `Clone + PartialEq` value for snapshots and sits below every protocol. See
//! docs/engine.md, "Adding a protocol".

pub mod ctx;
pub mod dispatch;
pub mod enums;
pub mod heartbeat;
#[cfg(feature = "proto-kv")]
pub mod kv;
#[cfg(feature = "proto-locks")]
pub mod locks;
#[cfg(feature = "proto-log")]
pub mod log;
pub mod proto_types;
pub mod protocol;
pub mod registry;
#[cfg(feature = "proto-saga")]
pub mod saga;
#[cfg(feature = "proto-stock")]
pub mod stock;
#[cfg(feature = "proto-tpc")]
pub mod tpc;

pub use crate::sim::slots::{Procs, ProtoShared};
pub use crate::sim::world::CmdCtx;
pub use ctx::Ctx;
pub use enums::{Payload, ProtoCfg, ProtoCmd, ProtoEv, Record, Registered, TimerKind};
pub use proto_types::{Never, ProtoTypes};
pub use protocol::Protocol;
