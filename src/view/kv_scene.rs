//! The replicated store's layer of the cluster canvas: each server's role (primary with its
//! epoch, replica, resyncing) and its replication lag, in primary mode; in Dynamo mode the
//! preference list of `k0` lit (rank beside each replica), the hints a stand-in holds as
//! small tags naming the owner they travel home to, and store messages in flight carrying
//! their word. Pure, like the scene.

use super::cluster_frame::{
    label_lines, message_words, ClusterFrame, ClusterGeometry, NodeState, WordStyle,
};
use super::cluster_frame::{Layer, Pos};
use super::scene::{Align, ArcBatch, Ink, Label, Scene};
use crate::sim::proto::kv::{Kv, KvNode, Mode, Msg, Server, MAX_KEYS};
use crate::sim::proto::Payload;
use crate::sim::proto::Protocol;
use crate::sim::sort::sort_dedup_by_u64;
use crate::sim::world::World;

/// Most store messages in flight that get a word.
const MAX_WORDS: usize = 24;

/// The layer as the cluster scene's list registers it.
pub const LAYER: Layer = Layer {
    name: "kv",
    margin: |w| w.cfg::<Kv>().map(|_| 16.0),
    draw: overlay,
    describe,
};

/// One server as the layer shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Node index.
    pub ix: u32,
    /// Its line: "primary e1", "replica e1 · lag 2", "k0 #1 · hint→E ×3".
    pub text: String,
    /// Its ink.
    pub ink: Ink,
    /// On the key's preference list (Dynamo) or primary (primary mode): drawn lit.
    pub lit: bool,
    /// With shards, one line per shard the server serves, with its ink (else empty: `text`
    /// is the one line).
    pub lines: Vec<(String, Ink)>,
}

/// What each server shows, in node order.
pub fn rows(w: &World) -> Vec<Row> {
    let Some(cfg) = w.cfg::<Kv>() else {
        return Vec::new();
    };
    let servers: Vec<(u32, &crate::sim::proto::kv::Server)> = w
        .members()
        .iter()
        .filter_map(|&ix| {
            w.procs(ix)
                .and_then(Kv::node)
                .and_then(KvNode::server)
                .map(|s| (ix, s))
        })
        .collect();
    match cfg.mode {
        Mode::Primary => {
            let shards = shards(w);
            let many = shards.len() > 1;
            servers
                .iter()
                .map(|(ix, s)| {
                    let mut parts: Vec<(String, Ink)> = Vec::new();
                    let (mut lit, mut lagging) = (false, false);
                    for v in shards.iter().filter(|v| !many || v.servers.contains(ix)) {
                        let Some(st) = s.sh.get(v.shard) else {
                            continue;
                        };
                        let name = if many {
                            format!("s{} ", v.shard)
                        } else {
                            String::new()
                        };
                        if st.primary == Some(*ix) {
                            lit = true;
                            parts.push((format!("{name}primary e{}", st.epoch), Ink::Ok));
                            continue;
                        }
                        let lag = v.lag_of(s);
                        lagging |= lag > 0;
                        let mut text = if many {
                            format!("{name}e{}", st.epoch)
                        } else {
                            format!("replica e{}", st.epoch)
                        };
                        if !st.synced {
                            text.push_str(" · resync");
                        }
                        if lag > 0 {
                            text.push_str(&format!(" · lag {lag}"));
                        }
                        parts.push((text, if lag > 0 { Ink::Warn } else { Ink::Muted }));
                    }
                    let text = parts
                        .iter()
                        .map(|p| p.0.as_str())
                        .collect::<Vec<_>>()
                        .join(" · ");
                    Row {
                        ix: *ix,
                        text,
                        ink: if lit {
                            Ink::Ok
                        } else if lagging {
                            Ink::Warn
                        } else {
                            Ink::Muted
                        },
                        lit,
                        lines: if many { parts } else { Vec::new() },
                    }
                })
                .collect()
        }
        Mode::Dynamo => {
            let ring = w.topology().ring();
            let pref: Vec<u32> = ring
                .replicas(crate::sim::hash::pos("k0"), cfg.n as usize)
                .into_iter()
                .filter_map(|id| ring.node(id).and_then(|n| w.node_ix(&n.name)))
                .collect();
            servers
                .iter()
                .filter_map(|(ix, s)| {
                    let rank = pref.iter().position(|p| p == ix);
                    let mut parts = Vec::new();
                    if let Some(r) = rank {
                        parts.push(format!("k0 #{}", r + 1));
                    }
                    let mut owners: Vec<u32> = s.hints.iter().map(|h| h.owner).collect();
                    sort_dedup_by_u64(&mut owners, |&o| u64::from(o));
                    for o in owners {
                        let n = s.hints.iter().filter(|h| h.owner == o).count();
                        parts.push(format!("hint→{} ×{n}", w.name(o)));
                    }
                    (!parts.is_empty()).then(|| Row {
                        ix: *ix,
                        text: parts.join(" · "),
                        ink: if s.hints.is_empty() {
                            Ink::Accent
                        } else {
                            Ink::Warn
                        },
                        lit: rank.is_some(),
                        lines: Vec::new(),
                    })
                })
                .collect()
        }
    }
}

