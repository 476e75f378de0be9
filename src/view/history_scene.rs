//! The history diagram of the replicated store: one lane per client, each operation a bar
//! from invoke to completion (ok, failed, or open-ended when its outcome is unknown), the
//! checker's verdict above the lanes, the failing window shaded and its operations in
//! danger ink, acknowledged writes that were lost struck through and named, the playhead,
//! and a text alternative. A [`Scene`] like every canvas, so PNG/SVG export works the same
//! way. Pure: the page passes the report (it checks in slices), the tests compute it.

use std::collections::{BTreeMap, BTreeSet};

use super::scene::{Align, Ink, Label, LineBatch, RectBatch, Scene};
use crate::sim::history::linearizable::{self, Outcome, Report};
use crate::sim::history::{self, Kind, Val};
use crate::sim::ids::Time;
use crate::sim::sort::{set_of, sort_dedup_by_u64};

/// Height of one client's lane.
const LANE: f64 = 22.0;
/// Room for the verdict line and the lost-writes line.
const TOP: f64 = 40.0;
/// Room for the client names.
const LEFT: f64 = 56.0;
/// Room for the time axis.
const AXIS: f64 = 16.0;
/// Operations listed per client in the text alternative (the latest ones).
const TEXT_OPS: usize = 60;

/// One operation as drawn: lane, span, outcome, text.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// The client process.
    pub process: u64,
    /// Invoke time.
    pub from: Time,
    /// Completion time: ok, failed, or timed out with the outcome unknown (`info`); `None`
    /// while still open at the playhead (drawn up to it).
    pub to: Option<Time>,
    /// ok, fail or info (an operation still open is `info` with no `to`).
    pub kind: Kind,
    /// "w 42", "r 40", "cas 3→7".
    pub text: String,
    /// The value it wrote (a write, or a CAS's new value), to name it when lost.
    pub wrote: Option<i64>,
    /// In the checker's failing window.
    pub failing: bool,
    /// An acknowledged write that did not survive.
    pub lost: bool,
}

/// What one drawing of the diagram shows.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    /// The clients' history (the store's, at the playhead).
    pub events: &'a [history::Event],
    /// The checker's report on it; `None` while it is being checked.
    pub report: Option<&'a Report>,
    /// Acknowledged writes lost, as (key index, value); `None` when not judged (carts).
    pub lost: Option<&'a [(u8, i64)]>,
    /// Start of the time axis.
    pub t0: Time,
    /// End of the time axis.
    pub t1: Time,
    /// The playhead (a vertical line).
    pub playhead: Time,
    /// Width in CSS px.
    pub width: f64,
}

fn wrote(inv: &history::Event) -> Option<i64> {
    match (&inv.f, &inv.value) {
        (history::F::Write, Val::Int(v)) => Some(*v),
        (history::F::Cas, Val::List(l)) => match l.get(1) {
            Some(Val::Int(v)) => Some(*v),
            _ => None,
        },
        _ => None,
    }
}

/// The bars of a history, marked with the report's failing window and the lost writes.
pub fn bars_for(
    events: &[history::Event],
    report: Option<&Report>,
    lost: &BTreeSet<i64>,
) -> Vec<Bar> {
    let failing: BTreeSet<usize> = match report.map(|r| &r.outcome) {
        Some(Outcome::NotLinearizable(f)) => set_of(f.window.iter().map(|o| o.line)),
        _ => BTreeSet::new(),
    };
    let mut out = Vec::new();
    let mut open: BTreeMap<u64, (usize, &history::Event)> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let line = i + 1;
        if e.kind == Kind::Invoke {
            open.insert(e.process, (line, e));
            continue;
        }
        let Some((l, inv)) = open.remove(&e.process) else {
            continue;
        };
        let text = match inv.f {
            history::F::Read => format!("r {}", e.value),
            history::F::Write => format!("w {}", inv.value),
            history::F::Cas => format!("cas {}", inv.value),
            history::F::Append => format!("app {}", inv.value),
        };
        let w = wrote(inv);
        out.push(Bar {
            process: e.process,
            from: inv.time.unwrap_or(l as u64),
            to: Some(e.time.unwrap_or(line as u64)),
            kind: e.kind,
            text,
            wrote: w,
            failing: failing.contains(&l),
            lost: e.kind == Kind::Ok && w.is_some_and(|v| lost.contains(&v)),
        });
    }
    for (_, (l, inv)) in open {
        out.push(Bar {
            process: inv.process,
            from: inv.time.unwrap_or(l as u64),
            to: None,
            kind: Kind::Info,
            text: format!("{} {}", inv.f.name(), inv.value),
            wrote: wrote(inv),
            failing: failing.contains(&l),
            lost: false,
        });
    }
    out
}

