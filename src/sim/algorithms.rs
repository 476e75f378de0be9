//! Alternative placements over the same node list and key hashes, so the lab can show side by
//! side what each scheme costs when a node joins, leaves or fails.
//!
//! Every algorithm maps a key hash (`pos(key)`, cached in the [`KeySet`]) to an index into a
//! node list ([`NodeSpec`]s, in list order). **Down nodes** are handled the way a client that
//! only knows the live membership would: `hash mod N` and jump hash work on the list of *live*
//! nodes in list order (so a failure in the middle renumbers every node after it), rendezvous
//! ignores down nodes when taking the maximum, and the ring-based schemes skip their points.

use super::hash;
use super::key_set::KeySet;
use super::ring::{validate_name, NodeId, Ring, RingError};
use std::collections::BTreeSet;

/// The placement schemes the lab compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `live[h mod N]`: the naive scheme; almost every key moves when N changes.
    ModN,
    /// Jump consistent hash (Lamping & Veach, 2014) over the live list: minimal movement
    /// when the *last* node is added or removed, no memory, but nodes are numbered buckets.
    Jump,
    /// Rendezvous / highest-random-weight hashing: each key goes to the live node with the
    /// highest score `fmix64(pos(name) ^ h)`, where `fmix64` is MurmurHash3's 64-bit finalizer
    /// (`k ^= k >> 33; k *= 0xff51afd7ed558ccd; k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53;
    /// k ^= k >> 33`); ties go to the smaller name. O(N) per key.
    Rendezvous,
    /// The lab's consistent-hash ring ([`Ring`]) with weighted vnodes.
    Ring,
    /// Consistent hashing with bounded loads (Mirrokni, Thorup & Zadimoghaddam, 2018): keys are
    /// placed in key-index order; each walks clockwise from its ring owner to the first live
    /// node holding fewer than `ceil((1+ε)·keys/live_nodes)` keys. Weights scale vnodes only.
    BoundedLoads,
}

impl Algorithm {
    /// Every algorithm, in the order the lab lists them.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::ModN,
        Algorithm::Jump,
        Algorithm::Rendezvous,
        Algorithm::Ring,
        Algorithm::BoundedLoads,
    ];

    /// Short human-readable name for tables and legends.
    pub fn label(self) -> &'static str {
        match self {
            Algorithm::ModN => "hash mod N",
            Algorithm::Jump => "jump hash",
            Algorithm::Rendezvous => "rendezvous (HRW)",
            Algorithm::Ring => "consistent ring",
            Algorithm::BoundedLoads => "bounded loads",
        }
    }
}

/// One node as the comparison sees it: the same facts a [`Ring`] keeps, without its points.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSpec {
    /// Node name (validated like ring names; matched by name across before/after lists).
    pub name: String,
    /// Weight; used by the ring-based schemes only.
    pub weight: f64,
    /// Whether the node may own keys.
    pub up: bool,
}

impl NodeSpec {
    /// A node of weight 1, the common case in comparisons.
    pub fn new(name: &str, up: bool) -> Self {
        NodeSpec {
            name: name.to_owned(),
            weight: 1.0,
            up,
        }
    }
}

/// The ring's present nodes as specs, in id order, so the UI can compare "before" and "after"
/// snapshots of its own ring.
pub fn specs_of(ring: &Ring) -> Vec<NodeSpec> {
    ring.nodes()
        .map(|(_, n)| NodeSpec {
            name: n.name.clone(),
            weight: n.weight,
            up: n.up,
        })
        .collect()
}

/// Tuning shared by the ring-based schemes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Vnodes per unit of weight for [`Algorithm::Ring`] and [`Algorithm::BoundedLoads`].
    pub vnodes_per_node: u32,
    /// Slack ε of bounded loads: capacity is `ceil((1+ε)·keys/live_nodes)`.
    pub epsilon: f64,
}

impl Default for Params {
    /// 100 vnodes and ε = 0.25, the values the source articles use.
    fn default() -> Self {
        Params {
            vnodes_per_node: 100,
            epsilon: 0.25,
        }
    }
}

/// Jump consistent hash, exactly as published by Lamping & Veach: a bucket in `0..buckets`
/// (0 when `buckets` is 0).
pub fn jump_hash(mut key: u64, buckets: u32) -> u32 {
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b.max(0) as u32
}

