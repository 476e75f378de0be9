//! The flash sale's charts as display lists (so the canvas, PNG and SVG exports show the same
//! picture), each with a table of the same figures for screen readers: live small multiples
//! over virtual time (throughput, p99 latency, retries per second, stock remaining), and the
//! contention experiment as one line per policy over the client count.

use super::scene::{Align, Ink, Label, LineBatch, Scene, Swatch};
use crate::sim::event::{Event, What};
use crate::sim::proto::locks::LockEv;
use crate::sim::proto::stock::event::quantile;
use crate::sim::proto::stock::experiment::Point;
use crate::sim::proto::stock::{StockCfg, StockEv};
use crate::sim::proto::ProtoEv;
use crate::sim::time::Time;

/// One line of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Its name in the legend and the table.
    pub name: String,
    /// Points (x, y) in data units, x increasing.
    pub pts: Vec<(f64, f64)>,
    /// Its colour.
    pub ink: Ink,
    /// Dashed (a reference line rather than a measurement).
    pub dashed: bool,
}

/// One chart: a title, axes and lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Title, also the table's caption.
    pub title: String,
    /// The x axis ("virtual ms", "clients").
    pub x_label: String,
    /// Lines, drawn in order.
    pub lines: Vec<Line>,
}

impl Chart {
    fn range(&self) -> (f64, f64, f64, f64) {
        let pts = self.lines.iter().flat_map(|l| l.pts.iter());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, 0.0f64, f64::MIN);
        for &(x, y) in pts {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            return (0.0, 1.0, 0.0, 1.0);
        }
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        if y1 <= y0 {
            y1 = y0 + 1.0;
        }
        (x0, x1, y0, y1)
    }

    /// The chart's figures as a table: a header (x, then each line) and one row per x.
    pub fn table(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut head = vec![self.x_label.clone()];
        head.extend(self.lines.iter().map(|l| l.name.clone()));
        // Every line of a chart shares its x values (time bins, client counts).
        let xs: Vec<f64> = self
            .lines
            .iter()
            .max_by_key(|l| l.pts.len())
            .map(|l| l.pts.iter().map(|p| p.0).collect())
            .unwrap_or_default();
        let rows = xs
            .iter()
            .map(|&x| {
                let mut r = vec![num(x)];
                for l in &self.lines {
                    r.push(
                        l.pts
                            .iter()
                            .find(|p| p.0 == x)
                            .map_or_else(|| "–".into(), |p| num(p.1)),
                    );
                }
                r
            })
            .collect();
        (head, rows)
    }

    /// One sentence: the title and each line's last value (the chart's accessible name).
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .lines
            .iter()
            .filter_map(|l| l.pts.last().map(|p| format!("{} {}", l.name, num(p.1))))
            .collect();
        format!("{}: {}", self.title, parts.join(", "))
    }
}