/// The checker's report on a history (cas-register model, per key), as a run judges it.
pub fn report(events: &[history::Event]) -> Report {
    linearizable::check(
        linearizable::Model::CasRegister,
        &ops(events),
        crate::sim::proto::kv::RUN_BUDGET,
    )
}

/// A history paired into the operations the checker orders (line numbers from 1).
pub fn ops(events: &[history::Event]) -> Vec<history::Op> {
    let numbered: Vec<(usize, history::Event)> = events
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| (i + 1, e))
        .collect();
    history::pair(&numbered).unwrap_or_default()
}

/// The bars of a history, with the checker's report (computed here, in one go).
pub fn bars(events: &[history::Event]) -> (Vec<Bar>, Report) {
    let r = report(events);
    (bars_for(events, Some(&r), &BTreeSet::new()), r)
}

fn lanes_of(bars: &[Bar]) -> Vec<u64> {
    let mut lanes: Vec<u64> = bars.iter().map(|b| b.process).collect();
    sort_dedup_by_u64(&mut lanes, |&p| p);
    lanes
}

/// The diagram's height for a history with this many client lanes.
pub fn height(lanes: usize) -> f64 {
    TOP + LANE * lanes.max(1) as f64 + AXIS + 4.0
}

fn x_of(v: &View<'_>, t: Time) -> f64 {
    let span = (v.t1.saturating_sub(v.t0)).max(1) as f64;
    LEFT + (t.saturating_sub(v.t0) as f64 / span).min(1.0) * (v.width - LEFT - 8.0)
}

/// The virtual time under `x` in a diagram `width` wide over `[t0, t1]` (a click seeks
/// there), or `None` left of the lanes.
pub fn time_at(width: f64, t0: Time, t1: Time, x: f64) -> Option<Time> {
    if x < LEFT || width <= LEFT + 8.0 {
        return None;
    }
    let f = ((x - LEFT) / (width - LEFT - 8.0)).clamp(0.0, 1.0);
    Some(t0 + (f * t1.saturating_sub(t0) as f64).round() as Time)
}

/// The lost writes named, `k0=42 k0=43 …`, as many as fit in `chars` characters, then how
/// many more.
fn lost_text(lost: Option<&[(u8, i64)]>, chars: usize) -> (String, Ink) {
    match lost {
        None => (
            "lost writes not judged: cart values are item sets".into(),
            Ink::Muted,
        ),
        Some([]) => ("no acknowledged write lost".into(), Ink::Ok),
        Some(l) => {
            let head = if chars < 60 {
                format!("{} lost:", l.len())
            } else {
                format!("{} acknowledged writes lost:", l.len())
            };
            let mut out = head;
            for (i, (k, v)) in l.iter().enumerate() {
                let name = format!(" {}={v}", crate::sim::proto::kv::key_name(*k));
                let rest = l.len() - i;
                let more = if rest > 1 { 14 } else { 0 };
                if out.len() + name.len() + more > chars && i > 0 {
                    out.push_str(&format!(" and {rest} more"));
                    break;
                }
                out.push_str(&name);
            }
            (out, Ink::Danger)
        }
    }
}

