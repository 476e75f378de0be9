//! The consistent-hash ring: nodes, their virtual nodes, and who owns which part of the circle.
//!
//! The placement contract (see `docs/placement.md`) is implemented exactly here:
//!
//! - a node with weight `w` gets `max(1, floor(V·w + 0.5))` virtual nodes, V = vnodes per node;
//! - vnode `i` of node `n` sits at `pos("{n}#{i}")`;
//! - points are ordered by (position, node name, i);
//! - a hash `h` belongs to the first live point whose position is ≥ `h`, wrapping past the top.
//!
//! Storage is three parallel arrays sorted in contract order: positions, owners and vnode
//! indices (16 bytes per vnode, exact capacity). Positions live apart from owners so a
//! lookup's binary search reads 8 bytes per probe, half the memory of an array of structs,
//! and only the final index touches the owner array. Every mutation is incremental: the affected node's points are computed, sorted among themselves and
//! merged into (or cut out of) the array with block moves, and the arcs whose owner changed are
//! reported as a [`Change`] so key sets can move only the keys inside them.

use crate::sim::vecmap::VecMap;
use std::cmp::Ordering;
use std::fmt::{self, Write as _};
use std::ops::Range;

use super::hash;

/// Stable handle of a node: its slot in the ring. Ids are never reused while the `Ring` lives,
/// so a `Change` or a key's recorded owner keeps meaning the same node after later removals.
pub type NodeId = u32;

/// Upper bound on the total number of points (vnodes of all nodes), so a typo in a weight
/// cannot make the ring allocate gigabytes or freeze the browser tab.
pub const MAX_POINTS: usize = 2_000_000;

/// Largest accepted vnodes-per-node; beyond it balance no longer improves visibly.
pub const MAX_VNODES_PER_NODE: u32 = 1000;

/// Longest accepted node name, in characters, so labels stay paintable and keys readable.
pub const MAX_NAME_CHARS: usize = 64;

/// The number of positions on the circle (2^64), as the unit for arc lengths.
const CIRCLE: u128 = 1 << 64;

/// What the ring knows about one physical node; the UI renders it directly.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeInfo {
    /// Unique, validated name: it is also what the vnode positions are hashed from.
    pub name: String,
    /// Relative capacity; scales the node's vnode count.
    pub weight: f64,
    /// False while the node is failed: its points stay on the ring but own nothing.
    pub up: bool,
    /// How many points the node currently has on the ring.
    pub vnodes: u32,
}

/// One virtual node on the circle, as [`Ring::points`] hands it out (the ring itself stores
/// the three fields in separate arrays; 16 bytes per vnode either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    /// Position on the u64 circle: `pos("{name}#{idx}")`.
    pub pos: u64,
    /// The physical node this point belongs to.
    pub node: NodeId,
    /// The vnode index `i` in the label `"{name}#{i}"`.
    pub idx: u32,
}

/// All points of a ring in contract order, read from its three parallel arrays: what
/// `&[Point]` was before positions and owners were stored apart. Copy, cheap to pass around.
#[derive(Clone, Copy)]
pub struct Points<'a> {
    pos: &'a [u64],
    node: &'a [NodeId],
    idx: &'a [u32],
}

impl<'a> Points<'a> {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.pos.len()
    }

    /// True for a ring without nodes.
    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    /// The point at index `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<Point> {
        Some(Point {
            pos: *self.pos.get(i)?,
            node: *self.node.get(i)?,
            idx: *self.idx.get(i)?,
        })
    }

    /// The point at index `i`; panics past the end, like indexing a slice.
    pub fn at(&self, i: usize) -> Point {
        Point {
            pos: self.pos[i],
            node: self.node[i],
            idx: self.idx[i],
        }
    }

    /// Positions alone, ascending: what a lookup binary-searches.
    pub fn positions(&self) -> &'a [u64] {
        self.pos
    }

    /// Owners alone, index for index with [`positions`](Self::positions).
    pub fn owners(&self) -> &'a [NodeId] {
        self.node
    }

    /// The points in order, by value.
    pub fn iter(&self) -> impl Iterator<Item = Point> + 'a {
        let (pos, node, idx) = (self.pos, self.node, self.idx);
        (0..pos.len()).map(move |i| Point {
            pos: pos[i],
            node: node[i],
            idx: idx[i],
        })
    }

    /// The points copied out, e.g. to compare before and after a change.
    pub fn to_vec(&self) -> Vec<Point> {
        self.iter().collect()
    }
}

impl<'a> IntoIterator for Points<'a> {
    type Item = Point;
    type IntoIter = Box<dyn Iterator<Item = Point> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl PartialEq for Points<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.pos == other.pos && self.node == other.node && self.idx == other.idx
    }
}

impl PartialEq<&[Point]> for Points<'_> {
    fn eq(&self, other: &&[Point]) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == *b)
    }
}

impl fmt::Debug for Points<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A stretch of the circle, `(start, end]`, wrapping past the top when `start > end`.
/// `start == end` means the **whole circle** (it is then always emitted as `(0, 0]`); empty
/// arcs are never emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arc {
    /// Exclusive lower end.
    pub start: u64,
    /// Inclusive upper end.
    pub end: u64,
    /// Owner before the change (`None`: no live node existed).
    pub from: Option<NodeId>,
    /// Owner after the change (`None`: no live node is left).
    pub to: Option<NodeId>,
}

impl Arc {
    /// Whether hash `h` lies in this arc, honouring wrap-around and the whole-circle case.
    pub fn contains(&self, h: u64) -> bool {
        match self.start.cmp(&self.end) {
            Ordering::Less => self.start < h && h <= self.end,
            Ordering::Greater => h > self.start || h <= self.end,
            Ordering::Equal => true,
        }
    }

    /// Number of positions covered (2^64 for the whole circle), for exact share arithmetic.
    pub fn span(&self) -> u128 {
        if self.start == self.end {
            CIRCLE
        } else {
            self.end.wrapping_sub(self.start) as u128
        }
    }
}

