//! Behaviour tests of the world as a whole: heartbeats, crashes, pauses, partitions, clocks.

use super::cmd::Cmd;
use super::event::{DropReason, Event, What};
use super::world::{Status, World, WorldCfg};
use crate::sim::proto::heartbeat::Heartbeat;
use crate::sim::proto::Protocol;
use crate::sim::testkit::cluster;

pub(crate) fn cfg(servers: &[&str], seed: u64) -> WorldCfg {
    cluster(servers)
        .seed(seed)
        .clients(&["web"])
        .heartbeat(100, 350)
        .cfg()
}

fn suspicions(trace: &[Event], w: &World) -> Vec<(String, String, u64)> {
    trace
        .iter()
        .filter_map(|e| match e.what {
            What::Proto(crate::sim::proto::ProtoEv::Heartbeat(
                crate::sim::proto::heartbeat::Ev::Suspect { peer, .. },
            )) => Some((w.name(e.node?), w.name(peer), e.t)),
            _ => None,
        })
        .collect()
}

fn cmd(w: &mut World, out: &mut Vec<Event>, c: Cmd) {
    w.apply(&c, out).unwrap();
}

#[test]
fn healthy_cluster_never_suspects() {
    let mut w = World::new(&cfg(&["A", "B", "C"], 1)).unwrap();
    let mut out = Vec::new();
    w.advance_to(5_000, &mut out);
    assert!(suspicions(&out, &w).is_empty());
    assert!(out.iter().any(|e| matches!(e.what, What::Deliver { .. })));
    assert_eq!(w.now(), 5_000);
    assert!(w.net().in_flight_len() > 0, "pings are always in flight");
}

#[test]
fn crash_is_suspected_by_every_live_peer_then_trusted_after_recovery() {
    let mut w = World::new(&cfg(&["A", "B", "C"], 2)).unwrap();
    let mut out = Vec::new();
    w.advance_to(1_000, &mut out);
    cmd(&mut w, &mut out, Cmd::Crash { node: "C".into() });
    w.advance_to(2_000, &mut out);
    let s = suspicions(&out, &w);
    let mut who: Vec<_> = s.iter().map(|(a, b, _)| (a.as_str(), b.as_str())).collect();
    who.sort();
    assert_eq!(who, vec![("A", "C"), ("B", "C")]);
    for (_, _, t) in &s {
        assert!(
            *t > 1_350 && *t <= 1_500,
            "suspected after the timeout: {t}"
        );
    }
    cmd(&mut w, &mut out, Cmd::Recover { node: "C".into() });
    let mark = out.len();
    w.advance_to(3_000, &mut out);
    let trusts = out[mark..]
        .iter()
        .filter(|e| {
            matches!(
                e.what,
                What::Proto(crate::sim::proto::ProtoEv::Heartbeat(
                    crate::sim::proto::heartbeat::Ev::Trust { .. }
                ))
            )
        })
        .count();
    assert_eq!(trusts, 2);
    let c = w.node(w.node_ix("C").unwrap()).unwrap();
    assert_eq!(
        c.durable.len(),
        2,
        "durable log survived the crash: two boots"
    );
    let inc = w.procs(2).and_then(Heartbeat::node).unwrap().incarnation();
    assert_eq!(inc, 2);
}

#[test]
fn messages_to_a_crashed_node_are_dropped() {
    let mut w = World::new(&cfg(&["A", "B"], 3)).unwrap();
    let mut out = Vec::new();
    w.advance_to(100, &mut out); // first pings are now in flight
    cmd(&mut w, &mut out, Cmd::Crash { node: "B".into() });
    w.advance_to(200, &mut out);
    assert!(out.iter().any(|e| matches!(
        e.what,
        What::Drop {
            reason: DropReason::ReceiverDown,
            ..
        }
    )));
}

#[test]
fn pause_causes_false_suspicion_both_ways() {
    let mut w = World::new(&cfg(&["A", "B", "C"], 4)).unwrap();
    let mut out = Vec::new();
    w.advance_to(1_000, &mut out);
    cmd(
        &mut w,
        &mut out,
        Cmd::Pause {
            node: "A".into(),
            ms: 1_000,
        },
    );
    w.advance_to(3_000, &mut out);
    let s = suspicions(&out, &w);
    assert!(s.iter().any(|(a, b, _)| a == "B" && b == "A"), "{s:?}");
    // On waking, A reads its socket buffer in arrival order before its overdue tick, so it
    // hears from everyone and suspects no one; the others trust it again.
    assert!(!s.iter().any(|(a, _, _)| a == "A"), "{s:?}");
    let trusts = out
        .iter()
        .filter(|e| {
            e.t >= 2_000
                && matches!(
                    e.what,
                    What::Proto(crate::sim::proto::ProtoEv::Heartbeat(
                        crate::sim::proto::heartbeat::Ev::Trust { .. }
                    ))
                )
        })
        .count();
    assert_eq!(trusts, 2);
    // A sent nothing while frozen.
    let a = w.node_ix("A").unwrap();
    assert!(!out.iter().any(|e| e.node == Some(a)
        && matches!(e.what, What::Send { .. })
        && (1_001..2_000).contains(&e.t)));
    assert!(out
        .iter()
        .any(|e| matches!(e.what, What::Resume { paused_ms: 1_000 })));
}

