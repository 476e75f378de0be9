//! How the world moves: building the initial cluster, stepping the event queue (deliveries,
//! timers, scheduled commands), applying commands and faults, and handing each input to the
//! protocol it belongs to through the registry's [`dispatch`]. The world's value and its
//! queries are in [`world`](super::world); this file is the only engine code that calls into
//! protocols, which is what keeps the world below them.

use super::clock::{Clock, MAX_DRIFT_PPM};
use super::cmd::{Cmd, CmdError, MAX_CLOCK_STEP_MS, MAX_NOTE_CHARS, MAX_PAUSE_MS};
use super::event::{DropReason, Event, What};
use super::ids::{NodeIx, Role};
use super::net::{Fate, LinkCfg, Net, MAX_LATENCY_MS};
use super::proto::dispatch;
use super::proto::enums::Record;
use super::queue::{Due, Queue};
use super::ring;
use super::rng::Rng;
use super::slots::Procs;
use super::time::Time;
use super::topology::Topology;
use super::world::{CmdCtx, Core, Node, PendingTimer, Status, World, WorldCfg, MAX_NODES};

impl World {
    /// Builds the initial cluster (no events: the trace starts empty). Errors name the
    /// offending server, client or setting.
    pub fn new(cfg: &WorldCfg) -> Result<Self, CmdError> {
        cfg.net.validate().map_err(|reason| CmdError::BadValue {
            field: "net",
            reason,
        })?;
        let servers: Vec<String> = cfg.servers.iter().map(|s| s.name.clone()).collect();
        dispatch::check_cfg(&cfg.protocols, None, &servers, &cfg.clients).map_err(
            |(field, reason)| {
                let (section, rest) = field.split_once('.').unwrap_or((field.as_str(), ""));
                let section = dispatch::names()
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
                shared: dispatch::new_shared(),
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
        dispatch::on_built(
            &cfg.protocols,
            &mut CmdCtx {
                world: &mut w,
                out: &mut scratch,
                hooks: dispatch::HOOKS,
            },
        );
        w.topo.reset_epoch();
        dispatch::reset_counters(&mut w.core.shared);
        Ok(w)
    }

    /// Each enabled protocol's counters for the run summary (`"locks": {…}`), where
    /// `until` is the run's length.
    pub fn protocol_summaries(&self, until: Time) -> Vec<(&'static str, serde_json::Value)> {
        dispatch::summaries(&self.protocols, &self.core.shared, until)
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
        let procs: usize = self.procs.iter().map(dispatch::node_bytes).sum();
        std::mem::size_of::<Self>()
            + nodes
            + procs
            + self.core.members.capacity() * 4
            + self.core.net.approx_bytes()
            + self.core.queue.approx_bytes()
            + self.core.scheduled.capacity() * std::mem::size_of::<Cmd>()
            + self.topo.approx_bytes()
            + dispatch::shared_bytes(&self.core.shared)
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
        if let (Some(p), _, mut ctx) = self.handler(to, out, dispatch::HOOKS) {
            dispatch::on_message(p, &mut ctx, m.from, m.payload);
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
        if let (Some(p), _, mut ctx) = self.handler(node, out, dispatch::HOOKS) {
            dispatch::on_message(p, &mut ctx, node, payload);
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
        if let (Some(p), _, mut ctx) = self.handler(node, out, dispatch::HOOKS) {
            dispatch::on_timer(p, &mut ctx, kind);
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
        if let (Some(p), cfg, mut ctx) = self.handler(ix, out, dispatch::HOOKS) {
            *p = dispatch::boot(cfg, &mut ctx);
        }
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
                dispatch::on_crash(&mut self.core.shared, ix);
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
                super::sort::sort_dedup_by_u64(&mut ixs, |&n| u64::from(n));
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
            Cmd::Proto(c) => dispatch::on_command(
                c,
                &mut CmdCtx {
                    world: self,
                    out,
                    hooks: dispatch::HOOKS,
                },
            )?,
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
