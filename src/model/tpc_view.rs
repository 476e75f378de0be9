//! What the 2PC UI shows at the playhead, derived from the world once and read by both the
//! canvas overlay and the 2PC panel, so the two always agree: each node's part in each open
//! transaction, the tail of its log, the locks it holds, and each order's outcome.

use crate::sim::event::{Event, What};
use crate::sim::ids::ResKey;
use crate::sim::proto::tpc::view::OrderOutcome;
use crate::sim::proto::tpc::{
    CoordPhase, DecidedBy, How, NoWhy, Phase, RecKind, TpcEv, TxId, TxRecord, Variant,
};
use crate::sim::runner::play;
use crate::sim::scenario::Scenario;
use crate::sim::text::group_digits;
use crate::sim::time::{fmt_ms, Time};
use crate::sim::world::{NodeIx, Role, Status, World};

/// The variants in the order the UI lists them, with their labels.
pub const VARIANTS: [(Variant, &str); 4] = [
    (Variant::Classic, "classic 2PC"),
    (Variant::PresumedAbort, "presumed abort"),
    (Variant::PresumedCommit, "presumed commit"),
    (Variant::ThreePhase, "three-phase"),
];

/// How many log records a node's stack shows: enough for one transaction's story.
pub const LOG_SHOWN: usize = 4;

/// One node's part in one open transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct TxHere {
    /// The transaction.
    pub tx: TxId,
    /// Where the node stands: "working", "prepared", "pre-committed" (participant),
    /// "coordinator · votes", "coordinator · COMMIT, acks", … (coordinator).
    pub phase: &'static str,
    /// A coordinator's count: (votes or acks received, participants).
    pub count: Option<(usize, usize)>,
    /// Since when it is in doubt (voted YES, no outcome), crashes included.
    pub doubt_since: Option<Time>,
}

/// One server as the 2PC layer shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeTpc {
    /// The server.
    pub ix: NodeIx,
    /// Its open transactions: as participant, then as coordinator, each by id.
    pub txs: Vec<TxHere>,
    /// Keys it has locked (rebuilt from the log after a crash, so empty while down).
    pub locks: Vec<ResKey>,
    /// The last [`LOG_SHOWN`] transaction records of its log (rows left out), oldest
    /// first, each with whether it is on disk (false: in the volatile buffer).
    pub log: Vec<(TxRecord, bool)>,
}

/// Every server's 2PC state (empty without 2PC).
pub fn node_rows(w: &World) -> Vec<NodeTpc> {
    if w.tpc_cfg().is_none() {
        return Vec::new();
    }
    let doubt = w.tpc_in_doubt();
    let mut out = Vec::new();
    for (i, n) in w.nodes().iter().enumerate() {
        let ix = i as NodeIx;
        if n.role != Role::Server || n.status == Status::Removed {
            continue;
        }
        let mut txs: Vec<TxHere> = Vec::new();
        let mut locks = Vec::new();
        let here = |tx: TxId, phase, count| TxHere {
            tx,
            phase,
            count,
            doubt_since: doubt.iter().find(|d| d.0 == ix && d.1 == tx).map(|d| d.2),
        };
        if let Some(s) = w.tpc_shard(ix) {
            for (tx, p) in s.parts().iter() {
                let phase = match p.phase {
                    Phase::Working => "working",
                    Phase::Prepared => "prepared",
                    Phase::PreCommitted => "pre-committed",
                };
                txs.push(here(*tx, phase, None));
            }
            for (tx, c) in s.coords().iter() {
                let phase = match c.phase {
                    CoordPhase::Collecting => "coordinator · votes",
                    CoordPhase::PreCommitting => "coordinator · pre-acks",
                    CoordPhase::Acking(true) => "coordinator · COMMIT, acks",
                    CoordPhase::Acking(false) => "coordinator · ABORT, acks",
                    CoordPhase::Recovering => "coordinator · recovering",
                };
                txs.push(here(*tx, phase, Some((c.got.len(), c.shards.len()))));
            }
            locks = s.locks().iter().map(|(k, _)| *k).collect();
        } else {
            // Down: still in doubt in its log.
            for d in doubt.iter().filter(|d| d.0 == ix) {
                txs.push(here(d.1, "prepared", None));
            }
        }
        let mut log: Vec<(TxRecord, bool)> = w
            .tpc_log(ix)
            .into_iter()
            .filter(|(r, _)| r.tx != 0)
            .collect();
        log.drain(..log.len().saturating_sub(LOG_SHOWN));
        out.push(NodeTpc {
            ix,
            txs,
            locks,
            log,
        });
    }
    out
}

