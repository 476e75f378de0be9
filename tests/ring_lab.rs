//! The lab the UI drives, checked natively: commands, reports, the log, and the scene the
//! canvas is painted from.
#![cfg(not(target_arch = "wasm32"))]

use ringlab::model::metrics::RingMetrics;
use ringlab::model::transition::Transition;
use ringlab::sim::key_set::KeyPattern;
use ringlab::sim::ring_lab::{KeySpec, RingCmd, RingLab, DEFAULT_KEYS, DEFAULT_NODES};
use ringlab::view::hit;
use ringlab::view::ring_scene::{self, RingFrame, RingGeometry};
use ringlab::view::scene::{Ink, Swatch};

fn id(lab: &RingLab, name: &str) -> u32 {
    lab.ring().node_id(name).expect("node exists")
}

#[test]
fn a_new_lab_has_the_default_ring_and_keys() {
    let lab = RingLab::new();
    let names: Vec<&str> = lab.ring().nodes().map(|(_, n)| n.name.as_str()).collect();
    assert_eq!(names, DEFAULT_NODES);
    assert_eq!(lab.keys().len(), DEFAULT_KEYS);
    assert!((0..lab.keys().len() as u32).all(|k| lab.keys().owner(k).is_some()));
    assert_eq!(lab.log().len(), 1);
    assert!(lab.log()[0].text.starts_with("ring ready"));
}

#[test]
fn adding_a_node_reports_moved_keys_against_the_ideal_and_mod_n() {
    let mut lab = RingLab::new();
    let report = lab
        .apply(RingCmd::AddNode {
            name: None,
            weight: 1.0,
        })
        .expect("add")
        .clone();
    assert!(report.text.starts_with("E joined"), "{}", report.text);
    assert_eq!(report.ideal, Some(0.2));
    let moved = report.moved.len();
    // Every moved key now belongs to E, and E owns exactly the moved keys.
    let e = id(&lab, "E");
    assert!(report.moved.iter().all(|m| m.to == Some(e)));
    let owned_by_e = (0..lab.keys().len() as u32)
        .filter(|&k| lab.keys().owner(k) == Some(e))
        .count();
    assert_eq!(owned_by_e, moved);
    // Consistent hashing moves about 1/5; mod N moves about 4/5.
    let frac = moved as f64 / DEFAULT_KEYS as f64;
    assert!((0.08..0.35).contains(&frac), "moved {frac}");
    let mod_n = report.mod_n_moved.expect("membership change");
    assert!(
        mod_n as f64 / DEFAULT_KEYS as f64 > 0.6,
        "mod N moved {mod_n}"
    );
    assert!(report.moved_sentence().contains("ideal 1/5 = 20.0%"));
    assert!(lab.log().last().expect("log").text.starts_with("E joined"));
}

#[test]
fn fail_then_recover_restores_every_owner_and_remove_deletes() {
    let mut lab = RingLab::new();
    let before: Vec<_> = (0..lab.keys().len() as u32)
        .map(|k| lab.keys().owner(k))
        .collect();
    let c = id(&lab, "C");
    let failed = lab.apply(RingCmd::FailNode(c)).expect("fail").clone();
    assert!(failed
        .moved
        .iter()
        .all(|m| m.from == Some(c) && m.to != Some(c)));
    assert!(!failed.moved.is_empty());
    lab.apply(RingCmd::RecoverNode(c)).expect("recover");
    let after: Vec<_> = (0..lab.keys().len() as u32)
        .map(|k| lab.keys().owner(k))
        .collect();
    assert_eq!(before, after);
    lab.apply(RingCmd::RemoveNode(c)).expect("remove");
    assert!(lab.ring().node(c).is_none());
    assert_eq!(lab.ring().nodes().count(), 3);
}

