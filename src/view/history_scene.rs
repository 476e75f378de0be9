//! The history diagram of the replicated store: one lane per client, each operation a bar
//! from invoke to completion (ok, failed, or open-ended when its outcome is unknown), the
//! checker's verdict above the lanes and the failing window highlighted, with a text
//! alternative. A [`Scene`] like every canvas, so PNG/SVG export works the same way. Pure.

use super::scene::{Align, Ink, Label, LineBatch, RectBatch, Scene};
use crate::sim::history::linearizable::{self, Outcome};
use crate::sim::history::{self, Kind};
use crate::sim::ids::Time;

/// Height of one client's lane.
const LANE: f64 = 22.0;
/// Room for the verdict line and the client names.
const TOP: f64 = 24.0;
const LEFT: f64 = 56.0;

/// One operation as drawn: lane, span, outcome, text.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// The client process.
    pub process: u64,
    /// Invoke time.
    pub from: Time,
    /// Completion time (`None`: unknown outcome, drawn to the end).
    pub to: Option<Time>,
    /// ok, fail or info.
    pub kind: Kind,
    /// "w 42", "r 40", "cas 3→7".
    pub text: String,
    /// In the checker's failing window.
    pub failing: bool,
}

/// The bars of a history, with the checker's report.
pub fn bars(events: &[history::Event]) -> (Vec<Bar>, linearizable::Report) {
    let numbered: Vec<(usize, history::Event)> = events
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| (i + 1, e))
        .collect();
    let ops = history::pair(&numbered).unwrap_or_default();
    let report = linearizable::check(
        linearizable::Model::CasRegister,
        &ops,
        crate::sim::proto::kv::RUN_BUDGET,
    );
    let failing: Vec<usize> = match &report.outcome {
        Outcome::NotLinearizable(f) => f.window.iter().map(|o| o.line).collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    let mut open: std::collections::BTreeMap<u64, (usize, &history::Event)> =
        std::collections::BTreeMap::new();
    for (line, e) in &numbered {
        if e.kind == Kind::Invoke {
            open.insert(e.process, (*line, e));
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
        out.push(Bar {
            process: e.process,
            from: inv.time.unwrap_or(l as u64),
            to: (e.kind != Kind::Info).then(|| e.time.unwrap_or(*line as u64)),
            kind: e.kind,
            text,
            failing: failing.contains(&l),
        });
    }
    for (_, (l, inv)) in open {
        out.push(Bar {
            process: inv.process,
            from: inv.time.unwrap_or(l as u64),
            to: None,
            kind: Kind::Info,
            text: format!("{} {}", inv.f.name(), inv.value),
            failing: failing.contains(&l),
        });
    }
    (out, report)
}

/// Draws the diagram for `[t0, t1]` of virtual time into a `width`-wide scene; `name`
/// names a client process.
pub fn scene(
    events: &[history::Event],
    t0: Time,
    t1: Time,
    width: f64,
    name: &dyn Fn(u64) -> String,
) -> Scene {
    let (bars, report) = bars(events);
    let mut lanes: Vec<u64> = bars.iter().map(|b| b.process).collect();
    lanes.sort_unstable();
    lanes.dedup();
    let height = TOP + LANE * lanes.len().max(1) as f64 + 8.0;
    let mut s = Scene::new(width, height);
    let span = (t1.saturating_sub(t0)).max(1) as f64;
    let x = |t: Time| LEFT + (t.saturating_sub(t0) as f64 / span).min(1.0) * (width - LEFT - 8.0);
    s.labels.push(Label {
        x: LEFT,
        y: 10.0,
        text: verdict_text(&report),
        ink: match report.outcome {
            Outcome::Linearizable => Ink::Ok,
            Outcome::NotLinearizable(_) => Ink::Danger,
            Outcome::Unknown { .. } => Ink::Warn,
        },
        size: 12.0,
        bold: true,
        align: Align::Left,
    });
    let mut batches: Vec<(Ink, Vec<[f32; 4]>)> = vec![
        (Ink::Ok, vec![]),
        (Ink::Muted, vec![]),
        (Ink::Warn, vec![]),
        (Ink::Danger, vec![]),
    ];
    for (k, p) in lanes.iter().enumerate() {
        s.labels.push(Label {
            x: 4.0,
            y: TOP + LANE * k as f64 + LANE / 2.0,
            text: name(*p),
            ink: Ink::Fg,
            size: 11.0,
            bold: false,
            align: Align::Left,
        });
    }
    for b in bars
        .iter()
        .filter(|b| b.to.is_none_or(|t| t >= t0) && b.from <= t1)
    {
        let Some(k) = lanes.iter().position(|p| *p == b.process) else {
            continue;
        };
        let (x0, x1) = (x(b.from), x(b.to.unwrap_or(t1)));
        let y = TOP + LANE * k as f64 + 4.0;
        let slot = if b.failing {
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
        if x1 - x0 > 30.0 {
            s.labels.push(Label {
                x: x0 + 2.0,
                y: y + (LANE - 8.0) / 2.0,
                text: b.text.clone(),
                ink: Ink::Bg,
                size: 9.0,
                bold: b.failing,
                align: Align::Left,
            });
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
    s.lines.push(LineBatch {
        ink: Ink::Track,
        width: 1.0,
        alpha: 1.0,
        dash: None,
        segs: (0..=lanes.len())
            .map(|k| {
                let y = (TOP + LANE * k as f64) as f32;
                [LEFT as f32, y, (width - 8.0) as f32, y]
            })
            .collect(),
    });
    s
}

fn verdict_text(r: &linearizable::Report) -> String {
    match &r.outcome {
        Outcome::Linearizable => format!("linearizable ({} operations)", r.ops),
        Outcome::NotLinearizable(f) => format!(
            "not linearizable: {} cannot follow the value {} (failing window: {} operations)",
            f.op,
            f.state,
            f.window.len()
        ),
        Outcome::Unknown { key } => format!("unknown: the search budget ran out on {key}"),
    }
}

/// The diagram's text alternative: the verdict, then each client's operations in order.
pub fn describe(events: &[history::Event], name: &dyn Fn(u64) -> String) -> String {
    let (bars, report) = bars(events);
    let mut lanes: Vec<u64> = bars.iter().map(|b| b.process).collect();
    lanes.sort_unstable();
    lanes.dedup();
    let mut out = verdict_text(&report);
    for p in lanes {
        let ops: Vec<String> = bars
            .iter()
            .filter(|b| b.process == p)
            .map(|b| {
                let end = match (b.kind, b.to) {
                    (Kind::Ok, Some(t)) => format!("ok at {t}"),
                    (Kind::Fail, Some(t)) => format!("failed at {t}"),
                    _ => "unknown".to_string(),
                };
                let mark = if b.failing { " [failing window]" } else { "" };
                format!("{} from {} {end}{mark}", b.text, b.from)
            })
            .collect();
        out.push_str(&format!(". {}: {}", name(p), ops.join("; ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::proto::kv::Kv;
    use crate::sim::runner;
    use crate::sim::scenario::Scenario;

    fn history(file: &str) -> Vec<history::Event> {
        let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
        let s = Scenario::decode(&std::fs::read(path).expect("file")).expect("decodes");
        let tl = runner::play_with(&s, None, s.until_ms, |_| {}).expect("runs");
        tl.world().shared::<Kv>().history.clone()
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
    fn fenced_diagram_is_linearizable_with_one_lane_per_client() {
        let h = history("ha-fenced-failover.json");
        let s = scene(&h, 0, 10_000, 900.0, &|p| format!("p{p}"));
        assert!(s.labels[0].text.starts_with("linearizable"));
        assert!(!s.rects.iter().any(|r| r.ink == Ink::Danger));
        // Three clients, three lanes: four lane lines.
        assert_eq!(s.lines[0].segs.len(), 4);
    }
}
