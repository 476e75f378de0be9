//! The lock invariants: pure predicates over the world and the trace, each reporting the
//! events that show a violation (offender first).

use super::event::LockEv;
use super::view::Txn;
use super::ResKey;
use crate::sim::event::{Event, What};
use crate::sim::invariant::{Class, Invariant, Verdict};
use crate::sim::world::{NodeIx, World};

/// The lock invariants, in the order reports list them.
pub fn invariants() -> Vec<Invariant> {
    vec![
        Invariant {
            name: "lock_exclusive",
            explain: "at most one client believes it holds a lock at any instant",
            class: Class::Protocol,
            check: exclusive,
            at_end: None,
        },
        Invariant {
            name: "no_stale_write",
            explain: "storage never accepts a write whose token is lower than one it has seen",
            class: Class::Protocol,
            check: no_stale_write,
            at_end: None,
        },
        Invariant {
            name: "no_lost_update",
            explain: "every counter equals its initial value minus the writes storage accepted",
            class: Class::Protocol,
            check: no_lost_update,
            at_end: None,
        },
        Invariant {
            name: "no_deadlock",
            explain: "no cycle of clients each waiting for a lock another one holds",
            class: Class::Protocol,
            check: no_deadlock,
            at_end: None,
        },
        Invariant {
            name: "lock_liveness",
            explain: "every waiter is granted or gives up within stuck_ms (checked when it does, and at the end of the run)",
            class: Class::Protocol,
            check: liveness,
            at_end: Some(liveness_at_end),
        },
    ]
}

fn lock(e: &Event) -> Option<&LockEv> {
    match &e.what {
        What::Proto(crate::sim::proto::ProtoEv::Locks(ev)) => Some(ev),
        _ => None,
    }
}

fn last_before(trace: &[Event], i: usize, pred: impl Fn(&Event) -> bool) -> Option<usize> {
    trace[..i].iter().rposition(pred)
}

/// The last `lock_request` of `res` by `client` before `i`.
fn request_of(trace: &[Event], i: usize, client: NodeIx, res: &ResKey) -> Option<usize> {
    last_before(trace, i, |x| {
        x.node == Some(client)
            && matches!(lock(x), Some(LockEv::LockRequest { res: r, .. }) if r == res)
    })
}

fn exclusive(w: &World, trace: &[Event], i: usize) -> Verdict {
    let e = &trace[i];
    let (Some(LockEv::LockAcquired { res, .. }), Some(c)) = (lock(e), e.node) else {
        return Ok(());
    };
    let others: Vec<NodeIx> = w
        .lock_holders(res)
        .into_iter()
        .map(|(d, _)| d)
        .filter(|&d| d != c)
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let mut witnesses = vec![i];
    for d in others {
        witnesses.extend(last_before(trace, i, |x| {
            x.node == Some(d)
                && matches!(lock(x), Some(LockEv::LockAcquired { res: r, .. }) if r == res)
        }));
    }
    Err(witnesses)
}

fn no_stale_write(_: &World, trace: &[Event], i: usize) -> Verdict {
    let Some(&LockEv::StorageWrite {
        key,
        token,
        seen,
        ok: true,
        ..
    }) = lock(&trace[i])
    else {
        return Ok(());
    };
    if token >= seen {
        return Ok(());
    }
    let newer = last_before(trace, i, |x| match lock(x) {
        Some(LockEv::StorageRead {
            key: k,
            token: t,
            ok: true,
            ..
        })
        | Some(LockEv::StorageWrite {
            key: k,
            token: t,
            ok: true,
            ..
        }) => *k == key && *t == seen,
        _ => false,
    });
    Err(std::iter::once(i).chain(newer).collect())
}

fn no_lost_update(w: &World, trace: &[Event], i: usize) -> Verdict {
    let Some(&LockEv::StorageWrite {
        key,
        value,
        ok: true,
        writes,
        ..
    }) = lock(&trace[i])
    else {
        return Ok(());
    };
    let initial = w
        .lock_cfg()
        .and_then(|c| c.stock.get(&key).copied())
        .unwrap_or(0);
    if value == initial.saturating_sub(writes as i64) {
        return Ok(());
    }
    let write_of = |want: Option<i64>| {
        last_before(trace, i, |x| {
            matches!(lock(x), Some(LockEv::StorageWrite { key: k, ok: true, value: v, .. })
                if *k == key && want.is_none_or(|want| *v == want))
        })
    };
    // The update this write overwrote: an earlier accepted write of the same value.
    let overwritten = write_of(Some(value)).or_else(|| write_of(None));
    Err(std::iter::once(i).chain(overwritten).collect())
}