/// One shard as the layer and the panel show it (primary mode).
#[derive(Clone, Debug, PartialEq)]
pub struct ShardView {
    /// Its index (named `s0`, `s1`… on the ring).
    pub shard: usize,
    /// Its keys, as key indices.
    pub keys: Vec<u8>,
    /// Its servers (every member with one shard; else the ring's group, owner first).
    pub servers: Vec<u32>,
    /// The primary of the newest epoch among the servers that think they lead, and it.
    pub primary: Option<u32>,
    /// That primary's epoch.
    pub epoch: u32,
    /// Its versions of the shard's keys (what replicas lag behind).
    top: [crate::sim::proto::kv::Cell; crate::sim::proto::kv::MAX_KEYS],
    /// Keys the most lagging live replica of the shard has older than the primary.
    pub lag: usize,
    /// Other servers that still act as primary of an older epoch (split brain).
    pub stale_primaries: Vec<u32>,
}

impl ShardView {
    /// Keys of this shard `s` holds older than the primary's.
    pub fn lag_of(&self, s: &Server) -> usize {
        self.keys
            .iter()
            .filter(|&&k| self.top[k as usize] > s.cells[k as usize])
            .count()
    }
}

/// Each shard's primary, epoch and replication lag at this instant (primary mode).
pub fn shards(w: &World) -> Vec<ShardView> {
    let Some(cfg) = w.cfg::<Kv>() else {
        return Vec::new();
    };
    if cfg.mode != Mode::Primary {
        return Vec::new();
    }
    let n = cfg.shard_count();
    let groups = &w.shared::<Kv>().groups;
    let server = |ix: u32| w.procs(ix).and_then(Kv::node).and_then(KvNode::server);
    (0..n)
        .map(|sh| {
            let servers: Vec<u32> = if n > 1 {
                groups.get(sh).cloned().unwrap_or_default()
            } else {
                w.members().to_vec()
            };
            let keys: Vec<u8> = (0..cfg.keys.min(MAX_KEYS as u8))
                .filter(|&k| cfg.shard_of(k) == sh)
                .collect();
            let leaders: Vec<(u32, &Server)> = servers
                .iter()
                .filter_map(|&ix| server(ix).map(|s| (ix, s)))
                .filter(|(ix, s)| s.sh.get(sh).is_some_and(|x| x.primary == Some(*ix)))
                .collect();
            let top = leaders
                .iter()
                .max_by_key(|(_, s)| s.sh.get(sh).map_or(0, |x| x.epoch))
                .copied();
            let mut v = ShardView {
                shard: sh,
                keys,
                servers: servers.clone(),
                primary: top.map(|t| t.0),
                epoch: top.and_then(|t| t.1.sh.get(sh)).map_or(0, |x| x.epoch),
                top: top.map_or([Default::default(); MAX_KEYS], |t| t.1.cells),
                lag: 0,
                stale_primaries: Vec::new(),
            };
            v.stale_primaries = leaders
                .iter()
                .map(|l| l.0)
                .filter(|&ix| Some(ix) != v.primary)
                .collect();
            v.lag = servers
                .iter()
                .filter(|&&ix| Some(ix) != v.primary && w.is_active(ix))
                .filter_map(|&ix| server(ix))
                .map(|s| v.lag_of(s))
                .max()
                .unwrap_or(0);
            v
        })
        .collect()
}

/// The canvas sentence: who is primary (or k0's replicas) and the hints held.
pub fn describe(w: &World, _t: u64) -> String {
    let Some(cfg) = w.cfg::<Kv>() else {
        return String::new();
    };
    let r = rows(w);
    let parts: Vec<String> = r
        .iter()
        .map(|row| format!("{} {}", w.name(row.ix), row.text))
        .collect();
    let mut out = format!("replicated store ({}): {}", cfg.variant(), parts.join(", "));
    // Keys streaming to new replicas after a membership change.
    let (batches, keys) = w
        .net()
        .in_flight()
        .filter_map(|m| match &m.payload {
            Payload::Kv(Msg::Stream { keys, .. }) => Some(keys.count_ones()),
            _ => None,
        })
        .fold((0, 0), |(b, k), n| (b + 1, k + n));
    let versions = w
        .net()
        .in_flight()
        .filter(|m| matches!(&m.payload, Payload::Kv(Msg::VStream { .. })))
        .count();
    if versions > 0 {
        out.push_str(&format!(
            "; streaming {versions} sibling version{} to new replicas",
            if versions == 1 { "" } else { "s" }
        ));
    }
    if batches > 0 {
        out.push_str(&format!(
            "; streaming {keys} key{} to new replicas ({batches} batch{} in flight)",
            if keys == 1 { "" } else { "s" },
            if batches == 1 { "" } else { "es" }
        ));
    }
    out
}