#[test]
fn partition_cuts_messages_and_heal_restores_trust() {
    let mut w = World::new(&cfg(&["A", "B", "C", "D"], 5)).unwrap();
    let mut out = Vec::new();
    w.advance_to(500, &mut out);
    cmd(
        &mut w,
        &mut out,
        Cmd::Partition {
            side: vec!["A".into(), "B".into()],
        },
    );
    w.advance_to(1_500, &mut out);
    let s = suspicions(&out, &w);
    assert!(s.iter().any(|(a, b, _)| a == "A" && b == "C"));
    assert!(!s.iter().any(|(a, b, _)| a == "A" && b == "B"));
    assert!(out.iter().any(|e| matches!(
        e.what,
        What::Drop {
            reason: DropReason::Partition,
            ..
        }
    )));
    cmd(&mut w, &mut out, Cmd::Heal);
    let mark = out.len();
    w.advance_to(2_000, &mut out);
    assert!(out[mark..].iter().any(|e| matches!(
        e.what,
        What::Proto(crate::sim::proto::ProtoEv::Heartbeat(
            crate::sim::proto::heartbeat::Ev::Trust { .. }
        ))
    )));
}

#[test]
fn clock_jump_forward_fires_timers_early_and_causes_suspicion() {
    let mut w = World::new(&cfg(&["A", "B"], 6)).unwrap();
    let mut out = Vec::new();
    w.advance_to(1_000, &mut out);
    cmd(
        &mut w,
        &mut out,
        Cmd::ClockJump {
            node: "A".into(),
            delta_ms: 10_000,
        },
    );
    let a = w.node_ix("A").unwrap();
    assert_eq!(w.local_time(a), Some(11_000));
    let mark = out.len();
    w.advance_to(1_001, &mut out);
    // the pending tick (due at local ~1,100) is now overdue and fires immediately
    assert!(out[mark..]
        .iter()
        .any(|e| e.node == Some(a) && matches!(e.what, What::Timer { .. })));
    assert!(suspicions(&out, &w).iter().any(|(x, _, _)| x == "A"));
}

#[test]
fn ring_commands_emit_events_with_moved_keys() {
    let mut w = World::new(&cfg(&["A", "B", "C"], 7)).unwrap();
    let mut out = Vec::new();
    cmd(
        &mut w,
        &mut out,
        Cmd::AddNode {
            node: "D".into(),
            weight: 1.0,
        },
    );
    cmd(&mut w, &mut out, Cmd::FailNode { node: "B".into() });
    cmd(&mut w, &mut out, Cmd::RecoverNode { node: "B".into() });
    cmd(&mut w, &mut out, Cmd::RemoveNode { node: "D".into() });
    let kinds: Vec<_> = out.iter().map(|e| e.what.kind()).collect();
    assert_eq!(
        kinds,
        ["ring_join", "ring_fail", "ring_recover", "ring_leave"]
    );
    for e in &out {
        match e.what {
            What::RingJoin { moved, .. }
            | What::RingFail { moved }
            | What::RingRecover { moved }
            | What::RingLeave { moved } => assert!(moved > 0 && moved < 1000),
            _ => unreachable!(),
        }
    }
    assert_eq!(w.members().len(), 3);
    let d = w.node_ix("D").unwrap();
    assert_eq!(w.node(d).unwrap().status, Status::Removed);
    // D's peers keep pinging nothing; D's own timers are gone.
    w.advance_to(1_000, &mut out);
    assert!(!out
        .iter()
        .any(|e| e.node == Some(d) && matches!(e.what, What::Send { .. })));
}

