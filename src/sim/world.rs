//! The world: servers (the ring's nodes) and clients, each with a clock, a durable log and
//! volatile protocol state; one network; one `Rng`; one event queue ordered by (time, seq).
//! Inputs are [`World::apply`] (commands) and [`World::step`] / [`World::advance_to`]
//! (time); outputs are [`Event`]s appended to a caller's buffer. The world is a plain value
//! (`Clone + PartialEq`), which is what makes snapshots and time travel trivial.

use serde::{Deserialize, Serialize};

use super::clock::{Clock, MAX_DRIFT_PPM};
use super::cmd::{Cmd, CmdError, MAX_CLOCK_STEP_MS, MAX_NOTE_CHARS, MAX_PAUSE_MS};
use super::event::{DropReason, Event, What};
pub use super::ids::{NodeIx, Role};
use super::net::{Fate, LinkCfg, Net, MAX_LATENCY_MS};
use super::proto::{
    registry, Ctx, Payload, Procs, ProtoCfg, ProtoShared, Record, Registered, TimerKind,
};
use super::queue::{Due, Queue};
use super::ring;
use super::rng::Rng;
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
struct PendingTimer {
    id: u64,
    deadline: i64,
    kind: TimerKind,
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
    timers: Vec<PendingTimer>,
    timer_epoch: u32,
    pause_started: Time,
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
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Core {
    pub(crate) now: Time,
    pub(crate) nodes: Vec<Node>,
    /// Servers not removed, in join order (a protocol's peer list).
    pub(crate) members: Vec<NodeIx>,
    pub(crate) net: Net,
    queue: Queue,
    pub(crate) rng: Rng,
    /// Every protocol's world-wide state (counters, order books), updated as protocols
    /// send and emit.
    pub(crate) shared: ProtoShared,
    next_timer: u64,
    scheduled: Vec<Cmd>,
    pops: u64,
    /// Payloads handed from one protocol to another on the same node, not yet taken: by
    /// id, the node and the payload. A crash drops the node's.
    locals: std::collections::BTreeMap<u64, (NodeIx, Payload)>,
    next_local: u64,
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
    fn reschedule_timers(&mut self, node: NodeIx) {
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

    fn clear_timers(&mut self, node: NodeIx) {
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

/// The simulated cluster. See the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct World {
    core: Core,
    procs: Vec<Procs>,
    protocols: ProtoCfg,
    topo: Topology,
}

impl World {
    /// Builds the initial cluster (no events: the trace starts empty). Errors name the
    /// offending server, client or setting.
    pub fn new(cfg: &WorldCfg) -> Result<Self, CmdError> {
        cfg.net.validate().map_err(|reason| CmdError::BadValue {
            field: "net",
            reason,
        })?;
        let servers: Vec<String> = cfg.servers.iter().map(|s| s.name.clone()).collect();
        registry::check_cfg(&cfg.protocols, None, &servers, &cfg.clients).map_err(
            |(field, reason)| {
                let (section, rest) = field.split_once('.').unwrap_or((field.as_str(), ""));
                let section = registry::names()
                    .into_iter()
                    .find(|n| *n == section)
                    .unwrap_or("protocols");
                CmdError::BadValue {
                    field: section,
                    reason: if rest.is_empty() {
                        reason
                    } else {
                        format!("{rest}: {reason}")
                    },
                }
            },
        )?;
        if cfg.servers.len() + cfg.clients.len() > MAX_NODES {
            return Err(CmdError::Limit(format!(
                "at most {MAX_NODES} nodes, got {}",
                cfg.servers.len() + cfg.clients.len()
            )));
        }
        let topo = Topology::new(cfg.vnodes, &cfg.keys).map_err(CmdError::Ring)?;
        let mut w = World {
            core: Core {
                now: 0,
                nodes: Vec::new(),
                members: Vec::new(),
                net: Net::new(cfg.net.clone()),
                queue: Queue::default(),
                rng: Rng::new(cfg.seed),
                next_timer: 0,
                scheduled: Vec::new(),
                pops: 0,
                locals: std::collections::BTreeMap::new(),
                next_local: 0,
                shared: ProtoShared::default(),
            },
            procs: Vec::new(),
            protocols: cfg.protocols.clone(),
            topo,
        };
        let mut scratch = Vec::new();
        for s in &cfg.servers {
            w.apply(
                &Cmd::AddNode {
                    node: s.name.clone(),
                    weight: s.weight,
                },
                &mut scratch,
            )?;
        }
        for c in &cfg.clients {
            w.apply(&Cmd::AddClient { node: c.clone() }, &mut scratch)?;
        }
        registry::on_built(
            &cfg.protocols,
            &mut CmdCtx {
                world: &mut w,
                out: &mut scratch,
            },
        );
        w.topo.reset_epoch();
        registry::reset_counters(&mut w.core.shared);
        Ok(w)
    }

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

    /// A protocol's world-wide state (its counters, its order book).
    pub fn shared<P: Registered>(&self) -> &P::Shared {
        P::shared(&self.core.shared)
    }

    /// A protocol's settings, if the world runs it.
    pub fn cfg<P: Registered>(&self) -> Option<&P::Cfg> {
        P::cfg(&self.protocols)
    }

    /// Each enabled protocol's counters for the run summary (`"locks": {…}`), where
    /// `until` is the run's length.
    pub fn protocol_summaries(&self, until: Time) -> Vec<(&'static str, serde_json::Value)> {
        registry::summaries(&self.protocols, &self.core.shared, until)
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

    /// Rough bytes held by this world (what one snapshot costs).
    pub fn approx_bytes(&self) -> usize {
        let nodes: usize = self
            .core
            .nodes
            .iter()
            .map(|n| {
                std::mem::size_of::<Node>()
                    + n.name.capacity()
                    + n.durable.capacity() * std::mem::size_of::<Record>()
                    + n.timers.capacity() * std::mem::size_of::<PendingTimer>()
            })
            .sum();
        let procs: usize = self.procs.iter().map(registry::node_bytes).sum();
        std::mem::size_of::<Self>()
            + nodes
            + procs
            + self.core.members.capacity() * 4
            + self.core.net.approx_bytes()
            + self.core.queue.approx_bytes()
            + self.core.scheduled.capacity() * std::mem::size_of::<Cmd>()
            + self.topo.approx_bytes()
            + registry::shared_bytes(&self.core.shared)
    }

    // ----- inputs -----

    /// Queues a command to run at virtual time `at` (a scenario's schedule). Scheduled
    /// commands are world state, so they survive time-travel forks; a command that fails
    /// when its time comes becomes a `rejected` event instead of an error.
    pub fn schedule(&mut self, at: Time, cmd: Cmd) {
        let idx = self.core.scheduled.len() as u32;
        self.core.scheduled.push(cmd);
        self.core
            .queue
            .push(at.max(self.core.now), Due::Scheduled(idx));
    }

    /// Processes queued items until one produces at least one event (or nothing is left).
    /// Returns false when the queue is empty.
    pub fn step(&mut self, out: &mut Vec<Event>) -> bool {
        let before = out.len();
        while self.pop_one(out) {
            if out.len() > before {
                return true;
            }
        }
        out.len() > before
    }

    /// Processes exactly one queued item (which may be stale and produce nothing). This is
    /// the unit of replay: the timeline logs commands by [`World::pops`].
    pub fn pop_one(&mut self, out: &mut Vec<Event>) -> bool {
        let Some((t, due)) = self.core.queue.pop() else {
            return false;
        };
        self.core.now = self.core.now.max(t);
        self.core.pops += 1;
        self.handle(due, out);
        true
    }

    /// Processes everything due at or before `t`, then sets the clock to `t` (never back).
    pub fn advance_to(&mut self, t: Time, out: &mut Vec<Event>) {
        while self.core.queue.peek_time().is_some_and(|d| d <= t) {
            self.pop_one(out);
        }
        self.core.now = self.core.now.max(t);
    }

    /// Sets virtual time without processing anything; only for replaying a recorded log,
    /// where the log guarantees nothing was due in between.
    pub(crate) fn set_now(&mut self, t: Time) {
        self.core.now = self.core.now.max(t);
    }

    fn handle(&mut self, due: Due, out: &mut Vec<Event>) {
        match due {
            Due::Deliver(id) => self.deliver(id, out),
            Due::Timer { node, id, epoch } => self.fire_timer(node, id, epoch, out),
            Due::Resume(node) => self.resume(node, out),
            Due::Local(id) => self.take_local(id, out),
            Due::Scheduled(i) => {
                if let Some(cmd) = self.core.scheduled.get(i as usize).cloned() {
                    if let Err(e) = self.apply(&cmd, out) {
                        out.push(Event {
                            t: self.core.now,
                            node: None,
                            what: What::Rejected {
                                op: cmd.op().to_string(),
                                reason: e.to_string(),
                            },
                        });
                    }
                }
            }
        }
    }

    fn deliver(&mut self, id: u64, out: &mut Vec<Event>) {
        let now = self.core.now;
        let Some(m) = self.core.net.get(id) else {
            return; // dropped by hand earlier
        };
        let to = m.to;
        let Some(dest) = self.core.nodes.get(to as usize) else {
            return;
        };
        if dest.status == Status::Up {
            if let Some(until) = dest.clock.paused_until().filter(|&p| now < p) {
                // The receiver is frozen: the message waits in its socket buffer.
                self.core.net.postpone(id, until);
                self.core.queue.push(until, Due::Deliver(id));
                return;
            }
        }
        let Some(m) = self.core.net.take(id) else {
            return;
        };
        let reason = match (m.fate, dest.status) {
            (Fate::Lost, _) => Some(DropReason::Lost),
            (Fate::Cut, _) => Some(DropReason::Partition),
            _ if !self.core.net.connected(m.from, m.to) => Some(DropReason::Partition),
            (_, Status::Down) => Some(DropReason::ReceiverDown),
            (_, Status::Removed) => Some(DropReason::ReceiverRemoved),
            (Fate::Arrive, Status::Up) => None,
        };
        if let Some(reason) = reason {
            out.push(Event {
                t: now,
                node: Some(to),
                what: What::Drop {
                    msg: m.id,
                    from: m.from,
                    to,
                    sent_at: m.sent_at,
                    reason,
                },
            });
            return;
        }
        out.push(Event {
            t: now,
            node: Some(to),
            what: What::Deliver {
                msg: m.id,
                from: m.from,
                sent_at: m.sent_at,
                payload: m.payload,
            },
        });
        let mut ctx = Ctx {
            core: &mut self.core,
            out,
            me: to,
            topo: &self.topo,
        };
        if let Some(p) = self.procs.get_mut(to as usize) {
            registry::on_message(p, &mut ctx, m.from, m.payload);
        }
    }

    /// Hands a queued local payload to its protocol, unless its node went down meanwhile
    /// (the crash already dropped it); a paused node takes it when it resumes.
    fn take_local(&mut self, id: u64, out: &mut Vec<Event>) {
        let now = self.core.now;
        let Some(&(node, payload)) = self.core.locals.get(&id) else {
            return;
        };
        let Some(n) = self.core.nodes.get(node as usize) else {
            self.core.locals.remove(&id);
            return;
        };
        if n.status != Status::Up {
            self.core.locals.remove(&id);
            return;
        }
        if let Some(until) = n.clock.paused_until().filter(|&p| now < p) {
            self.core.queue.push(until, Due::Local(id));
            return;
        }
        self.core.locals.remove(&id);
        let mut ctx = Ctx {
            core: &mut self.core,
            out,
            me: node,
            topo: &self.topo,
        };
        if let Some(p) = self.procs.get_mut(node as usize) {
            registry::on_message(p, &mut ctx, node, payload);
        }
    }

    fn fire_timer(&mut self, node: NodeIx, id: u64, epoch: u32, out: &mut Vec<Event>) {
        let now = self.core.now;
        let Some(n) = self.core.nodes.get_mut(node as usize) else {
            return;
        };
        if n.timer_epoch != epoch || n.status != Status::Up {
            return;
        }
        let Some(pos) = n.timers.iter().position(|t| t.id == id) else {
            return;
        };
        if let Some(until) = n.clock.paused_until().filter(|&p| now < p) {
            self.core.queue.push(until, Due::Timer { node, id, epoch });
            return;
        }
        let kind = n.timers.swap_remove(pos).kind;
        out.push(Event {
            t: now,
            node: Some(node),
            what: What::Timer { timer: kind },
        });
        let mut ctx = Ctx {
            core: &mut self.core,
            out,
            me: node,
            topo: &self.topo,
        };
        if let Some(p) = self.procs.get_mut(node as usize) {
            registry::on_timer(p, &mut ctx, kind);
        }
    }

    fn resume(&mut self, node: NodeIx, out: &mut Vec<Event>) {
        let now = self.core.now;
        let Some(n) = self.core.nodes.get_mut(node as usize) else {
            return;
        };
        match n.clock.paused_until() {
            Some(p) if p <= now && n.status == Status::Up => {
                n.clock.clear_pause();
                let paused_ms = now - n.pause_started;
                out.push(Event {
                    t: now,
                    node: Some(node),
                    what: What::Resume { paused_ms },
                });
            }
            _ => {}
        }
    }

    fn ix(&self, name: &str) -> Result<NodeIx, CmdError> {
        self.node_ix(name)
            .ok_or_else(|| CmdError::UnknownNode(name.to_string()))
    }

    /// Index of a node that exists and has not left the cluster.
    fn present(&self, name: &str) -> Result<NodeIx, CmdError> {
        let ix = self.ix(name)?;
        if self.core.nodes[ix as usize].status == Status::Removed {
            return Err(CmdError::WrongState {
                node: name.to_string(),
                state: "removed",
            });
        }
        Ok(ix)
    }

    fn server(&self, name: &str) -> Result<(NodeIx, ring::NodeId), CmdError> {
        let ix = self.present(name)?;
        match self.core.nodes[ix as usize].ring_id {
            Some(r) => Ok((ix, r)),
            None => Err(CmdError::WrongRole {
                node: name.to_string(),
                needs: "server",
            }),
        }
    }

    fn emit(&self, out: &mut Vec<Event>, node: Option<NodeIx>, what: What) {
        out.push(Event {
            t: self.core.now,
            node,
            what,
        });
    }

    fn new_node(&mut self, name: &str, role: Role) -> Result<NodeIx, CmdError> {
        ring::validate_name(name).map_err(|e| CmdError::BadValue {
            field: "node",
            reason: e.to_string(),
        })?;
        if self.node_ix(name).is_some() {
            return Err(CmdError::DuplicateName(name.to_string()));
        }
        if self.core.nodes.len() >= MAX_NODES {
            return Err(CmdError::Limit(format!("at most {MAX_NODES} nodes")));
        }
        let ix = self.core.nodes.len() as NodeIx;
        self.core.nodes.push(Node {
            name: name.to_string(),
            role,
            status: Status::Up,
            clock: Clock::new(),
            durable: Vec::new(),
            ring_id: None,
            timers: Vec::new(),
            timer_epoch: 0,
            pause_started: 0,
        });
        self.procs.push(Procs::default());
        self.core.net.add_node();
        Ok(ix)
    }

    fn boot(&mut self, ix: NodeIx, out: &mut Vec<Event>) {
        let mut ctx = Ctx {
            core: &mut self.core,
            out,
            me: ix,
            topo: &self.topo,
        };
        self.procs[ix as usize] = registry::boot(&self.protocols, &mut ctx);
    }

    /// Index of the client `name`, checked able to act now (up, not paused).
    fn active_client(&self, name: &str) -> Result<NodeIx, CmdError> {
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

    /// Applies a command at the current virtual time, appending its events to `out`.
    /// Refused commands change nothing and say why (naming the field or node).
    pub fn apply(&mut self, cmd: &Cmd, out: &mut Vec<Event>) -> Result<(), CmdError> {
        let now = self.core.now;
        match cmd {
            Cmd::AddNode { node, weight } => {
                if !weight.is_finite() || *weight <= 0.0 {
                    return Err(CmdError::BadValue {
                        field: "weight",
                        reason: format!("must be a positive number, got {weight}"),
                    });
                }
                if self.node_ix(node).is_some() {
                    return Err(CmdError::DuplicateName(node.clone()));
                }
                if self.core.nodes.len() >= MAX_NODES {
                    return Err(CmdError::Limit(format!("at most {MAX_NODES} nodes")));
                }
                // Ring first: it validates the name and weight and may refuse.
                let (rid, moved) = self.topo.join(node, *weight).map_err(CmdError::Ring)?;
                let ix = self.new_node(node, Role::Server)?;
                self.core.nodes[ix as usize].ring_id = Some(rid);
                self.core.members.push(ix);
                self.emit(
                    out,
                    Some(ix),
                    What::RingJoin {
                        weight: *weight,
                        moved,
                    },
                );
                self.boot(ix, out);
            }
            Cmd::AddClient { node } => {
                let ix = self.new_node(node, Role::Client)?;
                self.emit(out, Some(ix), What::ClientJoin);
                self.boot(ix, out);
            }
            Cmd::RemoveNode { node } => {
                let (ix, rid) = self.server(node)?;
                let moved = self.topo.leave(rid).map_err(CmdError::Ring)?;
                self.core.nodes[ix as usize].status = Status::Removed;
                self.core.nodes[ix as usize].clock.clear_pause();
                self.core.clear_timers(ix);
                self.core.members.retain(|&m| m != ix);
                self.procs[ix as usize] = Procs::default();
                self.emit(out, Some(ix), What::RingLeave { moved });
            }
            Cmd::FailNode { node } => {
                let (ix, rid) = self.server(node)?;
                let moved = self.topo.fail(rid).map_err(CmdError::Ring)?;
                self.emit(out, Some(ix), What::RingFail { moved });
            }
            Cmd::RecoverNode { node } => {
                let (ix, rid) = self.server(node)?;
                let moved = self.topo.recover(rid).map_err(CmdError::Ring)?;
                self.emit(out, Some(ix), What::RingRecover { moved });
            }
            Cmd::Crash { node } => {
                let ix = self.present(node)?;
                let n = &mut self.core.nodes[ix as usize];
                if n.status != Status::Up {
                    return Err(CmdError::WrongState {
                        node: node.clone(),
                        state: "already down",
                    });
                }
                n.status = Status::Down;
                n.clock.clear_pause();
                self.core.clear_timers(ix);
                self.procs[ix as usize] = Procs::default();
                registry::on_crash(&mut self.core.shared, ix);
                self.emit(out, Some(ix), What::Crash);
            }
            Cmd::Recover { node } => {
                let ix = self.present(node)?;
                if self.core.nodes[ix as usize].status != Status::Down {
                    return Err(CmdError::WrongState {
                        node: node.clone(),
                        state: "not down",
                    });
                }
                self.core.nodes[ix as usize].status = Status::Up;
                self.emit(out, Some(ix), What::Recover);
                self.boot(ix, out);
            }
            Cmd::Pause { node, ms } => {
                if !(1..=MAX_PAUSE_MS).contains(ms) {
                    return Err(CmdError::BadValue {
                        field: "ms",
                        reason: format!("must be in 1..={MAX_PAUSE_MS}, got {ms}"),
                    });
                }
                let ix = self.present(node)?;
                let n = &mut self.core.nodes[ix as usize];
                if n.status != Status::Up {
                    return Err(CmdError::WrongState {
                        node: node.clone(),
                        state: "down",
                    });
                }
                if !n.clock.is_paused(now) {
                    n.pause_started = now;
                }
                let until = n.clock.pause(now.saturating_add(*ms));
                self.core.queue.push(until, Due::Resume(ix));
                self.emit(out, Some(ix), What::Pause { ms: *ms, until });
            }
            Cmd::ClockJump { node, delta_ms } => {
                check_step("delta_ms", *delta_ms)?;
                let ix = self.present(node)?;
                let clock = &mut self.core.nodes[ix as usize].clock;
                clock.jump(now, *delta_ms);
                let local = clock.local_time(now);
                self.core.reschedule_timers(ix);
                self.emit(
                    out,
                    Some(ix),
                    What::ClockJump {
                        delta_ms: *delta_ms,
                        local,
                    },
                );
            }
            Cmd::SetSkew { node, offset_ms } => {
                check_step("offset_ms", *offset_ms)?;
                let ix = self.present(node)?;
                self.core.nodes[ix as usize]
                    .clock
                    .set_offset(now, *offset_ms);
                self.core.reschedule_timers(ix);
                self.emit(
                    out,
                    Some(ix),
                    What::ClockSkew {
                        offset_ms: *offset_ms,
                    },
                );
            }
            Cmd::SetDrift { node, ppm } => {
                if !(-MAX_DRIFT_PPM..=MAX_DRIFT_PPM).contains(ppm) {
                    return Err(CmdError::BadValue {
                        field: "ppm",
                        reason: format!("must be within ±{MAX_DRIFT_PPM}, got {ppm}"),
                    });
                }
                let ix = self.present(node)?;
                self.core.nodes[ix as usize].clock.set_drift(now, *ppm);
                self.core.reschedule_timers(ix);
                self.emit(out, Some(ix), What::ClockDrift { ppm: *ppm });
            }
            Cmd::Partition { side } => {
                let mut ixs = Vec::with_capacity(side.len());
                for name in side {
                    ixs.push(self.present(name)?);
                }
                ixs.sort_unstable();
                ixs.dedup();
                let other: Vec<NodeIx> = (0..self.core.nodes.len() as NodeIx)
                    .filter(|i| {
                        !ixs.contains(i) && self.core.nodes[*i as usize].status != Status::Removed
                    })
                    .collect();
                self.core.net.split(&ixs);
                self.emit(out, None, What::Partition { side: ixs, other });
            }
            Cmd::Isolate { node } => {
                let ix = self.present(node)?;
                self.core.net.isolate(ix);
                self.emit(out, Some(ix), What::Isolate);
            }
            Cmd::Heal => {
                self.core.net.heal();
                self.emit(out, None, What::Heal);
            }
            Cmd::DropMessage { msg } => {
                let m = self
                    .core
                    .net
                    .take(*msg)
                    .ok_or(CmdError::UnknownMessage(*msg))?;
                self.emit(
                    out,
                    Some(m.to),
                    What::Drop {
                        msg: m.id,
                        from: m.from,
                        to: m.to,
                        sent_at: m.sent_at,
                        reason: DropReason::Manual,
                    },
                );
            }
            Cmd::SetLoss { loss } => {
                let cfg = LinkCfg {
                    loss: *loss,
                    ..self.core.net.cfg().clone()
                };
                self.set_net(cfg, "loss", out)?;
            }
            Cmd::SetDup { dup } => {
                let cfg = LinkCfg {
                    dup: *dup,
                    ..self.core.net.cfg().clone()
                };
                self.set_net(cfg, "dup", out)?;
            }
            Cmd::SetLatency { base_ms, jitter_ms } => {
                let cfg = LinkCfg {
                    base_ms: *base_ms,
                    jitter_ms: *jitter_ms,
                    ..self.core.net.cfg().clone()
                };
                self.set_net(cfg, "base_ms/jitter_ms", out)?;
            }
            Cmd::SetLinkLatency {
                from,
                to,
                base_ms,
                jitter_ms,
                both_ways,
            } => {
                let a = self.present(from)?;
                let b = self.present(to)?;
                if a == b {
                    return Err(CmdError::BadValue {
                        field: "to",
                        reason: format!("a link joins two different nodes, got {from} twice"),
                    });
                }
                for (field, v) in [("base_ms", *base_ms), ("jitter_ms", *jitter_ms)] {
                    if v > MAX_LATENCY_MS {
                        return Err(CmdError::BadValue {
                            field,
                            reason: format!("at most {MAX_LATENCY_MS} ms, got {v}"),
                        });
                    }
                }
                self.core.net.set_link(a, b, *base_ms, *jitter_ms);
                if *both_ways {
                    self.core.net.set_link(b, a, *base_ms, *jitter_ms);
                }
                self.emit(
                    out,
                    Some(a),
                    What::LinkSet {
                        to: b,
                        base_ms: *base_ms,
                        jitter_ms: *jitter_ms,
                        both_ways: *both_ways,
                    },
                );
            }
            Cmd::Note { text } => {
                if text.chars().count() > MAX_NOTE_CHARS {
                    return Err(CmdError::BadValue {
                        field: "text",
                        reason: format!("at most {MAX_NOTE_CHARS} characters"),
                    });
                }
                self.emit(out, None, What::Note { text: text.clone() });
            }
            Cmd::WipeDisk { node } => {
                let ix = self.present(node)?;
                let n = &mut self.core.nodes[ix as usize];
                if n.status != Status::Down {
                    return Err(CmdError::WrongState {
                        node: node.clone(),
                        state: "up (crash it first)",
                    });
                }
                n.durable.clear();
                self.emit(out, Some(ix), What::WipeDisk);
            }
            Cmd::Proto(c) => registry::on_command(c, &mut CmdCtx { world: self, out })?,
        }
        Ok(())
    }

    fn set_net(
        &mut self,
        cfg: LinkCfg,
        field: &'static str,
        out: &mut Vec<Event>,
    ) -> Result<(), CmdError> {
        cfg.validate()
            .map_err(|reason| CmdError::BadValue { field, reason })?;
        self.emit(
            out,
            None,
            What::NetSet {
                base_ms: cfg.base_ms,
                jitter_ms: cfg.jitter_ms,
                loss: cfg.loss,
                dup: cfg.dup,
            },
        );
        self.core.net.set_cfg(cfg);
        Ok(())
    }
}

fn check_step(field: &'static str, v: i64) -> Result<(), CmdError> {
    if v.unsigned_abs() > MAX_CLOCK_STEP_MS.unsigned_abs() {
        return Err(CmdError::BadValue {
            field,
            reason: format!("must be within ±{MAX_CLOCK_STEP_MS} ms, got {v}"),
        });
    }
    Ok(())
}

/// What a protocol's command handler and its build hook may do with the world: find nodes by
/// name, check they can act, run code on one node's state with a handler context, and seed
/// durable records. The engine's internals stay private to this file.
pub struct CmdCtx<'a> {
    pub(crate) world: &'a mut World,
    pub(crate) out: &'a mut Vec<Event>,
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

    /// Runs `f` on node `ix`'s state of protocol `P` (None when it does not run there) with
    /// a handler context, so a command acts exactly as a message handler would.
    pub fn on_node<P: Registered, T>(
        &mut self,
        ix: NodeIx,
        f: impl FnOnce(Option<&mut P::Node>, &mut Ctx<'_>) -> T,
    ) -> T {
        let w = &mut *self.world;
        let mut ctx = Ctx {
            core: &mut w.core,
            out: self.out,
            me: ix,
            topo: &w.topo,
        };
        let node = w
            .procs
            .get_mut(ix as usize)
            .and_then(|p| P::node_mut(p).as_mut());
        f(node, &mut ctx)
    }

    /// Appends a record to node `ix`'s durable log (seeding before the run starts).
    pub fn persist(&mut self, ix: NodeIx, r: Record) {
        if let Some(n) = self.world.core.nodes.get_mut(ix as usize) {
            n.durable.push(r);
        }
    }

    /// Restarts protocol `P` alone on node `ix`, so it reads what was just persisted.
    pub fn reboot<P: Registered>(&mut self, ix: NodeIx, cfg: &P::Cfg) {
        let w = &mut *self.world;
        let mut ctx = Ctx {
            core: &mut w.core,
            out: self.out,
            me: ix,
            topo: &w.topo,
        };
        let node = P::boot(cfg, &mut ctx);
        if let Some(p) = w.procs.get_mut(ix as usize) {
            *P::node_mut(p) = node;
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
