//! Builds the hash-ring frame: arcs in owner colours, vnode ticks, keys as dots, labels, the
//! sweep of changed arcs and the glide of moved keys, and the walk of a looked-up key.

use std::f64::consts::TAU;

use crate::model::transition::Transition;
use crate::sim::key_set::KeySet;
use crate::sim::ring::{NodeId, Ring};
use crate::sim::sort::sort_by_u64;
use crate::sim::text::group_digits;
use crate::view::geom::{angle_of, clockwise, ease, polar};
use crate::view::raster::{Band, Paint};
pub use crate::view::ring_geometry::RingGeometry;
use crate::view::scene::{Align, ArcBatch, Circle, DotBatch, Ink, Label, Scene, Swatch, TickBatch};
use crate::view::theme::{Rgb, Theme};

/// Above this many points, ticks for every vnode would be a grey smear: only the selected
/// node's ticks are drawn.
pub const MAX_TICKS: usize = 4000;
/// Above this many nodes, labels would overlap: only the selected node is labelled.
pub const MAX_LABELS: usize = 32;

/// Everything one ring frame depends on; the builder is a pure function of it.
pub struct RingFrame<'a> {
    /// Current topology.
    pub ring: &'a Ring,
    /// Current keys.
    pub keys: &'a KeySet,
    /// Owner of each key as coloured (the ring's, or another scheme's for comparison).
    pub owners: &'a [Option<NodeId>],
    /// The topology change being animated, if any.
    pub transition: Option<&'a Transition>,
    /// Animation clock in ms (same clock as `Transition::start_ms`).
    pub now_ms: f64,
    /// Node whose details are open.
    pub selected: Option<NodeId>,
    /// Hash of a looked-up key: its clockwise walk and replicas are drawn.
    pub probe: Option<u64>,
    /// Replication factor for the probe's replica markers.
    pub replicas: usize,
    /// Surface width in CSS pixels.
    pub width: f64,
    /// Surface height in CSS pixels.
    pub height: f64,
}

/// A frame split by how often it changes: `base` only when the lab, selection, size or
/// theme change (painted once into an offscreen canvas), `overlay` every animation frame
/// (the sweep, the moving keys, the looked-up walk). Keeps big rings at 60 fps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layers {
    /// Static content: track, final arcs, ticks, keys that are not moving, labels.
    pub base: Scene,
    /// Per-frame content drawn over the base.
    pub overlay: Scene,
}

/// Builds the frame as one scene (base then overlay): for tests and the SVG export.
pub fn build(frame: &RingFrame<'_>) -> Scene {
    let Layers { mut base, overlay } = build_layers(frame);
    base.rects.extend(overlay.rects);
    base.circles.extend(overlay.circles);
    base.lines.extend(overlay.lines);
    base.arcs.extend(overlay.arcs);
    base.ticks.extend(overlay.ticks);
    base.dots.extend(overlay.dots);
    base.labels.extend(overlay.labels);
    base.markers.extend(overlay.markers);
    base
}

/// Builds both layers. Cost is linear in points + keys; batches are per ink, not per item.
pub fn build_layers(frame: &RingFrame<'_>) -> Layers {
    let g = RingGeometry::fit(frame.width, frame.height);
    let mut scene = Scene::new(frame.width, frame.height);
    let mut overlay = Scene::new(frame.width, frame.height);
    base_into(frame, &g, &mut scene);
    let progress = frame
        .transition
        .map(|t| t.progress(frame.now_ms))
        .unwrap_or(1.0);
    overlay_into(frame, &g, progress, ease(progress), &mut overlay);
    Layers {
        base: scene,
        overlay,
    }
}

fn base_into(frame: &RingFrame<'_>, g: &RingGeometry, scene: &mut Scene) {
    scene.circles.push(track(g));
    ownership_arcs(frame, g, scene);
    vnode_ticks(frame, g, scene);
    still_keys(frame, g, scene);
    node_labels(frame, g, scene);
    centre_caption(frame, g, scene);
}

/// Above this many points the ownership band is rasterised with the keys instead of stroked
/// span by span: 100,000 sub-pixel arcs cost the canvas more than a frame.
pub const DENSE_POINTS: usize = MAX_TICKS;

/// Whether the ring is dense enough for its band to be drawn as pixels ([`band`]).
pub fn is_dense(ring: &Ring) -> bool {
    ring.points().len() > DENSE_POINTS
}