/// A figure as the tables print it: whole numbers when large, one decimal when small.
pub fn num(v: f64) -> String {
    if v.abs() >= 100.0 || v.fract() == 0.0 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Colour of line `i` (the node palette).
pub fn ink(i: usize) -> Ink {
    Ink::Swatch(Swatch::Node(i as u32))
}

/// Draws `c` in the box (x, y, w, h) of `scene`.
pub fn draw(c: &Chart, (x, y, w, h): (f64, f64, f64, f64), scene: &mut Scene) {
    let (pl, pr, pt, pb) = (44.0, 10.0, 22.0, 30.0);
    let (ax, ay, aw, ah) = (
        x + pl,
        y + pt,
        (w - pl - pr).max(10.0),
        (h - pt - pb).max(10.0),
    );
    let (x0, x1, y0, y1) = c.range();
    let px = |v: f64| ax + (v - x0) / (x1 - x0) * aw;
    let py = |v: f64| ay + ah - (v - y0) / (y1 - y0) * ah;
    let label = |scene: &mut Scene, x: f64, y: f64, text: String, align, bold, ink| {
        scene.labels.push(Label {
            x,
            y,
            text,
            ink,
            size: if bold { 12.0 } else { 10.0 },
            bold,
            align,
        })
    };
    label(
        scene,
        x + 4.0,
        y + 9.0,
        c.title.clone(),
        Align::Left,
        true,
        Ink::Fg,
    );
    scene.lines.push(LineBatch {
        ink: Ink::Muted,
        width: 1.0,
        alpha: 1.0,
        dash: None,
        segs: vec![
            [ax as f32, ay as f32, ax as f32, (ay + ah) as f32],
            [
                ax as f32,
                (ay + ah) as f32,
                (ax + aw) as f32,
                (ay + ah) as f32,
            ],
        ],
    });
    if y0 < 0.0 {
        scene.lines.push(LineBatch {
            ink: Ink::Danger,
            width: 1.0,
            alpha: 0.6,
            dash: Some((3.0, 3.0)),
            segs: vec![[ax as f32, py(0.0) as f32, (ax + aw) as f32, py(0.0) as f32]],
        });
        label(
            scene,
            ax - 4.0,
            py(y0),
            num(y0),
            Align::Right,
            false,
            Ink::Danger,
        );
    }
    label(
        scene,
        ax - 4.0,
        py(y1),
        num(y1),
        Align::Right,
        false,
        Ink::Muted,
    );
    label(
        scene,
        ax - 4.0,
        py(0.0),
        "0".into(),
        Align::Right,
        false,
        Ink::Muted,
    );
    label(
        scene,
        ax,
        ay + ah + 10.0,
        num(x0),
        Align::Left,
        false,
        Ink::Muted,
    );
    label(
        scene,
        ax + aw,
        ay + ah + 10.0,
        num(x1),
        Align::Right,
        false,
        Ink::Muted,
    );
    label(
        scene,
        ax + aw / 2.0,
        ay + ah + 21.0,
        c.x_label.clone(),
        Align::Center,
        false,
        Ink::Muted,
    );
    for (i, l) in c.lines.iter().enumerate() {
        let segs: Vec<[f32; 4]> = l
            .pts
            .windows(2)
            .map(|p| {
                [
                    px(p[0].0) as f32,
                    py(p[0].1) as f32,
                    px(p[1].0) as f32,
                    py(p[1].1) as f32,
                ]
            })
            .collect();
        scene.lines.push(LineBatch {
            ink: l.ink,
            width: 2.0,
            alpha: 1.0,
            dash: l.dashed.then_some((5.0, 3.0)),
            segs,
        });
        if c.lines.len() > 1 {
            let ly = y + 9.0 + 12.0 * i as f64;
            label(
                scene,
                x + w - 8.0,
                ly,
                l.name.clone(),
                Align::Right,
                false,
                l.ink,
            );
        }
    }
}

fn stock_ev(e: &Event) -> Option<&StockEv> {
    match &e.what {
        What::Proto(ProtoEv::Stock(s)) => Some(s),
        _ => None,
    }
}

/// The live charts of a sale from its trace up to `upto`: throughput (units/s), p99
/// latency of the orders finished in each interval, retries per second, and stock
/// remaining beside K − units promised (below zero: oversold).
pub fn live(trace: &[Event], cfg: &StockCfg, upto: Time) -> Vec<Chart> {
    let start = cfg.start_ms;
    let end = upto.max(start + 1);
    let bin = ((end - start).div_ceil(30)).max(10);
    let n = (end - start).div_ceil(bin) as usize;
    let mut sold = vec![0.0; n];
    let mut retries = vec![0.0; n];
    let mut lat: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut left = vec![f64::NAN; n];
    let mut promised = vec![f64::NAN; n];
    let (mut cur_left, mut cur_sold) = (cfg.stock as f64, 0.0);
    let mut jobs = 0.0;
    for e in trace.iter().take_while(|e| e.t <= end) {
        if e.t < start {
            continue;
        }
        let i = (((e.t - start) / bin) as usize).min(n - 1);
        match stock_ev(e) {
            Some(StockEv::StockSold {
                units, latency_ms, ..
            }) => {
                sold[i] += f64::from(*units);
                cur_sold += f64::from(*units);
                lat[i].push((*latency_ms).min(u64::from(u32::MAX)) as u32);
            }
            Some(
                StockEv::StockRefused { latency_ms, .. } | StockEv::StockGaveUp { latency_ms, .. },
            ) => lat[i].push((*latency_ms).min(u64::from(u32::MAX)) as u32),
            Some(StockEv::StockRetry { .. }) => retries[i] += 1.0,
            Some(StockEv::StockRow { stock_total, .. }) => cur_left = *stock_total as f64,
            _ => match &e.what {
                What::Proto(ProtoEv::Locks(LockEv::StorageWrite {
                    key,
                    value,
                    ok: true,
                    ..
                })) if *key == cfg.sku => cur_left = *value as f64,
                What::Proto(ProtoEv::Locks(LockEv::JobEnd { ok: true, .. })) => {
                    jobs += 1.0;
                    sold[i] += 1.0;
                    cur_sold = jobs;
                }
                _ => {}
            },
        }
        left[i] = cur_left;
        promised[i] = cfg.stock as f64 - cur_sold;
    }
    let (mut l, mut p) = (cfg.stock as f64, cfg.stock as f64);
    for i in 0..n {
        if left[i].is_nan() {
            left[i] = l;
        }
        if promised[i].is_nan() {
            promised[i] = p;
        }
        l = left[i];
        p = promised[i];
    }
    let per_s = 1000.0 / bin as f64;
    let xs = |i: usize| (start + (i as u64 + 1) * bin) as f64;
    let line = |name: &str, v: &[f64], k: usize, dashed: bool| Line {
        name: name.into(),
        pts: v.iter().enumerate().map(|(i, y)| (xs(i), *y)).collect(),
        ink: ink(k),
        dashed,
    };
    let p99: Vec<f64> = lat.iter().map(|l| quantile(l, 0.99) as f64).collect();
    let rate: Vec<f64> = sold.iter().map(|s| s * per_s).collect();
    let rps: Vec<f64> = retries.iter().map(|r| r * per_s).collect();
    let x_label = "virtual ms".to_string();
    vec![
        Chart {
            title: "Throughput (units/s)".into(),
            x_label: x_label.clone(),
            lines: vec![line("sold/s", &rate, 0, false)],
        },
        Chart {
            title: "p99 latency (ms)".into(),
            x_label: x_label.clone(),
            lines: vec![line("p99 ms", &p99, 1, false)],
        },
        Chart {
            title: "Retries per second".into(),
            x_label: x_label.clone(),
            lines: vec![line("retries/s", &rps, 2, false)],
        },
        Chart {
            title: "Stock remaining".into(),
            x_label,
            lines: vec![
                line("left", &left, 3, false),
                line("K − promised", &promised, 4, true),
            ],
        },
    ]
}

/// The contention experiment as two charts over the client count: total calls and
/// completion time, one line per policy.
pub fn contention(points: &[Point]) -> Vec<Chart> {
    let mut policies = Vec::new();
    for p in points {
        if !policies.contains(&p.policy) {
            policies.push(p.policy);
        }
    }
    let lines = |f: &dyn Fn(&Point) -> f64| -> Vec<Line> {
        policies
            .iter()
            .enumerate()
            .map(|(i, pol)| Line {
                name: pol.name().replace('_', "-"),
                pts: points
                    .iter()
                    .filter(|p| p.policy == *pol)
                    .map(|p| (f64::from(p.clients), f(p)))
                    .collect(),
                ink: ink(i),
                dashed: false,
            })
            .collect()
    };
    vec![
        Chart {
            title: "Total calls".into(),
            x_label: "clients".into(),
            lines: lines(&|p| p.calls),
        },
        Chart {
            title: "Completion time (ms)".into(),
            x_label: "clients".into(),
            lines: lines(&|p| p.ms),
        },
    ]
}

/// Lays charts out in a grid of `cols` columns on one scene of the given size.
pub fn scene(charts: &[Chart], cols: usize, width: f64, height: f64) -> Scene {
    let mut s = Scene::new(width, height);
    let cols = cols.max(1);
    let rows = charts.len().div_ceil(cols).max(1);
    let (cw, ch) = (width / cols as f64, height / rows as f64);
    for (i, c) in charts.iter().enumerate() {
        let (r, k) = (i / cols, i % cols);
        draw(c, (k as f64 * cw, r as f64 * ch, cw, ch), &mut s);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::proto::stock::{experiment, Policy};
    use crate::sim::runner;
    use crate::sim::scenario::Scenario;

    fn run(file: &str) -> (Scenario, Vec<Event>) {
        let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
        let s = Scenario::decode(&std::fs::read(path).unwrap()).unwrap();
        let tl = runner::play(&s, None, s.until_ms).unwrap();
        (s.clone(), tl.trace().to_vec())
    }

    #[test]
    fn live_charts_show_the_oversell_and_the_storm() {
        let (s, trace) = run("inventory-no-control.json");
        let cfg = s.protocols.stock.clone().unwrap();
        let charts = live(&trace, &cfg, s.until_ms);
        assert_eq!(charts.len(), 4);
        let promised = &charts[3].lines[1];
        assert_eq!(
            promised.pts.last().unwrap().1,
            -30.0,
            "K − promised goes below zero"
        );
        let sc = scene(&charts, 2, 640.0, 360.0);
        assert!(
            sc.lines.iter().any(|l| l.ink == Ink::Danger),
            "the zero line"
        );
        let (head, rows) = charts[3].table();
        assert_eq!(head, ["virtual ms", "left", "K − promised"]);
        assert_eq!(rows.last().unwrap()[2], "-30");
        assert!(charts[3].summary().contains("K − promised -30"));
        let (s, trace) = run("inventory-optimistic-no-backoff.json");
        let cfg = s.protocols.stock.clone().unwrap();
        let charts = live(&trace, &cfg, s.until_ms);
        let retries: f64 = charts[2].lines[0].pts.iter().map(|p| p.1).sum();
        assert!(retries > 1_000.0, "{retries}");
    }

    #[test]
    fn the_contention_chart_has_a_line_per_policy_and_exports_to_svg() {
        let pts = experiment::run(&[5, 10], &[Policy::None, Policy::FullJitter], 2, 1).unwrap();
        let charts = contention(&pts);
        assert_eq!(charts[0].lines.len(), 2);
        assert_eq!(charts[0].lines[1].name, "full-jitter");
        let (head, rows) = charts[0].table();
        assert_eq!(head, ["clients", "none", "full-jitter"]);
        assert_eq!(rows.len(), 2);
        let svg = crate::view::svg::to_svg(
            &scene(&charts, 2, 640.0, 260.0),
            &crate::view::theme::Theme::light(),
        );
        assert!(svg.contains("Total calls") && svg.contains("full-jitter"));
    }
}
