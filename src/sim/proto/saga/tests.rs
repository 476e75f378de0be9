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