/// About how many characters of 11 px text fit across the lanes of a `width` diagram.
fn chars_across(width: f64) -> usize {
    ((width - LEFT - 8.0) / 7.2).max(10.0) as usize
}

/// The checker's verdict in words, naming clients with `name`.
pub fn verdict_text(r: Option<&Report>, name: &dyn Fn(u64) -> String) -> String {
    let Some(r) = r else {
        return "checking linearizability…".into();
    };
    match &r.outcome {
        Outcome::Linearizable => format!("linearizable ({} operations)", r.ops),
        Outcome::NotLinearizable(f) => {
            let o = &f.op;
            let end = o.ret.map_or("unknown".to_string(), |t| t.to_string());
            let what = match o.f {
                history::F::Read => format!("read {} = {}", o.key, o.value),
                f => format!("{} {} {}", f.name(), o.key, o.value),
            };
            format!(
                "not linearizable: {}'s {what} ({}–{end} ms) cannot follow the value {}{} (failing window: {} operation{})",
                name(o.process),
                o.invoke,
                f.state,
                f.because
                    .as_ref()
                    .map(|b| format!(" written by {} at {} ms", name(b.process), b.invoke))
                    .unwrap_or_default(),
                f.window.len(),
                if f.window.len() == 1 { "" } else { "s" }
            )
        }
        Outcome::Unknown { key } => format!("unknown: the search budget ran out on {key}"),
    }
}

/// The verdict short enough for the canvas's first line (the page prints the whole sentence).
pub fn verdict_short(r: Option<&Report>, name: &dyn Fn(u64) -> String) -> String {
    match r.map(|r| &r.outcome) {
        Some(Outcome::NotLinearizable(f)) => {
            let o = &f.op;
            let what = match o.f {
                history::F::Read => format!("read {} = {}", o.key, o.value),
                f => format!("{} {} {}", f.name(), o.key, o.value),
            };
            format!(
                "not linearizable: {}'s {what} at {} ms cannot follow {}",
                name(o.process),
                o.invoke,
                f.state
            )
        }
        _ => verdict_text(r, name),
    }
}

/// The verdict in a word or two (a narrow diagram; the page prints the sentence above it).
fn verdict_word(r: Option<&Report>) -> &'static str {
    match r.map(|r| &r.outcome) {
        None => "checking linearizability…",
        Some(Outcome::Linearizable) => "linearizable",
        Some(Outcome::NotLinearizable(_)) => "not linearizable",
        Some(Outcome::Unknown { .. }) => "unknown: search budget exhausted",
    }
}

fn verdict_ink(r: Option<&Report>) -> Ink {
    match r.map(|r| &r.outcome) {
        None => Ink::Muted,
        Some(Outcome::Linearizable) => Ink::Ok,
        Some(Outcome::NotLinearizable(_)) => Ink::Danger,
        Some(Outcome::Unknown { .. }) => Ink::Warn,
    }
}

fn label(x: f64, y: f64, text: String, ink: Ink, size: f64, bold: bool) -> Label {
    Label {
        x,
        y,
        text,
        ink,
        size,
        bold,
        align: Align::Left,
    }
}