/// The outcome of one ring mutation: exactly the arcs whose owner changed, so a key set can
/// re-place only the keys inside them instead of re-hashing everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    /// Disjoint, maximal arcs (adjacent arcs with the same `from`/`to` are merged).
    pub arcs: Vec<Arc>,
}

impl Change {
    /// True when no key changes owner (e.g. removing a node that was already down).
    pub fn is_empty(&self) -> bool {
        self.arcs.is_empty()
    }

    /// Fraction of the circle whose owner changed: the expected fraction of keys that move.
    pub fn fraction(&self) -> f64 {
        let total: u128 = self.arcs.iter().map(Arc::span).sum();
        total as f64 / CIRCLE as f64
    }
}

/// Why a ring operation was refused; every message says what to change.
#[derive(Clone, Debug, PartialEq)]
pub enum RingError {
    /// A node name was empty.
    EmptyName,
    /// A node name had more than [`MAX_NAME_CHARS`] characters.
    NameTooLong {
        /// The rejected name.
        name: String,
        /// Its length in characters.
        chars: usize,
    },
    /// A node name contained `,` or a control character.
    BadNameChar {
        /// The rejected name.
        name: String,
        /// The offending character.
        ch: char,
    },
    /// Another present node already has this name.
    DuplicateName(String),
    /// The weight was not a finite number greater than zero.
    BadWeight {
        /// The node it was meant for.
        name: String,
        /// The rejected weight.
        weight: f64,
    },
    /// The operation would put more than [`MAX_POINTS`] points on the ring.
    TooManyPoints {
        /// Points the ring would have had.
        requested: u128,
    },
    /// Vnodes per node outside `1..=MAX_VNODES_PER_NODE`.
    BadVnodes(u32),
    /// No present node has this id (never existed or was removed).
    NoSuchNode(NodeId),
    /// `fail_node` on a node that is already down.
    AlreadyDown(String),
    /// `recover_node` on a node that is up.
    AlreadyUp(String),
    /// Every node id has been used (2^32 adds in one ring's life).
    OutOfIds,
    /// The bounded-loads slack ε was negative or not finite.
    BadEpsilon(f64),
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingError::EmptyName => write!(f, "node name is empty; give the node a name"),
            RingError::NameTooLong { name, chars } => write!(
                f,
                "node name {name:?} has {chars} characters; use at most {MAX_NAME_CHARS}"
            ),
            RingError::BadNameChar { name, ch } => write!(
                f,
                "node name {name:?} contains {ch:?}; names cannot contain commas or control characters"
            ),
            RingError::DuplicateName(name) => write!(
                f,
                "a node named {name:?} already exists; pick a different name or remove it first"
            ),
            RingError::BadWeight { name, weight } => write!(
                f,
                "weight {weight} for node {name:?} is invalid; use a finite number greater than 0"
            ),
            RingError::TooManyPoints { requested } => write!(
                f,
                "that would put {requested} virtual nodes on the ring (limit {MAX_POINTS}); lower the weight or vnodes per node"
            ),
            RingError::BadVnodes(v) => write!(
                f,
                "vnodes per node must be between 1 and {MAX_VNODES_PER_NODE}, got {v}"
            ),
            RingError::NoSuchNode(id) => write!(f, "there is no node with id {id} (removed or never added)"),
            RingError::AlreadyDown(name) => write!(f, "node {name:?} is already down; recover it instead"),
            RingError::AlreadyUp(name) => write!(f, "node {name:?} is up; only a failed node can recover"),
            RingError::OutOfIds => write!(f, "this ring has used all node ids; start a new ring"),
            RingError::BadEpsilon(e) => write!(
                f,
                "bounded-loads slack ε = {e} is invalid; use a finite number ≥ 0 (e.g. 0.25)"
            ),
        }
    }
}

impl std::error::Error for RingError {}

/// Checks a node name against the contract (non-empty, ≤ 64 chars, no `,`, no control
/// characters) before anything is hashed, so CSV-ish inputs and labels stay unambiguous.
pub fn validate_name(name: &str) -> Result<(), RingError> {
    if name.is_empty() {
        return Err(RingError::EmptyName);
    }
    if let Some(ch) = name.chars().find(|&c| c == ',' || c.is_control()) {
        return Err(RingError::BadNameChar {
            name: name.to_owned(),
            ch,
        });
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(RingError::NameTooLong {
            name: name.to_owned(),
            chars,
        });
    }
    Ok(())
}

/// Vnode count for a weight under `vnodes_per_node`, per the contract, or an error when the
/// weight is unusable. Returns `u128` so the caller can check the total before narrowing.
fn vnode_count(name: &str, vnodes_per_node: u32, weight: f64) -> Result<u128, RingError> {
    if !weight.is_finite() || weight <= 0.0 {
        return Err(RingError::BadWeight {
            name: name.to_owned(),
            weight,
        });
    }
    let scaled = (f64::from(vnodes_per_node) * weight + 0.5).floor();
    if scaled > MAX_POINTS as f64 {
        return Err(RingError::TooManyPoints {
            requested: if scaled < u128::MAX as f64 {
                scaled as u128
            } else {
                u128::MAX
            },
        });
    }
    Ok((scaled as u128).max(1))
}

/// The contract's total order on points: position, then node name, then vnode index.
fn order(slots: &[Option<NodeInfo>], a: &Point, b: &Point) -> Ordering {
    a.pos.cmp(&b.pos).then_with(|| {
        if a.node == b.node {
            a.idx.cmp(&b.idx)
        } else {
            name_in(slots, a.node)
                .cmp(name_in(slots, b.node))
                .then(a.idx.cmp(&b.idx))
        }
    })
}

/// Sorts points into ring order; one function so both callers share one sort's code.
#[inline(never)]
fn sort_points(slots: &[Option<NodeInfo>], points: &mut [Point]) {
    points.sort_unstable_by(|a, b| order(slots, a, b));
}