/// The base layer without the key dots (and, on a dense ring, without the track and the
/// arcs): what the painter still draws as vectors over the [`raster`](crate::view::raster)
/// of the rest. Dots never overlap the band, ticks, markers or labels, so drawing the raster
/// first gives the picture [`build_base`] describes.
pub fn build_base_vector(frame: &RingFrame<'_>) -> Scene {
    let g = RingGeometry::fit(frame.width, frame.height);
    let mut scene = Scene::new(frame.width, frame.height);
    if !is_dense(frame.ring) {
        scene.circles.push(track(&g));
        ownership_arcs(frame, &g, &mut scene);
    }
    vnode_ticks(frame, &g, &mut scene);
    node_labels(frame, &g, &mut scene);
    centre_caption(frame, &g, &mut scene);
    scene
}

/// Radius of a still key's dot in CSS pixels.
pub fn still_dot_radius(frame: &RingFrame<'_>) -> f64 {
    let g = RingGeometry::fit(frame.width, frame.height);
    key_dot_radius(frame.keys.len()) * g.dot_scale()
}

/// How each key is painted in the base layer: the batch order and colour the display list's
/// `still_keys` gives it, `None` for keys moving in the overlay.
pub fn key_paints(frame: &RingFrame<'_>, theme: &Theme) -> Vec<Paint> {
    let keys = frame.keys;
    let mut paints: Vec<Paint> = Vec::with_capacity(keys.len());
    // One swatch per node id, so the per-key work is two array reads.
    let table: Vec<(u32, Rgb)> = (0..frame.ring.nodes().last().map_or(0, |(id, _)| id + 1))
        .map(|id| {
            let sw = swatch(frame.ring, Some(id));
            (order(&sw) as u32, theme.swatch(sw))
        })
        .collect();
    let down = (order(&Swatch::Down) as u32, theme.swatch(Swatch::Down));
    for i in 0..keys.len() {
        let owner = frame.owners.get(i).copied().flatten();
        paints.push(Some(
            owner
                .and_then(|id| table.get(id as usize).copied())
                .unwrap_or(down),
        ));
    }
    if let Some(t) = frame.transition {
        for m in &t.moved {
            if let Some(p) = paints.get_mut(m.key as usize) {
                *p = None;
            }
        }
    }
    paints
}

/// The ownership band of a dense ring in `bins` angular bins: the colour of the live owner at
/// each bin's centre, wide for the selected node, as [`ownership_arcs`] would stroke it.
pub fn band(frame: &RingFrame<'_>, theme: &Theme, bins: usize) -> Band {
    let ring = frame.ring;
    let mut out = Vec::with_capacity(bins);
    let mut last: Option<(NodeId, (Rgb, bool))> = None;
    for b in 0..bins {
        let pos = ((b as f64 + 0.5) / bins as f64 * 18_446_744_073_709_551_616.0) as u64;
        out.push(ring.owner_of(pos).map(|id| match last {
            Some((prev, v)) if prev == id => v,
            _ => {
                let v = (theme.swatch(Swatch::Node(id)), frame.selected == Some(id));
                last = Some((id, v));
                v
            }
        }));
    }
    Band {
        track: theme.track,
        bins: out,
    }
}

fn track(g: &RingGeometry) -> Circle {
    Circle {
        cx: g.cx,
        cy: g.cy,
        r: g.r,
        stroke: Some((Ink::Track, g.band)),
        fill: None,
    }
}

/// Only the static layer: built when the cached one is stale.
pub fn build_base(frame: &RingFrame<'_>) -> Scene {
    let g = RingGeometry::fit(frame.width, frame.height);
    let mut scene = Scene::new(frame.width, frame.height);
    base_into(frame, &g, &mut scene);
    scene
}

/// Only the per-frame layer: what an animation frame rebuilds while the base is cached.
pub fn build_overlay(frame: &RingFrame<'_>) -> Scene {
    let g = RingGeometry::fit(frame.width, frame.height);
    let progress = frame
        .transition
        .map(|t| t.progress(frame.now_ms))
        .unwrap_or(1.0);
    let mut overlay = Scene::new(frame.width, frame.height);
    overlay_into(frame, &g, progress, ease(progress), &mut overlay);
    overlay
}

fn overlay_into(
    frame: &RingFrame<'_>,
    g: &RingGeometry,
    raw: f64,
    eased: f64,
    overlay: &mut Scene,
) {
    sweep(frame, g, eased, overlay);
    moving_keys(frame, g, eased, raw, overlay);
    probe_walk(frame, g, overlay);
}

fn swatch(ring: &Ring, node: Option<NodeId>) -> Swatch {
    match node.and_then(|id| ring.node(id).map(|n| (id, n.up))) {
        Some((id, true)) => Swatch::Node(id),
        _ => Swatch::Down,
    }
}