#[test]
fn bad_commands_are_refused_with_named_fields() {
    let mut w = World::new(&cfg(&["A"], 8)).unwrap();
    let mut out = Vec::new();
    let err =
        |w: &mut World, out: &mut Vec<Event>, c: Cmd| w.apply(&c, out).unwrap_err().to_string();
    assert!(err(&mut w, &mut out, Cmd::Crash { node: "Z".into() }).contains("\"Z\""));
    assert!(err(
        &mut w,
        &mut out,
        Cmd::Pause {
            node: "A".into(),
            ms: 0
        }
    )
    .contains("ms"));
    assert!(err(
        &mut w,
        &mut out,
        Cmd::SetDrift {
            node: "A".into(),
            ppm: 2_000_000
        }
    )
    .contains("ppm"));
    assert!(err(&mut w, &mut out, Cmd::SetLoss { loss: 2.0 }).contains("loss"));
    assert!(err(
        &mut w,
        &mut out,
        Cmd::ClockJump {
            node: "A".into(),
            delta_ms: i64::MIN
        }
    )
    .contains("delta_ms"));
    assert!(err(
        &mut w,
        &mut out,
        Cmd::AddNode {
            node: "A".into(),
            weight: 1.0
        }
    )
    .contains("already"));
    assert!(err(
        &mut w,
        &mut out,
        Cmd::AddNode {
            node: "Q".into(),
            weight: f64::NAN
        }
    )
    .contains("weight"));
    assert!(err(&mut w, &mut out, Cmd::FailNode { node: "web".into() }).contains("server"));
    assert!(err(&mut w, &mut out, Cmd::DropMessage { msg: 999 }).contains("999"));
    assert!(out.is_empty(), "refused commands emit nothing");
}

#[test]
fn drop_message_by_id_and_scheduled_commands() {
    let mut w = World::new(&cfg(&["A", "B"], 9)).unwrap();
    let mut out = Vec::new();
    w.advance_to(100, &mut out);
    let id = w.net().in_flight().next().unwrap().id;
    cmd(&mut w, &mut out, Cmd::DropMessage { msg: id });
    assert!(w.net().get(id).is_none());
    w.schedule(150, Cmd::Crash { node: "B".into() });
    w.schedule(
        160,
        Cmd::Crash {
            node: "nobody".into(),
        },
    );
    w.advance_to(200, &mut out);
    assert!(out.iter().any(|e| e.t == 150 && e.what == What::Crash));
    assert!(out
        .iter()
        .any(|e| e.t == 160 && matches!(e.what, What::Rejected { .. })));
    assert!(!out
        .iter()
        .any(|e| matches!(e.what, What::Deliver { msg, .. } if msg == id)));
}

#[test]
fn a_slow_link_delays_only_its_own_direction_unless_both_ways() {
    let mut w = World::new(&cfg(&["A", "B", "C"], 4)).unwrap();
    let mut out = Vec::new();
    cmd(
        &mut w,
        &mut out,
        Cmd::SetLinkLatency {
            from: "A".into(),
            to: "B".into(),
            base_ms: 300,
            jitter_ms: 0,
            both_ways: false,
        },
    );
    assert!(w
        .describe(out.last().unwrap())
        .contains("link A → B now: latency 300 ms"));
    w.advance_to(2_000, &mut out);
    let (a, b, c) = (
        w.node_ix("A").unwrap(),
        w.node_ix("B").unwrap(),
        w.node_ix("C").unwrap(),
    );
    let latencies = |from, to| -> Vec<u64> {
        out.iter()
            .filter_map(|e| match e.what {
                What::Deliver { msg, from: f, .. } if f == from && e.node == Some(to) => {
                    let sent = out.iter().find_map(|s| match s.what {
                        What::Send { msg: m, .. } if m == msg => Some(s.t),
                        _ => None,
                    })?;
                    Some(e.t - sent)
                }
                _ => None,
            })
            .collect()
    };
    let ab = latencies(a, b);
    assert!(!ab.is_empty() && ab.iter().all(|&d| d == 300), "{ab:?}");
    let ba = latencies(b, a);
    assert!(!ba.is_empty() && ba.iter().all(|&d| d <= 10), "{ba:?}");
    assert!(latencies(a, c).iter().all(|&d| d <= 10));
    // Both ways, and bad links are refused with the field named.
    cmd(
        &mut w,
        &mut out,
        Cmd::SetLinkLatency {
            from: "C".into(),
            to: "A".into(),
            base_ms: 50,
            jitter_ms: 0,
            both_ways: true,
        },
    );
    assert_eq!(w.net().link_latency(a, c), (50, 0));
    let same = Cmd::SetLinkLatency {
        from: "A".into(),
        to: "A".into(),
        base_ms: 1,
        jitter_ms: 0,
        both_ways: false,
    };
    assert!(w
        .apply(&same, &mut out)
        .unwrap_err()
        .to_string()
        .contains("to"));
    let huge = Cmd::SetLinkLatency {
        from: "A".into(),
        to: "B".into(),
        base_ms: u64::MAX,
        jitter_ms: 0,
        both_ways: false,
    };
    assert!(w
        .apply(&huge, &mut out)
        .unwrap_err()
        .to_string()
        .contains("base_ms"));
    let ghost = Cmd::SetLinkLatency {
        from: "A".into(),
        to: "Z".into(),
        base_ms: 1,
        jitter_ms: 0,
        both_ways: false,
    };
    assert!(w.apply(&ghost, &mut out).is_err());
}
