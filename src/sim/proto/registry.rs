//! The one place that names the protocols. The `protocols!` list below builds every closed
//! enum the engine dispatches on (payloads, timers, durable records, events, commands), the
//! per-node and world-wide state, the scenario section and the dispatch functions, all from
//! each protocol's [`Protocol`] implementation. To add a protocol: write its folder, add its
//! line here. Order matters: it is the boot order on a node and the order of invariants and
//! summary sections, so it is part of the trace format.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::protocol::Protocol;
use super::{CmdCtx, Ctx};
use crate::sim::cmd::CmdError;
use crate::sim::cmd_decode::Fields;
use crate::sim::event::What;
use crate::sim::ids::{NodeIx, Time};
use crate::sim::invariant::Invariant;
use crate::sim::json_read::{Obj, R};

/// What the engine needs to reach one protocol's slot in the enums and structs built here;
/// implemented for every registered protocol by `protocols!`, never by hand.
pub trait Registered: Protocol {
    /// Its settings in a scenario's protocol section, if enabled.
    fn cfg(c: &ProtoCfg) -> Option<&Self::Cfg>;
    /// Its settings, to change at run time (a command switching a setting from now on).
    fn cfg_mut(c: &mut ProtoCfg) -> Option<&mut Self::Cfg>;
    /// Its state on one node, if it runs there.
    fn node(p: &Procs) -> Option<&Self::Node>;
    /// Its state on one node, to change.
    fn node_mut(p: &mut Procs) -> &mut Option<Self::Node>;
    /// Its world-wide state.
    fn shared(s: &ProtoShared) -> &Self::Shared;
    /// Its world-wide state, to change.
    fn shared_mut(s: &mut ProtoShared) -> &mut Self::Shared;
    /// Its message, if the payload is one.
    fn msg(p: &Payload) -> Option<&Self::Msg>;
    /// Its durable record, if the record is one.
    fn rec(r: &Record) -> Option<&Self::Rec>;
    /// Its event, if the event is one.
    fn ev(w: &What) -> Option<&Self::Ev>;
    /// Its command, if the command is one.
    fn cmd(c: &ProtoCmd) -> Option<&Self::Cmd>;
}

