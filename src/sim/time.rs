//! Virtual time: the only clock the simulation knows. It is passed in, never read from the
//! machine, so a run replays identically at any speed.

use crate::sim::text::{group_digits, group_signed};

/// Virtual time in milliseconds since the start of a run. Unsigned because the simulation
/// never goes back before its own start; node-local clocks (which can) use `i64`.
pub type Time = u64;

/// Renders milliseconds with thousands separators ("1,240 ms") so narration reads like prose.
pub fn fmt_ms(t: u64) -> String {
    format!("{} ms", group_digits(t))
}

/// Same as [`fmt_ms`] for signed quantities (clock offsets, jumps).
pub fn fmt_ms_signed(t: i64) -> String {
    format!("{} ms", group_signed(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(fmt_ms(0), "0 ms");
        assert_eq!(fmt_ms(999), "999 ms");
        assert_eq!(fmt_ms(1240), "1,240 ms");
        assert_eq!(fmt_ms(12_345_678), "12,345,678 ms");
        assert_eq!(fmt_ms_signed(-1500), "-1,500 ms");
    }
}
