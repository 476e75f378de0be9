//! Scenarios: versioned JSON files describing a cluster, its protocols and keys, a seed, a
//! schedule of timed commands and faults, narration, expectations and a fault budget.
//! Decoding never panics: every error names the field (JSON path) and, for syntax and type
//! errors, the line and column. Sizes are capped so a file cannot exhaust memory.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::cmd::{Cmd, MAX_NOTE_CHARS};
use super::fault::FaultBudget;
use super::invariant::{Checker, Class};
use super::net::LinkCfg;
use super::proto::{dispatch, ProtoCfg};
use super::ring::MAX_VNODES_PER_NODE;
use super::sort::set_of;
use super::time::Time;
use super::topology::KeyCfg;
use super::world::{ServerSpec, World, WorldCfg};

/// The newest scenario format version this build reads: 2 adds distributed locks
/// (`protocols.locks`, lock commands, client faults in `fault_budget`); 3 adds two-phase
/// commit (`protocols.tpc`, the `checkout` command). Older files still load; a file using
/// a newer feature must say so in `"version"`. 4 adds the newer protocols (the replicated
/// store `protocols.kv`, the flash sale `protocols.stock`, the message log `protocols.mq`).
pub const VERSION: u64 = 4;
/// The oldest version still read.
pub const MIN_VERSION: u64 = 1;
/// Most servers in a scenario's initial cluster.
pub const MAX_SERVERS: u32 = 64;
/// Most clients in a scenario.
pub const MAX_CLIENTS: usize = 16;
/// Longest run (virtual ms): one hour keeps a heartbeat run of a big cluster in memory.
pub const MAX_UNTIL_MS: Time = 3_600_000;
/// Most scheduled commands.
pub const MAX_SCHEDULE: usize = 10_000;
/// Most narration steps.
pub const MAX_NARRATION: usize = 1_000;
/// Largest scenario file accepted (bytes).
pub const MAX_FILE_BYTES: usize = 4 << 20;

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must be [`VERSION`].
    pub version: u64,
    /// Short identifier (also the file name of built-ins).
    pub id: String,
    /// Human title.
    pub title: String,
    /// One-line summary for lists.
    #[serde(default)]
    pub summary: String,
    /// Seed of the world's random generator (CLI `--seed` overrides).
    #[serde(default)]
    pub seed: u64,
    /// Initial servers and clients.
    pub cluster: ClusterSpec,
    /// Link behaviour.
    #[serde(default)]
    pub network: LinkCfg,
    /// Protocols run by the servers.
    #[serde(default)]
    pub protocols: ProtoCfg,
    /// Keys tracked on the ring.
    #[serde(default)]
    pub keys: KeyCfg,
    /// Timed commands and faults.
    #[serde(default)]
    pub schedule: Vec<Scheduled>,
    /// Narration shown at given times.
    #[serde(default)]
    pub narration: Vec<Narration>,
    /// What must (not) happen; absent means "every engine invariant holds".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// How much random chaos `explore` may add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_budget: Option<FaultBudget>,
    /// Virtual time at which the run stops (ms).
    pub until_ms: Time,
}

/// The initial cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Server names, in join order.
    #[serde(default)]
    pub servers: Vec<String>,
    /// Alternative to `servers`: this many servers named n1, n2, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_count: Option<u64>,
    /// Ring weights by server name (default 1).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<String, f64>,
    /// Client names.
    #[serde(default)]
    pub clients: Vec<String>,
    /// Ring vnodes per unit weight.
    #[serde(default = "default_vnodes")]
    pub vnodes: u32,
}

fn default_vnodes() -> u32 {
    64
}

/// A command to apply at a virtual time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheduled {
    /// When (virtual ms).
    pub at_ms: Time,
    /// What.
    pub cmd: Cmd,
}