/// Draws the diagram (see [`View`]); `name` names a client process.
pub fn draw(v: &View<'_>, name: &dyn Fn(u64) -> String) -> Scene {
    let lost: BTreeSet<i64> = set_of(v.lost.unwrap_or(&[]).iter().map(|(_, x)| *x));
    let bars = bars_for(v.events, v.report, &lost);
    let lanes = lanes_of(&bars);
    let h = height(lanes.len());
    let mut s = Scene::new(v.width, h);
    let bottom = TOP + LANE * lanes.len().max(1) as f64;
    let short = verdict_short(v.report, name);
    s.labels.push(label(
        LEFT,
        10.0,
        if short.len() > chars_across(v.width) * 9 / 10 {
            verdict_word(v.report).to_string()
        } else {
            short
        },
        verdict_ink(v.report),
        12.0,
        true,
    ));
    let (lt, li) = lost_text(v.lost, chars_across(v.width));
    s.labels
        .push(label(LEFT, 27.0, lt, li, 11.0, li == Ink::Danger));
    // The failing window, shaded behind the lanes.
    if let Some(Outcome::NotLinearizable(f)) = v.report.map(|r| &r.outcome) {
        let from = f.window.iter().map(|o| o.invoke).min().unwrap_or(0);
        let to = f
            .window
            .iter()
            .map(|o| o.ret.unwrap_or(v.playhead))
            .max()
            .unwrap_or(from)
            .min(v.t1);
        let (x0, x1) = (x_of(v, from), x_of(v, to));
        s.rects.push(RectBatch {
            ink: Ink::Danger,
            alpha: 0.14,
            rects: vec![[
                x0 as f32,
                TOP as f32,
                (x1 - x0).max(3.0) as f32,
                (bottom - TOP) as f32,
            ]],
        });
    }
    for (k, p) in lanes.iter().enumerate() {
        s.labels.push(label(
            4.0,
            TOP + LANE * k as f64 + LANE / 2.0,
            name(*p),
            Ink::Fg,
            11.0,
            false,
        ));
    }
    let mut batches: Vec<(Ink, Vec<[f32; 4]>)> = vec![
        (Ink::Ok, vec![]),
        (Ink::Muted, vec![]),
        (Ink::Warn, vec![]),
        (Ink::Danger, vec![]),
    ];
    let mut strikes = Vec::new();
    for b in bars
        .iter()
        .filter(|b| b.to.is_none_or(|t| t >= v.t0) && b.from <= v.t1)
    {
        let Some(k) = lanes.iter().position(|p| *p == b.process) else {
            continue;
        };
        let end = b.to.unwrap_or(v.playhead.max(b.from));
        let (x0, x1) = (x_of(v, b.from), x_of(v, end));
        let y = TOP + LANE * k as f64 + 4.0;
        let slot = if b.failing || b.lost {
            3
        } else {
            match b.kind {
                Kind::Ok => 0,
                Kind::Fail => 1,
                _ => 2,
            }
        };
        batches[slot].1.push([
            x0 as f32,
            y as f32,
            (x1 - x0).max(2.0) as f32,
            (LANE - 8.0) as f32,
        ]);
        if b.lost {
            let ym = (y + (LANE - 8.0) / 2.0) as f32;
            strikes.push([x0 as f32 - 2.0, ym, x1.max(x0 + 2.0) as f32 + 2.0, ym]);
        }
        if x1 - x0 > 30.0 {
            s.labels.push(label(
                x0 + 2.0,
                y + (LANE - 8.0) / 2.0,
                b.text.clone(),
                Ink::Bg,
                9.0,
                b.failing || b.lost,
            ));
        }
    }
    for (ink, rects) in batches {
        if !rects.is_empty() {
            s.rects.push(RectBatch {
                ink,
                alpha: 0.85,
                rects,
            });
        }
    }
    let right = (v.width - 8.0) as f32;
    s.lines.push(LineBatch {
        ink: Ink::Track,
        width: 1.0,
        alpha: 1.0,
        dash: None,
        segs: (0..=lanes.len().max(1))
            .map(|k| {
                let y = (TOP + LANE * k as f64) as f32;
                [LEFT as f32, y, right, y]
            })
            .collect(),
    });
    if !strikes.is_empty() {
        s.lines.push(LineBatch {
            ink: Ink::Fg,
            width: 1.5,
            alpha: 1.0,
            dash: None,
            segs: strikes,
        });
    }
    // The time axis: a tick and a label every second (or every 10 s on long runs).
    let span = v.t1.saturating_sub(v.t0).max(1);
    let step = if span > 20_000 { 10_000 } else { 1_000 };
    let mut ticks = Vec::new();
    let mut t = v.t0.div_ceil(step) * step;
    while t <= v.t1 {
        let x = x_of(v, t) as f32;
        ticks.push([x, bottom as f32, x, bottom as f32 + 4.0]);
        s.labels.push(Label {
            x: x as f64,
            y: bottom + 11.0,
            text: format!("{} s", t / 1000),
            ink: Ink::Muted,
            size: 9.0,
            bold: false,
            align: Align::Center,
        });
        t += step;
    }
    s.lines.push(LineBatch {
        ink: Ink::Muted,
        width: 1.0,
        alpha: 1.0,
        dash: None,
        segs: ticks,
    });
    let px = x_of(v, v.playhead.clamp(v.t0, v.t1)) as f32;
    s.lines.push(LineBatch {
        ink: Ink::Accent,
        width: 2.0,
        alpha: 0.9,
        dash: None,
        segs: vec![[px, TOP as f32 - 2.0, px, bottom as f32 + 2.0]],
    });
    s
}

