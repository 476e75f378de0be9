//! One sort for the whole program. Every `sort_by_key` call with its own closure compiles
//! its own copy of the standard library's sort (2–4 KB of wasm each; ~65 KB over the app).
//! Sorting `(key, index)` pairs with one `sort_unstable` instantiation, then moving the
//! items into that order, costs a few hundred bytes per call site instead and is stable.

use std::collections::BTreeSet;

/// Sorts `v` by `key`, stably (equal keys keep their order).
pub fn sort_by_u64<T>(v: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    let mut keyed: Vec<(u64, u32)> = v
        .iter()
        .enumerate()
        .map(|(i, x)| (key(x), i as u32))
        .collect();
    sort_pairs(&mut keyed);
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(keyed.iter().filter_map(|&(_, i)| slots[i as usize].take()));
}

/// Sorts `v` by `key` and drops repeats (equal neighbours after sorting): the small sets of
/// node indices, transactions and lock names the engine and the views keep sorted, through
/// the one shared instantiation instead of a `sort_unstable` copy per element type.
pub fn sort_dedup_by_u64<T: PartialEq>(v: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    sort_by_u64(v, key);
    v.dedup();
}

/// A set built by inserting one item at a time: `collect::<BTreeSet<_>>()` sorts its items
/// first, compiling a stable sort per element type, while `insert` is already there.
pub fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    for x in items {
        set.insert(x);
    }
    set
}

/// Sorts `(u64, u32)` pairs: the one instantiation every keyed sort shares.
#[inline(never)]
pub fn sort_pairs(v: &mut [(u64, u32)]) {
    v.sort_unstable();
}

/// A signed key mapped to `u64` so that the order is kept (`i64::MIN` → 0).
pub fn signed(k: i64) -> u64 {
    (k as u64) ^ (1 << 63)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_by_key() {
        let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        sort_by_u64(&mut v, |x| x.0);
        assert_eq!(v, [(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
        let mut s = vec![5i64, -1, 0, i64::MIN, i64::MAX];
        sort_by_u64(&mut s, |&x| signed(x));
        assert_eq!(s, [i64::MIN, -1, 0, 5, i64::MAX]);
        let mut empty: Vec<u8> = Vec::new();
        sort_by_u64(&mut empty, |&x| x as u64);
        assert!(empty.is_empty());
    }

    #[test]
    fn sort_dedup_matches_sort_unstable_then_dedup() {
        let mut v: Vec<u32> = vec![5, 1, 5, 0, 9, 1, 1, u32::MAX];
        let mut want = v.clone();
        want.sort_unstable();
        want.dedup();
        sort_dedup_by_u64(&mut v, |&x| u64::from(x));
        assert_eq!(v, want);
        // Transactions: (node, None) before (node, Some(0)), as the tuple's order has it.
        let mut t: Vec<(u32, Option<u32>)> = vec![
            (2, Some(0)),
            (1, None),
            (2, None),
            (1, Some(7)),
            (2, None),
            (1, Some(0)),
        ];
        let mut want = t.clone();
        want.sort_unstable();
        want.dedup();
        sort_dedup_by_u64(&mut t, |&(n, c)| {
            (u64::from(n) << 33) | c.map_or(0, |c| u64::from(c) + 1)
        });
        assert_eq!(t, want);
    }

    #[test]
    fn names_sort_by_their_halves_as_by_their_derived_order() {
        use crate::sim::ids::ResKey;
        let names = [
            "sku:42",
            "sku:4",
            "a",
            "sku:42:b",
            "zzzzzzzzzzzzzzzz",
            "sku:41",
            "b",
            "sku:42",
        ];
        let mut v: Vec<ResKey> = names.iter().map(|n| ResKey::new(n).unwrap()).collect();
        let mut want = v.clone();
        want.sort_unstable();
        want.dedup();
        sort_by_u64(&mut v, |r| r.halves().1);
        sort_dedup_by_u64(&mut v, |r| r.halves().0);
        assert_eq!(v, want);
    }
}