/// Narration text shown at a virtual time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Narration {
    /// When (virtual ms).
    pub at_ms: Time,
    /// What to say.
    pub text: String,
    /// A question the tour asks before revealing this step ("predict, then reveal").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask: Option<Ask>,
}

/// A multiple-choice question about what happens next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ask {
    /// The question ("Which node owns sku:42 after C fails?").
    pub question: String,
    /// 2 to 6 answers.
    pub choices: Vec<String>,
    /// Index of the right one.
    pub answer: usize,
    /// Why, shown once answered.
    #[serde(default)]
    pub why: String,
}

/// Expectations: invariants that must hold and invariants the scenario demonstrates
/// breaking.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Must never be violated.
    #[serde(default)]
    pub hold: Vec<String>,
    /// Must be violated at least once (the lesson).
    #[serde(default)]
    pub violate: Vec<String>,
}

pub use super::json_read::ScenarioError;

fn err(path: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        path: path.into(),
        line: None,
        message: message.into(),
    }
}

/// One expectation's outcome after a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Invariant name.
    pub invariant: String,
    /// "hold" or "violate".
    pub expected: &'static str,
    /// Trace index of its violation event, if it was violated.
    pub violated_at: Option<usize>,
    /// Whether the expectation is met.
    pub ok: bool,
}

