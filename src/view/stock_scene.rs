//! The flash-sale layer of the cluster canvas: on each shard holding the SKU its rows (units
//! left, version, the row lock's holder and queue), a stock gauge arc that empties as units
//! sell (red when more was promised than there was), the buyers by phase (under the client
//! when one client buys, in the top-left corner summed over all when several do: their
//! lines would run into each other inside the circle), and the sale's words on messages in
//! flight (read, CAS, decr, conflict…). Pure, like the scene.

use crate::sim::proto::Protocol;
use std::f64::consts::{FRAC_PI_2, TAU};

use super::cluster_frame::{
    label_lines, message_words, ClusterFrame, ClusterGeometry, NodeState, WordStyle,
};
use super::cluster_frame::{Layer, Pos};
use super::scene::{ArcBatch, Ink, Label, Scene};
use crate::sim::proto::stock::{Msg, Phase, Stock, StockCfg, StockNode};
use crate::sim::proto::Payload;
use crate::sim::time::Time;
use crate::sim::world::World;

/// Where the summed buyers line goes: under the clock and the count of messages in flight.
const CORNER_TOP: f64 = 54.0;

/// Below this canvas width (CSS px) the buyers line is split in two.
const NARROW: f64 = 480.0;

/// Most sale messages in flight that get a word.
const MAX_WORDS: usize = 24;

/// The layer as the cluster scene's list registers it.
pub const LAYER: Layer = Layer {
    name: "stock",
    margin: |w| w.cfg::<Stock>().map(|_| 84.0),
    draw: overlay,
    describe,
};

/// The word a sale message carries on the canvas.
pub fn word(m: &Msg) -> &'static str {
    match m {
        Msg::Read { .. } => "read",
        Msg::LockRead { .. } => "FOR UPDATE",
        Msg::ReadOk { .. } => "row",
        Msg::Queued { .. } => "queued",
        Msg::Write { .. } => "write",
        Msg::Unlock { .. } => "unlock",
        Msg::Cas { .. } => "CAS",
        Msg::Decr { .. } => "decr",
        Msg::Done { .. } => "ok",
        Msg::Conflict { .. } => "conflict",
        Msg::SoldOut { .. } => "sold out",
        Msg::Aborted { .. } => "rolled back",
    }
}

/// One shard's lines: per bucket, "sku:1 · 7 left · v3" and the lock's holder and queue.
pub fn shard_lines(cfg: &StockCfg, n: &StockNode) -> Vec<String> {
    let StockNode::Shard(s) = n else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (b, row) in s.rows.iter().enumerate() {
        let Some(r) = row else { continue };
        out.push(format!(
            "{} · {} left · v{}",
            cfg.bucket_key(b as u32),
            r.stock,
            r.version
        ));
        if let Some((h, _)) = r.holder {
            out.push(format!("row lock #{h} · queue {}", r.queue.len()));
        }
    }
    out
}

/// A client's buyers by phase: (waiting, working or sleeping, done).
pub fn buyer_counts(n: &StockNode) -> (usize, usize, usize) {
    let StockNode::Buyers(b) = n else {
        return (0, 0, 0);
    };
    let mut c = (0, 0, 0);
    for x in &b.list {
        match x.phase {
            Phase::Idle => {}
            Phase::Reading | Phase::Writing => c.0 += 1,
            Phase::Working | Phase::Sleeping => c.1 += 1,
            Phase::Done => c.2 += 1,
        }
    }
    c
}

