//! One sort for the whole program. Every `sort_by_key` call with its own closure compiles
//! its own copy of the standard library's sort (2–4 KB of wasm each; ~65 KB over the app).
//! Sorting `(key, index)` pairs with one `sort_unstable` instantiation, then moving the
//! items into that order, costs a few hundred bytes per call site instead and is stable.

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
}
