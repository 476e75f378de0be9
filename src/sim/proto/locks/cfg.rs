//! Lock settings of a scenario (`protocols.locks`): which recipe, lease and retry timing,
//! where locks and storage live, and the safety switches (fencing, release check,
//! replication, persistence) whose absence each lesson demonstrates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::wire::ResKey;

/// Longest lease, retry, wait or liveness bound accepted (one hour, like a run).
pub const MAX_MS: u64 = 3_600_000;
/// Shortest lease: renewals happen every third of it, pings every quarter.
pub const MIN_TTL_MS: u64 = 8;
/// Most Redlock masters.
pub const MAX_MASTERS: u32 = 9;
/// Most copies of a lock's state (owner included) under replication.
pub const MAX_REPLICAS: u32 = 5;
/// Most storage keys with an initial stock.
pub const MAX_STOCK_KEYS: usize = 64;
/// Largest stock value either way.
pub const MAX_STOCK: i64 = 1_000_000_000_000;

/// How clients take a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipe {
    /// One server (the ring owner): `SET NX PX` with a FIFO wait queue.
    Redis,
    /// `masters` independent servers; a majority within the lease's validity.
    Redlock,
    /// Ephemeral sequential nodes; lowest holds; waiters watch a predecessor.
    Zookeeper,
    /// Same queue of keys, but leases and the create revision as the token.
    Etcd,
}

impl Recipe {
    /// Whether the recipe uses sessions/leases and sequential nodes (ZooKeeper, etcd).
    pub fn sequential(self) -> bool {
        matches!(self, Recipe::Zookeeper | Recipe::Etcd)
    }
}

/// How a holder releases under the Redis recipes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseMode {
    /// Compare-and-delete: only the holder's random value deletes the key.
    #[default]
    Check,
    /// Plain `DEL`: whoever calls it deletes the key, whoever holds it.
    Blind,
}

/// Which nodes a ZooKeeper/etcd waiter watches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchMode {
    /// Only its predecessor: one wake-up per release.
    #[default]
    Predecessor,
    /// Every child: all waiters wake on every change (the herd effect).
    All,
}

/// How a Redis lock server copies lock state to the next servers on the ring, which is
/// what a new owner learns from when the ring moves the lock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replication {
    /// No copies: a new owner knows nothing and may grant a second holder.
    #[default]
    None,
    /// Copies sent in batches every `repl_ms` after answering (Redis's default): a crash
    /// before the batch loses the grant.
    Async,
    /// A grant or renewal is answered only after a replica stored it; a new owner asks
    /// the replicas before serving.
    Sync,
}

/// `protocols.locks`: see docs/locks.md for every field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockCfg {
    /// The recipe every client uses.
    pub recipe: Recipe,
    /// Lease / `PX` / session timeout (ms, local clocks).
    #[serde(default = "default_ttl")]
    pub ttl_ms: u64,
    /// Clock-drift and latency allowance subtracted from a lease's validity (default
    /// `ttl_ms / 100 + 2`, Redlock's rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_ms: Option<u64>,
    /// Resend interval for unanswered requests (default `ttl_ms / 4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_ms: Option<u64>,
    /// Whether holders renew their lease every third of it (Redis recipe).
    #[serde(default = "yes")]
    pub renew: bool,
    /// Release by compare-and-delete or plain `DEL`.
    #[serde(default)]
    pub release: ReleaseMode,
    /// Redlock: number of independent masters (majority = masters / 2 + 1).
    #[serde(default = "default_masters")]
    pub masters: u32,
    /// ZooKeeper/etcd: what a waiter watches.
    #[serde(default)]
    pub watch: WatchMode,
    /// Redis: how lock state is copied along the ring.
    #[serde(default)]
    pub replication: Replication,
    /// Copies of each lock's state, owner included, when replicating.
    #[serde(default = "default_replicas")]
    pub replicas: u32,
    /// Async replication batch interval (ms).
    #[serde(default = "default_repl_ms")]
    pub repl_ms: u64,
    /// Whether lock servers write their state to their durable log (a restart keeps it).
    #[serde(default = "yes")]
    pub persist: bool,
    /// Whether storage rejects reads and writes with a token lower than one it has seen.
    #[serde(default)]
    pub fencing: bool,
    /// The server that hosts the storage service (not a lock server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// Lock servers (default: every server except storage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<String>>,
    /// Initial storage values (e.g. inventory per SKU).
    #[serde(default)]
    pub stock: BTreeMap<ResKey, i64>,
    /// Default wait before a client gives up on a lock (ms; 0 waits forever).
    #[serde(default = "default_wait")]
    pub wait_ms: u64,
    /// Liveness bound: a waiter still waiting after this long is stuck (default 10 × ttl).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stuck_ms: Option<u64>,
}

