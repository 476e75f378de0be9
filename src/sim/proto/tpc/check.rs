//! The two-phase commit invariants: pure predicates over the world and the trace, each
//! reporting the events that show a violation (offender first).

use super::event::{How, TpcEv};
use super::wire::TxId;
use crate::sim::event::{Event, What};
use crate::sim::invariant::{Class, Invariant, Verdict};
use crate::sim::world::World;

/// The commit-protocol invariants, in the order reports list them.
pub fn invariants() -> Vec<Invariant> {
    vec![
        Invariant {
            name: "atomicity",
            explain: "no transaction is committed by one participant and aborted by another",
            class: Class::Protocol,
            check: atomicity,
            at_end: None,
        },
        Invariant {
            name: "commit_after_logged_decision",
            explain: "no participant commits before a commit decision is in some log",
            class: Class::Protocol,
            check: commit_after_decision,
            at_end: None,
        },
        Invariant {
            name: "conservation",
            explain: "whenever no transaction is open: stock + units sold = initial stock, and balances + amounts paid = initial money",
            class: Class::Protocol,
            check: conservation,
            at_end: Some(conservation_at_end),
        },
        Invariant {
            name: "locks_only_in_flight",
            explain: "a shard's locks are held only by transactions it has voted YES on and not yet finished",
            class: Class::Protocol,
            check: locks_only_in_flight,
            at_end: None,
        },
    ]
}

fn tpc(e: &Event) -> Option<&TpcEv> {
    match &e.what {
        What::Proto(crate::sim::proto::ProtoEv::Tpc(ev)) => Some(ev),
        _ => None,
    }
}

fn last_before(trace: &[Event], i: usize, pred: impl Fn(&Event) -> bool) -> Option<usize> {
    trace[..i].iter().rposition(pred)
}

/// A participant outcome event of `tx` (commit or abort as asked).
fn outcome_of(trace: &[Event], i: usize, tx: TxId, commit: bool) -> Option<usize> {
    last_before(trace, i, |x| match tpc(x) {
        Some(TpcEv::TpcCommit { tx: t, .. }) => commit && *t == tx,
        Some(TpcEv::TpcAbort { tx: t, .. }) => !commit && *t == tx,
        _ => false,
    })
}

fn atomicity(w: &World, trace: &[Event], i: usize) -> Verdict {
    let (tx, commit) = match tpc(&trace[i]) {
        Some(TpcEv::TpcCommit { tx, .. }) => (*tx, true),
        Some(TpcEv::TpcAbort { tx, .. }) => (*tx, false),
        _ => return Ok(()),
    };
    let Some(o) = w.tpc_stats().outcomes(tx) else {
        return Ok(());
    };
    if o.committed.is_empty() || o.aborted.is_empty() {
        return Ok(());
    }
    Err(std::iter::once(i)
        .chain(outcome_of(trace, i, tx, !commit))
        .collect())
}

fn commit_after_decision(w: &World, trace: &[Event], i: usize) -> Verdict {
    let Some(TpcEv::TpcCommit { tx, .. }) = tpc(&trace[i]) else {
        return Ok(());
    };
    if w.tpc_stats().outcomes(*tx).is_some_and(|o| o.decided.0) {
        return Ok(());
    }
    let vote = last_before(trace, i, |x| {
        matches!(tpc(x), Some(TpcEv::TpcVote { tx: t, .. }) if t == tx) && x.node == trace[i].node
    });
    Err(std::iter::once(i).chain(vote).collect())
}

/// The totals, if every server is up and none holds an open (in-doubt) transaction.
fn imbalance(w: &World) -> Option<(i64, i64)> {
    let cfg = w.tpc_cfg()?;
    let t = w.tpc_totals()?;
    let stock0: i64 = cfg.stock.values().sum();
    let money0: i64 = cfg.balances.values().sum();
    let ds = t.stock + t.sold - stock0;
    let dm = t.money + t.paid - money0;
    (ds != 0 || dm != 0).then_some((ds, dm))
}

fn damage(trace: &[Event], i: usize) -> Option<usize> {
    last_before(trace, i, |x| match tpc(x) {
        Some(TpcEv::TpcCommit { how, .. }) | Some(TpcEv::TpcAbort { how, .. }) => {
            *how == How::Heuristic
        }
        Some(TpcEv::TpcMismatch { .. }) => true,
        _ => false,
    })
}

fn conservation(w: &World, trace: &[Event], i: usize) -> Verdict {
    match tpc(&trace[i]) {
        Some(TpcEv::TpcCommit { .. })
        | Some(TpcEv::TpcAbort { .. })
        | Some(TpcEv::TpcEnd { .. })
        | Some(TpcEv::TpcMismatch { .. }) => {}
        _ => return Ok(()),
    }
    match imbalance(w) {
        None => Ok(()),
        Some(_) => Err(std::iter::once(i).chain(damage(trace, i)).collect()),
    }
}

fn conservation_at_end(w: &World, trace: &[Event]) -> Verdict {
    match imbalance(w) {
        None => Ok(()),
        Some(_) => Err(damage(trace, trace.len()).into_iter().collect()),
    }
}

fn locks_only_in_flight(w: &World, trace: &[Event], i: usize) -> Verdict {
    let e = &trace[i];
    match (tpc(e), e.node) {
        (
            Some(TpcEv::TpcVote { .. } | TpcEv::TpcCommit { .. } | TpcEv::TpcAbort { .. }),
            Some(n),
        ) => {
            let Some(s) = w.tpc_shard(n) else {
                return Ok(());
            };
            let stray = s
                .locks()
                .values()
                .find(|tx| !s.parts().get(tx).is_some_and(|p| p.in_doubt()));
            match stray {
                None => Ok(()),
                Some(&tx) => Err(std::iter::once(i)
                    .chain(last_before(trace, i, |x| {
                        x.node == Some(n) && tpc(x).is_some_and(|ev| ev.tx() == tx)
                    }))
                    .collect()),
            }
        }
        _ => Ok(()),
    }
}
