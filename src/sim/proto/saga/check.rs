//! The saga's invariants: every saga ends completed or fully compensated (`saga_settled`),
//! nobody is charged twice or charged for an order that was given up (`no_double_charge`),
//! stock and money are conserved whenever every saga has settled (`saga_conservation`), and
//! no order acts on units a saga held pending and then gave back (`no_dirty_read`).

use super::event::SagaEv;
use super::wire::Effect;
use super::Saga;
use crate::sim::event::{Event, What};
use crate::sim::invariant::{Class, Invariant, Verdict};
use crate::sim::proto::ProtoEv;
use crate::sim::world::World;

/// The invariants, in the order reports list them.
pub fn invariants() -> Vec<Invariant> {
    vec![
        Invariant {
            name: "saga_settled",
            explain: "every saga ends completed or fully compensated (no units held, nothing charged) by the end of the run",
            class: Class::Protocol,
            check: settled,
            at_end: Some(settled_at_end),
        },
        Invariant {
            name: "no_double_charge",
            explain: "no order is charged twice, nor charged once its saga was compensated",
            class: Class::Protocol,
            check: double_charge,
            at_end: None,
        },
        Invariant {
            name: "saga_conservation",
            explain: "whenever every saga has settled: stock + units of completed orders = initial stock, and balances + amounts of completed orders = initial money",
            class: Class::Protocol,
            check: conservation,
            at_end: None,
        },
        Invariant {
            name: "no_dirty_read",
            explain: "no order reads a row around units another saga holds pending and later gives back",
            class: Class::Protocol,
            check: dirty_read,
            at_end: None,
        },
    ]
}

fn saga_ev(e: &Event) -> Option<&SagaEv> {
    match &e.what {
        What::Proto(ProtoEv::Saga(ev)) => Some(ev),
        _ => None,
    }
}

fn start_of(trace: &[Event], i: usize, order: u32) -> Option<usize> {
    trace[..i].iter().rposition(
        |e| matches!(saga_ev(e), Some(SagaEv::SagaStart { order: o, .. }) if *o == order),
    )
}

fn settled(w: &World, trace: &[Event], i: usize) -> Verdict {
    let Some(SagaEv::SagaEnd {
        order,
        completed: false,
        ..
    }) = saga_ev(&trace[i])
    else {
        return Ok(());
    };
    let s = w.saga();
    let o = *order as usize;
    let residue = s.held.get(o).copied().unwrap_or(0) != 0
        || s.charged.get(o).copied().unwrap_or(0) != 0
        || s.shipped.get(o).copied().unwrap_or(false);
    if residue {
        return Err(std::iter::once(i)
            .chain(start_of(trace, i, *order))
            .collect());
    }
    Ok(())
}

fn settled_at_end(w: &World, trace: &[Event]) -> Verdict {
    let s = w.saga();
    let open = s
        .book
        .iter()
        .enumerate()
        .find(|(_, r)| r.started.is_some() && r.ended.is_none());
    match open {
        Some((order, _)) => {
            let at = start_of(trace, trace.len(), order as u32);
            Err(at.into_iter().collect())
        }
        None => Ok(()),
    }
}

fn double_charge(w: &World, trace: &[Event], i: usize) -> Verdict {
    let order = match saga_ev(&trace[i]) {
        Some(SagaEv::SagaTxn {
            effect: Effect::Charge { order, .. },
            ..
        }) => *order,
        Some(SagaEv::SagaEnd {
            order,
            completed: false,
            ..
        }) => *order,
        _ => return Ok(()),
    };
    let s = w.saga();
    let o = order as usize;
    let twice = s.charges.get(o).copied().unwrap_or(0) > 1;
    let given_up = s
        .book
        .get(o)
        .is_some_and(|r| r.ended.is_some_and(|(_, c)| !c))
        && s.charged.get(o).copied().unwrap_or(0) != 0;
    if twice || given_up {
        let first = trace[..i].iter().position(|e| {
            matches!(saga_ev(e), Some(SagaEv::SagaTxn { effect: Effect::Charge { order: x, .. }, .. }) if *x == order)
        });
        return Err(std::iter::once(i).chain(first).collect());
    }
    Ok(())
}

fn conservation(w: &World, trace: &[Event], i: usize) -> Verdict {
    if !matches!(
        saga_ev(&trace[i]),
        Some(SagaEv::SagaEnd { .. } | SagaEv::SagaTxn { .. })
    ) {
        return Ok(());
    }
    let (Some(cfg), s) = (w.cfg::<Saga>(), w.saga()) else {
        return Ok(());
    };
    if !s.all_settled() {
        return Ok(());
    }
    let completed = s
        .book
        .iter()
        .filter(|r| r.ended.is_some_and(|(_, c)| c))
        .count() as i64;
    let stock_ok =
        s.stock.iter().sum::<i64>() + completed * cfg.units as i64 == cfg.initial_stock();
    let money_ok = s.balance.iter().sum::<i64>() + completed * cfg.amount() == cfg.initial_money();
    if stock_ok && money_ok {
        Ok(())
    } else {
        Err(vec![i])
    }
}

fn dirty_read(_: &World, trace: &[Event], i: usize) -> Verdict {
    let Some(SagaEv::SagaDirtyRead { order, writer }) = saga_ev(&trace[i]) else {
        return Ok(());
    };
    let read = trace[..i].iter().rposition(|e| {
        matches!(saga_ev(e), Some(SagaEv::SagaRead { order: o, writer: w, .. }) if o == order && w == writer)
    });
    Err(std::iter::once(i).chain(read).collect())
}
