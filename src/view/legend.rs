//! The canvas legend: what each mark on the picture means. It is read off the very display
//! list the canvas is painting ([`entries`] scans a built [`Scene`]), so it lists only marks
//! that are on screen, each drawn ([`build`]) with the ink, width, radius and dash of the
//! batch it explains: it cannot disagree with the drawing. Pure, tested natively.

use super::scene::Align;
use super::scene::{
    ArcBatch, Circle, DotBatch, Ink, Label, LineBatch, RectBatch, Scene, Swatch, TickBatch,
};

/// Which lab's picture: the same ink means different things on the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lab {
    /// `ring_scene`.
    Ring,
    /// `cluster_scene` with its lock and 2PC layers.
    Cluster,
}

/// A sample of one mark, in the style of the batch it was read from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    /// A short arc.
    Arc(Ink, f64),
    /// A radial tick.
    Tick(Ink, f64),
    /// A dot of this radius.
    Dot(Ink, f64),
    /// A disc with an optional outline.
    Disc(Option<Ink>, Option<(Ink, f64)>),
    /// A straight segment (ink, width, alpha, dash).
    Line(Ink, f64, f64, Option<(f64, f64)>),
    /// A small filled cell (one offset of a partition's strip).
    Cell(Ink),
}

/// One row of the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The sample.
    pub mark: Mark,
    /// What it means.
    pub text: &'static str,
}

fn is_node(i: Ink) -> bool {
    matches!(
        i,
        Ink::Swatch(Swatch::Node(_)) | Ink::Blend(..) | Ink::Tint(Swatch::Node(_), _)
    )
}

fn down(i: Ink) -> bool {
    i == Ink::Swatch(Swatch::Down)
}

/// A sample node colour in place of any node's own.
fn one(i: Ink) -> Ink {
    match i {
        Ink::Blend(a, ..) => Ink::Swatch(a),
        other => other,
    }
}