/// Draws `[t0, t1]` of a history into a `width`-wide scene, checking it here (tests, CLI).
pub fn scene(
    events: &[history::Event],
    t0: Time,
    t1: Time,
    width: f64,
    name: &dyn Fn(u64) -> String,
) -> Scene {
    let r = report(events);
    draw(
        &View {
            events,
            report: Some(&r),
            lost: Some(&[]),
            t0,
            t1,
            playhead: t1,
            width,
        },
        name,
    )
}

/// The diagram's text alternative: the verdict, the lost writes, then each client's
/// operations in order (the latest [`TEXT_OPS`] of each).
pub fn text(v: &View<'_>, name: &dyn Fn(u64) -> String) -> String {
    let lost: BTreeSet<i64> = set_of(v.lost.unwrap_or(&[]).iter().map(|(_, x)| *x));
    let bars = bars_for(v.events, v.report, &lost);
    let mut out = format!(
        "History diagram. {}. {}",
        verdict_text(v.report, name),
        lost_text(v.lost, usize::MAX).0
    );
    for p in lanes_of(&bars) {
        let mine: Vec<&Bar> = bars.iter().filter(|b| b.process == p).collect();
        let skip = mine.len().saturating_sub(TEXT_OPS);
        let ops: Vec<String> = mine
            .iter()
            .skip(skip)
            .map(|b| {
                let end = match (b.kind, b.to) {
                    (Kind::Ok, Some(t)) => format!("ok at {t}"),
                    (Kind::Fail, Some(t)) => format!("failed at {t}"),
                    (_, Some(t)) => format!("timed out at {t}, outcome unknown"),
                    _ => "still open".to_string(),
                };
                let mark = match (b.failing, b.lost) {
                    (_, true) => " [lost]",
                    (true, _) => " [failing window]",
                    _ => "",
                };
                format!("{} from {} {end}{mark}", b.text, b.from)
            })
            .collect();
        let earlier = if skip > 0 {
            format!(" ({skip} earlier not listed)")
        } else {
            String::new()
        };
        out.push_str(&format!(". {}{earlier}: {}", name(p), ops.join("; ")));
    }
    out
}

