//! Number formatting shared by the log, the metrics and the canvas, so a figure reads the
//! same everywhere it appears, and the one reader of decimal numbers typed or put in a URL.

/// 12345 → "12,345".
pub fn group_digits(n: u64) -> String {
    group_u64(n)
}

/// -1500 → "-1,500": for signed quantities such as clock offsets.
pub fn group_signed(v: i64) -> String {
    // unsigned_abs: i64::MIN has no positive i64, but its magnitude fits a u64.
    let digits = group_u64(v.unsigned_abs());
    if v < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// u64, not u128: 128-bit formatting and division would cost the page's wasm ~2.5 KB.
fn group_u64(n: u64) -> String {
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

/// Exact powers of ten as `f64` (10^22 is the last one a double holds exactly).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A decimal number as people type it into a field or a URL ("2.5", "-0.75", "1e3",
/// ".5", "+4."): optional sign, digits with an optional point, an optional exponent.
/// None for anything else (including "inf" and "NaN").
///
/// Why not `str::parse::<f64>`: its correctly rounded algorithm carries a 10 KB table of
/// 128-bit powers of five that does not compress, ~12 KB gzip of a page. Here the digits go
/// into a u64 and are scaled by an exact power of ten: correctly rounded (Clinger's fast
/// path) whenever there are at most 15 significant digits and the scale is within 10^±22,
/// which covers every field and URL option; longer inputs are within a few ulps.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let (mut m, mut scale, mut digits) = (0u64, 0i32, 0usize);
    let mut seen_point = false;
    while i < b.len() {
        match b[i] {
            c @ b'0'..=b'9' => {
                digits += 1;
                if m < 1_000_000_000_000_000_000 {
                    m = m * 10 + u64::from(c - b'0');
                    if seen_point {
                        scale -= 1;
                    }
                } else if !seen_point {
                    // Past 19 digits: the rest only scale the number.
                    scale += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() {
        if b[i] != b'e' && b[i] != b'E' {
            return None;
        }
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e = 0i32;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            e = e.saturating_mul(10).saturating_add(i32::from(c - b'0'));
            i += 1;
        }
        if i == start || i < b.len() {
            return None;
        }
        scale = scale.saturating_add(if eneg { -e } else { e });
    }
    let mut x = m as f64;
    let mut k = scale;
    while k != 0 && x != 0.0 && x.is_finite() {
        let step = k.unsigned_abs().min(22) as usize;
        if k > 0 {
            x *= POW10[step];
            k -= step as i32;
        } else {
            x /= POW10[step];
            k += step as i32;
        }
    }
    Some(if neg { -x } else { x })
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
        assert_eq!(group_signed(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn reads_decimals_as_the_standard_library_does() {
        let cases = [
            "0",
            "-0",
            "1",
            "+4.",
            ".5",
            "2.5",
            "-0.75",
            "0.1",
            "0.2",
            "0.3",
            "1e3",
            "1E-3",
            "12.345",
            "100",
            "0.8",
            "1.5",
            "50",
            "0.0001",
            "123456789.123456",
            "9007199254740993",
            "3.14159265358979",
            "1e22",
            "1e-22",
            "6.02e23",
            "2.5e-300",
            "00012.5000",
            "18446744073709551615",
            "123456789012345678901234567890",
        ];
        for c in cases {
            let want: f64 = c.parse().unwrap();
            let got = parse_decimal(c).unwrap();
            let close = (got - want).abs() <= want.abs() * 16.0 * f64::EPSILON;
            assert!(got == want || close, "{c}: {got:e} vs {want:e}");
        }
        // Up to 15 significant digits and 10^±22: exactly the correctly rounded value.
        for c in [
            "0.1",
            "2.5",
            "-0.75",
            "12.345",
            "1e-22",
            "123456789.123456",
            "0.3",
        ] {
            assert_eq!(parse_decimal(c), c.parse().ok(), "{c}");
        }
        for bad in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "inf", "NaN", "0x10",
            "--1", "1e5x",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
        assert_eq!(parse_decimal("1e400"), Some(f64::INFINITY));
        assert_eq!(parse_decimal("1e-400"), Some(0.0));
    }
}
