//! Unit tests of the log: the assignors and the pure checkers.

use super::broker::assign;
use super::cfg::Assign;
use super::check::{duplicated, lost, order_flags};
use super::state::Delivery;

fn d(consumer: u32, p: u32, off: u64, id: u32) -> Delivery {
    Delivery {
        consumer,
        p,
        off,
        id,
        t: 0,
        dead: false,
        resume: false,
    }
}

#[test]
fn range_and_sticky_share_four_partitions_among_three() {
    let prev = [(1, 0b0011), (2, 0b1100), (3, 0)];
    assert_eq!(
        assign(Assign::Range, 4, &prev),
        vec![(1, 0b0011), (2, 0b0100), (3, 0b1000)]
    );
    // Sticky keeps what each had as far as balance allows: only p3 moves.
    assert_eq!(
        assign(Assign::Sticky, 4, &prev),
        vec![(1, 0b0011), (2, 0b0100), (3, 0b1000)]
    );
    let prev = [(1, 0b0101), (2, 0b1010), (3, 0)];
    let s = assign(Assign::Sticky, 4, &prev);
    assert_eq!(s[0].1 & 0b0101, s[0].1, "{s:?}");
    assert_eq!(s[1].1 & 0b1010, s[1].1, "{s:?}");
    assert_eq!(s.iter().fold(0, |a, x| a | x.1), 0b1111);
    assert_eq!(assign(Assign::Range, 4, &[]), vec![]);
}

#[test]
fn checkers_name_each_anomaly() {
    let mut resume = d(1, 0, 0, 0);
    resume.resume = true;
    let h = [
        resume,
        d(1, 0, 0, 10),
        d(1, 0, 2, 12),
        d(1, 0, 1, 11),
        d(1, 0, 1, 11),
    ];
    assert_eq!(duplicated(&h), vec![11]);
    assert_eq!(lost(&[10, 11, 12, 13], &h), vec![13]);
    let f = order_flags(&h);
    assert_eq!(
        f,
        vec![
            (false, false),
            (false, false),
            (false, true),
            (true, false),
            (true, false)
        ]
    );
}