/// The text alternative of a history checked here (tests, CLI).
pub fn describe(events: &[history::Event], name: &dyn Fn(u64) -> String) -> String {
    let r = report(events);
    let t1 = events.iter().filter_map(|e| e.time).max().unwrap_or(0);
    text(
        &View {
            events,
            report: Some(&r),
            lost: Some(&[]),
            t0: 0,
            t1,
            playhead: t1,
            width: 900.0,
        },
        name,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::proto::kv::Kv;
    use crate::sim::runner;
    use crate::sim::scenario::Scenario;

    fn world(file: &str) -> crate::sim::world::World {
        let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
        let s = Scenario::decode(&std::fs::read(path).expect("file")).expect("decodes");
        let tl = runner::play_with(&s, None, s.until_ms, |_| {}).expect("runs");
        tl.world().clone()
    }

    fn history(file: &str) -> Vec<history::Event> {
        world(file).shared::<Kv>().history.clone()
    }

    #[test]
    fn sentinel_diagram_shows_the_failing_window() {
        let h = history("ha-sentinel-partition.json");
        let s = scene(&h, 0, 10_000, 900.0, &|p| format!("p{p}"));
        assert!(
            s.labels[0].text.starts_with("not linearizable"),
            "{}",
            s.labels[0].text
        );
        assert!(
            s.rects.iter().any(|r| r.ink == Ink::Danger),
            "failing window drawn"
        );
        let d = describe(&h, &|p| format!("p{p}"));
        assert!(d.contains("[failing window]"), "{d}");
    }

    #[test]
    fn sentinel_diagram_names_and_strikes_the_lost_writes() {
        let w = world("ha-sentinel-partition.json");
        let k = w.shared::<Kv>();
        let lost = k.lost(false);
        assert!(lost.len() > 10, "{}", lost.len());
        let r = report(&k.history);
        let v = View {
            events: &k.history,
            report: Some(&r),
            lost: Some(&lost),
            t0: 0,
            t1: 10_000,
            playhead: 10_000,
            width: 900.0,
        };
        let s = draw(&v, &|p| format!("c{p}"));
        let named = &s.labels[1].text;
        assert!(
            named.starts_with(&format!("{} acknowledged writes lost: k0=", lost.len())),
            "{named}"
        );
        assert_eq!(s.labels[1].ink, Ink::Danger);
        // At a phone's width the lines shorten to fit instead of running off the canvas.
        let narrow = draw(&View { width: 370.0, ..v }, &|p| format!("c{p}"));
        assert_eq!(narrow.labels[0].text, "not linearizable");
        let l = &narrow.labels[1].text;
        assert!(l.starts_with(&format!("{} lost: k0=", lost.len())), "{l}");
        assert!(l.ends_with("more") && l.len() <= chars_across(370.0), "{l}");
        let strikes = s.lines.iter().find(|l| l.ink == Ink::Fg).expect("strikes");
        assert_eq!(strikes.segs.len(), lost.len());
        let t = text(&v, &|p| format!("c{p}"));
        // The text lists each client's latest operations: c1's lost writes among them.
        let listed = t.matches("[lost]").count();
        assert!(listed > 20 && listed <= lost.len(), "{listed}");
        assert!(t.contains("earlier not listed"), "{t}");
        // The SVG export writes the same display list: the verdict and the names are in it.
        let svg = crate::view::svg::to_svg(&s, &crate::view::theme::Theme::light());
        assert!(
            svg.contains("acknowledged writes lost: k0="),
            "{}",
            &svg[..200]
        );
        assert!(svg.contains("not linearizable"));
        // A click in the middle of the lanes seeks to the middle of the run.
        assert_eq!(
            time_at(900.0, 0, 10_000, LEFT + (900.0 - LEFT - 8.0) / 2.0),
            Some(5_000)
        );
        assert_eq!(time_at(900.0, 0, 10_000, 10.0), None);
    }

    #[test]
    fn while_checking_the_verdict_says_so() {
        let h = history("ha-fenced-failover.json");
        let v = View {
            events: &h,
            report: None,
            lost: Some(&[]),
            t0: 0,
            t1: 10_000,
            playhead: 4_000,
            width: 600.0,
        };
        let s = draw(&v, &|p| format!("c{p}"));
        assert_eq!(s.labels[0].text, "checking linearizability…");
        assert_eq!(s.labels[1].text, "no acknowledged write lost");
    }

    #[test]
    fn fenced_diagram_is_linearizable_with_one_lane_per_client() {
        let h = history("ha-fenced-failover.json");
        let s = scene(&h, 0, 10_000, 900.0, &|p| format!("p{p}"));
        assert!(s.labels[0].text.starts_with("linearizable"));
        assert!(!s.rects.iter().any(|r| r.ink == Ink::Danger));
        // Three clients, three lanes: four lane lines.
        assert_eq!(s.lines[0].segs.len(), 4);
    }
}
