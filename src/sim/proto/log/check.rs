//! The queue checkers, named as Jepsen's and Maelstrom's are: **lost** (acknowledged to its
//! producer, never processed nor dead-lettered), **duplicated** (processed more than once),
//! **nonmonotonic** (within one assignment a consumer's offsets on a partition go back),
//! **skipped** (within one assignment a consumer jumps over an offset), and per-key order
//! (one producer's messages of one order processed out of order). Each is a pure function
//! over the delivery history; the invariants and the summary call them.

use super::parts;
use super::state::{Delivery, MqShared, PartMove};
use super::types::Mq;
use super::wire::{MqEv, ProduceErr};
use crate::sim::event::Event;
use crate::sim::ids::{NodeIx, Time};
use crate::sim::invariant::{last_before, Class, Invariant, Verdict};
use crate::sim::proto::Protocol;
use crate::sim::sort::sort_by_u64;
use crate::sim::world::World;

/// What the checkers found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Anomalies {
    /// Acknowledged, never processed nor dead-lettered.
    pub lost: Vec<u32>,
    /// Processed more than once.
    pub duplicated: Vec<u32>,
    /// Deliveries whose offset went back within an assignment.
    pub nonmonotonic: u64,
    /// Deliveries that jumped over an offset within an assignment.
    pub skipped: u64,
    /// First deliveries out of their producer's order for their key.
    pub key_order: u64,
}

/// Ids processed more than once.
pub fn duplicated(h: &[Delivery]) -> Vec<u32> {
    let mut ids: Vec<u32> = h
        .iter()
        .filter(|d| !d.dead && !d.resume)
        .map(|d| d.id)
        .collect();
    sort_by_u64(&mut ids, |&id| u64::from(id));
    let mut out: Vec<u32> = ids
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    out.dedup();
    out
}

/// Acknowledged ids never processed nor dead-lettered.
pub fn lost(acked: &[u32], h: &[Delivery]) -> Vec<u32> {
    let mut seen: Vec<u32> = h.iter().filter(|d| !d.resume).map(|d| d.id).collect();
    sort_by_u64(&mut seen, |&id| u64::from(id));
    acked
        .iter()
        .copied()
        .filter(|id| seen.binary_search(id).is_err())
        .collect()
}

/// Per delivery: (nonmonotonic, skipped), judged against the consumer's previous delivery
/// on that partition since its last assignment.
pub fn order_flags(h: &[Delivery]) -> Vec<(bool, bool)> {
    let mut next: Vec<(NodeIx, u32, u64)> = Vec::new();
    h.iter()
        .map(|d| {
            let slot = next.iter().position(|x| x.0 == d.consumer && x.1 == d.p);
            if d.resume {
                match slot {
                    Some(i) => next[i].2 = d.off,
                    None => next.push((d.consumer, d.p, d.off)),
                }
                return (false, false);
            }

            match slot {
                Some(i) => {
                    let want = next[i].2;
                    next[i].2 = d.off + 1;
                    (d.off < want, d.off > want)
                }
                None => {
                    next.push((d.consumer, d.p, d.off + 1));
                    (false, false)
                }
            }
        })
        .collect()
}

/// Per delivery: a first delivery of a message older (in its producer's order for its key)
/// than one of the same producer and key already delivered. `order(id)` gives (pid, key).
pub fn key_order_flags(h: &[Delivery], order: &dyn Fn(u32) -> Option<(u64, u32)>) -> Vec<bool> {
    let mut first: Vec<u32> = Vec::new();
    let mut max: Vec<((u64, u32), u32)> = Vec::new();
    h.iter()
        .map(|d| {
            if d.resume || first.contains(&d.id) {
                return false;
            }
            first.push(d.id);
            let Some(k) = order(d.id) else {
                return false;
            };
            match max.iter_mut().find(|x| x.0 == k) {
                Some(x) if x.1 > d.id => true,
                Some(x) => {
                    x.1 = d.id;
                    false
                }
                None => {
                    max.push((k, d.id));
                    false
                }
            }
        })
        .collect()
}

/// Every checker over the world's history (lost counts acknowledgements so far).
pub fn anomalies(s: &MqShared) -> Anomalies {
    let acked: Vec<u32> = s
        .book
        .iter()
        .enumerate()
        .filter(|(_, m)| m.acked.is_some())
        .map(|(i, _)| i as u32 + 1)
        .collect();
    let flags = order_flags(&s.hist);
    let ko = key_order_flags(&s.hist, &|id| s.msg(id).map(|m| (m.pid, m.key)));
    Anomalies {
        lost: lost(&acked, &s.hist),
        duplicated: duplicated(&s.hist),
        nonmonotonic: flags.iter().filter(|f| f.0).count() as u64,
        skipped: flags.iter().filter(|f| f.1).count() as u64,
        key_order: ko.iter().filter(|&&f| f).count() as u64,
    }
}