/// "■ T1 prepared" (forced), "□ T1 end" (lazy), "□ T1 end · volatile" (not on disk yet).
pub fn rec_text(r: &TxRecord, on_disk: bool) -> String {
    format!(
        "{} T{} {}{}",
        if r.forced { '■' } else { '□' },
        r.tx,
        r.kind.label(),
        if on_disk { "" } else { " · volatile" }
    )
}

/// "T1 prepared · in doubt 1,240 ms", "T2 coordinator · votes 1/3" at virtual time `now`.
pub fn phase_text(t: &TxHere, now: Time) -> String {
    let mut s = format!("T{} {}", t.tx, t.phase);
    if let Some((got, of)) = t.count {
        s.push_str(&format!(" {got}/{of}"));
    }
    if let Some(since) = t.doubt_since {
        s.push_str(" · in doubt ");
        s.push_str(&fmt_ms(now.saturating_sub(since)));
    }
    s
}

/// One order as the UI lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderRow {
    /// The transaction.
    pub tx: TxId,
    /// Its coordinator.
    pub coord: NodeIx,
    /// Its participants.
    pub shards: Vec<NodeIx>,
    /// What became of it so far.
    pub outcome: OrderOutcome,
    /// Why it aborted, in a few words (from the trace).
    pub why: Option<&'static str>,
    /// Participants in doubt about it now.
    pub in_doubt: Vec<NodeIx>,
}

fn no_why(w: NoWhy) -> &'static str {
    match w {
        NoWhy::LockBusy => "lock busy",
        NoWhy::OutOfStock => "out of stock",
        NoWhy::NoFunds => "no funds",
        NoWhy::PaymentFailed => "payment failed",
        NoWhy::NoRow => "no row",
        NoWhy::AlreadyAborted => "already aborted",
    }
}

/// Every order submitted so far, with its outcome; `trace` (the events up to the
/// playhead) gives the abort reasons: the first NO vote, else how the abort was decided,
/// else the coordinator's presumption (none with an empty trace).
pub fn order_rows(w: &World, trace: &[Event]) -> Vec<OrderRow> {
    let doubt = w.tpc_in_doubt();
    let mut rows: Vec<OrderRow> = w
        .tpc_orders()
        .all()
        .map(|o| OrderRow {
            tx: o.tx,
            coord: o.coord,
            shards: o.shards(),
            outcome: w.tpc_outcome(o.tx),
            why: None,
            in_doubt: doubt.iter().filter(|d| d.1 == o.tx).map(|d| d.0).collect(),
        })
        .collect();
    let mut strong_seen = vec![false; rows.len()];
    for e in trace {
        let What::Proto(crate::sim::proto::ProtoEv::Tpc(ev)) = &e.what else {
            continue;
        };
        let why = match *ev {
            TpcEv::TpcVote { why: Some(w), .. } => Some((no_why(w), true)),
            TpcEv::TpcDecide {
                commit: false, by, ..
            } => Some((
                match by {
                    DecidedBy::Timeout => "vote timeout",
                    DecidedBy::Recovery => "coordinator recovered undecided",
                    DecidedBy::Termination => "terminated by participants",
                    DecidedBy::Asked => "asked while collecting",
                    _ => "NO vote",
                },
                false,
            )),
            TpcEv::TpcAbort {
                how: How::Unilateral,
                ..
            } => Some(("PREPARE timeout", false)),
            TpcEv::TpcAbort {
                how: How::Heuristic,
                ..
            } => Some(("heuristic", true)),
            _ => None,
        };
        let Some((text, strong)) = why else { continue };
        let k = (ev.tx() as usize).wrapping_sub(1);
        if let (Some(r), Some(seen)) = (rows.get_mut(k), strong_seen.get_mut(k)) {
            // The first NO vote (or heuristic decision) is the cause; others a fallback.
            if r.why.is_none() || (strong && !*seen) {
                r.why = Some(text);
                *seen |= strong;
            }
        }
    }
    // Aborted with no decision event: the coordinator knew nothing and presumed (an
    // empty trace means reasons are not wanted: the canvas's sentence).
    for r in &mut rows {
        if r.outcome == OrderOutcome::Aborted && r.why.is_none() && !trace.is_empty() {
            r.why = Some("nothing logged, presumed");
        }
    }
    rows
}

