//! Per-protocol state held by the engine without naming the protocols: one slot per
//! registered protocol (its index comes from the registry's order), each holding a boxed value
//! that clones, compares and prints like the value itself. This is what lets the world's
//! types sit below the protocols: the engine keeps a node's lock state or the 2PC order book
//! as a slot, and only the protocol (and the registry's dispatch) knows its type.

use std::any::Any;
use std::fmt::Debug;

/// A value a slot can hold: cloned for snapshots, compared for replay checks, printed in
/// test failures, downcast by the protocol that owns it.
pub trait SlotValue: Debug {
    /// A copy in a new box (snapshots).
    fn clone_box(&self) -> Box<dyn SlotValue>;
    /// Equal to another slot's value of the same type.
    fn eq_box(&self, other: &dyn SlotValue) -> bool;
    /// The value, to downcast.
    fn as_any(&self) -> &dyn Any;
    /// The value, to downcast and change.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any + Clone + PartialEq + Debug> SlotValue for T {
    fn clone_box(&self) -> Box<dyn SlotValue> {
        Box::new(self.clone())
    }

    fn eq_box(&self, other: &dyn SlotValue) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// A node's volatile protocol state: one slot per protocol, empty when it does not run there.
/// Dropped wholesale on crash; rebuilt from the durable log on recovery.
pub type Procs = Slots;

/// World-wide protocol state (counters, order books): every protocol's slot is filled.
pub type ProtoShared = Slots;

/// One optional value per protocol slot, in registry order.
#[derive(Debug, Default)]
pub struct Slots(Vec<Option<Box<dyn SlotValue>>>);

impl Clone for Slots {
    fn clone(&self) -> Self {
        Slots(
            self.0
                .iter()
                .map(|s| s.as_ref().map(|v| v.clone_box()))
                .collect(),
        )
    }
}

impl PartialEq for Slots {
    fn eq(&self, other: &Self) -> bool {
        let len = self.0.len().max(other.0.len());
        (0..len).all(|i| match (self.raw(i), other.raw(i)) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_box(b),
            _ => false,
        })
    }
}

impl Slots {
    fn raw(&self, slot: usize) -> Option<&dyn SlotValue> {
        self.0.get(slot).and_then(|s| s.as_deref())
    }

    /// The value in `slot`, if it holds a `T`.
    pub fn get<T: Any>(&self, slot: usize) -> Option<&T> {
        self.raw(slot).and_then(|v| v.as_any().downcast_ref())
    }

    /// The value in `slot`, to change, if it holds a `T`.
    pub fn get_mut<T: Any>(&mut self, slot: usize) -> Option<&mut T> {
        self.0
            .get_mut(slot)
            .and_then(|s| s.as_deref_mut())
            .and_then(|v| v.as_any_mut().downcast_mut())
    }

    /// Puts `v` in `slot` (or empties it), growing the list as needed.
    pub fn set<T: Any + Clone + PartialEq + Debug>(&mut self, slot: usize, v: Option<T>) {
        if self.0.len() <= slot {
            self.0.resize_with(slot + 1, || None);
        }
        self.0[slot] = v.map(|v| Box::new(v) as Box<dyn SlotValue>);
    }
}

#[cfg(test)]
mod tests {
    use super::Slots;

    #[test]
    fn slots_clone_compare_and_downcast_by_type() {
        let mut a = Slots::default();
        a.set(2, Some(7u32));
        a.set(0, Some(String::from("x")));
        let b = a.clone();
        assert_eq!(a, b);
        assert_eq!(a.get::<u32>(2), Some(&7));
        assert_eq!(a.get::<u64>(2), None, "another type in the slot is not it");
        assert_eq!(a.get::<u32>(1), None);
        if let Some(v) = a.get_mut::<u32>(2) {
            *v = 8;
        }
        assert_ne!(a, b);
        a.set::<u32>(2, None);
        let mut c = Slots::default();
        c.set(0, Some(String::from("x")));
        assert_eq!(a, c, "trailing empty slots compare equal to missing ones");
    }
}
