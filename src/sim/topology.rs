//! The ring as seen by the world: membership changes (join, leave, fail, recover) are
//! commands with their own events, and each reports how many of the scenario's keys moved.
//! A thin adapter, so the world never depends on the ring's internals.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::hash;
use super::ring::{Change, NodeId, Ring};

/// Largest key set a scenario may ask for: enough to see balance, small enough to re-count
/// on every membership change in a browser frame.
pub const MAX_KEYS: u32 = 100_000;

/// The keys whose placement a scenario tracks: `pattern` with `{}` replaced by 0..count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyCfg {
    /// How many keys (at most [`MAX_KEYS`]).
    pub count: u32,
    /// Key name template; `{}` becomes the key's number (default `"key:{}"`).
    #[serde(default = "default_pattern")]
    pub pattern: String,
}

fn default_pattern() -> String {
    "key:{}".to_string()
}

impl Default for KeyCfg {
    fn default() -> Self {
        KeyCfg {
            count: 1000,
            pattern: default_pattern(),
        }
    }
}

/// Ring plus the hashes of the tracked keys. Both are shared between snapshots (the ring is
/// copied on write, and membership changes are rare), so a snapshot costs a pointer here.
#[derive(Clone, Debug)]
pub struct Topology {
    ring: Arc<Ring>,
    keys: Arc<[u64]>,
    epoch: u64,
}

impl Topology {
    /// An empty ring with `vnodes` points per unit weight and the given keys.
    pub fn new(vnodes: u32, keys: &KeyCfg) -> Result<Self, String> {
        if keys.count > MAX_KEYS {
            return Err(format!(
                "count must be at most {MAX_KEYS}, got {}",
                keys.count
            ));
        }
        let ring = Ring::new(vnodes).map_err(|e| e.to_string())?;
        let hashes: Vec<u64> = (0..keys.count)
            .map(|i| hash::pos(&keys.pattern.replace("{}", &i.to_string())))
            .collect();
        Ok(Topology {
            ring: Arc::new(ring),
            keys: hashes.into(),
            epoch: 0,
        })
    }

    /// Membership changes since [`Topology::reset_epoch`]: protocols compare it with the
    /// epoch at which they last checked who owns what (lock ownership handoff).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Starts counting changes from zero (the world calls it once the initial cluster is
    /// built, so the initial joins are not "changes").
    pub(crate) fn reset_epoch(&mut self) {
        self.epoch = 0;
    }

    /// The ring, for queries (owners, replicas) and for the UI.
    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// Hashes of the tracked keys.
    pub fn key_hashes(&self) -> &[u64] {
        &self.keys
    }

    fn moved(&self, change: &Change) -> u64 {
        if change.is_empty() {
            return 0;
        }
        self.keys
            .iter()
            .filter(|&&h| change.arcs.iter().any(|a| a.contains(h)))
            .count() as u64
    }

    /// Adds a server; returns its ring id and how many keys moved to it.
    pub fn join(&mut self, name: &str, weight: f64) -> Result<(NodeId, u64), String> {
        let (id, ch) = Arc::make_mut(&mut self.ring)
            .add_node(name, weight)
            .map_err(|e| e.to_string())?;
        self.epoch += 1;
        Ok((id, self.moved(&ch)))
    }

    /// Removes a server for good; returns how many keys moved away.
    pub fn leave(&mut self, id: NodeId) -> Result<u64, String> {
        let ch = Arc::make_mut(&mut self.ring)
            .remove_node(id)
            .map_err(|e| e.to_string())?;
        self.epoch += 1;
        Ok(self.moved(&ch))
    }

    /// Marks a server failed in the ring; returns how many keys moved to successors.
    pub fn fail(&mut self, id: NodeId) -> Result<u64, String> {
        let ch = Arc::make_mut(&mut self.ring)
            .fail_node(id)
            .map_err(|e| e.to_string())?;
        self.epoch += 1;
        Ok(self.moved(&ch))
    }

    /// Marks a failed server healthy; returns how many keys came back.
    pub fn recover(&mut self, id: NodeId) -> Result<u64, String> {
        let ch = Arc::make_mut(&mut self.ring)
            .recover_node(id)
            .map_err(|e| e.to_string())?;
        self.epoch += 1;
        Ok(self.moved(&ch))
    }

    /// Bytes this topology adds to a snapshot: the ring and key hashes are shared between
    /// snapshots until a membership change copies the ring, so only the handles count.
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
    }

    /// Bytes of the ring itself (shared by every snapshot taken since the last change).
    pub fn ring_bytes(&self) -> usize {
        let f = self.ring.footprint();
        f.point_bytes + f.node_bytes
    }
}

/// Two topologies are equal when the same nodes own the same points and track the same keys.
impl PartialEq for Topology {
    fn eq(&self, other: &Self) -> bool {
        self.keys == other.keys
            && self.epoch == other.epoch
            && self.ring.points() == other.ring.points()
            && self.ring.nodes().eq(other.ring.nodes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_fail_recover_count_moved_keys() {
        let mut t = Topology::new(32, &KeyCfg::default()).unwrap();
        let (a, moved_a) = t.join("A", 1.0).unwrap();
        assert_eq!(moved_a, 1000, "the first node takes every key");
        let (_b, moved_b) = t.join("B", 1.0).unwrap();
        assert!(moved_b > 0 && moved_b < 1000);
        let failed = t.fail(a).unwrap();
        assert_eq!(failed, 1000 - moved_b, "A's keys all move to B");
        assert_eq!(t.recover(a).unwrap(), failed);
        assert!(t.fail(a).is_ok() && t.fail(a).is_err());
    }

    #[test]
    fn too_many_keys_is_an_error() {
        let cfg = KeyCfg {
            count: MAX_KEYS + 1,
            ..KeyCfg::default()
        };
        assert!(Topology::new(8, &cfg).unwrap_err().contains("count"));
    }
}
