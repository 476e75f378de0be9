//! Lock behaviour through the world's public API: commands, the queries the UI reads,
//! persistence across restarts, refusals that name the field, and time travel.

use super::{LockCfg, LockNode, Recipe, ResKey};
use crate::sim::cmd::Cmd;
use crate::sim::event::{Event, What};
use crate::sim::proto::locks::event::LockEv;
use crate::sim::testkit::cluster;
use crate::sim::timeline::{Target, Timeline};
use crate::sim::world::{ServerSpec, World, WorldCfg};

fn key(s: &str) -> ResKey {
    ResKey::new(s).unwrap()
}

fn world(cfg: LockCfg) -> World {
    cluster(&["A", "B", "C", "db"])
        .seed(5)
        .clients(&["c1", "c2"])
        .protocols(|p| p.locks = Some(cfg))
        .world()
}

fn redis() -> LockCfg {
    let mut c = LockCfg::new(Recipe::Redis);
    c.storage = Some("db".into());
    c.stock.insert(key("sku:42"), 10);
    c
}

fn acquire(client: &str, res: &str) -> Cmd {
    Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
        crate::sim::proto::locks::LockCmd::LockAcquire {
            client: client.into(),
            resource: key(res),
            wait_ms: None,
        },
    ))
}

fn kinds(out: &[Event]) -> Vec<&'static str> {
    out.iter().map(|e| e.what.kind()).collect()
}

fn ix(w: &World, n: &str) -> u32 {
    w.node_ix(n).unwrap()
}

#[test]
fn a_held_lock_is_renewed_and_handed_to_the_next_waiter_on_release() {
    let mut w = world(redis());
    let mut out = Vec::new();
    let sku = key("sku:42");
    w.apply(&acquire("c1", "sku:42"), &mut out).unwrap();
    w.advance_to(50, &mut out);
    w.apply(&acquire("c2", "sku:42"), &mut out).unwrap();
    w.advance_to(5_000, &mut out); // five leases: only renewals keep c1's
    let (c1, c2) = (ix(&w, "c1"), ix(&w, "c2"));
    assert_eq!(w.lock_holders(&sku), vec![(c1, 1)]);
    assert_eq!(w.lock_waiters(&sku), vec![c2]);
    let owner = w.lock_placement(&sku)[0];
    let entry = w.lock_entry(owner, &sku).unwrap();
    assert_eq!(entry.holder.map(|h| h.client), Some(c1));
    assert_eq!(entry.queue.len(), 1);
    let edges = w.lock_wait_for();
    assert_eq!(
        edges,
        vec![((c2, None), (c1, None), sku)],
        "c2 waits for c1"
    );
    assert!(super::check::find_cycle(&edges).is_none());
    w.apply(
        &Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
            crate::sim::proto::locks::LockCmd::LockRelease {
                client: "c1".into(),
                resource: sku,
            },
        )),
        &mut out,
    )
    .unwrap();
    let mark = out.len();
    w.advance_to(5_100, &mut out);
    let grant = out[mark..].iter().find_map(|e| match e.what {
        What::Proto(crate::sim::proto::ProtoEv::Locks(LockEv::LockGrant {
            client,
            token,
            queued,
            ..
        })) => Some((client, token, queued)),
        _ => None,
    });
    assert_eq!(
        grant,
        Some((c2, 2, true)),
        "the lock travels to c2 with token 2"
    );
    assert_eq!(w.lock_holders(&sku), vec![(c2, 2)]);
    let s = w.lock_stats();
    assert_eq!((s.grants, s.handoffs, s.expiries), (2, 1, 0));
    assert!(s.wait_ms >= 4_900, "{s:?}");
    assert_eq!(w.lock_resources(), vec![sku]);
    let (db, storage) = w.storage().unwrap();
    assert_eq!(db, ix(&w, "db"));
    assert_eq!(storage.cell(&sku).map(|c| c.value), Some(10));
}

