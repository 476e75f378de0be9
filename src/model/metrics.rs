//! Numbers the metrics panel shows, computed once per change and readable as text, so
//! screen readers and tests see exactly what the bars show.

use crate::sim::ring::{NodeId, Ring};
use crate::sim::text::group_digits;

/// One node's line in the metrics table.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeRow {
    /// Node slot (for colour).
    pub id: NodeId,
    /// Node name.
    pub name: String,
    /// Whether it serves keys.
    pub up: bool,
    /// Virtual nodes it has.
    pub vnodes: u32,
    /// Its weight.
    pub weight: f64,
    /// Exact fraction of the ring it owns (0 when down).
    pub share: f64,
    /// Keys it owns.
    pub keys: usize,
}

/// Load figures across live nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct RingMetrics {
    /// One row per node, in node order.
    pub rows: Vec<NodeRow>,
    /// Mean keys per live node.
    pub mean: f64,
    /// Most-loaded live node over the mean (1.0 is perfect balance).
    pub max_over_mean: f64,
    /// Standard deviation over the mean.
    pub std_over_mean: f64,
}

impl RingMetrics {
    /// Computes the table from the ring and each key's owner (the ring's own, or another
    /// scheme's when the lab colours keys by it).
    pub fn compute(ring: &Ring, owners: &[Option<NodeId>]) -> Self {
        // Indexed by node id (ids are slots): no hash map code in the bundle for this.
        let slots = ring.nodes().last().map_or(0, |(id, _)| id as usize + 1);
        let mut shares = vec![0.0f64; slots];
        for (id, share) in ring.shares() {
            if let Some(s) = shares.get_mut(id as usize) {
                *s = share;
            }
        }
        let mut counts = vec![0usize; slots];
        for o in owners.iter().flatten() {
            if let Some(c) = counts.get_mut(*o as usize) {
                *c += 1;
            }
        }
        let rows: Vec<NodeRow> = ring
            .nodes()
            .map(|(id, n)| NodeRow {
                id,
                name: n.name.clone(),
                up: n.up,
                vnodes: n.vnodes,
                weight: n.weight,
                share: shares.get(id as usize).copied().unwrap_or(0.0),
                keys: counts.get(id as usize).copied().unwrap_or(0),
            })
            .collect();
        let live: Vec<f64> = rows
            .iter()
            .filter(|r| r.up)
            .map(|r| r.keys as f64)
            .collect();
        let (mean, max_over_mean, std_over_mean) = if live.is_empty() {
            (0.0, 0.0, 0.0)
        } else {
            let n = live.len() as f64;
            let mean = live.iter().sum::<f64>() / n;
            let max = live.iter().copied().fold(0.0, f64::max);
            let var = live.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
            if mean > 0.0 {
                (mean, max / mean, var.sqrt() / mean)
            } else {
                (0.0, 0.0, 0.0)
            }
        };
        RingMetrics {
            rows,
            mean,
            max_over_mean,
            std_over_mean,
        }
    }

    /// The canvas's text alternative: what a sighted user reads off the ring.
    pub fn summary(&self, total_keys: usize) -> String {
        let live = self.rows.iter().filter(|r| r.up).count();
        let mut s = format!(
            "Hash ring: {} nodes ({live} up), {} keys.",
            self.rows.len(),
            group_digits(total_keys as u64)
        );
        for r in &self.rows {
            if r.up {
                s.push_str(&format!(
                    " {} owns {:.1}% of the ring and {} keys.",
                    r.name,
                    r.share * 100.0,
                    group_digits(r.keys as u64)
                ));
            } else {
                s.push_str(&format!(" {} is down.", r.name));
            }
        }
        s
    }
}