/// The legend rows for the marks this scene holds, in a fixed order, at most one per meaning.
pub fn entries(scene: &Scene, lab: Lab) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut add = |mark: Option<Mark>, text: &'static str| {
        if let Some(mark) = mark {
            if !out.iter().any(|e| e.text == text) {
                out.push(Entry { mark, text });
            }
        }
    };
    let arc = |f: &dyn Fn(&ArcBatch) -> bool| {
        scene
            .arcs
            .iter()
            .find(|a| f(a))
            .map(|a| Mark::Arc(one(a.ink), a.width))
    };
    let line = |f: &dyn Fn(&LineBatch) -> bool| {
        scene
            .lines
            .iter()
            .find(|l| !l.segs.is_empty() && f(l))
            .map(|l| Mark::Line(one(l.ink), l.width, l.alpha, l.dash))
    };
    let circle = |list: &[Circle], f: &dyn Fn(&Circle) -> bool| {
        list.iter()
            .find(|c| f(c))
            .map(|c| Mark::Disc(c.fill.map(one), c.stroke))
    };
    let dot = |f: &dyn Fn(&DotBatch) -> bool| {
        scene
            .dots
            .iter()
            .find(|d| !d.xy.is_empty() && f(d))
            .map(|d| Mark::Dot(one(d.ink), d.radius))
    };
    let tick = |f: &dyn Fn(&TickBatch) -> bool| {
        scene
            .ticks
            .iter()
            .find(|t| !t.angles.is_empty() && f(t))
            .map(|t| Mark::Tick(one(t.ink), t.width))
    };
    let cell = |ink: Ink| {
        scene
            .rects
            .iter()
            .any(|r| r.ink == ink && !r.rects.is_empty())
            .then_some(Mark::Cell(ink))
    };
    match lab {
        Lab::Ring => {
            add(
                arc(&|a| is_node(a.ink) && !a.spans.is_empty()),
                "arc: the part of the ring a node owns",
            );
            add(tick(&|t| is_node(t.ink)), "tick: one virtual node");
            add(
                dot(&|d| is_node(d.ink)),
                "dot: a key, in its owner's colour",
            );
            add(
                circle(&scene.markers, &|c| c.fill.is_some_and(is_node)),
                "disc: a node, at its first point",
            );
            add(
                circle(&scene.markers, &|c| c.fill.is_some_and(down)).or(tick(&|t| down(t.ink))),
                "grey: a failed node, owning nothing",
            );
            add(
                arc(&|a| a.ink == Ink::Accent),
                "accent arc: a key's walk to its owner",
            );
            add(
                circle(&scene.markers, &|c| {
                    c.fill.is_none() && c.stroke.is_some_and(|(i, _)| i == Ink::Accent)
                }),
                "ring: owner and replicas of the key",
            );
        }
        Lab::Cluster => {
            let circles = &scene.circles;
            let nodes = &scene.markers;
            add(
                circle(nodes, &|c| {
                    c.fill
                        .is_some_and(|f| matches!(f, Ink::Swatch(Swatch::Node(_))))
                        && c.stroke == Some((Ink::Bg, 2.0))
                }),
                "disc: a node (clients inside the circle)",
            );
            add(
                circle(nodes, &|c| c.fill.is_some_and(down)),
                "grey disc: crashed",
            );
            add(
                circle(nodes, &|c| {
                    c.fill.is_some_and(|f| matches!(f, Ink::Tint(..)))
                }),
                "faded disc: paused (stop-the-world)",
            );
            add(
                circle(nodes, &|c| {
                    c.fill.is_some() && c.stroke == Some((Ink::Danger, 3.0))
                }),
                "red ring: suspected by a peer",
            );
            add(
                circle(nodes, &|c| {
                    c.fill.is_some() && c.stroke == Some((Ink::Warn, 3.0))
                }),
                "amber ring: paused, not yet suspected",
            );
            add(
                circle(circles, &|c| {
                    c.stroke.is_none() && c.fill.is_some_and(|f| matches!(f, Ink::Tint(..)))
                }),
                "halo: one side of a partition",
            );
            add(
                line(&|l| l.ink == Ink::Track && l.dash.is_none()),
                "line: a working network link",
            );
            add(
                dot(&|d| is_node(d.ink)),
                "dot: a message in flight, sender's colour",
            );
            add(
                line(&|l| matches!(l.ink, Ink::Tint(..)) && l.dash.is_none()),
                "trail: a message just delivered",
            );
            add(
                line(&|l| l.ink == Ink::Danger && l.dash.is_some()),
                "dashed red: lost, or a cut link",
            );
            add(
                arc(&|a| a.width <= 3.0 && matches!(a.ink, Ink::Accent | Ink::Danger | Ink::Warn)),
                "arc: a lock lease and the time it has left",
            );
            add(
                arc(&|a| a.width > 3.0 && a.ink == Ink::Warn),
                "amber arc: in doubt, blocked on the decision",
            );
            add(
                circle(circles, &|c| {
                    c.stroke == Some((Ink::Muted, 1.0)) && c.fill == Some(Ink::Bg)
                }),
                "dial: the node's own clock",
            );
            add(
                circle(&scene.markers, &|c| {
                    c.stroke.is_some_and(|(i, _)| i == Ink::Accent)
                }),
                "accent ring: selected, or holding a lock",
            );
            add(cell(Ink::Ok), "green cells: leader offsets up to the HW");
            add(cell(Ink::Fg), "dark cells: a follower's replicated offsets");
            add(cell(Ink::Track), "pale cells: offsets above the HW");
            add(cell(Ink::Muted), "grey cells: a replica out of the ISR");
            add(
                cell(Ink::Accent),
                "accent tick: the group's committed offset",
            );
            add(cell(Ink::Danger), "red cell: a message lost for good");
            add(cell(Ink::Warn), "amber cell: a message processed twice");
            add(
                line(&|l| l.ink == Ink::Warn && l.dash.is_some()),
                "dashed amber: a partition standing still",
            );
            add(
                line(&|l| l.ink == Ink::Accent && l.width < 3.0),
                "accent line: a partition handed over",
            );
        }
    }
    out
}

/// Height of one legend row in CSS pixels.
pub const ROW: f64 = 15.0;
/// Widest the legend surface gets, CSS pixels (its words' width decides below that).
pub const WIDTH: f64 = 330.0;
/// Size of the legend's words.
const TEXT_PX: f64 = 11.0;
/// Room per character of the words at [`TEXT_PX`] (system-ui averages about 0.53 em).
const CHAR_PX: f64 = 5.9;

