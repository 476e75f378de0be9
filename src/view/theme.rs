//! Resolves scene inks to colours. The values come from the page's CSS custom properties, so
//! the canvas, the SVG export and the HTML share one palette per theme.

use crate::view::scene::{Ink, Swatch};

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Parses `#rgb` or `#rrggbb` (surrounding spaces allowed), as written in style.css.
    pub fn parse(s: &str) -> Option<Rgb> {
        let hex = s.trim().strip_prefix('#')?;
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let b = hex.as_bytes();
        match b.len() {
            3 => Some(Rgb(digit(b[0])? * 17, digit(b[1])? * 17, digit(b[2])? * 17)),
            6 => Some(Rgb(
                digit(b[0])? * 16 + digit(b[1])?,
                digit(b[2])? * 16 + digit(b[3])?,
                digit(b[4])? * 16 + digit(b[5])?,
            )),
            _ => None,
        }
    }

    /// Linear mix from `self` to `other`, `t` in [0, 1]: a key recolouring mid-tween.
    pub fn mix(self, other: Rgb, t: f32) -> Rgb {
        let t = t.clamp(0.0, 1.0);
        let m = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * t).round() as u8;
        Rgb(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }

    /// `#rrggbb`, accepted by canvas and SVG alike.
    pub fn css(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// The palette the painter uses for one frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    /// Surface behind the ring.
    pub bg: Rgb,
    /// Main text.
    pub fg: Rgb,
    /// Secondary text.
    pub muted: Rgb,
    /// Empty ring.
    pub track: Rgb,
    /// Highlights.
    pub accent: Rgb,
    /// Failed nodes.
    pub down: Rgb,
    /// Crashes, violations, suspicions.
    pub danger: Rgb,
    /// Pauses and clock jumps.
    pub warn: Rgb,
    /// Recoveries and heals.
    pub ok: Rgb,
    /// Node colours, indexed by node slot modulo length.
    pub nodes: Vec<Rgb>,
}

/// Names of the CSS custom properties a theme is read from, node colours last.
pub const CSS_VARS: [&str; 6] = [
    "--panel", "--fg", "--muted", "--track", "--accent", "--down",
];
/// Status colours (danger, warn, ok), read after [`CSS_VARS`].
pub const STATUS_VARS: [&str; 3] = ["--danger", "--warn", "--ok"];
/// How many `--node-N` properties style.css defines.
pub const NODE_VARS: usize = 10;

impl Theme {
    /// The light theme's values, used natively and whenever a CSS value cannot be read.
    pub fn light() -> Theme {
        let c = |s| Rgb::parse(s).unwrap_or(Rgb(0, 0, 0));
        Theme {
            bg: c("#ffffff"),
            fg: c("#1d1f24"),
            muted: c("#5b616e"),
            track: c("#e4e5e9"),
            accent: c("#0b63c4"),
            down: c("#878c95"),
            danger: c("#b3261e"),
            warn: c("#a46200"),
            ok: c("#1b7a3a"),
            nodes: [
                "#3b6fb0", "#d65363", "#1f7f34", "#a48a17", "#2697bc", "#9e3275", "#cc7900",
                "#00876a", "#c44e00", "#7b5bb6",
            ]
            .iter()
            .map(|s| c(s))
            .collect(),
        }
    }

    /// Builds a theme from a lookup of CSS custom properties; unreadable values keep the
    /// light theme's colour so a broken stylesheet degrades instead of failing.
    pub fn from_lookup(get: impl Fn(&str) -> String) -> Theme {
        let base = Theme::light();
        let read = |name: &str, fallback: Rgb| Rgb::parse(&get(name)).unwrap_or(fallback);
        Theme {
            bg: read(CSS_VARS[0], base.bg),
            fg: read(CSS_VARS[1], base.fg),
            muted: read(CSS_VARS[2], base.muted),
            track: read(CSS_VARS[3], base.track),
            accent: read(CSS_VARS[4], base.accent),
            down: read(CSS_VARS[5], base.down),
            danger: read(STATUS_VARS[0], base.danger),
            warn: read(STATUS_VARS[1], base.warn),
            ok: read(STATUS_VARS[2], base.ok),
            nodes: (0..NODE_VARS)
                .map(|i| read(&format!("--node-{i}"), base.nodes[i]))
                .collect(),
        }
    }

    /// Colour of a node slot or the failed grey.
    pub fn swatch(&self, s: Swatch) -> Rgb {
        match s {
            Swatch::Node(id) if !self.nodes.is_empty() => {
                self.nodes[id as usize % self.nodes.len()]
            }
            _ => self.down,
        }
    }

    /// Final colour of an ink.
    pub fn resolve(&self, ink: Ink) -> Rgb {
        match ink {
            Ink::Fg => self.fg,
            Ink::Muted => self.muted,
            Ink::Track => self.track,
            Ink::Accent => self.accent,
            Ink::Bg => self.bg,
            Ink::Swatch(s) => self.swatch(s),
            Ink::Blend(a, b, t) => self.swatch(a).mix(self.swatch(b), t),
            Ink::Tint(s, t) => self.swatch(s).mix(self.bg, t),
            Ink::Danger => self.danger,
            Ink::Warn => self.warn,
            Ink::Ok => self.ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_css_hex_and_rejects_junk() {
        assert_eq!(Rgb::parse(" #3b6fb0 "), Some(Rgb(0x3b, 0x6f, 0xb0)));
        assert_eq!(Rgb::parse("#fff"), Some(Rgb(255, 255, 255)));
        assert_eq!(Rgb::parse("rgb(1,2,3)"), None);
        assert_eq!(Rgb::parse("#12345"), None);
        assert_eq!(Rgb::parse("#gg0000"), None);
        assert_eq!(Rgb(1, 2, 255).css(), "#0102ff");
    }

    #[test]
    fn blends_run_from_old_to_new_colour() {
        let a = Rgb(0, 0, 0);
        let b = Rgb(200, 100, 50);
        assert_eq!(a.mix(b, 0.0), a);
        assert_eq!(a.mix(b, 1.0), b);
        assert_eq!(a.mix(b, 0.5), Rgb(100, 50, 25));
        let t = Theme::light();
        assert_eq!(
            t.resolve(Ink::Blend(Swatch::Node(0), Swatch::Node(1), 1.0)),
            t.nodes[1]
        );
        assert_eq!(t.resolve(Ink::Swatch(Swatch::Node(10))), t.nodes[0]);
        assert_eq!(t.resolve(Ink::Swatch(Swatch::Down)), t.down);
    }

    #[test]
    fn lookup_falls_back_on_unreadable_values() {
        let t = Theme::from_lookup(|name| {
            if name == "--fg" {
                "#010203".to_string()
            } else {
                "not a colour".to_string()
            }
        });
        assert_eq!(t.fg, Rgb(1, 2, 3));
        assert_eq!(t.bg, Theme::light().bg);
        assert_eq!(t.nodes.len(), NODE_VARS);
    }
}
