//! Scenario codec tests: built-ins decode and behave; bad files give clear errors naming the
//! field; arbitrary input never panics.

use proptest::prelude::*;

use super::scenario::{Scenario, MIN_VERSION};

const BUILTIN: &[(&str, &str)] = &[
    (
        "node-failure",
        include_str!("../../static/scenarios/node-failure.json"),
    ),
    (
        "partition-false-suspicion",
        include_str!("../../static/scenarios/partition-false-suspicion.json"),
    ),
    (
        "gc-pause",
        include_str!("../../static/scenarios/gc-pause.json"),
    ),
    (
        "lock-gc-unfenced",
        include_str!("../../static/scenarios/lock-gc-unfenced.json"),
    ),
    (
        "lock-gc-fenced",
        include_str!("../../static/scenarios/lock-gc-fenced.json"),
    ),
    (
        "redlock-clock-jump",
        include_str!("../../static/scenarios/redlock-clock-jump.json"),
    ),
    (
        "redis-failover",
        include_str!("../../static/scenarios/redis-failover.json"),
    ),
    (
        "ring-handoff",
        include_str!("../../static/scenarios/ring-handoff.json"),
    ),
    (
        "release-blind",
        include_str!("../../static/scenarios/release-blind.json"),
    ),
    (
        "zk-queue",
        include_str!("../../static/scenarios/zk-queue.json"),
    ),
    (
        "zk-herd",
        include_str!("../../static/scenarios/zk-herd.json"),
    ),
    (
        "etcd-partition",
        include_str!("../../static/scenarios/etcd-partition.json"),
    ),
    (
        "lock-deadlock",
        include_str!("../../static/scenarios/lock-deadlock.json"),
    ),
    (
        "tpc-coordinator-crash",
        include_str!("../../static/scenarios/tpc-coordinator-crash.json"),
    ),
    (
        "tpc-coordinator-crash-after-commit",
        include_str!("../../static/scenarios/tpc-coordinator-crash-after-commit.json"),
    ),
    (
        "tpc-no-vote",
        include_str!("../../static/scenarios/tpc-no-vote.json"),
    ),
    (
        "tpc-participant-crash-before-vote",
        include_str!("../../static/scenarios/tpc-participant-crash-before-vote.json"),
    ),
    (
        "tpc-lost-commit-ack",
        include_str!("../../static/scenarios/tpc-lost-commit-ack.json"),
    ),
    (
        "tpc-participant-recovers-prepared",
        include_str!("../../static/scenarios/tpc-participant-recovers-prepared.json"),
    ),
    (
        "tpc-3pc-split",
        include_str!("../../static/scenarios/tpc-3pc-split.json"),
    ),
    (
        "tpc-heuristic",
        include_str!("../../static/scenarios/tpc-heuristic.json"),
    ),
    (
        "inventory-no-control",
        include_str!("../../static/scenarios/inventory-no-control.json"),
    ),
    (
        "inventory-pessimistic",
        include_str!("../../static/scenarios/inventory-pessimistic.json"),
    ),
    (
        "inventory-optimistic-no-backoff",
        include_str!("../../static/scenarios/inventory-optimistic-no-backoff.json"),
    ),
    (
        "inventory-optimistic-jitter",
        include_str!("../../static/scenarios/inventory-optimistic-jitter.json"),
    ),
    (
        "inventory-atomic",
        include_str!("../../static/scenarios/inventory-atomic.json"),
    ),
    (
        "inventory-lock-gc-pause",
        include_str!("../../static/scenarios/inventory-lock-gc-pause.json"),
    ),
    (
        "inventory-buckets",
        include_str!("../../static/scenarios/inventory-buckets.json"),
    ),
    (
        "ha-sentinel-partition",
        include_str!("../../static/scenarios/ha-sentinel-partition.json"),
    ),
    (
        "ha-fenced-failover",
        include_str!("../../static/scenarios/ha-fenced-failover.json"),
    ),
    (
        "ha-sloppy-quorum-stale-read",
        include_str!("../../static/scenarios/ha-sloppy-quorum-stale-read.json"),
    ),
    (
        "ha-hinted-handoff",
        include_str!("../../static/scenarios/ha-hinted-handoff.json"),
    ),
    (
        "ha-lww-clock-skew",
        include_str!("../../static/scenarios/ha-lww-clock-skew.json"),
    ),
    (
        "ha-long-partition-failover",
        include_str!("../../static/scenarios/ha-long-partition-failover.json"),
    ),
    (
        "ha-cart-divergence",
        include_str!("../../static/scenarios/ha-cart-divergence.json"),
    ),
    (
        "ha-join-streams-keys",
        include_str!("../../static/scenarios/ha-join-streams-keys.json"),
    ),
    (
        "ha-multi-shard-failover",
        include_str!("../../static/scenarios/ha-multi-shard-failover.json"),
    ),
    (
        "mq-commit-before-crash",
        include_str!("../../static/scenarios/mq-commit-before-crash.json"),
    ),
    (
        "mq-commit-after-crash",
        include_str!("../../static/scenarios/mq-commit-after-crash.json"),
    ),
    (
        "mq-rebalance-eager-vs-cooperative",
        include_str!("../../static/scenarios/mq-rebalance-eager-vs-cooperative.json"),
    ),
    (
        "mq-min-isr",
        include_str!("../../static/scenarios/mq-min-isr.json"),
    ),
    (
        "mq-unclean-election",
        include_str!("../../static/scenarios/mq-unclean-election.json"),
    ),
    (
        "mq-idempotent-producer",
        include_str!("../../static/scenarios/mq-idempotent-producer.json"),
    ),
    (
        "mq-poison-dlq",
        include_str!("../../static/scenarios/mq-poison-dlq.json"),
    ),
    (
        "mq-slow-consumer",
        include_str!("../../static/scenarios/mq-slow-consumer.json"),
    ),
    (
        "saga-payment-fails",
        include_str!("../../static/scenarios/saga-payment-fails.json"),
    ),
    (
        "saga-compensation-fails",
        include_str!("../../static/scenarios/saga-compensation-fails.json"),
    ),
    (
        "saga-orchestrator-crash",
        include_str!("../../static/scenarios/saga-orchestrator-crash.json"),
    ),
    (
        "saga-dirty-read",
        include_str!("../../static/scenarios/saga-dirty-read.json"),
    ),
    (
        "saga-semantic-lock",
        include_str!("../../static/scenarios/saga-semantic-lock.json"),
    ),
    (
        "outbox-relay-crash",
        include_str!("../../static/scenarios/outbox-relay-crash.json"),
    ),
    (
        "outbox-relay-crash-naive",
        include_str!("../../static/scenarios/outbox-relay-crash-naive.json"),
    ),
    (
        "dual-write-lost-message",
        include_str!("../../static/scenarios/dual-write-lost-message.json"),
    ),
    (
        "checkout-end-to-end",
        include_str!("../../static/scenarios/checkout-end-to-end.json"),
    ),
    (
        "saga-choreography",
        include_str!("../../static/scenarios/saga-choreography.json"),
    ),
];

