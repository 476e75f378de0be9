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

// ----- the idempotent producer's epochs (KIP-360) -----

use super::wire::ProduceErr;
use crate::sim::event::{Event, What};
use crate::sim::proto::ProtoEv;

/// Runs a one-partition log (servers A–C, producer `shop`, consumer `c1`, 20 messages
/// every 50 ms from 100 ms, idempotent, no jitter) with `mq` settings and `schedule`
/// merged in: the trace and the message book.
fn run_log(mq: &str, schedule: &str) -> (Vec<Event>, Vec<super::MsgInfo>) {
    use crate::sim::timeline::Timeline;
    let text = format!(
        r#"{{"version": 4, "id": "t", "title": "t", "summary": "t", "seed": 1,
        "cluster": {{"servers": ["A", "B", "C"], "clients": ["shop", "c1"]}},
        "network": {{"base_ms": 1, "jitter_ms": 0}},
        "protocols": {{"mq": {{"partitions": 1, "rf": 2, "min_isr": 1, "producers": ["shop"],
          "consumers": ["c1"], "messages": 20, "produce_every_ms": 50, "start_ms": 100,
          "keys": 3, "idempotent": true, "fetch_ms": 10, {mq}}}}},
        "schedule": [{schedule}], "until_ms": 3000}}"#
    );
    let s = crate::sim::scenario::Scenario::decode(text.as_bytes()).expect("decodes");
    let mut tl = Timeline::new(s.build(None).expect("builds"), 1000);
    tl.advance_to(s.until_ms);
    (tl.trace().to_vec(), tl.world().mq().book.clone())
}

fn mq_evs(trace: &[Event]) -> impl Iterator<Item = (u64, &super::MqEv)> {
    trace.iter().filter_map(|e| match &e.what {
        What::Proto(ProtoEv::Mq(m)) => Some((e.t, m)),
        _ => None,
    })
}

fn bumps(trace: &[Event]) -> usize {
    mq_evs(trace)
        .filter(|(_, e)| matches!(e, super::MqEv::MqEpochBump { .. }))
        .count()
}

/// How often each message was appended by a leader.
fn appends(trace: &[Event], id: u32) -> usize {
    mq_evs(trace)
        .filter(|(_, e)| matches!(e, super::MqEv::MqAppend { id: i, .. } if *i == id))
        .count()
}

/// The producer cut off from every broker longer than its retries last gives up on
/// records; it bumps its epoch and the records produced after the heal are all accepted.
/// Before KIP-360 the producer kept its sequences: the first record after the heal was one
/// past a sequence no broker had, refused as out of order until it too was given up.
#[test]
fn a_given_up_record_bumps_the_epoch_and_later_records_are_accepted() {
    let (trace, book) = run_log(
        r#""request_timeout_ms": 60, "retries": 1, "retry_backoff_ms": 20"#,
        r#"{"at_ms": 290, "cmd": {"op": "partition", "side": ["shop"]}},
           {"at_ms": 600, "cmd": {"op": "heal"}}"#,
    );
    let failed: Vec<u32> = mq_evs(&trace)
        .filter_map(|(_, e)| match e {
            super::MqEv::MqProduceFailed { id } => Some(*id),
            _ => None,
        })
        .collect();
    assert!(!failed.is_empty(), "the cut must make the producer give up");
    assert!(bumps(&trace) >= 1, "no epoch bump");
    let words = super::MqEv::MqEpochBump { p: 0, epoch: 1 }.describe("shop", &|_| String::new());
    assert_eq!(words, "shop bumps its producer epoch to 1 (p0)");
    let late: Vec<&super::MsgInfo> = book.iter().filter(|m| m.at > 620).collect();
    assert!(late.len() >= 4, "{late:?}");
    for m in &late {
        assert!(
            m.acked.is_some(),
            "a record produced after the heal is refused: {m:?}"
        );
        assert!(m.epoch >= 1, "{m:?}");
    }
    // The first record sent under the new epoch starts at the first sequence.
    assert_eq!(late.iter().map(|m| m.seq).min(), Some(1), "{late:?}");
    let ooo_after_heal = mq_evs(&trace).any(|(t, e)| {
        t > 700
            && matches!(
                e,
                super::MqEv::MqProduceError {
                    err: ProduceErr::OutOfOrderSequence,
                    ..
                }
            )
    });
    assert!(!ooo_after_heal, "out-of-order refusals after the heal");
    // Dedupe still holds: nothing is appended twice.
    for m in 1..=book.len() as u32 {
        assert!(appends(&trace, m) <= 1, "m{m} appended twice");
    }
}

