//! Two-phase commit through the world's public API: outcomes on the rows, what each
//! variant costs, recovery from the log, duplicates, topology changes, refusals, and
//! replay from snapshots.

use super::view::OrderOutcome;
use super::{Heuristic, TpcCfg, Variant};
use crate::sim::cmd::Cmd;
use crate::sim::event::{Event, What};
use crate::sim::ids::ResKey;
use crate::sim::proto::tpc::Item;
use crate::sim::proto::tpc::{NoWhy, TpcEv};
use crate::sim::testkit::cluster;
use crate::sim::timeline::{Target, Timeline};
use crate::sim::world::{ServerSpec, World, WorldCfg};

fn key(s: &str) -> ResKey {
    ResKey::new(s).unwrap()
}

/// The built-in scenarios' cluster: order:1 on C, sku:4 on B, account:4 on D, tx:1
/// coordinated by A (ring-chosen).
fn cfg(variant: Variant) -> TpcCfg {
    let mut c = TpcCfg::new(variant);
    c.stock.insert(key("sku:4"), 5);
    c.stock.insert(key("sku:2"), 5);
    c.balances.insert(key("account:4"), 100);
    c
}

fn world(c: TpcCfg, seed: u64) -> World {
    cluster(&["A", "B", "C", "D"])
        .seed(seed)
        .clients(&["web"])
        .latency(5, 2)
        .protocols(|p| p.tpc = Some(c))
        .world()
}

fn checkout(qty: u32, amount: i64) -> Cmd {
    Cmd::Proto(crate::sim::proto::ProtoCmd::Tpc(
        crate::sim::proto::tpc::TpcCmd::Checkout {
            client: "web".into(),
            items: vec![Item {
                sku: key("sku:4"),
                qty,
            }],
            account: key("account:4"),
            amount,
            fail_payment: false,
        },
    ))
}

fn ix(w: &World, n: &str) -> u32 {
    w.node_ix(n).unwrap()
}

fn tpc_events(out: &[Event]) -> Vec<&TpcEv> {
    out.iter()
        .filter_map(|e| match &e.what {
            What::Proto(crate::sim::proto::ProtoEv::Tpc(ev)) => Some(ev),
            _ => None,
        })
        .collect()
}

fn run(w: &mut World, until: u64) -> Vec<Event> {
    let mut out = Vec::new();
    w.advance_to(until, &mut out);
    out
}

#[test]
fn a_commit_moves_stock_and_money_into_the_sale_and_frees_every_lock() {
    let mut w = world(cfg(Variant::Classic), 1);
    let mut out = Vec::new();
    w.apply(&checkout(2, 20), &mut out).unwrap();
    let order = w.tpc_orders().get(1).unwrap().clone();
    assert_eq!(
        (order.coord, order.shards()),
        (ix(&w, "A"), vec![ix(&w, "B"), ix(&w, "C"), ix(&w, "D")])
    );
    run(&mut w, 2_000);
    assert_eq!(w.tpc_outcome(1), OrderOutcome::Committed);
    let b = w.tpc_shard(ix(&w, "B")).unwrap();
    assert_eq!(b.rows().get(&key("sku:4")).copied().unwrap(), 3);
    assert_eq!(
        w.tpc_shard(ix(&w, "D"))
            .unwrap()
            .rows()
            .get(&key("account:4"))
            .copied()
            .unwrap(),
        80
    );
    assert_eq!(
        w.tpc_shard(ix(&w, "C"))
            .unwrap()
            .sales()
            .get(&1)
            .copied()
            .unwrap(),
        (2, 20)
    );
    assert!(w.tpc_locks_of(1).is_empty());
    let t = w.tpc_totals().unwrap();
    assert_eq!((t.stock, t.sold, t.money, t.paid), (8, 2, 80, 20));
    let s = w.tpc_stats();
    assert_eq!((s.committed, s.aborted, s.orders), (1, 0, 1));
    // 1 BEGIN + 3 work + 3 PREPARE + 3 votes + 3 COMMIT + 1 done + 3 acks.
    assert_eq!(s.messages, 17);
    // 3 prepare + 1 decision + 3 outcomes forced; the end record is lazy.
    assert_eq!((s.forced_writes, s.lazy_writes), (7, 1));
    // The coordinator's log: the decision on disk, the end record still buffered.
    let log = w.tpc_log(ix(&w, "A"));
    assert_eq!(log.iter().filter(|(_, on_disk)| !on_disk).count(), 1);
    assert_eq!(w.tpc_phase(ix(&w, "B"), 1), Some("committed"));
}

