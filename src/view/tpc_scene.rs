//! The 2PC layer of the cluster canvas: on every shard its phase on each open transaction,
//! an amber arc that grows while it is in doubt, the keys it has locked, and its log as a
//! short stack of records (forced ■ in ink, lazy □ muted, not yet on disk marked volatile);
//! 2PC messages in flight carry their word (PREPARE, YES, COMMIT…). Pure, like the scene.

use std::f64::consts::{FRAC_PI_2, TAU};

use super::cluster_frame::{
    label_lines, message_words, ClusterFrame, ClusterGeometry, Layer, NodeState, Pos, WordStyle,
};
use super::scene::{Align, ArcBatch, Ink, Label, Scene};
use crate::model::tpc_view::{node_rows, phase_text, rec_text};
use crate::sim::proto::tpc::Msg;
use crate::sim::proto::Payload;
use crate::sim::time::{fmt_ms, Time};

/// Below this canvas width (CSS px) a shard in doubt says so in fewer words.
const NARROW: f64 = 480.0;

/// Time in doubt at which the arc is half round: it keeps growing, never full.
pub const DOUBT_HALF_MS: f64 = 1000.0;
/// Most 2PC messages in flight that get a word (the oldest first).
const MAX_WORDS: usize = 24;

/// The word a 2PC message carries on the canvas.
pub fn word(m: &Msg) -> &'static str {
    match m {
        Msg::Begin { .. } => "BEGIN",
        Msg::Work { .. } => "work",
        Msg::Prepare { .. } => "PREPARE",
        Msg::Vote { yes: true, .. } => "YES",
        Msg::Vote { .. } => "NO",
        Msg::PreCommit { .. } => "PRE-COMMIT",
        Msg::PreAck { .. } => "pre-ack",
        Msg::Decision { commit: true, .. } => "COMMIT",
        Msg::Decision { .. } => "ABORT",
        Msg::Ack { .. } => "ack",
        Msg::Inquire { .. } => "outcome?",
        Msg::StateReq { .. } => "state?",
        Msg::State { .. } => "state",
        Msg::Done { .. } => "done",
    }
}

/// The layer as the cluster scene's list registers it.
pub const LAYER: Layer = Layer {
    name: "tpc",
    // With locks, servers carry a third label line (their lock role, storage's cells).
    margin: |_| None,
    draw: overlay,
    describe: |w, _| crate::model::tpc_view::describe_tpc(w),
};

/// Adds the 2PC layer to a cluster scene (nothing when the scenario has no 2PC).
pub fn overlay(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    let w = f.world;
    if w.tpc_cfg().is_none() {
        return;
    }
    let now = f.now.max(0.0).floor() as Time;
    let mut doubt = Vec::new();
    for n in node_rows(w) {
        let Some(p) = pos.get(n.ix as usize).copied().flatten() else {
            continue;
        };
        let mut lines: Vec<(String, Ink, bool)> = Vec::new();
        let mut held = 0;
        for t in n.txs.iter().take(3) {
            let (text, ink) = match t.doubt_since {
                // On a phone two shards' lines meet in the middle: the log line under it
                // already says "prepared".
                Some(since) if f.width < NARROW => (
                    format!("T{} in doubt {}", t.tx, fmt_ms(now.saturating_sub(since))),
                    Ink::Warn,
                ),
                Some(_) => (phase_text(t, now), Ink::Warn),
                None => (phase_text(t, now), Ink::Fg),
            };
            lines.push((text, ink, true));
        }
        for t in &n.txs {
            if let Some(s) = t.doubt_since {
                held = held.max(now.saturating_sub(s));
            }
        }
        if !n.locks.is_empty() {
            let keys: Vec<String> = n.locks.iter().map(|k| k.to_string()).collect();
            lines.push((format!("locks {}", keys.join(" · ")), Ink::Warn, false));
        }
        for (r, disk) in &n.log {
            let ink = if r.forced { Ink::Fg } else { Ink::Muted };
            lines.push((rec_text(r, *disk), ink, r.forced));
        }
        if n.txs.iter().any(|t| t.doubt_since.is_some()) {
            doubt.push((p, held as f64));
        }
        stack(p, g, lines, scene);
    }
    for ((x, y), held) in doubt {
        let r = g.node_r + 7.0;
        let frac = held / (held + DOUBT_HALF_MS);
        for (ink, to) in [(Ink::Track, TAU), (Ink::Warn, TAU * frac)] {
            scene.arcs.push(ArcBatch {
                ink,
                width: 4.0,
                cx: x,
                cy: y,
                r,
                spans: vec![(-FRAC_PI_2, -FRAC_PI_2 + to)],
            });
        }
    }
    words(f, states, pos, g, scene);
}

/// A node's lines: beside the disc for a node at the top or bottom of the circle (no room
/// above or below), else centred under the disc (its name and status take the side).
fn stack(p: (f64, f64), g: &ClusterGeometry, lines: Vec<(String, Ink, bool)>, scene: &mut Scene) {
    let (_, _, _, align) = label_lines(p, g.node_r, false, g);
    let (x, from, align) = if align == Align::Center {
        (p.0 + g.node_r + 14.0, p.1 - g.node_r - 13.0, Align::Left)
    } else {
        (p.0, p.1 + g.node_r + 3.0, Align::Center)
    };
    for (k, (text, ink, bold)) in lines.into_iter().enumerate() {
        scene.labels.push(Label {
            x,
            y: from + 13.0 * (k + 1) as f64,
            text,
            ink,
            size: 11.0,
            bold,
            align,
        });
    }
}