/// Adds the layer (nothing when the scenario has no sale).
pub fn overlay(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    let w = f.world;
    let Some(cfg) = w.cfg::<Stock>() else {
        return;
    };
    let stats = &w.shared::<Stock>().stats;
    let buying = |n: &StockNode| {
        let (wait, idle, done) = buyer_counts(n);
        wait + idle + done > 0
    };
    let clients = (0..w.nodes().len() as u32)
        .filter(|&ix| w.procs(ix).and_then(Stock::node).is_some_and(buying))
        .count();
    let mut sum = (0, 0, 0);
    for (ix, _) in w.nodes().iter().enumerate() {
        let Some(node) = w.procs(ix as u32).and_then(Stock::node) else {
            continue;
        };
        let Some(p) = pos.get(ix).copied().flatten() else {
            continue;
        };
        let (lines, client) = match node {
            StockNode::Shard(_) => (shard_lines(cfg, node), false),
            StockNode::Buyers(_) => {
                let (wait, idle, done) = buyer_counts(node);
                if wait + idle + done == 0 {
                    continue;
                }
                if clients > 1 {
                    sum = (sum.0 + wait, sum.1 + idle, sum.2 + done);
                    continue;
                }
                (
                    vec![format!("buyers {wait} waiting · {idle} idle · {done} done")],
                    true,
                )
            }
        };
        stack(p, g, client, &lines, scene);
        if let StockNode::Shard(s) = node {
            let left: i64 = s.rows.iter().flatten().map(|r| r.stock).sum();
            let of: i64 = (0..cfg.buckets)
                .filter(|b| s.rows.get(*b as usize).is_some_and(Option::is_some))
                .map(|b| cfg.bucket_stock(b))
                .sum();
            let frac = if of > 0 { left as f64 / of as f64 } else { 0.0 };
            let ink = if stats.sold > cfg.stock {
                Ink::Danger
            } else {
                Ink::Ok
            };
            for (ink, to) in [(Ink::Track, TAU), (ink, TAU * frac.clamp(0.0, 1.0))] {
                scene.arcs.push(ArcBatch {
                    ink,
                    width: 4.0,
                    cx: p.0,
                    cy: p.1,
                    r: g.node_r + 7.0,
                    spans: vec![(-FRAC_PI_2, -FRAC_PI_2 + to)],
                });
            }
        }
    }
    if clients > 1 {
        let (wait, idle, done) = sum;
        // On a phone one line runs into the top node's name: two short ones do not.
        let lines = if f.width < NARROW {
            vec![
                format!("buyers {wait} waiting"),
                format!("{idle} idle · {done} done"),
            ]
        } else {
            vec![format!("buyers {wait} waiting · {idle} idle · {done} done")]
        };
        for (k, text) in lines.into_iter().enumerate() {
            scene.labels.push(Label {
                x: 8.0,
                y: CORNER_TOP + 13.0 * k as f64,
                text,
                ink: Ink::Fg,
                size: 11.0,
                bold: true,
                align: super::scene::Align::Left,
            });
        }
    }
    words(f, states, pos, g, scene);
}

fn stack(p: (f64, f64), g: &ClusterGeometry, client: bool, lines: &[String], scene: &mut Scene) {
    let (x, _, status_y, align) = label_lines(p, g.node_r, client, g);
    for (k, text) in lines.iter().enumerate() {
        scene.labels.push(Label {
            x,
            y: status_y + 13.0 * (k + 1) as f64,
            text: text.clone(),
            ink: if text.starts_with("row lock") {
                Ink::Warn
            } else {
                Ink::Fg
            },
            size: 11.0,
            bold: k == 0 && !client,
            align,
        });
    }
}

fn words(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    let msgs = f.world.net().in_flight().filter_map(|m| match &m.payload {
        Payload::Stock(s) => Some((m, s)),
        _ => None,
    });
    let style = WordStyle {
        size: 11.0,
        bold: true,
    };
    message_words(msgs, MAX_WORDS, f, states, pos, g, scene, style, |_, s| {
        let ink = match s {
            Msg::Conflict { .. } | Msg::SoldOut { .. } | Msg::Aborted { .. } => Ink::Danger,
            Msg::Done { .. } => Ink::Ok,
            _ => Ink::Fg,
        };
        Some((word(s).into(), ink))
    });
}

