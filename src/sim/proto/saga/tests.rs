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
