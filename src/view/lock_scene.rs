//! The lock layer of the cluster canvas: who holds what with which token, leases shrinking
//! as arcs, the wait queue as a dashed line, every clock as a small dial (so skew is seen,
//! not read), storage's cells and highest token, a rejected or stale write flashing, and
//! fencing tokens travelling inside grant messages. Pure, like the rest of the scene.

use std::f64::consts::{FRAC_PI_2, TAU};

use super::cluster_frame::{
    label_lines, message_xy, ClusterFrame, ClusterGeometry, Layer, NodeState, Pos,
};
use super::scene::{Align, ArcBatch, Circle, Ink, Label, LineBatch, Scene};
use crate::model::lock_view::{lock_rows, LockRow};
use crate::sim::event::What;
use crate::sim::proto::locks::check::find_cycle;
use crate::sim::proto::locks::{HandoffHow, LockEv, LockNode, Msg};
use crate::sim::proto::Payload;
use crate::sim::time::Time;
use crate::sim::world::{NodeIx, Role, Status};

/// How long (virtual ms) a storage verdict keeps flashing.
pub const FLASH_MS: f64 = 600.0;

fn small(x: f64, y: f64, text: String, ink: Ink, bold: bool, align: Align) -> Label {
    Label {
        x,
        y,
        text,
        ink,
        size: 11.0,
        bold,
        align,
    }
}

/// The layer as the cluster scene's list registers it.
pub const LAYER: Layer = Layer {
    name: "locks",
    // With locks, servers carry a third label line (their lock role, storage's cells).
    margin: |w| {
        w.lock_cfg()
            .map(|c| 90.0 + 7.0 * c.stock.len().min(4) as f64)
    },
    draw: overlay,
    describe: crate::model::lock_view::describe_locks,
};

/// Adds the lock layer to a cluster scene (nothing when the scenario has no locks).
pub fn overlay(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    let w = f.world;
    let Some(cfg) = w.lock_cfg() else {
        return;
    };
    let now = f.now.max(0.0).floor() as Time;
    let ttl = cfg.params().ttl.max(1) as f64;
    let rows = lock_rows(w, now);
    dials(f, states, pos, g, scene);
    roles(f, states, pos, g, &rows, scene);
    let mut queue = Vec::new();
    let mut tags: Vec<(NodeIx, Label)> = Vec::new();
    for row in &rows {
        holders(row, pos, g, ttl, &mut tags, scene);
        // The queue: each waiter points at the one ahead, the first at the holder.
        let mut ahead = row
            .holders
            .first()
            .map(|h| h.client)
            .or(row.servers.first().copied());
        for (k, &c) in row.waiters.iter().enumerate() {
            if let (Some(p), Some(q)) = (at(pos, c), ahead.and_then(|a| at(pos, a))) {
                queue.push([p.0 as f32, p.1 as f32, q.0 as f32, q.1 as f32]);
            }
            let label = match k {
                0 => format!("wants {}", row.res),
                _ => format!("wants {} ({} in line)", row.res, k + 1),
            };
            tags.push((c, small(0.0, 0.0, label, Ink::Muted, false, Align::Center)));
            ahead = Some(c);
        }
        // The owner's view of the lease: a thin arc on the server.
        if let (Some(&o), Some((_, _, Some(left)))) = (row.servers.first(), row.server_holder) {
            if let Some((x, y)) = at(pos, o) {
                lease_arc(
                    scene,
                    x,
                    y,
                    g.node_r + 5.0,
                    2.0,
                    left as f64 / ttl,
                    Ink::Muted,
                );
            }
        }
    }
    if !queue.is_empty() {
        scene.lines.push(LineBatch {
            ink: Ink::Muted,
            width: 1.5,
            alpha: 0.9,
            dash: Some((5.0, 4.0)),
            segs: queue,
        });
    }
    // Tags stack above each client, one line per lock it holds or waits for.
    let mut seen: Vec<(NodeIx, f64)> = Vec::new();
    for (c, mut l) in tags {
        let Some((x, y)) = at(pos, c) else { continue };
        let k = seen.iter().filter(|(n, _)| *n == c).count() as f64;
        seen.push((c, 0.0));
        l.x = x;
        l.y = y - g.node_r - 16.0 - 13.0 * k;
        scene.labels.push(l);
    }
    storage(f, pos, g, scene);
    tokens_in_flight(f, states, pos, g, scene);
    deadlock(f, pos, g, scene);
}