/// "committed", "aborted: lock busy", "in doubt on B, C, D", "open", "SPLIT".
pub fn outcome_text(r: &OrderRow, name: &dyn Fn(NodeIx) -> String) -> String {
    if !r.in_doubt.is_empty() && r.outcome != OrderOutcome::Split {
        let who: Vec<String> = r.in_doubt.iter().map(|&n| name(n)).collect();
        return format!("in doubt on {}", who.join(", "));
    }
    match (r.outcome, r.why) {
        (OrderOutcome::Committed, _) => "committed".into(),
        (OrderOutcome::Aborted, Some(w)) => format!("aborted: {w}"),
        (OrderOutcome::Aborted, None) => "aborted".into(),
        (OrderOutcome::Split, _) => "SPLIT".into(),
        (OrderOutcome::Open, _) => "open".into(),
    }
}

/// 2PC in one sentence for the canvas's text alternative: "2PC: T1 in doubt on B, C, D
/// holding sku:4, order:1, account:4; T2 aborted". Lists the last 4 orders and
/// every one still in doubt. Empty without 2PC.
pub fn describe_tpc(w: &World) -> String {
    if w.tpc_cfg().is_none() {
        return String::new();
    }
    let name = |ix: NodeIx| w.name(ix);
    let rows = order_rows(w, &[]);
    let mut s = "2PC:".to_string();
    for (k, r) in rows.iter().enumerate() {
        if k + 4 < rows.len() && r.in_doubt.is_empty() {
            continue;
        }
        s.push_str(if s.ends_with(':') { " T" } else { "; T" });
        s.push_str(&format!("{} {}", r.tx, outcome_text(r, &name)));
        let locks: Vec<String> = w
            .tpc_locks_of(r.tx)
            .iter()
            .map(|(_, k)| k.to_string())
            .collect();
        if !locks.is_empty() {
            s.push_str(" holding ");
            s.push_str(&locks.join(", "));
        }
    }
    if rows.is_empty() {
        s.push_str(" no orders");
    }
    s
}

/// The run's counters at the playhead as (label, value) for the panel. Committed and
/// aborted count orders by their participants' outcome (an abort a restarted coordinator
/// only presumed is no decision event); time in doubt includes the stays still running,
/// so it grows while participants are blocked.
pub fn counters(w: &World) -> Vec<(&'static str, String)> {
    let st = w.tpc_stats();
    let now = w.now();
    let mut total = st.in_doubt_ms;
    for (_, _, since) in w.tpc_in_doubt() {
        total += now.saturating_sub(since);
    }
    let (mut committed, mut aborted) = (0, 0);
    for o in w.tpc_orders().all() {
        match w.tpc_outcome(o.tx) {
            OrderOutcome::Committed => committed += 1,
            OrderOutcome::Aborted => aborted += 1,
            _ => {}
        }
    }
    let g = group_digits;
    vec![
        ("orders", g(st.orders)),
        ("committed", g(committed)),
        ("aborted", g(aborted)),
        ("messages", g(st.messages)),
        ("forced writes", g(st.forced_writes)),
        ("in doubt (ms)", g(total)),
        (
            "committed/s",
            format!("{:.1}", committed as f64 * 1000.0 / now.max(1) as f64),
        ),
    ]
}