fn default_ttl() -> u64 {
    1_000
}
fn yes() -> bool {
    true
}
fn default_masters() -> u32 {
    5
}
fn default_replicas() -> u32 {
    2
}
fn default_repl_ms() -> u64 {
    100
}
fn default_wait() -> u64 {
    10_000
}

/// The resolved, `Copy` settings every lock node keeps (defaults applied).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Recipe.
    pub recipe: Recipe,
    /// Lease length.
    pub ttl: u64,
    /// Validity allowance.
    pub drift: u64,
    /// Resend interval.
    pub retry: u64,
    /// Renew leases.
    pub renew: bool,
    /// Compare-and-delete on release.
    pub check_release: bool,
    /// Redlock masters.
    pub masters: u32,
    /// Watch all children.
    pub watch_all: bool,
    /// Replication mode.
    pub replication: Replication,
    /// Copies including the owner.
    pub replicas: u32,
    /// Async batch interval.
    pub repl_ms: u64,
    /// Persist lock state.
    pub persist: bool,
    /// Default wait (0 = forever).
    pub wait_ms: u64,
    /// Liveness bound.
    pub stuck_ms: u64,
}

impl LockCfg {
    /// A config with every default, for tests and the UI's "new lock lab".
    pub fn new(recipe: Recipe) -> Self {
        LockCfg {
            recipe,
            ttl_ms: default_ttl(),
            drift_ms: None,
            retry_ms: None,
            renew: true,
            release: ReleaseMode::Check,
            masters: default_masters(),
            watch: WatchMode::Predecessor,
            replication: Replication::None,
            replicas: default_replicas(),
            repl_ms: default_repl_ms(),
            persist: true,
            fencing: false,
            storage: None,
            servers: None,
            stock: BTreeMap::new(),
            wait_ms: default_wait(),
            stuck_ms: None,
        }
    }

    /// Settings with defaults applied.
    pub fn params(&self) -> Params {
        let ttl = self.ttl_ms.max(MIN_TTL_MS);
        Params {
            recipe: self.recipe,
            ttl,
            drift: self.drift_ms.unwrap_or(ttl / 100 + 2),
            retry: self.retry_ms.unwrap_or(ttl / 4).max(1),
            renew: self.renew,
            check_release: self.release == ReleaseMode::Check,
            masters: self.masters.clamp(1, MAX_MASTERS),
            watch_all: self.watch == WatchMode::All,
            replication: self.replication,
            replicas: self.replicas.clamp(1, MAX_REPLICAS),
            repl_ms: self.repl_ms.max(1),
            persist: self.persist,
            wait_ms: self.wait_ms,
            stuck_ms: self.stuck_ms.unwrap_or(ttl.saturating_mul(10)),
        }
    }

