//! Builds the cluster frame: servers around a circle (clients on an inner one), coloured by
//! status (up, crashed, paused, suspected), partition sides as tinted halos with the wires
//! between sides cut, every message in flight as a dot gliding from sender to receiver, lost
//! ones fading, and recently finished messages as fading trails so fast traffic stays
//! visible at any speed. Pure: the same inputs give the same scene, tested natively.

use crate::sim::event::{DropReason, What};
use crate::sim::net::{Fate, MsgId};
use crate::sim::text::group_digits;
use crate::sim::time::fmt_ms;
use crate::sim::world::{NodeIx, Role, World};
pub use crate::view::cluster_frame::*;
use crate::view::layers::LAYERS;
use crate::view::scene::{Align, Circle, DotBatch, Ink, Label, LineBatch, Scene, Swatch};

/// The geometry of a frame: protocol layers whose servers carry more label lines (the lock
/// role, storage's cells) ask for more room around the circle.
fn frame_geometry(f: &ClusterFrame<'_>, servers: usize) -> ClusterGeometry {
    let margin = LAYERS
        .iter()
        .filter_map(|l| (l.margin)(f.world))
        .fold(64.0, f64::max);
    ClusterGeometry::fit_with(f.width, f.height, servers, margin)
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
    for layer in LAYERS {
        (layer.draw)(f, &states, &pos, &g, &mut scene);
    }
    caption(f, &mut scene);
    keep_words_inside(&mut scene);
    scene
}

/// Share of a label's size one character takes, on average (system-ui; bold is wider):
/// enough to keep a line from running off a narrow canvas.
const CHAR_EM: f64 = 0.56;
const BOLD_CHAR_EM: f64 = 0.64;

/// Slides labels sideways so their estimated width stays on the canvas: on a phone a node
/// at the circle's edge has its role line (`storage · fencing on`) centred under it, and the
/// lines beside a node on the right (`sku:1 2 left · 0 pending`) would run off the edge.
/// Each keeps its anchoring; a label wider than the canvas stays where it is.
fn keep_words_inside(scene: &mut Scene) {
    let w = scene.width;
    for l in &mut scene.labels {
        let em = if l.bold { BOLD_CHAR_EM } else { CHAR_EM };
        let width = l.text.chars().count() as f64 * l.size * em + 4.0;
        if width >= w {
            continue;
        }
        l.x = match l.align {
            Align::Center => l.x.clamp(width / 2.0, w - width / 2.0),
            Align::Left => l.x.clamp(0.0, w - width),
            Align::Right => l.x.clamp(width, w),
        };
    }
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
    let suffix = client_suffix(states, pos);
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
        let title = if client && suffix {
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

/// Whether clients' names carry " (client)": only while two neighbours on the clients' circle
/// (all the same distance apart, and side by side in the two-per-row layouts) leave room for
/// the longest; four inside a small circle, on a phone or beside a layer's margin, do not
/// (the legend says that the nodes inside the circle are the clients).
fn client_suffix(states: &[NodeState], pos: &[Option<(f64, f64)>]) -> bool {
    let (mut first, mut second, mut longest) = (None, None, 0);
    for s in states.iter().filter(|s| s.role == Role::Client) {
        if let Some(p) = pos.get(s.ix as usize).copied().flatten() {
            longest = longest.max(s.name.len());
            if first.is_none() {
                first = Some(p);
            } else if second.is_none() {
                second = Some(p);
            }
        }
    }
    // Bold 14 px text: about 8 px a character, " (client)" included.
    let width = (longest + 9) as f64 * 8.0;
    match (first, second) {
        (Some(a), Some(b)) => (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2) >= width * width,
        _ => true,
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
    let layers: Vec<String> = LAYERS
        .iter()
        .map(|l| (l.describe)(w, t))
        .filter(|s| !s.is_empty())
        .collect();
    format!(
        "Cluster at t={}: {}; {} messages in flight{}{}",
        fmt_ms(t),
        nodes.join(", "),
        w.net().in_flight_len(),
        if layers.is_empty() { "" } else { "; " },
        layers.join("; "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cmd::Cmd;
    use crate::sim::net::Message;

    use crate::view::geom::angle_of;

    fn world(servers: &[&str]) -> World {
        crate::sim::testkit::cluster(servers)
            .seed(1)
            .clients(&["web"])
            .heartbeat(100, 300)
            .world()
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
    fn clients_drop_their_suffix_only_where_their_names_would_collide() {
        let titles = |clients: &[&str], width: f64| -> Vec<String> {
            let w = crate::sim::testkit::cluster(&["A", "B", "C"])
                .seed(1)
                .clients(clients)
                .heartbeat(100, 300)
                .world();
            let f = ClusterFrame {
                width,
                ..frame(&w, 0.0)
            };
            build(&f)
                .labels
                .iter()
                .filter(|l| l.size == 14.0)
                .map(|l| l.text.clone())
                .collect()
        };
        let two = titles(&["c1", "c2"], 700.0);
        assert!(two.contains(&"c1 (client)".to_string()), "{two:?}");
        // Four inside a small circle (a phone, or beside a layer's margin): two per row, too
        // close for "cN (client)" side by side.
        let four = titles(&["c1", "c2", "c3", "c4"], 420.0);
        assert!(four.contains(&"c4".to_string()), "{four:?}");
        assert!(four.iter().all(|t| !t.ends_with("(client)")), "{four:?}");
        assert!(
            four.contains(&"A".to_string()),
            "servers keep their names: {four:?}"
        );
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