/// Mean and max time from first send to first processing, ms (delivered messages).
pub fn latency(s: &MqShared) -> (u64, u64) {
    let l: Vec<u64> = s
        .book
        .iter()
        .filter_map(|m| m.first_done.map(|d| d.saturating_sub(m.at)))
        .collect();
    if l.is_empty() {
        return (0, 0);
    }
    (
        l.iter().sum::<u64>() / l.len() as u64,
        l.iter().copied().max().unwrap_or(0),
    )
}

/// Opens a hand-over of `p` away from `from` (a stall already open keeps its start).
fn move_start(moves: &mut [Option<PartMove>], p: u32, from: NodeIx, t: Time) {
    if let Some(slot) = moves.get_mut(p as usize) {
        if slot.is_some_and(|m| m.until.is_none()) {
            return;
        }
        *slot = Some(PartMove {
            from: Some(from),
            to: None,
            since: t,
            until: None,
        });
    }
}

/// Counts an event and records deliveries and stalls.
pub(crate) fn observe(s: &mut MqShared, node: NodeIx, t: Time, ev: &MqEv) {
    let st = &mut s.stats;
    let stall_start = |s: &mut Vec<Option<Time>>, p: u32| {
        if let Some(x) = s.get_mut(p as usize) {
            x.get_or_insert(t);
        }
    };
    match *ev {
        MqEv::MqAck { id, .. } => {
            if let Some(m) = s.book.get_mut(id as usize - 1) {
                m.acked.get_or_insert(t);
            }
        }
        MqEv::MqProduceError {
            err: ProduceErr::NotEnoughReplicas,
            ..
        } => st.not_enough_replicas += 1,
        MqEv::MqProduceFailed { .. } => st.produce_failed += 1,
        MqEv::MqDupDropped { .. } => st.dup_dropped += 1,
        MqEv::MqElect { clean, .. } => {
            st.elections += 1;
            st.unclean_elections += u64::from(!clean);
        }
        MqEv::MqTruncate { dropped, .. } => st.truncated += dropped,
        MqEv::MqRebalance { .. } => st.rebalances += 1,
        MqEv::MqCommitRejected { .. } => st.commits_rejected += 1,
        MqEv::MqRevoke { p } => {
            stall_start(&mut s.stall_since, p);
            move_start(&mut s.moves, p, node, t);
        }
        MqEv::MqMemberGone { owned, peer, .. } => {
            for p in parts(owned) {
                stall_start(&mut s.stall_since, p);
                move_start(&mut s.moves, p, peer, t);
            }
        }
        MqEv::MqResume { p, off } => {
            if let Some(Some(m)) = s.moves.get_mut(p as usize) {
                if m.until.is_none() {
                    m.to = Some(node);
                    m.until = Some(t);
                }
            }
            if let Some(Some(since)) = s.stall_since.get_mut(p as usize).map(Option::take) {
                let d = t.saturating_sub(since);
                st.stalled_partitions += 1;
                st.stall_ms += d;
                st.max_stall_ms = st.max_stall_ms.max(d);
            }
            s.hist.push(Delivery {
                consumer: node,
                p,
                off,
                id: 0,
                t,
                dead: false,
                resume: true,
            });
        }
        MqEv::MqProcess { p, off, id } | MqEv::MqDeadLetter { p, off, id } => {
            let dead = matches!(ev, MqEv::MqDeadLetter { .. });
            if dead {
                st.dead_lettered += 1;
            } else {
                st.processed += 1;
                if let Some(m) = s.book.get_mut(id as usize - 1) {
                    m.first_done.get_or_insert(t);
                }
            }
            s.hist.push(Delivery {
                consumer: node,
                p,
                off,
                id,
                t,
                dead,
                resume: false,
            });
        }
        _ => {}
    }
}

/// The log's invariants.
pub fn invariants() -> Vec<Invariant> {
    vec![
        Invariant {
            name: "lost",
            explain: "every message acknowledged to its producer is processed (or dead-lettered) by the end",
            class: Class::Protocol,
            check: |_, _, _| Ok(()),
            at_end: Some(lost_at_end),
        },
        Invariant {
            name: "duplicated",
            explain: "no message is processed twice",
            class: Class::Protocol,
            check: dup_check,
            at_end: None,
        },
        Invariant {
            name: "nonmonotonic",
            explain: "within one assignment a consumer's offsets on a partition only go up",
            class: Class::Protocol,
            check: |w, t, i| order_check(w, t, i, false),
            at_end: None,
        },
        Invariant {
            name: "skipped",
            explain: "within one assignment a consumer never jumps over an offset",
            class: Class::Protocol,
            check: |w, t, i| order_check(w, t, i, true),
            at_end: None,
        },
        Invariant {
            name: "per_key_order",
            explain: "one producer's messages for one order are first processed in the order sent",
            class: Class::Protocol,
            check: key_check,
            at_end: None,
        },
    ]
}