macro_rules! protocols {
    ($( $(#[$cfg_attr:meta])* $field:ident : $V:ident => $P:ty $(where $when:meta)? ),* $(,)?) => {
        /// The body of a message on the wire, tagged with the protocol that understands it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "proto", rename_all = "snake_case")]
        pub enum Payload {
            $(
                #[allow(missing_docs)]
                $(#[cfg($when)])?
                $V(<$P as Protocol>::Msg),
            )*
        }

        impl Payload {
            /// Short human label for narration and the UI ("ping #3").
            pub fn label(&self) -> String {
                match self {
                    $( $(#[cfg($when)])? Payload::$V(m) => <$P as Protocol>::msg_label(m), )*
                }
            }

            /// The protocol this message belongs to (its section name).
            pub fn protocol(&self) -> &'static str {
                match self {
                    $( $(#[cfg($when)])? Payload::$V(_) => <$P as Protocol>::NAME, )*
                }
            }
        }

        /// What a timer is for, tagged with the protocol that set it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "proto", rename_all = "snake_case")]
        pub enum TimerKind {
            $(
                #[allow(missing_docs)]
                $(#[cfg($when)])?
                $V(<$P as Protocol>::Timer),
            )*
        }

        impl TimerKind {
            /// Short human label ("heartbeat tick").
            pub fn label(&self) -> &'static str {
                match self {
                    $( $(#[cfg($when)])? TimerKind::$V(t) => <$P as Protocol>::timer_label(t), )*
                }
            }
        }

        /// One entry of a node's durable log: survives crashes, unlike everything in [`Procs`].
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "record", rename_all = "snake_case")]
        pub enum Record {
            /// The process (re)started with this incarnation number.
            Boot {
                /// 1 on first start, +1 on every recovery.
                incarnation: u64,
            },
            $(
                #[allow(missing_docs)]
                $(#[cfg($when)])?
                $V(<$P as Protocol>::Rec),
            )*
        }

        /// A protocol's event in the trace; each flattens to the top level of a trace line
        /// with its own `kind` (`lock_grant`, `tpc_vote`, `suspect`, …).
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(untagged)]
        pub enum ProtoEv {
            $(
                #[allow(missing_docs)]
                $(#[cfg($when)])?
                $V(<$P as Protocol>::Ev),
            )*
        }

        impl ProtoEv {
            /// The stable `kind` string.
            pub fn kind(&self) -> &'static str {
                match self {
                    $( $(#[cfg($when)])? ProtoEv::$V(e) => <$P as Protocol>::ev_kind(e), )*
                }
            }

            /// The event in words.
            pub fn words(&self, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
                match self {
                    $( $(#[cfg($when)])? ProtoEv::$V(e) => <$P as Protocol>::ev_words(e, at, name), )*
                }
            }
        }

        /// A protocol's command; each serialises with its own `op` at the top level.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum ProtoCmd {
            $(
                #[allow(missing_docs)]
                $(#[cfg($when)])?
                $V(<$P as Protocol>::Cmd),
            )*
        }

        impl ProtoCmd {
            /// The stable `op` string.
            pub fn op(&self) -> &'static str {
                match self {
                    $( $(#[cfg($when)])? ProtoCmd::$V(c) => <$P as Protocol>::cmd_op(c), )*
                }
            }

            /// The node names it refers to.
            pub fn node_names(&self) -> Vec<&str> {
                match self {
                    $( $(#[cfg($when)])? ProtoCmd::$V(c) => <$P as Protocol>::cmd_nodes(c), )*
                }
            }

            /// The protocol it drives (its section name).
            pub fn protocol(&self) -> &'static str {
                match self {
                    $( $(#[cfg($when)])? ProtoCmd::$V(_) => <$P as Protocol>::NAME, )*
                }
            }
        }

        /// Which protocols run, with their settings (the scenario's `protocols` section).
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct ProtoCfg {
            $(
                #[allow(missing_docs)]
                $(#[cfg($when)])?
                $(#[$cfg_attr])*
                pub $field: Option<<$P as Protocol>::Cfg>,
            )*
        }

        impl ProtoCfg {
            /// The section names of the protocols these settings enable, in registry order.
            #[allow(clippy::vec_init_then_push)] // entries come and go with cargo features
            pub fn enabled(&self) -> Vec<&'static str> {
                let mut on = Vec::new();
                $(
                    $(#[cfg($when)])?
                    if self.$field.is_some() {
                        on.push(<$P as Protocol>::NAME);
                    }
                )*
                on
            }
        }

        /// A node's volatile protocol state: one slot per protocol, `None` when not running
        /// there. Dropped wholesale on crash; rebuilt from the durable log on recovery.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct Procs {
            $(
                #[allow(missing_docs)]
                $(#[cfg($when)])?
                pub $field: Option<<$P as Protocol>::Node>,
            )*
        }

        /// World-wide protocol state (counters, order books): one slot per protocol.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct ProtoShared {
            $(
                #[allow(missing_docs)]
                $(#[cfg($when)])?
                pub $field: <$P as Protocol>::Shared,
            )*
        }

        $(
            $(#[cfg($when)])?
            impl Registered for $P {
                fn cfg(c: &ProtoCfg) -> Option<&Self::Cfg> {
                    c.$field.as_ref()
                }
                fn cfg_mut(c: &mut ProtoCfg) -> Option<&mut Self::Cfg> {
                    c.$field.as_mut()
                }
                fn node(p: &Procs) -> Option<&Self::Node> {
                    p.$field.as_ref()
                }
                fn node_mut(p: &mut Procs) -> &mut Option<Self::Node> {
                    &mut p.$field
                }
                fn shared(s: &ProtoShared) -> &Self::Shared {
                    &s.$field
                }
                fn shared_mut(s: &mut ProtoShared) -> &mut Self::Shared {
                    &mut s.$field
                }
                #[allow(unreachable_patterns)]
                fn msg(p: &Payload) -> Option<&Self::Msg> {
                    match p {
                        Payload::$V(m) => Some(m),
                        _ => None,
                    }
                }
                #[allow(unreachable_patterns)]
                fn rec(r: &Record) -> Option<&Self::Rec> {
                    match r {
                        Record::$V(x) => Some(x),
                        _ => None,
                    }
                }
                #[allow(unreachable_patterns)]
                fn ev(w: &What) -> Option<&Self::Ev> {
                    match w {
                        What::Proto(ProtoEv::$V(e)) => Some(e),
                        _ => None,
                    }
                }
                #[allow(unreachable_patterns)]
                fn cmd(c: &ProtoCmd) -> Option<&Self::Cmd> {
                    match c {
                        ProtoCmd::$V(x) => Some(x),
                        _ => None,
                    }
                }
            }
        )*

        /// The section names of the protocols this build carries, in registry order.
        #[allow(clippy::vec_init_then_push)] // entries come and go with cargo features
        pub fn names() -> Vec<&'static str> {
            let mut all = Vec::new();
            $( $(#[cfg($when)])? all.push(<$P as Protocol>::NAME); )*
            all
        }

        /// Starts every enabled protocol a node runs, in registry order.
        pub(crate) fn boot(cfg: &ProtoCfg, ctx: &mut Ctx<'_>) -> Procs {
            Procs {
                $( $(#[cfg($when)])? $field: cfg.$field.as_ref().and_then(|c| <$P as Protocol>::boot(c, ctx)), )*
            }
        }

        /// Routes a delivered message to the protocol that owns its payload.
        pub(crate) fn on_message(p: &mut Procs, ctx: &mut Ctx<'_>, from: NodeIx, payload: Payload) {
            match payload {
                $(
                    $(#[cfg($when)])?
                    Payload::$V(m) => {
                        if let Some(n) = p.$field.as_mut() {
                            <$P as Protocol>::on_message(n, ctx, from, m);
                        }
                    }
                )*
            }
        }

        /// Routes a fired timer to the protocol that set it.
        pub(crate) fn on_timer(p: &mut Procs, ctx: &mut Ctx<'_>, kind: TimerKind) {
            match kind {
                $(
                    $(#[cfg($when)])?
                    TimerKind::$V(t) => {
                        if let Some(n) = p.$field.as_mut() {
                            <$P as Protocol>::on_timer(n, ctx, t);
                        }
                    }
                )*
            }
        }

        /// Lets the sender's protocol count a message put on the wire.
        pub(crate) fn on_send(s: &mut ProtoShared, payload: &Payload) {
            match payload {
                $( $(#[cfg($when)])? Payload::$V(m) => <$P as Protocol>::on_send(&mut s.$field, m), )*
            }
        }

        /// Lets a protocol count one of its events.
        pub(crate) fn observe(s: &mut ProtoShared, node: NodeIx, t: Time, what: &What) {
            if let What::Proto(ev) = what {
                match ev {
                    $( $(#[cfg($when)])? ProtoEv::$V(e) => <$P as Protocol>::observe(&mut s.$field, node, t, e), )*
                }
            }
        }

        /// Tells every protocol a node crashed.
        pub(crate) fn on_crash(s: &mut ProtoShared, node: NodeIx) {
            $( $(#[cfg($when)])? <$P as Protocol>::on_crash(&mut s.$field, node); )*
        }

        /// Seeds what depends on the whole initial cluster, in registry order.
        pub(crate) fn on_built(cfg: &ProtoCfg, w: &mut CmdCtx<'_>) {
            $(
                $(#[cfg($when)])?
                if let Some(c) = cfg.$field.as_ref() {
                    <$P as Protocol>::on_built(c, w);
                }
            )*
        }

        /// Zeroes what building the initial cluster counted.
        pub(crate) fn reset_counters(s: &mut ProtoShared) {
            $( $(#[cfg($when)])? <$P as Protocol>::reset_counters(&mut s.$field); )*
        }

        /// Rough heap footprint of a node's protocol state.
        pub fn node_bytes(p: &Procs) -> usize {
            let mut n = std::mem::size_of::<Procs>();
            $( $(#[cfg($when)])? { n += p.$field.as_ref().map_or(0, <$P as Protocol>::node_bytes); } )*
            n
        }

        /// Rough heap footprint of the world-wide protocol state.
        pub fn shared_bytes(s: &ProtoShared) -> usize {
            let mut n = 0;
            $( $(#[cfg($when)])? { n += <$P as Protocol>::shared_bytes(&s.$field); } )*
            n
        }

        /// Every protocol's invariants, in registry order.
        pub fn invariants() -> Vec<Invariant> {
            let mut all = Vec::new();
            $( $(#[cfg($when)])? all.extend(<$P as Protocol>::invariants()); )*
            all
        }

        /// The run summary's protocol sections (`"locks": {…}`), for the enabled protocols.
        pub fn summaries(cfg: &ProtoCfg, s: &ProtoShared, until: Time) -> Vec<(&'static str, Value)> {
            let mut out = Vec::new();
            $(
                $(#[cfg($when)])?
                if let Some(c) = cfg.$field.as_ref() {
                    if let Some(v) = <$P as Protocol>::summary(c, &s.$field, until) {
                        out.push((<$P as Protocol>::NAME, v));
                    }
                }
            )*
            out
        }

        /// Every registered protocol's section name, also those this build leaves out.
        const ALL_NAMES: &[&str] = &[$( stringify!($field) ),*];

        /// Reads a scenario's `protocols` section: each protocol reads its own.
        pub(crate) fn read_cfg(mut o: Obj) -> R<ProtoCfg> {
            let cfg = ProtoCfg {
                $(
                    $(#[cfg($when)])?
                    $field: match o.opt(<$P as Protocol>::NAME) {
                        None => None,
                        Some((p, v)) => Some(<$P as Protocol>::read_cfg(Obj::new(&p, v)?)?),
                    },
                )*
            };
            let here = names();
            if let Some(k) = o.m.keys().find(|k| ALL_NAMES.contains(&k.as_str()) && !here.contains(&k.as_str())) {
                return Err(crate::sim::json_read::ScenarioError {
                    path: o.at(k),
                    line: None,
                    message: format!(
                        "this page does not carry the {k} protocol: open the scenario in the full lab (index.html)"
                    ),
                });
            }
            o.done(&here.join(", "))?;
            Ok(cfg)
        }

        /// Checks every enabled protocol's settings: `Err((path under protocols, reason))`.
        pub(crate) fn check_cfg(
            cfg: &ProtoCfg,
            version: Option<u64>,
            servers: &[String],
            clients: &[String],
        ) -> Result<(), (String, String)> {
            $(
                $(#[cfg($when)])?
                if let Some(c) = cfg.$field.as_ref() {
                    let name = <$P as Protocol>::NAME;
                    let since = <$P as Protocol>::SINCE_VERSION;
                    if let Some(v) = version.filter(|&v| v < since) {
                        return Err((
                            name.to_string(),
                            format!("{name} needs \"version\": {since} (this file says {v})"),
                        ));
                    }
                    <$P as Protocol>::check_cfg(c, servers, clients).map_err(|(f, m)| {
                        let at = if f.is_empty() { name.to_string() } else { format!("{name}.{f}") };
                        (at, m)
                    })?;
                }
            )*
            Ok(())
        }

        /// Every protocol command op, in registry order.
        pub fn ops() -> Vec<&'static str> {
            let mut all = Vec::new();
            $( $(#[cfg($when)])? all.extend_from_slice(<$P as Protocol>::OPS); )*
            all
        }

        /// Reads a protocol command, or `None` if no protocol knows the op.
        pub(crate) fn read_cmd(op: &str, f: &mut Fields<'_>) -> Option<Result<ProtoCmd, String>> {
            $(
                $(#[cfg($when)])?
                if let Some(r) = <$P as Protocol>::read_cmd(op, f) {
                    return Some(r.map(ProtoCmd::$V));
                }
            )*
            None
        }

        /// Checks a scheduled protocol command against the scenario: its version, its
        /// protocol's presence, then the protocol's own rules. `Err((field, reason))`.
        pub(crate) fn check_cmd(
            c: &ProtoCmd,
            version: u64,
            cfg: &ProtoCfg,
            clients: &BTreeSet<String>,
        ) -> Result<(), (String, String)> {
            match c {
                $(
                    $(#[cfg($when)])?
                    ProtoCmd::$V(x) => {
                        let name = <$P as Protocol>::NAME;
                        let since = <$P as Protocol>::SINCE_VERSION;
                        let op = <$P as Protocol>::cmd_op(x);
                        if version < since {
                            return Err((String::new(), format!("{op} needs \"version\": {since}")));
                        }
                        let Some(pc) = cfg.$field.as_ref() else {
                            return Err((String::new(), format!("{op} needs protocols.{name}")));
                        };
                        <$P as Protocol>::check_cmd(x, Some(pc), clients)
                    }
                )*
            }
        }

        /// Runs a protocol command.
        pub(crate) fn on_command(c: &ProtoCmd, w: &mut CmdCtx<'_>) -> Result<(), CmdError> {
            match c {
                $( $(#[cfg($when)])? ProtoCmd::$V(x) => <$P as Protocol>::on_command(x, w), )*
            }
        }
    };
}

protocols! {
    #[serde(default)]
    heartbeat: Heartbeat => super::heartbeat::Heartbeat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    locks: Locks => super::locks::Locks,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::tpc::cfg::deserialize_opt")]
    tpc: Tpc => super::tpc::Tpc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stock: Stock => super::stock::Stock where feature = "proto-stock",
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kv: Kv => super::kv::Kv where feature = "proto-kv",
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mq: Mq => super::log::Mq where feature = "proto-log",
    #[serde(default, skip_serializing_if = "Option::is_none")]
    saga: Saga => super::saga::Saga where feature = "proto-saga",
    // The engine's own dummy protocol (a ping counter), in test builds only: the engine
    // compiles and runs it without any other edit in `src/sim`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    echo: Echo => crate::sim::engine_tests::Echo where test,
}
