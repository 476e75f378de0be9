//! The canvas legend: what each mark on the picture means. It is read off the very display
//! list the canvas is painting ([`entries`] scans a built [`Scene`]), so it lists only marks
//! that are on screen, each drawn ([`build`]) with the ink, width, radius and dash of the
//! batch it explains: it cannot disagree with the drawing. Pure, tested natively.

use super::scene::Align;
use super::scene::{ArcBatch, Circle, DotBatch, Ink, Label, LineBatch, Scene, Swatch, TickBatch};

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
        }
    }
    out
}

/// Height of one legend row in CSS pixels.
pub const ROW: f64 = 18.0;
/// Width of the legend surface in CSS pixels.
pub const WIDTH: f64 = 268.0;

/// The legend as its own small scene (one row per entry, sample left, words right), for a
/// surface `WIDTH` wide and `entries.len() × ROW + 8` tall.
pub fn build(entries: &[Entry]) -> Scene {
    let h = entries.len() as f64 * ROW + 8.0;
    let mut s = Scene::new(WIDTH, h);
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
            size: 12.0,
            bold: false,
            align: Align::Left,
        });
    }
    s
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
    fn an_empty_scene_has_an_empty_legend() {
        assert!(entries(&Scene::new(10.0, 10.0), Lab::Cluster).is_empty());
        assert!(entries(&Scene::new(10.0, 10.0), Lab::Ring).is_empty());
    }
}
