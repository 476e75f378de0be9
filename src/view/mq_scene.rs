//! The message-log layer of the cluster canvas: beside every broker, each partition replica
//! it holds as a strip of offsets (filled up to the high watermark, hollow above it; the
//! leader's strip bold, a replica out of the ISR muted), the group's committed offset as a
//! tick under the leader's strip; beside every consumer the partitions it owns (or "stalled"
//! while a rebalance holds them); log messages in flight carry their word (produce, ack,
//! fetch, records…); the dead-letter topic and the anomalies found so far in a corner.
//! A rebalance is drawn as partitions leaving and joining consumers: a partition still
//! standing still is a dashed amber line from the consumer it left to the group coordinator,
//! one that resumed is an accent line from the consumer it left to the one it joined, each
//! labelled with the time it stood still (all partitions at once under eager, only the moved
//! ones under cooperative). Anomalies are flagged on the message that suffered them: its
//! offset cell on the strips (red: lost for good, amber: processed twice), a word beside the
//! leader's strip, and its word in flight. Pure, like the scene.

use super::cluster_frame::{message_xy, ClusterFrame, ClusterGeometry, NodeState};
use super::cluster_frame::{Layer, Pos};
use super::scene::LineBatch;
use super::scene::{Align, Ink, Label, RectBatch, Scene};
use crate::sim::ids::{NodeIx, Time};
use crate::sim::proto::log::check::{anomalies, Anomalies};
use crate::sim::proto::log::{parts, Mq, MqMsg, MqNode, MqShared, PartMove};
use crate::sim::proto::Payload;
use crate::sim::proto::Protocol;
use crate::sim::sort::sort_dedup_by_u64;
use crate::sim::world::World;

/// Offsets drawn per strip at most (the newest ones).
const CELLS: usize = 24;
/// Log messages in flight that get a word.
const MAX_WORDS: usize = 16;
/// How long a finished hand-over stays drawn (virtual ms).
pub const MOVE_SHOWN_MS: Time = 1500;
/// Share of the 10 px size one character of the canvas's words takes (system-ui).
const WORD_EM: f64 = 0.56;
/// Narrower canvases draw hand-overs as lines only (the corner still lists the stalls).
const MOVE_WORDS_MIN_WIDTH: f64 = 520.0;
/// Where the corner's lines start, below the clock and the in-flight count.
const CORNER_TOP: f64 = 54.0;
/// Flagged messages named beside one strip at most.
const FLAGS_PER_STRIP: usize = 2;

/// The layer as the cluster scene's list registers it.
pub const LAYER: Layer = Layer {
    name: "mq",
    margin: |w| {
        w.cfg::<Mq>()
            .map(|c| 40.0 + 9.0 * f64::from(c.partitions.min(8)))
    },
    draw: overlay,
    describe: |w, t| describe(w, t),
};

/// What the canvas flags on a message: lost for good, or processed twice.
pub struct Flags {
    /// Acknowledged, unprocessed, and nobody will deliver it any more: the group committed
    /// past it with no live owner holding it in its batch, or no broker holds it.
    pub lost: Vec<u32>,
    /// Processed more than once.
    pub twice: Vec<u32>,
}