fn process_of(e: &Event) -> Option<(u32, u64, u32)> {
    match Mq::ev(&e.what) {
        Some(MqEv::MqProcess { p, off, id }) => Some((*p, *off, *id)),
        Some(MqEv::MqDeadLetter { p, off, id }) => Some((*p, *off, *id)),
        _ => None,
    }
}

/// The index in the history of the delivery event `e` made (searched from the back).
fn hist_ix(s: &MqShared, e: &Event, p: u32, off: u64, id: u32) -> Option<usize> {
    s.hist.iter().rposition(|d| {
        !d.resume
            && d.t == e.t
            && Some(d.consumer) == e.node
            && d.p == p
            && d.off == off
            && d.id == id
    })
}

fn dup_check(w: &World, trace: &[Event], i: usize) -> Verdict {
    let Some(MqEv::MqProcess { id, .. }) = Mq::ev(&trace[i].what) else {
        return Ok(());
    };
    let s = w.shared::<Mq>();
    let n = s
        .hist
        .iter()
        .filter(|d| !d.resume && !d.dead && d.id == *id)
        .count();
    if n < 2 {
        return Ok(());
    }
    let id = *id;
    let earlier = last_before(
        trace,
        i,
        |e| matches!(Mq::ev(&e.what), Some(MqEv::MqProcess { id: x, .. }) if *x == id),
    );
    Err(std::iter::once(i).chain(earlier).collect())
}

fn order_check(w: &World, trace: &[Event], i: usize, skip: bool) -> Verdict {
    let Some((p, off, id)) = process_of(&trace[i]) else {
        return Ok(());
    };
    let s = w.shared::<Mq>();
    let Some(k) = hist_ix(s, &trace[i], p, off, id) else {
        return Ok(());
    };
    // Only this consumer's deliveries on this partition matter: judge that slice.
    let mine: Vec<Delivery> = s.hist[..=k]
        .iter()
        .copied()
        .filter(|d| Some(d.consumer) == trace[i].node && d.p == p)
        .collect();
    let start = mine.iter().rposition(|d| d.resume).unwrap_or(0);
    let flags = order_flags(&mine[start..]);
    let (nonmono, skipped) = flags.last().copied().unwrap_or((false, false));
    if (skip && skipped) || (!skip && nonmono) {
        let node = trace[i].node;
        let prev = last_before(trace, i, |e| {
            e.node == node && process_of(e).is_some_and(|x| x.0 == p)
        });
        return Err(std::iter::once(i).chain(prev).collect());
    }
    Ok(())
}

fn key_check(w: &World, trace: &[Event], i: usize) -> Verdict {
    let Some(MqEv::MqProcess { id, .. }) = Mq::ev(&trace[i].what) else {
        return Ok(());
    };
    let s = w.shared::<Mq>();
    let Some(me) = s.msg(*id) else {
        return Ok(());
    };
    if me.first_done != Some(trace[i].t) {
        return Ok(());
    }
    let later = s.book.iter().enumerate().skip(*id as usize).find(|(_, m)| {
        m.pid == me.pid && m.key == me.key && m.first_done.is_some_and(|d| d < trace[i].t)
    });
    match later {
        None => Ok(()),
        Some((j, _)) => {
            let jid = j as u32 + 1;
            let w = last_before(
                trace,
                i,
                |e| matches!(Mq::ev(&e.what), Some(MqEv::MqProcess { id: x, .. }) if *x == jid),
            );
            Err(std::iter::once(i).chain(w).collect())
        }
    }
}

fn lost_at_end(w: &World, trace: &[Event]) -> Verdict {
    let s = w.shared::<Mq>();
    let acked: Vec<u32> = (1..=s.book.len() as u32)
        .filter(|&id| s.msg(id).is_some_and(|m| m.acked.is_some()))
        .collect();
    let lost = lost(&acked, &s.hist);
    let Some(&first) = lost.first() else {
        return Ok(());
    };
    let ack = trace
        .iter()
        .rposition(|e| matches!(Mq::ev(&e.what), Some(MqEv::MqAck { id, .. }) if *id == first));
    match ack {
        Some(a) => Err(vec![a]),
        None => Err(vec![trace.len().saturating_sub(1)]),
    }
}
