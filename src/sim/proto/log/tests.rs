//! Unit tests of the log: the assignors and the pure checkers.

use super::broker::assign;
use super::cfg::Assign;
use super::check::{duplicated, lost, order_flags};
use super::state::Delivery;

fn d(consumer: u32, p: u32, off: u64, id: u32) -> Delivery {
    Delivery {
        consumer,
        p,
        off,
        id,
        t: 0,
        dead: false,
        resume: false,
    }
}

#[test]
fn range_and_sticky_share_four_partitions_among_three() {
    let prev = [(1, 0b0011), (2, 0b1100), (3, 0)];
    assert_eq!(
        assign(Assign::Range, 4, &prev),
        vec![(1, 0b0011), (2, 0b0100), (3, 0b1000)]
    );
    // Sticky keeps what each had as far as balance allows: only p3 moves.
    assert_eq!(
        assign(Assign::Sticky, 4, &prev),
        vec![(1, 0b0011), (2, 0b0100), (3, 0b1000)]
    );
    let prev = [(1, 0b0101), (2, 0b1010), (3, 0)];
    let s = assign(Assign::Sticky, 4, &prev);
    assert_eq!(s[0].1 & 0b0101, s[0].1, "{s:?}");
    assert_eq!(s[1].1 & 0b1010, s[1].1, "{s:?}");
    assert_eq!(s.iter().fold(0, |a, x| a | x.1), 0b1111);
    assert_eq!(assign(Assign::Range, 4, &[]), vec![]);
}

#[test]
fn checkers_name_each_anomaly() {
    let mut resume = d(1, 0, 0, 0);
    resume.resume = true;
    let h = [
        resume,
        d(1, 0, 0, 10),
        d(1, 0, 2, 12),
        d(1, 0, 1, 11),
        d(1, 0, 1, 11),
    ];
    assert_eq!(duplicated(&h), vec![11]);
    assert_eq!(lost(&[10, 11, 12, 13], &h), vec![13]);
    let f = order_flags(&h);
    assert_eq!(
        f,
        vec![
            (false, false),
            (false, false),
            (false, true),
            (true, false),
            (true, false)
        ]
    );
}

fn scenario(file: &str) -> crate::sim::scenario::Scenario {
    let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(path).expect("scenario file");
    crate::sim::scenario::Scenario::decode(&bytes).expect("decodes")
}

fn set(setting: &str, value: &str) -> crate::sim::cmd::Cmd {
    crate::sim::cmd::Cmd::Proto(crate::sim::proto::ProtoCmd::Mq(super::MqCmd::MqSet {
        setting: setting.into(),
        value: value.into(),
    }))
}

/// The panel's flow: the run loses a message under commit-before; back at 600 ms (before the
/// crash) switching commit to after forks there, and the same crash now reprocesses instead.
#[test]
fn switching_commit_mode_in_the_past_forks_and_the_crash_reprocesses() {
    use crate::sim::timeline::{Target, Timeline};
    let s = scenario("mq-commit-before-crash.json");
    let mut tl = Timeline::new(s.build(None).expect("builds"), 1000);
    tl.advance_to(s.until_ms);
    let a = super::check::anomalies(tl.world().mq());
    assert_eq!((a.lost.len(), a.duplicated.len()), (1, 0), "{a:?}");
    tl.seek(Target::Time(600));
    let before_fork = tl.trace().len();
    tl.apply(set("commit", "after")).expect("applies");
    assert_eq!(tl.forks().len(), 1);
    assert_eq!(
        tl.world().cfg::<super::Mq>().map(|c| c.commit),
        Some(super::CommitMode::After)
    );
    tl.advance_to(s.until_ms);
    let a = super::check::anomalies(tl.world().mq());
    assert!(a.lost.is_empty(), "{a:?}");
    assert!(!a.duplicated.is_empty(), "{a:?}");
    // The past is kept: the trace up to the fork is the same, and the switch is in it.
    assert!(tl.trace().len() > before_fork);
    assert!(tl.trace().iter().any(|e| matches!(
        &e.what,
        crate::sim::event::What::Proto(crate::sim::proto::ProtoEv::Mq(
            super::MqEv::MqSet { setting, value }
        )) if setting == "commit" && value == "after"
    )));
    // Seeking back before the fork shows the old setting again.
    tl.seek(Target::Time(100));
    assert_eq!(
        tl.world().cfg::<super::Mq>().map(|c| c.commit),
        Some(super::CommitMode::Before)
    );
}

#[test]
fn a_bad_setting_is_refused_with_its_choices() {
    use crate::sim::timeline::Timeline;
    let s = scenario("mq-commit-before-crash.json");
    let mut tl = Timeline::new(s.build(None).expect("builds"), 1000);
    let e = tl.apply(set("commit", "sometimes")).expect_err("refused");
    assert!(e.to_string().contains("before, after"), "{e}");
    let e = tl.apply(set("colour", "red")).expect_err("refused");
    assert!(e.to_string().contains("unknown setting"), "{e}");
    let mut c = super::MqCfg::default();
    assert!(c.set("min_isr", "3").is_ok());
    c.rf = 2;
    assert!(c.set("min_isr", "3").is_err());
    for (name, words) in super::cfg::SETTINGS {
        for w in *words {
            let mut c = super::MqCfg::default();
            if c.set(name, w).is_ok() {
                assert_eq!(c.get(name), *w, "{name}");
            }
        }
    }
}

/// Switching eager to cooperative and back mid-run keeps the group consuming: every
/// acknowledged message is still processed (commit after, no crash).
#[test]
fn switching_the_rebalance_protocol_mid_run_finishes_the_rebalance() {
    use crate::sim::timeline::Timeline;
    let s = scenario("mq-rebalance-eager-vs-cooperative.json");
    for (first, then) in [("cooperative", "eager"), ("eager", "cooperative")] {
        let mut tl = Timeline::new(s.build(None).expect("builds"), 1000);
        tl.apply(set("rebalance", first)).expect("applies");
        let mut t = 0;
        let mut flip = false;
        while t < s.until_ms {
            t += 37;
            tl.advance_to(t.min(s.until_ms));
            if tl.world().mq().stall_since.iter().any(Option::is_some) && !flip {
                tl.apply(set("rebalance", then)).expect("applies");
                flip = true;
            }
        }
        assert!(flip, "no rebalance seen");
        let a = super::check::anomalies(tl.world().mq());
        assert!(a.lost.is_empty(), "{first}→{then}: {a:?}");
        assert!(
            tl.world().mq().stall_since.iter().all(Option::is_none),
            "{first}→{then}: a partition still stands still"
        );
    }
}

#[test]
fn the_pinned_assignor_gives_each_node_its_own_partition_only() {
    use super::broker::pinned;
    // Partitions 0..3 pinned to nodes 4, 1, 2 (the configured consumers, in order).
    let pins = [Some(4), Some(1), Some(2)];
    let members = [(1, 0), (2, 0b1), (4, 0)];
    assert_eq!(
        pinned(3, &members, &pins),
        vec![(1, 0b10), (2, 0b100), (4, 0b1)]
    );
    // Node 4 out of the group: its partition stays unassigned, nobody else takes it.
    assert_eq!(pinned(3, &members[..2], &pins), vec![(1, 0b10), (2, 0b100)]);
    // A member that is no configured consumer gets nothing.
    assert_eq!(pinned(3, &[(9, 0)], &pins), vec![(9, 0)]);
}
