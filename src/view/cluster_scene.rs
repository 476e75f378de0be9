//! Builds the cluster frame: servers around a circle (clients on an inner one), coloured by
//! status (up, crashed, paused, suspected), partition sides as tinted halos with the wires
//! between sides cut, every message in flight as a dot gliding from sender to receiver, lost
//! ones fading, and recently finished messages as fading trails so fast traffic stays
//! visible at any speed. Pure: the same inputs give the same scene, tested natively.

use std::f64::consts::{FRAC_PI_2, TAU};

use crate::sim::event::{DropReason, Event, What};
use crate::sim::net::{Fate, Message, MsgId};
use crate::sim::text::group_digits;
use crate::sim::time::{fmt_ms, Time};
use crate::sim::world::{NodeIx, Role, Status, World};
use crate::view::geom::angle_of;
use crate::view::scene::{Align, Circle, DotBatch, Ink, Label, LineBatch, Scene, Swatch};

/// Above this many nodes the wires between every pair would be a mesh of noise.
pub const MAX_WIRED_NODES: usize = 16;
/// Above this many messages in flight, only this many (oldest first) are drawn.
pub const MAX_DRAWN_MESSAGES: usize = 5_000;

/// Where servers sit on the circle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// Evenly spaced in join order: nothing overlaps.
    #[default]
    Even,
    /// At the angle of each server's vnode 0 on the hash ring, like the Hash ring tab.
    Ring,
}

/// A node's process health as drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Running.
    Up,
    /// Crashed (durable log kept).
    Crashed,
    /// Frozen by a stop-the-world pause.
    Paused,
    /// Left the cluster.
    Removed,
}

/// Everything the view shows about one node, derived from the world at the playhead. The DOM
/// node list and the canvas read the same values.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeState {
    /// Index in the world.
    pub ix: NodeIx,
    /// Name.
    pub name: String,
    /// Server or client.
    pub role: Role,
    /// Process health.
    pub health: Health,
    /// End of the current pause, if paused.
    pub paused_until: Option<Time>,
    /// Active servers whose failure detector suspects this node.
    pub suspected_by: Vec<NodeIx>,
    /// The ring has this server marked failed.
    pub ring_failed: bool,
    /// Partition side (0 when the network is whole).
    pub side: u32,
    /// Messages waiting in its socket buffer while it is paused.
    pub buffered: usize,
}

impl NodeState {
    /// One line for lists and captions: "up", "paused until 3,200 ms · suspected by A, C".
    pub fn summary(&self, name: &dyn Fn(NodeIx) -> String) -> String {
        let mut parts = vec![match (self.health, self.paused_until) {
            (Health::Up, _) => "up".to_string(),
            (Health::Crashed, _) => "crashed".to_string(),
            (Health::Paused, Some(u)) => format!("paused until {}", fmt_ms(u)),
            (Health::Paused, None) => "paused".to_string(),
            (Health::Removed, _) => "removed".to_string(),
        }];
        if self.buffered > 0 {
            parts.push(format!("{} buffered", self.buffered));
        }
        if !self.suspected_by.is_empty() {
            let by: Vec<String> = self.suspected_by.iter().map(|&n| name(n)).collect();
            parts.push(format!("suspected by {}", by.join(", ")));
        }
        if self.ring_failed {
            parts.push("failed on the ring".to_string());
        }
        parts.join(" · ")
    }
}

impl NodeState {
    /// Two or three words for the canvas, where space is short: "paused · suspected".
    pub fn short(&self) -> String {
        let health = match self.health {
            Health::Up => "up",
            Health::Crashed => "crashed",
            Health::Paused => "paused",
            Health::Removed => "removed",
        };
        let mut s = health.to_string();
        if !self.suspected_by.is_empty() {
            s.push_str(" · suspected");
        }
        if self.ring_failed {
            s.push_str(" · ring: failed");
        }
        s
    }
}

/// The state of every node at the world's current time, by index.
pub fn node_states(w: &World) -> Vec<NodeState> {
    let now = w.now();
    let mut out: Vec<NodeState> = w
        .nodes()
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let ix = i as NodeIx;
            let paused = n.status == Status::Up && n.clock.is_paused(now);
            NodeState {
                ix,
                name: n.name.clone(),
                role: n.role,
                health: match n.status {
                    Status::Down => Health::Crashed,
                    Status::Removed => Health::Removed,
                    Status::Up if paused => Health::Paused,
                    Status::Up => Health::Up,
                },
                paused_until: if paused { n.clock.paused_until() } else { None },
                suspected_by: Vec::new(),
                ring_failed: n.ring_id.is_some_and(|id| !w.topology().ring().is_live(id))
                    && n.status != Status::Removed,
                side: w.net().side_of(ix),
                buffered: 0,
            }
        })
        .collect();
    for &m in w.members() {
        if !w.is_active(m) {
            continue;
        }
        if let Some(h) = w.procs(m).and_then(|p| p.heartbeat.as_ref()) {
            for peer in h.suspected() {
                if let Some(s) = out.get_mut(peer as usize) {
                    s.suspected_by.push(m);
                }
            }
        }
    }
    for m in w.net().in_flight() {
        if let Some(s) = out.get_mut(m.to as usize) {
            if waiting(m, s) {
                s.buffered += 1;
            }
        }
    }
    out
}

