//! The world: servers (the ring's nodes) and clients, each with a clock, a durable log and
//! volatile protocol state; one network; one `Rng`; one event queue ordered by (time, seq).
//! Inputs are [`World::apply`] (commands) and [`World::step`] / [`World::advance_to`]
//! (time); outputs are [`Event`]s appended to a caller's buffer. The world is a plain value
//! (`Clone + PartialEq`), which is what makes snapshots and time travel trivial.

use serde::{Deserialize, Serialize};

use super::clock::Clock;
use super::cmd::{Cmd, CmdError, MAX_PAUSE_MS};
use super::event::{Event, What};
pub use super::ids::{NodeIx, Role};
use super::net::{LinkCfg, Net};
use super::proto::enums::{Payload, ProtoCfg, Record, Registered, TimerKind};
use super::queue::{Due, Queue};
use super::ring;
use super::rng::Rng;
use super::slots::{Procs, ProtoShared};
use super::time::Time;
use super::topology::{KeyCfg, Topology};

/// Most nodes (servers + clients, removed ones included) a world may hold: enough for any
/// lesson, small enough that per-node loops stay cheap and a typo cannot exhaust memory.
pub const MAX_NODES: usize = 256;

/// Whether a node's process is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Running (possibly paused: see [`Clock::is_paused`]).
    Up,
    /// Crashed: receives nothing, sends nothing, keeps its durable log.
    Down,
    /// Left the cluster for good.
    Removed,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PendingTimer {
    pub(crate) id: u64,
    pub(crate) deadline: i64,
    pub(crate) kind: TimerKind,
}

/// One node: identity, process status, clock and durable log. Volatile protocol state lives
/// beside it in [`Procs`].
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Unique name (also the ring label for servers).
    pub name: String,
    /// Server or client.
    pub role: Role,
    /// Process status.
    pub status: Status,
    /// The node's own clock (offset, drift, pauses).
    pub clock: Clock,
    /// Survives crashes; protocols rebuild from it on recovery.
    pub durable: Vec<Record>,
    /// The node's id in the ring (servers only).
    pub ring_id: Option<ring::NodeId>,
    pub(crate) timers: Vec<PendingTimer>,
    pub(crate) timer_epoch: u32,
    pub(crate) pause_started: Time,
}

/// One server in the initial cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerSpec {
    /// Unique name.
    pub name: String,
    /// Ring weight (relative capacity).
    pub weight: f64,
}

/// Everything needed to build a world (a scenario decodes into this).
#[derive(Clone, Debug, PartialEq)]
pub struct WorldCfg {
    /// Seed of the world's one `Rng`.
    pub seed: u64,
    /// Initial servers, in join order.
    pub servers: Vec<ServerSpec>,
    /// Initial clients.
    pub clients: Vec<String>,
    /// Link behaviour.
    pub net: LinkCfg,
    /// Which protocols the servers run.
    pub protocols: ProtoCfg,
    /// Ring vnodes per unit weight.
    pub vnodes: u32,
    /// The keys whose movement is counted on ring changes.
    pub keys: KeyCfg,
}

impl Default for WorldCfg {
    fn default() -> Self {
        WorldCfg {
            seed: 0,
            servers: Vec::new(),
            clients: Vec::new(),
            net: LinkCfg::default(),
            protocols: ProtoCfg::default(),
            vnodes: 64,
            keys: KeyCfg::default(),
        }
    }
}

/// The state protocols may touch through [`Ctx`]; split from [`World::procs`] so a handler
/// can borrow its own state and the rest of the world at once.
#[derive(Clone, Debug)]
pub(crate) struct Core {
    pub(crate) now: Time,
    pub(crate) nodes: Vec<Node>,
    /// Servers not removed, in join order (a protocol's peer list).
    pub(crate) members: Vec<NodeIx>,
    pub(crate) net: Net,
    pub(crate) queue: Queue,
    pub(crate) rng: Rng,
    /// Every protocol's world-wide state (counters, order books), updated as protocols
    /// send and emit.
    pub(crate) shared: ProtoShared,
    pub(crate) next_timer: u64,
    pub(crate) scheduled: Vec<Cmd>,
    pub(crate) pops: u64,
    /// Payloads handed from one protocol to another on the same node, not yet taken: by
    /// id, the node and the payload. A crash drops the node's.
    pub(crate) locals: std::collections::BTreeMap<u64, (NodeIx, Payload)>,
    pub(crate) next_local: u64,
}

