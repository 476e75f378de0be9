//! What every layer of the cluster canvas shares: the frame's inputs (`ClusterFrame`), the
//! geometry of the circle and node positions, each node's drawn state, where a message in
//! flight is, where labels go, and the `Layer` interface protocol layers implement. The
//! cluster scene and the protocol layers all build on this file; it imports none of them.

use crate::sim::proto::heartbeat::Heartbeat;
use crate::sim::proto::Protocol;
use std::f64::consts::{FRAC_PI_2, TAU};

use crate::sim::event::Event;
use crate::sim::net::{Message, MsgId};
use crate::sim::time::{fmt_ms, Time};
use crate::sim::world::{NodeIx, Role, Status, World};
use crate::view::geom::{angle_of, polar};
use crate::view::scene::{Align, Ink, Label, Scene, Swatch};

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
        if let Some(h) = w.procs(m).and_then(Heartbeat::node) {
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
pub(crate) fn waiting(m: &Message, to: &NodeState) -> bool {
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
        out[i] = Some(polar(g.cx, g.cy, g.r, a));
    }
    for (k, &i) in clients.iter().enumerate() {
        let a = -FRAC_PI_2 + TAU * (k as f64 + 0.5) / clients.len() as f64;
        let r = if clients.len() == 1 { 0.0 } else { g.r_clients };
        // A lone client sits at the centre, wired to every server like a hub.
        let (x, y) = if clients.len() == 1 {
            (g.cx, g.cy)
        } else {
            polar(g.cx, g.cy, r, a)
        };
        out[i] = Some((x, y));
    }
    out
}

/// Colour slot of a node: its index, so a node keeps its colour for its whole life.
pub(crate) fn node_swatch(ix: NodeIx) -> Swatch {
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

pub(crate) fn lerp(a: (f64, f64), b: (f64, f64), t: f64) -> (f64, f64) {
    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
}

/// Sideways offset of a message lane: A→B on one side of the wire, B→A on the other.
pub(crate) fn lane_of(from: NodeIx, to: NodeIx) -> f64 {
    if from < to {
        3.5
    } else {
        -3.5
    }
}

/// How a layer's message words look: their size and weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WordStyle {
    /// Font size, CSS px.
    pub size: f64,
    /// Bold or not.
    pub bold: bool,
}

/// Puts a word beside the dot of each of a protocol's messages in flight (at most `max` of
/// them, shown or not): `word` says what a message means and in which ink, or nothing. Each
/// layer then states only its messages' words, not where they go.
#[allow(clippy::too_many_arguments)]
pub fn message_words<'m, T>(
    msgs: impl Iterator<Item = (&'m Message, T)>,
    max: usize,
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
    style: WordStyle,
    mut word: impl FnMut(&'m Message, T) -> Option<(String, Ink)>,
) {
    for (m, t) in msgs.take(max) {
        let Some((x, y)) = message_xy(m, pos, states, g, f.now) else {
            continue;
        };
        let Some((text, ink)) = word(m, t) else {
            continue;
        };
        scene.labels.push(Label {
            x: x + 7.0,
            y: y - 8.0,
            text,
            ink,
            size: style.size,
            bold: style.bold,
            align: Align::Left,
        });
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
        let (sn, c) = crate::view::geom::sin_cos(a);
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

/// Node positions on the canvas by node index (None: not drawn).
pub type Pos = [Option<(f64, f64)>];

/// One protocol's contribution to the cluster canvas (registered in `view::layers`).
pub struct Layer {
    /// The protocol it draws (its section name), for tests and the legend.
    pub name: &'static str,
    /// CSS px its labels need around the servers' circle, when it has anything to draw.
    pub margin: fn(&World) -> Option<f64>,
    /// Adds its marks to the scene (nothing when its protocol is not running).
    pub draw: fn(&ClusterFrame<'_>, &[NodeState], &Pos, &ClusterGeometry, &mut Scene),
    /// Its part of the canvas's accessible name ("" when it has nothing to say).
    pub describe: fn(&World, Time) -> String,
}