fn ownership_arcs(frame: &RingFrame<'_>, g: &RingGeometry, scene: &mut Scene) {
    let ring = frame.ring;
    let points = ring.points();
    // Spans per node id (ids are slots, so a vector indexes them).
    let mut spans: Vec<Vec<(f64, f64)>> = Vec::new();
    let live: Vec<usize> = (0..points.len())
        .filter(|&i| ring.node(points.at(i).node).is_some_and(|n| n.up))
        .collect();
    if let Some(&last) = live.last() {
        let mut prev = angle_of(points.at(last).pos);
        for &i in &live {
            let a = angle_of(points.at(i).pos);
            let len = clockwise(prev, a);
            let len = if live.len() == 1 { TAU } else { len };
            let node = points.at(i).node as usize;
            if spans.len() <= node {
                spans.resize_with(node + 1, Vec::new);
            }
            let list = &mut spans[node];
            match list.last_mut() {
                // Consecutive points of one node: one longer span, fewer canvas calls.
                Some(last_span) if (last_span.1 - prev).abs() < 1e-12 => last_span.1 = prev + len,
                _ => list.push((prev, prev + len)),
            }
            prev = a;
        }
    }
    for (id, list) in spans.into_iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        let id = id as NodeId;
        let width = if frame.selected == Some(id) {
            g.band * 1.5
        } else {
            g.band
        };
        scene.arcs.push(ArcBatch {
            ink: Ink::Swatch(Swatch::Node(id)),
            width,
            cx: g.cx,
            cy: g.cy,
            r: g.r,
            spans: list,
        });
    }
}

fn vnode_ticks(frame: &RingFrame<'_>, g: &RingGeometry, scene: &mut Scene) {
    let ring = frame.ring;
    let points = ring.points();
    let dense = points.len() > MAX_TICKS;
    let mut by_swatch: Vec<(u64, f64)> = Vec::new();
    for p in points.iter() {
        if dense && frame.selected != Some(p.node) {
            continue;
        }
        by_swatch.push((order(&swatch(ring, Some(p.node))), angle_of(p.pos)));
    }
    for (sw, angles) in group(by_swatch) {
        scene.ticks.push(TickBatch {
            ink: Ink::Swatch(swatch_of(sw)),
            width: if points.len() > 600 { 1.0 } else { 1.5 },
            cx: g.cx,
            cy: g.cy,
            r0: g.r + g.band / 2.0 + 1.0,
            r1: g.r + g.band / 2.0 + 7.0,
            angles,
        });
    }
}

/// Dot size shrinks as keys multiply so 100,000 keys still read as a texture, not a blob.
pub fn key_dot_radius(count: usize) -> f64 {
    match count {
        0..=300 => 3.0,
        301..=3_000 => 2.0,
        3_001..=30_000 => 1.3,
        _ => 0.9,
    }
}

/// Batches are drawn in node order, the down colour first.
fn order(sw: &Swatch) -> u64 {
    match sw {
        Swatch::Node(id) => u64::from(*id) + 1,
        Swatch::Down => 0,
    }
}

/// The swatch [`order`] numbered (the inverse of `order` on its low 32 bits).
fn swatch_of(order: u64) -> Swatch {
    match order & 0xffff_ffff {
        0 => Swatch::Down,
        n => Swatch::Node((n - 1) as u32),
    }
}

/// Groups `(key, item)` pairs by key, keys ascending, items in their original order: the
/// batches of a scene. One shared sort instead of a hash map per batch type keeps the wasm
/// small (each `HashMap<K, V>` type costs kilobytes of code).
fn group<T>(mut items: Vec<(u64, T)>) -> Vec<(u64, Vec<T>)> {
    sort_by_u64(&mut items, |(k, _)| *k);
    let mut out: Vec<(u64, Vec<T>)> = Vec::new();
    for (k, item) in items {
        match out.last_mut() {
            Some((last, list)) if *last == k => list.push(item),
            _ => out.push((k, vec![item])),
        }
    }
    out
}