/// A message postponed until its paused receiver wakes: it sits at the receiver's door.
fn waiting(m: &Message, to: &NodeState) -> bool {
    to.health == Health::Paused && to.paused_until == Some(m.deliver_at)
}

/// How far along its way a message is at virtual time `now`: 0 at `sent_at`, 1 at
/// `deliver_at` (clamped; a zero-latency message is already there).
pub fn progress(sent_at: Time, deliver_at: Time, now: f64) -> f64 {
    if deliver_at <= sent_at {
        return 1.0;
    }
    ((now - sent_at as f64) / (deliver_at - sent_at) as f64).clamp(0.0, 1.0)
}

/// Where the circle sits and how big nodes are; shared with hit-testing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClusterGeometry {
    /// Centre x.
    pub cx: f64,
    /// Centre y.
    pub cy: f64,
    /// Radius of the servers' circle.
    pub r: f64,
    /// Radius of the clients' inner circle.
    pub r_clients: f64,
    /// Radius of a node disc.
    pub node_r: f64,
}

/// The geometry of a frame: with locks, servers carry a third label line (their lock role,
/// storage's cells), so the circle leaves more room.
fn frame_geometry(f: &ClusterFrame<'_>, servers: usize) -> ClusterGeometry {
    let margin = match f.world.lock_cfg() {
        Some(c) => 90.0 + 7.0 * c.stock.len().min(4) as f64,
        None => 64.0,
    };
    ClusterGeometry::fit_with(f.width, f.height, servers, margin)
}

impl ClusterGeometry {
    /// Fits the circle in the surface with room for two label lines under the lowest node;
    /// discs shrink as servers multiply so neighbours never overlap.
    pub fn fit(width: f64, height: f64, servers: usize) -> Self {
        Self::fit_with(width, height, servers, 64.0)
    }

    /// [`ClusterGeometry::fit`] leaving `margin` CSS px around the circle for labels.
    pub fn fit_with(width: f64, height: f64, servers: usize, margin: f64) -> Self {
        let side = width.min(height).max(1.0);
        // The floor keeps the circle readable on small surfaces, but never so large that the
        // top node's two label lines (about 44 px) leave the surface: a tiny embed is
        // letterboxed, not clipped.
        let floor = (side * 0.25).min(side * 0.5 - 44.0).max(side * 0.1);
        let r = (side * 0.5 - margin).max(floor);
        let spacing = TAU * r / servers.max(1) as f64;
        let node_r = (r * 0.11).clamp(9.0, 24.0).min(spacing * 0.32).max(4.0);
        ClusterGeometry {
            cx: width / 2.0,
            cy: height / 2.0,
            r,
            r_clients: r * 0.42,
            node_r,
        }
    }
}

/// Everything one cluster frame depends on; [`build`] is a pure function of it.
pub struct ClusterFrame<'a> {
    /// The world at the playhead.
    pub world: &'a World,
    /// The playhead in virtual ms (≥ `world.now()`, before the next queued item).
    pub now: f64,
    /// Recent trace events (at least those within `trail_ms` before `now`), oldest first.
    pub recent: &'a [Event],
    /// How long a finished message's trail stays visible (virtual ms).
    pub trail_ms: f64,
    /// Selected message (highlighted).
    pub selected_msg: Option<MsgId>,
    /// Selected node (highlighted).
    pub selected_node: Option<NodeIx>,
    /// Node of the selected event, if any (ringed, so a chosen crash points at its node).
    pub event_node: Option<NodeIx>,
    /// Server placement.
    pub layout: Layout,
    /// Surface width in CSS pixels.
    pub width: f64,
    /// Surface height in CSS pixels.
    pub height: f64,
}