#[test]
fn commands_are_refused_with_the_reason() {
    let mut w = world(redis());
    let mut out = Vec::new();
    let err = |w: &mut World, c: Cmd| w.apply(&c, &mut Vec::new()).unwrap_err().to_string();
    assert!(err(&mut w, acquire("ghost", "a")).contains("ghost"));
    assert!(err(&mut w, acquire("A", "a")).contains("not a client"));
    w.apply(&acquire("c1", "a"), &mut out).unwrap();
    assert!(err(&mut w, acquire("c1", "a")).contains("already using a"));
    let rel = |c: &str, r: &str| {
        Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
            crate::sim::proto::locks::LockCmd::LockRelease {
                client: c.into(),
                resource: key(r),
            },
        ))
    };
    assert!(err(&mut w, rel("c2", "a")).contains("no lock on a"));
    let job = Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
        crate::sim::proto::locks::LockCmd::LockJob {
            client: "c2".into(),
            locks: vec![key("x")],
            work_ms: 10,
            write: Some(key("y")),
            wait_ms: None,
        },
    ));
    assert!(err(&mut w, job).contains("write y"));
    let long = Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
        crate::sim::proto::locks::LockCmd::LockJob {
            client: "c2".into(),
            locks: vec![key("x")],
            work_ms: 10_000_000,
            write: None,
            wait_ms: None,
        },
    ));
    assert!(err(&mut w, long).contains("work_ms"));
    w.apply(
        &Cmd::Pause {
            node: "c2".into(),
            ms: 100,
        },
        &mut out,
    )
    .unwrap();
    assert!(err(&mut w, acquire("c2", "b")).contains("paused"));
    w.apply(&Cmd::Crash { node: "c1".into() }, &mut out)
        .unwrap();
    assert!(err(&mut w, acquire("c1", "b")).contains("down"));
    assert!(err(&mut w, Cmd::WipeDisk { node: "A".into() }).contains("crash it first"));
    let mut plain = World::new(&WorldCfg {
        clients: vec!["c1".into()],
        servers: vec![ServerSpec {
            name: "A".into(),
            weight: 1.0,
        }],
        ..WorldCfg::default()
    })
    .unwrap();
    assert!(err(&mut plain, acquire("c1", "a")).contains("protocols.locks"));
    assert!(err(
        &mut plain,
        Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
            crate::sim::proto::locks::LockCmd::SetFencing { on: true }
        ))
    )
    .contains("protocols.locks"));
}

#[test]
fn fencing_can_be_switched_at_run_time_and_survives_a_storage_restart() {
    let mut w = world(redis());
    let mut out = Vec::new();
    w.apply(
        &Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
            crate::sim::proto::locks::LockCmd::SetFencing { on: true },
        )),
        &mut out,
    )
    .unwrap();
    assert_eq!(kinds(&out), ["fencing"]);
    w.apply(&Cmd::Crash { node: "db".into() }, &mut out)
        .unwrap();
    assert!(w.storage().is_none(), "no storage state while it is down");
    w.apply(&Cmd::Recover { node: "db".into() }, &mut out)
        .unwrap();
    assert!(w.storage().unwrap().1.fencing());
    assert_eq!(
        w.storage().unwrap().1.cell(&key("sku:42")).unwrap().value,
        10
    );
}

/// A lock server that persists keeps its holder across a restart; one whose disk is lost
/// grants the lock again: the "restart without persistence" lesson.
#[test]
fn restart_keeps_the_lock_only_with_its_disk() {
    for (wipe, holders) in [(false, 1), (true, 2)] {
        let mut w = world(redis());
        let mut out = Vec::new();
        let sku = key("sku:42");
        w.apply(&acquire("c1", "sku:42"), &mut out).unwrap();
        w.advance_to(100, &mut out);
        let owner = w.name(w.lock_placement(&sku)[0]);
        w.apply(
            &Cmd::Crash {
                node: owner.clone(),
            },
            &mut out,
        )
        .unwrap();
        if wipe {
            w.apply(
                &Cmd::WipeDisk {
                    node: owner.clone(),
                },
                &mut out,
            )
            .unwrap();
            assert_eq!(out.last().map(|e| e.what.kind()), Some("wipe_disk"));
        }
        w.advance_to(150, &mut out);
        w.apply(&Cmd::Recover { node: owner }, &mut out).unwrap();
        w.apply(&acquire("c2", "sku:42"), &mut out).unwrap();
        // Before c1's next renewal (every third of the lease) tells it the truth.
        w.advance_to(250, &mut out);
        assert_eq!(w.lock_holders(&sku).len(), holders, "wipe={wipe}");
    }
}