const MINIMAL: &str =
    r#"{"version":1,"id":"m","title":"M","cluster":{"servers":["A","B"]},"until_ms":1000}"#;

fn decode_err(s: &str) -> String {
    Scenario::decode(s.as_bytes()).unwrap_err().to_string()
}

#[test]
fn builtins_decode_and_are_indexed() {
    let index: serde_json::Value =
        serde_json::from_str(include_str!("../../static/scenarios/index.json")).unwrap();
    let ids: Vec<&str> = index
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    for &(id, text) in BUILTIN {
        let s = Scenario::decode(text.as_bytes()).unwrap();
        assert_eq!(s.id, id);
        assert!(ids.contains(&id), "{id} missing from index.json");
        // round trip through our own encoder
        assert_eq!(Scenario::decode(s.encode().as_bytes()).unwrap(), s);
    }
    assert_eq!(ids.len(), BUILTIN.len());
}

#[test]
fn minimal_scenario_uses_defaults() {
    let s = Scenario::decode(MINIMAL.as_bytes()).unwrap();
    assert_eq!(s.version, MIN_VERSION);
    assert_eq!(s.cluster.vnodes, 64);
    assert!(s.protocols.heartbeat.is_none());
    assert!(s.build(None).is_ok());
}

#[test]
fn truncated_json_reports_line_and_column() {
    let e = decode_err(&MINIMAL[..40]);
    assert!(e.contains("line 1") && e.contains("not valid JSON"), "{e}");
}