#[test]
fn bad_commands_change_nothing_and_say_why() {
    let mut lab = RingLab::new();
    let log_len = lab.log().len();
    for (cmd, needle) in [
        (
            RingCmd::AddNode {
                name: Some("A".into()),
                weight: 1.0,
            },
            "A",
        ),
        (
            RingCmd::AddNode {
                name: Some("a,b".into()),
                weight: 1.0,
            },
            ",",
        ),
        (
            RingCmd::AddNode {
                name: Some("x".repeat(65)),
                weight: 1.0,
            },
            "64",
        ),
        (RingCmd::SetVnodes(0), "1"),
        (RingCmd::SetReplicas(0), "between 1 and 16"),
        (
            RingCmd::SetKeys(KeySpec {
                count: 10_000_000,
                ..KeySpec::default()
            }),
            "at most",
        ),
        (
            RingCmd::SetKeys(KeySpec {
                skew: f64::NAN,
                ..KeySpec::default()
            }),
            "skew",
        ),
    ] {
        let err = lab.apply(cmd.clone()).expect_err("must be refused");
        assert!(err.contains(needle), "{cmd:?}: {err}");
    }
    assert_eq!(lab.log().len(), log_len);
    assert_eq!(lab.ring().nodes().count(), 4);
}

#[test]
fn auto_names_skip_taken_letters_and_unicode_names_work() {
    let mut lab = RingLab::new();
    lab.apply(RingCmd::AddNode {
        name: Some("E".into()),
        weight: 1.0,
    })
    .expect("E");
    assert_eq!(lab.next_name(), "F");
    lab.apply(RingCmd::AddNode {
        name: Some("東京-1 🚀".into()),
        weight: 2.0,
    })
    .expect("unicode name");
    let t = id(&lab, "東京-1 🚀");
    assert_eq!(lab.ring().node(t).map(|n| n.vnodes), Some(32));
}

#[test]
fn pasted_keys_replace_the_key_set() {
    let mut lab = RingLab::new();
    let spec = KeySpec {
        names: Some(vec!["order:1".into(), "sku:42".into(), "account:7".into()]),
        ..KeySpec::default()
    };
    lab.apply(RingCmd::SetKeys(spec)).expect("paste");
    assert_eq!(lab.keys().len(), 3);
    assert_eq!(lab.keys().name(1), "sku:42");
    lab.apply(RingCmd::SetKeys(KeySpec {
        count: 500,
        seed: 9,
        pattern: KeyPattern::Mixed,
        skew: 1.0,
        names: None,
    }))
    .expect("generate");
    assert_eq!(lab.keys().len(), 500);
}

#[test]
fn metrics_add_up_and_the_summary_names_every_node() {
    let mut lab = RingLab::new();
    let m = RingMetrics::compute(lab.ring(), lab.view_owners());
    assert_eq!(m.rows.iter().map(|r| r.keys).sum::<usize>(), DEFAULT_KEYS);
    let share: f64 = m.rows.iter().map(|r| r.share).sum();
    assert!((share - 1.0).abs() < 1e-9);
    assert!(m.max_over_mean >= 1.0);
    let b = id(&lab, "B");
    lab.apply(RingCmd::FailNode(b)).expect("fail");
    let m = RingMetrics::compute(lab.ring(), lab.view_owners());
    let s = m.summary(lab.keys().len());
    assert!(
        s.starts_with("Hash ring: 4 nodes (3 up), 2,000 keys."),
        "{s}"
    );
    assert!(s.contains("B is down."));
}

#[test]
fn scene_draws_each_live_node_and_a_transition_sweeps_old_owners() {
    let mut lab = RingLab::new();
    let frame = |lab: &RingLab, t: Option<&Transition>, now: f64| {
        ring_scene::build(&RingFrame {
            ring: lab.ring(),
            keys: lab.keys(),
            owners: lab.view_owners(),
            transition: t,
            now_ms: now,
            selected: None,
            probe: None,
            replicas: 2,
            width: 800.0,
            height: 600.0,
        })
    };
    let still = frame(&lab, None, 0.0);
    let arc_inks: Vec<Ink> = still.arcs.iter().map(|a| a.ink).collect();
    assert_eq!(arc_inks.len(), 4);
    let dots: usize = still.dots.iter().map(|d| d.xy.len()).sum();
    assert_eq!(dots, DEFAULT_KEYS);
    // Arcs of all live nodes cover the full circle exactly once.
    let total: f64 = still
        .arcs
        .iter()
        .flat_map(|a| a.spans.iter().map(|(x, y)| y - x))
        .sum();
    assert!((total - std::f64::consts::TAU).abs() < 1e-9);

    let report = lab
        .apply(RingCmd::AddNode {
            name: None,
            weight: 1.0,
        })
        .expect("add")
        .clone();
    let t = Transition::new(0.0, 1000.0, report.arcs.clone(), report.moved.clone());
    let mid = frame(&lab, Some(&t), 500.0);
    // Mid-tween: extra batches for the unswept old owners, blended dots and ghosts.
    assert!(mid.arcs.len() > 5);
    assert!(mid.dots.iter().any(
        |d| matches!(d.ink, Ink::Blend(Swatch::Node(_), Swatch::Node(_), t) if t > 0.0 && t < 1.0)
    ));
    let moving_dots: usize = mid
        .dots
        .iter()
        .filter(|d| matches!(d.ink, Ink::Blend(..)))
        .map(|d| d.xy.len())
        .sum();
    assert_eq!(moving_dots, report.moved.len());
    let done = frame(&lab, Some(&t), 1000.0);
    assert_eq!(done.arcs.len(), 5);
}

