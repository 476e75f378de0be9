//! Unit tests of the saga's pieces.

use super::wire::Step;

#[test]
fn compensation_walks_back_to_the_first_step() {
    assert_eq!(Step::Ship.prev_compensable(), Some(Step::Charge));
    assert_eq!(Step::Charge.prev_compensable(), Some(Step::Reserve));
    assert_eq!(Step::Reserve.prev_compensable(), None);
    assert!(Step::Ship.before_pivot());
    assert!(!Step::Confirm.before_pivot());
}

#[test]
fn a_note_travels_on_the_log_as_its_code_and_comes_back_whole() {
    use super::wire::{Kind, Note};
    let kinds = [
        Kind::Do,
        Kind::Undo,
        Kind::Done,
        Kind::Failed,
        Kind::Busy,
        Kind::Undone,
        Kind::UndoFailed,
    ];
    let mut codes = std::collections::BTreeSet::new();
    for order in [0, 1, 999, super::cfg::MAX_ORDERS - 1] {
        for step in Step::ALL {
            for kind in kinds {
                for attempt in [0, 1, 7, u16::MAX] {
                    let n = Note {
                        order,
                        step,
                        kind,
                        attempt,
                    };
                    assert_eq!(Note::decode(n.code()), Some(n), "{n:?}");
                    assert!(codes.insert(n.code()), "two notes share a code: {n:?}");
                }
            }
        }
    }
    // A body that is no note (an unknown kind) is refused, not misread.
    assert_eq!(Note::decode(7 << 16), None);
}

/// The checkout fixture's cluster (servers A–D, client shop) with `protocols` as given.
#[cfg(not(target_arch = "wasm32"))]
fn decode_with(protocols: &str) -> Result<crate::sim::scenario::Scenario, (String, String)> {
    let text = format!(
        r#"{{"version":4,"id":"t","title":"t","until_ms":2000,
            "cluster":{{"servers":["A","B","C","D"],"clients":["shop"]}},
            "protocols":{protocols}}}"#
    );
    crate::sim::scenario::Scenario::decode(text.as_bytes()).map_err(|e| (e.path, e.message))
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn a_saga_is_refused_at_load_time_unless_the_log_reads_every_node_it_runs_on() {
    use super::cfg::log_section;
    let all = log_section(&["A", "B", "C", "D", "shop"]);
    assert!(decode_with(&format!(r#"{{"saga":{{}},"mq":{all}}}"#)).is_ok());
    // Choreographed: no orchestrator, so the servers alone suffice.
    let servers = log_section(&["A", "B", "C", "D"]);
    assert!(decode_with(&format!(
        r#"{{"saga":{{"mode":"choreographed"}},"mq":{servers}}}"#
    ))
    .is_ok());

    // The orchestrator (the first client, shop) has no partition.
    let (path, msg) = decode_with(&format!(r#"{{"saga":{{}},"mq":{servers}}}"#)).unwrap_err();
    assert_eq!(path, "protocols.mq.consumers");
    assert!(msg.contains("\"shop\" takes part in the saga"), "{msg}");

    // A server left out.
    let three = log_section(&["A", "B", "C", "shop"]);
    let (path, msg) = decode_with(&format!(r#"{{"saga":{{}},"mq":{three}}}"#)).unwrap_err();
    assert_eq!(path, "protocols.mq.consumers");
    assert!(msg.contains("\"D\""), "{msg}");

    // Listed, but past the last partition.
    let short = all.replacen(r#""partitions":5"#, r#""partitions":4"#, 1);
    let (path, msg) = decode_with(&format!(r#"{{"saga":{{}},"mq":{short}}}"#)).unwrap_err();
    assert_eq!(path, "protocols.mq.consumers");
    assert!(
        msg.contains("\"shop\" is consumer 4") && msg.contains("0..4"),
        "{msg}"
    );

    // Another assignor would hand a node's notes to a peer.
    let range = all.replacen(r#""assignment":"pinned""#, r#""assignment":"range""#, 1);
    let (path, _) = decode_with(&format!(r#"{{"saga":{{}},"mq":{range}}}"#)).unwrap_err();
    assert_eq!(path, "protocols.mq.assignment");

    // No log at all.
    let (path, msg) = decode_with(r#"{"saga":{}}"#).unwrap_err();
    assert_eq!(path, "protocols.saga");
    assert!(msg.contains("protocols.mq"), "{msg}");
}