/// The flags at this moment. Mid-run an acknowledged message not processed yet is usually
/// just on its way (the checker's `lost` counts it until the run ends), so only the ones
/// already out of everyone's reach are flagged lost.
pub fn flags(w: &World, a: &Anomalies) -> Flags {
    let s = w.mq();
    let up = |ix: NodeIx| {
        w.nodes()
            .get(ix as usize)
            .is_some_and(|n| n.status == crate::sim::world::Status::Up)
    };
    let brokers: Vec<(NodeIx, &crate::sim::proto::log::Broker)> = (0..w.nodes().len() as NodeIx)
        .filter_map(|ix| {
            w.procs(ix)
                .and_then(Mq::node)
                .and_then(MqNode::broker)
                .map(|b| (ix, b))
        })
        .collect();
    let in_hand = |p: u32, off: u64| {
        (0..w.nodes().len() as NodeIx).any(|ix| {
            up(ix)
                && w.procs(ix)
                    .and_then(Mq::node)
                    .and_then(MqNode::client)
                    .is_some_and(|c| {
                        let i = p as usize;
                        c.cons.owned & (1 << p) != 0
                            && c.cons.pos.get(i).is_some_and(|&x| x > off)
                            && c.cons.done.get(i).is_some_and(|&x| x <= off)
                    })
        })
    };
    let lost = a
        .lost
        .iter()
        .copied()
        .filter(|&id| {
            let Some(m) = s.msg(id) else { return false };
            let p = m.p;
            let committed = s.group.offsets.get(p as usize).copied().unwrap_or(0);
            let mut held = false;
            for (_, b) in &brokers {
                if let Some(off) = b
                    .logs
                    .get(p as usize)
                    .and_then(|l| l.iter().position(|&x| x == id))
                {
                    held = true;
                    if committed > off as u64 && !in_hand(p, off as u64) {
                        return true;
                    }
                }
            }
            // Gone from every replica (truncated after an unclean election, say).
            !held && brokers.iter().all(|(ix, _)| up(*ix))
        })
        .collect();
    Flags {
        lost,
        twice: a.duplicated.clone(),
    }
}

/// What happened to message `id` by now, if it is flagged: "lost" or "twice".
pub fn flag(f: &Flags, id: u32) -> Option<&'static str> {
    if f.lost.contains(&id) {
        Some("lost")
    } else if f.twice.contains(&id) {
        Some("twice")
    } else {
        None
    }
}

/// A flagged message the log message carries (its id and what it suffered).
fn carried_flag(m: &MqMsg, a: &Flags) -> Option<(u32, &'static str)> {
    let ids: &[u32] = match m {
        MqMsg::Produce { id, .. } | MqMsg::ProduceResp { id, .. } => std::slice::from_ref(id),
        MqMsg::Records { n, ids, .. } | MqMsg::Entries { n, ids, .. } => {
            &ids[..usize::from(*n).min(4)]
        }
        _ => &[],
    };
    ids.iter().find_map(|&id| flag(a, id).map(|f| (id, f)))
}

/// The partitions' hand-overs to draw at `now`: still standing, or resumed at most
/// [`MOVE_SHOWN_MS`] ago. (partition, move)
pub fn shown_moves(s: &MqShared, now: Time) -> Vec<(u32, PartMove)> {
    s.moves
        .iter()
        .enumerate()
        .filter_map(|(p, m)| {
            let m = (*m)?;
            let fresh =
                m.since <= now && m.until.is_none_or(|u| u <= now && now - u <= MOVE_SHOWN_MS);
            fresh.then_some((p as u32, m))
        })
        .collect()
}

/// The words for one hand-over: `p1 c1 → c3 · stood still 120 ms`.
pub fn move_words(p: u32, m: &PartMove, now: Time, name: &dyn Fn(NodeIx) -> String) -> String {
    let from = m.from.map_or("?".to_string(), name);
    match (m.to, m.until) {
        (Some(to), Some(u)) if Some(to) == m.from => {
            format!("p{p} back to {from} · stood still {} ms", u - m.since)
        }
        (Some(to), Some(u)) => format!(
            "p{p} {from} → {} · stood still {} ms",
            name(to),
            u - m.since
        ),
        _ => format!(
            "p{p} left {from} · still {} ms",
            now.saturating_sub(m.since)
        ),
    }
}

