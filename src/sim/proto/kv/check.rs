//! The store's invariants over the run's history: no acknowledged write lost, no read older
//! than an acknowledged write, and the history linearizable (Wing–Gong/Lowe checker). Each
//! names the trace events that show a violation.

use super::{Kv, KvEv, Mode, OpF, Phase};
use crate::sim::event::{Event, What};
use crate::sim::history::linearizable::{Outcome, Report};
use crate::sim::invariant::{Class, Invariant, Verdict};
use crate::sim::proto::ProtoEv;
use crate::sim::world::World;

/// The store's properties, in the order reports list them.
pub fn invariants() -> Vec<Invariant> {
    vec![
        Invariant {
            name: "no_lost_acked_write",
            explain: "every acknowledged write survives: it is part of its key's final history (primary) or stored by some replica (Dynamo)",
            class: Class::Protocol,
            check: |_, _, _| Ok(()),
            at_end: Some(no_lost_acked_write),
        },
        Invariant {
            name: "no_stale_read",
            explain: "no read returns a value older than a write acknowledged before the read began",
            class: Class::Protocol,
            check: no_stale_read,
            at_end: None,
        },
        Invariant {
            name: "linearizable",
            explain: "the clients' history of reads, writes and compare-and-sets is linearizable (per key)",
            class: Class::Protocol,
            check: |_, _, _| Ok(()),
            at_end: Some(linearizable),
        },
    ]
}

fn kv(e: &Event) -> Option<&KvEv> {
    match &e.what {
        What::Proto(ProtoEv::Kv(ev)) => Some(ev),
        _ => None,
    }
}

/// The trace index of the ok of the write of `value`.
fn ack_of(trace: &[Event], value: i64) -> Option<usize> {
    trace.iter().position(|e| {
        matches!(kv(e), Some(KvEv::KvOp { phase: Phase::Ok, f: OpF::Write | OpF::Cas, value: Some(v), .. }) if *v == value)
    })
}

fn no_lost_acked_write(w: &World, trace: &[Event]) -> Verdict {
    let dynamo = w.cfg::<Kv>().is_some_and(|c| c.mode == Mode::Dynamo);
    if w.shared::<Kv>().cart {
        return Ok(());
    }
    let lost = w.shared::<Kv>().lost(dynamo);
    if lost.is_empty() {
        return Ok(());
    }
    let mut wit: Vec<usize> = lost.iter().filter_map(|(_, v)| ack_of(trace, *v)).collect();
    if wit.is_empty() {
        wit.push(trace.len().saturating_sub(1));
    }
    Err(wit)
}

fn no_stale_read(w: &World, trace: &[Event], i: usize) -> Verdict {
    let Some(KvEv::KvOp {
        op,
        phase: Phase::Ok,
        f: OpF::Read,
        ..
    }) = kv(&trace[i])
    else {
        return Ok(());
    };
    let Some(node) = trace[i].node else {
        return Ok(());
    };
    if w.shared::<Kv>().stale.contains(&(node, *op)) {
        return Err(vec![i]);
    }
    Ok(())
}

/// The end-of-run invariant the page checks in slices instead of at load (its search may
/// take seconds on a heavy history); natively it runs with the others.
pub const SLICED: &str = "linearizable";

fn linearizable(w: &World, trace: &[Event]) -> Verdict {
    verdict_of(&w.shared::<Kv>().verdict(), trace)
}

/// The `linearizable` invariant's verdict given the checker's report on the run's history
/// (the same whether the report came in one go or in slices): the failing window's invokes
/// as witnesses.
pub fn verdict_of(report: &Report, trace: &[Event]) -> Verdict {
    let Outcome::NotLinearizable(f) = &report.outcome else {
        return Ok(());
    };
    // Witnesses: the blocked operation's invoke, then the rest of its window's invokes.
    let invoke_of = |proc_: u64, line: usize| {
        let mut seen = 0usize;
        trace.iter().position(|e| {
            if kv(e).is_some_and(|k| matches!(k, KvEv::KvOp { .. })) {
                seen += 1;
            }
            seen == line && e.node.map(|n| n as u64) == Some(proc_)
        })
    };
    let mut wit: Vec<usize> = std::iter::once(&f.op)
        .chain(f.window.iter().filter(|o| o.id != f.op.id))
        .filter_map(|o| invoke_of(o.process, o.line))
        .collect();
    if wit.is_empty() {
        wit.push(trace.len().saturating_sub(1));
    }
    Err(wit)
}