fn no_deadlock(w: &World, trace: &[Event], i: usize) -> Verdict {
    match lock(&trace[i]) {
        Some(LockEv::LockRequest { .. })
        | Some(LockEv::LockAcquired { .. })
        | Some(LockEv::LockQueue { .. }) => {}
        _ => return Ok(()),
    }
    let edges = w.lock_wait_for();
    let Some(cycle) = find_cycle(&edges) else {
        return Ok(());
    };
    let mut witnesses = vec![i];
    for ((client, _), res) in cycle {
        witnesses.extend(request_of(trace, i, client, &res));
    }
    Err(witnesses)
}

/// A cycle in the wait-for graph as (waiter, lock it waits for), if any.
pub fn find_cycle(edges: &[(Txn, Txn, ResKey)]) -> Option<Vec<(Txn, ResKey)>> {
    let mut starts: Vec<Txn> = edges.iter().map(|e| e.0).collect();
    // (node, Some(client)) after (node, None), as the tuple's own order has it.
    crate::sim::sort::sort_dedup_by_u64(&mut starts, |&(n, c)| {
        (u64::from(n) << 33) | c.map_or(0, |c| u64::from(c) + 1)
    });
    for start in starts {
        // Depth-first from `start` through transactions ordered after it, looking for a
        // path back to it (each cycle is found from its smallest member).
        let mut path: Vec<(Txn, ResKey)> = Vec::new();
        let mut stack: Vec<(Txn, usize)> = vec![(start, 0)];
        let mut on_path = vec![start];
        while let Some((node, next)) = stack.pop() {
            let out: Vec<&(Txn, Txn, ResKey)> = edges.iter().filter(|e| e.0 == node).collect();
            if next >= out.len() {
                on_path.pop();
                path.pop();
                continue;
            }
            stack.push((node, next + 1));
            let (_, to, res) = *out[next];
            if to == start {
                path.push((node, res));
                return Some(path);
            }
            if !on_path.contains(&to) && to > start {
                path.push((node, res));
                on_path.push(to);
                stack.push((to, 0));
            }
        }
    }
    None
}

fn stuck_ms(w: &World) -> u64 {
    w.lock_cfg().map_or(u64::MAX, |c| c.params().stuck_ms)
}

/// Virtual ms `client` has been waiting for `res` at virtual time `now`.
fn waited(w: &World, client: NodeIx, res: &ResKey, now: u64) -> u64 {
    w.lock_stats()
        .waiting_since(client, res)
        .map_or(0, |t| now.saturating_sub(t))
}

fn liveness(w: &World, trace: &[Event], i: usize) -> Verdict {
    let e = &trace[i];
    let (Some(LockEv::LockAcquired { res, .. } | LockEv::LockTimeout { res, .. }), Some(c)) =
        (lock(e), e.node)
    else {
        return Ok(());
    };
    if waited(w, c, res, e.t) <= stuck_ms(w) {
        return Ok(());
    }
    Err(std::iter::once(i)
        .chain(request_of(trace, i, c, res))
        .collect())
}

fn liveness_at_end(w: &World, trace: &[Event]) -> Verdict {
    let bound = stuck_ms(w);
    for (ix, c) in w.lock_clients() {
        if !w.is_active(ix) {
            continue;
        }
        for s in c.slots().iter().filter(|s| s.waiting()) {
            if waited(w, ix, &s.res, w.now()) > bound {
                let at = request_of(trace, trace.len(), ix, &s.res);
                return Err(at.into_iter().collect());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_wait_for_cycles() {
        let r = |s: &str| ResKey::new(s).unwrap();
        let (a, b) = (r("sku:42"), r("account:7"));
        let t = |c: NodeIx| (c, Some(1));
        assert!(find_cycle(&[(t(1), t(2), a)]).is_none());
        let c = find_cycle(&[(t(1), t(2), a), (t(2), t(1), b)]).unwrap();
        assert_eq!(c, vec![(t(1), a), (t(2), b)]);
        let c = find_cycle(&[(t(3), t(1), a), (t(1), t(2), a), (t(2), t(3), b)]).unwrap();
        assert_eq!(c.len(), 3);
        assert!(find_cycle(&[(t(1), t(2), a), (t(2), t(3), b), (t(1), t(3), b)]).is_none());
        // Two independent jobs of one client are not a cycle through that client.
        let edges = [
            ((1, Some(2)), (2, Some(1)), a),
            ((2, Some(2)), (1, Some(1)), b),
        ];
        assert!(find_cycle(&edges).is_none());
    }
}