/// A cycle in the wait-for graph: red arrows between the clients and the cycle in words.
fn deadlock(f: &ClusterFrame<'_>, pos: &Pos, g: &ClusterGeometry, scene: &mut Scene) {
    let w = f.world;
    let Some(cycle) = find_cycle(&w.lock_wait_for()) else {
        return;
    };
    let mut segs = Vec::new();
    let mut text = "deadlock: ".to_string();
    for (k, ((c, _), res)) in cycle.iter().enumerate() {
        let next = cycle[(k + 1) % cycle.len()].0 .0;
        if let (Some(p), Some(q)) = (at(pos, *c), at(pos, next)) {
            segs.push([p.0 as f32, p.1 as f32, q.0 as f32, q.1 as f32]);
        }
        text.push_str(&format!("{} waits for {res} held by ", w.name(*c)));
    }
    if let Some(((first, _), _)) = cycle.first() {
        text.push_str(&w.name(*first));
    }
    scene.lines.push(LineBatch {
        ink: Ink::Danger,
        width: 2.5,
        alpha: 1.0,
        dash: None,
        segs,
    });
    scene.labels.push(Label {
        x: g.cx,
        y: g.cy + g.r_clients + g.node_r + 30.0,
        text,
        ink: Ink::Danger,
        size: 12.0,
        bold: true,
        align: Align::Center,
    });
}

fn at(pos: &Pos, ix: NodeIx) -> Option<(f64, f64)> {
    pos.get(ix as usize).copied().flatten()
}

/// A lease as an arc that starts full at twelve o'clock and shrinks clockwise to nothing.
fn lease_arc(scene: &mut Scene, cx: f64, cy: f64, r: f64, width: f64, frac: f64, ink: Ink) {
    let frac = frac.clamp(0.0, 1.0);
    if frac <= 0.0 {
        return;
    }
    scene.arcs.push(ArcBatch {
        ink,
        width,
        cx,
        cy,
        r,
        spans: vec![(-FRAC_PI_2, -FRAC_PI_2 + TAU * frac)],
    });
}

fn holders(
    row: &LockRow,
    pos: &Pos,
    g: &ClusterGeometry,
    ttl: f64,
    tags: &mut Vec<(NodeIx, Label)>,
    scene: &mut Scene,
) {
    let clash = row.holders.len() > 1;
    for h in &row.holders {
        let Some((x, y)) = at(pos, h.client) else {
            continue;
        };
        let ink = if clash { Ink::Danger } else { Ink::Accent };
        scene.markers.push(Circle {
            cx: x,
            cy: y,
            r: g.node_r + 3.0,
            stroke: Some((ink, 2.5)),
            fill: None,
        });
        let overdue = h.left_ms.is_some_and(|l| l < 0);
        match h.left_ms {
            Some(left) => {
                let arc_ink = if h.frozen { Ink::Warn } else { ink };
                lease_arc(scene, x, y, g.node_r + 8.0, 3.0, left as f64 / ttl, arc_ink);
            }
            None => lease_arc(scene, x, y, g.node_r + 8.0, 1.5, 1.0, ink),
        }
        let mut text = format!("{} #{}", row.res, h.token);
        if overdue {
            text.push_str(" (lease over)");
        }
        tags.push((h.client, small(0.0, 0.0, text, ink, true, Align::Center)));
    }
}

/// A small dial per node: the hand shows its clock's milliseconds within the second, so
/// nodes whose clocks agree point the same way; a skewed clock also prints its offset.
fn dials(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    let w = f.world;
    let now = f.now.max(0.0);
    let mut hands = Vec::new();
    let mut skewed = Vec::new();
    for s in states {
        let (Some((x, y)), Some(n)) = (at(pos, s.ix), w.node(s.ix)) else {
            continue;
        };
        if n.status != Status::Up {
            continue;
        }
        let d = g.node_r * 0.75 + 9.0;
        let (cx, cy) = (x + d, y - d);
        scene.circles.push(Circle {
            cx,
            cy,
            r: 6.5,
            stroke: Some((Ink::Muted, 1.0)),
            fill: Some(Ink::Bg),
        });
        let offset = n.clock.offset_at(now as Time);
        let local = now + offset as f64;
        let a = -FRAC_PI_2 + TAU * local.rem_euclid(1000.0) / 1000.0;
        let (sn, c) = crate::view::geom::sin_cos(a);
        let seg = [
            cx as f32,
            cy as f32,
            (cx + 5.5 * c) as f32,
            (cy + 5.5 * sn) as f32,
        ];
        if offset != 0 {
            skewed.push(seg);
            let sign = if offset > 0 { "+" } else { "−" };
            let text = format!("{sign}{} ms", offset.unsigned_abs());
            scene
                .labels
                .push(small(cx + 9.0, cy, text, Ink::Warn, true, Align::Left));
        } else {
            hands.push(seg);
        }
    }
    for (ink, segs) in [(Ink::Fg, hands), (Ink::Warn, skewed)] {
        if !segs.is_empty() {
            scene.lines.push(LineBatch {
                ink,
                width: 1.5,
                alpha: 1.0,
                dash: None,
                segs,
            });
        }
    }
}

