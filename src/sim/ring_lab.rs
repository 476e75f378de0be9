//! The hash-ring lab: a ring, a key set and the story of what each topology change did.
//!
//! The UI sends `RingCmd`s here and animates the returned `Report`; the same commands run
//! natively in tests, so every number the page shows is checked without a browser.

use crate::sim::algorithms::{self, specs_of, Algorithm, NodeSpec, Params};
use crate::sim::key_set::{KeyPattern, KeySet, Moved};
use crate::sim::ring::{Arc, NodeId, Ring};
use crate::sim::text::group_digits;

/// Nodes a fresh lab starts with: enough to see arcs interleave, few enough to read.
pub const DEFAULT_NODES: [&str; 4] = ["A", "B", "C", "D"];
/// Default vnodes per node in the lab (the CLI defaults to 100; 16 keeps arcs readable).
pub const DEFAULT_VNODES: u32 = 16;
/// Default number of generated keys.
pub const DEFAULT_KEYS: usize = 2_000;
/// Largest key set the lab generates: keeps a browser tab responsive.
pub const MAX_KEYS: usize = 200_000;

/// How the lab's keys are made.
#[derive(Clone, Debug, PartialEq)]
pub struct KeySpec {
    /// How many keys to generate (ignored when `names` is set).
    pub count: usize,
    /// Seed for generated names and hot-key weights.
    pub seed: u64,
    /// Name style of generated keys.
    pub pattern: KeyPattern,
    /// Hot-key skew (0 = uniform access).
    pub skew: f64,
    /// Keys pasted by the user, used verbatim instead of generating.
    pub names: Option<Vec<String>>,
}

impl Default for KeySpec {
    fn default() -> Self {
        KeySpec {
            count: DEFAULT_KEYS,
            seed: 1,
            pattern: KeyPattern::Orders,
            skew: 0.0,
            names: None,
        }
    }
}

/// Everything a user can do to the ring.
#[derive(Clone, Debug, PartialEq)]
pub enum RingCmd {
    /// Add a node; `None` picks the next free letter.
    AddNode {
        /// Name to use, validated by the placement contract.
        name: Option<String>,
        /// Weight (vnodes scale with it).
        weight: f64,
    },
    /// Delete a node and its points.
    RemoveNode(NodeId),
    /// Mark a node down: its points stay, its keys go to successors.
    FailNode(NodeId),
    /// Bring a failed node back: exactly its old keys return.
    RecoverNode(NodeId),
    /// Change a node's weight.
    SetWeight(NodeId, f64),
    /// Change vnodes per node for every node.
    SetVnodes(u32),
    /// Change the replication factor shown for lookups.
    SetReplicas(usize),
    /// Replace the key set.
    SetKeys(KeySpec),
    /// Grow (auto-named nodes) or shrink (newest first) the cluster to this many nodes.
    SetNodeCount(usize),
    /// Colour keys by another placement scheme, to see what it would do on the same ring.
    ViewAlgorithm(Algorithm),
}

/// Largest cluster the lab builds: 1000 nodes × 1000 vnodes stays within the ring's limits.
pub const MAX_NODES: usize = 2_000;

/// What one command did, in numbers and in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// One-line description for the event log.
    pub text: String,
    /// Arcs that changed owner (for the sweep).
    pub arcs: Vec<Arc>,
    /// Keys that changed owner (for the glide).
    pub moved: Vec<Moved>,
    /// Keys in the lab when it happened.
    pub total_keys: usize,
    /// Fraction of keys ideally moved by such a change (1/N), if it is a membership change.
    pub ideal: Option<f64>,
    /// Keys `hash mod N` would have moved on the same change.
    pub mod_n_moved: Option<usize>,
    /// Keys whose owner changed under the viewed algorithm, when that is not the ring: what
    /// the canvas animates.
    pub view_moved: Option<Vec<Moved>>,
    /// Membership before and after, so every algorithm can be compared on this event.
    pub before: Vec<NodeSpec>,
    /// See `before`.
    pub after: Vec<NodeSpec>,
}

impl Report {
    /// "k keys moved (x% of keys; ideal 1/N = y%)", the counter the canvas shows.
    pub fn moved_sentence(&self) -> String {
        let pct = percent(self.moved.len(), self.total_keys);
        match self.ideal {
            Some(ideal) => format!(
                "{} keys moved ({pct:.1}% of keys; ideal 1/{} = {:.1}%)",
                group_digits(self.moved.len() as u64),
                (1.0 / ideal).round() as u64,
                ideal * 100.0
            ),
            None => format!(
                "{} keys moved ({pct:.1}% of keys)",
                group_digits(self.moved.len() as u64)
            ),
        }
    }