impl Core {
    pub(crate) fn send(
        &mut self,
        from: NodeIx,
        to: NodeIx,
        payload: Payload,
        out: &mut Vec<Event>,
    ) {
        let (a, b) = self.net.send(&mut self.rng, self.now, from, to, payload);
        for id in std::iter::once(a).chain(b) {
            if let Some(m) = self.net.get(id) {
                let (deliver_at, dup_of) = (m.deliver_at, m.dup_of);
                self.queue.push(deliver_at, Due::Deliver(id));
                out.push(Event {
                    t: self.now,
                    node: Some(from),
                    what: What::Send {
                        msg: id,
                        to,
                        payload,
                        deliver_at,
                        dup_of,
                    },
                });
            }
        }
    }

    pub(crate) fn set_timer(&mut self, node: NodeIx, deadline: i64, kind: TimerKind) {
        let id = self.next_timer;
        self.next_timer += 1;
        let n = &mut self.nodes[node as usize];
        n.timers.push(PendingTimer { id, deadline, kind });
        let at = n.clock.virtual_at(deadline, self.now);
        let epoch = n.timer_epoch;
        self.queue.push(at, Due::Timer { node, id, epoch });
    }

    /// After a clock change, re-derives every pending timer's virtual firing time; the old
    /// queue entries become stale (their epoch no longer matches).
    pub(crate) fn reschedule_timers(&mut self, node: NodeIx) {
        let now = self.now;
        let n = &mut self.nodes[node as usize];
        n.timer_epoch = n.timer_epoch.wrapping_add(1);
        let epoch = n.timer_epoch;
        for t in &n.timers {
            let at = n.clock.virtual_at(t.deadline, now);
            self.queue.push(
                at,
                Due::Timer {
                    node,
                    id: t.id,
                    epoch,
                },
            );
        }
    }

    pub(crate) fn clear_timers(&mut self, node: NodeIx) {
        let n = &mut self.nodes[node as usize];
        n.timers.clear();
        n.timer_epoch = n.timer_epoch.wrapping_add(1);
        // In-process calls not yet taken die with the process.
        self.locals.retain(|_, (to, _)| *to != node);
    }

    /// Queues `payload` for the protocol that owns it on `node`, at the current virtual time
    /// (after everything already due now): an in-process call, not a message.
    pub(crate) fn local(&mut self, node: NodeIx, payload: Payload) {
        let id = self.next_local;
        self.next_local += 1;
        self.locals.insert(id, (node, payload));
        self.queue.push(self.now, Due::Local(id));
    }
}

/// The simulated cluster. See the module docs. Worlds compare equal field by field and
/// protocol slot by protocol slot (`PartialEq` is in the registry's dispatch, which knows
/// each slot's type).
#[derive(Clone, Debug)]
pub struct World {
    pub(crate) core: Core,
    pub(crate) procs: Vec<Procs>,
    pub(crate) protocols: ProtoCfg,
    pub(crate) topo: Topology,
}
impl World {
    // ----- queries -----

    /// Current virtual time.
    pub fn now(&self) -> Time {
        self.core.now
    }

    /// How many queue items have been processed: the replay position used by the timeline.
    pub fn pops(&self) -> u64 {
        self.core.pops
    }

    /// All nodes ever added, by index.
    pub fn nodes(&self) -> &[Node] {
        &self.core.nodes
    }

    /// One node by index.
    pub fn node(&self, ix: NodeIx) -> Option<&Node> {
        self.core.nodes.get(ix as usize)
    }

    /// Index of the node with this name.
    pub fn node_ix(&self, name: &str) -> Option<NodeIx> {
        self.core
            .nodes
            .iter()
            .position(|n| n.name == name)
            .map(|i| i as NodeIx)
    }

    /// Name of a node ("#7" for an index that does not exist, so rendering never fails).
    pub fn name(&self, ix: NodeIx) -> String {
        self.node(ix)
            .map_or_else(|| format!("#{ix}"), |n| n.name.clone())
    }

    /// Servers not removed, in join order.
    pub fn members(&self) -> &[NodeIx] {
        &self.core.members
    }

    /// The network (messages in flight, partitions, settings).
    pub fn net(&self) -> &Net {
        &self.core.net
    }

    /// The ring and tracked keys.
    pub fn topology(&self) -> &Topology {
        &self.topo
    }

    /// A node's volatile protocol state.
    pub fn procs(&self, ix: NodeIx) -> Option<&Procs> {
        self.procs.get(ix as usize)
    }

    /// Which protocols run, with their settings (as given to [`World::new`]).
    pub fn protocols(&self) -> &ProtoCfg {
        &self.protocols
    }

    /// A protocol's settings, if the world runs it.
    pub fn cfg<P: Registered>(&self) -> Option<&P::Cfg> {
        P::cfg(&self.protocols)
    }