/// Keys that are not moving, batched by owner colour (base layer).
fn still_keys(frame: &RingFrame<'_>, g: &RingGeometry, scene: &mut Scene) {
    let keys = frame.keys;
    let radius = key_dot_radius(keys.len()) * g.dot_scale();
    // Moving keys live in the overlay for the whole tween, so the base stays valid from the
    // tween's first frame to its last.
    let mut moving = vec![false; keys.len()];
    if let Some(t) = frame.transition {
        for m in &t.moved {
            if let Some(flag) = moving.get_mut(m.key as usize) {
                *flag = true;
            }
        }
    }
    let mut still: Vec<(u64, (f32, f32))> = Vec::with_capacity(keys.len());
    for i in 0..keys.len() as u32 {
        if moving[i as usize] {
            continue;
        }
        let h = keys.hash(i);
        let (x, y) = polar(g.cx, g.cy, g.key_radius(h), angle_of(h));
        let owner = frame.owners.get(i as usize).copied().flatten();
        still.push((order(&swatch(frame.ring, owner)), (x as f32, y as f32)));
    }
    for (sw, xy) in group(still) {
        scene.dots.push(DotBatch {
            ink: Ink::Swatch(swatch_of(sw)),
            radius,
            xy,
        });
    }
}

/// Keys changing owner: recolouring, pulsing, and a ghost gliding clockwise to the new
/// owner's point (overlay layer; cost follows the moved keys only).
fn moving_keys(frame: &RingFrame<'_>, g: &RingGeometry, eased: f64, raw: f64, overlay: &mut Scene) {
    let Some(t) = frame.transition else {
        return;
    };
    let ring = frame.ring;
    let keys = frame.keys;
    let radius = key_dot_radius(keys.len()) * g.dot_scale();
    let mut blends: Vec<(u64, (f32, f32))> = Vec::new();
    let mut ghosts: Vec<(u64, (f32, f32))> = Vec::new();
    for m in &t.moved {
        if m.key as usize >= keys.len() {
            continue;
        }
        let h = keys.hash(m.key);
        let a = angle_of(h);
        let (x, y) = polar(g.cx, g.cy, g.key_radius(h), a);
        let to = swatch(ring, m.to);
        let from = match m.from {
            Some(id) => Swatch::Node(id),
            None => Swatch::Down,
        };
        blends.push(((order(&from) << 32) | order(&to), (x as f32, y as f32)));
        if eased >= 1.0 {
            continue;
        }
        if let Some(target) = m.to.and_then(|_| ring.owner_index(h)) {
            let target = angle_of(ring.point(target).pos);
            let along = a + clockwise(a, target) * eased;
            let (gx, gy) = polar(g.cx, g.cy, g.r, along);
            ghosts.push((order(&to), (gx as f32, gy as f32)));
        }
    }
    // Moving keys pulse: largest half-way through the tween.
    let pulse = 1.0 + 0.7 * crate::view::geom::sin_cos(raw * std::f64::consts::PI).0;
    for (pair, xy) in group(blends) {
        overlay.dots.push(DotBatch {
            ink: Ink::Blend(swatch_of(pair >> 32), swatch_of(pair), eased as f32),
            radius: radius * pulse,
            xy,
        });
    }
    for (sw, xy) in group(ghosts) {
        overlay.dots.push(DotBatch {
            ink: Ink::Swatch(swatch_of(sw)),
            radius: (radius * 0.9).max(1.2),
            xy,
        });
    }
}

/// The sweep: the not-yet-swept part of each changed arc still shows its old owner.
fn sweep(frame: &RingFrame<'_>, g: &RingGeometry, eased: f64, overlay: &mut Scene) {
    if let Some(t) = frame.transition {
        if eased < 1.0 {
            let mut old: Vec<(u64, (f64, f64))> = Vec::new();
            for arc in &t.arcs {
                let a0 = angle_of(arc.start);
                let full = arc.start == arc.end;
                let len = if full {
                    TAU
                } else {
                    clockwise(a0, angle_of(arc.end))
                };
                let from = a0 + len * eased;
                let sw = match arc.from {
                    Some(id) => Swatch::Node(id),
                    None => Swatch::Down,
                };
                old.push((order(&sw), (from, a0 + len)));
            }
            for (sw, spans) in group(old) {
                overlay.arcs.push(ArcBatch {
                    ink: Ink::Swatch(swatch_of(sw)),
                    width: g.band,
                    cx: g.cx,
                    cy: g.cy,
                    r: g.r,
                    spans,
                });
            }
        }
    }
}