/// Centre of every node by index (`None` for removed nodes).
pub fn positions(w: &World, layout: Layout, g: &ClusterGeometry) -> Vec<Option<(f64, f64)>> {
    let nodes = w.nodes();
    let shown = |r: Role| {
        nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.role == r && n.status != Status::Removed)
            .map(|(i, _)| i)
            .collect::<Vec<usize>>()
    };
    let servers = shown(Role::Server);
    let clients = shown(Role::Client);
    let mut out = vec![None; nodes.len()];
    let ring = w.topology().ring();
    for (k, &i) in servers.iter().enumerate() {
        let even = -FRAC_PI_2 + TAU * k as f64 / servers.len() as f64;
        let a = match layout {
            Layout::Even => even,
            Layout::Ring => nodes[i]
                .ring_id
                .and_then(|id| {
                    ring.points()
                        .iter()
                        .find(|p| p.node == id && p.idx == 0)
                        .map(|p| angle_of(p.pos))
                })
                .unwrap_or(even),
        };
        out[i] = Some((g.cx + g.r * a.cos(), g.cy + g.r * a.sin()));
    }
    for (k, &i) in clients.iter().enumerate() {
        let a = -FRAC_PI_2 + TAU * (k as f64 + 0.5) / clients.len() as f64;
        let r = if clients.len() == 1 { 0.0 } else { g.r_clients };
        // A lone client sits at the centre, wired to every server like a hub.
        let (x, y) = if clients.len() == 1 {
            (g.cx, g.cy)
        } else {
            (g.cx + r * a.cos(), g.cy + r * a.sin())
        };
        out[i] = Some((x, y));
    }
    out
}

/// Colour slot of a node: its index, so a node keeps its colour for its whole life.
fn node_swatch(ix: NodeIx) -> Swatch {
    Swatch::Node(ix)
}

/// The straight path a message follows, from the sender's rim to the receiver's rim, nudged
/// sideways so A→B and B→A traffic do not overlap.
pub fn message_path(
    from: (f64, f64),
    to: (f64, f64),
    node_r: f64,
    lane: f64,
) -> ((f64, f64), (f64, f64)) {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let len = dx.hypot(dy);
    if len < 1e-9 {
        return (from, to);
    }
    let (ux, uy) = (dx / len, dy / len);
    // Perpendicular (to the right of the direction of travel).
    let (px, py) = (-uy * lane, ux * lane);
    let inset = (node_r + 2.0).min(len / 2.0);
    (
        (from.0 + ux * inset + px, from.1 + uy * inset + py),
        (to.0 - ux * inset + px, to.1 - uy * inset + py),
    )
}

fn lerp(a: (f64, f64), b: (f64, f64), t: f64) -> (f64, f64) {
    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
}

/// Sideways offset of a message lane: A→B on one side of the wire, B→A on the other.
fn lane_of(from: NodeIx, to: NodeIx) -> f64 {
    if from < to {
        3.5
    } else {
        -3.5
    }
}

/// Where a message in flight is drawn at `now`, if both ends are shown.
pub fn message_xy(
    m: &Message,
    pos: &[Option<(f64, f64)>],
    states: &[NodeState],
    g: &ClusterGeometry,
    now: f64,
) -> Option<(f64, f64)> {
    let from = pos.get(m.from as usize).copied().flatten()?;
    let to = pos.get(m.to as usize).copied().flatten()?;
    let (a, b) = message_path(from, to, g.node_r, lane_of(m.from, m.to));
    let p = match states.get(m.to as usize) {
        Some(s) if waiting(m, s) => 1.0,
        _ => progress(m.sent_at, m.deliver_at, now),
    };
    Some(lerp(a, b, p))
}

/// Builds the frame. Cost is linear in nodes² (wires, only up to [`MAX_WIRED_NODES`]) plus
/// messages in flight plus recent events; batches are per ink.
pub fn build(f: &ClusterFrame<'_>) -> Scene {
    let w = f.world;
    let states = node_states(w);
    let servers = states
        .iter()
        .filter(|s| s.role == Role::Server && s.health != Health::Removed)
        .count();
    let g = frame_geometry(f, servers);
    let pos = positions(w, f.layout, &g);
    let mut scene = Scene::new(f.width, f.height);

    // The circle the servers sit on.
    scene.circles.push(Circle {
        cx: g.cx,
        cy: g.cy,
        r: g.r,
        stroke: Some((Ink::Track, 1.0)),
        fill: None,
    });
    partition_halos(w, &states, &pos, &g, &mut scene);
    wires(w, &states, &pos, &mut scene);
    trails(f, &pos, &g, &mut scene);
    messages(f, &states, &pos, &g, &mut scene);
    nodes(f, &states, &pos, &g, &mut scene);
    super::lock_scene::overlay(f, &states, &pos, &g, &mut scene);
    super::tpc_scene::overlay(f, &states, &pos, &g, &mut scene);
    caption(f, &mut scene);
    scene
}