/// "lock server" / "storage" under each server's status, and the storage cells.
fn roles(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    rows: &[LockRow],
    scene: &mut Scene,
) {
    let w = f.world;
    for s in states.iter().filter(|s| s.role == Role::Server) {
        let Some(p) = at(pos, s.ix) else { continue };
        let (lx, title_y, status_y, align) = label_lines(p, g.node_r, false, g);
        // Further out: above the title for labels above the disc, else below the status.
        let above = status_y < p.1 - g.node_r;
        let (from, step) = if above {
            (title_y, title_y - status_y)
        } else {
            (status_y, status_y - title_y)
        };
        let mut lines: Vec<(String, Ink)> = Vec::new();
        match w.lock_node(s.ix) {
            Some(LockNode::Kv(_) | LockNode::Seq(_)) => {
                let owns: Vec<String> = rows
                    .iter()
                    .filter(|r| r.servers.first() == Some(&s.ix))
                    .map(|r| r.res.to_string())
                    .collect();
                let text = if owns.is_empty() {
                    "lock server".to_string()
                } else {
                    format!("lock server · owns {}", owns.join(", "))
                };
                lines.push((text, Ink::Muted));
            }
            Some(LockNode::Storage(st)) => {
                let fence = if st.fencing() {
                    "fencing on"
                } else {
                    "fencing off"
                };
                lines.push((format!("storage · {fence}"), Ink::Muted));
                for r in rows {
                    if let Some((value, seen)) = r.cell {
                        lines.push((format!("{} = {value} · token ≥ {seen}", r.res), Ink::Fg));
                    }
                }
            }
            _ => {}
        }
        for (k, (text, ink)) in lines.into_iter().enumerate() {
            let y = from + step * (k + 1) as f64;
            scene.labels.push(Label {
                x: lx,
                y,
                text,
                ink,
                size: 11.0,
                bold: false,
                align,
            });
        }
    }
}

/// Storage's recent verdicts flash: a rejected stale token (fencing at work) in amber, a
/// stale write accepted (the bug fencing prevents) in red.
fn storage(f: &ClusterFrame<'_>, pos: &Pos, g: &ClusterGeometry, scene: &mut Scene) {
    let start = f
        .recent
        .partition_point(|e| (e.t as f64) < f.now - 2.0 * FLASH_MS);
    for e in &f.recent[start..] {
        if e.t as f64 > f.now {
            break;
        }
        let (What::Proto(crate::sim::proto::ProtoEv::Locks(ev)), Some(node)) = (&e.what, e.node)
        else {
            continue;
        };
        if let LockEv::LockHandoff {
            res,
            how,
            holder,
            token,
        } = ev
        {
            handoff(f, pos, g, scene, (node, e.t), *res, *how, (*holder, *token));
            continue;
        }
        let (token, seen, ok, write) = match ev {
            LockEv::StorageWrite {
                token, seen, ok, ..
            } => (*token, *seen, *ok, true),
            LockEv::StorageRead {
                token, seen, ok, ..
            } => (*token, *seen, *ok, false),
            _ => continue,
        };
        let stale = token < seen;
        if (ok && !stale) || f.now - e.t as f64 > FLASH_MS {
            continue;
        }
        let Some((x, y)) = at(pos, node) else {
            continue;
        };
        let age = ((f.now - e.t as f64) / FLASH_MS).clamp(0.0, 1.0);
        let ink = if ok { Ink::Danger } else { Ink::Warn };
        scene.markers.push(Circle {
            cx: x,
            cy: y,
            r: g.node_r + 6.0 + 14.0 * age,
            stroke: Some((ink, 4.0 * (1.0 - age) + 1.0)),
            fill: None,
        });
        let what = if write { "write" } else { "read" };
        let text = if ok {
            format!("stale {what} #{token} accepted (seen #{seen})")
        } else {
            format!("{what} #{token} rejected: seen #{seen}")
        };
        scene.labels.push(Label {
            x,
            y: y - g.node_r - 30.0,
            text,
            ink,
            size: 12.0,
            bold: true,
            align: Align::Center,
        });
    }
}

