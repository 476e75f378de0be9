//! The catalogue a newcomer browses: the mechanisms ringlab teaches and the bundled scenarios
//! (`static/scenarios/index.json`). One index drives the start page's cards, the Cluster tab's
//! searchable gallery, the docs page's list and `ringlab-cli list`, so they never disagree.
//! Pure data and string matching, tested natively.

use serde::Deserialize;

/// The bundled index, for code that cannot fetch it (the CLI, native tests, the start page).
pub const INDEX_JSON: &str = include_str!("../../static/scenarios/index.json");

/// One mechanism: a card on the start page and a chip in the gallery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mechanism {
    /// Value of `mechanism` in the index ("ring" has no scenarios of its own: its lab is the
    /// Hash ring tab).
    pub key: &'static str,
    /// Human name.
    pub name: &'static str,
    /// The one sentence that tells a newcomer what it is about.
    pub sentence: &'static str,
    /// Scenario id whose guided tour "Take the tour" starts.
    pub tour: &'static str,
    /// Scenario "Open the lab" loads in the Cluster tab; `None` opens the Hash ring tab.
    pub lab: Option<&'static str>,
    /// The protocol sections its scenarios use (the heartbeat detector aside, which every
    /// page carries): a lab page built without one of them leaves the mechanism out of its
    /// gallery (a native test holds every scenario to its mechanism's list).
    pub protocols: &'static [&'static str],
}

/// Every mechanism, in the order the start page shows them.
pub const MECHANISMS: [Mechanism; 8] = [
    Mechanism {
        key: "ring",
        name: "Hash ring",
        sentence: "Consistent hashing spreads keys over servers so that adding or losing one moves only about 1/N of them.",
        tour: "node-failure",
        lab: None,
        protocols: &[],
    },
    Mechanism {
        key: "failure-detection",
        name: "Failure detection",
        sentence: "Heartbeats and timeouts decide who is dead, and pauses and partitions make them wrong.",
        tour: "partition-false-suspicion",
        lab: Some("gc-pause"),
        protocols: &[],
    },
    Mechanism {
        key: "locks",
        name: "Distributed locks",
        sentence: "Leases and fencing tokens keep two clients from writing the same stock count at once, until a pause outlives the lease.",
        tour: "lock-gc-unfenced",
        lab: Some("lock-gc-fenced"),
        protocols: &["locks"],
    },
    Mechanism {
        key: "2pc",
        name: "Two-phase commit",
        sentence: "A checkout commits on every shard or on none, and blocks while the coordinator is down.",
        tour: "tpc-coordinator-crash",
        lab: Some("tpc-no-vote"),
        protocols: &["tpc"],
    },
    Mechanism {
        key: "replication",
        name: "Replication and failover",
        sentence: "Replicas keep a shard up when a node fails, and a linearizability check shows which acknowledged writes a failover lost.",
        tour: "ha-sentinel-partition",
        lab: Some("ha-fenced-failover"),
        protocols: &["kv"],
    },
    Mechanism {
        key: "queue",
        name: "Message log",
        sentence: "A partitioned log with in-sync replicas and consumer groups: when a message is lost or processed twice, and why.",
        tour: "mq-commit-before-crash",
        lab: Some("mq-commit-after-crash"),
        protocols: &["mq"],
    },
    Mechanism {
        key: "inventory",
        name: "Inventory under contention",
        sentence: "A flash sale on one hot SKU: no control oversells, locks queue, optimistic retries storm, an atomic decrement just works.",
        tour: "inventory-no-control",
        lab: Some("inventory-atomic"),
        protocols: &["locks", "stock"],
    },
    Mechanism {
        key: "saga",
        name: "Checkout saga",
        sentence: "The checkout as local steps over a log, undone by compensations: an outbox and an idempotent consumer keep a duplicate from charging twice.",
        tour: "outbox-relay-crash",
        lab: Some("saga-payment-fails"),
        protocols: &["mq", "saga"],
    },
];

/// The mechanism with this key.
pub fn mechanism(key: &str) -> Option<&'static Mechanism> {
    MECHANISMS.iter().find(|m| m.key == key)
}

/// One entry of `scenarios/index.json`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Entry {
    /// Scenario id (the file's `id`).
    pub id: String,
    /// File name next to the index.
    pub file: String,
    /// Key of the mechanism it teaches (see [`MECHANISMS`]).
    #[serde(default)]
    pub mechanism: String,
    /// Human title.
    pub title: String,
    /// One line for the list.
    #[serde(default)]
    pub summary: String,
    /// The faults its schedule injects, in words ("crash", "partition", …).
    #[serde(default)]
    pub faults: Vec<String>,
    /// Whether it ends with an invariant broken (it expects a violation).
    #[serde(default)]
    pub violation: bool,
}

impl Entry {
    /// The badge in words, so the outcome never rests on colour alone.
    pub fn outcome(&self) -> &'static str {
        if self.violation {
            "ends in a violation"
        } else {
            "invariants hold"
        }
    }

    /// Whether the gallery shows it for this filter text and mechanism chip. Every word of
    /// the text must appear (case-insensitive) in the title, summary, id, faults or
    /// mechanism name; an empty text matches everything.
    pub fn matches(&self, text: &str, chip: Option<&str>) -> bool {
        if chip.is_some_and(|c| c != self.mechanism) {
            return false;
        }
        let mech = mechanism(&self.mechanism).map_or("", |m| m.name);
        let hay = format!(
            "{} {} {} {} {} {}",
            self.title,
            self.summary,
            self.id,
            self.faults.join(" "),
            mech,
            self.outcome()
        )
        .to_ascii_lowercase();
        // ASCII folding: the index is English, and Unicode case tables would cost the bundle.
        text.split_whitespace()
            .all(|w| hay.contains(&w.to_ascii_lowercase()))
    }
}