/// The layer's sentence in the canvas's text alternative.
pub fn describe(w: &World, _: Time) -> String {
    let Some(cfg) = w.cfg::<Stock>() else {
        return String::new();
    };
    let st = &w.shared::<Stock>();
    let homes: Vec<String> = st.home.iter().map(|&ix| w.name(ix)).collect();
    if cfg.strategy == crate::sim::proto::stock::Strategy::LockManager {
        return format!(
            "; flash sale of {} ({} units, {} buyers) through the lock manager",
            cfg.sku, cfg.stock, cfg.buyers
        );
    }
    format!(
        "; flash sale of {} on {} ({}): {} of {} units left, {} sold, {} oversold, {} refused",
        cfg.sku,
        homes.join(", "),
        cfg.strategy.name(),
        st.stats.stock_left(),
        cfg.stock,
        st.stats.sold,
        (st.stats.sold - cfg.stock).max(0),
        st.stats.refused
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::testkit::played;
    use crate::view::cluster_scene::{build, describe as describe_canvas, Layout};

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
    fn on_a_phone_the_buyers_line_is_two_lines_clear_of_the_top_node() {
        let w = played("inventory-pessimistic.json", 150);
        let s = scene_sized(&w, 150.0, 368.0, 368.0);
        let i = s
            .labels
            .iter()
            .position(|l| l.text.starts_with("buyers "))
            .expect("a buyers line");
        let (first, second) = (&s.labels[i], &s.labels[i + 1]);
        assert!(first.text.ends_with(" waiting"), "{:?}", first.text);
        assert!(second.text.ends_with(" done"), "{:?}", second.text);
        assert_eq!((first.y, second.y), (CORNER_TOP, CORNER_TOP + 13.0));
        // Their estimated right edges (bold, generously) stay left of the labels around the
        // top node, which are centred on the canvas's middle.
        let right = [first, second]
            .iter()
            .map(|l| l.x + l.text.chars().count() as f64 * l.size * 0.64)
            .fold(0.0, f64::max);
        assert!(right < 368.0 / 2.0 - 8.0, "{right}");
    }

    #[test]
    fn the_shard_shows_its_row_queue_and_gauge() {
        let w = played("inventory-pessimistic.json", 150);
        let s = scene_at(&w, 150.0);
        let t: Vec<&str> = s.labels.iter().map(|l| l.text.as_str()).collect();
        assert!(t.iter().any(|l| l.starts_with("sku:1 · ")), "{t:?}");
        assert!(t.iter().any(|l| l.starts_with("row lock #")), "{t:?}");
        // Four clients buy: one line for all of them, in the corner, not four that overlap.
        let buyers: Vec<&Label> = s
            .labels
            .iter()
            .filter(|l| l.text.starts_with("buyers "))
            .collect();
        assert_eq!(buyers.len(), 1, "{t:?}");
        assert_eq!((buyers[0].x, buyers[0].y), (8.0, CORNER_TOP));
        let (wait, idle, done) = (0..w.nodes().len() as u32)
            .filter_map(|ix| w.procs(ix).and_then(Stock::node))
            .map(buyer_counts)
            .fold((0, 0, 0), |s, c| (s.0 + c.0, s.1 + c.1, s.2 + c.2));
        assert_eq!(
            buyers[0].text,
            format!("buyers {wait} waiting · {idle} idle · {done} done")
        );
        assert!(wait + idle + done > 0);
        assert!(s.arcs.iter().any(|a| a.ink == Ink::Ok));
        assert!(describe_canvas(&w, 150.0).contains("flash sale of sku:1"));
        // No control oversells: the gauge turns red.
        let w = played("inventory-no-control.json", 1_000);
        assert!(scene_at(&w, 1_000.0)
            .arcs
            .iter()
            .any(|a| a.ink == Ink::Danger));
        assert!(
            describe(&w, 1_000).contains("30 oversold"),
            "{}",
            describe(&w, 1_000)
        );
        // Other scenarios draw nothing of it.
        let w = played("gc-pause.json", 500);
        assert!(!scene_at(&w, 500.0)
            .labels
            .iter()
            .any(|l| l.text.starts_with("buyers ")));
    }
}