/// A new ring owner took a lock over: what it learnt, above it for a moment; red when it
/// learnt nothing while someone held the lock (the unsafe handoff).
#[allow(clippy::too_many_arguments)]
fn handoff(
    f: &ClusterFrame<'_>,
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
    (node, t): (NodeIx, Time),
    res: crate::sim::proto::locks::ResKey,
    how: HandoffHow,
    (holder, token): (Option<NodeIx>, u64),
) {
    let Some((x, y)) = at(pos, node) else {
        return;
    };
    let knows = match holder {
        Some(h) => format!("{} #{token}", f.world.name(h)),
        None => "free".to_string(),
    };
    let (what, ink) = match how {
        HandoffHow::None => ("learnt nothing (no replication)".to_string(), Ink::Danger),
        HandoffHow::Empty => ("copies were empty".to_string(), Ink::Danger),
        HandoffHow::Wait => ("nobody answered: waits a lease".to_string(), Ink::Warn),
        HandoffHow::Replica => (format!("from its replica: {knows}"), Ink::Accent),
        HandoffHow::Transfer => (format!("learnt {knows}"), Ink::Accent),
    };
    let age = ((f.now - t as f64) / (2.0 * FLASH_MS)).clamp(0.0, 1.0);
    if age >= 1.0 {
        return;
    }
    scene.markers.push(Circle {
        cx: x,
        cy: y,
        r: g.node_r + 6.0,
        stroke: Some((ink, 3.0 * (1.0 - age) + 1.0)),
        fill: None,
    });
    scene.labels.push(Label {
        x,
        y: y - g.node_r - 30.0,
        text: format!("took over {res}: {what}"),
        ink,
        size: 12.0,
        bold: true,
        align: Align::Center,
    });
}