    /// The same figure for `hash mod N`, when it applies.
    pub fn mod_n_sentence(&self) -> Option<String> {
        self.mod_n_moved.map(|m| {
            format!(
                "hash mod N would move {} keys ({:.1}%)",
                group_digits(m as u64),
                percent(m, self.total_keys)
            )
        })
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// One line of the event log, numbered so screen readers and tests can follow it.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// What happened, in words.
    pub text: String,
}

/// The lab's whole state.
#[derive(Clone, Debug)]
pub struct RingLab {
    ring: Ring,
    keys: KeySet,
    spec: KeySpec,
    replicas: usize,
    log: Vec<LogEntry>,
    last: Option<Report>,
    view: Algorithm,
    view_owners: Vec<Option<NodeId>>,
}

impl RingLab {
    /// A lab with the default nodes and keys.
    pub fn new() -> Self {
        let mut lab = RingLab::empty(DEFAULT_VNODES).expect("DEFAULT_VNODES is in range");
        for name in DEFAULT_NODES {
            // Default names are valid and distinct; a failure here would be a bug we want
            // surfaced in the log rather than a panic.
            if let Err(e) = lab.apply(RingCmd::AddNode {
                name: Some(name.to_string()),
                weight: 1.0,
            }) {
                lab.push_log(format!("could not add default node {name}: {e}"));
            }
        }
        lab.log.clear();
        lab.last = None;
        lab.push_log(format!(
            "ring ready: {} nodes × {} vnodes, {} keys",
            DEFAULT_NODES.len(),
            DEFAULT_VNODES,
            group_digits(lab.keys.len() as u64)
        ));
        lab
    }

    /// A lab with no nodes, for tests and imports; fails on an out-of-range vnode count.
    pub fn empty(vnodes: u32) -> Result<Self, String> {
        let ring = Ring::new(vnodes).map_err(|e| e.to_string())?;
        let spec = KeySpec::default();
        let mut keys = make_keys(&spec);
        keys.assign_all(&ring);
        Ok(RingLab {
            ring,
            keys,
            spec,
            replicas: 2,
            log: Vec::new(),
            last: None,
            view: Algorithm::Ring,
            view_owners: Vec::new(),
        })
    }

    /// The ring.
    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// The keys and their owners.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// How the keys were made.
    pub fn key_spec(&self) -> &KeySpec {
        &self.spec
    }

    /// Replication factor for lookups.
    pub fn replicas(&self) -> usize {
        self.replicas
    }

    /// The event log, oldest first.
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }

    /// What the last command did.
    pub fn last_report(&self) -> Option<&Report> {
        self.last.as_ref()
    }

    /// The scheme the keys are coloured by.
    pub fn view_algorithm(&self) -> Algorithm {
        self.view
    }

    /// Each key's owner under the viewed scheme (the ring's own owners by default).
    pub fn view_owners(&self) -> &[Option<NodeId>] {
        if self.view == Algorithm::Ring {
            self.keys.owners()
        } else {
            &self.view_owners
        }
    }

    fn params(&self) -> Params {
        Params {
            vnodes_per_node: self.ring.vnodes_per_node(),
            ..Params::default()
        }
    }

    /// Owners of every key under `alg` for the current ring's nodes.
    fn place_with(&self, alg: Algorithm) -> Result<Vec<Option<NodeId>>, String> {
        let ids: Vec<NodeId> = self.ring.nodes().map(|(id, _)| id).collect();
        let placed = algorithms::place(
            alg,
            &specs_of(&self.ring),
            self.keys.hashes(),
            &self.params(),
        )
        .map_err(|e| e.to_string())?;
        Ok(placed.into_iter().map(|o| o.map(|i| ids[i])).collect())
    }

    /// Every algorithm on the last membership or weight change: keys moved and balance.
    /// `None` until such a change happened.
    pub fn compare_last(&self) -> Option<Result<Vec<algorithms::Report>, String>> {
        let last = self
            .last
            .as_ref()
            .filter(|r| !r.before.is_empty() || !r.after.is_empty())?;
        Some(
            algorithms::compare(&last.before, &last.after, &self.keys, &self.params())
                .map_err(|e| e.to_string()),
        )
    }

    /// The next free auto-name: A..Z, then N27, N28, ...
    pub fn next_name(&self) -> String {
        (b'A'..=b'Z')
            .map(|c| (c as char).to_string())
            .chain((27..).map(|n| format!("N{n}")))
            .find(|n| self.ring.node_id(n).is_none())
            .unwrap_or_default()
    }

