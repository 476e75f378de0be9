//! The engine's closed enums, built from every registered protocol's [`ProtoTypes`]: the
//! payload on the wire, the timer kind, the durable record, the trace event, the command and
//! the scenario's `protocols` section. They name only the protocols' vocabularies, never
//! their handlers, so the engine's world, network and trace can hold them and still sit below
//! every protocol. The list they are built from is [`registry`](super::registry).

use serde::{Deserialize, Serialize};

use super::proto_types::ProtoTypes;
use super::registry::with_protocols;
use crate::sim::ids::NodeIx;

/// What the engine needs to reach one protocol's place in the enums built here and in the
/// world's slots; implemented for every registered protocol by the registry, never by hand.
pub trait Registered: ProtoTypes {
    /// Its slot in a node's and the world's protocol state (registry order).
    const SLOT: usize;
    /// Its settings in a scenario's protocol section, if enabled.
    fn cfg(c: &ProtoCfg) -> Option<&Self::Cfg>;
    /// Its settings, to change at run time (a command switching a setting from now on).
    fn cfg_mut(c: &mut ProtoCfg) -> Option<&mut Self::Cfg>;
    /// Its message, if the payload is one.
    fn msg(p: &Payload) -> Option<&Self::Msg>;
    /// Its durable record, if the record is one.
    fn rec(r: &Record) -> Option<&Self::Rec>;
    /// Its event, if the protocol event is one.
    fn proto_ev(e: &ProtoEv) -> Option<&Self::Ev>;
    /// Its command, if the command is one.
    fn cmd(c: &ProtoCmd) -> Option<&Self::Cmd>;
}

macro_rules! define_enums {
    ($( $(#[$cfg_attr:meta])* $field:ident : $V:ident => $P:ty $(where $when:meta)? ),* $(,)?) => {
        /// Each protocol's slot index, in registry order.
        #[allow(non_camel_case_types, dead_code)]
        #[derive(Clone, Copy)]
        enum Slot {
            $( $field, )*
        }

        /// The body of a message on the wire, tagged with the protocol that understands it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "proto", rename_all = "snake_case")]
        pub enum Payload {
            $(
                #[allow(missing_docs)]
                $(#[cfg($when)])?
                $V(<$P as ProtoTypes>::Msg),
            )*
        }

        impl Payload {
            /// Short human label for narration and the UI ("ping #3").
            pub fn label(&self) -> String {
                match self {
                    $( $(#[cfg($when)])? Payload::$V(m) => <$P as ProtoTypes>::msg_label(m), )*
                }
            }

            /// The protocol this message belongs to (its section name).
            pub fn protocol(&self) -> &'static str {
                match self {
                    $( $(#[cfg($when)])? Payload::$V(_) => <$P as ProtoTypes>::NAME, )*
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
                $V(<$P as ProtoTypes>::Timer),
            )*
        }

        impl TimerKind {
            /// Short human label ("heartbeat tick").
            pub fn label(&self) -> &'static str {
                match self {
                    $( $(#[cfg($when)])? TimerKind::$V(t) => <$P as ProtoTypes>::timer_label(t), )*
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
                $V(<$P as ProtoTypes>::Rec),
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
                $V(<$P as ProtoTypes>::Ev),
            )*
        }

        impl ProtoEv {
            /// The stable `kind` string.
            pub fn kind(&self) -> &'static str {
                match self {
                    $( $(#[cfg($when)])? ProtoEv::$V(e) => <$P as ProtoTypes>::ev_kind(e), )*
                }
            }

            /// The event in words.
            pub fn words(&self, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
                match self {
                    $( $(#[cfg($when)])? ProtoEv::$V(e) => <$P as ProtoTypes>::ev_words(e, at, name), )*
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
                $V(<$P as ProtoTypes>::Cmd),
            )*
        }

        impl ProtoCmd {
            /// The stable `op` string.
            pub fn op(&self) -> &'static str {
                match self {
                    $( $(#[cfg($when)])? ProtoCmd::$V(c) => <$P as ProtoTypes>::cmd_op(c), )*
                }
            }

            /// The node names it refers to.
            pub fn node_names(&self) -> Vec<&str> {
                match self {
                    $( $(#[cfg($when)])? ProtoCmd::$V(c) => <$P as ProtoTypes>::cmd_nodes(c), )*
                }
            }

            /// The protocol it drives (its section name).
            pub fn protocol(&self) -> &'static str {
                match self {
                    $( $(#[cfg($when)])? ProtoCmd::$V(_) => <$P as ProtoTypes>::NAME, )*
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
                pub $field: Option<<$P as ProtoTypes>::Cfg>,
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
                        on.push(<$P as ProtoTypes>::NAME);
                    }
                )*
                on
            }
        }

        $(
            $(#[cfg($when)])?
            impl Registered for $P {
                const SLOT: usize = Slot::$field as usize;
                fn cfg(c: &ProtoCfg) -> Option<&Self::Cfg> {
                    c.$field.as_ref()
                }
                fn cfg_mut(c: &mut ProtoCfg) -> Option<&mut Self::Cfg> {
                    c.$field.as_mut()
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
                fn proto_ev(e: &ProtoEv) -> Option<&Self::Ev> {
                    match e {
                        ProtoEv::$V(x) => Some(x),
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
    };
}

with_protocols!(define_enums);