fn partition_halos(
    w: &World,
    states: &[NodeState],
    pos: &[Option<(f64, f64)>],
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    if !w.net().partitioned() {
        return;
    }
    // Sides in order of first appearance get distinct tints from the end of the palette.
    let mut sides: Vec<u32> = Vec::new();
    for s in states.iter().filter(|s| s.health != Health::Removed) {
        if !sides.contains(&s.side) {
            sides.push(s.side);
        }
    }
    for (k, side) in sides.iter().enumerate() {
        let ink = Ink::Tint(Swatch::Node(9 - (k as u32 % 10)), 0.72);
        for s in states.iter().filter(|s| s.side == *side) {
            if let Some((x, y)) = pos.get(s.ix as usize).copied().flatten() {
                scene.circles.push(Circle {
                    cx: x,
                    cy: y,
                    r: g.node_r + 13.0,
                    stroke: None,
                    fill: Some(ink),
                });
            }
        }
    }
}

fn wires(w: &World, states: &[NodeState], pos: &[Option<(f64, f64)>], scene: &mut Scene) {
    let shown: Vec<&NodeState> = states
        .iter()
        .filter(|s| s.health != Health::Removed)
        .collect();
    if shown.len() > MAX_WIRED_NODES {
        return;
    }
    let mut segs = Vec::new();
    for (i, a) in shown.iter().enumerate() {
        for b in &shown[i + 1..] {
            if !w.net().connected(a.ix, b.ix) {
                continue;
            }
            if let (Some(p), Some(q)) = (pos[a.ix as usize], pos[b.ix as usize]) {
                segs.push([p.0 as f32, p.1 as f32, q.0 as f32, q.1 as f32]);
            }
        }
    }
    scene.lines.push(LineBatch {
        ink: Ink::Track,
        width: 1.5,
        alpha: 1.0,
        dash: None,
        segs,
    });
}

/// Messages that finished within the trail: a fading line along their path, so a 5 ms hop
/// is seen even when a frame lasts longer than the hop.
fn trails(
    f: &ClusterFrame<'_>,
    pos: &[Option<(f64, f64)>],
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    if f.trail_ms <= 0.0 {
        return;
    }
    const LEVELS: usize = 4;
    let mut delivered: Vec<Vec<Vec<[f32; 4]>>> = vec![vec![Vec::new(); LEVELS]; 10];
    let mut dropped: Vec<[f32; 4]> = Vec::new();
    let mut selected: Vec<[f32; 4]> = Vec::new();
    let start = f
        .recent
        .partition_point(|e| (e.t as f64) < f.now - f.trail_ms);
    for e in &f.recent[start..] {
        if e.t as f64 > f.now {
            break;
        }
        let (msg, from, to, lost) = match (&e.what, e.node) {
            (What::Deliver { msg, from, .. }, Some(to)) => (*msg, *from, to, false),
            (
                What::Drop {
                    msg,
                    from,
                    to,
                    reason,
                    ..
                },
                _,
            ) if *reason != DropReason::ReceiverRemoved => (*msg, *from, *to, true),
            _ => continue,
        };
        let (Some(p), Some(q)) = (
            pos.get(from as usize).copied().flatten(),
            pos.get(to as usize).copied().flatten(),
        ) else {
            continue;
        };
        let (a, b) = message_path(p, q, g.node_r, lane_of(from, to));
        // A lost message's trail stops short of the receiver: it never got there.
        let b = if lost { lerp(a, b, 0.8) } else { b };
        let seg = [a.0 as f32, a.1 as f32, b.0 as f32, b.1 as f32];
        if f.selected_msg == Some(msg) {
            selected.push(seg);
        } else if lost {
            dropped.push(seg);
        } else {
            let age = ((f.now - e.t as f64) / f.trail_ms).clamp(0.0, 0.999);
            let level = (age * LEVELS as f64) as usize;
            delivered[from as usize % 10][level].push(seg);
        }
    }
    for (slot, levels) in delivered.into_iter().enumerate() {
        for (level, segs) in levels.into_iter().enumerate() {
            if segs.is_empty() {
                continue;
            }
            let fade = 0.25 + 0.7 * (level as f32 + 0.5) / LEVELS as f32;
            scene.lines.push(LineBatch {
                ink: Ink::Tint(Swatch::Node(slot as u32), fade),
                width: 2.0,
                alpha: 1.0,
                dash: None,
                segs,
            });
        }
    }
    if !dropped.is_empty() {
        scene.lines.push(LineBatch {
            ink: Ink::Danger,
            width: 1.5,
            alpha: 0.6,
            dash: Some((4.0, 3.0)),
            segs: dropped,
        });
    }
    if !selected.is_empty() {
        scene.lines.push(LineBatch {
            ink: Ink::Accent,
            width: 3.0,
            alpha: 1.0,
            dash: None,
            segs: selected,
        });
    }
}