/// The same scenario on another variant, validated like a file: switching variant is a
/// new scenario, not a command, since every log written so far would mean something else.
pub fn with_variant(s: &Scenario, v: Variant) -> Result<Scenario, String> {
    let mut out = s.clone();
    out.protocols
        .tpc
        .as_mut()
        .ok_or("this scenario has no 2PC")?
        .variant = v;
    out.validate().map_err(|e| e.to_string())?;
    Ok(out)
}

/// Plays the scenario once per variant to its end (same seed, same schedule): what each
/// costs and which stays atomic, as the table's cells: variant, committed / aborted,
/// messages, forced writes, time in doubt (ms), committed/s, invariants broken ("none").
pub fn compare_variants(s: &Scenario) -> Result<Vec<Vec<String>>, String> {
    let mut out = Vec::new();
    for &(v, label) in &VARIANTS {
        let sc = with_variant(s, v)?;
        let tl = play(&sc, None, sc.until_ms)?;
        let st = tl.world().tpc_stats();
        let broken: Vec<&str> = tl.checker().broken();
        out.push(vec![
            label.into(),
            format!("{} / {}", st.committed, st.aborted),
            group_digits(st.messages),
            group_digits(st.forced_writes),
            group_digits(st.in_doubt_ms),
            format!("{:.1}", st.throughput(sc.until_ms)),
            if broken.is_empty() {
                "none".into()
            } else {
                broken.join(", ")
            },
        ]);
    }
    Ok(out)
}