/// A grant in flight carries its token: "#4" rides on the message dot.
fn tokens_in_flight(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    for m in f.world.net().in_flight().take(200) {
        let Payload::Locks(Msg::Granted { token, .. }) = m.payload else {
            continue;
        };
        let Some((x, y)) = message_xy(m, pos, states, g, f.now) else {
            continue;
        };
        scene.markers.push(Circle {
            cx: x,
            cy: y,
            r: 6.0,
            stroke: Some((Ink::Accent, 2.0)),
            fill: None,
        });
        scene.labels.push(Label {
            x: x + 8.0,
            y: y - 8.0,
            text: format!("#{token}"),
            ink: Ink::Accent,
            size: 12.0,
            bold: true,
            align: Align::Left,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::event::Event;
    use crate::sim::scenario::Scenario;
    use crate::sim::world::World;
    use crate::view::cluster_scene::{build, Layout};

    fn played(file: &str, t: Time) -> (World, Vec<Event>) {
        let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
        let s = Scenario::decode(&std::fs::read(path).unwrap()).unwrap();
        let mut w = s.build(None).unwrap();
        let mut out = Vec::new();
        while w.next_time().is_some_and(|n| n <= t) {
            w.step(&mut out);
        }
        (w, out)
    }

    fn scene_at(w: &World, recent: &[Event], t: Time) -> Scene {
        build(&ClusterFrame {
            world: w,
            now: t as f64,
            recent,
            trail_ms: 300.0,
            selected_msg: None,
            selected_node: None,
            event_node: None,
            layout: Layout::Even,
            width: 800.0,
            height: 600.0,
        })
    }

    fn texts(s: &Scene) -> Vec<&str> {
        s.labels.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn the_holder_wears_its_token_and_a_lease_arc_and_the_waiter_queues() {
        let (w, ev) = played("lock-gc-unfenced.json", 180);
        let s = scene_at(&w, &ev, 180);
        let t = texts(&s);
        assert!(t.iter().any(|l| l.starts_with("sku:42 #")), "{t:?}");
        assert!(t.contains(&"wants sku:42"), "{t:?}");
        assert!(
            t.iter().any(|l| l.starts_with("storage · fencing off")),
            "{t:?}"
        );
        assert!(t.contains(&"sku:42 = 10 · token ≥ 1"), "{t:?}");
        assert!(
            t.iter().any(|l| l.starts_with("lock server · owns sku:42")),
            "{t:?}"
        );
        assert!(
            s.lines.iter().any(|b| b.dash == Some((5.0, 4.0))),
            "queue line"
        );
        assert!(s.arcs.iter().any(|a| a.width == 3.0), "client lease arc");
        assert!(s.arcs.iter().any(|a| a.width == 2.0), "server lease arc");
    }

    #[test]
    fn two_believers_are_drawn_in_danger_and_the_stale_write_flashes() {
        let (w, ev) = played("lock-gc-unfenced.json", 1_300);
        let s = scene_at(&w, &ev, 1_300);
        let rings = s
            .markers
            .iter()
            .filter(|c| c.stroke.is_some_and(|(i, _)| i == Ink::Danger))
            .count();
        assert_eq!(rings, 2, "both believers ringed in red");
        assert!(texts(&s).iter().any(|l| l.ends_with("(lease over)")));

        // c1 wakes at 1,700 and writes with its old token: accepted without fencing...
        let (w, ev) = played("lock-gc-unfenced.json", 1_800);
        let write = ev
            .iter()
            .find(|e| matches!(e.what, What::Proto(crate::sim::proto::ProtoEv::Locks(LockEv::StorageWrite { ok: true, token, seen, .. })) if token < seen))
            .expect("the stale write");
        let s = scene_at(&w, &ev, write.t);
        assert!(texts(&s)
            .iter()
            .any(|l| l.starts_with("stale write #") && l.contains("accepted")));

        // ...and rejected with fencing.
        let (w, ev) = played("lock-gc-fenced.json", 2_000);
        let rejected = ev
            .iter()
            .find(|e| {
                matches!(
                    e.what,
                    What::Proto(crate::sim::proto::ProtoEv::Locks(LockEv::StorageWrite {
                        ok: false,
                        ..
                    }))
                )
            })
            .expect("the rejected write");
        let s = scene_at(&w, &ev, rejected.t + 100);
        let t = texts(&s);
        assert!(
            t.iter()
                .any(|l| l.starts_with("write #") && l.contains("rejected")),
            "{t:?}"
        );
        assert!(
            t.iter().any(|l| l.starts_with("storage · fencing on")),
            "{t:?}"
        );
        let (w2, ev2) = played("lock-gc-fenced.json", 2_000);
        let later = scene_at(&w2, &ev2, rejected.t + FLASH_MS as u64 + 1);
        assert!(
            !texts(&later).iter().any(|l| l.contains("rejected")),
            "the flash fades"
        );
    }

    #[test]
    fn a_deadlock_is_drawn_and_told_and_a_handoff_says_what_the_new_owner_learnt() {
        let (w, ev) = played("lock-deadlock.json", 400);
        let s = scene_at(&w, &ev, 400);
        let t = texts(&s);
        let line = t
            .iter()
            .find(|l| l.starts_with("deadlock: "))
            .expect("deadlock told");
        assert!(
            line.contains("waits for sku:42") && line.contains("waits for account:7"),
            "{line}"
        );
        assert!(s
            .lines
            .iter()
            .any(|b| b.ink == Ink::Danger && b.width == 2.5));

        let (w, ev) = played("ring-handoff.json", 3_000);
        let h = ev
            .iter()
            .find(|e| {
                matches!(
                    e.what,
                    What::Proto(crate::sim::proto::ProtoEv::Locks(
                        LockEv::LockHandoff { .. }
                    ))
                )
            })
            .expect("a handoff");
        let s = scene_at(&w, &ev, h.t + 50);
        assert!(
            texts(&s).iter().any(|l| l.starts_with("took over ")),
            "{:?}",
            texts(&s)
        );
    }

    #[test]
    fn a_skewed_clock_prints_its_offset_and_no_locks_means_no_layer() {
        let (mut w, _) = played("redlock-clock-jump.json", 0);
        let a = w.node_ix("A").unwrap();
        let skew = crate::sim::cmd::Cmd::SetSkew {
            node: "A".into(),
            offset_ms: 250,
        };
        w.apply(&skew, &mut Vec::new()).unwrap();
        let s = scene_at(&w, &[], w.now());
        assert!(texts(&s).contains(&"+250 ms"), "{:?}", texts(&s));
        assert!(w.node(a).is_some());
        let (w, ev) = played("gc-pause.json", 500);
        let s = scene_at(&w, &ev, 500);
        assert!(!texts(&s).iter().any(|l| l.contains("lock server")));
        assert!(
            !s.circles.iter().any(|c| c.r == 6.5),
            "no clock dials without locks"
        );
    }
}