fn overlay(
    f: &ClusterFrame<'_>,
    states: &[NodeState],
    pos: &Pos,
    g: &ClusterGeometry,
    scene: &mut Scene,
) {
    let w = f.world;
    if w.cfg::<Kv>().is_none() {
        return;
    }
    for row in rows(w) {
        let Some(p) = pos.get(row.ix as usize).copied().flatten() else {
            continue;
        };
        if row.lit {
            scene.arcs.push(ArcBatch {
                ink: row.ink,
                width: 3.0,
                cx: p.0,
                cy: p.1,
                r: g.node_r + 4.0,
                spans: vec![(0.0, std::f64::consts::TAU)],
            });
        }
        let (lx, ly, _, align) = label_lines(p, g.node_r, false, g);
        // Left of a top node: above its name the line would leave the canvas, and on its
        // right the legend sits.
        let (x, y, align) = if align == Align::Center && p.1 < g.cy {
            (p.0 - g.node_r - 8.0, p.1 - 4.0, Align::Right)
        } else if align == Align::Center {
            (lx, ly - 26.0, align)
        } else {
            (lx, ly + 26.0, align)
        };
        if row.lines.is_empty() {
            scene.labels.push(Label {
                x,
                y,
                text: row.text,
                ink: row.ink,
                size: 11.0,
                bold: row.lit,
                align,
            });
            continue;
        }
        // Shards: a line each, stacked down from the same place.
        for (i, (text, ink)) in row.lines.into_iter().enumerate() {
            scene.labels.push(Label {
                x,
                y: y + 12.0 * i as f64,
                text,
                bold: ink == Ink::Ok,
                ink,
                size: 11.0,
                align,
            });
        }
    }
    let kv = w.net().in_flight().filter_map(|m| match &m.payload {
        Payload::Kv(k) => Some((m, k)),
        _ => None,
    });
    let style = WordStyle {
        size: 10.0,
        bold: false,
    };
    message_words(kv, MAX_WORDS, f, states, pos, g, scene, style, |_, k| {
        let ink = match k {
            Msg::Store { hint: Some(_), .. } | Msg::Handoff { .. } => Ink::Warn,
            Msg::Nack { .. } => Ink::Danger,
            Msg::Stream { .. } | Msg::VStream { .. } => Ink::Accent,
            _ => Ink::Fg,
        };
        Some((Payload::Kv(*k).label(), ink))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::runner;
    use crate::sim::scenario::Scenario;

    fn world(file: &str, until: u64) -> World {
        let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
        let s = Scenario::decode(&std::fs::read(path).expect("file")).expect("decodes");
        runner::play_with(&s, None, until, |_| {})
            .expect("runs")
            .world()
            .clone()
    }

    #[test]
    fn primary_mode_names_the_primary_and_its_epoch() {
        let w = world("ha-sentinel-partition.json", 5000);
        let d = describe(&w, 5000);
        // During the partition both sides have a primary: n1 (epoch 0) and n3 (epoch 1).
        assert!(d.contains("n1 primary e0"), "{d}");
        assert!(d.contains("n3 primary e1"), "{d}");
    }

    #[test]
    fn each_shard_shows_its_primary_epoch_and_lag() {
        let w = world("ha-multi-shard-failover.json", 4000);
        let d = describe(&w, 4000);
        // n3 leads s0 in epoch 0 and, since the failover, s1 in epoch 1; n4 still leads s2.
        assert!(d.contains("n3 s0 primary e0 · s1 primary e1"), "{d}");
        assert!(d.contains("n4 s2 primary e0"), "{d}");
        let v = shards(&w);
        let got: Vec<(Option<u32>, u32)> = v.iter().map(|s| (s.primary, s.epoch)).collect();
        let ix = |n: &str| w.node_ix(n);
        assert_eq!(got, [(ix("n3"), 0), (ix("n3"), 1), (ix("n4"), 0)]);
        assert_eq!(v[1].keys, [1]);
        // One shard: one row per server, as before.
        let w = world("ha-sentinel-partition.json", 1000);
        assert_eq!(shards(&w).len(), 1);
    }

    #[test]
    fn keys_streaming_to_a_joining_server_are_told() {
        // X joins at 3,000 ms; the old replicas send at their next check, that instant.
        let w = world("ha-join-streams-keys.json", 3001);
        let d = describe(&w, 3001);
        assert!(
            d.contains("streaming 3 keys to new replicas (3 batches in flight)"),
            "{d}"
        );
        let w = world("ha-join-streams-keys.json", 3500);
        assert!(!describe(&w, 3500).contains("streaming"));
    }

    #[test]
    fn dynamo_mode_lights_the_preference_list_and_tags_hints() {
        let w = world("ha-hinted-handoff.json", 3000);
        let r = rows(&w);
        assert!(
            r.iter().any(|x| x.lit && x.text.starts_with("k0 #1")),
            "{r:?}"
        );
        assert!(r.iter().any(|x| x.text.contains("hint→")), "{r:?}");
    }
}