/// Whether a log record is one the stack should stress: a decision or an outcome.
pub fn is_decision(r: &TxRecord) -> bool {
    matches!(r.kind, RecKind::Decision { .. } | RecKind::Outcome { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::timeline::Timeline;

    fn scenario(file: &str) -> Scenario {
        let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
        Scenario::decode(&std::fs::read(path).unwrap()).unwrap()
    }

    fn played(file: &str, t: Time) -> Timeline {
        let s = scenario(file);
        let mut tl = Timeline::new(s.build(None).unwrap(), usize::MAX);
        tl.advance_to(t);
        tl
    }

    fn node<'a>(w: &World, rows: &'a [NodeTpc], n: &str) -> &'a NodeTpc {
        let ix = w.node_ix(n).unwrap();
        rows.iter().find(|r| r.ix == ix).unwrap()
    }

    #[test]
    fn coordinator_crash_shows_participants_in_doubt_holding_locks_then_the_abort() {
        let tl = played("tpc-coordinator-crash.json", 2_000);
        let w = tl.world();
        let nodes = node_rows(w);
        assert_eq!(nodes.len(), 4);
        let a = node(w, &nodes, "A");
        assert!(a.txs.is_empty() && a.log.is_empty(), "{a:?}");
        for n in ["B", "C", "D"] {
            let r = node(w, &nodes, n);
            let t = &r.txs[0];
            assert_eq!((t.tx, t.phase), (1, "prepared"), "{n}: {r:?}");
            let since = t.doubt_since.expect("in doubt");
            assert!(since < 200, "{since}");
            assert!(
                phase_text(t, 2_000).starts_with("T1 prepared · in doubt 1,8"),
                "{}",
                phase_text(t, 2_000)
            );
            assert_eq!(r.locks.len(), 1, "{n}");
            let texts: Vec<String> = r.log.iter().map(|(x, d)| rec_text(x, *d)).collect();
            assert!(texts.contains(&"■ T1 prepared".to_string()), "{texts:?}");
        }
        let orders = order_rows(w, tl.trace());
        assert_eq!(orders.len(), 2);
        let name = |ix| w.name(ix);
        assert_eq!(outcome_text(&orders[0], &name), "in doubt on B, C, D");
        assert_eq!(outcome_text(&orders[1], &name), "aborted: lock busy");
        let c = counters(w);
        assert_eq!(c[0], ("orders", "2".to_string()));
        assert_eq!(c[2], ("aborted", "1".to_string()), "T1 is still open");
        let doubt: u64 = c[5].1.replace(',', "").parse().unwrap();
        assert!(doubt > 3 * 1_800, "{c:?}");
        let text = describe_tpc(w);
        assert!(
            text.starts_with("2PC: T1 in doubt on B, C, D holding ")
                && text.contains("sku:4")
                && text.contains("T2 aborted"),
            "{text}"
        );

        // After A restarts and answers ABORT: nobody in doubt, no locks, the reason told.
        let tl = played("tpc-coordinator-crash.json", 4_000);
        let w = tl.world();
        let nodes = node_rows(w);
        assert!(nodes.iter().all(|n| n.txs.is_empty() && n.locks.is_empty()));
        let orders = order_rows(w, tl.trace());
        assert_eq!(orders[0].outcome, OrderOutcome::Aborted);
        assert!(orders[0].in_doubt.is_empty());
        assert_eq!(
            outcome_text(&orders[0], &|ix| w.name(ix)),
            "aborted: nothing logged, presumed"
        );
        let text = describe_tpc(w);
        assert!(!text.contains("in doubt"), "{text}");
        assert_eq!(
            counters(w)[2],
            ("aborted", "2".to_string()),
            "T1's presumed abort counts"
        );
        let b = node(w, &nodes, "B");
        let last = b.log.last().unwrap();
        assert!(is_decision(&last.0), "{b:?}");
        assert!(rec_text(&last.0, last.1).contains("T1 aborted"), "{b:?}");
    }

    #[test]
    fn a_crashed_participant_stays_in_doubt_and_a_coordinator_counts_votes() {
        let s = scenario("tpc-participant-recovers-prepared.json");
        let mut tl = Timeline::new(s.build(None).unwrap(), usize::MAX);
        let mut seen_down = false;
        let mut seen_coord = false;
        for t in (0..s.until_ms).step_by(10) {
            tl.advance_to(t);
            let w = tl.world();
            for n in node_rows(w) {
                let down = w.node(n.ix).is_some_and(|x| x.status == Status::Down);
                if down && n.txs.iter().any(|t| t.doubt_since.is_some()) {
                    seen_down = true;
                    assert!(n.locks.is_empty(), "a down node holds nothing in memory");
                }
                seen_coord |= n.txs.iter().any(|t| t.phase.starts_with("coordinator · "));
            }
        }
        assert!(seen_down && seen_coord);
    }

    #[test]
    fn variants_switch_and_compare_on_the_same_schedule() {
        let s = scenario("tpc-coordinator-crash.json");
        let runs = compare_variants(&s).unwrap();
        assert_eq!(runs.len(), 4);
        assert_eq!(runs[0][0], "classic 2PC");
        assert!(
            runs.iter()
                .all(|r| r[1].starts_with("0 / ") && r[6] == "none"),
            "{runs:?}"
        );
        // Presumed abort forces fewer records than classic on an aborted order.
        let forced = |k: usize| runs[k][3].parse::<u64>().unwrap();
        assert!(forced(1) < forced(0), "{runs:?}");
        let pc = with_variant(&s, Variant::PresumedCommit).unwrap();
        assert_eq!(
            pc.protocols.tpc.as_ref().unwrap().variant,
            Variant::PresumedCommit
        );
        let split = compare_variants(&scenario("tpc-3pc-split.json")).unwrap();
        assert!(split[3][6].contains("atomicity"), "{split:?}");
        assert!(with_variant(&scenario("gc-pause.json"), Variant::Classic).is_err());
        let w = scenario("gc-pause.json").build(None).unwrap();
        assert!(node_rows(&w).is_empty() && describe_tpc(&w).is_empty());
    }
}