/// Same workload (one order refused by B, one committed) under each variant: presumed
/// abort saves the abort's forced write and acks, presumed commit the commit's acks and
/// the participants' forced commit records (at the price of a forced "collecting").
#[test]
fn the_variants_differ_in_forced_writes_and_messages() {
    let cost = |v: Variant| {
        let mut w = world(cfg(v), 1);
        let mut out = Vec::new();
        w.apply(&checkout(9, 90), &mut out).unwrap();
        run(&mut w, 1_000);
        w.apply(&checkout(1, 10), &mut out).unwrap();
        run(&mut w, 3_000);
        assert_eq!(w.tpc_outcome(1), OrderOutcome::Aborted, "{v:?}");
        assert_eq!(w.tpc_outcome(2), OrderOutcome::Committed, "{v:?}");
        let s = w.tpc_stats();
        (s.forced_writes, s.messages)
    };
    let (classic, pa, pc, three) = (
        cost(Variant::Classic),
        cost(Variant::PresumedAbort),
        cost(Variant::PresumedCommit),
        cost(Variant::ThreePhase),
    );
    assert!(
        pa.0 < classic.0 && pa.1 < classic.1,
        "{pa:?} vs {classic:?}"
    );
    assert!(pc.1 < classic.1, "{pc:?} vs {classic:?}");
    assert!(three.0 > classic.0 && three.1 > classic.1, "{three:?}");
}

#[test]
fn a_no_vote_names_its_reason_and_aborts_everywhere() {
    let mut w = world(cfg(Variant::Classic), 1);
    let mut out = Vec::new();
    w.apply(&checkout(9, 90), &mut out).unwrap();
    out.extend(run(&mut w, 2_000));
    assert!(tpc_events(&out).iter().any(|e| matches!(
        e,
        TpcEv::TpcVote {
            yes: false,
            why: Some(NoWhy::OutOfStock),
            ..
        }
    )));
    assert_eq!(w.tpc_outcome(1), OrderOutcome::Aborted);
    let mut fail = checkout(1, 10);
    if let Cmd::Proto(crate::sim::proto::ProtoCmd::Tpc(
        crate::sim::proto::tpc::TpcCmd::Checkout { fail_payment, .. },
    )) = &mut fail
    {
        *fail_payment = true;
    }
    out.clear();
    w.apply(&fail, &mut out).unwrap();
    out.extend(run(&mut w, 4_000));
    assert!(tpc_events(&out).iter().any(|e| matches!(
        e,
        TpcEv::TpcVote {
            why: Some(NoWhy::PaymentFailed),
            ..
        }
    )));
    assert_eq!(w.tpc_totals().unwrap().stock, 10, "nothing moved");
}

#[test]
fn an_in_doubt_participant_keeps_its_locks_across_a_restart_then_commits() {
    let mut w = world(cfg(Variant::Classic), 1);
    let mut out = Vec::new();
    run(&mut w, 100); // same timing as the built-in scenarios
    w.apply(&checkout(1, 10), &mut out).unwrap();
    run(&mut w, 115); // B voted YES at 114
    w.apply(&Cmd::Crash { node: "B".into() }, &mut out).unwrap();
    run(&mut w, 600);
    assert_eq!(
        w.tpc_outcome(1),
        OrderOutcome::Committed,
        "C and D committed"
    );
    assert!(w.tpc_shard(ix(&w, "B")).is_none(), "B is down");
    let b = ix(&w, "B");
    assert!(w.tpc_in_doubt().iter().any(|&(n, tx, _)| (n, tx) == (b, 1)));
    out.clear();
    w.apply(&Cmd::Recover { node: "B".into() }, &mut out)
        .unwrap();
    assert!(tpc_events(&out)
        .iter()
        .any(|e| matches!(e, TpcEv::TpcRecover { tx: 1, .. })));
    assert_eq!(
        w.tpc_locks_of(1),
        vec![(b, key("sku:4"))],
        "rebuilt from the log"
    );
    assert_eq!(w.tpc_phase(b, 1), Some("prepared"));
    run(&mut w, 2_000);
    assert_eq!(w.tpc_phase(b, 1), Some("committed"));
    assert!(w.tpc_locks_of(1).is_empty());
    assert!(w.tpc_in_doubt().is_empty());
    assert!(w.tpc_stats().max_in_doubt_ms >= 480);
}

#[test]
fn duplicated_messages_change_nothing() {
    for seed in 0..20 {
        let mut w = world(cfg(Variant::Classic), seed);
        let mut out = Vec::new();
        w.apply(&Cmd::SetDup { dup: 0.5 }, &mut out).unwrap();
        w.apply(&checkout(1, 10), &mut out).unwrap();
        out.extend(run(&mut w, 3_000));
        let commits = tpc_events(&out)
            .iter()
            .filter(|e| matches!(e, TpcEv::TpcCommit { .. }))
            .count();
        assert_eq!(commits, 3, "seed {seed}: each participant commits once");
        assert_eq!(w.tpc_totals().unwrap().stock, 9, "seed {seed}");
    }
}