fn name_in(slots: &[Option<NodeInfo>], id: NodeId) -> &str {
    slots
        .get(id as usize)
        .and_then(Option::as_ref)
        .map_or("", |n| n.name.as_str())
}

/// A changed stretch before merging: `len` is exact so the whole circle and an empty arc are
/// never confused even when `start == end`.
#[derive(Clone, Copy, Debug)]
struct Piece {
    start: u64,
    end: u64,
    len: u128,
    from: Option<NodeId>,
    to: Option<NodeId>,
}

/// Merges pieces given in circular order into maximal arcs (also across the top of the circle).
fn coalesce(pieces: impl IntoIterator<Item = Piece>) -> Change {
    let mut out: Vec<Piece> = Vec::new();
    for p in pieces {
        if p.len == 0 || p.from == p.to {
            continue;
        }
        if let Some(last) = out.last_mut() {
            if last.end == p.start && last.from == p.from && last.to == p.to {
                last.end = p.end;
                last.len += p.len;
                continue;
            }
        }
        out.push(p);
    }
    if out.len() > 1 {
        let last = out[out.len() - 1];
        let first = out[0];
        if last.end == first.start && last.from == first.from && last.to == first.to {
            out[0].start = last.start;
            out[0].len += last.len;
            out.pop();
        }
    }
    Change {
        arcs: out
            .into_iter()
            .map(|p| {
                let (start, end) = if p.len >= CIRCLE {
                    (0, 0)
                } else {
                    (p.start, p.end)
                };
                Arc {
                    start,
                    end,
                    from: p.from,
                    to: p.to,
                }
            })
            .collect(),
    }
}

/// The owner of each distinct live position, ascending: the ownership function of a ring.
fn boundaries(points: Points<'_>, live: &[bool]) -> Vec<(u64, NodeId)> {
    let mut out: Vec<(u64, NodeId)> = Vec::new();
    for p in points.iter() {
        if !live.get(p.node as usize).copied().unwrap_or(false) {
            continue;
        }
        match out.last() {
            Some(&(last, _)) if last == p.pos => {}
            _ => out.push((p.pos, p.node)),
        }
    }
    out
}

/// Arcs where two ownership functions differ, by sweeping the union of their boundaries.
/// O(n); used when everything may have changed and as the test oracle.
fn diff_boundaries(old: &[(u64, NodeId)], new: &[(u64, NodeId)]) -> Change {
    let mut cuts: Vec<u64> = Vec::with_capacity(old.len() + new.len());
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let next = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a.0 <= b.0 => {
                i += 1;
                a.0
            }
            (Some(a), None) => {
                i += 1;
                a.0
            }
            (_, Some(b)) => {
                j += 1;
                b.0
            }
            (None, None) => break,
        };
        if cuts.last() != Some(&next) {
            cuts.push(next);
        }
    }
    let owner_at = |list: &[(u64, NodeId)], k: &mut usize, b: u64| -> Option<NodeId> {
        while *k < list.len() && list[*k].0 < b {
            *k += 1;
        }
        list.get(*k).or(list.first()).map(|e| e.1)
    };
    let (mut oi, mut ni) = (0, 0);
    let m = cuts.len();
    let mut pieces = Vec::new();
    for (idx, &b) in cuts.iter().enumerate() {
        let prev = if idx == 0 { cuts[m - 1] } else { cuts[idx - 1] };
        let len = if m == 1 {
            CIRCLE
        } else {
            b.wrapping_sub(prev) as u128
        };
        pieces.push(Piece {
            start: prev,
            end: b,
            len,
            from: owner_at(old, &mut oi, b),
            to: owner_at(new, &mut ni, b),
        });
    }
    coalesce(pieces)
}

/// The slow, obviously correct change between two snapshots of one ring (same node ids): every
/// arc whose owner differs. The incremental operations are tested against it.
pub fn diff(before: &Ring, after: &Ring) -> Change {
    diff_boundaries(
        &boundaries(before.points(), &before.live),
        &boundaries(after.points(), &after.live),
    )
}

/// Memory used by a ring, for the "bytes per vnode" budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footprint {
    /// Number of points (vnodes) on the ring.
    pub points: usize,
    /// Bytes reserved for the point array (capacity × 16).
    pub point_bytes: usize,
    /// Bytes of per-node bookkeeping (slots, flags, name index), independent of vnode count.
    pub node_bytes: usize,
}

/// A consistent-hash ring with weighted virtual nodes and failable nodes.
#[derive(Clone, Debug)]
pub struct Ring {
    vnodes_per_node: u32,
    /// Indexed by `NodeId`; `None` once removed (ids are not reused).
    slots: Vec<Option<NodeInfo>>,
    /// `live[id]`: present and up. Separate from `slots` so lookups touch one dense byte array.
    live: Vec<bool>,
    by_name: VecMap<String, NodeId>,
    /// Positions of all points, live and down, in contract order; capacity kept equal to
    /// length (as for the two arrays below).
    pos: Vec<u64>,
    /// Owner of the point at the same index.
    owner: Vec<NodeId>,
    /// Vnode index of the point at the same index.
    vidx: Vec<u32>,
    live_nodes: usize,
    /// Where a vnode label lands; always `hash::pos` except in tests that force ties.
    position: fn(&str) -> u64,
}

impl Ring {
    /// An empty ring with `vnodes_per_node` points per unit of weight (1..=1000).
    pub fn new(vnodes_per_node: u32) -> Result<Self, RingError> {
        Self::with_position_fn(vnodes_per_node, hash::pos)
    }