    fn name_of(&self, id: NodeId) -> String {
        self.ring
            .node(id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    }

    fn push_log(&mut self, text: String) {
        let seq = self.log.last().map_or(1, |e| e.seq + 1);
        self.log.push(LogEntry { seq, text });
    }

    fn live_ids(&self) -> Vec<NodeId> {
        self.ring
            .nodes()
            .filter(|(_, n)| n.up)
            .map(|(id, _)| id)
            .collect()
    }

    fn quiet_report(&self, text: String) -> Report {
        Report {
            text,
            arcs: Vec::new(),
            moved: Vec::new(),
            total_keys: self.keys.len(),
            ideal: None,
            mod_n_moved: None,
            view_moved: None,
            before: Vec::new(),
            after: Vec::new(),
        }
    }

    /// Grows or shrinks the cluster in one step; the report covers the net effect.
    fn set_node_count(&mut self, n: usize) -> Result<&Report, String> {
        if n == 0 || n > MAX_NODES {
            return Err(format!(
                "node count must be between 1 and {MAX_NODES}, got {n}"
            ));
        }
        let current = self.ring.nodes().count();
        if n == current {
            return Err(format!("the cluster already has {n} nodes"));
        }
        let before_specs = specs_of(&self.ring);
        let old_owners: Vec<Option<NodeId>> = self.keys.owners().to_vec();
        let old_view = self.view_snapshot();
        let mut arcs = Vec::new();
        if n > current {
            for _ in current..n {
                let name = self.next_name();
                let (_, change) = self.ring.add_node(&name, 1.0).map_err(|e| e.to_string())?;
                arcs.extend(change.arcs);
            }
        } else {
            let ids: Vec<NodeId> = self.ring.nodes().map(|(id, _)| id).collect();
            let newest: Vec<NodeId> = ids.into_iter().rev().take(current - n).collect();
            for id in newest {
                arcs.extend(self.ring.remove_node(id).map_err(|e| e.to_string())?.arcs);
            }
        }
        self.keys.assign_all(&self.ring);
        let moved = diff_owners(&old_owners, self.keys.owners());
        let view_moved = self.refresh_view(&old_view);
        let after_specs = specs_of(&self.ring);
        let mod_n_moved = self.mod_n_moved(&before_specs, &after_specs).ok();
        let mut report = Report {
            text: String::new(),
            arcs,
            moved,
            total_keys: self.keys.len(),
            ideal: None,
            mod_n_moved,
            view_moved,
            before: before_specs,
            after: after_specs,
        };
        let verb = format!("cluster resized from {current} to {n} nodes");
        report.text = format!("{verb}; {}", report.moved_sentence());
        Ok(self.finish(report))
    }

    /// The viewed owners before a change, needed only when the view is not the ring (the
    /// ring's own moves come from the change's arcs), so the common case copies nothing.
    fn view_snapshot(&self) -> Vec<Option<NodeId>> {
        if self.view == Algorithm::Ring {
            Vec::new()
        } else {
            self.view_owners.clone()
        }
    }

    /// Re-places keys under the viewed scheme after a topology change (the ring's own nodes
    /// are valid input for every scheme, so this cannot fail in practice; if it ever did, the
    /// view falls back to the ring rather than leaving a half-applied change).
    fn refresh_view(&mut self, old_view: &[Option<NodeId>]) -> Option<Vec<Moved>> {
        if self.view == Algorithm::Ring {
            return None;
        }
        match self.place_with(self.view) {
            Ok(owners) => self.view_owners = owners,
            Err(_) => {
                self.view = Algorithm::Ring;
                self.view_owners.clear();
            }
        }
        Some(diff_owners(old_view, self.view_owners()))
    }

    fn mod_n_moved(&self, before: &[NodeSpec], after: &[NodeSpec]) -> Result<usize, String> {
        algorithms::moved(
            Algorithm::ModN,
            before,
            after,
            self.keys.hashes(),
            &self.params(),
        )
        .map_err(|e| e.to_string())
    }

    /// Applies one command. On error nothing changes and the message says why.
    pub fn apply(&mut self, cmd: RingCmd) -> Result<&Report, String> {
        let before_specs = specs_of(&self.ring);
        let old_view = self.view_snapshot();
        let before = self.live_ids();
        let (verb, change) = match cmd {
            RingCmd::AddNode { name, weight } => {
                let name = name
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| self.next_name());
                let (id, change) = self
                    .ring
                    .add_node(&name, weight)
                    .map_err(|e| e.to_string())?;
                let vnodes = self.ring.node(id).map_or(0, |n| n.vnodes);
                (format!("{name} joined ({vnodes} vnodes)"), change)
            }
            RingCmd::RemoveNode(id) => {
                let name = self.name_of(id);
                let change = self.ring.remove_node(id).map_err(|e| e.to_string())?;
                (format!("{name} left"), change)
            }
            RingCmd::FailNode(id) => {
                let name = self.name_of(id);
                let change = self.ring.fail_node(id).map_err(|e| e.to_string())?;
                (format!("{name} failed"), change)
            }
            RingCmd::RecoverNode(id) => {
                let name = self.name_of(id);
                let change = self.ring.recover_node(id).map_err(|e| e.to_string())?;
                (format!("{name} recovered"), change)
            }
            RingCmd::SetWeight(id, w) => {
                let name = self.name_of(id);
                let change = self.ring.set_weight(id, w).map_err(|e| e.to_string())?;
                (format!("{name} weight set to {w}"), change)
            }
            RingCmd::SetVnodes(v) => {
                let change = self
                    .ring
                    .set_vnodes_per_node(v)
                    .map_err(|e| e.to_string())?;
                (format!("vnodes per node set to {v}"), change)
            }
            RingCmd::SetReplicas(r) => {
                if r == 0 || r > 16 {
                    return Err(format!(
                        "replication factor must be between 1 and 16, got {r}"
                    ));
                }
                self.replicas = r;
                let report = self.quiet_report(format!("replication factor set to {r}"));
                return Ok(self.finish(report));
            }
            RingCmd::SetKeys(spec) => {
                let spec = validate_spec(spec)?;
                let mut keys = make_keys(&spec);
                keys.assign_all(&self.ring);
                self.keys = keys;
                self.spec = spec;
                self.refresh_view(&[]);
                let report = self.quiet_report(format!(
                    "key set replaced: {} keys",
                    group_digits(self.keys.len() as u64)
                ));
                return Ok(self.finish(report));
            }
            RingCmd::ViewAlgorithm(alg) => {
                let old: Vec<Option<NodeId>> = self.view_owners().to_vec();
                let new = if alg == Algorithm::Ring {
                    Vec::new()
                } else {
                    self.place_with(alg)?
                };
                self.view = alg;
                self.view_owners = new;
                let moved = diff_owners(&old, self.view_owners());
                let mut report = self.quiet_report(format!(
                    "keys coloured by {}: {} keys differ from the previous colouring",
                    alg.label(),
                    group_digits(moved.len() as u64)
                ));
                report.view_moved = Some(moved);
                return Ok(self.finish(report));
            }
            RingCmd::SetNodeCount(n) => return self.set_node_count(n),
        };
        let moved = self.keys.apply(&self.ring, &change);
        let after = self.live_ids();
        let after_specs = specs_of(&self.ring);
        let membership = before.len() != after.len();
        let ideal = if membership {
            let n = before.len().max(after.len());
            (n > 0).then(|| 1.0 / n as f64)
        } else {
            None
        };
        let mod_n_moved = if membership {
            self.mod_n_moved(&before_specs, &after_specs).ok()
        } else {
            None
        };
        let view_moved = self.refresh_view(&old_view);
        let mut report = Report {
            text: String::new(),
            arcs: change.arcs,
            moved,
            total_keys: self.keys.len(),
            ideal,
            mod_n_moved,
            view_moved,
            before: before_specs,
            after: after_specs,
        };
        report.text = format!("{verb}; {}", report.moved_sentence());
        Ok(self.finish(report))
    }

