//! The message-log layer of the cluster canvas: beside every broker, each partition replica
//! it holds as a strip of offsets (filled up to the high watermark, hollow above it; the
//! leader's strip bold, a replica out of the ISR muted), the group's committed offset as a
//! tick under the leader's strip; beside every consumer the partitions it owns (or "stalled"
//! while a rebalance holds them); log messages in flight carry their word (produce, ack,
//! fetch, records…); the dead-letter topic and the anomalies found so far in a corner.
//! Pure, like the scene.

use super::cluster_frame::{message_xy, ClusterFrame, ClusterGeometry, NodeState};
use super::cluster_frame::{Layer, Pos};
use super::scene::{Align, Ink, Label, RectBatch, Scene};
use crate::sim::ids::{NodeIx, Time};
use crate::sim::proto::log::check::anomalies;
use crate::sim::proto::log::{parts, Mq, MqMsg, MqNode};
use crate::sim::proto::Payload;
use crate::sim::world::World;

/// Offsets drawn per strip at most (the newest ones).
const CELLS: usize = 24;
/// Log messages in flight that get a word.
const MAX_WORDS: usize = 16;

/// The layer as the cluster scene's list registers it.
pub const LAYER: Layer = Layer {
    name: "mq",
    margin: |w| {
        w.cfg::<Mq>()
            .map(|c| 40.0 + 9.0 * f64::from(c.partitions.min(8)))
    },
    draw: overlay,
    describe: |w, _| describe(w),
};

/// The word a log message carries on the canvas.
pub fn word(m: &MqMsg) -> String {
    match m {
        MqMsg::Produce { id, .. } => format!("m{id}"),
        MqMsg::ProduceResp { id, err: None, .. } => format!("ack m{id}"),
        MqMsg::ProduceResp { err: Some(_), .. } => "refused".into(),
        MqMsg::Entries { n, .. } if *n > 0 => format!("repl ×{n}"),
        MqMsg::Records { n, .. } if *n > 0 => format!("recs ×{n}"),
        MqMsg::Truncate { .. } => "truncate".into(),
        MqMsg::Commit { off, .. } => format!("commit {off}"),
        MqMsg::Join { .. } => "join".into(),
        MqMsg::Leave { .. } => "leave".into(),
        MqMsg::Fenced => "fenced".into(),
        _ => String::new(),
    }
}

fn label(scene: &mut Scene, x: f64, y: f64, text: String, ink: Ink, bold: bool) {
    scene.labels.push(Label {
        x,
        y,
        text,
        ink,
        size: 10.0,
        bold,
        align: Align::Left,
    });
}

/// Adds the log layer (nothing when the scenario has no message log).
pub fn overlay(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    let w = f.world;
    if w.cfg::<Mq>().is_none() {
        return;
    }
    let s = w.mq();
    let (mut full, mut empty, mut lead, mut out, mut commit) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (ix, node) in w.nodes().iter().enumerate() {
        let Some(p) = pos.get(ix).copied().flatten() else {
            continue;
        };
        let ix = ix as NodeIx;
        let x0 = p.0 + g.node_r + 6.0;
        let mut y = p.1 - g.node_r;
        let procs = w.procs(ix).and_then(|pr| pr.mq.as_ref());
        match procs {
            Some(MqNode::Broker(b)) => {
                for (pi, m) in s.meta.iter().enumerate() {
                    if !m.replicas.contains(&ix) {
                        continue;
                    }
                    let log = &b.logs[pi];
                    let hw = b.hw[pi] as usize;
                    let skip = log.len().saturating_sub(CELLS);
                    let leader = m.leader == Some(ix);
                    let in_isr = m.isr.contains(&ix);
                    label(
                        scene,
                        x0,
                        y + 3.0,
                        format!("p{pi}"),
                        if in_isr { Ink::Fg } else { Ink::Muted },
                        leader,
                    );
                    for (k, _) in log.iter().enumerate().skip(skip) {
                        let cx = x0 + 14.0 + 5.0 * (k - skip) as f64;
                        let r = [cx as f32, y as f32, 4.0, 6.0];
                        match (k < hw, in_isr) {
                            (_, false) => out.push(r),
                            (true, _) if leader => lead.push(r),
                            (true, _) => full.push(r),
                            (false, _) => empty.push(r),
                        }
                    }
                    if leader {
                        let c = s.group.offsets.get(pi).copied().unwrap_or(0) as usize;
                        if c >= skip {
                            let cx = x0 + 14.0 + 5.0 * (c - skip) as f64;
                            commit.push([cx as f32 - 0.5, y as f32 + 7.0, 1.5, 3.0]);
                        }
                    }
                    y += 10.0;
                }
                let _ = node;
            }
            Some(MqNode::Client(c)) if c.cons.on => {
                let owned: Vec<String> = parts(c.cons.owned).map(|p| format!("p{p}")).collect();
                let text = if owned.is_empty() {
                    "no partitions".to_string()
                } else {
                    owned.join(" ")
                };
                let ink = if c.cons.processing {
                    Ink::Accent
                } else {
                    Ink::Fg
                };
                label(scene, x0, y + 3.0, text, ink, false);
            }
            _ => {}
        }
    }
    for (ink, rects) in [
        (Ink::Ok, lead),
        (Ink::Fg, full),
        (Ink::Track, empty),
        (Ink::Muted, out),
        (Ink::Accent, commit),
    ] {
        if !rects.is_empty() {
            scene.rects.push(RectBatch {
                ink,
                alpha: 1.0,
                rects,
            });
        }
    }
    corner(w, f.now.max(0.0) as Time, scene);
    for m in w
        .net()
        .in_flight()
        .filter(|m| matches!(m.payload, Payload::Mq(_)))
        .take(MAX_WORDS)
    {
        let Payload::Mq(t) = &m.payload else {
            continue;
        };
        let text = word(t);
        if text.is_empty() {
            continue;
        }
        if let Some((x, y)) = message_xy(m, pos, states, g, f.now) {
            let ink = if matches!(t, MqMsg::ProduceResp { err: Some(_), .. } | MqMsg::Fenced) {
                Ink::Danger
            } else {
                Ink::Fg
            };
            label(scene, x + 6.0, y - 7.0, text, ink, false);
        }
    }
}