/// One consumer's hand-overs in one line: `p2 p3 → c3 · stood still 107, 110 ms`,
/// `p0 p1 back · stood still 108 ms` (eager, handed back to the same member) or
/// `p0 p1 left · still 75 ms` while they stand.
pub fn group_words(
    at: NodeIx,
    resumed: bool,
    ms: &[(u32, PartMove)],
    now: Time,
    name: &dyn Fn(NodeIx) -> String,
) -> String {
    let parts: Vec<String> = ms.iter().map(|(p, _)| format!("p{p}")).collect();
    let mut took: Vec<u64> = ms
        .iter()
        .map(|(_, m)| m.until.unwrap_or(now).saturating_sub(m.since))
        .collect();
    if !resumed {
        let longest = took.iter().copied().max().unwrap_or(0);
        return format!("{} left · still {longest} ms", parts.join(" "));
    }
    sort_dedup_by_u64(&mut took, |&t| t);
    let times: Vec<String> = took.iter().take(4).map(u64::to_string).collect();
    let back = ms.iter().all(|(_, m)| m.from == Some(at));
    let whither = if back {
        "back".to_string()
    } else {
        format!("→ {}", name(at))
    };
    format!(
        "{} {whither} · stood still {} ms",
        parts.join(" "),
        times.join(", ")
    )
}

