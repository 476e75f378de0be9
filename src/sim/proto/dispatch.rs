//! Routes the engine's inputs to the protocol they belong to: boot, messages, timers,
//! crashes, commands, config and command readers, counters, invariants and summaries, built
//! from the [`registry`](super::registry)'s list. It is the only code above both the engine's
//! world and every protocol's handlers; the engine's stepping calls it, and the world itself
//! never does.

use std::collections::BTreeSet;

use serde_json::Value;

use super::enums::{Payload, ProtoCfg, ProtoCmd, ProtoEv, Registered, TimerKind};
use super::proto_types::ProtoTypes;
use super::protocol::Protocol;
use super::registry::with_protocols;
use super::Ctx;
use crate::sim::cmd::CmdError;
use crate::sim::cmd_fields::Fields;
use crate::sim::event::What;
use crate::sim::ids::{NodeIx, Time};
use crate::sim::invariant::{self, Checker, Invariant};
use crate::sim::json_read::{Obj, R};
use crate::sim::slots::{Procs, ProtoShared};
use crate::sim::world::{CmdCtx, Core, Hooks, World};

macro_rules! define_dispatch {
    ($( $(#[$cfg_attr:meta])* $field:ident : $V:ident => $P:ty $(where $when:meta)? ),* $(,)?) => {
        /// The section names of the protocols this build carries, in registry order.
        #[allow(clippy::vec_init_then_push)] // entries come and go with cargo features
        pub fn names() -> Vec<&'static str> {
            let mut all = Vec::new();
            $( $(#[cfg($when)])? all.push(<$P as ProtoTypes>::NAME); )*
            all
        }

        /// Starts every enabled protocol a node runs, in registry order.
        pub(crate) fn boot(cfg: &ProtoCfg, ctx: &mut Ctx<'_>) -> Procs {
            let mut p = Procs::default();
            $(
                $(#[cfg($when)])?
                if let Some(c) = cfg.$field.as_ref() {
                    let n = <$P as Protocol>::boot(c, ctx);
                    <$P as Protocol>::set_node(&mut p, n);
                }
            )*
            p
        }

        /// Whether two nodes' protocol states are equal, slot by slot with each protocol's
        /// own `PartialEq`.
        fn procs_eq(a: &Procs, b: &Procs) -> bool {
            $(
                $(#[cfg($when)])?
                if <$P as Protocol>::node(a) != <$P as Protocol>::node(b) {
                    return false;
                }
            )*
            true
        }

        /// Whether two worlds' protocol-wide states are equal, slot by slot.
        fn shared_eq(a: &ProtoShared, b: &ProtoShared) -> bool {
            $(
                $(#[cfg($when)])?
                if <$P as Protocol>::shared(a) != <$P as Protocol>::shared(b) {
                    return false;
                }
            )*
            true
        }

        /// Every protocol's world-wide state, fresh (counters at zero, empty order books).
        pub(crate) fn new_shared() -> ProtoShared {
            let mut s = ProtoShared::default();
            $(
                $(#[cfg($when)])?
                s.set(<$P as Registered>::SLOT, Some(<<$P as Protocol>::Shared>::default()));
            )*
            s
        }

        /// Routes a delivered message to the protocol that owns its payload.
        pub(crate) fn on_message(p: &mut Procs, ctx: &mut Ctx<'_>, from: NodeIx, payload: Payload) {
            match payload {
                $(
                    $(#[cfg($when)])?
                    Payload::$V(m) => {
                        if let Some(n) = <$P as Protocol>::node_mut(p) {
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
                        if let Some(n) = <$P as Protocol>::node_mut(p) {
                            <$P as Protocol>::on_timer(n, ctx, t);
                        }
                    }
                )*
            }
        }

        /// Lets the sender's protocol count a message put on the wire.
        pub(crate) fn on_send(s: &mut ProtoShared, payload: &Payload) {
            match payload {
                $( $(#[cfg($when)])? Payload::$V(m) => <$P as Protocol>::on_send(<$P as Protocol>::shared_mut(s), m), )*
            }
        }

        /// Lets a protocol count one of its events.
        pub(crate) fn observe(s: &mut ProtoShared, node: NodeIx, t: Time, what: &What) {
            if let What::Proto(ev) = what {
                match ev {
                    $( $(#[cfg($when)])? ProtoEv::$V(e) => <$P as Protocol>::observe(<$P as Protocol>::shared_mut(s), node, t, e), )*
                }
            }
        }

        /// Tells every protocol a node crashed.
        pub(crate) fn on_crash(s: &mut ProtoShared, node: NodeIx) {
            $( $(#[cfg($when)])? <$P as Protocol>::on_crash(<$P as Protocol>::shared_mut(s), node); )*
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
            $( $(#[cfg($when)])? <$P as Protocol>::reset_counters(<$P as Protocol>::shared_mut(s)); )*
        }

        /// Rough heap footprint of a node's protocol state.
        pub fn node_bytes(p: &Procs) -> usize {
            let mut n = std::mem::size_of::<Procs>();
            $( $(#[cfg($when)])? { n += <$P as Protocol>::node(p).map_or(0, <$P as Protocol>::node_bytes); } )*
            n
        }

        /// Rough heap footprint of the world-wide protocol state.
        pub fn shared_bytes(s: &ProtoShared) -> usize {
            let mut n = 0;
            $( $(#[cfg($when)])? { n += <$P as Protocol>::shared_bytes(<$P as Protocol>::shared(s)); } )*
            n
        }

        /// Every protocol's invariants, in registry order.
        pub fn protocol_invariants() -> Vec<Invariant> {
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
                    if let Some(v) = <$P as Protocol>::summary(c, <$P as Protocol>::shared(s), until) {
                        out.push((<$P as ProtoTypes>::NAME, v));
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
                    $field: match o.opt(<$P as ProtoTypes>::NAME) {
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
                    let name = <$P as ProtoTypes>::NAME;
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
            $(
                $(#[cfg($when)])?
                if let Some(c) = cfg.$field.as_ref() {
                    <$P as Protocol>::check_peers(c, cfg, servers, clients)?;
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
                        let name = <$P as ProtoTypes>::NAME;
                        let since = <$P as Protocol>::SINCE_VERSION;
                        let op = <$P as ProtoTypes>::cmd_op(x);
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
        }    };
}

with_protocols!(define_dispatch);

/// The counters a handler's sends and events feed, for the contexts the engine builds.
pub(crate) const HOOKS: Hooks = Hooks { on_send, observe };

/// Every built-in invariant, the engine's first, then each protocol's in registry order.
pub fn all_invariants() -> Vec<Invariant> {
    let mut all = invariant::engine_invariants();
    all.extend(protocol_invariants());
    all
}

/// The built-in invariant with this name.
pub fn find_invariant(name: &str) -> Option<Invariant> {
    all_invariants().into_iter().find(|i| i.name == name)
}

/// Worlds are equal when every field and every protocol slot is: what the property tests
/// check after a replay. Written here, where each slot's type is known, rather than derived,
/// so the pages' wasm carries no comparison code they never call. The destructuring names
/// every field, so a new one cannot be left out unnoticed.
impl PartialEq for World {
    fn eq(&self, other: &Self) -> bool {
        let World {
            core,
            procs,
            protocols,
            topo,
        } = self;
        let Core {
            now,
            nodes,
            members,
            net,
            queue,
            rng,
            shared,
            next_timer,
            scheduled,
            pops,
            locals,
            next_local,
        } = core;
        let o = &other.core;
        *now == o.now
            && *nodes == o.nodes
            && *members == o.members
            && *net == o.net
            && *queue == o.queue
            && *rng == o.rng
            && shared_eq(shared, &o.shared)
            && *next_timer == o.next_timer
            && *scheduled == o.scheduled
            && *pops == o.pops
            && *locals == o.locals
            && *next_local == o.next_local
            && procs.len() == other.procs.len()
            && procs.iter().zip(&other.procs).all(|(a, b)| procs_eq(a, b))
            && *protocols == other.protocols
            && *topo == other.topo
    }
}

impl Checker {
    /// A checker for every built-in invariant.
    pub fn builtin() -> Self {
        Self::new(all_invariants())
    }
}