/// Top-left corner: dead letters, stalls in progress, anomalies so far.
fn corner(w: &World, now: Time, scene: &mut Scene) {
    let s = w.mq();
    let a = anomalies(s);
    let mut lines = vec![(
        format!("dead-letter topic: {}", s.stats.dead_lettered),
        Ink::Fg,
    )];
    for (p, since) in s.stall_since.iter().enumerate() {
        if let Some(t) = since {
            lines.push((
                format!("p{p} stalled {} ms", now.saturating_sub(*t)),
                Ink::Warn,
            ));
        }
    }
    for (n, what) in [
        (a.lost.len() as u64, "lost"),
        (a.duplicated.len() as u64, "duplicated"),
        (a.nonmonotonic, "nonmonotonic"),
        (a.skipped, "skipped"),
    ] {
        if n > 0 {
            let ids = match what {
                "lost" => ids(&a.lost),
                "duplicated" => ids(&a.duplicated),
                _ => String::new(),
            };
            lines.push((format!("{what}: {n}{ids}"), Ink::Danger));
        }
    }
    for (k, (text, ink)) in lines.into_iter().enumerate() {
        label(scene, 8.0, 14.0 + 13.0 * k as f64, text, ink, true);
    }
}

fn ids(v: &[u32]) -> String {
    let shown: Vec<String> = v.iter().take(6).map(|i| format!("m{i}")).collect();
    format!(" ({})", shown.join(" "))
}

/// The log's sentence in the canvas's text alternative.
pub fn describe(w: &World) -> String {
    if w.cfg::<Mq>().is_none() {
        return String::new();
    }
    let s = w.mq();
    let a = anomalies(s);
    let name = |ix: NodeIx| w.name(ix);
    let mut out = String::from("Message log:");
    for (p, m) in s.meta.iter().enumerate() {
        let isr: Vec<String> = m.isr.iter().map(|&n| name(n)).collect();
        let leader = m
            .leader
            .map_or("offline".to_string(), |l| format!("leader {}", name(l)));
        let hw = m
            .leader
            .and_then(|l| w.procs(l))
            .and_then(|pr| pr.mq.as_ref())
            .and_then(MqNode::broker)
            .map_or(0, |b| b.hw[p]);
        let c = s.group.offsets.get(p).copied().unwrap_or(0);
        out.push_str(&format!(
            " p{p} {leader}, ISR {}, high watermark {hw}, committed {c};",
            isr.join("+")
        ));
    }
    out.push_str(&format!(
        " {} produced, {} acknowledged, {} dead-lettered, {} rebalances; lost {}, duplicated {}, nonmonotonic {}, skipped {}.",
        s.book.len(),
        s.book.iter().filter(|m| m.acked.is_some()).count(),
        s.stats.dead_lettered,
        s.stats.rebalances,
        a.lost.len(),
        a.duplicated.len(),
        a.nonmonotonic,
        a.skipped
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Scenario;
    use crate::view::cluster_scene::{build, Layout};

    #[test]
    fn strips_commits_and_the_lost_message_are_drawn_and_described() {
        let path = format!(
            "{}/static/scenarios/mq-commit-before-crash.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let s = Scenario::decode(&std::fs::read(path).expect("file")).expect("decodes");
        let mut w = s.build(None).expect("builds");
        let mut out = Vec::new();
        w.advance_to(s.until_ms, &mut out);
        let scene = build(&ClusterFrame {
            world: &w,
            now: s.until_ms as f64,
            recent: &[],
            trail_ms: 0.0,
            selected_msg: None,
            selected_node: None,
            event_node: None,
            layout: Layout::Even,
            width: 700.0,
            height: 480.0,
        });
        assert!(scene
            .rects
            .iter()
            .any(|r| r.ink == Ink::Ok && !r.rects.is_empty()));
        assert!(
            scene.labels.iter().any(|l| l.text.starts_with("lost: 1")),
            "{:?}",
            scene.labels
        );
        let d = describe(&w);
        assert!(d.contains("p0 leader") && d.contains("lost 1"), "{d}");
    }

    #[test]
    fn a_session_runs_the_end_of_run_checks_so_the_browser_sees_the_lost_message() {
        for file in ["mq-commit-before-crash.json", "mq-unclean-election.json"] {
            let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
            let s = Scenario::decode(&std::fs::read(path).expect("file")).expect("decodes");
            let session = crate::model::session::Session::load(s).expect("loads");
            let v = session.verdicts();
            assert!(!v.is_empty() && v.iter().all(|x| x.ok), "{file}: {v:?}");
        }
    }
}
