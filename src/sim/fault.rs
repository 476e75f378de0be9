//! Fault budgets: how much chaos an explorer may inject into a scenario, and the seeded
//! generator that turns a budget into a concrete, replayable schedule of commands.

use serde::{Deserialize, Serialize};

use super::cmd::{Cmd, MAX_CLOCK_STEP_MS, MAX_PAUSE_MS};
use super::rng::Rng;
use super::time::Time;

/// Most faults of one kind a budget may ask for per run.
pub const MAX_FAULTS_PER_KIND: u32 = 100;

/// Which nodes an explorer may hit with crashes, pauses, partitions and clock jumps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Targets {
    /// Servers only (the default, and the only choice before version 2).
    #[default]
    Servers,
    /// Clients only (GC pauses and partitions of lock clients).
    Clients,
    /// Servers and clients.
    All,
}

/// Upper bounds on what one exploratory run may inject. Each run draws, per kind, a count
/// in `0..=max` and then random nodes, times and durations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultBudget {
    /// Crash-then-recover episodes.
    #[serde(default)]
    pub crashes: u32,
    /// Stop-the-world pauses.
    #[serde(default)]
    pub pauses: u32,
    /// Isolate-then-heal episodes.
    #[serde(default)]
    pub partitions: u32,
    /// Clock jumps (either direction).
    #[serde(default)]
    pub clock_jumps: u32,
    /// Longest pause, crash or partition (ms).
    #[serde(default = "default_max_ms")]
    pub max_duration_ms: u64,
    /// Largest clock jump either way (ms).
    #[serde(default = "default_max_ms")]
    pub max_jump_ms: u64,
    /// Which nodes faults hit.
    #[serde(default, skip_serializing_if = "is_default")]
    pub targets: Targets,
    /// Episodes of message loss (lost requests and replies).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub losses: u32,
    /// Highest loss probability of an episode, in percent.
    #[serde(default = "default_loss_pct", skip_serializing_if = "is_default_loss")]
    pub max_loss_pct: u32,
}

fn is_default(t: &Targets) -> bool {
    *t == Targets::Servers
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn default_loss_pct() -> u32 {
    30
}

fn is_default_loss(p: &u32) -> bool {
    *p == default_loss_pct()
}

fn default_max_ms() -> u64 {
    2_000
}

impl FaultBudget {
    /// Checks limits, naming the field.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        for (field, v) in [
            ("crashes", self.crashes),
            ("pauses", self.pauses),
            ("partitions", self.partitions),
            ("clock_jumps", self.clock_jumps),
            ("losses", self.losses),
        ] {
            if v > MAX_FAULTS_PER_KIND {
                return Err((field, format!("at most {MAX_FAULTS_PER_KIND}, got {v}")));
            }
        }
        if !(1..=MAX_PAUSE_MS).contains(&self.max_duration_ms) {
            return Err((
                "max_duration_ms",
                format!(
                    "must be in 1..={MAX_PAUSE_MS}, got {}",
                    self.max_duration_ms
                ),
            ));
        }
        if self.max_loss_pct > 100 {
            return Err((
                "max_loss_pct",
                format!("must be in 0..=100, got {}", self.max_loss_pct),
            ));
        }
        if self.max_jump_ms > MAX_CLOCK_STEP_MS as u64 {
            return Err((
                "max_jump_ms",
                format!("at most {MAX_CLOCK_STEP_MS}, got {}", self.max_jump_ms),
            ));
        }
        Ok(())
    }

    /// The nodes faults may hit, by [`Targets`].
    pub fn targets(&self, servers: &[String], clients: &[String]) -> Vec<String> {
        match self.targets {
            Targets::Servers => servers.to_vec(),
            Targets::Clients => clients.to_vec(),
            Targets::All => servers.iter().chain(clients).cloned().collect(),
        }
    }

    /// Draws a fault schedule for `nodes` within `[0, horizon)`; loss episodes restore
    /// `base_loss` when they end. Each episode is a group of commands (e.g. crash +
    /// recover) so a shrinker can remove it as a unit.
    pub fn generate(
        &self,
        rng: &mut Rng,
        nodes: &[String],
        horizon: Time,
        base_loss: f64,
    ) -> Vec<Episode> {
        let mut out = Vec::new();
        if nodes.is_empty() || horizon == 0 {
            return out;
        }
        let pick = |rng: &mut Rng| nodes[rng.below(nodes.len() as u64) as usize].clone();
        let dur = |rng: &mut Rng| 1 + rng.below(self.max_duration_ms);
        for _ in 0..rng.below(self.crashes as u64 + 1) {
            let (node, at, d) = (pick(rng), rng.below(horizon), dur(rng));
            out.push(Episode(vec![
                (at, Cmd::Crash { node: node.clone() }),
                (at + d, Cmd::Recover { node }),
            ]));
        }
        for _ in 0..rng.below(self.pauses as u64 + 1) {
            let (node, at, ms) = (pick(rng), rng.below(horizon), dur(rng));
            out.push(Episode(vec![(at, Cmd::Pause { node, ms })]));
        }
        for _ in 0..rng.below(self.partitions as u64 + 1) {
            let (node, at, d) = (pick(rng), rng.below(horizon), dur(rng));
            out.push(Episode(vec![
                (at, Cmd::Isolate { node }),
                (at + d, Cmd::Heal),
            ]));
        }
        for _ in 0..rng.below(self.clock_jumps as u64 + 1) {
            let (node, at) = (pick(rng), rng.below(horizon));
            let span = self.max_jump_ms.saturating_mul(2);
            let delta_ms = rng.below(span + 1) as i64 - self.max_jump_ms as i64;
            out.push(Episode(vec![(at, Cmd::ClockJump { node, delta_ms })]));
        }
        // Drawn last, so budgets without losses replay exactly as before.
        if self.losses > 0 {
            for _ in 0..rng.below(self.losses as u64 + 1) {
                let (at, d) = (rng.below(horizon), dur(rng));
                let loss = rng.below(self.max_loss_pct as u64 + 1) as f64 / 100.0;
                out.push(Episode(vec![
                    (at, Cmd::SetLoss { loss }),
                    (at + d, Cmd::SetLoss { loss: base_loss }),
                ]));
            }
        }
        out
    }
}

/// One injected fault: its commands with their virtual times.
#[derive(Clone, Debug, PartialEq)]
pub struct Episode(pub Vec<(Time, Cmd)>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_seeded_and_bounded() {
        let b = FaultBudget {
            crashes: 2,
            pauses: 2,
            partitions: 1,
            clock_jumps: 1,
            max_duration_ms: 500,
            max_jump_ms: 100,
            targets: Targets::Servers,
            losses: 0,
            max_loss_pct: 30,
        };
        let nodes = vec!["A".to_string(), "B".to_string()];
        let a = b.generate(&mut Rng::new(5), &nodes, 10_000, 0.0);
        let again = b.generate(&mut Rng::new(5), &nodes, 10_000, 0.0);
        assert_eq!(a, again);
        for ep in &a {
            for (t, c) in &ep.0 {
                assert!(*t < 10_500);
                if let Cmd::Pause { ms, .. } = c {
                    assert!((1..=500).contains(ms));
                }
            }
        }
        assert!(b.validate().is_ok());
        let bad = FaultBudget { crashes: 1000, ..b };
        assert_eq!(bad.validate().unwrap_err().0, "crashes");
    }
}