#[test]
fn wrong_type_names_the_field() {
    let e = decode_err(&MINIMAL.replace(r#""until_ms":1000"#, r#""until_ms":"soon""#));
    assert!(e.starts_with("until_ms"), "{e}");
    let e = decode_err(&MINIMAL.replace(r#"["A","B"]"#, r#"["A",7]"#));
    assert!(e.starts_with("cluster.servers[1]"), "{e}");
}

#[test]
fn unknown_version_says_which_is_needed() {
    let e = decode_err(&MINIMAL.replace(r#""version":1"#, r#""version":5"#));
    assert!(e.contains("needs version 1 to 4"), "{e}");
    let e = decode_err(&MINIMAL.replace(r#""version":1,"#, ""));
    assert!(e.contains("needs \"version\": 1"), "{e}");
}

#[test]
fn unknown_field_is_named() {
    let e = decode_err(&MINIMAL.replace(r#""id":"m""#, r#""id":"m","colour":"red""#));
    assert!(e.contains("colour"), "{e}");
    let e = decode_err(&MINIMAL.replace(
        r#""until_ms""#,
        r#""schedule":[{"at_ms":5,"cmd":{"op":"crash","node":"A","force":true}}],"until_ms""#,
    ));
    assert!(e.contains("schedule[0]") && e.contains("force"), "{e}");
}

#[test]
fn huge_clusters_hit_limits() {
    let e = decode_err(&MINIMAL.replace(r#""servers":["A","B"]"#, r#""server_count":1000000000"#));
    assert!(
        e.starts_with("cluster.server_count") && e.contains("64"),
        "{e}"
    );
    let e = decode_err(&MINIMAL.replace(r#""until_ms":1000"#, r#""until_ms":1000000000000"#));
    assert!(e.starts_with("until_ms"), "{e}");
    let e =
        decode_err(&MINIMAL.replace(r#""until_ms""#, r#""keys":{"count":4000000000},"until_ms""#));
    assert!(e.starts_with("keys.count"), "{e}");
}

#[test]
fn negative_times_are_refused_with_the_field() {
    let e = decode_err(&MINIMAL.replace(
        r#""until_ms""#,
        r#""schedule":[{"at_ms":-5,"cmd":{"op":"heal"}}],"until_ms""#,
    ));
    assert!(
        e.starts_with("schedule[0].at_ms") && e.contains("≥ 0"),
        "{e}"
    );
}

#[test]
fn semantic_errors_name_the_field() {
    let with = |extra: &str| {
        decode_err(&MINIMAL.replace(r#""until_ms""#, &format!("{extra},\"until_ms\"")))
    };
    let e = with(r#""schedule":[{"at_ms":5,"cmd":{"op":"crash","node":"Z"}}]"#);
    assert!(
        e.starts_with("schedule[0].cmd") && e.contains("\"Z\""),
        "{e}"
    );
    let e = with(r#""schedule":[{"at_ms":5000,"cmd":{"op":"heal"}}]"#);
    assert!(e.starts_with("schedule[0].at_ms"), "{e}");
    let e = with(r#""expect":{"hold":["no_such_thing"]}"#);
    assert!(e.starts_with("expect.hold[0]"), "{e}");
    let e = with(r#""network":{"base_ms":5,"loss":3}"#);
    assert!(e.starts_with("network") && e.contains("loss"), "{e}");
    let e = with(r#""protocols":{"heartbeat":{"interval_ms":0,"timeout_ms":5}}"#);
    assert!(e.starts_with("protocols.heartbeat.interval_ms"), "{e}");
    let e = with(r#""fault_budget":{"crashes":5000}"#);
    assert!(e.starts_with("fault_budget.crashes"), "{e}");
    let e = decode_err(&MINIMAL.replace(r#"["A","B"]"#, r#"["A","A"]"#));
    assert!(
        e.starts_with("cluster.servers[1]") && e.contains("duplicate"),
        "{e}"
    );
    // a node added by the schedule may be referred to later
    let ok = MINIMAL.replace(
        r#""until_ms""#,
        r#""schedule":[{"at_ms":9,"cmd":{"op":"crash","node":"E"}},{"at_ms":5,"cmd":{"op":"add_node","node":"E"}}],"until_ms""#,
    );
    assert!(Scenario::decode(ok.as_bytes()).is_ok());
}

#[test]
fn not_an_object_is_a_clear_error() {
    assert!(decode_err("[1,2]").contains("JSON object"));
    assert!(decode_err("").contains("line 1"));
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        "[a-z_]{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("version".to_string()),
                    Just("cluster".to_string()),
                    Just("servers".to_string()),
                    Just("schedule".to_string()),
                    Just("until_ms".to_string()),
                    Just("op".to_string()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decoder_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Err(e) = Scenario::decode(&bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn decoder_never_panics_on_json(v in json_value()) {
        let text = v.to_string();
        if let Err(e) = Scenario::decode(text.as_bytes()) {
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn decoder_never_panics_on_mutated_builtins(which in 0usize..BUILTIN.len(), cut in 0usize..4000, byte in any::<u8>()) {
        let mut b = BUILTIN[which].1.as_bytes().to_vec();
        let at = cut % b.len();
        b[at] = byte;
        let _ = Scenario::decode(&b);
        let _ = Scenario::decode(&b[..at]);
    }
}

/// A minimal version-2 lock scenario; `locks` and `extra` are spliced in.
fn lock_scenario(locks: &str, extra: &str) -> String {
    format!(
        r#"{{"version":2,"id":"l","title":"L","cluster":{{"servers":["A","B","db"],"clients":["c1"]}},
        "protocols":{{"locks":{locks}}}{extra},"until_ms":1000}}"#
    )
}

const LOCKS: &str = r#"{"recipe":"redis","storage":"db","stock":{"sku:42":10}}"#;

#[test]
fn lock_scenarios_decode_with_defaults() {
    let s = Scenario::decode(lock_scenario(LOCKS, "").as_bytes()).unwrap();
    let l = s.protocols.locks.as_ref().unwrap();
    assert_eq!((l.ttl_ms, l.masters, l.wait_ms), (1000, 5, 10_000));
    assert!(s.build(None).is_ok());
    let job = r#","schedule":[{"at_ms":5,"cmd":{"op":"lock_job","client":"c1","locks":["sku:42"],"work_ms":50,"write":"sku:42"}}]"#;
    assert!(Scenario::decode(lock_scenario(LOCKS, job).as_bytes()).is_ok());
}

#[test]
fn lock_fields_need_version_2() {
    let v1 = lock_scenario(LOCKS, "").replace(r#""version":2"#, r#""version":1"#);
    let e = decode_err(&v1);
    assert!(
        e.starts_with("protocols.locks") && e.contains("version"),
        "{e}"
    );
    let job = r#""schedule":[{"at_ms":5,"cmd":{"op":"lock_acquire","client":"web","resource":"a"}}],"until_ms""#;
    let e = decode_err(&MINIMAL.replace(r#""until_ms""#, job).replace(
        r#""servers":["A","B"]"#,
        r#""servers":["A","B"],"clients":["web"]"#,
    ));
    assert!(
        e.starts_with("schedule[0].cmd") && e.contains(r#""version": 2"#),
        "{e}"
    );
    let e = decode_err(&MINIMAL.replace(
        r#""until_ms""#,
        r#""fault_budget":{"targets":"clients"},"until_ms""#,
    ));
    assert!(e.starts_with("fault_budget.targets"), "{e}");
}

#[test]
fn bad_lock_settings_name_the_field() {
    let bad = |locks: &str| decode_err(&lock_scenario(locks, ""));
    let e = bad(r#"{"recipe":"paxos"}"#);
    assert!(
        e.starts_with("protocols.locks.recipe") && e.contains("paxos"),
        "{e}"
    );
    let e = bad(r#"{"recipe":"redis","ttl_ms":0}"#);
    assert!(e.starts_with("protocols.locks.ttl_ms"), "{e}");
    let e = bad(r#"{"recipe":"redis","ttl_ms":-5}"#);
    assert!(
        e.starts_with("protocols.locks.ttl_ms") && e.contains("≥ 0"),
        "{e}"
    );
    let e = bad(r#"{"recipe":"redis","storage":"nope"}"#);
    assert!(
        e.starts_with("protocols.locks.storage") && e.contains("nope"),
        "{e}"
    );
    let e = bad(r#"{"recipe":"redlock","storage":"db"}"#);
    assert!(e.starts_with("protocols.locks.masters"), "{e}");
    let e = bad(r#"{"recipe":"redis","storage":"db","stock":{"a-very-long-sku-name-here":1}}"#);
    assert!(
        e.starts_with("protocols.locks.stock") && e.contains("16 bytes"),
        "{e}"
    );
    let e = bad(r#"{"recipe":"redis","colour":"red"}"#);
    assert!(e.contains("colour"), "{e}");
    let e = bad(r#"{"recipe":"zookeeper","replication":"sync"}"#);
    assert!(e.starts_with("protocols.locks.replication"), "{e}");
    let e = bad(r#"{"recipe":"redis","storage":"db","replication":"sync","replicas":3}"#);
    assert!(e.starts_with("protocols.locks.replicas"), "{e}");
    let e = bad(r#"{"recipe":"redis","servers":["A","db"],"storage":"db"}"#);
    assert!(e.starts_with("protocols.locks.servers"), "{e}");
    let e = bad(r#"{"recipe":"redis","watch":"some"}"#);
    assert!(e.starts_with("protocols.locks.watch"), "{e}");
}

#[test]
fn bad_lock_commands_name_the_field() {
    let with = |cmd: &str| {
        decode_err(&lock_scenario(
            LOCKS,
            &format!(r#","schedule":[{{"at_ms":5,"cmd":{cmd}}}]"#),
        ))
    };
    let e = with(r#"{"op":"lock_job","client":"A","locks":["sku:42"]}"#);
    assert!(
        e.starts_with("schedule[0].cmd.client") && e.contains("not a client"),
        "{e}"
    );
    let e = with(r#"{"op":"lock_job","client":"c1","locks":[]}"#);
    assert!(e.starts_with("schedule[0].cmd.locks"), "{e}");
    let e = with(r#"{"op":"lock_job","client":"c1","locks":["a","b","c","d","e"]}"#);
    assert!(e.starts_with("schedule[0].cmd.locks"), "{e}");
    let e = with(r#"{"op":"lock_job","client":"c1","locks":["a","a"]}"#);
    assert!(e.starts_with("schedule[0].cmd.locks[1]"), "{e}");
    let e = with(r#"{"op":"lock_job","client":"c1","locks":["a"],"write":"b"}"#);
    assert!(e.starts_with("schedule[0].cmd.write"), "{e}");
    let e = with(r#"{"op":"lock_job","client":"c1","locks":["a"],"work_ms":99999999}"#);
    assert!(e.starts_with("schedule[0].cmd.work_ms"), "{e}");
    let e = with(r#"{"op":"lock_acquire","client":"c1","resource":"this-name-is-too-long"}"#);
    assert!(
        e.starts_with("schedule[0]") && e.contains("16 bytes"),
        "{e}"
    );
    let e = with(r#"{"op":"lock_release","client":"ghost","resource":"a"}"#);
    assert!(
        e.starts_with("schedule[0].cmd.client") && e.contains("ghost"),
        "{e}"
    );
    let e = with(r#"{"op":"lock_job","client":"c1","locks":["a"],"hold":true}"#);
    assert!(e.contains("hold"), "{e}");
    let no_storage = lock_scenario(
        r#"{"recipe":"redis"}"#,
        r#","schedule":[{"at_ms":5,"cmd":{"op":"set_fencing","on":true}}]"#,
    );
    assert!(decode_err(&no_storage).contains("storage"));
    let e = decode_err(&lock_scenario(
        LOCKS,
        r#","fault_budget":{"losses":1,"max_loss_pct":200}"#,
    ));
    assert!(e.starts_with("fault_budget.max_loss_pct"), "{e}");
}

#[test]
fn tour_questions_are_validated() {
    let with = |ask: &str| {
        MINIMAL.replace(
            r#""until_ms""#,
            &format!(r#""narration":[{{"at_ms":5,"text":"t","ask":{ask}}}],"until_ms""#),
        )
    };
    let ok = with(r#"{"question":"Who?","choices":["A","B"],"answer":1,"why":"because"}"#);
    let s = Scenario::decode(ok.as_bytes()).unwrap();
    assert_eq!(s.narration[0].ask.as_ref().unwrap().answer, 1);
    let e = decode_err(&with(
        r#"{"question":"Who?","choices":["A","B"],"answer":2}"#,
    ));
    assert!(
        e.starts_with("narration[0].ask.answer") && e.contains("not a choice"),
        "{e}"
    );
    let e = decode_err(&with(r#"{"question":"Who?","choices":["A"],"answer":0}"#));
    assert!(e.starts_with("narration[0].ask.choices"), "{e}");
    let e = decode_err(&with(r#"{"question":" ","choices":["A","B"],"answer":0}"#));
    assert!(e.starts_with("narration[0].ask.question"), "{e}");
    let e = decode_err(&with(
        r#"{"question":"Who?","choices":["A","B"],"answer":0,"hint":"x"}"#,
    ));
    assert!(e.contains("hint"), "{e}");
}

#[test]
fn two_phase_commit_fields_need_version_3_and_name_the_field() {
    let base = include_str!("../../static/scenarios/tpc-no-vote.json");
    assert!(Scenario::decode(base.as_bytes()).is_ok());
    let e = decode_err(&base.replace(r#""version": 3"#, r#""version": 2"#));
    assert!(
        e.starts_with("protocols.tpc") && e.contains("version"),
        "{e}"
    );
    let e = decode_err(&base.replace(r#""stock": {"#, r#""variant": "four", "stock": {"#));
    assert!(e.contains("tpc.variant"), "{e}");
    let e = decode_err(&base.replace(r#""qty": 9"#, r#""qty": 0"#));
    assert!(e.starts_with("schedule[0].cmd.items[0].qty"), "{e}");
    let e = decode_err(&base.replace(r#""account:4": 100"#, r#""account:4": -1"#));
    assert!(e.starts_with("protocols.tpc.balances.account:4"), "{e}");
}

#[test]
fn the_hand_reader_agrees_with_serde_on_every_built_in_scenario() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/static/scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") || path.ends_with("index.json") {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let hand = super::scenario_read::read(v.clone()).unwrap();
        let derived: Scenario = serde_json::from_value(v).unwrap();
        assert_eq!(hand, derived, "{}", path.display());
        n += 1;
    }
    assert!(n >= 20, "only {n} scenarios");
}

#[test]
fn hand_reader_errors_carry_the_exact_path() {
    let e = decode_err(&MINIMAL.replace(r#""until_ms":1000"#, r#""until_ms":-1"#));
    assert!(
        e.starts_with("until_ms: expected a whole number ≥ 0, got -1"),
        "{e}"
    );
    let e = decode_err(&MINIMAL.replace(r#""servers":["A","B"]"#, r#""servers":["A",7]"#));
    assert!(
        e.starts_with("cluster.servers[1]: expected a string, got 7"),
        "{e}"
    );
    let e = decode_err(&MINIMAL.replace(
        r#""until_ms""#,
        r#""protocols":{"locks":{"recipe":"redis","ttl_ms":"long"}},"until_ms""#,
    ));
    assert!(
        e.starts_with("protocols.locks.ttl_ms: expected a whole number"),
        "{e}"
    );
    let e = decode_err(&MINIMAL.replace(
        r#""until_ms""#,
        r#""protocols":{"locks":{"recipe":"paxos"}},"until_ms""#,
    ));
    assert!(
        e.starts_with("protocols.locks.recipe: unknown value \"paxos\""),
        "{e}"
    );
    let e = decode_err(&MINIMAL.replace(
        r#""until_ms""#,
        r#""narration":[{"at_ms":1,"text":"x","ask":{"question":"q","choices":"ab","answer":0}}],"until_ms""#,
    ));
    assert!(
        e.starts_with("narration[0].ask.choices: expected a list"),
        "{e}"
    );
}