impl Scenario {
    /// Encodes as pretty JSON (the same format [`Scenario::decode`] reads).
    pub fn encode(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The initial server names (from `servers` or `server_count`).
    pub fn server_names(&self) -> Vec<String> {
        match self.cluster.server_count {
            Some(n) if self.cluster.servers.is_empty() => (1..=n.min(MAX_SERVERS as u64))
                .map(|i| format!("n{i}"))
                .collect(),
            _ => self.cluster.servers.clone(),
        }
    }

    /// Checks limits and cross-references (node names, invariant names, times).
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let c = &self.cluster;
        if let Some(n) = c.server_count {
            if !c.servers.is_empty() {
                return Err(err(
                    "cluster.server_count",
                    "give either servers or server_count, not both",
                ));
            }
            if n == 0 || n > MAX_SERVERS as u64 {
                return Err(err(
                    "cluster.server_count",
                    format!("must be in 1..={MAX_SERVERS}, got {n}"),
                ));
            }
        }
        let servers = self.server_names();
        if servers.is_empty() {
            return Err(err("cluster.servers", "needs at least one server"));
        }
        if servers.len() > MAX_SERVERS as usize {
            return Err(err(
                "cluster.servers",
                format!("at most {MAX_SERVERS} servers, got {}", servers.len()),
            ));
        }
        if c.clients.len() > MAX_CLIENTS {
            return Err(err(
                "cluster.clients",
                format!("at most {MAX_CLIENTS} clients, got {}", c.clients.len()),
            ));
        }
        if !(1..=MAX_VNODES_PER_NODE).contains(&c.vnodes) {
            return Err(err(
                "cluster.vnodes",
                format!("must be in 1..={MAX_VNODES_PER_NODE}, got {}", c.vnodes),
            ));
        }
        let mut names = BTreeSet::new();
        for (i, n) in servers.iter().chain(&c.clients).enumerate() {
            let path = if i < servers.len() {
                format!("cluster.servers[{i}]")
            } else {
                format!("cluster.clients[{}]", i - servers.len())
            };
            super::ring::validate_name(n).map_err(|e| err(&path, e.to_string()))?;
            if !names.insert(n.as_str()) {
                return Err(err(path, format!("duplicate node name \"{n}\"")));
            }
        }
        for (name, w) in &c.weights {
            let path = format!("cluster.weights.{name}");
            if !servers.contains(name) {
                return Err(err(path, format!("\"{name}\" is not a server")));
            }
            if !w.is_finite() || *w <= 0.0 {
                return Err(err(path, format!("must be a positive number, got {w}")));
            }
        }
        self.network.validate().map_err(|m| err("network", m))?;
        dispatch::check_cfg(&self.protocols, Some(self.version), &servers, &c.clients)
            .map_err(|(f, m)| err(format!("protocols.{f}"), m))?;
        if self.keys.count > super::topology::MAX_KEYS {
            return Err(err(
                "keys.count",
                format!(
                    "at most {}, got {}",
                    super::topology::MAX_KEYS,
                    self.keys.count
                ),
            ));
        }
        if self.until_ms == 0 || self.until_ms > MAX_UNTIL_MS {
            return Err(err(
                "until_ms",
                format!("must be in 1..={MAX_UNTIL_MS}, got {}", self.until_ms),
            ));
        }
        if self.schedule.len() > MAX_SCHEDULE {
            return Err(err("schedule", format!("at most {MAX_SCHEDULE} commands")));
        }
        if self.narration.len() > MAX_NARRATION {
            return Err(err("narration", format!("at most {MAX_NARRATION} steps")));
        }
        // Node names a command refers to must exist by then (or be added by an earlier one).
        let mut known: BTreeSet<String> = set_of(servers.iter().chain(&c.clients).cloned());
        let mut clients: BTreeSet<String> = set_of(c.clients.iter().cloned());
        let mut order: Vec<usize> = (0..self.schedule.len()).collect();
        super::sort::sort_by_u64(&mut order, |&i| self.schedule[i].at_ms);
        for i in order {
            let s = &self.schedule[i];
            if s.at_ms > self.until_ms {
                return Err(err(
                    format!("schedule[{i}].at_ms"),
                    format!("{} is after until_ms {}", s.at_ms, self.until_ms),
                ));
            }
            if let Cmd::Proto(pc) = &s.cmd {
                dispatch::check_cmd(pc, self.version, &self.protocols, &clients).map_err(
                    |(f, m)| {
                        let path = format!("schedule[{i}].cmd");
                        err(
                            if f.is_empty() {
                                path
                            } else {
                                format!("{path}.{f}")
                            },
                            m,
                        )
                    },
                )?;
            }
            match &s.cmd {
                Cmd::AddClient { node } => {
                    known.insert(node.clone());
                    clients.insert(node.clone());
                }
                Cmd::AddNode { node, .. } => {
                    known.insert(node.clone());
                }
                other => {
                    for n in other.node_names() {
                        if !known.contains(n) {
                            return Err(err(
                                format!("schedule[{i}].cmd"),
                                format!("unknown node \"{n}\""),
                            ));
                        }
                    }
                }
            }
        }
        for (i, n) in self.narration.iter().enumerate() {
            if n.at_ms > self.until_ms {
                return Err(err(
                    format!("narration[{i}].at_ms"),
                    format!("{} is after until_ms {}", n.at_ms, self.until_ms),
                ));
            }
            if let Some(a) = &n.ask {
                let at = |f: &str| format!("narration[{i}].ask.{f}");
                if !(2..=6).contains(&a.choices.len()) {
                    return Err(err(at("choices"), "give 2 to 6 choices"));
                }
                if a.answer >= a.choices.len() {
                    return Err(err(
                        at("answer"),
                        format!("{} is not a choice (0..{})", a.answer, a.choices.len()),
                    ));
                }
                let long = [&a.question, &a.why]
                    .into_iter()
                    .chain(&a.choices)
                    .any(|s| s.chars().count() > MAX_NOTE_CHARS);
                if a.question.trim().is_empty() || long {
                    return Err(err(
                        at("question"),
                        format!("question, choices and why need text, at most {MAX_NOTE_CHARS} characters each"),
                    ));
                }
            }
        }
        if let Some(e) = &self.expect {
            for (field, list) in [("hold", &e.hold), ("violate", &e.violate)] {
                for (i, name) in list.iter().enumerate() {
                    if dispatch::find_invariant(name).is_none() {
                        let all: Vec<_> =
                            dispatch::all_invariants().iter().map(|i| i.name).collect();
                        return Err(err(
                            format!("expect.{field}[{i}]"),
                            format!("unknown invariant \"{name}\" (known: {})", all.join(", ")),
                        ));
                    }
                }
            }
        }
        if let Some(b) = &self.fault_budget {
            b.validate()
                .map_err(|(f, m)| err(format!("fault_budget.{f}"), m))?;
            if self.version < 2 && b.targets != super::fault::Targets::Servers {
                return Err(err("fault_budget.targets", "needs \"version\": 2"));
            }
            if self.version < 2 && b.losses > 0 {
                return Err(err("fault_budget.losses", "needs \"version\": 2"));
            }
        }
        Ok(())
    }

