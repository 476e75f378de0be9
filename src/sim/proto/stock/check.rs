//! The flash-sale invariants: never promise more than K units nor let a row go negative, and
//! conserve units (stock left + units the shards sold = K).

use super::event::StockEv;
use super::{Stock, Strategy};
use crate::sim::event::{Event, What};
use crate::sim::invariant::{Class, Invariant, Verdict};
use crate::sim::proto::locks::LockEv;
use crate::sim::proto::ProtoEv;
use crate::sim::world::World;

/// The invariants, in the order reports list them.
pub fn invariants() -> Vec<Invariant> {
    vec![
        Invariant {
            name: "no_oversell",
            explain:
                "units promised to buyers never exceed the K on sale, and stock never goes negative",
            class: Class::Protocol,
            check: no_oversell,
            at_end: None,
        },
        Invariant {
            name: "stock_conservation",
            explain: "after every write: units left + units the shards sold = K",
            class: Class::Protocol,
            check: conservation,
            at_end: None,
        },
    ]
}

fn stock_ev(e: &Event) -> Option<&StockEv> {
    match &e.what {
        What::Proto(ProtoEv::Stock(ev)) => Some(ev),
        _ => None,
    }
}

fn lock_ev(e: &Event) -> Option<&LockEv> {
    match &e.what {
        What::Proto(ProtoEv::Locks(ev)) => Some(ev),
        _ => None,
    }
}

fn no_oversell(w: &World, trace: &[Event], i: usize) -> Verdict {
    let Some(cfg) = w.cfg::<Stock>() else {
        return Ok(());
    };
    let k = cfg.stock;
    match stock_ev(&trace[i]) {
        Some(StockEv::StockSold { total, .. }) if *total > k => {
            let first = trace[..i].iter().position(
                |e| matches!(stock_ev(e), Some(StockEv::StockSold { total, .. }) if *total > k),
            );
            return Err(std::iter::once(i).chain(first).collect());
        }
        Some(StockEv::StockRow { stock, .. }) if *stock < 0 => return Err(vec![i]),
        _ => {}
    }
    if cfg.strategy != Strategy::LockManager {
        return Ok(());
    }
    // Lock-manager buyers are lock jobs: every job that ended well sold one unit.
    match lock_ev(&trace[i]) {
        Some(LockEv::JobEnd { ok: true, .. }) => {
            let done: Vec<usize> = trace[..=i]
                .iter()
                .enumerate()
                .filter(|(_, e)| matches!(lock_ev(e), Some(LockEv::JobEnd { ok: true, .. })))
                .map(|(j, _)| j)
                .collect();
            if done.len() as i64 > k {
                let mut wit = vec![i];
                wit.extend(done.iter().rev().skip(1).take(2));
                return Err(wit);
            }
            Ok(())
        }
        Some(LockEv::StorageWrite { key, value, .. }) if *key == cfg.sku && *value < 0 => {
            Err(vec![i])
        }
        _ => Ok(()),
    }
}

fn conservation(w: &World, trace: &[Event], i: usize) -> Verdict {
    let Some(cfg) = w.cfg::<Stock>() else {
        return Ok(());
    };
    match stock_ev(&trace[i]) {
        Some(StockEv::StockRow {
            stock_total,
            taken_total,
            ..
        }) if stock_total + taken_total != cfg.stock => Err(vec![i]),
        _ => Ok(()),
    }
}
