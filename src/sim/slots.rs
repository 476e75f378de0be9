//! Per-protocol state held by the engine without naming the protocols: one slot per
//! registered protocol (its index comes from the registry's order), each holding a boxed value
//! that clones and prints like the value itself (the registry's dispatch compares them, typed). This is what lets the world's
//! types sit below the protocols: the engine keeps a node's lock state or the 2PC order book
//! as a slot, and only the protocol (and the registry's dispatch) knows its type.

use std::any::Any;
use std::fmt::Debug;

/// A value a slot can hold: cloned for snapshots, printed in test failures (debug builds only: a `Debug` entry in every protocol state's vtable would
/// keep all their derived `Debug` code in the pages' wasm), downcast by the protocol that
/// owns it.
pub trait SlotValue {
    /// A copy in a new box (snapshots).
    fn clone_box(&self) -> Box<dyn SlotValue>;
    /// The value, to downcast.
    fn as_any(&self) -> &dyn Any;
    /// The value, to downcast and change.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// The value as `Debug` prints it.
    #[cfg(debug_assertions)]
    fn fmt_value(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result;
}

impl<T: Any + Clone + PartialEq + Debug> SlotValue for T {
    fn clone_box(&self) -> Box<dyn SlotValue> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    #[cfg(debug_assertions)]
    fn fmt_value(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Debug::fmt(self, f)
    }
}

/// A node's volatile protocol state: one slot per protocol, empty when it does not run there.
/// Dropped wholesale on crash; rebuilt from the durable log on recovery.
pub type Procs = Slots;

/// World-wide protocol state (counters, order books): every protocol's slot is filled.
pub type ProtoShared = Slots;

/// One optional value per protocol slot, in registry order.
#[derive(Default)]
pub struct Slots(Vec<Option<Box<dyn SlotValue>>>);

/// Debug builds print every value; release builds only which slots are filled.
impl Debug for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        for s in &self.0 {
            match s {
                None => l.entry(&None::<()>),
                #[cfg(debug_assertions)]
                Some(v) => l.entry(&Shown(&**v)),
                #[cfg(not(debug_assertions))]
                Some(_) => l.entry(&"…"),
            };
        }
        l.finish()
    }
}

/// A slot's value under `Debug`.
#[cfg(debug_assertions)]
struct Shown<'a>(&'a dyn SlotValue);

#[cfg(debug_assertions)]
impl Debug for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt_value(f)
    }
}

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

impl Slots {
    fn raw(&self, slot: usize) -> Option<&dyn SlotValue> {
        self.0.get(slot).and_then(|s| s.as_deref())
    }

    /// How many slots there are (filled or not): trailing empty ones may be missing.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no slot exists yet.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
    fn slots_clone_and_downcast_by_type() {
        let mut a = Slots::default();
        a.set(2, Some(7u32));
        a.set(0, Some(String::from("x")));
        let b = a.clone();
        assert_eq!(b.get::<u32>(2), Some(&7), "a clone holds the same values");
        assert_eq!(b.get::<String>(0).map(String::as_str), Some("x"));
        assert_eq!(a.get::<u32>(2), Some(&7));
        assert_eq!(a.get::<u64>(2), None, "another type in the slot is not it");
        assert_eq!(a.get::<u32>(1), None);
        if let Some(v) = a.get_mut::<u32>(2) {
            *v = 8;
        }
        assert_eq!(
            b.get::<u32>(2),
            Some(&7),
            "the clone is apart from the original"
        );
        a.set::<u32>(2, None);
        assert_eq!(a.get::<u32>(2), None);
        assert_eq!(a.len(), 3);
    }
}
