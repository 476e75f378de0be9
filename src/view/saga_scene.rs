//! The saga layer of the cluster canvas: on each shard the rows it holds (units left and
//! pending, balances), its outbox (rows, how many the relay has not marked) and its inbox;
//! on the orchestrator its sagas by state; and on every message-log message in flight that
//! carries a saga note (a produce to a leader, records to a consumer) the note, a duplicate
//! delivery marked as absorbed (the consumer's inbox has it) or as a double apply (a naive
//! consumer). The log's own marks (partitions, offsets, the group) are the mq layer's.
//! Pure, like the scene.

use super::cluster_frame::{
    label_lines, message_words, ClusterFrame, ClusterGeometry, NodeState, WordStyle,
};
use super::cluster_frame::{Layer, Pos};
use super::scene::{Ink, Label, Scene};
use crate::sim::proto::log::wire::MqMsg;
use crate::sim::proto::saga::{Consumer, Node, Note, Pos as SagaPos, Saga};
use crate::sim::proto::{Payload, Protocol};
use crate::sim::time::Time;
use crate::sim::world::World;

/// Most saga messages in flight that get a word.
const MAX_WORDS: usize = 24;

/// The layer as the cluster scene's list registers it.
pub const LAYER: Layer = Layer {
    name: "saga",
    margin: |w| w.cfg::<Saga>().map(|_| 92.0),
    draw: overlay,
    describe,
};

/// A node's lines: its rows, its outbox and inbox, its sagas (orchestrator).
pub fn node_lines(n: &Node) -> Vec<(String, Ink)> {
    let mut out = Vec::new();
    if let Some(o) = &n.orch {
        let (mut run, mut done, mut comp) = (0, 0, 0);
        for p in o.sagas.values() {
            match p {
                SagaPos::Completed => done += 1,
                SagaPos::Compensated => comp += 1,
                SagaPos::Step { .. } => run += 1,
            }
        }
        out.push((
            format!("sagas {run} running · {done} done · {comp} compensated"),
            Ink::Fg,
        ));
    }
    let rows = &n.db.rows;
    for (sku, units) in rows.stock.iter().take(2) {
        let pending: i64 = rows
            .pending
            .range((*sku, 0)..=(*sku, u32::MAX))
            .map(|(_, u)| *u)
            .sum();
        let ink = if pending > 0 { Ink::Warn } else { Ink::Fg };
        out.push((format!("sku:{sku} {units} left · {pending} pending"), ink));
    }
    for (acct, bal) in rows.balance.iter().take(2) {
        out.push((format!("account:{acct} {bal}"), Ink::Fg));
    }
    if !n.db.outbox.is_empty() || !n.db.inbox.is_empty() {
        let unmarked = n.db.unmarked();
        let waiting = if unmarked > 0 {
            format!(" · {unmarked} unmarked")
        } else {
            String::new()
        };
        out.push((
            format!(
                "outbox {}{waiting} · inbox {}",
                n.db.outbox.len(),
                n.db.inbox.len()
            ),
            if unmarked > 0 { Ink::Warn } else { Ink::Muted },
        ));
    }
    out
}

/// Adds the layer (nothing when the scenario has no saga).
pub fn overlay(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    let w = f.world;
    let Some(cfg) = w.cfg::<Saga>() else {
        return;
    };
    for (ix, n) in w.nodes().iter().enumerate() {
        let Some(node) = w.procs(ix as u32).and_then(Saga::node) else {
            continue;
        };
        let Some(p) = pos.get(ix).copied().flatten() else {
            continue;
        };
        let client = n.role == crate::sim::ids::Role::Client;
        let (x, title_y, status_y, align) = label_lines(p, g.node_r, client, g);
        let lines: Vec<(String, Ink)> = node_lines(node).into_iter().take(5).collect();
        // A node at the top of the circle has its name above it: stack upwards from there.
        let above = status_y < p.1;
        let n = lines.len();
        for (k, (text, ink)) in lines.into_iter().enumerate() {
            let y = if above {
                title_y - 13.0 * (n - k) as f64
            } else {
                status_y + 13.0 * (k + 1) as f64
            };
            scene.labels.push(Label {
                x,
                y,
                text,
                ink,
                size: 11.0,
                bold: false,
                align,
            });
        }
    }
    let naive = cfg.consumer == Consumer::Naive;
    let mq = w.mq();
    let note_of = |id: &u32| mq.msg(*id).and_then(|m| m.body).and_then(Note::decode);
    // (delivered to a consumer, the note) for every log message carrying a saga note.
    let msgs = w.net().in_flight().filter_map(|m| match &m.payload {
        Payload::Mq(MqMsg::Produce { id, .. }) => note_of(id).map(|n| (m, (false, n))),
        Payload::Mq(MqMsg::Records { ids, n, .. }) => ids[..(*n as usize).min(4)]
            .iter()
            .find_map(note_of)
            .map(|note| (m, (true, note))),
        _ => None,
    });
    let style = WordStyle {
        size: 11.0,
        bold: true,
    };
    message_words(
        msgs,
        MAX_WORDS,
        f,
        states,
        pos,
        g,
        scene,
        style,
        |m, (delivered, note)| {
            if !delivered {
                return Some((format!("publish {}", note.label()), Ink::Muted));
            }
            let seen = w
                .procs(m.to)
                .and_then(Saga::node)
                .is_some_and(|n| n.db.inbox.contains(&note));
            Some(match (seen, naive && note.kind.is_command()) {
                (true, true) => (format!("DUPLICATE {}", note.label()), Ink::Danger),
                (true, false) => (format!("duplicate {}", note.label()), Ink::Warn),
                _ => (note.label(), Ink::Fg),
            })
        },
    );
}

/// The layer's sentence in the canvas's text alternative.
pub fn describe(w: &World, _: Time) -> String {
    if w.cfg::<Saga>().is_none() {
        return String::new();
    }
    let st = &w.saga().stats;
    format!(
        "; checkout sagas: {} started, {} completed, {} compensated, {} duplicates absorbed, {} double charges, {} dirty reads",
        st.sagas, st.completed, st.compensated, st.duplicates_absorbed, st.double_charges, st.dirty_reads
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::testkit::played;
    use crate::view::cluster_scene::{build, Layout};

    #[test]
    fn nodes_show_their_rows_outbox_and_inbox_and_a_duplicate_record_is_marked() {
        // 272 ms: the relay's second record of order 0's charge is on its way to C, whose
        // inbox already has the note.
        let w = played("outbox-relay-crash.json", 272);
        let s = build(&ClusterFrame {
            world: &w,
            now: 272.0,
            recent: &[],
            trail_ms: 0.0,
            selected_msg: None,
            selected_node: None,
            event_node: None,
            layout: Layout::Even,
            width: 700.0,
            height: 480.0,
        });
        let t: Vec<&str> = s.labels.iter().map(|l| l.text.as_str()).collect();
        assert!(t.iter().any(|l| l.starts_with("sagas ")), "{t:?}");
        assert!(t.iter().any(|l| l.starts_with("outbox ")), "{t:?}");
        assert!(t.iter().any(|l| l.starts_with("sku:0 ")), "{t:?}");
        assert!(
            t.contains(&"duplicate charge #0"),
            "the duplicate on the log is marked: {t:?}"
        );
        assert!(describe(&w, 272).contains("checkout sagas"));
    }
}