fn messages(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &[Option<(f64, f64)>],
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    const LEVELS: usize = 4;
    // (colour slot, fade level) → dots; level 0 = messages that will arrive.
    let mut groups: Vec<Vec<Vec<(f32, f32)>>> = vec![vec![Vec::new(); LEVELS + 1]; 10];
    let mut tails: Vec<Vec<[f32; 4]>> = vec![Vec::new(); 10];
    // Doomed messages (lost, or sent into a partition) trail a dashed red line instead.
    let mut doomed: Vec<[f32; 4]> = Vec::new();
    for m in f.world.net().in_flight().take(MAX_DRAWN_MESSAGES) {
        let Some((x, y)) = message_xy(m, pos, states, g, f.now) else {
            continue;
        };
        let slot = node_swatch(m.from);
        let Swatch::Node(id) = slot else { continue };
        let k = id as usize % 10;
        let p = progress(m.sent_at, m.deliver_at, f.now);
        let level = match m.fate {
            Fate::Arrive => 0,
            Fate::Lost | Fate::Cut => 1 + ((p * LEVELS as f64) as usize).min(LEVELS - 1),
        };
        groups[k][level].push((x as f32, y as f32));
        if let (Some(from), Some(to)) = (pos[m.from as usize], pos[m.to as usize]) {
            let (a, _) = message_path(from, to, g.node_r, lane_of(m.from, m.to));
            let seg = [a.0 as f32, a.1 as f32, x as f32, y as f32];
            if m.fate == Fate::Arrive {
                tails[k].push(seg);
            } else {
                doomed.push(seg);
            }
        }
        if f.selected_msg == Some(m.id) {
            scene.markers.push(Circle {
                cx: x,
                cy: y,
                r: 9.0,
                stroke: Some((Ink::Accent, 3.0)),
                fill: None,
            });
        }
    }
    for (k, segs) in tails.into_iter().enumerate() {
        if !segs.is_empty() {
            scene.lines.push(LineBatch {
                ink: Ink::Tint(Swatch::Node(k as u32), 0.55),
                width: 2.0,
                alpha: 1.0,
                dash: None,
                segs,
            });
        }
    }
    if !doomed.is_empty() {
        scene.lines.push(LineBatch {
            ink: Ink::Danger,
            width: 1.5,
            alpha: 0.55,
            dash: Some((3.0, 3.0)),
            segs: doomed,
        });
    }
    for (k, levels) in groups.into_iter().enumerate() {
        for (level, xy) in levels.into_iter().enumerate() {
            if xy.is_empty() {
                continue;
            }
            let ink = if level == 0 {
                Ink::Swatch(Swatch::Node(k as u32))
            } else {
                // Lost: fades out as it travels towards where it will vanish.
                Ink::Tint(Swatch::Node(k as u32), 0.3 + 0.15 * level as f32)
            };
            scene.dots.push(DotBatch {
                ink,
                radius: 4.5,
                xy,
            });
        }
    }
}

fn nodes(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &[Option<(f64, f64)>],
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    let many = states.len() > 24;
    for s in states {
        let Some((x, y)) = pos.get(s.ix as usize).copied().flatten() else {
            continue;
        };
        let client = s.role == Role::Client;
        let r = if client { g.node_r * 0.7 } else { g.node_r };
        let fill = match s.health {
            Health::Crashed | Health::Removed => Ink::Swatch(Swatch::Down),
            Health::Paused => Ink::Tint(node_swatch(s.ix), 0.55),
            Health::Up => Ink::Swatch(node_swatch(s.ix)),
        };
        let ring = if !s.suspected_by.is_empty() {
            Some((Ink::Danger, 3.0))
        } else if s.health == Health::Paused {
            Some((Ink::Warn, 3.0))
        } else {
            Some((Ink::Bg, 2.0))
        };
        scene.markers.push(Circle {
            cx: x,
            cy: y,
            r,
            stroke: ring,
            fill: Some(fill),
        });
        if f.selected_node == Some(s.ix) {
            scene.markers.push(Circle {
                cx: x,
                cy: y,
                r: r + 6.0,
                stroke: Some((Ink::Accent, 2.5)),
                fill: None,
            });
        }
        if f.event_node == Some(s.ix) {
            scene.markers.push(Circle {
                cx: x,
                cy: y,
                r: r + 11.0,
                stroke: Some((Ink::Accent, 1.5)),
                fill: None,
            });
        }
        if many && f.selected_node != Some(s.ix) {
            continue;
        }
        let (lx, title_y, status_y, align) = label_lines((x, y), r, client, g);
        let title = if client {
            format!("{} (client)", s.name)
        } else {
            s.name.clone()
        };
        let ink = match s.health {
            Health::Crashed | Health::Removed => Ink::Muted,
            _ => Ink::Fg,
        };
        scene.labels.push(Label {
            x: lx,
            y: title_y,
            text: title,
            ink,
            size: 14.0,
            bold: true,
            align,
        });
        let status_ink = match s.health {
            Health::Crashed => Ink::Danger,
            Health::Paused => Ink::Warn,
            _ if !s.suspected_by.is_empty() => Ink::Danger,
            _ => Ink::Muted,
        };
        scene.labels.push(Label {
            x: lx,
            y: status_y,
            text: s.short(),
            ink: status_ink,
            size: 12.0,
            bold: false,
            align,
        });
    }
}

