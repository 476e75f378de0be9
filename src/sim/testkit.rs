//! The seeded test clusters that unit tests, integration tests and benchmarks build, in one
//! place: named servers of weight 1, optional clients, a network and the protocols asked
//! for. A builder, so each test states only what it changes.

use super::net::LinkCfg;
use super::proto::heartbeat::HeartbeatCfg;
use super::proto::ProtoCfg;
use super::world::{ServerSpec, World, WorldCfg};

/// A test cluster being described.
#[derive(Clone, Debug)]
pub struct TestCluster {
    cfg: WorldCfg,
}

/// Servers with these names (weight 1, in join order), seed 0, no clients, no protocol.
pub fn cluster(servers: &[&str]) -> TestCluster {
    TestCluster {
        cfg: WorldCfg {
            servers: servers
                .iter()
                .map(|n| ServerSpec {
                    name: n.to_string(),
                    weight: 1.0,
                })
                .collect(),
            ..WorldCfg::default()
        },
    }
}

impl TestCluster {
    /// The world's seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.cfg.seed = seed;
        self
    }

    /// Clients with these names.
    pub fn clients(mut self, names: &[&str]) -> Self {
        self.cfg.clients = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// Latency `base_ms` + up to `jitter_ms`, no loss, no duplication.
    pub fn latency(mut self, base_ms: u64, jitter_ms: u64) -> Self {
        self.cfg.net = LinkCfg {
            base_ms,
            jitter_ms,
            ..LinkCfg::default()
        };
        self
    }

    /// The heartbeat failure detector on every server.
    pub fn heartbeat(mut self, interval_ms: u64, timeout_ms: u64) -> Self {
        self.cfg.protocols.heartbeat = Some(HeartbeatCfg {
            interval_ms,
            timeout_ms,
        });
        self
    }

    /// Sets the protocols' section as `f` says (locks, 2PC, …).
    pub fn protocols(mut self, f: impl FnOnce(&mut ProtoCfg)) -> Self {
        f(&mut self.cfg.protocols);
        self
    }

    /// The configuration.
    pub fn cfg(self) -> WorldCfg {
        self.cfg
    }

    /// The world; a configuration the engine refuses is a bug in the test, said with the
    /// engine's reason.
    pub fn world(self) -> World {
        match World::new(&self.cfg) {
            Ok(w) => w,
            Err(e) => panic!("test cluster refused: {e}"),
        }
    }
}

/// A bundled scenario (`static/scenarios/FILE`) built with its own seed and stepped to
/// virtual time `t`: what the scene tests draw. Test-only input: it panics on a bad file.
pub fn played(file: &str, t: super::time::Time) -> World {
    let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let s = super::scenario::Scenario::decode(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut w = s.build(None).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Vec::new();
    while w.next_time().is_some_and(|n| n <= t) {
        w.step(&mut out);
    }
    w
}

/// A seeded fault schedule for a scenario, as timed commands: `budget`'s episodes against the
/// scenario's servers and clients, drawn from `rng_seed` up to `horizon` (the property
/// tests' one way to break a run).
pub fn fault_schedule(
    s: &super::scenario::Scenario,
    budget: &super::fault::FaultBudget,
    rng_seed: u64,
    horizon: super::time::Time,
) -> Vec<(super::time::Time, super::cmd::Cmd)> {
    let targets = budget.targets(&s.server_names(), &s.cluster.clients);
    budget
        .generate(
            &mut super::rng::Rng::new(rng_seed),
            &targets,
            horizon,
            s.network.loss,
        )
        .into_iter()
        .flat_map(|super::fault::Episode(cmds)| cmds)
        .collect()
}