/// A record given up on whose acknowledgement was only late (it was written) while a later
/// record was acknowledged resolves the partition without a bump (the ack arrives after the
/// request timeout: 60 ms hops from 290 to 380 ms, retries 0, acks=1).
#[test]
fn a_given_up_record_that_was_written_resolves_without_a_bump() {
    let (trace, book) = run_log(
        r#""acks": "1", "request_timeout_ms": 100, "retries": 0"#,
        r#"{"at_ms": 290, "cmd": {"op": "set_latency", "base_ms": 60, "jitter_ms": 0}},
           {"at_ms": 380, "cmd": {"op": "set_latency", "base_ms": 1, "jitter_ms": 0}}"#,
    );
    let failed: Vec<u32> = mq_evs(&trace)
        .filter_map(|(_, e)| match e {
            super::MqEv::MqProduceFailed { id } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(
        appends(&trace, failed[0]),
        1,
        "the given-up record was written"
    );
    assert_eq!(bumps(&trace), 0);
    for (i, m) in book.iter().enumerate() {
        assert_eq!(m.acked.is_none(), i as u32 + 1 == failed[0], "{m:?}");
        assert_eq!(m.epoch, 0, "{m:?}");
    }
    assert!(book
        .iter()
        .filter(|m| m.at > 400)
        .all(|m| m.acked.is_some()));
}

/// The leader's producer state: within an epoch a retried sequence it has is a duplicate
/// (dropped, not appended twice) and a gap is refused; a produce under an epoch older than
/// the partition's latest is fenced; a newer epoch must start at the first sequence.
#[test]
fn the_leader_dedupes_within_an_epoch_and_fences_a_stale_one() {
    use super::broker::producer_check;
    let log = [(0, (0, 1)), (1, (0, 2)), (2, (0, 3))];
    let check = |l: &[(u64, (u32, u32))], label| producer_check(l.iter().copied(), label);
    assert_eq!(check(&log, (0, 2)), Ok(Some(1)), "a retry is a duplicate");
    assert_eq!(
        check(&log, (0, 4)),
        Ok(None),
        "the next sequence is appended"
    );
    assert_eq!(check(&log, (0, 5)), Err(ProduceErr::OutOfOrderSequence));
    assert_eq!(check(&[], (0, 1)), Ok(None));
    assert_eq!(check(&[], (0, 2)), Err(ProduceErr::OutOfOrderSequence));
    // A bumped epoch starts again at the first sequence, whatever the old one reached.
    assert_eq!(check(&log, (1, 1)), Ok(None));
    assert_eq!(check(&log, (1, 4)), Err(ProduceErr::OutOfOrderSequence));
    let bumped = [(0, (0, 1)), (1, (0, 2)), (2, (1, 1)), (3, (1, 2))];
    assert_eq!(
        check(&bumped, (1, 2)),
        Ok(Some(3)),
        "dedupe within the new epoch"
    );
    assert_eq!(check(&bumped, (1, 3)), Ok(None));
    // The old epoch is fenced, even for a sequence the log has under it.
    assert_eq!(
        check(&bumped, (0, 2)),
        Err(ProduceErr::InvalidProducerEpoch)
    );
    assert_eq!(
        check(&bumped, (0, 3)),
        Err(ProduceErr::InvalidProducerEpoch)
    );
}