/// Parses an index (the fetched file in the browser, [`INDEX_JSON`] natively).
pub fn parse_index(text: &str) -> Result<Vec<Entry>, String> {
    serde_json::from_slice(text.as_bytes()).map_err(|e| format!("scenarios/index.json: {e}"))
}

/// The entries grouped by mechanism in [`MECHANISMS`] order (entries of an unknown mechanism
/// are left out: the native test keeps the index free of them), keeping only those that match.
pub fn grouped<'a>(
    entries: &'a [Entry],
    text: &str,
    chip: Option<&str>,
) -> Vec<(&'static str, Vec<&'a Entry>)> {
    MECHANISMS
        .iter()
        .map(|m| {
            let list: Vec<&Entry> = entries
                .iter()
                .filter(|e| e.mechanism == m.key && e.matches(text, chip))
                .collect();
            (m.key, list)
        })
        .filter(|(_, l)| !l.is_empty())
        .collect()
}

/// Whether this build carries every protocol the mechanism's scenarios use (`names`: the
/// protocol sections compiled in, `sim::proto::dispatch::names()` on a page).
pub fn carried(key: &str, names: &[&str]) -> bool {
    mechanism(key).is_some_and(|m| m.protocols.iter().all(|p| names.contains(p)))
}

/// Human name of a mechanism key (the key itself when unknown).
pub fn mechanism_name(key: &str) -> &str {
    mechanism(key).map_or(key, |m| m.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_uses_only_its_mechanisms_protocols() {
        for e in index() {
            let path = format!("{}/static/scenarios/{}", env!("CARGO_MANIFEST_DIR"), e.file);
            let bytes = std::fs::read(&path).expect("indexed scenario file");
            let s = crate::sim::scenario::Scenario::decode(&bytes).expect("valid scenario");
            let m = mechanism(&e.mechanism).expect("known mechanism");
            for p in s.protocols.enabled() {
                assert!(
                    p == "heartbeat" || m.protocols.contains(&p),
                    "{}: uses {p}, which the {} mechanism does not list",
                    e.id,
                    m.key
                );
            }
        }
    }

    #[test]
    fn a_page_without_a_protocol_leaves_its_mechanisms_out() {
        let replication_page = ["heartbeat", "kv"];
        assert!(carried("replication", &replication_page));
        assert!(carried("failure-detection", &replication_page));
        assert!(!carried("locks", &replication_page));
        assert!(
            !carried("inventory", &["heartbeat", "stock"]),
            "the flash sale takes locks too"
        );
        assert!(!carried("no-such-mechanism", &replication_page));
        // The log page: the message log and the saga over it, no 2PC (its comparison runs
        // in the worker); the flash-sale page: the stock and the locks it takes.
        let log_page = ["heartbeat", "mq", "saga"];
        assert!(carried("queue", &log_page));
        assert!(carried("saga", &log_page));
        assert!(!carried("2pc", &log_page));
        assert!(
            !carried("saga", &["heartbeat", "saga"]),
            "the saga runs on the log"
        );
        let inventory_page = ["heartbeat", "locks", "stock"];
        assert!(carried("inventory", &inventory_page));
        assert!(carried("locks", &inventory_page));
        assert!(!carried("saga", &inventory_page));
        let all = crate::sim::proto::dispatch::names();
        assert!(
            MECHANISMS.iter().all(|m| carried(m.key, &all)),
            "the default build carries all"
        );
    }

    fn index() -> Vec<Entry> {
        parse_index(INDEX_JSON).expect("the bundled index parses")
    }

    #[test]
    fn every_mechanism_points_at_indexed_scenarios() {
        let idx = index();
        for m in MECHANISMS {
            assert!(
                idx.iter().any(|e| e.id == m.tour),
                "{}: tour {}",
                m.key,
                m.tour
            );
            if let Some(lab) = m.lab {
                let e = idx.iter().find(|e| e.id == lab).expect("lab scenario");
                assert_eq!(
                    e.mechanism, m.key,
                    "{}: lab scenario of another mechanism",
                    m.key
                );
            }
        }
        for e in &idx {
            assert!(
                mechanism(&e.mechanism).is_some(),
                "{}: unknown mechanism",
                e.id
            );
        }
    }

    #[test]
    fn filters_by_words_and_chip() {
        let idx = index();
        let gc = idx.iter().find(|e| e.id == "gc-pause").expect("gc-pause");
        assert!(gc.matches("", None));
        assert!(gc.matches("GC   pause", None));
        assert!(gc.matches("pause", Some("failure-detection")));
        assert!(!gc.matches("pause", Some("locks")));
        assert!(!gc.matches("pause zookeeper", None));
        assert!(gc.matches("violation", None));
        let locks = grouped(&idx, "", Some("locks"));
        assert_eq!(locks.len(), 1);
        assert!(locks[0].1.len() >= 5);
        let all = grouped(&idx, "", None);
        assert_eq!(all.iter().map(|(_, l)| l.len()).sum::<usize>(), idx.len());
        let order: Vec<&str> = all.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            order,
            [
                "failure-detection",
                "locks",
                "2pc",
                "replication",
                "queue",
                "inventory",
                "saga"
            ]
        );
        assert!(grouped(&idx, "no such words here", None).is_empty());
    }
}