/// Whether a produce request or a fetch answer carries an application's record (the
/// saga's notes): that application's layer says what it carries, so this one stays quiet.
fn carries_app_record(s: &crate::sim::proto::log::state::MqShared, m: &MqMsg) -> bool {
    let app = |id: &u32| s.msg(*id).is_some_and(|i| i.body.is_some());
    match m {
        MqMsg::Produce { id, .. } => app(id),
        MqMsg::Records { n, ids, .. } => ids[..(*n as usize).min(4)].iter().any(app),
        _ => false,
    }
}

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
    let now = f.now.max(0.0) as Time;
    let a = flags(w, &anomalies(s));
    let (mut full, mut empty, mut lead, mut out, mut commit) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut lost_cells, mut twice_cells) = (Vec::new(), Vec::new());
    for (ix, node) in w.nodes().iter().enumerate() {
        let Some(p) = pos.get(ix).copied().flatten() else {
            continue;
        };
        let ix = ix as NodeIx;
        let mut x0 = p.0 + g.node_r + 6.0;
        let mut y = p.1 - g.node_r;
        // A server at the circle's right, level with its centre, has its name and status
        // on its right, where the strips go: there they stack above the node instead.
        // (`geom::sin_cos`, not `f64::sin`/`cos`: those bring libm's 4 KB reduction into
        // the log page's wasm.)
        let (sin, cos) = super::geom::sin_cos((p.1 - g.cy).atan2(p.0 - g.cx));
        let right = cos > 0.4 && sin.abs() <= 0.4 && node.role == crate::sim::ids::Role::Server;
        if right {
            let strips = s.meta.iter().filter(|m| m.replicas.contains(&ix)).count();
            x0 = p.0 - g.node_r;
            y = p.1 - g.node_r - 8.0 - 10.0 * strips as f64;
        }
        let procs = w.procs(ix).and_then(Mq::node);
        match procs {
            Some(MqNode::Broker(b) | MqNode::Both(b, _)) => {
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
                    let mut named = Vec::new();
                    for (k, &id) in log.iter().enumerate().skip(skip) {
                        let cx = x0 + 14.0 + 5.0 * (k - skip) as f64;
                        let r = [cx as f32, y as f32, 4.0, 6.0];
                        match (k < hw, in_isr) {
                            (_, false) => out.push(r),
                            (true, _) if leader => lead.push(r),
                            (true, _) => full.push(r),
                            (false, _) => empty.push(r),
                        }
                        match flag(&a, id) {
                            Some("lost") => lost_cells.push(r),
                            Some(_) => twice_cells.push(r),
                            None => {}
                        }
                        if leader && named.len() < FLAGS_PER_STRIP {
                            if let Some(f) = flag(&a, id) {
                                if !named.iter().any(|(i, _)| *i == id) {
                                    named.push((id, f));
                                }
                            }
                        }
                    }
                    if !named.is_empty() {
                        let n = log.len().min(CELLS);
                        let text: Vec<String> =
                            named.iter().map(|(id, f)| format!("m{id} {f}")).collect();
                        label(
                            scene,
                            x0 + 18.0 + 5.0 * n as f64,
                            y + 3.0,
                            text.join(" · "),
                            Ink::Danger,
                            true,
                        );
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
        (Ink::Danger, lost_cells),
        (Ink::Warn, twice_cells),
    ] {
        if !rects.is_empty() {
            scene.rects.push(RectBatch {
                ink,
                alpha: 1.0,
                rects,
            });
        }
    }
    moves(w, now, pos, g, f.width >= MOVE_WORDS_MIN_WIDTH, scene);
    corner(w, &a, now, scene);
    for m in w
        .net()
        .in_flight()
        .filter(|m| matches!(m.payload, Payload::Mq(_)))
        .take(MAX_WORDS)
    {
        let Payload::Mq(t) = &m.payload else {
            continue;
        };
        let mut text = word(t);
        if text.is_empty() || carries_app_record(s, t) {
            continue;
        }
        let flagged = carried_flag(t, &a);
        if let Some((id, f)) = flagged {
            text.push_str(&format!(" · m{id} {f}"));
        }
        if let Some((x, y)) = message_xy(m, pos, states, g, f.now) {
            let ink = if flagged.is_some()
                || matches!(t, MqMsg::ProduceResp { err: Some(_), .. } | MqMsg::Fenced)
            {
                Ink::Danger
            } else {
                Ink::Fg
            };
            label(scene, x + 6.0, y - 7.0, text, ink, false);
        }
    }
}

/// One consumer's hand-overs in one state: (partition, move).
type Handovers = Vec<(u32, PartMove)>;

/// A rebalance as partitions leaving and joining consumers, each with its standstill.
fn moves(w: &World, now: Time, pos: &Pos, g: &ClusterGeometry, words: bool, scene: &mut Scene) {
    let s = w.mq();
    let at = |ix: Option<NodeIx>| ix.and_then(|i| pos.get(i as usize).copied().flatten());
    let coord = at(s.coordinator());
    let (mut standing, mut moved) = (Vec::new(), Vec::new());
    // One line of words per consumer and state: (consumer, resumed, moves).
    let mut groups: Vec<(NodeIx, bool, Handovers)> = Vec::new();
    for (p, m) in shown_moves(s, now) {
        let (Some(from), resumed) = (at(m.from), m.until.is_some()) else {
            continue;
        };
        if resumed {
            if let Some(to) = at(m.to).filter(|_| m.to != m.from) {
                moved.push([from.0 as f32, from.1 as f32, to.0 as f32, to.1 as f32]);
            }
        } else if let Some(c) = coord {
            standing.push([from.0 as f32, from.1 as f32, c.0 as f32, c.1 as f32]);
        }
        let Some(ix) = (if resumed { m.to } else { m.from }) else {
            continue;
        };
        match groups.iter_mut().find(|x| x.0 == ix && x.1 == resumed) {
            Some(x) => x.2.push((p, m)),
            None => groups.push((ix, resumed, vec![(p, m)])),
        }
    }
    let mut rows: Vec<(NodeIx, u32)> = Vec::new();
    let mut placed: Vec<(f64, f64, f64)> = Vec::new();
    for (ix, resumed, ms) in groups.iter().filter(|_| words) {
        let Some(xy) = at(Some(*ix)) else { continue };
        let row = match rows.iter_mut().find(|r| r.0 == *ix) {
            Some(r) => {
                r.1 += 1;
                r.1
            }
            None => {
                rows.push((*ix, 1));
                1
            }
        };
        let text = group_words(*ix, *resumed, ms, now, &|n| w.name(n));
        let x = xy.0 + g.node_r + 6.0;
        let x1 = x + 10.0 * WORD_EM * text.chars().count() as f64;
        // Above the consumer's own line (what it owns), clear of its name below, and above
        // any other consumer's words it would run into (clients sit close together).
        let mut y = xy.1 - g.node_r + 3.0 - 12.0 * f64::from(row);
        while placed
            .iter()
            .any(|&(a, b, py): &(f64, f64, f64)| a < x1 && x < b && (py - y).abs() < 11.0)
        {
            y -= 12.0;
        }
        placed.push((x, x1, y));
        label(
            scene,
            x,
            y,
            text,
            if *resumed { Ink::Accent } else { Ink::Warn },
            false,
        );
    }
    for (ink, dash, segs) in [
        (Ink::Warn, Some((5.0, 4.0)), standing),
        (Ink::Accent, None, moved),
    ] {
        if !segs.is_empty() {
            scene.lines.push(LineBatch {
                ink,
                width: 2.0,
                alpha: 0.85,
                dash,
                segs,
            });
        }
    }
}

/// Top-left corner: dead letters, stalls in progress, anomalies so far.
fn corner(w: &World, f: &Flags, now: Time, scene: &mut Scene) {
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
        (f.lost.len() as u64, "lost"),
        (a.duplicated.len() as u64, "duplicated"),
        (a.nonmonotonic, "nonmonotonic"),
        (a.skipped, "skipped"),
    ] {
        if n > 0 {
            let ids = match what {
                "lost" => ids(&f.lost),
                "duplicated" => ids(&a.duplicated),
                _ => String::new(),
            };
            lines.push((format!("{what}: {n}{ids}"), Ink::Danger));
        }
    }
    for (k, (text, ink)) in lines.into_iter().enumerate() {
        label(scene, 8.0, CORNER_TOP + 13.0 * k as f64, text, ink, true);
    }
}

fn ids(v: &[u32]) -> String {
    let shown: Vec<String> = v.iter().take(6).map(|i| format!("m{i}")).collect();
    format!(" ({})", shown.join(" "))
}

/// The log's sentence in the canvas's text alternative.
pub fn describe(w: &World, now: Time) -> String {
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
            .and_then(Mq::node)
            .and_then(MqNode::broker)
            .map_or(0, |b| b.hw[p]);
        let c = s.group.offsets.get(p).copied().unwrap_or(0);
        out.push_str(&format!(
            " p{p} {leader}, ISR {}, high watermark {hw}, committed {c};",
            isr.join("+")
        ));
    }
    for (p, m) in shown_moves(s, now) {
        out.push_str(&format!(" {};", move_words(p, &m, now, &name)));
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
    let fl = flags(w, &a);
    for (what, v) in [("lost", &fl.lost), ("processed twice", &fl.twice)] {
        if !v.is_empty() {
            let ids: Vec<String> = v.iter().take(12).map(|i| format!("m{i}")).collect();
            out.push_str(&format!(" Flagged {what}: {}.", ids.join(" ")));
        }
    }
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
        // Flagged on the message itself: its cell in red, its word beside the strip.
        assert!(scene
            .rects
            .iter()
            .any(|r| r.ink == Ink::Danger && !r.rects.is_empty()));
        assert!(
            scene
                .labels
                .iter()
                .any(|l| l.ink == Ink::Danger && l.text.ends_with(" lost")),
            "{:?}",
            scene.labels
        );
        let d = describe(&w, s.until_ms);
        assert!(d.contains("p0 leader") && d.contains("lost 1"), "{d}");
    }

    fn frame_scene(w: &World, now: Time) -> Scene {
        build(&ClusterFrame {
            world: w,
            now: now as f64,
            recent: &[],
            trail_ms: 0.0,
            selected_msg: None,
            selected_node: None,
            event_node: None,
            layout: Layout::Even,
            width: 700.0,
            height: 480.0,
        })
    }

    /// After c3 joins: eager stops all four partitions (drawn leaving, then joining, each
    /// with its standstill), cooperative only the one that moves.
    #[test]
    fn a_rebalance_is_drawn_as_partitions_leaving_and_joining_consumers() {
        let path = format!(
            "{}/static/scenarios/mq-rebalance-eager-vs-cooperative.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let base = Scenario::decode(&std::fs::read(path).expect("file")).expect("decodes");
        let mut seen = Vec::new();
        for coop in [false, true] {
            let mut s = base.clone();
            if let Some(c) = s.protocols.mq.as_mut() {
                c.rebalance = if coop {
                    crate::sim::proto::log::Rebalance::Cooperative
                } else {
                    crate::sim::proto::log::Rebalance::Eager
                };
            }
            let mut w = s.build(None).expect("builds");
            let mut out = Vec::new();
            let (mut standing, mut most) = (0, 0);
            let mut t = 1200;
            while t < 2600 {
                t += 10;
                w.advance_to(t, &mut out);
                // The join at 1200 ms (not the group forming at the start).
                let m: Vec<_> = shown_moves(w.mq(), t)
                    .into_iter()
                    .filter(|x| x.1.since >= 1200)
                    .collect();
                most = most.max(m.len());
                let still = m.iter().filter(|x| x.1.until.is_none()).count();
                if still > 0 && standing == 0 {
                    standing = still;
                    let scene = frame_scene(&w, t);
                    assert!(
                        scene
                            .lines
                            .iter()
                            .any(|l| l.ink == Ink::Warn && l.dash.is_some()),
                        "no dashed line while standing still"
                    );
                    assert!(scene
                        .labels
                        .iter()
                        .any(|l| l.text.contains(" left ") && l.text.contains(" ms")));
                }
            }
            // Once resumed every moved partition says how long it stood still.
            let mut w = s.build(None).expect("builds");
            let t = 1200
                + (0..140u64)
                    .map(|k| k * 10)
                    .find(|&k| {
                        w.advance_to(1200 + k, &mut out);
                        let m = shown_moves(w.mq(), 1200 + k);
                        m.iter().any(|x| x.1.since >= 1200) && m.iter().all(|x| x.1.until.is_some())
                    })
                    .expect("the rebalance ends");
            let scene = frame_scene(&w, t);
            let words: Vec<&str> = scene
                .labels
                .iter()
                .filter(|l| l.text.contains("stood still"))
                .map(|l| l.text.as_str())
                .collect();
            assert!(!words.is_empty(), "{:?}", scene.labels);
            assert!(describe(&w, t).contains("stood still"));
            seen.push((standing, most));
        }
        let (eager, coop) = (seen[0], seen[1]);
        assert_eq!(eager.1, 4, "eager moves every partition: {seen:?}");
        assert_eq!(coop.1, 1, "cooperative moves one: {seen:?}");
    }

    /// Mid-run a message on its way is not flagged lost; at the end the lost ones are.
    #[test]
    fn only_messages_out_of_reach_are_flagged_lost() {
        let load = |f: &str| {
            let path = format!("{}/static/scenarios/{f}", env!("CARGO_MANIFEST_DIR"));
            Scenario::decode(&std::fs::read(path).expect("file")).expect("decodes")
        };
        let s = load("mq-rebalance-eager-vs-cooperative.json");
        let mut w = s.build(None).expect("builds");
        let mut out = Vec::new();
        let mut t = 0;
        while t < s.until_ms {
            t += 50;
            w.advance_to(t, &mut out);
            let f = flags(&w, &anomalies(w.mq()));
            assert!(f.lost.is_empty(), "t={t}: {:?} flagged lost", f.lost);
        }
        for (file, want) in [
            ("mq-commit-before-crash.json", 1),
            ("mq-unclean-election.json", 22),
        ] {
            let s = load(file);
            let mut w = s.build(None).expect("builds");
            w.advance_to(s.until_ms, &mut out);
            let a = anomalies(w.mq());
            let f = flags(&w, &a);
            assert_eq!(a.lost.len(), want, "{file}");
            assert_eq!(f.lost.len(), want, "{file}: {:?} of {:?}", f.lost, a.lost);
        }
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
