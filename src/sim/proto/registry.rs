//! The one place that names the protocols. [`with_protocols!`] hands this list to a macro:
//! [`enums`](super::enums) builds the engine's closed enums from it (payloads, timers,
//! durable records, events, commands, the scenario section), [`dispatch`](super::dispatch)
//! the functions that route to each protocol's handlers. To add a protocol: write its folder,
//! add its line here. Order matters: it is the boot order on a node and the order of
//! invariants and summary sections, so it is part of the trace format. Each line names the
//! protocol's marker type in its `types.rs`, the file with its vocabulary and nothing of the
//! engine, so the enums stay below the protocols' handlers.

/// Calls the macro `$m` with every registered protocol: its attributes on the scenario's
/// `protocols` field, its section name, its enum variant, its marker type and the cargo
/// feature (or `test`) it needs.
macro_rules! with_protocols {
    ($m:ident) => {
        $m! {
            #[serde(default)]
            heartbeat: Heartbeat => crate::sim::proto::heartbeat::types::Heartbeat,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            locks: Locks => crate::sim::proto::locks::types::Locks where feature = "proto-locks",
            #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::sim::proto::tpc::cfg::deserialize_opt")]
            tpc: Tpc => crate::sim::proto::tpc::types::Tpc where feature = "proto-tpc",
            #[serde(default, skip_serializing_if = "Option::is_none")]
            stock: Stock => crate::sim::proto::stock::types::Stock where feature = "proto-stock",
            #[serde(default, skip_serializing_if = "Option::is_none")]
            kv: Kv => crate::sim::proto::kv::types::Kv where feature = "proto-kv",
            #[serde(default, skip_serializing_if = "Option::is_none")]
            mq: Mq => crate::sim::proto::log::types::Mq where feature = "proto-log",
            #[serde(default, skip_serializing_if = "Option::is_none")]
            saga: Saga => crate::sim::proto::saga::types::Saga where feature = "proto-saga",
            // The engine's own dummy protocol (a ping counter), in test builds only: the
            // engine compiles and runs it without any other edit in `src/sim`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            echo: Echo => crate::sim::engine_tests::Echo where test,
        }
    };
}
pub(crate) use with_protocols;
