//! Key sets: the keys being placed, with their hashes cached and indexed so that a ring change
//! touches only the keys inside the changed arcs.

use super::hash;
use super::ring::{Arc, Change, NodeId, Ring};
use super::rng::Rng;
use std::ops::Range;

/// One key that changed owner, so the UI can animate it and count the traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moved {
    /// Index of the key in its [`KeySet`].
    pub key: u32,
    /// Owner before (`None`: no node was live).
    pub from: Option<NodeId>,
    /// Owner after (`None`: no node is live).
    pub to: Option<NodeId>,
}

/// How generated key names look; the lab's scenarios are an e-commerce backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPattern {
    /// `order:0001`, `order:0002`, …: sequential ids, the classic worst case for `hash mod N`
    /// intuition (they still spread well, because they are hashed).
    Orders,
    /// A seeded mix of `order:NNNN`, `sku:NNNN` and `account:NNNN`, numbered per prefix.
    Mixed,
}

/// A fixed set of keys with cached hashes, an index sorted by hash, current owners and access
/// weights. Owners are updated either in full ([`assign_all`](Self::assign_all)) or only where a
/// [`Change`] says ownership moved ([`apply`](Self::apply)).
#[derive(Clone, Debug)]
pub struct KeySet {
    names: Vec<String>,
    hashes: Vec<u64>,
    /// Key indices sorted by (hash, index): lets an arc be turned into index ranges.
    by_hash: Vec<u32>,
    /// `hashes[by_hash[i]]`, contiguous, so the binary search for an arc's ends touches one
    /// array instead of chasing indices (8 bytes per key buys half the cache misses).
    sorted_hashes: Vec<u64>,
    owners: Vec<Option<NodeId>>,
    weights: Vec<f64>,
}

impl KeySet {
    /// Keys with the given names (duplicates allowed), uniform access weight 1, no owners yet.
    /// At most `u32::MAX` names are kept, since keys are addressed by `u32`.
    pub fn from_names(mut names: Vec<String>) -> Self {
        names.truncate(u32::MAX as usize);
        let hashes: Vec<u64> = names.iter().map(|n| hash::pos(n)).collect();
        let mut pairs: Vec<(u64, u32)> = (0..names.len() as u32)
            .map(|k| (hashes[k as usize], k))
            .collect();
        super::sort::sort_pairs(&mut pairs);
        let by_hash: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        let sorted_hashes = pairs.iter().map(|p| p.0).collect();
        let n = names.len();
        KeySet {
            names,
            hashes,
            by_hash,
            sorted_hashes,
            owners: vec![None; n],
            weights: vec![1.0; n],
        }
    }