    /// Checks ranges and combinations; errors name the field (relative to
    /// `protocols.locks`). Node names are checked against the cluster by the caller.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(MIN_TTL_MS..=MAX_MS).contains(&self.ttl_ms) {
            return Err((
                "ttl_ms",
                format!("must be in {MIN_TTL_MS}..={MAX_MS}, got {}", self.ttl_ms),
            ));
        }
        if let Some(d) = self.drift_ms {
            if d >= self.ttl_ms {
                return Err((
                    "drift_ms",
                    format!("must be below ttl_ms ({}), got {d}", self.ttl_ms),
                ));
            }
        }
        if let Some(r) = self.retry_ms {
            if !(1..=MAX_MS).contains(&r) {
                return Err(("retry_ms", format!("must be in 1..={MAX_MS}, got {r}")));
            }
        }
        if !(1..=MAX_MASTERS).contains(&self.masters) {
            return Err((
                "masters",
                format!("must be in 1..={MAX_MASTERS}, got {}", self.masters),
            ));
        }
        if !(1..=MAX_REPLICAS).contains(&self.replicas) {
            return Err((
                "replicas",
                format!("must be in 1..={MAX_REPLICAS}, got {}", self.replicas),
            ));
        }
        if self.replication != Replication::None {
            if self.recipe != Recipe::Redis {
                return Err((
                    "replication",
                    "only the redis recipe replicates lock state along the ring".into(),
                ));
            }
            if self.replicas < 2 {
                return Err((
                    "replicas",
                    "replication needs at least 2 copies (owner + 1)".into(),
                ));
            }
        }
        if !(1..=MAX_MS).contains(&self.repl_ms) {
            return Err((
                "repl_ms",
                format!("must be in 1..={MAX_MS}, got {}", self.repl_ms),
            ));
        }
        if self.wait_ms > MAX_MS {
            return Err((
                "wait_ms",
                format!("must be at most {MAX_MS}, got {}", self.wait_ms),
            ));
        }
        if let Some(s) = self.stuck_ms {
            if !(1..=MAX_MS).contains(&s) {
                return Err(("stuck_ms", format!("must be in 1..={MAX_MS}, got {s}")));
            }
        }
        if self.stock.len() > MAX_STOCK_KEYS {
            return Err((
                "stock",
                format!("at most {MAX_STOCK_KEYS} keys, got {}", self.stock.len()),
            ));
        }
        if let Some((k, v)) = self
            .stock
            .iter()
            .find(|(_, v)| v.unsigned_abs() > MAX_STOCK as u64)
        {
            return Err((
                "stock",
                format!("{k}: must be within ±{MAX_STOCK}, got {v}"),
            ));
        }
        if !self.stock.is_empty() && self.storage.is_none() {
            return Err(("storage", "stock needs a storage server".into()));
        }
        if let Some(list) = &self.servers {
            if list.is_empty() {
                return Err(("servers", "needs at least one lock server".into()));
            }
            if let Some(s) = &self.storage {
                if list.contains(s) {
                    return Err((
                        "servers",
                        format!("\"{s}\" hosts storage; it cannot also be a lock server"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Lock server names among `servers` (the initial cluster): the explicit list, or
    /// every server except storage.
    pub fn lock_servers<'a>(&'a self, servers: &'a [String]) -> Vec<&'a str> {
        match &self.servers {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => servers
                .iter()
                .map(String::as_str)
                .filter(|s| Some(*s) != self.storage.as_deref())
                .collect(),
        }
    }

    /// Checks node references against the initial server names; errors name the field.
    pub fn validate_nodes(&self, servers: &[String]) -> Result<(), (&'static str, String)> {
        if let Some(s) = &self.storage {
            if !servers.contains(s) {
                return Err(("storage", format!("\"{s}\" is not a server")));
            }
        }
        if let Some(list) = &self.servers {
            if let Some(bad) = list.iter().find(|n| !servers.contains(n)) {
                return Err(("servers", format!("\"{bad}\" is not a server")));
            }
        }
        let n = self.lock_servers(servers).len();
        if n == 0 {
            return Err(("servers", "no server is left to hold locks".into()));
        }
        if self.recipe == Recipe::Redlock && self.masters as usize > n {
            return Err((
                "masters",
                format!("{} masters but only {n} lock servers", self.masters),
            ));
        }
        if self.replication != Replication::None && self.replicas as usize > n {
            return Err((
                "replicas",
                format!("{} copies but only {n} lock servers", self.replicas),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_derived_params() {
        let c: LockCfg = serde_json::from_str(r#"{"recipe":"redis"}"#).unwrap();
        assert_eq!(c, LockCfg::new(Recipe::Redis));
        let p = c.params();
        assert_eq!(
            (p.ttl, p.drift, p.retry, p.stuck_ms),
            (1000, 12, 250, 10_000)
        );
        assert!(c.validate().is_ok());
    }

    #[test]
    fn bad_values_name_the_field() {
        let bad = |json: &str| {
            let c: LockCfg = serde_json::from_str(json).unwrap();
            c.validate().unwrap_err().0
        };
        assert_eq!(bad(r#"{"recipe":"redis","ttl_ms":0}"#), "ttl_ms");
        assert_eq!(bad(r#"{"recipe":"redis","drift_ms":5000}"#), "drift_ms");
        assert_eq!(bad(r#"{"recipe":"redlock","masters":0}"#), "masters");
        assert_eq!(
            bad(r#"{"recipe":"zookeeper","replication":"sync"}"#),
            "replication"
        );
        assert_eq!(bad(r#"{"recipe":"redis","stock":{"sku:1":5}}"#), "storage");
        let c = LockCfg {
            storage: Some("db".into()),
            ..LockCfg::new(Recipe::Redlock)
        };
        let servers: Vec<String> = ["A", "B", "db"].map(String::from).to_vec();
        assert_eq!(c.validate_nodes(&servers).unwrap_err().0, "masters");
        assert_eq!(c.lock_servers(&servers), vec!["A", "B"]);
    }
}