/// MurmurHash3's 64-bit finalizer: a cheap bijection that scrambles every input bit.
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// Rendezvous score of a node (given `pos(name)`) for key hash `h`; documented on
/// [`Algorithm::Rendezvous`] so anyone can recompute it.
pub fn rendezvous_score(node_pos: u64, h: u64) -> u64 {
    fmix64(node_pos ^ h)
}

/// Rejects lists the comparison could not interpret: bad or duplicate names.
fn check_specs(nodes: &[NodeSpec]) -> Result<(), RingError> {
    let mut seen = BTreeSet::new();
    for n in nodes {
        validate_name(&n.name)?;
        if !seen.insert(n.name.as_str()) {
            return Err(RingError::DuplicateName(n.name.clone()));
        }
    }
    Ok(())
}

/// A ring holding `nodes` in list order, so node id == list index.
fn ring_of(nodes: &[NodeSpec], vnodes: u32) -> Result<Ring, RingError> {
    let mut ring = Ring::new(vnodes)?;
    for n in nodes {
        let (id, _) = ring.add_node(&n.name, n.weight)?;
        if !n.up {
            ring.fail_node(id)?;
        }
    }
    Ok(ring)
}

/// Places every hash with `alg`; result `i` is the index into `nodes` of the owner of
/// `hashes[i]`, or `None` when no node is up.
pub fn place(
    alg: Algorithm,
    nodes: &[NodeSpec],
    hashes: &[u64],
    params: &Params,
) -> Result<Vec<Option<usize>>, RingError> {
    check_specs(nodes)?;
    let live: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].up).collect();
    if live.is_empty() {
        // Still validate the parameters, so errors do not depend on membership.
        if matches!(alg, Algorithm::Ring | Algorithm::BoundedLoads) {
            ring_of(nodes, params.vnodes_per_node)?;
        }
        return Ok(vec![None; hashes.len()]);
    }
    Ok(match alg {
        Algorithm::ModN => {
            let n = live.len() as u64;
            hashes
                .iter()
                .map(|&h| Some(live[(h % n) as usize]))
                .collect()
        }
        Algorithm::Jump => {
            let n = u32::try_from(live.len()).unwrap_or(u32::MAX);
            hashes
                .iter()
                .map(|&h| Some(live[jump_hash(h, n) as usize]))
                .collect()
        }
        Algorithm::Rendezvous => {
            let node_pos: Vec<u64> = live.iter().map(|&i| hash::pos(&nodes[i].name)).collect();
            hashes
                .iter()
                .map(|&h| {
                    let mut best = 0;
                    let mut best_score = rendezvous_score(node_pos[0], h);
                    for (k, &np) in node_pos.iter().enumerate().skip(1) {
                        let s = rendezvous_score(np, h);
                        if s > best_score
                            || (s == best_score && nodes[live[k]].name < nodes[live[best]].name)
                        {
                            best = k;
                            best_score = s;
                        }
                    }
                    Some(live[best])
                })
                .collect()
        }
        Algorithm::Ring => {
            let ring = ring_of(nodes, params.vnodes_per_node)?;
            hashes
                .iter()
                .map(|&h| ring.owner_of(h).map(|id| id as usize))
                .collect()
        }
        Algorithm::BoundedLoads => {
            let eps = params.epsilon;
            if !eps.is_finite() || eps < 0.0 {
                return Err(RingError::BadEpsilon(eps));
            }
            let ring = ring_of(nodes, params.vnodes_per_node)?;
            bounded_loads(&ring, hashes, eps)
        }
    })
}

/// Mirrokni et al.'s placement: ring owner unless full, else the next live point's node that
/// still has room. Total capacity ≥ keys, so every key finds a node.
fn bounded_loads(ring: &Ring, hashes: &[u64], eps: f64) -> Vec<Option<usize>> {
    let live = ring.live_count().max(1);
    let m = hashes.len();
    let exact = ((1.0 + eps) * m as f64 / live as f64).ceil();
    let cap = if exact >= m as f64 {
        m
    } else {
        (exact as usize).max(1)
    };
    let mut load = vec![
        0usize;
        ring.nodes()
            .map(|(id, _)| id as usize + 1)
            .max()
            .unwrap_or(0)
    ];
    let pts = ring.points();
    hashes
        .iter()
        .map(|&h| {
            let start = ring.owner_index(h)?;
            (0..pts.len())
                .map(|step| pts.at((start + step) % pts.len()).node)
                .find(|&id: &NodeId| ring.is_live(id) && load[id as usize] < cap)
                .map(|id| {
                    load[id as usize] += 1;
                    id as usize
                })
        })
        .collect()
}