    /// Same as `new` with another label hash, so unit tests can force position ties.
    fn with_position_fn(
        vnodes_per_node: u32,
        position: fn(&str) -> u64,
    ) -> Result<Self, RingError> {
        if !(1..=MAX_VNODES_PER_NODE).contains(&vnodes_per_node) {
            return Err(RingError::BadVnodes(vnodes_per_node));
        }
        Ok(Ring {
            vnodes_per_node,
            slots: Vec::new(),
            live: Vec::new(),
            by_name: VecMap::default(),
            pos: Vec::new(),
            owner: Vec::new(),
            vidx: Vec::new(),
            live_nodes: 0,
            position,
        })
    }

    /// The V in `max(1, floor(V·w + 0.5))`.
    pub fn vnodes_per_node(&self) -> u32 {
        self.vnodes_per_node
    }

    /// Adds a live node and reports the arcs it takes over. Rejects invalid or duplicate
    /// names, unusable weights and rings that would exceed [`MAX_POINTS`].
    pub fn add_node(&mut self, name: &str, weight: f64) -> Result<(NodeId, Change), RingError> {
        validate_name(name)?;
        if self.by_name.contains_key(name) {
            return Err(RingError::DuplicateName(name.to_owned()));
        }
        let count = vnode_count(name, self.vnodes_per_node, weight)?;
        let total = self.pos.len() as u128 + count;
        if total > MAX_POINTS as u128 {
            return Err(RingError::TooManyPoints { requested: total });
        }
        let id = NodeId::try_from(self.slots.len()).map_err(|_| RingError::OutOfIds)?;
        if id == NodeId::MAX {
            return Err(RingError::OutOfIds);
        }
        let count = count as u32; // ≤ MAX_POINTS, checked above
        self.slots.push(Some(NodeInfo {
            name: name.to_owned(),
            weight,
            up: true,
            vnodes: count,
        }));
        self.live.push(true);
        self.by_name.insert(name.to_owned(), id);
        self.live_nodes += 1;
        let fresh = self.make_points(id, name, 0..count);
        let at = self.insert_points(fresh);
        let change = self.toggle_change(&at, id, 0..count, true);
        Ok((id, change))
    }

    /// Deletes a node and its points; its keys go to the next live points clockwise.
    pub fn remove_node(&mut self, id: NodeId) -> Result<Change, RingError> {
        let info = self.info(id)?;
        let (name, up, count) = (info.name.clone(), info.up, info.vnodes);
        let at = self.locate(id, 0..count);
        let change = if up {
            self.toggle_change(&at, id, 0..count, false)
        } else {
            Change::default()
        };
        self.remove_at(&at, id, 0..count);
        self.slots[id as usize] = None;
        self.live[id as usize] = false;
        self.by_name.remove(&name);
        if up {
            self.live_nodes -= 1;
        }
        Ok(change)
    }

    /// Marks a node down: its points stay (so recovery restores exactly its keys) but are
    /// skipped by lookups, so its arcs pass to the next live points.
    pub fn fail_node(&mut self, id: NodeId) -> Result<Change, RingError> {
        let info = self.info(id)?;
        if !info.up {
            return Err(RingError::AlreadyDown(info.name.clone()));
        }
        let count = info.vnodes;
        let at = self.locate(id, 0..count);
        let change = self.toggle_change(&at, id, 0..count, false);
        self.set_up(id, false);
        Ok(change)
    }

    /// Brings a failed node back; it reclaims exactly the arcs it had.
    pub fn recover_node(&mut self, id: NodeId) -> Result<Change, RingError> {
        let info = self.info(id)?;
        if info.up {
            return Err(RingError::AlreadyUp(info.name.clone()));
        }
        let count = info.vnodes;
        self.set_up(id, true);
        let at = self.locate(id, 0..count);
        Ok(self.toggle_change(&at, id, 0..count, true))
    }

    /// Changes a node's weight, adding or removing only its highest-numbered vnodes, so the
    /// other vnodes (and their keys) stay put.
    pub fn set_weight(&mut self, id: NodeId, weight: f64) -> Result<Change, RingError> {
        let info = self.info(id)?;
        let (name, up, old) = (info.name.clone(), info.up, info.vnodes);
        let new = vnode_count(&name, self.vnodes_per_node, weight)?;
        let total = self.pos.len() as u128 - u128::from(old) + new;
        if total > MAX_POINTS as u128 {
            return Err(RingError::TooManyPoints { requested: total });
        }
        let new = new as u32; // ≤ MAX_POINTS, checked above
        let change = match new.cmp(&old) {
            Ordering::Greater => {
                let fresh = self.make_points(id, &name, old..new);
                let at = self.insert_points(fresh);
                self.set_vnodes(id, new);
                if up {
                    self.toggle_change(&at, id, old..new, true)
                } else {
                    Change::default()
                }
            }
            Ordering::Less => {
                let at = self.locate(id, new..old);
                let change = if up {
                    self.toggle_change(&at, id, new..old, false)
                } else {
                    Change::default()
                };
                self.remove_at(&at, id, new..old);
                self.set_vnodes(id, new);
                change
            }
            Ordering::Equal => Change::default(),
        };
        if let Some(Some(n)) = self.slots.get_mut(id as usize) {
            n.weight = weight;
        }
        Ok(change)
    }

    /// Changes V for every node. This moves nearly every point, so it rebuilds the array
    /// (one sort) and diffs the old and new ownership to report the changed arcs.
    pub fn set_vnodes_per_node(&mut self, v: u32) -> Result<Change, RingError> {
        if !(1..=MAX_VNODES_PER_NODE).contains(&v) {
            return Err(RingError::BadVnodes(v));
        }
        if v == self.vnodes_per_node {
            return Ok(Change::default());
        }
        let mut counts = Vec::with_capacity(self.slots.len());
        let mut total: u128 = 0;
        for (id, info) in self.nodes() {
            let c = vnode_count(&info.name, v, info.weight)?;
            total += c;
            counts.push((id, c as u32));
        }
        if total > MAX_POINTS as u128 {
            return Err(RingError::TooManyPoints { requested: total });
        }
        let before = boundaries(self.points(), &self.live);
        let mut points = Vec::with_capacity(total as usize);
        for &(id, c) in &counts {
            let name = name_in(&self.slots, id).to_owned();
            points.extend(self.make_points(id, &name, 0..c));
            self.set_vnodes(id, c);
        }
        sort_points(&self.slots, &mut points);
        self.pos = points.iter().map(|p| p.pos).collect();
        self.owner = points.iter().map(|p| p.node).collect();
        self.vidx = points.iter().map(|p| p.idx).collect();
        self.vnodes_per_node = v;
        Ok(diff_boundaries(
            &before,
            &boundaries(self.points(), &self.live),
        ))
    }