/// The legend as its own small scene (one row per entry, sample left, words right), as wide
/// as its longest row needs (at most [`WIDTH`]) and `entries.len() × ROW + 8` tall.
pub fn build(entries: &[Entry]) -> Scene {
    let h = entries.len() as f64 * ROW + 8.0;
    let longest = entries
        .iter()
        .map(|e| e.text.chars().count())
        .max()
        .unwrap_or(0);
    let w = (32.0 + CHAR_PX * longest as f64 + 8.0).min(WIDTH);
    let mut s = Scene::new(w, h);
    for (k, e) in entries.iter().enumerate() {
        let y = 4.0 + ROW * (k as f64 + 0.5);
        let x = 16.0;
        match e.mark {
            Mark::Arc(ink, width) => s.arcs.push(ArcBatch {
                ink,
                width: width.min(6.0),
                cx: x,
                cy: y + 14.0,
                r: 14.0,
                spans: vec![(-2.3, -0.84)],
            }),
            Mark::Tick(ink, width) => s.ticks.push(TickBatch {
                ink,
                width,
                cx: x,
                cy: y + 20.0,
                r0: 14.0,
                r1: 26.0,
                angles: vec![-std::f64::consts::FRAC_PI_2],
            }),
            Mark::Dot(ink, radius) => s.dots.push(DotBatch {
                ink,
                radius: radius.max(2.0),
                xy: vec![(x as f32, y as f32)],
            }),
            Mark::Disc(fill, stroke) => s.circles.push(Circle {
                cx: x,
                cy: y,
                r: 6.0,
                stroke: stroke.map(|(i, w)| (i, w.min(3.0))),
                fill,
            }),
            Mark::Cell(ink) => s.rects.push(RectBatch {
                ink,
                alpha: 1.0,
                rects: vec![
                    [(x - 6.0) as f32, (y - 3.0) as f32, 4.0, 6.0],
                    [(x + 1.0) as f32, (y - 3.0) as f32, 4.0, 6.0],
                ],
            }),
            Mark::Line(ink, width, alpha, dash) => s.lines.push(LineBatch {
                ink,
                width,
                alpha,
                dash,
                segs: vec![[(x - 9.0) as f32, y as f32, (x + 9.0) as f32, y as f32]],
            }),
        }
        s.labels.push(Label {
            x: 32.0,
            y,
            text: e.text.to_string(),
            ink: Ink::Fg,
            size: TEXT_PX,
            bold: false,
            align: Align::Left,
        });
    }
    s
}

/// Gap between the legend and the canvas's right edge, CSS pixels.
pub const INSET: f64 = 8.0;
/// Room left under the legend on a page for the toggle button over the canvas's corner.
pub const BUTTON_ROOM: f64 = 40.0;

/// Moves every item of a scene by (dx, dy).
fn shift(s: &mut Scene, dx: f64, dy: f64) {
    let (fx, fy) = (dx as f32, dy as f32);
    for c in s.circles.iter_mut().chain(s.markers.iter_mut()) {
        c.cx += dx;
        c.cy += dy;
    }
    for a in &mut s.arcs {
        a.cx += dx;
        a.cy += dy;
    }
    for t in &mut s.ticks {
        t.cx += dx;
        t.cy += dy;
    }
    for d in &mut s.dots {
        for p in &mut d.xy {
            p.0 += fx;
            p.1 += fy;
        }
    }
    for l in &mut s.labels {
        l.x += dx;
        l.y += dy;
    }
    for r in s.rects.iter_mut().flat_map(|b| b.rects.iter_mut()) {
        r[0] += fx;
        r[1] += fy;
    }
    for g in s.lines.iter_mut().flat_map(|b| b.segs.iter_mut()) {
        g[0] += fx;
        g[1] += fy;
        g[2] += fx;
        g[3] += fy;
    }
}

/// Top of the legend when it sits in a top corner: below the page's hint over the canvas.
const TOP: f64 = 48.0;

/// How much of the picture a legend at (x, y, w, h) would hide: node discs weigh most, then
/// bold words (node names, the clock); moving things (messages, their words) are left out so
/// the legend does not jump around while the run plays.
fn clutter(scene: &Scene, x: f64, y: f64, w: f64, h: f64) -> usize {
    let hit =
        |px: f64, py: f64, r: f64| px + r > x && px - r < x + w && py + r > y && py - r < y + h;
    let discs = scene
        .markers
        .iter()
        .filter(|c| hit(c.cx, c.cy, c.r))
        .count();
    let words = scene
        .labels
        .iter()
        .filter(|l| l.bold && hit(l.x, l.y, 4.0))
        .count();
    10 * discs + words
}