    /// What a node's clock reads now.
    pub fn local_time(&self, ix: NodeIx) -> Option<i64> {
        self.node(ix).map(|n| n.clock.local_time(self.core.now))
    }

    /// Whether the node is up and not frozen: the only state in which it may act.
    pub fn is_active(&self, ix: NodeIx) -> bool {
        self.node(ix)
            .is_some_and(|n| n.status == Status::Up && !n.clock.is_paused(self.core.now))
    }

    /// Time of the next queued item, if any.
    pub fn next_time(&self) -> Option<Time> {
        self.core.queue.peek_time()
    }

    /// The event in words, with this world's node names.
    pub fn describe(&self, e: &Event) -> String {
        e.describe(&|ix| self.name(ix))
    }

    pub(crate) fn ix(&self, name: &str) -> Result<NodeIx, CmdError> {
        self.node_ix(name)
            .ok_or_else(|| CmdError::UnknownNode(name.to_string()))
    }

    /// Index of a node that exists and has not left the cluster.
    pub(crate) fn present(&self, name: &str) -> Result<NodeIx, CmdError> {
        let ix = self.ix(name)?;
        if self.core.nodes[ix as usize].status == Status::Removed {
            return Err(CmdError::WrongState {
                node: name.to_string(),
                state: "removed",
            });
        }
        Ok(ix)
    }

    /// Index of the client `name`, checked able to act now (up, not paused).
    pub(crate) fn active_client(&self, name: &str) -> Result<NodeIx, CmdError> {
        let ix = self.present(name)?;
        let n = &self.core.nodes[ix as usize];
        if n.role != Role::Client {
            return Err(CmdError::WrongRole {
                node: name.to_string(),
                needs: "client",
            });
        }
        if n.status != Status::Up {
            return Err(CmdError::WrongState {
                node: name.to_string(),
                state: "down",
            });
        }
        if n.clock.is_paused(self.core.now) {
            return Err(CmdError::WrongState {
                node: name.to_string(),
                state: "paused",
            });
        }
        Ok(ix)
    }
}

/// What a protocol's command handler and its build hook may do with the world: find nodes by
/// name, check they can act, run code on one node's state with a handler context, and seed
/// durable records. The engine's internals stay private to this file.
pub struct CmdCtx<'a> {
    pub(crate) world: &'a mut World,
    pub(crate) out: &'a mut Vec<Event>,
    /// The counters the handlers it runs feed (the registry's dispatch).
    pub(crate) hooks: Hooks,
}

/// Where a protocol counts what its handlers send and say: the registry's dispatch fills it
/// in, so the engine's contexts feed the counters without naming any protocol.
#[derive(Clone, Copy)]
pub(crate) struct Hooks {
    /// A message was put on the wire.
    pub(crate) on_send: fn(&mut ProtoShared, &Payload),
    /// An event was reported.
    pub(crate) observe: fn(&mut ProtoShared, NodeIx, Time, &What),
}

impl CmdCtx<'_> {
    /// The world as it is (read-only).
    pub fn world(&self) -> &World {
        self.world
    }

    /// A protocol's settings, if the world runs it.
    pub fn cfg<P: Registered>(&self) -> Option<&P::Cfg> {
        P::cfg(&self.world.protocols)
    }

    /// A protocol's settings, to change from now on (snapshots carry the change, so a fork
    /// keeps the past under the old settings).
    pub fn cfg_mut<P: Registered>(&mut self) -> Option<&mut P::Cfg> {
        P::cfg_mut(&mut self.world.protocols)
    }

    /// Index of a node that exists and has not left the cluster.
    pub fn present(&self, name: &str) -> Result<NodeIx, CmdError> {
        self.world.present(name)
    }

    /// Index of the client `name`, checked able to act now (up, not paused).
    pub fn active_client(&self, name: &str) -> Result<NodeIx, CmdError> {
        self.world.active_client(name)
    }

    /// Appends a record to node `ix`'s durable log (seeding before the run starts).
    pub fn persist(&mut self, ix: NodeIx, r: Record) {
        if let Some(n) = self.world.core.nodes.get_mut(ix as usize) {
            n.durable.push(r);
        }
    }
}

/// Refuses a duration beyond an hour of virtual time (commands' `work_ms`, `wait_ms`).
pub fn check_ms(field: &'static str, v: u64) -> Result<(), CmdError> {
    if v > MAX_PAUSE_MS {
        return Err(CmdError::BadValue {
            field,
            reason: format!("must be at most {MAX_PAUSE_MS}, got {v}"),
        });
    }
    Ok(())
}