#[test]
fn clicking_an_arc_selects_its_owner() {
    let lab = RingLab::new();
    let g = RingGeometry::fit(800.0, 600.0);
    // Probe straight up at twelve o'clock: the owner of position 0's successor arc.
    let expected = lab
        .ring()
        .owner_of(hit::pos_at_angle(-std::f64::consts::FRAC_PI_2));
    assert_eq!(hit::node_at(lab.ring(), &g, g.cx, g.cy - g.r), expected);
    assert_eq!(
        hit::node_at(lab.ring(), &g, g.cx, g.cy),
        None,
        "the centre is empty"
    );
    // A key's own dot hit-tests back to that key.
    let k = 17;
    let h = lab.keys().hash(k);
    let a = ringlab::view::geom::angle_of(h);
    let (x, y) = ringlab::view::geom::polar(g.cx, g.cy, g.key_radius(h), a);
    let found = hit::key_at(lab.keys(), &g, x, y, 0.5).expect("a key");
    assert_eq!(lab.keys().hash(found), h);
}

#[test]
fn cluster_resize_reports_the_net_move_and_shrinks_newest_first() {
    let mut lab = RingLab::new();
    let before: Vec<_> = lab.keys().owners().to_vec();
    let report = lab.apply(RingCmd::SetNodeCount(10)).expect("grow").clone();
    assert_eq!(lab.ring().nodes().count(), 10);
    assert!(report
        .text
        .starts_with("cluster resized from 4 to 10 nodes"));
    // The reported moves are exactly the keys whose owner differs now.
    let changed = before
        .iter()
        .zip(lab.keys().owners())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(report.moved.len(), changed);
    assert!(report.mod_n_moved.expect("mod N") > report.moved.len());
    lab.apply(RingCmd::SetNodeCount(4)).expect("shrink");
    let names: Vec<&str> = lab.ring().nodes().map(|(_, n)| n.name.as_str()).collect();
    assert_eq!(names, DEFAULT_NODES);
    assert_eq!(
        lab.keys().owners(),
        &before[..],
        "back to the same placement"
    );
    for bad in [0, 4, ringlab::sim::ring_lab::MAX_NODES + 1] {
        assert!(lab.apply(RingCmd::SetNodeCount(bad)).is_err(), "{bad}");
    }
}

#[test]
fn colouring_by_mod_n_shows_it_moving_most_keys_on_the_same_event() {
    use ringlab::sim::algorithms::Algorithm;
    let mut lab = RingLab::new();
    let switched = lab
        .apply(RingCmd::ViewAlgorithm(Algorithm::ModN))
        .expect("view")
        .clone();
    assert_eq!(lab.view_algorithm(), Algorithm::ModN);
    assert!(switched.view_moved.is_some());
    let report = lab
        .apply(RingCmd::AddNode {
            name: None,
            weight: 1.0,
        })
        .expect("add")
        .clone();
    let view_moved = report.view_moved.expect("view moves").len();
    assert_eq!(Some(view_moved), report.mod_n_moved);
    assert!(view_moved > 3 * report.moved.len());
    // The comparison table agrees with both figures.
    let rows = lab.compare_last().expect("an event").expect("valid");
    let get = |a: Algorithm| rows.iter().find(|r| r.algorithm == a).expect("row").moved;
    assert_eq!(get(Algorithm::ModN), view_moved);
    assert_eq!(get(Algorithm::Ring), report.moved.len());
    assert_eq!(rows.len(), Algorithm::ALL.len());
    // Back to the ring: the colouring is the ring's own again.
    lab.apply(RingCmd::ViewAlgorithm(Algorithm::Ring))
        .expect("ring");
    assert_eq!(lab.view_owners(), lab.keys().owners());
}

