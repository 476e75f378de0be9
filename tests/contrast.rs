//! The stylesheet's colours meet WCAG 2.1 AA in both themes: text colours at least 4.5:1
//! against the page and panel backgrounds, node and status colours (graphics on the canvas)
//! at least 3:1. Read from static/style.css itself, the single source the painter uses too.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;

fn vars(block: &str) -> HashMap<String, String> {
    block
        .split(';')
        .filter_map(|decl| {
            let (k, v) = decl.split_once(':')?;
            // A comment may precede the name: keep what follows the last "--".
            let (_, k) = k.trim().rsplit_once("--")?;
            let v = v.trim();
            (v.len() == 7 && v.starts_with('#')).then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

fn themes() -> [(&'static str, HashMap<String, String>); 2] {
    let css = include_str!("../static/style.css");
    let root = css.find(":root {").expect(":root block");
    let light = &css[root..root + css[root..].find('}').expect("end of :root")];
    let media = css
        .find("@media (prefers-color-scheme: dark)")
        .expect("dark block");
    let dark = &css[media..media + css[media..].find('}').expect("end of dark :root")];
    [("light", vars(light)), ("dark", vars(dark))]
}

fn luminance(hex: &str) -> f64 {
    let ch = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * ch(1) + 0.7152 * ch(3) + 0.0722 * ch(5)
}

fn ratio(a: &str, b: &str) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

#[test]
fn text_and_graphics_meet_aa_in_both_themes() {
    let mut failures = Vec::new();
    for (name, t) in themes() {
        let get = |k: &str| t.get(k).unwrap_or_else(|| panic!("{name}: --{k} missing"));
        for bg in ["bg", "panel"] {
            for fg in ["fg", "muted", "accent", "danger", "ok", "warn"] {
                let r = ratio(get(fg), get(bg));
                if r < 4.5 {
                    failures.push(format!(
                        "{name}: --{fg} on --{bg} is {r:.2}:1 (text needs 4.5)"
                    ));
                }
            }
            let graphics = (0..10)
                .map(|i| format!("node-{i}"))
                .chain(["down".to_string()]);
            for g in graphics {
                let r = ratio(get(&g), get(bg));
                if r < 3.0 {
                    failures.push(format!(
                        "{name}: --{g} on --{bg} is {r:.2}:1 (graphics need 3)"
                    ));
                }
            }
        }
        let r = ratio(get("accent-fg"), get("accent"));
        if r < 4.5 {
            failures.push(format!("{name}: button text on --accent is {r:.2}:1"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ratio_matches_the_wcag_reference_values() {
    assert!((ratio("#000000", "#ffffff") - 21.0).abs() < 1e-9);
    assert!((ratio("#777777", "#ffffff") - 4.48).abs() < 0.01);
}