    fn finish(&mut self, report: Report) -> &Report {
        self.push_log(report.text.clone());
        self.last.insert(report)
    }
}

impl Default for RingLab {
    fn default() -> Self {
        RingLab::new()
    }
}

fn validate_spec(spec: KeySpec) -> Result<KeySpec, String> {
    if let Some(names) = &spec.names {
        if names.is_empty() {
            return Err("paste at least one key".to_string());
        }
        if names.len() > MAX_KEYS {
            return Err(format!("at most {MAX_KEYS} keys, got {}", names.len()));
        }
    } else if spec.count > MAX_KEYS {
        return Err(format!("at most {MAX_KEYS} keys, got {}", spec.count));
    }
    if !spec.skew.is_finite() || spec.skew < 0.0 || spec.skew > 4.0 {
        return Err(format!("skew must be between 0 and 4, got {}", spec.skew));
    }
    Ok(spec)
}

fn make_keys(spec: &KeySpec) -> KeySet {
    match &spec.names {
        Some(names) => KeySet::from_names(names.clone()),
        None => KeySet::generate(spec.count, spec.seed, spec.pattern, spec.skew),
    }
}

/// Keys whose owner differs between two placements of the same key set.
fn diff_owners(old: &[Option<NodeId>], new: &[Option<NodeId>]) -> Vec<Moved> {
    old.iter()
        .zip(new)
        .enumerate()
        .filter(|(_, (o, n))| o != n)
        .map(|(k, (&from, &to))| Moved {
            key: k as u32,
            from,
            to,
        })
        .collect()
}