/// What one algorithm does to one event.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Which scheme.
    pub algorithm: Algorithm,
    /// Keys whose owner (by node name) differs between before and after.
    pub moved: usize,
    /// `moved / keys` (0 when there are no keys).
    pub moved_fraction: f64,
    /// Afterwards: most keys on one live node / mean keys per live node (1 is perfect).
    pub max_over_mean: f64,
    /// Afterwards: population standard deviation of keys per live node / mean.
    pub std_over_mean: f64,
    /// Like `max_over_mean` but summing access weights: how hot keys skew the load.
    pub weighted_max_over_mean: f64,
}

/// Keys whose owner, compared by node name, differs between two placements (`old` over
/// `before`'s nodes, `new` over `after`'s).
fn moved_between(
    before: &[NodeSpec],
    old: &[Option<usize>],
    after: &[NodeSpec],
    new: &[Option<usize>],
) -> usize {
    fn name(list: &[NodeSpec], o: Option<usize>) -> Option<&str> {
        o.map(|i| list[i].name.as_str())
    }
    old.iter()
        .zip(new)
        .filter(|(&o, &n)| name(before, o) != name(after, n))
        .count()
}

/// Keys one algorithm moves when the nodes change from `before` to `after`: the cost of that
/// event under `alg` alone (what `compare` reports per algorithm).
pub fn moved(
    alg: Algorithm,
    before: &[NodeSpec],
    after: &[NodeSpec],
    hashes: &[u64],
    params: &Params,
) -> Result<usize, RingError> {
    let old = place(alg, before, hashes, params)?;
    let new = place(alg, after, hashes, params)?;
    Ok(moved_between(before, &old, after, &new))
}

/// Places `keys` with every algorithm before and after an event (any change of membership,
/// liveness or weight between `before` and `after`) and reports movement and balance.
/// Balance counts every live node of `after`, including those that own nothing; with no live
/// node or no key the ratios are 0.
pub fn compare(
    before: &[NodeSpec],
    after: &[NodeSpec],
    keys: &KeySet,
    params: &Params,
) -> Result<Vec<Report>, RingError> {
    Algorithm::ALL
        .iter()
        .map(|&alg| {
            let old = place(alg, before, keys.hashes(), params)?;
            let new = place(alg, after, keys.hashes(), params)?;
            let moved = moved_between(before, &old, after, &new);
            let mut counts = vec![0.0; after.len()];
            let mut weights = vec![0.0; after.len()];
            for (k, owner) in new.iter().enumerate() {
                if let Some(i) = owner {
                    counts[*i] += 1.0;
                    weights[*i] += keys.weight(k as u32);
                }
            }
            let live: Vec<usize> = (0..after.len()).filter(|&i| after[i].up).collect();
            let pick = |v: &[f64]| live.iter().map(|&i| v[i]).collect::<Vec<f64>>();
            let (max_over_mean, std_over_mean) = balance(&pick(&counts));
            let (weighted_max_over_mean, _) = balance(&pick(&weights));
            Ok(Report {
                algorithm: alg,
                moved,
                moved_fraction: if keys.is_empty() {
                    0.0
                } else {
                    moved as f64 / keys.len() as f64
                },
                max_over_mean,
                std_over_mean,
                weighted_max_over_mean,
            })
        })
        .collect()
}