#[test]
fn clients_run_jobs_and_sequential_recipes_count_wakeups() {
    for recipe in [Recipe::Zookeeper, Recipe::Etcd, Recipe::Redlock] {
        let mut cfg = redis();
        cfg.recipe = recipe;
        cfg.masters = 3;
        let mut w = world(cfg);
        let mut out = Vec::new();
        for c in ["c1", "c2"] {
            w.apply(
                &Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
                    crate::sim::proto::locks::LockCmd::LockJob {
                        client: c.into(),
                        locks: vec![key("sku:42")],
                        work_ms: 100,
                        write: Some(key("sku:42")),
                        wait_ms: None,
                    },
                )),
                &mut out,
            )
            .unwrap();
        }
        w.advance_to(3_000, &mut out);
        let ends = out
            .iter()
            .filter(|e| {
                matches!(
                    e.what,
                    What::Proto(crate::sim::proto::ProtoEv::Locks(LockEv::JobEnd {
                        ok: true,
                        ..
                    }))
                )
            })
            .count();
        assert_eq!(ends, 2, "{recipe:?}: {:?}", kinds(&out));
        assert_eq!(
            w.storage().unwrap().1.cell(&key("sku:42")).unwrap().value,
            8
        );
        let s = w.lock_stats();
        assert_eq!(
            (s.grants, s.writes, s.unsafe_writes),
            (2, 2, 0),
            "{recipe:?}"
        );
        if recipe.sequential() {
            assert_eq!(s.wakeups, 1, "{recipe:?}: the second waiter woke once");
            let owner = w.lock_placement(&key("sku:42"))[0];
            assert!(matches!(w.lock_node(owner), Some(LockNode::Seq(_))));
        }
    }
}

/// Seeking back and forth through a lock run replays it exactly (the timeline checks each
/// regenerated event against the record in debug builds) and lands on an equal world.
#[test]
fn time_travel_replays_lock_runs() {
    let mut cfg = redis();
    cfg.fencing = true;
    let w = world(cfg);
    let mut tl = Timeline::new(w, 50);
    for (c, at) in [("c1", 0), ("c2", 30)] {
        tl.advance_to(at);
        tl.apply(Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
            crate::sim::proto::locks::LockCmd::LockJob {
                client: c.into(),
                locks: vec![key("sku:42")],
                work_ms: 300,
                write: Some(key("sku:42")),
                wait_ms: None,
            },
        )))
        .unwrap();
    }
    tl.advance_to(100);
    tl.apply(Cmd::Pause {
        node: "c1".into(),
        ms: 1_500,
    })
    .unwrap();
    tl.advance_to(3_000);
    let head = tl.world().clone();
    let trace = tl.trace().to_vec();
    for target in [Target::Event(10), Target::Time(1_200), Target::Event(3)] {
        tl.seek(target);
        tl.seek(Target::Head);
        assert_eq!(tl.world(), &head);
        assert_eq!(tl.trace(), &trace[..]);
    }
    tl.seek(Target::Time(1_200));
    assert!(tl.world().lock_stats().grants <= head.lock_stats().grants);
    assert!(trace.iter().any(|e| matches!(
        e.what,
        What::Proto(crate::sim::proto::ProtoEv::Locks(LockEv::StorageWrite {
            ok: false,
            ..
        }))
    )));
}

/// A waiter whose clock jumps a minute forward has still waited only a second: liveness and
/// the wait counter use virtual time, not the client's clock.
#[test]
fn liveness_is_judged_in_virtual_time() {
    let mut tl = Timeline::new(world(redis()), 1_000);
    tl.apply(acquire("c1", "sku:42")).unwrap();
    tl.advance_to(50);
    // Waiting forever: with a deadline, the jumped clock would make c2 give up at once.
    tl.apply(Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
        crate::sim::proto::locks::LockCmd::LockAcquire {
            client: "c2".into(),
            resource: key("sku:42"),
            wait_ms: Some(0),
        },
    )))
    .unwrap();
    tl.advance_to(100);
    tl.apply(Cmd::ClockJump {
        node: "c2".into(),
        delta_ms: 60_000,
    })
    .unwrap();
    tl.advance_to(1_050);
    tl.apply(Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
        crate::sim::proto::locks::LockCmd::LockRelease {
            client: "c1".into(),
            resource: key("sku:42"),
        },
    )))
    .unwrap();
    tl.advance_to(2_000);
    tl.finish();
    let waited = tl.trace().iter().find_map(|e| match e.what {
        What::Proto(crate::sim::proto::ProtoEv::Locks(LockEv::LockAcquired {
            queued: true,
            waited_ms,
            ..
        })) => Some(waited_ms),
        _ => None,
    });
    assert!(
        waited.is_some_and(|w| w > 60_000),
        "c2's own clock: {waited:?}"
    );
    let liveness = tl
        .checker()
        .results()
        .find(|(i, _)| i.name == "lock_liveness")
        .and_then(|(_, at)| at);
    assert_eq!(liveness, None);
    let s = tl.world().lock_stats();
    assert!((1_000..1_100).contains(&s.wait_ms), "{s:?}");
}