    /// The world configuration, with `seed` overriding the file's.
    pub fn world_cfg(&self, seed: Option<u64>) -> WorldCfg {
        WorldCfg {
            seed: seed.unwrap_or(self.seed),
            servers: self
                .server_names()
                .into_iter()
                .map(|name| ServerSpec {
                    weight: self.cluster.weights.get(&name).copied().unwrap_or(1.0),
                    name,
                })
                .collect(),
            clients: self.cluster.clients.clone(),
            net: self.network.clone(),
            protocols: self.protocols.clone(),
            vnodes: self.cluster.vnodes,
            keys: self.keys.clone(),
        }
    }

    /// Builds the world with the schedule and narration queued inside it (so they survive
    /// time-travel forks). Narration at the same time as a command comes first.
    pub fn build(&self, seed: Option<u64>) -> Result<World, ScenarioError> {
        let mut w = World::new(&self.world_cfg(seed)).map_err(|e| err("cluster", e.to_string()))?;
        let mut items: Vec<(Time, u8, usize)> = Vec::new();
        items.extend(
            self.narration
                .iter()
                .enumerate()
                .map(|(i, n)| (n.at_ms, 0, i)),
        );
        items.extend(
            self.schedule
                .iter()
                .enumerate()
                .map(|(i, s)| (s.at_ms, 1, i)),
        );
        // Stable: narration before commands at the same time, each in file order.
        super::sort::sort_by_u64(&mut items, |&(at, kind, _)| {
            (at.min(u64::MAX >> 1) << 1) | u64::from(kind)
        });
        for (at, kind, i) in items {
            let cmd = if kind == 0 {
                Cmd::Note {
                    text: self.narration[i].text.clone(),
                }
            } else {
                self.schedule[i].cmd.clone()
            };
            w.schedule(at, cmd);
        }
        Ok(w)
    }

    /// Judges the expectations against a checker's results. Without `expect`, every engine
    /// invariant must hold.
    pub fn verdicts(&self, checker: &Checker) -> Vec<Verdict> {
        self.verdicts_by(|name| {
            checker
                .results()
                .find(|(i, _)| i.name == name)
                .and_then(|(_, at)| at)
        })
    }

    /// Same as [`Scenario::verdicts`] with the first violation of each invariant looked up by
    /// `first(name)` (a trace index): the UI judges the whole recorded run while its checker
    /// sits at the playhead.
    pub fn verdicts_by(&self, first: impl Fn(&str) -> Option<usize>) -> Vec<Verdict> {
        let (hold, violate) = match &self.expect {
            Some(e) => (e.hold.clone(), e.violate.clone()),
            None => (
                dispatch::all_invariants()
                    .iter()
                    .filter(|i| i.class == Class::Engine)
                    .map(|i| i.name.to_string())
                    .collect(),
                Vec::new(),
            ),
        };
        let mut out = Vec::new();
        for name in hold {
            let at = first(&name);
            out.push(Verdict {
                invariant: name,
                expected: "hold",
                violated_at: at,
                ok: at.is_none(),
            });
        }
        for name in violate {
            let at = first(&name);
            out.push(Verdict {
                invariant: name,
                expected: "violate",
                violated_at: at,
                ok: at.is_some(),
            });
        }
        out
    }
}