/// 2PC messages in flight carry their word beside the dot.
fn words(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    let tpc = f.world.net().in_flight().filter_map(|m| match &m.payload {
        Payload::Tpc(t) => Some((m, t)),
        _ => None,
    });
    let style = WordStyle {
        size: 11.0,
        bold: true,
    };
    message_words(tpc, MAX_WORDS, f, states, pos, g, scene, style, |_, t| {
        let ink = match t {
            Msg::Vote { yes: false, .. } | Msg::Decision { commit: false, .. } => Ink::Danger,
            Msg::Decision { .. } | Msg::Vote { .. } => Ink::Ok,
            _ => Ink::Fg,
        };
        Some((word(t).into(), ink))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Scenario;
    use crate::sim::testkit::played;
    use crate::sim::world::World;
    use crate::view::cluster_scene::{build, describe, Layout};

    fn scene_at(w: &World, t: f64) -> Scene {
        scene_sized(w, t, 700.0, 480.0)
    }

    fn scene_sized(w: &World, t: f64, width: f64, height: f64) -> Scene {
        build(&ClusterFrame {
            world: w,
            now: t,
            recent: &[],
            trail_ms: 0.0,
            selected_msg: None,
            selected_node: None,
            event_node: None,
            layout: Layout::Even,
            width,
            height,
        })
    }

    #[test]
    fn on_a_phone_the_in_doubt_line_is_short_and_stays_on_the_canvas() {
        let w = played("tpc-coordinator-crash.json", 1_000);
        let s = scene_sized(&w, 1_000.0, 368.0, 368.0);
        let doubt: Vec<&Label> = s
            .labels
            .iter()
            .filter(|l| l.text.starts_with("T1 in doubt "))
            .collect();
        assert_eq!(doubt.len(), 3, "{:?}", texts(&s));
        assert!(!texts(&s).iter().any(|l| l.contains("prepared · in doubt")));
        for l in doubt {
            let half = l.text.chars().count() as f64 * l.size * 0.64 / 2.0;
            let (left, right) = match l.align {
                Align::Left => (l.x, l.x + 2.0 * half),
                Align::Right => (l.x - 2.0 * half, l.x),
                Align::Center => (l.x - half, l.x + half),
            };
            assert!(left >= 0.0 && right <= 368.0, "{:?} at {}", l.text, l.x);
        }
    }

    fn texts(s: &Scene) -> Vec<&str> {
        s.labels.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn in_doubt_shards_show_phase_locks_log_and_a_growing_arc() {
        let w = played("tpc-coordinator-crash.json", 1_000);
        let s = scene_at(&w, 1_000.0);
        let t = texts(&s);
        let doubt: Vec<&&str> = t
            .iter()
            .filter(|l| l.starts_with("T1 prepared · in doubt "))
            .collect();
        assert_eq!(doubt.len(), 3, "{t:?}");
        assert!(t.contains(&"locks sku:4"), "{t:?}");
        assert!(t.contains(&"■ T1 prepared"), "{t:?}");
        let arcs = |s: &Scene| -> Vec<f64> {
            s.arcs
                .iter()
                .filter(|a| a.ink == Ink::Warn)
                .map(|a| a.spans[0].1 - a.spans[0].0)
                .collect()
        };
        let early = arcs(&s);
        assert_eq!(early.len(), 3);
        let w2 = played("tpc-coordinator-crash.json", 2_500);
        let later = arcs(&scene_at(&w2, 2_500.0));
        assert!(later[0] > early[0] && later[0] < TAU, "{early:?} {later:?}");
        assert!(describe(&w, 1_000.0).contains("; 2PC: T1 in doubt on B, C, D"));

        // After the recovery: no phase, no arc, the abort on every participant's log.
        let w = played("tpc-coordinator-crash.json", 4_000);
        let s = scene_at(&w, 4_000.0);
        assert!(arcs(&s).is_empty());
        assert!(!texts(&s).iter().any(|l| l.contains("in doubt")));
        assert!(
            texts(&s)
                .iter()
                .filter(|l| l.ends_with("T1 aborted"))
                .count()
                >= 3,
            "{:?}",
            texts(&s)
        );
    }

    #[test]
    fn messages_in_flight_carry_their_word() {
        let path = format!(
            "{}/static/scenarios/tpc-no-vote.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let s = Scenario::decode(&std::fs::read(path).unwrap()).unwrap();
        let mut w = s.build(None).unwrap();
        let mut out = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        while w.step(&mut out) && w.now() < s.until_ms {
            let sc = scene_at(&w, w.now() as f64);
            for l in &sc.labels {
                for k in ["PREPARE", "YES", "NO", "COMMIT", "ABORT"] {
                    if l.text == k && !seen.contains(&k) {
                        seen.push(k);
                    }
                }
            }
        }
        for k in ["PREPARE", "YES", "NO", "COMMIT", "ABORT"] {
            assert!(seen.contains(&k), "{k} never drawn: {seen:?}");
        }
        let plain = played("gc-pause.json", 500);
        assert!(!texts(&scene_at(&plain, 500.0))
            .iter()
            .any(|l| l.starts_with('■') || *l == "PREPARE"));
    }
}
