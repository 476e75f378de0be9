//! Number formatting shared by the log, the metrics and the canvas, so a figure reads the
//! same everywhere it appears.

/// 12345 → "12,345".
pub fn group_digits(n: u64) -> String {
    group_u128(u128::from(n))
}

/// -1500 → "-1,500": for signed quantities such as clock offsets.
pub fn group_signed(v: i128) -> String {
    let digits = group_u128(v.unsigned_abs());
    if v < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

fn group_u128(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(1_234_567), "1,234,567");
        assert_eq!(group_digits(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(group_signed(-1500), "-1,500");
        assert_eq!(
            group_signed(i128::from(i64::MIN)),
            "-9,223,372,036,854,775,808"
        );
    }
}
