//! SVG export of a [`Scene`]: the same display list the canvas painter draws, in the same
//! order (background, rects, circles, arcs, ticks, lines, dots, markers, labels) and with the
//! same theme colours, so the exported picture matches the canvas. Pure string building.

use std::f64::consts::TAU;
use std::fmt::Write;

use super::scene::{Align, Circle, Ink, Scene};
use super::theme::Theme;

/// Dots smaller than this are squares on the canvas (see `paint::canvas`); the SVG follows.
const SQUARE_BELOW: f64 = 1.6;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn polar(cx: f64, cy: f64, r: f64, a: f64) -> (f64, f64) {
    (cx + r * a.cos(), cy + r * a.sin())
}

fn circle(out: &mut String, c: &Circle, theme: &Theme) {
    let fill = c
        .fill
        .map_or("none".to_string(), |i| theme.resolve(i).css());
    let _ = write!(
        out,
        r#"<circle cx="{:.2}" cy="{:.2}" r="{:.2}" fill="{fill}""#,
        c.cx, c.cy, c.r
    );
    if let Some((ink, w)) = c.stroke {
        let _ = write!(
            out,
            r#" stroke="{}" stroke-width="{w:.2}""#,
            theme.resolve(ink).css()
        );
    }
    out.push_str("/>");
}

/// Appends a clockwise arc from angle `a0` to `a1` (radians, canvas convention: 0 at 3
/// o'clock, growing clockwise on screen) as path commands.
fn arc_path(d: &mut String, cx: f64, cy: f64, r: f64, a0: f64, a1: f64) {
    let mut span = a1 - a0;
    if span <= 0.0 {
        span += TAU;
    }
    let span = span.min(TAU);
    // SVG cannot draw a full circle with one arc command: split in halves.
    let steps = if span > TAU - 1e-9 { 2 } else { 1 };
    let (x0, y0) = polar(cx, cy, r, a0);
    let _ = write!(d, "M{x0:.2} {y0:.2}");
    for k in 1..=steps {
        let a = a0 + span * k as f64 / steps as f64;
        let (x, y) = polar(cx, cy, r, a);
        let large = (span / steps as f64 > std::f64::consts::PI) as u8;
        let _ = write!(d, "A{r:.2} {r:.2} 0 {large} 1 {x:.2} {y:.2}");
    }
}