/// Where a node's two label lines go: outside the circle for servers (radially, so text
/// never covers the ring), below the disc for clients. Returns (x, title y, status y,
/// alignment); a third line (lock roles, storage) goes one step further out.
pub(crate) fn label_lines(
    (x, y): (f64, f64),
    r: f64,
    client: bool,
    g: &ClusterGeometry,
) -> (f64, f64, f64, Align) {
    let (lx, ly, align) = if client {
        (x, y + r + 11.0, Align::Center)
    } else {
        let a = (y - g.cy).atan2(x - g.cx);
        let d = r + 10.0;
        let (c, sn) = (a.cos(), a.sin());
        let align = if c > 0.4 {
            Align::Left
        } else if c < -0.4 {
            Align::Right
        } else {
            Align::Center
        };
        let below = if sn > 0.4 { 6.0 } else { 0.0 };
        (x + d * c, y + d * sn + below, align)
    };
    if !client && ly < y - r {
        (lx, ly - 14.0, ly, align)
    } else {
        (lx, ly, ly + 15.0, align)
    }
}

fn caption(f: &ClusterFrame<'_>, scene: &mut Scene) {
    let w = f.world;
    let t = f.now.max(0.0).floor() as u64;
    let flying = w.net().in_flight_len();
    let second = if w.net().partitioned() {
        format!("{} in flight · network split", group_digits(flying as u64))
    } else {
        format!("{} messages in flight", group_digits(flying as u64))
    };
    for (i, (text, size, ink)) in [
        (format!("t = {}", fmt_ms(t)), 18.0, Ink::Fg),
        (second, 12.0, Ink::Muted),
    ]
    .into_iter()
    .enumerate()
    {
        // Top-left corner: the middle of the circle is where messages fly.
        scene.labels.push(Label {
            x: 14.0,
            y: 18.0 + 20.0 * i as f64,
            text,
            ink,
            size,
            bold: i == 0,
            align: Align::Left,
        });
    }
}

/// What a click on the cluster canvas means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterHit {
    /// A node's disc.
    Node(NodeIx),
    /// A message dot in flight.
    Message(MsgId),
}

/// The message or node under (x, y), using the same geometry as [`build`]; a message dot wins
/// over the node it is leaving or reaching.
pub fn hit(f: &ClusterFrame<'_>, x: f64, y: f64) -> Option<ClusterHit> {
    let w = f.world;
    let states = node_states(w);
    let servers = states
        .iter()
        .filter(|s| s.role == Role::Server && s.health != Health::Removed)
        .count();
    let g = frame_geometry(f, servers);
    let pos = positions(w, f.layout, &g);
    let mut best: Option<(f64, MsgId)> = None;
    for m in w.net().in_flight().take(MAX_DRAWN_MESSAGES) {
        if let Some((mx, my)) = message_xy(m, &pos, &states, &g, f.now) {
            let d = (mx - x).hypot(my - y);
            if d <= 8.0 && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, m.id));
            }
        }
    }
    if let Some((_, id)) = best {
        return Some(ClusterHit::Message(id));
    }
    pos.iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|(px, py)| (i, (px - x).hypot(py - y))))
        .filter(|(_, d)| *d <= g.node_r + 5.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| ClusterHit::Node(i as NodeIx))
}