/// (max/mean, std-dev/mean) of per-node loads; (0, 0) for an empty or all-zero list.
pub fn balance(loads: &[f64]) -> (f64, f64) {
    if loads.is_empty() {
        return (0.0, 0.0);
    }
    let n = loads.len() as f64;
    let mean = loads.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return (0.0, 0.0);
    }
    let max = loads.iter().copied().fold(f64::MIN, f64::max);
    let var = loads.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (max / mean, var.sqrt() / mean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::key_set::KeyPattern;

    #[test]
    fn jump_matches_published_vectors() {
        assert_eq!(jump_hash(0, 60), 0);
        assert_eq!(jump_hash(1, 60), 55);
        assert_eq!(jump_hash(2, 60), 46);
        assert_eq!(jump_hash(256, 1024), 520);
        assert_eq!(jump_hash(42, 57), 43);
        assert_eq!(jump_hash(0xDEAD_10CC, 666), 361);
        assert_eq!(jump_hash(0xDEAD_10CC, 1), 0);
        assert_eq!(jump_hash(7, 0), 0);
    }

    fn nodes(n: usize) -> Vec<NodeSpec> {
        (0..n)
            .map(|i| NodeSpec::new(&format!("n{i}"), true))
            .collect()
    }

    #[test]
    fn adding_a_node_moves_little_except_mod_n() {
        let keys = KeySet::generate(20_000, 1, KeyPattern::Orders, 0.0);
        let before = nodes(10);
        let after = nodes(11);
        let reports = compare(&before, &after, &keys, &Params::default()).unwrap();
        let get = |a: Algorithm| reports.iter().find(|r| r.algorithm == a).unwrap();
        assert!(get(Algorithm::ModN).moved_fraction > 0.8);
        for a in [Algorithm::Jump, Algorithm::Rendezvous, Algorithm::Ring] {
            let f = get(a).moved_fraction;
            assert!((0.05..0.14).contains(&f), "{a:?} moved {f}");
        }
        let bl = get(Algorithm::BoundedLoads);
        assert!(bl.max_over_mean <= 1.25 + 1e-9, "{bl:?}");
        assert!(get(Algorithm::Ring).max_over_mean < 1.4);
    }

    #[test]
    fn down_nodes_renumber_mod_n_and_jump_but_not_rendezvous() {
        let keys = KeySet::generate(10_000, 3, KeyPattern::Mixed, 0.0);
        let before = nodes(8);
        let mut after = nodes(8);
        after[2].up = false;
        let reports = compare(&before, &after, &keys, &Params::default()).unwrap();
        let get = |a: Algorithm| {
            reports
                .iter()
                .find(|r| r.algorithm == a)
                .unwrap()
                .moved_fraction
        };
        assert!(get(Algorithm::ModN) > 0.7);
        assert!(get(Algorithm::Jump) > 0.3);
        for a in [Algorithm::Rendezvous, Algorithm::Ring] {
            assert!((0.08..0.18).contains(&get(a)), "{a:?}");
        }
    }

    #[test]
    fn bounded_loads_respects_capacity_and_no_live_gives_none() {
        let hashes: Vec<u64> = (0..1000).map(|i| hash::pos(&format!("k{i}"))).collect();
        let specs = nodes(7);
        let p = Params {
            vnodes_per_node: 3,
            epsilon: 0.1,
        };
        let owners = place(Algorithm::BoundedLoads, &specs, &hashes, &p).unwrap();
        let mut count = [0usize; 7];
        for o in &owners {
            count[o.unwrap()] += 1;
        }
        let cap = (1.1f64 * 1000.0 / 7.0).ceil() as usize;
        assert!(count.iter().all(|&c| c <= cap), "{count:?} cap {cap}");
        let down: Vec<NodeSpec> = (0..3)
            .map(|i| NodeSpec::new(&format!("d{i}"), false))
            .collect();
        for alg in Algorithm::ALL {
            assert!(place(alg, &down, &hashes, &p)
                .unwrap()
                .iter()
                .all(Option::is_none));
        }
        let bad = Params { epsilon: -1.0, ..p };
        assert_eq!(
            place(Algorithm::BoundedLoads, &specs, &hashes, &bad),
            Err(RingError::BadEpsilon(-1.0))
        );
        let dup = vec![NodeSpec::new("a", true), NodeSpec::new("a", true)];
        assert!(place(Algorithm::ModN, &dup, &hashes, &p).is_err());
    }

    #[test]
    fn rendezvous_score_is_the_documented_formula() {
        let h = hash::pos("order:0001");
        let np = hash::pos("a");
        let mut k = np ^ h;
        k ^= k >> 33;
        k = k.wrapping_mul(0xff51afd7ed558ccd);
        k ^= k >> 33;
        k = k.wrapping_mul(0xc4ceb9fe1a85ec53);
        k ^= k >> 33;
        assert_eq!(rendezvous_score(np, h), k);
    }

    #[test]
    fn balance_of_even_and_skewed_loads() {
        assert_eq!(balance(&[2.0, 2.0]), (1.0, 0.0));
        let (m, s) = balance(&[1.0, 3.0]);
        assert!((m - 1.5).abs() < 1e-12 && (s - 0.5).abs() < 1e-12);
        assert_eq!(balance(&[]), (0.0, 0.0));
    }
}