/// The scene as a standalone SVG document (`width`×`height` CSS px).
pub fn to_svg(scene: &Scene, theme: &Theme) -> String {
    let (w, h) = (scene.width, scene.height);
    let col = |i: Ink| theme.resolve(i).css();
    let mut o = String::with_capacity(4096);
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.2} {h:.2}" font-family="system-ui, sans-serif"><rect width="100%" height="100%" fill="{}"/>"#,
        theme.bg.css()
    );
    for b in &scene.rects {
        let _ = write!(
            o,
            r#"<path fill="{}" fill-opacity="{:.3}" d=""#,
            col(b.ink),
            b.alpha.clamp(0.0, 1.0)
        );
        for r in &b.rects {
            let _ = write!(o, "M{} {}h{}v{}h{}z", r[0], r[1], r[2], r[3], -r[2]);
        }
        o.push_str("\"/>");
    }
    for c in &scene.circles {
        circle(&mut o, c, theme);
    }
    for b in &scene.arcs {
        let mut d = String::new();
        for &(a0, a1) in &b.spans {
            arc_path(&mut d, b.cx, b.cy, b.r, a0, a1);
        }
        let _ = write!(
            o,
            r#"<path fill="none" stroke="{}" stroke-width="{:.2}" d="{d}"/>"#,
            col(b.ink),
            b.width
        );
    }
    for b in &scene.ticks {
        let _ = write!(
            o,
            r#"<path fill="none" stroke="{}" stroke-width="{:.2}" d=""#,
            col(b.ink),
            b.width
        );
        for &a in &b.angles {
            let (x0, y0) = polar(b.cx, b.cy, b.r0, a);
            let (x1, y1) = polar(b.cx, b.cy, b.r1, a);
            let _ = write!(o, "M{x0:.2} {y0:.2}L{x1:.2} {y1:.2}");
        }
        o.push_str("\"/>");
    }
    for b in &scene.lines {
        let _ = write!(
            o,
            r#"<path fill="none" stroke="{}" stroke-width="{:.2}" stroke-opacity="{:.3}""#,
            col(b.ink),
            b.width,
            b.alpha.clamp(0.0, 1.0)
        );
        if let Some((on, off)) = b.dash {
            let _ = write!(o, r#" stroke-dasharray="{on} {off}""#);
        }
        o.push_str(" d=\"");
        for s in &b.segs {
            let _ = write!(o, "M{} {}L{} {}", s[0], s[1], s[2], s[3]);
        }
        o.push_str("\"/>");
    }
    for b in &scene.dots {
        let r = b.radius;
        let _ = write!(o, r#"<path fill="{}" d=""#, col(b.ink));
        for &(x, y) in &b.xy {
            let (x, y) = (x as f64, y as f64);
            if r < SQUARE_BELOW {
                let _ = write!(
                    o,
                    "M{:.2} {:.2}h{:.2}v{:.2}h{:.2}z",
                    x - r,
                    y - r,
                    2.0 * r,
                    2.0 * r,
                    -2.0 * r
                );
            } else {
                let _ = write!(
                    o,
                    "M{:.2} {y:.2}a{r:.2} {r:.2} 0 1 0 {:.2} 0a{r:.2} {r:.2} 0 1 0 {:.2} 0z",
                    x + r,
                    -2.0 * r,
                    2.0 * r
                );
            }
        }
        o.push_str("\"/>");
    }
    for c in &scene.markers {
        circle(&mut o, c, theme);
    }
    for l in &scene.labels {
        let anchor = match l.align {
            Align::Left => "start",
            Align::Center => "middle",
            Align::Right => "end",
        };
        let _ = write!(
            o,
            r#"<text x="{:.2}" y="{:.2}" font-size="{}" text-anchor="{anchor}" dominant-baseline="middle" fill="{}"{}>{}</text>"#,
            l.x,
            l.y,
            l.size,
            col(l.ink),
            if l.bold { r#" font-weight="600""# } else { "" },
            esc(&l.text)
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::scene::{ArcBatch, DotBatch, Label, LineBatch};

    #[test]
    fn every_batch_becomes_svg_in_paint_order() {
        let mut s = Scene::new(200.0, 100.0);
        s.arcs.push(ArcBatch {
            ink: Ink::Accent,
            width: 4.0,
            cx: 50.0,
            cy: 50.0,
            r: 40.0,
            spans: vec![(0.0, 1.0), (0.0, TAU)],
        });
        s.dots.push(DotBatch {
            ink: Ink::Fg,
            radius: 3.0,
            xy: vec![(10.0, 10.0), (20.0, 20.0)],
        });
        s.lines.push(LineBatch {
            ink: Ink::Danger,
            width: 1.0,
            alpha: 0.5,
            dash: Some((4.0, 2.0)),
            segs: vec![[0.0, 0.0, 5.0, 5.0]],
        });
        s.labels.push(Label {
            x: 1.0,
            y: 2.0,
            text: "A <b> & \"c\"".into(),
            ink: Ink::Fg,
            size: 12.0,
            bold: true,
            align: Align::Center,
        });
        let svg = to_svg(&s, &Theme::light());
        assert!(svg
            .starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\""));
        assert!(svg.ends_with("</svg>"));
        // A full circle is two half arcs; a short span one arc.
        assert_eq!(svg.matches("A40.00 40.00").count(), 3);
        assert!(svg.contains("stroke-dasharray=\"4 2\""));
        assert!(svg.contains("A &lt;b&gt; &amp; &quot;c&quot;"));
        assert!(svg.contains("font-weight=\"600\""));
        let order = [
            "<path fill=\"none\" stroke=",
            "stroke-dasharray",
            "a3.00 3.00",
            "<text",
        ];
        let pos: Vec<usize> = order.iter().map(|p| svg.find(p).unwrap()).collect();
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
    }

    #[test]
    fn a_real_ring_scene_exports() {
        let lab = crate::sim::ring_lab::RingLab::new();
        let frame = crate::view::ring_scene::RingFrame {
            ring: lab.ring(),
            keys: lab.keys(),
            owners: lab.view_owners(),
            transition: None,
            now_ms: 0.0,
            selected: None,
            probe: None,
            replicas: lab.replicas(),
            width: 640.0,
            height: 480.0,
        };
        let scene = crate::view::ring_scene::build(&frame);
        let svg = to_svg(&scene, &Theme::light());
        assert!(svg.len() > 10_000, "{}", svg.len());
        for name in ["A", "B", "C", "D"] {
            assert!(svg.contains(&format!(">{name}</text>")), "label {name}");
        }
    }
}