/// The canvas's accessible name: what a screen reader (and a test) learns from the picture.
pub fn describe(w: &World, now: f64) -> String {
    let name = |ix: NodeIx| w.name(ix);
    let nodes: Vec<String> = node_states(w)
        .iter()
        .filter(|s| s.health != Health::Removed)
        .map(|s| format!("{} {}", s.name, s.summary(&name)))
        .collect();
    let t = now.max(0.0).floor() as u64;
    let mut locks = super::lock_view::describe_locks(w, t);
    let tpc = super::tpc_view::describe_tpc(w);
    if !tpc.is_empty() {
        locks = if locks.is_empty() {
            tpc
        } else {
            locks + "; " + &tpc
        };
    }
    format!(
        "Cluster at t={}: {}; {} messages in flight{}{locks}",
        fmt_ms(t),
        nodes.join(", "),
        w.net().in_flight_len(),
        if locks.is_empty() { "" } else { "; " },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cmd::Cmd;
    use crate::sim::proto::heartbeat::HeartbeatCfg;
    use crate::sim::proto::ProtoCfg;
    use crate::sim::world::{ServerSpec, WorldCfg};

    fn world(servers: &[&str]) -> World {
        World::new(&WorldCfg {
            seed: 1,
            servers: servers
                .iter()
                .map(|n| ServerSpec {
                    name: n.to_string(),
                    weight: 1.0,
                })
                .collect(),
            clients: vec!["web".into()],
            protocols: ProtoCfg {
                heartbeat: Some(HeartbeatCfg {
                    interval_ms: 100,
                    timeout_ms: 300,
                }),
                ..ProtoCfg::default()
            },
            ..WorldCfg::default()
        })
        .unwrap()
    }

    fn frame(w: &World, now: f64) -> ClusterFrame<'_> {
        ClusterFrame {
            world: w,
            now,
            recent: &[],
            trail_ms: 0.0,
            selected_msg: None,
            selected_node: None,
            event_node: None,
            layout: Layout::Even,
            width: 600.0,
            height: 500.0,
        }
    }

    #[test]
    fn progress_interpolates_and_clamps() {
        assert_eq!(progress(100, 110, 100.0), 0.0);
        assert_eq!(progress(100, 110, 105.0), 0.5);
        assert_eq!(progress(100, 110, 200.0), 1.0);
        assert_eq!(progress(100, 110, 50.0), 0.0);
        assert_eq!(
            progress(100, 100, 100.0),
            1.0,
            "zero latency is already there"
        );
    }

    #[test]
    fn even_layout_starts_at_twelve_and_goes_clockwise() {
        let w = world(&["A", "B", "C", "D"]);
        let g = ClusterGeometry::fit(600.0, 500.0, 4);
        let p = positions(&w, Layout::Even, &g);
        let (ax, ay) = p[0].unwrap();
        assert!(
            (ax - g.cx).abs() < 1e-9 && (ay - (g.cy - g.r)).abs() < 1e-9,
            "A at twelve"
        );
        let (bx, by) = p[1].unwrap();
        assert!(
            (bx - (g.cx + g.r)).abs() < 1e-9 && (by - g.cy).abs() < 1e-9,
            "B at three"
        );
        // The lone client is the hub in the middle.
        assert_eq!(p[4], Some((g.cx, g.cy)));
    }

    #[test]
    fn ring_layout_uses_each_servers_vnode_zero_angle() {
        let w = world(&["A", "B", "C"]);
        let g = ClusterGeometry::fit(600.0, 500.0, 3);
        let p = positions(&w, Layout::Ring, &g);
        let ring = w.topology().ring();
        for (i, n) in w.nodes().iter().enumerate().take(3) {
            let id = n.ring_id.unwrap();
            let v0 = ring
                .points()
                .iter()
                .find(|q| q.node == id && q.idx == 0)
                .unwrap();
            let a = angle_of(v0.pos);
            let (x, y) = p[i].unwrap();
            assert!((x - (g.cx + g.r * a.cos())).abs() < 1e-9);
            assert!((y - (g.cy + g.r * a.sin())).abs() < 1e-9);
        }
    }

    #[test]
    fn messages_glide_from_sender_to_receiver() {
        let mut w = world(&["A", "B", "C"]);
        let mut out = Vec::new();
        // Run until a heartbeat is in flight.
        while w.net().in_flight_len() == 0 {
            assert!(w.step(&mut out));
        }
        let m = w.net().in_flight().next().unwrap().clone();
        let g = ClusterGeometry::fit(600.0, 500.0, 3);
        let pos = positions(&w, Layout::Even, &g);
        let states = node_states(&w);
        let (a, b) = message_path(
            pos[m.from as usize].unwrap(),
            pos[m.to as usize].unwrap(),
            g.node_r,
            lane_of(m.from, m.to),
        );
        let at = |t: f64| message_xy(&m, &pos, &states, &g, t).unwrap();
        let start = at(m.sent_at as f64);
        assert!((start.0 - a.0).abs() < 1e-9 && (start.1 - a.1).abs() < 1e-9);
        let end = at(m.deliver_at as f64);
        assert!((end.0 - b.0).abs() < 1e-9 && (end.1 - b.1).abs() < 1e-9);
        let mid = at((m.sent_at + m.deliver_at) as f64 / 2.0);
        let want = lerp(a, b, 0.5);
        assert!((mid.0 - want.0).abs() < 1e-6 && (mid.1 - want.1).abs() < 1e-6);
        // The dot is drawn, and a click on it selects the message, not the node.
        let f = frame(&w, mid_time(&m));
        let scene = build(&f);
        assert!(scene.dots.iter().any(|d| !d.xy.is_empty()));
        let p = at(mid_time(&m));
        assert_eq!(hit(&f, p.0 + 2.0, p.1), Some(ClusterHit::Message(m.id)));
    }

    fn mid_time(m: &Message) -> f64 {
        (m.sent_at + m.deliver_at) as f64 / 2.0
    }

    #[test]
    fn clicks_on_discs_select_nodes_and_empty_space_nothing() {
        let w = world(&["A", "B", "C"]);
        let f = frame(&w, 0.0);
        let g = ClusterGeometry::fit(600.0, 500.0, 3);
        let pos = positions(&w, Layout::Even, &g);
        for (i, p) in pos.iter().enumerate() {
            let (x, y) = p.unwrap();
            assert_eq!(
                hit(&f, x + 3.0, y - 3.0),
                Some(ClusterHit::Node(i as NodeIx))
            );
        }
        assert_eq!(hit(&f, 2.0, 2.0), None);
    }

    #[test]
    fn status_follows_crashes_pauses_and_suspicion() {
        let mut w = world(&["A", "B", "C"]);
        let mut out = Vec::new();
        w.advance_to(300, &mut out);
        w.apply(&Cmd::Crash { node: "C".into() }, &mut out).unwrap();
        w.apply(
            &Cmd::Pause {
                node: "B".into(),
                ms: 2000,
            },
            &mut out,
        )
        .unwrap();
        w.advance_to(1000, &mut out);
        let s = node_states(&w);
        assert_eq!(s[2].health, Health::Crashed);
        assert_eq!(s[1].health, Health::Paused);
        assert_eq!(s[1].paused_until, Some(2300));
        assert!(s[1].buffered > 0, "pings wait in B's socket");
        // A is the only active server: it suspects both.
        assert_eq!(s[1].suspected_by, vec![0]);
        assert_eq!(s[2].suspected_by, vec![0]);
        let label = describe(&w, 1000.0);
        assert!(
            label.starts_with("Cluster at t=1,000 ms: A up, B paused until 2,300 ms"),
            "{label}"
        );
        assert!(label.contains("C crashed · suspected by A"), "{label}");
        // Status inks: crashed grey, paused rimmed in warn, suspected rimmed in danger.
        let scene = build(&frame(&w, 1000.0));
        assert!(scene
            .markers
            .iter()
            .any(|c| c.fill == Some(Ink::Swatch(Swatch::Down))));
        assert!(scene
            .markers
            .iter()
            .any(|c| c.stroke == Some((Ink::Danger, 3.0))));
        // The node of a selected event (C's crash) is ringed.
        let ringed = |f: &ClusterFrame<'_>| {
            build(f)
                .markers
                .iter()
                .any(|c| c.stroke == Some((Ink::Accent, 1.5)))
        };
        let mut f = frame(&w, 1000.0);
        assert!(!ringed(&f));
        f.event_node = Some(2);
        assert!(ringed(&f));
    }

    #[test]
    fn partitions_show_sides_and_cut_wires() {
        let mut w = world(&["A", "B", "C", "D"]);
        let mut out = Vec::new();
        let whole = build(&frame(&w, 0.0));
        let wires = |s: &Scene| {
            s.lines
                .iter()
                .find(|l| l.ink == Ink::Track)
                .map_or(0, |l| l.segs.len())
        };
        assert_eq!(wires(&whole), 10, "5 nodes, every pair wired");
        w.apply(
            &Cmd::Partition {
                side: vec!["A".into(), "B".into()],
            },
            &mut out,
        )
        .unwrap();
        let split = build(&frame(&w, 0.0));
        // {A, B} and {C, D, web}: 1 + 3 pairs left.
        assert_eq!(wires(&split), 4);
        let halos = split.circles.iter().filter(|c| c.fill.is_some()).count();
        assert_eq!(halos, 5, "every node gets its side's halo");
    }
}
