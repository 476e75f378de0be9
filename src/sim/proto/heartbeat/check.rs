//! The detector's property: it suspects only peers that really are down. A lesson shows
//! pauses, skew and partitions breaking it (a false suspicion is not a simulator bug).

use super::{Ev, Heartbeat};
use crate::sim::event::{Event, What};
use crate::sim::ids::NodeIx;
use crate::sim::invariant::{last_before, Class, Invariant, Verdict};
use crate::sim::proto::Protocol;
use crate::sim::world::{Status, World};

/// The detector's invariants.
pub fn invariants() -> Vec<Invariant> {
    vec![Invariant {
        name: "accurate_suspicion",
        explain: "a node only suspects peers that really are down (no false suspicion)",
        class: Class::Protocol,
        check: accurate_suspicion,
        at_end: None,
    }]
}

fn accurate_suspicion(w: &World, trace: &[Event], i: usize) -> Verdict {
    let e = &trace[i];
    let (Some(Ev::Suspect { peer, .. }), Some(n)) = (Heartbeat::ev(&e.what), e.node) else {
        return Ok(());
    };
    let down = w.node(*peer).is_some_and(|p| p.status != Status::Up);
    if down {
        return Ok(());
    }
    let last_heard = last_heard_from(trace, i, *peer, n);
    Err(std::iter::once(i).chain(last_heard).collect())
}

fn last_heard_from(trace: &[Event], i: usize, from_node: NodeIx, at: NodeIx) -> Option<usize> {
    last_before(trace, i, |x| {
        x.node == Some(at) && matches!(x.what, What::Deliver { from, .. } if from == from_node)
    })
}