fn node_labels(frame: &RingFrame<'_>, g: &RingGeometry, scene: &mut Scene) {
    let ring = frame.ring;
    let many = ring.nodes().count() > MAX_LABELS;
    // Anchor each label at the node's vnode 0, where `{name}#0` hashes.
    let mut anchors: Vec<Option<u64>> = Vec::new();
    for p in ring.points().iter() {
        if p.idx == 0 {
            let id = p.node as usize;
            if anchors.len() <= id {
                anchors.resize(id + 1, None);
            }
            anchors[id] = Some(p.pos);
        }
    }
    for (id, info) in ring.nodes() {
        let selected = frame.selected == Some(id);
        if many && !selected {
            continue;
        }
        let Some(pos) = anchors.get(id as usize).copied().flatten() else {
            continue;
        };
        let a = angle_of(pos);
        let (x, y) = polar(g.cx, g.cy, g.r + g.band / 2.0 + 18.0, a);
        let c = crate::view::geom::sin_cos(a).1;
        let align = if c > 0.35 {
            Align::Left
        } else if c < -0.35 {
            Align::Right
        } else {
            Align::Center
        };
        let text = if info.up {
            info.name.clone()
        } else {
            format!("{} (down)", info.name)
        };
        scene.labels.push(Label {
            x,
            y,
            text,
            ink: if info.up {
                Ink::Swatch(Swatch::Node(id))
            } else {
                Ink::Muted
            },
            size: if selected { 15.0 } else { 13.0 },
            bold: true,
            align,
        });
        // A dot on the band marks the anchor the label belongs to.
        let (mx, my) = polar(g.cx, g.cy, g.r, a);
        scene.markers.push(Circle {
            cx: mx,
            cy: my,
            r: if selected { 5.0 } else { 3.5 },
            stroke: Some((Ink::Bg, 1.5)),
            fill: Some(if info.up {
                Ink::Swatch(Swatch::Node(id))
            } else {
                Ink::Swatch(Swatch::Down)
            }),
        });
    }
}

/// Points a probe walks through: the owner first, then the first point of each further
/// distinct live node, as the replica rule says.
pub fn replica_points(ring: &Ring, hash: u64, replicas: usize) -> Vec<usize> {
    let points = ring.points();
    let Some(start) = ring.owner_index(hash) else {
        return Vec::new();
    };
    let mut seen: Vec<NodeId> = Vec::new();
    let mut out = Vec::new();
    for step in 0..points.len() {
        if out.len() >= replicas.max(1) {
            break;
        }
        let i = (start + step) % points.len();
        let p = points.at(i);
        if !ring.node(p.node).is_some_and(|n| n.up) || seen.contains(&p.node) {
            continue;
        }
        seen.push(p.node);
        out.push(i);
    }
    out
}

fn probe_walk(frame: &RingFrame<'_>, g: &RingGeometry, scene: &mut Scene) {
    let Some(h) = frame.probe else {
        return;
    };
    let ring = frame.ring;
    let a = angle_of(h);
    let walk = replica_points(ring, h, frame.replicas);
    if let Some(&last) = walk.last() {
        let end = angle_of(ring.point(last).pos);
        scene.arcs.push(ArcBatch {
            ink: Ink::Accent,
            width: 3.0,
            cx: g.cx,
            cy: g.cy,
            r: g.r + g.band / 2.0 + 12.0,
            spans: vec![(a, a + clockwise(a, end))],
        });
    }
    for (n, &i) in walk.iter().enumerate() {
        let (x, y) = polar(g.cx, g.cy, g.r, angle_of(ring.point(i).pos));
        scene.markers.push(Circle {
            cx: x,
            cy: y,
            r: if n == 0 { 8.0 } else { 6.0 },
            stroke: Some((Ink::Accent, if n == 0 { 3.0 } else { 2.0 })),
            fill: None,
        });
    }
    let (kx, ky) = polar(g.cx, g.cy, g.key_radius(h), a);
    scene.markers.push(Circle {
        cx: kx,
        cy: ky,
        r: 5.0,
        stroke: Some((Ink::Bg, 2.0)),
        fill: Some(Ink::Accent),
    });
}

fn centre_caption(frame: &RingFrame<'_>, g: &RingGeometry, scene: &mut Scene) {
    let ring = frame.ring;
    let nodes = ring.nodes().count();
    let live = ring.live_count();
    let first = if live == nodes {
        format!("{nodes} nodes")
    } else {
        format!("{live} of {nodes} nodes up")
    };
    let second = format!(
        "{} vnodes · {} keys",
        group_digits(ring.points().len() as u64),
        group_digits(frame.keys.len() as u64)
    );
    // On a small ring the second line would run into the keys.
    let lines = if g.r < 130.0 {
        vec![(first, 14.0, Ink::Fg)]
    } else {
        vec![(first, 16.0, Ink::Fg), (second, 12.0, Ink::Muted)]
    };
    let single = lines.len() == 1;
    for (i, (text, size, ink)) in lines.into_iter().enumerate() {
        scene.labels.push(Label {
            x: g.cx,
            y: if single {
                g.cy
            } else {
                g.cy - 10.0 + 22.0 * i as f64
            },
            text,
            ink,
            size,
            bold: i == 0,
            align: Align::Center,
        });
    }
}
