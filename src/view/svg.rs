//! SVG export of a [`Scene`]: the same display list the canvas painter draws, in the same
//! order (background, rects, circles, arcs, ticks, lines, dots, markers, labels) and with the
//! same theme colours, so the exported picture matches the canvas. Pure string building.

use std::f64::consts::TAU;
use std::fmt::Write;

use super::scene::{Align, Circle, Ink, Scene};
use super::theme::Theme;

/// Dots smaller than this are squares on the canvas (see `paint::canvas`); the SVG follows.
const SQUARE_BELOW: f64 = 1.6;

/// Writes `v` with two decimals using integer formatting only (float formatting would pull
/// more of core's float printing into the wasm).
fn num(out: &mut String, v: f64) {
    let n = (v * 100.0).round();
    let n = if n.is_finite() { n as i64 } else { 0 };
    if n < 0 {
        out.push('-');
    }
    let n = n.unsigned_abs();
    let _ = write!(out, "{}", n / 100);
    if n % 100 != 0 {
        let _ = write!(out, ".{:02}", n % 100);
    }
}

/// Several numbers separated by `sep`.
fn nums(out: &mut String, sep: char, vs: &[f64]) {
    for (i, &v) in vs.iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        num(out, v);
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn polar(cx: f64, cy: f64, r: f64, a: f64) -> (f64, f64) {
    crate::view::geom::polar(cx, cy, r, a)
}

fn circle(out: &mut String, c: &Circle, theme: &Theme) {
    let fill = c
        .fill
        .map_or("none".to_string(), |i| theme.resolve(i).css());
    out.push_str("<circle cx=\"");
    num(out, c.cx);
    out.push_str("\" cy=\"");
    num(out, c.cy);
    out.push_str("\" r=\"");
    num(out, c.r);
    let _ = write!(out, "\" fill=\"{fill}\"");
    if let Some((ink, w)) = c.stroke {
        let _ = write!(
            out,
            " stroke=\"{}\" stroke-width=\"",
            theme.resolve(ink).css()
        );
        num(out, w);
        out.push('"');
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
    d.push('M');
    nums(d, ' ', &[x0, y0]);
    for k in 1..=steps {
        let a = a0 + span * k as f64 / steps as f64;
        let (x, y) = polar(cx, cy, r, a);
        let large = if span / steps as f64 > std::f64::consts::PI {
            " 0 1 1 "
        } else {
            " 0 0 1 "
        };
        d.push('A');
        nums(d, ' ', &[r, r]);
        d.push_str(large);
        nums(d, ' ', &[x, y]);
    }
}

/// Opens a `<path>` with the given presentation attributes and starts its `d`.
fn open_path(o: &mut String, attrs: &str) {
    let _ = write!(o, "<path {attrs} d=\"");
}

/// The scene as a standalone SVG document (`width`×`height` CSS px).
pub fn to_svg(scene: &Scene, theme: &Theme) -> String {
    let mut o = String::with_capacity(4096);
    o.push_str("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"");
    num(&mut o, scene.width.round());
    o.push_str("\" height=\"");
    num(&mut o, scene.height.round());
    o.push_str("\" viewBox=\"0 0 ");
    nums(&mut o, ' ', &[scene.width, scene.height]);
    let _ = write!(
        o,
        "\" font-family=\"system-ui, sans-serif\"><rect width=\"100%\" height=\"100%\" fill=\"{}\"/>",
        theme.bg.css()
    );
    items(&mut o, scene, theme);
    o.push_str("</svg>");
    o
}

/// Every item of a scene in paint order, then its overlays.
fn items(o: &mut String, scene: &Scene, theme: &Theme) {
    let col = |i: Ink| theme.resolve(i).css();
    for b in &scene.rects {
        let mut a = format!("fill=\"{}\" fill-opacity=\"", col(b.ink));
        num(&mut a, b.alpha.clamp(0.0, 1.0));
        a.push('"');
        open_path(o, &a);
        for r in &b.rects {
            let r = r.map(f64::from);
            o.push('M');
            nums(o, ' ', &[r[0], r[1]]);
            o.push('h');
            num(o, r[2]);
            o.push('v');
            num(o, r[3]);
            o.push('h');
            num(o, -r[2]);
            o.push('z');
        }
        o.push_str("\"/>");
    }
    for c in &scene.circles {
        circle(o, c, theme);
    }
    let stroke = |ink: Ink, w: f64| {
        let mut a = format!("fill=\"none\" stroke=\"{}\" stroke-width=\"", col(ink));
        num(&mut a, w);
        a.push('"');
        a
    };
    for b in &scene.arcs {
        open_path(o, &stroke(b.ink, b.width));
        for &(a0, a1) in &b.spans {
            arc_path(o, b.cx, b.cy, b.r, a0, a1);
        }
        o.push_str("\"/>");
    }
    for b in &scene.ticks {
        open_path(o, &stroke(b.ink, b.width));
        for &a in &b.angles {
            let (x0, y0) = polar(b.cx, b.cy, b.r0, a);
            let (x1, y1) = polar(b.cx, b.cy, b.r1, a);
            o.push('M');
            nums(o, ' ', &[x0, y0]);
            o.push('L');
            nums(o, ' ', &[x1, y1]);
        }
        o.push_str("\"/>");
    }
    for b in &scene.lines {
        let mut a = stroke(b.ink, b.width);
        a.push_str(" stroke-opacity=\"");
        num(&mut a, b.alpha.clamp(0.0, 1.0));
        a.push('"');
        if let Some((on, off)) = b.dash {
            a.push_str(" stroke-dasharray=\"");
            nums(&mut a, ' ', &[on, off]);
            a.push('"');
        }
        open_path(o, &a);
        for s in &b.segs {
            let s = s.map(f64::from);
            o.push('M');
            nums(o, ' ', &[s[0], s[1]]);
            o.push('L');
            nums(o, ' ', &[s[2], s[3]]);
        }
        o.push_str("\"/>");
    }
    for b in &scene.dots {
        let r = b.radius;
        open_path(o, &format!("fill=\"{}\"", col(b.ink)));
        for &(x, y) in &b.xy {
            let (x, y) = (x as f64, y as f64);
            o.push('M');
            if r < SQUARE_BELOW {
                nums(o, ' ', &[x - r, y - r]);
                o.push('h');
                num(o, 2.0 * r);
                o.push('v');
                num(o, 2.0 * r);
                o.push('h');
                num(o, -2.0 * r);
            } else {
                nums(o, ' ', &[x + r, y]);
                for dx in [-2.0 * r, 2.0 * r] {
                    o.push('a');
                    nums(o, ' ', &[r, r]);
                    o.push_str(" 0 1 0 ");
                    nums(o, ' ', &[dx, 0.0]);
                }
            }
            o.push('z');
        }
        o.push_str("\"/>");
    }
    for c in &scene.markers {
        circle(o, c, theme);
    }
    for l in &scene.labels {
        let anchor = match l.align {
            Align::Left => "start",
            Align::Center => "middle",
            Align::Right => "end",
        };
        o.push_str("<text x=\"");
        num(o, l.x);
        o.push_str("\" y=\"");
        num(o, l.y);
        o.push_str("\" font-size=\"");
        num(o, l.size);
        let _ = write!(
            o,
            "\" text-anchor=\"{anchor}\" dominant-baseline=\"middle\" fill=\"{}\"{}>{}</text>",
            col(l.ink),
            if l.bold { " font-weight=\"600\"" } else { "" },
            esc(&l.text)
        );
    }
    for ov in &scene.overlays {
        items(o, ov, theme);
    }
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
        assert_eq!(svg.matches("A40 40").count(), 3);
        assert!(svg.contains("stroke-dasharray=\"4 2\""));
        assert!(svg.contains("A &lt;b&gt; &amp; &quot;c&quot;"));
        assert!(svg.contains("font-weight=\"600\""));
        let order = [
            "<path fill=\"none\" stroke=",
            "stroke-dasharray",
            "a3 3",
            "<text",
        ];
        let pos: Vec<usize> = order.iter().map(|p| svg.find(p).unwrap()).collect();
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
    }

    #[test]
    fn numbers_have_at_most_two_decimals() {
        let mut s = String::new();
        nums(&mut s, ' ', &[1.0, -0.5, 2.345, -3.0, 0.004, f64::NAN]);
        assert_eq!(s, "1 -0.50 2.35 -3 0 0");
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