    /// `count` keys named by `pattern`, with access weights that model hot keys: `skew == 0`
    /// (or negative/NaN) gives every key weight 1; `skew > 0` gives the key of rank r
    /// (1-based, ranks assigned by a seeded shuffle) weight ∝ 1/r^skew (Zipf), scaled so the mean
    /// weight is 1. Same arguments, same keys and weights. Weights use `powf`, which may differ in
    /// the last bit between platforms; names, hashes and owners never do.
    pub fn generate(count: usize, seed: u64, pattern: KeyPattern, skew: f64) -> Self {
        let count = count.min(u32::MAX as usize);
        let mut rng = Rng::new(seed);
        let names: Vec<String> = match pattern {
            KeyPattern::Orders => (1..=count).map(|i| format!("order:{i:04}")).collect(),
            KeyPattern::Mixed => {
                let prefixes = ["order", "sku", "account"];
                let mut next = [1usize; 3];
                (0..count)
                    .map(|_| {
                        let p = rng.below(3) as usize;
                        let name = format!("{}:{:04}", prefixes[p], next[p]);
                        next[p] += 1;
                        name
                    })
                    .collect()
            }
        };
        let mut set = KeySet::from_names(names);
        if skew > 0.0 && count > 0 {
            let mut rank: Vec<u32> = (0..count as u32).collect();
            for i in (1..count).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                rank.swap(i, j);
            }
            let raw: Vec<f64> = rank
                .iter()
                .map(|&r| (f64::from(r) + 1.0).powf(-skew))
                .collect();
            let sum: f64 = raw.iter().sum();
            let scale = if sum > 0.0 { count as f64 / sum } else { 1.0 };
            set.weights = raw.into_iter().map(|w| w * scale).collect();
        }
        set
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The key's name (what was hashed). Panics if `i` is out of range, like slice indexing.
    pub fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }

    /// The key's cached ring position, `pos(name)`.
    pub fn hash(&self, i: u32) -> u64 {
        self.hashes[i as usize]
    }

    /// The key's owner as of the last `assign_all`/`apply`.
    pub fn owner(&self, i: u32) -> Option<NodeId> {
        self.owners[i as usize]
    }

    /// The key's relative access frequency (mean 1 over the set).
    pub fn weight(&self, i: u32) -> f64 {
        self.weights[i as usize]
    }

    /// All cached hashes in key order, for the alternative placement algorithms.
    pub fn hashes(&self) -> &[u64] {
        &self.hashes
    }

    /// All current owners in key order.
    pub fn owners(&self) -> &[Option<NodeId>] {
        &self.owners
    }

    /// Key indices sorted by hash: keys in ring order, e.g. for painting.
    pub fn by_hash(&self) -> &[u32] {
        &self.by_hash
    }

    /// The hashes in ring order (`sorted_hashes()[j] == hash(by_hash()[j])`), for range
    /// searches such as hit-testing a pointer.
    pub fn sorted_hashes(&self) -> &[u64] {
        &self.sorted_hashes
    }

    /// Recomputes every key's owner with a ring lookup. This is the oracle that `apply` must
    /// agree with, and the way to start from scratch.
    pub fn assign_all(&mut self, ring: &Ring) {
        for (owner, &h) in self.owners.iter_mut().zip(&self.hashes) {
            *owner = ring.owner_of(h);
        }
    }

    /// Re-places only the keys whose hash lies inside `change`'s arcs (found by binary search
    /// in the hash index) and returns those whose owner actually changed, in key order.
    /// `ring` must be the ring right after the change and the owners in sync with the ring
    /// right before it; the new owner is looked up in `ring`.
    pub fn apply(&mut self, ring: &Ring, change: &Change) -> Vec<Moved> {
        let mut moved = Vec::new();
        for arc in &change.arcs {
            for range in self.ranges(arc) {
                for &k in &self.by_hash[range] {
                    let to = ring.owner_of(self.hashes[k as usize]);
                    let from = std::mem::replace(&mut self.owners[k as usize], to);
                    if from != to {
                        moved.push(Moved { key: k, from, to });
                    }
                }
            }
        }
        moved.sort_unstable_by_key(|m| m.key);
        moved
    }

    /// Number of keys per owning node, in id order; nodes owning no key are absent.
    pub fn counts(&self) -> Vec<(NodeId, usize)> {
        self.tally(|_| 1usize)
    }

    /// Summed access weight per owning node, in id order; nodes owning no key are absent.
    pub fn loads(&self) -> Vec<(NodeId, f64)> {
        self.tally(|k| self.weights[k])
    }

    fn tally<T: Copy + Default + std::ops::AddAssign>(
        &self,
        value: impl Fn(usize) -> T,
    ) -> Vec<(NodeId, T)> {
        let slots = self
            .owners
            .iter()
            .flatten()
            .max()
            .map_or(0, |&m| m as usize + 1);
        let mut sums = vec![(0usize, T::default()); slots];
        for (k, owner) in self.owners.iter().enumerate() {
            if let Some(id) = owner {
                let s = &mut sums[*id as usize];
                s.0 += 1;
                s.1 += value(k);
            }
        }
        sums.into_iter()
            .enumerate()
            .filter(|(_, (n, _))| *n > 0)
            .map(|(id, (_, v))| (id as NodeId, v))
            .collect()
    }

    /// Index ranges of `by_hash` whose hashes lie in `arc`: the second is empty unless the
    /// arc wraps past the top.
    fn ranges(&self, arc: &Arc) -> [Range<usize>; 2] {
        let after = |x: u64| self.sorted_hashes.partition_point(|&h| h <= x);
        let n = self.by_hash.len();
        if arc.start == arc.end {
            [0..n, 0..0]
        } else if arc.start < arc.end {
            [after(arc.start)..after(arc.end), 0..0]
        } else {
            [after(arc.start)..n, 0..after(arc.end)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_follow_the_patterns() {
        let k = KeySet::generate(3, 1, KeyPattern::Orders, 0.0);
        assert_eq!((k.name(0), k.name(2)), ("order:0001", "order:0003"));
        assert_eq!(k.hash(0), hash::pos("order:0001"));
        let m = KeySet::generate(300, 9, KeyPattern::Mixed, 0.0);
        for prefix in ["order:0001", "sku:0001", "account:0001"] {
            assert!((0..300).any(|i| m.name(i) == prefix), "{prefix}");
        }
        let again = KeySet::generate(300, 9, KeyPattern::Mixed, 0.0);
        assert!((0..300).all(|i| m.name(i) == again.name(i)));
    }

    #[test]
    fn skewed_weights_are_deterministic_zipf_with_mean_one() {
        let a = KeySet::generate(1000, 5, KeyPattern::Orders, 1.0);
        let b = KeySet::generate(1000, 5, KeyPattern::Orders, 1.0);
        let w: Vec<f64> = (0..1000).map(|i| a.weight(i)).collect();
        assert_eq!(w, (0..1000).map(|i| b.weight(i)).collect::<Vec<_>>());
        let mean = w.iter().sum::<f64>() / 1000.0;
        assert!((mean - 1.0).abs() < 1e-9);
        let mut sorted = w.clone();
        sorted.sort_by(|x, y| y.total_cmp(x));
        assert!((sorted[0] / sorted[1] - 2.0).abs() < 1e-9);
        let flat = KeySet::generate(10, 5, KeyPattern::Orders, 0.0);
        assert!((0..10).all(|i| flat.weight(i) == 1.0));
    }

    #[test]
    fn counts_and_loads_cover_owned_keys() {
        let mut ring = Ring::new(20).unwrap();
        ring.add_node("a", 1.0).unwrap();
        ring.add_node("b", 1.0).unwrap();
        let mut keys = KeySet::generate(500, 2, KeyPattern::Orders, 0.0);
        assert!(keys.counts().is_empty());
        keys.assign_all(&ring);
        let counts = keys.counts();
        assert_eq!(counts.iter().map(|c| c.1).sum::<usize>(), 500);
        let loads = keys.loads();
        assert!((loads.iter().map(|l| l.1).sum::<f64>() - 500.0).abs() < 1e-9);
    }

    #[test]
    fn apply_handles_wrapping_and_full_arcs() {
        let mut keys = KeySet::from_names((0..200).map(|i| format!("k{i}")).collect());
        let mut ring = Ring::new(3).unwrap();
        let (a, change) = ring.add_node("a", 1.0).unwrap();
        let moved = keys.apply(&ring, &change);
        assert_eq!(moved.len(), 200);
        assert!(moved.iter().all(|m| m.from.is_none() && m.to == Some(a)));
        let (_, change) = ring.add_node("b", 1.0).unwrap();
        let moved = keys.apply(&ring, &change);
        let mut oracle = keys.clone();
        oracle.assign_all(&ring);
        assert_eq!(keys.owners(), oracle.owners());
        assert_eq!(
            moved.len(),
            (0..200).filter(|&i| keys.owner(i) != Some(a)).count()
        );
    }
}