    /// The node's current state, or `None` if the id was removed or never existed.
    pub fn node(&self, id: NodeId) -> Option<&NodeInfo> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    /// Present nodes (up and down) in id order, i.e. in the order they were added.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &NodeInfo)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|n| (i as NodeId, n)))
    }

    /// Looks a present node up by its exact name.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.by_name.get(name).copied()
    }

    /// Number of present nodes (up and down).
    pub fn node_count(&self) -> usize {
        self.by_name.len()
    }

    /// Number of nodes that are up: the ones that can own keys.
    pub fn live_count(&self) -> usize {
        self.live_nodes
    }

    /// Whether `id` is present and up; the cheap check lookups use.
    #[inline]
    pub fn is_live(&self, id: NodeId) -> bool {
        self.live.get(id as usize).copied().unwrap_or(false)
    }

    /// Every point, live and down, in contract order, for painting and verification.
    pub fn points(&self) -> Points<'_> {
        Points {
            pos: &self.pos,
            node: &self.owner,
            idx: &self.vidx,
        }
    }

    /// The point at index `i` of [`points`](Self::points); panics past the end, like
    /// indexing a slice (callers pass indices the ring handed out).
    #[inline]
    pub fn point(&self, i: usize) -> Point {
        Point {
            pos: self.pos[i],
            node: self.owner[i],
            idx: self.vidx[i],
        }
    }

    /// Index into [`points`](Self::points) of the live point that owns hash `h`: the first
    /// live point at or after `h`, wrapping. Cost: one binary search plus a walk over down
    /// points that follow (short unless most nodes are down). `None` when no node is live.
    #[inline]
    pub fn owner_index(&self, h: u64) -> Option<usize> {
        if self.live_nodes == 0 {
            return None;
        }
        let n = self.pos.len();
        let mut i = self.pos.partition_point(|&p| p < h);
        for _ in 0..n {
            if i == n {
                i = 0;
            }
            if self.live[self.owner[i] as usize] {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    /// The live node owning hash `h`; `None` when no node is live.
    #[inline]
    pub fn owner_of(&self, h: u64) -> Option<NodeId> {
        self.owner_index(h).map(|i| self.owner[i])
    }

    /// Up to `r` distinct live nodes for hash `h`, owner first, then clockwise: the nodes that
    /// hold the copies in a replicated store. Fewer than `r` only if fewer nodes are live.
    pub fn replicas(&self, h: u64, r: usize) -> Vec<NodeId> {
        let want = r.min(self.live_nodes);
        let mut out = Vec::with_capacity(want);
        let Some(start) = self.owner_index(h) else {
            return out;
        };
        let mut seen = vec![false; self.slots.len()];
        let n = self.pos.len();
        for step in 0..n {
            if out.len() >= want {
                break;
            }
            let node = self.owner[(start + step) % n];
            let id = node as usize;
            if self.live[id] && !seen[id] {
                seen[id] = true;
                out.push(node);
            }
        }
        out
    }

    /// Exact fraction of the circle owned by each live node (sum of its arc lengths / 2^64),
    /// in id order; sums to 1 (up to float rounding) whenever a node is live.
    pub fn shares(&self) -> Vec<(NodeId, f64)> {
        let mut owned = vec![0u128; self.slots.len()];
        let bounds = boundaries(self.points(), &self.live);
        if bounds.len() == 1 {
            owned[bounds[0].1 as usize] = CIRCLE;
        } else {
            let mut prev = bounds.last().map_or(0, |b| b.0);
            for &(p, id) in &bounds {
                owned[id as usize] += p.wrapping_sub(prev) as u128;
                prev = p;
            }
        }
        self.nodes()
            .filter(|(_, n)| n.up)
            .map(|(id, _)| (id, owned[id as usize] as f64 / CIRCLE as f64))
            .collect()
    }

    /// Memory held by the ring, to check the 16-bytes-per-vnode budget.
    pub fn footprint(&self) -> Footprint {
        let names: usize = self
            .slots
            .iter()
            .flatten()
            .map(|n| 2 * n.name.capacity() + std::mem::size_of::<(String, NodeId)>())
            .sum();
        Footprint {
            points: self.pos.len(),
            point_bytes: self.pos.capacity() * std::mem::size_of::<u64>()
                + self.owner.capacity() * std::mem::size_of::<NodeId>()
                + self.vidx.capacity() * std::mem::size_of::<u32>(),
            node_bytes: self.slots.capacity() * std::mem::size_of::<Option<NodeInfo>>()
                + self.live.capacity()
                + names,
        }
    }

    fn info(&self, id: NodeId) -> Result<&NodeInfo, RingError> {
        self.node(id).ok_or(RingError::NoSuchNode(id))
    }

    fn set_up(&mut self, id: NodeId, up: bool) {
        if let Some(Some(n)) = self.slots.get_mut(id as usize) {
            if n.up != up {
                n.up = up;
                self.live[id as usize] = up;
                if up {
                    self.live_nodes += 1;
                } else {
                    self.live_nodes -= 1;
                }
            }
        }
    }

    fn set_vnodes(&mut self, id: NodeId, count: u32) {
        if let Some(Some(n)) = self.slots.get_mut(id as usize) {
            n.vnodes = count;
        }
    }

    /// The points of node `id` with indices in `range`, hashed from `"{name}#{i}"`, reusing one
    /// label buffer.
    fn make_points(&self, id: NodeId, name: &str, range: Range<u32>) -> Vec<Point> {
        let mut label = String::with_capacity(name.len() + 11);
        label.push_str(name);
        label.push('#');
        let base = label.len();
        range
            .map(|idx| {
                label.truncate(base);
                // Writing into a String cannot fail.
                let _ = write!(label, "{idx}");
                Point {
                    pos: (self.position)(&label),
                    node: id,
                    idx,
                }
            })
            .collect()
    }

    /// Merges `fresh` (one node's points, any order) into the sorted array with one block move
    /// per new point; returns their final indices, ascending.
    fn insert_points(&mut self, mut fresh: Vec<Point>) -> Vec<usize> {
        sort_points(&self.slots, &mut fresh);
        let at: Vec<usize> = fresh.iter().map(|p| self.first_not_before(p)).collect();
        let old_len = self.pos.len();
        let k = fresh.len();
        self.pos.reserve_exact(k);
        self.owner.reserve_exact(k);
        self.vidx.reserve_exact(k);
        self.pos.resize(old_len + k, 0);
        self.owner.resize(old_len + k, 0);
        self.vidx.resize(old_len + k, 0);
        let mut src_end = old_len;
        for j in (0..k).rev() {
            let dst = at[j] + j;
            self.pos.copy_within(at[j]..src_end, dst + 1);
            self.owner.copy_within(at[j]..src_end, dst + 1);
            self.vidx.copy_within(at[j]..src_end, dst + 1);
            self.pos[dst] = fresh[j].pos;
            self.owner[dst] = fresh[j].node;
            self.vidx[dst] = fresh[j].idx;
            src_end = at[j];
        }
        at.iter().enumerate().map(|(j, &a)| a + j).collect()
    }

    /// Index of the first point not ordered before `p` (where `p` is or would be inserted):
    /// a binary search on positions, then the contract's tie order among equal positions.
    fn first_not_before(&self, p: &Point) -> usize {
        let lo = self.pos.partition_point(|&q| q < p.pos);
        let hi = lo + self.pos[lo..].partition_point(|&q| q == p.pos);
        let mut i = lo;
        while i < hi && order(&self.slots, &self.point(i), p) == Ordering::Less {
            i += 1;
        }
        i
    }

    /// Sorted indices of node `id`'s points with vnode index in `range`, found by recomputing
    /// their positions and binary searching (falls back to a scan if anything is off).
    fn locate(&self, id: NodeId, range: Range<u32>) -> Vec<usize> {
        let name = name_in(&self.slots, id);
        let mut found = Vec::with_capacity(range.len());
        for p in self.make_points(id, name, range.clone()) {
            let i = self.first_not_before(&p);
            if i < self.pos.len() && self.point(i) == p {
                found.push(i);
            } else {
                debug_assert!(false, "point {p:?} missing from the ring");
                return (0..self.pos.len())
                    .filter(|&i| self.owner[i] == id && range.contains(&self.vidx[i]))
                    .collect();
            }
        }
        crate::sim::sort::sort_by_u64(&mut found, |&i| i as u64);
        found
    }

    /// Cuts the points at sorted indices `at` out of the arrays with block moves and gives the
    /// spare capacity back.
    fn remove_at(&mut self, at: &[usize], id: NodeId, range: Range<u32>) {
        let Some(&first) = at.first() else {
            return;
        };
        debug_assert!(at
            .iter()
            .all(|&i| self.owner[i] == id && range.contains(&self.vidx[i])));
        let len = self.pos.len();
        let mut write = first;
        for (t, &i) in at.iter().enumerate() {
            let next = at.get(t + 1).copied().unwrap_or(len);
            self.pos.copy_within(i + 1..next, write);
            self.owner.copy_within(i + 1..next, write);
            self.vidx.copy_within(i + 1..next, write);
            write += next - i - 1;
        }
        self.pos.truncate(write);
        self.owner.truncate(write);
        self.vidx.truncate(write);
        self.pos.shrink_to_fit();
        self.owner.shrink_to_fit();
        self.vidx.shrink_to_fit();
    }

    /// The arcs that change owner when node `x`'s points with index in `range` (at sorted
    /// indices `at`, all currently live) appear (`to_x`) or disappear (`!to_x`).
    ///
    /// Each such point owns `(previous live point, itself]`; without it those hashes belong to
    /// the next live point that is not in the set. Pieces come out in circular order and are
    /// merged into maximal arcs.
    fn toggle_change(&self, at: &[usize], x: NodeId, range: Range<u32>, to_x: bool) -> Change {
        let n = self.pos.len();
        let in_set = |i: usize| self.owner[i] == x && range.contains(&self.vidx[i]);
        let live = |i: usize| self.live[self.owner[i] as usize];
        let x_count = self.node(x).map_or(0, |i| i.vnodes as usize);
        let others_live = self.live_nodes > 1 || x_count > at.len();
        let label = |other: Option<NodeId>| {
            if to_x {
                (other, Some(x))
            } else {
                (Some(x), other)
            }
        };
        if at.is_empty() {
            return Change::default();
        }
        if !others_live {
            let (from, to) = label(None);
            return coalesce([Piece {
                start: 0,
                end: 0,
                len: CIRCLE,
                from,
                to,
            }]);
        }
        let mut pieces = Vec::with_capacity(at.len());
        for &j in at {
            let mut p = j;
            loop {
                p = if p == 0 { n - 1 } else { p - 1 };
                if live(p) {
                    break;
                }
            }
            let (start, end) = (self.pos[p], self.pos[j]);
            // Reaching `p` by wrapping past the top makes (start, end] go all the way round:
            // with equal positions that is the whole circle, not an empty arc.
            let len = if p < j {
                (end - start) as u128
            } else {
                CIRCLE - (start - end) as u128
            };
            if len == 0 {
                continue;
            }
            let mut q = j;
            let mut other = None;
            for _ in 0..n {
                q = if q + 1 == n { 0 } else { q + 1 };
                if live(q) && !in_set(q) {
                    other = Some(self.owner[q]);
                    break;
                }
            }
            let (from, to) = label(other);
            pieces.push(Piece {
                start,
                end,
                len,
                from,
                to,
            });
        }
        coalesce(pieces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force owner straight from the contract: first live point with pos ≥ h, wrapping.
    fn brute_owner(ring: &Ring, h: u64) -> Option<NodeId> {
        let live: Vec<Point> = ring
            .points()
            .iter()
            .filter(|p| ring.is_live(p.node))
            .collect();
        live.iter()
            .find(|p| p.pos >= h)
            .or(live.first())
            .map(|p| p.node)
    }

    /// Checks the array is sorted in contract order and matches the node table exactly.
    fn check_invariants(ring: &Ring) {
        let pts = ring.points().to_vec();
        for w in pts.windows(2) {
            assert_eq!(order(&ring.slots, &w[0], &w[1]), Ordering::Less, "{w:?}");
        }
        let total: usize = ring.nodes().map(|(_, n)| n.vnodes as usize).sum();
        assert_eq!(total, pts.len());
        assert_eq!(ring.pos.capacity(), pts.len());
        assert_eq!(ring.owner.capacity(), pts.len());
        assert_eq!(ring.vidx.capacity(), pts.len());
        assert_eq!(
            ring.live_count(),
            ring.nodes().filter(|(_, n)| n.up).count()
        );
        for (id, info) in ring.nodes() {
            let mut idx: Vec<u32> = pts.iter().filter(|p| p.node == id).map(|p| p.idx).collect();
            idx.sort_unstable();
            assert_eq!(idx, (0..info.vnodes).collect::<Vec<_>>());
        }
    }

    /// Every hash where ownership can change, plus neighbours and the extremes.
    fn probes(a: &Ring, b: &Ring) -> Vec<u64> {
        let mut hs = vec![0, 1, u64::MAX, u64::MAX / 2];
        for p in a.points().iter().chain(b.points()) {
            hs.extend([p.pos, p.pos.wrapping_sub(1), p.pos.wrapping_add(1)]);
        }
        hs
    }

    fn sorted(mut c: Change) -> Vec<Arc> {
        c.arcs.sort_by_key(|a| (a.start, a.end));
        c.arcs
    }

    /// The incremental change must equal the diff oracle and explain every probe exactly.
    fn check_change(before: &Ring, after: &Ring, change: &Change) {
        check_invariants(after);
        assert_eq!(sorted(change.clone()), sorted(diff(before, after)));
        for h in probes(before, after) {
            let (old, new) = (brute_owner(before, h), brute_owner(after, h));
            assert_eq!(before.owner_of(h), old);
            assert_eq!(after.owner_of(h), new);
            let hits: Vec<&Arc> = change.arcs.iter().filter(|a| a.contains(h)).collect();
            if old == new {
                assert!(hits.is_empty(), "h={h:#x} unchanged but in {hits:?}");
            } else {
                assert_eq!(hits.len(), 1, "h={h:#x} {old:?}->{new:?} in {hits:?}");
                assert_eq!((hits[0].from, hits[0].to), (old, new));
            }
        }
    }

    /// Only 8 distinct positions: nearly every point ties, exercising the name/index order.
    fn coarse(s: &str) -> u64 {
        (hash::pos(s) >> 61) << 61
    }

    fn scripted(position: fn(&str) -> u64, v: u32) {
        let mut ring = Ring::with_position_fn(v, position).unwrap();
        let step = |ring: &mut Ring, f: &dyn Fn(&mut Ring) -> Change| {
            let before = ring.clone();
            let change = f(ring);
            check_change(&before, ring, &change);
        };
        step(&mut ring, &|r| r.add_node("b", 1.0).unwrap().1);
        step(&mut ring, &|r| r.add_node("a", 2.0).unwrap().1);
        step(&mut ring, &|r| r.add_node("c", 0.5).unwrap().1);
        step(&mut ring, &|r| r.fail_node(1).unwrap());
        step(&mut ring, &|r| r.set_weight(0, 3.0).unwrap());
        step(&mut ring, &|r| r.set_weight(1, 0.2).unwrap());
        step(&mut ring, &|r| r.recover_node(1).unwrap());
        step(&mut ring, &|r| r.set_weight(0, 0.5).unwrap());
        step(&mut ring, &|r| r.fail_node(0).unwrap());
        step(&mut ring, &|r| r.fail_node(1).unwrap());
        step(&mut ring, &|r| r.fail_node(2).unwrap());
        step(&mut ring, &|r| r.recover_node(2).unwrap());
        step(&mut ring, &|r| r.set_vnodes_per_node(v + 3).unwrap());
        step(&mut ring, &|r| r.remove_node(2).unwrap());
        step(&mut ring, &|r| r.add_node("d", 1.0).unwrap().1);
        step(&mut ring, &|r| r.remove_node(1).unwrap());
        step(&mut ring, &|r| r.remove_node(3).unwrap());
        step(&mut ring, &|r| r.recover_node(0).unwrap());
        step(&mut ring, &|r| r.remove_node(0).unwrap());
        assert_eq!(ring.points().len(), 0);
        assert_eq!(ring.owner_of(5), None);
    }

    #[test]
    fn scripted_changes_match_oracle_with_real_hash() {
        for v in [1, 2, 5, 40] {
            scripted(hash::pos, v);
        }
    }

    #[test]
    fn scripted_changes_match_oracle_with_forced_ties() {
        for v in [1, 2, 3, 7, 20] {
            scripted(coarse, v);
            scripted(|_| 42, v);
            scripted(|s| if hash::pos(s) & 1 == 0 { 0 } else { u64::MAX }, v);
        }
    }

    #[test]
    fn ties_are_broken_by_name_then_index() {
        let mut ring = Ring::with_position_fn(3, |_| 42).unwrap();
        ring.add_node("zed", 1.0).unwrap();
        ring.add_node("amy", 1.0).unwrap();
        let order: Vec<(NodeId, u32)> = ring.points().iter().map(|p| (p.node, p.idx)).collect();
        assert_eq!(order, vec![(1, 0), (1, 1), (1, 2), (0, 0), (0, 1), (0, 2)]);
        assert_eq!(ring.owner_of(42), Some(1));
        assert_eq!(ring.owner_of(43), Some(1));
        assert_eq!(ring.shares(), vec![(0, 0.0), (1, 1.0)]);
        let change = ring.fail_node(1).unwrap();
        assert_eq!(
            change.arcs,
            vec![Arc {
                start: 0,
                end: 0,
                from: Some(1),
                to: Some(0)
            }]
        );
    }

    #[test]
    fn first_node_takes_whole_circle_and_last_gives_it_back() {
        let mut ring = Ring::new(10).unwrap();
        let (a, c) = ring.add_node("a", 1.0).unwrap();
        assert_eq!(
            c.arcs,
            vec![Arc {
                start: 0,
                end: 0,
                from: None,
                to: Some(a)
            }]
        );
        assert!((c.fraction() - 1.0).abs() < 1e-12);
        let c = ring.fail_node(a).unwrap();
        assert_eq!(
            c.arcs,
            vec![Arc {
                start: 0,
                end: 0,
                from: Some(a),
                to: None
            }]
        );
        assert_eq!(ring.remove_node(a).unwrap(), Change::default());
        assert_eq!(ring.remove_node(a), Err(RingError::NoSuchNode(a)));
    }

    #[test]
    fn vnode_counts_follow_the_contract() {
        let mut ring = Ring::new(10).unwrap();
        let (a, _) = ring.add_node("a", 0.25).unwrap(); // floor(2.5 + 0.5) = 3
        let (b, _) = ring.add_node("b", 0.01).unwrap(); // max(1, floor(0.6)) = 1
        let (c, _) = ring.add_node("c", 1.04).unwrap(); // floor(10.9) = 10
        assert_eq!(ring.node(a).unwrap().vnodes, 3);
        assert_eq!(ring.node(b).unwrap().vnodes, 1);
        assert_eq!(ring.node(c).unwrap().vnodes, 10);
        let p = ring
            .points()
            .iter()
            .find(|p| p.node == a && p.idx == 2)
            .unwrap();
        assert_eq!(p.pos, hash::pos("a#2"));
    }

    #[test]
    fn bad_inputs_are_rejected_without_changing_the_ring() {
        let mut ring = Ring::new(100).unwrap();
        ring.add_node("a", 1.0).unwrap();
        let snapshot = ring.points().to_vec();
        for w in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                ring.add_node("b", w),
                Err(RingError::BadWeight { .. })
            ));
            assert!(matches!(
                ring.set_weight(0, w),
                Err(RingError::BadWeight { .. })
            ));
        }
        assert!(matches!(
            ring.add_node("b", 1e9),
            Err(RingError::TooManyPoints { .. })
        ));
        assert!(matches!(
            ring.set_weight(0, 20_001.0),
            Err(RingError::TooManyPoints { .. })
        ));
        assert_eq!(
            ring.add_node("a", 1.0),
            Err(RingError::DuplicateName("a".into()))
        );
        assert_eq!(ring.set_vnodes_per_node(0), Err(RingError::BadVnodes(0)));
        assert_eq!(
            ring.set_vnodes_per_node(1001),
            Err(RingError::BadVnodes(1001))
        );
        assert!(matches!(Ring::new(0), Err(RingError::BadVnodes(0))));
        assert_eq!(ring.recover_node(0), Err(RingError::AlreadyUp("a".into())));
        assert_eq!(ring.fail_node(7), Err(RingError::NoSuchNode(7)));
        assert_eq!(ring.points(), &snapshot[..]);
        ring.fail_node(0).unwrap();
        assert_eq!(ring.fail_node(0), Err(RingError::AlreadyDown("a".into())));
    }

    #[test]
    fn removed_ids_are_not_reused_and_names_are() {
        let mut ring = Ring::new(5).unwrap();
        let (a, _) = ring.add_node("a", 1.0).unwrap();
        ring.remove_node(a).unwrap();
        let (a2, _) = ring.add_node("a", 1.0).unwrap();
        assert_ne!(a, a2);
        assert_eq!(ring.node_id("a"), Some(a2));
        assert_eq!(ring.node(a), None);
        assert_eq!(ring.nodes().count(), 1);
    }

    #[test]
    fn point_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Point>(), 16);
    }

    #[test]
    fn arc_contains_handles_wrap_and_full() {
        let plain = Arc {
            start: 10,
            end: 20,
            from: None,
            to: None,
        };
        assert!(
            !plain.contains(10) && plain.contains(11) && plain.contains(20) && !plain.contains(21)
        );
        let wrap = Arc {
            start: u64::MAX - 1,
            end: 1,
            from: None,
            to: None,
        };
        assert!(
            wrap.contains(u64::MAX) && wrap.contains(0) && wrap.contains(1) && !wrap.contains(2)
        );
        assert_eq!(wrap.span(), 3);
        let full = Arc {
            start: 0,
            end: 0,
            from: None,
            to: None,
        };
        assert!(full.contains(0) && full.contains(u64::MAX));
        assert_eq!(full.span(), CIRCLE);
    }

    #[test]
    fn error_messages_name_the_fix() {
        let e = validate_name("a,b").unwrap_err();
        assert!(e.to_string().contains("cannot contain commas"), "{e}");
        let e = RingError::TooManyPoints {
            requested: 3_000_000,
        };
        assert!(e.to_string().contains("lower the weight"), "{e}");
    }
}
