//! The event queue: what is due, ordered by (virtual time, insertion sequence). The sequence
//! number breaks ties in insertion order, which makes runs deterministic without relying on
//! how a heap orders equal keys.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::ids::MsgId;
use super::ids::NodeIx;
use super::time::Time;

/// Something the world must do at a given virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Due {
    /// A message reaches (or vanishes before) its receiver.
    Deliver(MsgId),
    /// A protocol timer on a node; stale if the node's timer epoch moved on.
    Timer { node: NodeIx, id: u64, epoch: u32 },
    /// A paused node may resume.
    Resume(NodeIx),
    /// A command from the scenario's schedule (index into the world's scheduled list).
    Scheduled(u32),
    /// A payload one protocol handed to another on the same node ([`Ctx::local`]): its id
    /// in the world's table of local hand-offs.
    ///
    /// [`Ctx::local`]: crate::sim::proto::Ctx::local
    Local(u64),
}

/// A min-queue of [`Due`] items by (time, seq).
#[derive(Clone, Debug, Default)]
pub struct Queue {
    heap: BinaryHeap<Reverse<(Time, u64, Due)>>,
    seq: u64,
}

impl Queue {
    /// Schedules `due` at `t`, after everything already scheduled at `t`.
    pub fn push(&mut self, t: Time, due: Due) {
        self.heap.push(Reverse((t, self.seq, due)));
        self.seq += 1;
    }

    /// Time of the next item, if any.
    pub fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Removes and returns the next item.
    pub fn pop(&mut self) -> Option<(Time, Due)> {
        self.heap.pop().map(|Reverse((t, _, d))| (t, d))
    }

    /// Number of queued items (stale ones included).
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    fn sorted(&self) -> Vec<(Time, u64, Due)> {
        let mut v: Vec<_> = self.heap.iter().map(|Reverse(x)| *x).collect();
        // By (time, seq): seq is unique, so that is the tuple's whole order. Two stable passes
        // through the one shared sort (sim::sort) instead of a copy for this tuple.
        super::sort::sort_by_u64(&mut v, |x| x.1);
        super::sort::sort_by_u64(&mut v, |x| x.0);
        v
    }

    /// Rough heap footprint, for snapshot memory reports.
    pub fn approx_bytes(&self) -> usize {
        self.heap.capacity() * std::mem::size_of::<Reverse<(Time, u64, Due)>>()
    }
}

/// Equal when the same items are due in the same order (heap layout is irrelevant).
impl PartialEq for Queue {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq && self.sorted() == other.sorted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_then_insertion() {
        let mut q = Queue::default();
        q.push(5, Due::Deliver(1));
        q.push(3, Due::Deliver(2));
        q.push(5, Due::Deliver(0));
        q.push(3, Due::Resume(0));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (3, Due::Deliver(2)),
                (3, Due::Resume(0)),
                (5, Due::Deliver(1)),
                (5, Due::Deliver(0))
            ]
        );
    }
}