/// Puts the legend for `entries` on the scene over a backdrop, as an overlay painted after
/// everything else (so the canvas, the PNG and the SVG show the same legend), in the corner
/// that hides the least of the picture: bottom-right (`bottom` pixels above the edge, room
/// for the page's toggle), top-right or bottom-left, in that order on a tie. Nothing for no
/// entries.
pub fn attach(scene: &mut Scene, entries: &[Entry], bottom: f64) {
    if entries.is_empty() {
        return;
    }
    let mut leg = build(entries);
    let (w, h) = (leg.width, leg.height);
    let mut backdrop = Scene::new(w, h);
    backdrop.rects.push(RectBatch {
        ink: Ink::Bg,
        alpha: 0.92,
        rects: vec![[0.0, 0.0, w as f32, h as f32]],
    });
    let (wf, hf) = (w as f32, h as f32);
    backdrop.lines.push(LineBatch {
        ink: Ink::Track,
        width: 1.0,
        alpha: 1.0,
        dash: None,
        segs: vec![
            [0.0, 0.0, wf, 0.0],
            [wf, 0.0, wf, hf],
            [wf, hf, 0.0, hf],
            [0.0, hf, 0.0, 0.0],
        ],
    });
    backdrop.overlays.push(std::mem::take(&mut leg));
    let right = (scene.width - w - INSET).max(0.0);
    let low = (scene.height - h - bottom).max(0.0);
    let corners = [(right, low), (right, TOP.min(low)), (INSET.min(right), low)];
    let (x, y) = corners
        .iter()
        .copied()
        .min_by_key(|&(x, y)| clutter(scene, x, y, w, h))
        .unwrap_or((right, low));
    shift(&mut backdrop, x, y);
    for o in &mut backdrop.overlays {
        shift(o, x, y);
    }
    backdrop.width = scene.width;
    backdrop.height = scene.height;
    scene.overlays.push(backdrop);
}