#[test]
fn the_cached_base_layer_is_constant_through_a_tween_and_the_overlay_is_cheap() {
    let mut lab = RingLab::new();
    let report = lab
        .apply(RingCmd::AddNode {
            name: None,
            weight: 1.0,
        })
        .expect("add")
        .clone();
    let t = Transition::new(0.0, 1000.0, report.arcs.clone(), report.moved.clone());
    let frame = |now: f64| RingFrame {
        ring: lab.ring(),
        keys: lab.keys(),
        owners: lab.view_owners(),
        transition: Some(&t),
        now_ms: now,
        selected: None,
        probe: None,
        replicas: 2,
        width: 800.0,
        height: 600.0,
    };
    // The painter caches the base for the whole tween: it must not depend on time...
    let first = ring_scene::build_base(&frame(0.0));
    for now in [100.0, 500.0, 999.0, 1000.0] {
        assert_eq!(ring_scene::build_base(&frame(now)), first);
        let layers = ring_scene::build_layers(&frame(now));
        assert_eq!(layers.base, first);
        assert_eq!(layers.overlay, ring_scene::build_overlay(&frame(now)));
    }
    // ...and base + overlay together show every key exactly once.
    // (At the tween's end there are no ghosts, so every dot is a key.)
    let keys_in =
        |s: &ringlab::view::scene::Scene| s.dots.iter().map(|d| d.xy.len()).sum::<usize>();
    let overlay_end = ring_scene::build_overlay(&frame(1000.0));
    assert_eq!(keys_in(&first) + keys_in(&overlay_end), DEFAULT_KEYS);
    // The overlay only carries moving keys, not the whole key set.
    let moving: usize = overlay_end.dots.iter().map(|d| d.xy.len()).sum();
    assert_eq!(moving, report.moved.len());
}

#[test]
fn the_base_raster_paints_the_keys_the_display_list_draws() {
    use ringlab::view::theme::Theme;
    let mut lab = RingLab::new();
    let report = lab
        .apply(RingCmd::AddNode {
            name: None,
            weight: 1.0,
        })
        .expect("add")
        .clone();
    let t = Transition::new(0.0, 1000.0, report.arcs.clone(), report.moved.clone());
    let theme = Theme::light();
    for transition in [None, Some(&t)] {
        let frame = RingFrame {
            ring: lab.ring(),
            keys: lab.keys(),
            owners: lab.view_owners(),
            transition,
            now_ms: 500.0,
            selected: None,
            probe: None,
            replicas: 2,
            width: 800.0,
            height: 600.0,
        };
        // The SVG export's still keys and the raster's paints: same keys, same colours, same
        // batch order.
        let base = ring_scene::build_base(&frame);
        let paints = ring_scene::key_paints(&frame, &theme);
        let mut from_scene: Vec<(u32, (u8, u8, u8))> = Vec::new();
        for batch in &base.dots {
            let c = theme.resolve(batch.ink);
            let order = match batch.ink {
                Ink::Swatch(Swatch::Node(id)) => id + 1,
                _ => 0,
            };
            from_scene.extend(batch.xy.iter().map(|_| (order, (c.0, c.1, c.2))));
        }
        let mut from_raster: Vec<(u32, (u8, u8, u8))> = paints
            .iter()
            .flatten()
            .map(|&(o, c)| (o, (c.0, c.1, c.2)))
            .collect();
        from_raster.sort_unstable();
        assert_eq!(from_scene, from_raster);
        let hidden = paints.iter().filter(|p| p.is_none()).count();
        assert_eq!(
            hidden,
            if transition.is_some() {
                report.moved.len()
            } else {
                0
            }
        );
        assert_eq!(
            ring_scene::still_dot_radius(&frame),
            base.dots.first().map_or(0.0, |d| d.radius)
        );
    }
}