/// The transaction is bound to the shards chosen at BEGIN: a ring change mid-flight does
/// not move it, and rows do not move with the ring, so a later order routed to the new
/// owner of a key finds no row there and is refused.
#[test]
fn ring_changes_do_not_move_an_open_transaction_or_its_rows() {
    let mut w = world(cfg(Variant::Classic), 1);
    let mut out = Vec::new();
    run(&mut w, 100);
    w.apply(&checkout(1, 10), &mut out).unwrap();
    run(&mut w, 110); // PREPARE sent, not yet at B
    w.apply(&Cmd::FailNode { node: "B".into() }, &mut out)
        .unwrap();
    run(&mut w, 1_000);
    assert_eq!(
        w.tpc_outcome(1),
        OrderOutcome::Committed,
        "B still took part"
    );
    out.clear();
    w.apply(&checkout(1, 10), &mut out).unwrap();
    let o = w.tpc_orders().get(2).unwrap().clone();
    assert_ne!(o.lines[0].shard, ix(&w, "B"), "sku:4 routes elsewhere now");
    out.extend(run(&mut w, 2_000));
    assert!(tpc_events(&out).iter().any(|e| matches!(
        e,
        TpcEv::TpcVote {
            why: Some(NoWhy::NoRow),
            ..
        }
    )));
    assert_eq!(w.tpc_outcome(2), OrderOutcome::Aborted);
}

#[test]
fn a_heuristic_abort_is_a_split_outcome() {
    let mut c = cfg(Variant::Classic);
    c.heuristic = Some(Heuristic::Abort);
    c.heuristic_ms = 500;
    let mut w = world(c, 1);
    let mut out = Vec::new();
    run(&mut w, 100);
    w.apply(&checkout(1, 10), &mut out).unwrap();
    run(&mut w, 121); // A decided COMMIT at 120
    w.apply(&Cmd::Isolate { node: "B".into() }, &mut out)
        .unwrap();
    run(&mut w, 2_000);
    assert_eq!(w.tpc_outcome(1), OrderOutcome::Split);
    assert_eq!(w.tpc_stats().heuristic, 1);
}

#[test]
fn bad_checkouts_are_refused_with_the_field() {
    let mut w = world(cfg(Variant::Classic), 1);
    let mut out = Vec::new();
    let e = w.apply(&checkout(0, 10), &mut out).unwrap_err().to_string();
    assert!(e.starts_with("items"), "{e}");
    let e = w.apply(&checkout(1, -1), &mut out).unwrap_err().to_string();
    assert!(e.starts_with("amount"), "{e}");
    let mut bad = checkout(1, 10);
    if let Cmd::Proto(crate::sim::proto::ProtoCmd::Tpc(
        crate::sim::proto::tpc::TpcCmd::Checkout { client, .. },
    )) = &mut bad
    {
        *client = "A".into();
    }
    assert!(w
        .apply(&bad, &mut out)
        .unwrap_err()
        .to_string()
        .contains("client"));
    let mut plain = World::new(&WorldCfg {
        servers: vec![ServerSpec {
            name: "A".into(),
            weight: 1.0,
        }],
        clients: vec!["web".into()],
        ..WorldCfg::default()
    })
    .unwrap();
    let e = plain
        .apply(&checkout(1, 10), &mut out)
        .unwrap_err()
        .to_string();
    assert!(e.contains("protocols.tpc"), "{e}");
    assert!(out.is_empty(), "refusals change nothing");
}

#[test]
fn seeking_replays_the_same_world() {
    let mut c = cfg(Variant::PresumedCommit);
    c.workload = Some(super::Workload {
        client: "web".into(),
        rate_per_s: 50,
        items: 2,
        hot: 0.5,
        pay_fail: 0.1,
        price: 10,
        from_ms: 0,
        until_ms: None,
    });
    c.stock.insert(key("sku:1"), 50);
    let mut tl = Timeline::new(world(c, 3), 200);
    tl.apply(Cmd::Crash { node: "C".into() }).unwrap();
    tl.advance_to(400);
    tl.apply(Cmd::Recover { node: "C".into() }).unwrap();
    tl.advance_to(3_000);
    let head = tl.world().clone();
    assert!(head.tpc_stats().orders > 50, "{}", head.tpc_stats().orders);
    tl.seek(Target::Time(1_000));
    tl.seek(Target::Head);
    assert!(tl.world() == &head);
}

/// A heuristic COMMIT while the coordinator is gone and nothing was decided commits with
/// no decision in any log: `commit_after_logged_decision` catches it.
#[test]
fn a_heuristic_commit_without_a_decision_is_caught() {
    use crate::sim::invariant::Checker;
    let mut c = cfg(Variant::Classic);
    c.heuristic = Some(Heuristic::Commit);
    c.heuristic_ms = 500;
    let mut tl = Timeline::with_checker(world(c, 1), Checker::builtin(), usize::MAX);
    tl.advance_to(100);
    tl.apply(checkout(1, 10)).unwrap();
    tl.advance_to(115); // every vote sent, none arrived: nothing decided
    tl.apply(Cmd::Crash { node: "A".into() }).unwrap();
    tl.advance_to(2_000);
    let broken: Vec<&str> = tl.checker().broken();
    assert!(
        broken.contains(&"commit_after_logged_decision"),
        "{broken:?}"
    );
    assert_eq!(tl.world().tpc_stats().heuristic, 3);
}