/// The legend in words, for the canvas's text alternative (empty for no entries).
pub fn words(entries: &[Entry]) -> String {
    if entries.is_empty() {
        return String::new();
    }
    let rows: Vec<&str> = entries.iter().map(|e| e.text).collect();
    format!("Legend: {}.", rows.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ring_lab::RingLab;
    use crate::view::ring_scene::{self, RingFrame};

    fn ring_scene(lab: &RingLab) -> Scene {
        ring_scene::build(&RingFrame {
            ring: lab.ring(),
            keys: lab.keys(),
            owners: lab.view_owners(),
            transition: None,
            now_ms: 0.0,
            selected: None,
            probe: None,
            replicas: lab.replicas(),
            width: 600.0,
            height: 400.0,
        })
    }

    #[test]
    fn the_ring_legend_lists_what_the_ring_draws_in_its_inks() {
        let lab = RingLab::new();
        let scene = ring_scene(&lab);
        let e = entries(&scene, Lab::Ring);
        let texts: Vec<&str> = e.iter().map(|e| e.text).collect();
        assert!(
            texts.contains(&"arc: the part of the ring a node owns"),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"dot: a key, in its owner's colour"),
            "{texts:?}"
        );
        // Nothing looked up, nothing failed: no walk, no grey.
        assert!(!texts.iter().any(|t| t.starts_with("accent arc")));
        assert!(!texts.iter().any(|t| t.starts_with("grey")));
        // Each sample uses the width of the batch it explains.
        let Some(Entry {
            mark: Mark::Arc(_, w),
            ..
        }) = e.iter().find(|e| e.text.starts_with("arc:"))
        else {
            panic!("no arc sample");
        };
        assert!(scene.arcs.iter().any(|a| a.width == *w));
        let legend = build(&e);
        assert_eq!(legend.labels.len(), e.len());
        assert!(legend.height <= e.len() as f64 * ROW + 8.0);
    }

    #[test]
    fn the_cluster_legend_follows_the_moment() {
        use crate::model::session::Session;
        use crate::sim::scenario::Scenario;
        use crate::view::cluster_scene::{self, ClusterFrame, Layout};
        let json = include_str!("../../static/scenarios/gc-pause.json");
        let mut s =
            Session::load(Scenario::decode(json.as_bytes()).expect("decodes")).expect("loads");
        let at = |s: &Session, t: f64| {
            let scene = cluster_scene::build(&ClusterFrame {
                world: s.world(),
                now: t,
                recent: s.timeline().trace(),
                trail_ms: 150.0,
                selected_msg: None,
                selected_node: None,
                event_node: None,
                layout: Layout::Even,
                width: 600.0,
                height: 420.0,
            });
            entries(&scene, Lab::Cluster)
                .into_iter()
                .map(|e| e.text)
                .collect::<Vec<_>>()
        };
        s.seek_time(1000);
        let calm = at(&s, 1000.0);
        assert!(
            calm.contains(&"disc: a node (clients inside the circle)"),
            "{calm:?}"
        );
        assert!(calm.contains(&"line: a working network link"), "{calm:?}");
        assert!(
            !calm.iter().any(|t| t.starts_with("faded disc")),
            "{calm:?}"
        );
        s.seek_time(2600);
        let paused = at(&s, 2600.0);
        assert!(
            paused.contains(&"faded disc: paused (stop-the-world)"),
            "{paused:?}"
        );
        assert!(
            paused.contains(&"red ring: suspected by a peer"),
            "{paused:?}"
        );
    }

    #[test]
    fn the_legend_is_attached_over_the_scene_and_exported_with_it() {
        let lab = RingLab::new();
        let mut scene = ring_scene(&lab);
        let e = entries(&scene, Lab::Ring);
        let before = scene.clone();
        attach(&mut scene, &e, BUTTON_ROOM);
        assert_eq!(scene.overlays.len(), 1);
        let o = &scene.overlays[0];
        // Backdrop inside the frame, bottom-right, above the button's room.
        let r = o.rects[0].rects[0];
        assert!(f64::from(r[0] + r[2]) <= scene.width - INSET + 0.01);
        assert!(f64::from(r[1] + r[3]) <= scene.height - BUTTON_ROOM + 0.01);
        assert!(r[0] >= 0.0 && r[1] >= 0.0);
        // Every row's words sit inside the backdrop.
        let rows = &o.overlays[0].labels;
        assert_eq!(rows.len(), e.len());
        assert!(rows.iter().all(|l| l.x >= f64::from(r[0])
            && l.y >= f64::from(r[1])
            && l.y <= f64::from(r[1] + r[3])));
        // The SVG carries it; without the legend the scene is unchanged.
        let svg = crate::view::svg::to_svg(&scene, &crate::view::theme::Theme::light());
        assert!(
            svg.contains("a key, in its owner"),
            "legend missing from the SVG"
        );
        assert!(
            !crate::view::svg::to_svg(&before, &crate::view::theme::Theme::light())
                .contains("a key, in its owner")
        );
        assert!(words(&e).starts_with("Legend: arc: the part of the ring"));
        let mut empty = Scene::new(100.0, 100.0);
        attach(&mut empty, &[], 0.0);
        assert!(empty.overlays.is_empty() && words(&[]).is_empty());
    }

    #[test]
    fn the_legend_takes_the_corner_that_hides_least() {
        let e = [Entry {
            mark: Mark::Dot(Ink::Fg, 2.0),
            text: "dot: something",
        }];
        let corner = |discs: &[(f64, f64)]| {
            let mut s = Scene::new(600.0, 400.0);
            s.markers = discs
                .iter()
                .map(|&(cx, cy)| Circle {
                    cx,
                    cy,
                    r: 10.0,
                    stroke: None,
                    fill: Some(Ink::Fg),
                })
                .collect();
            attach(&mut s, &e, BUTTON_ROOM);
            let r = s.overlays[0].rects[0].rects[0];
            (r[0] > 300.0, r[1] > 200.0)
        };
        // Empty: bottom-right. A node there: top-right. Nodes in both right corners: left.
        assert_eq!(corner(&[]), (true, true));
        assert_eq!(corner(&[(560.0, 340.0)]), (true, false));
        assert_eq!(corner(&[(560.0, 340.0), (560.0, 60.0)]), (false, true));
    }

    #[test]
    fn an_empty_scene_has_an_empty_legend() {
        assert!(entries(&Scene::new(10.0, 10.0), Lab::Cluster).is_empty());
        assert!(entries(&Scene::new(10.0, 10.0), Lab::Ring).is_empty());
    }
}
