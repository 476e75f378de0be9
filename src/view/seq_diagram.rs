//! The space-time (sequence) diagram: one lane per node, time running left to right, every
//! message an arrow from its send to its delivery (or loss), events as ticks, faults labelled,
//! and a playhead. Only a window around the playhead is laid out (binary search on the
//! time-ordered trace), so a 100,000-event history costs what the window holds.
//!
//! Layout happens once in [`layout`]; drawing ([`build`]) and hit-testing ([`hit`]) both read
//! it, so a click lands on exactly what was drawn.

use crate::sim::event::{Event, What};
use crate::sim::ids::MsgId;
use crate::sim::time::{fmt_ms, fmt_ms_signed};
use crate::sim::world::{NodeIx, World};
use crate::view::scene::{
    Align, Circle, DotBatch, Ink, Label, LineBatch, RectBatch, Scene, Swatch,
};

/// Width of the left gutter holding lane names (CSS pixels).
pub const GUTTER: f64 = 64.0;
/// Height of the time axis above the lanes.
pub const AXIS: f64 = 22.0;
/// Room under the last lane for a caption.
pub const BOTTOM: f64 = 16.0;
/// Share of the window left of the playhead: most of what is shown is the past.
pub const PAST_SHARE: f64 = 0.7;
/// Arrows whose send is more than this many windows before the window are not laid out.
const LOOKBACK_WINDOWS: f64 = 1.0;
/// Windows denser than this many arrows draw one in k (keeps a frame cheap and the picture
/// readable); the diagram says so.
pub const MAX_ARROWS: usize = 2_000;

/// Everything one diagram frame depends on.
pub struct DiagramFrame<'a> {
    /// The world at the playhead (names and the lanes).
    pub world: &'a World,
    /// The whole recorded trace, including the future beyond the playhead.
    pub trace: &'a [Event],
    /// Trace length at the playhead: events from here on are the recorded future.
    pub position: usize,
    /// The playhead (virtual ms).
    pub now: f64,
    /// Width of the visible window (virtual ms).
    pub span_ms: f64,
    /// Selected message.
    pub selected_msg: Option<MsgId>,
    /// Selected event (trace index).
    pub selected_event: Option<usize>,
    /// Surface width in CSS pixels.
    pub width: f64,
    /// Surface height in CSS pixels.
    pub height: f64,
}

/// Maps time to x and nodes to lanes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DiagramGeometry {
    /// Left edge of the plot (after the gutter).
    pub left: f64,
    /// Right edge of the plot.
    pub right: f64,
    /// Top of the first lane.
    pub top: f64,
    /// Height of one lane.
    pub lane_h: f64,
    /// Number of lanes.
    pub lanes: usize,
    /// Time at `left`.
    pub t0: f64,
    /// Time at `right`.
    pub t1: f64,
}

impl DiagramGeometry {
    /// The window keeps the playhead at [`PAST_SHARE`] of the width, except near the start.
    pub fn new(width: f64, height: f64, lanes: usize, now: f64, span_ms: f64) -> Self {
        let span = span_ms.max(1.0);
        let t0 = (now - span * PAST_SHARE).max(0.0);
        let lanes_n = lanes.max(1);
        let lane_h = ((height - AXIS - BOTTOM) / lanes_n as f64).clamp(10.0, 44.0);
        DiagramGeometry {
            left: GUTTER,
            right: (width - 10.0).max(GUTTER + 1.0),
            top: AXIS,
            lane_h,
            lanes,
            t0,
            t1: t0 + span,
        }
    }

    /// x of a time.
    pub fn x(&self, t: f64) -> f64 {
        self.left + (t - self.t0) / (self.t1 - self.t0) * (self.right - self.left)
    }

    /// Time under an x.
    pub fn t_at(&self, x: f64) -> f64 {
        self.t0 + (x - self.left) / (self.right - self.left) * (self.t1 - self.t0)
    }

    /// Centre y of a lane.
    pub fn lane_y(&self, lane: usize) -> f64 {
        self.top + (lane as f64 + 0.5) * self.lane_h
    }

    /// Bottom of the last lane.
    pub fn bottom(&self) -> f64 {
        self.top + self.lanes as f64 * self.lane_h
    }
}

/// A message as laid out: a segment from send to arrival (or to the playhead if in flight).
#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    /// The message.
    pub msg: MsgId,
    /// Trace index of its send event.
    pub send: usize,
    /// Trace index of its delivery or drop, if recorded.
    pub end: Option<usize>,
    /// Sender (colour).
    pub from: NodeIx,
    /// [x0, y0, x1, y1], clipped to the plot.
    pub seg: [f64; 4],
    /// It was dropped (lost, partitioned, receiver down, by hand).
    pub lost: bool,
    /// Still on the wire at the playhead: drawn to where it is now.
    pub in_flight: bool,
    /// Sent after the playhead: the recorded future, drawn faint.
    pub future: bool,
}

/// How an event tick is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TickKind {
    /// Routine (timer).
    Minor,
    /// A fault or failure-detector change on one lane.
    Fault,
    /// Across every lane (partition, heal, violation, note).
    Global,
}

/// An event as laid out.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    /// Trace index.
    pub index: usize,
    /// x of its time.
    pub x: f64,
    /// Vertical extent.
    pub y0: f64,
    /// Vertical extent.
    pub y1: f64,
    /// Drawing style.
    pub kind: TickKind,
    /// Colour.
    pub ink: Ink,
    /// Short caption for faults ("crash", "pause 1,200 ms"); empty for routine events.
    pub caption: String,
    /// After the playhead.
    pub future: bool,
}

/// A span where a lane is down or frozen.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// Lane.
    pub lane: usize,
    /// x where it starts (clipped).
    pub x0: f64,
    /// x where it ends (clipped).
    pub x1: f64,
    /// Crashed (true) or paused (false).
    pub crashed: bool,
}

/// The laid-out window.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Scales.
    pub g: DiagramGeometry,
    /// Message arrows.
    pub arrows: Vec<Arrow>,
    /// Event ticks (everything but sends and deliveries, which are the arrows).
    pub ticks: Vec<Tick>,
    /// Down and paused spans.
    pub spans: Vec<Span>,
    /// 1 when every message is drawn; k when only one in k is (a dense window).
    pub stride: usize,
}

/// Clips a segment to x in [lo, hi]; None when it lies wholly outside.
fn clip(seg: [f64; 4], lo: f64, hi: f64) -> Option<[f64; 4]> {
    let [mut x0, mut y0, mut x1, mut y1] = seg;
    if x0.max(x1) < lo || x0.min(x1) > hi {
        return None;
    }
    let at = |x: f64, x0: f64, y0: f64, x1: f64, y1: f64| {
        if (x1 - x0).abs() < 1e-12 {
            y0
        } else {
            y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        }
    };
    if x0 < lo {
        y0 = at(lo, x0, y0, x1, y1);
        x0 = lo;
    }
    if x1 > hi {
        y1 = at(hi, x0, y0, x1, y1);
        x1 = hi;
    }
    Some([x0, y0, x1, y1])
}

fn tick_style(e: &Event) -> Option<(TickKind, Ink, String)> {
    use TickKind::*;
    let s = match &e.what {
        What::Send { .. } | What::Deliver { .. } | What::Drop { .. } => return None,
        What::Timer { .. } => (Minor, Ink::Muted, String::new()),
        What::Crash => (Fault, Ink::Danger, "crash".into()),
        What::Recover => (Fault, Ink::Ok, "recover".into()),
        What::Pause { ms, .. } => (Fault, Ink::Warn, format!("pause {}", fmt_ms(*ms))),
        What::Resume { .. } => (Fault, Ink::Warn, "resume".into()),
        What::ClockJump { delta_ms, .. } => (
            Fault,
            Ink::Warn,
            format!("clock {}", fmt_ms_signed(*delta_ms)),
        ),
        What::ClockSkew { .. } => (Fault, Ink::Warn, "skew".into()),
        What::ClockDrift { .. } => (Fault, Ink::Warn, "drift".into()),
        What::Isolate => (Fault, Ink::Danger, "isolated".into()),
        What::Proto(crate::sim::proto::ProtoEv::Heartbeat(
            crate::sim::proto::heartbeat::Ev::Suspect { .. },
        )) => (Fault, Ink::Danger, String::new()),
        What::Proto(crate::sim::proto::ProtoEv::Heartbeat(
            crate::sim::proto::heartbeat::Ev::Trust { .. },
        )) => (Fault, Ink::Ok, String::new()),
        What::RingJoin { .. } => (Fault, Ink::Accent, "joins ring".into()),
        What::RingLeave { .. } => (Fault, Ink::Accent, "leaves ring".into()),
        What::RingFail { .. } => (Fault, Ink::Accent, "ring: failed".into()),
        What::RingRecover { .. } => (Fault, Ink::Accent, "ring: healthy".into()),
        What::ClientJoin => (Fault, Ink::Accent, "joins".into()),
        What::Partition { .. } => (Global, Ink::Danger, "partition".into()),
        What::Heal => (Global, Ink::Ok, "heal".into()),
        What::NetSet { .. } => (Global, Ink::Muted, "network".into()),
        What::LinkSet { .. } => (Global, Ink::Muted, "link".into()),
        What::WipeDisk => (Fault, Ink::Danger, "disk wiped".into()),
        // A build with the heartbeat alone has no other protocol event.
        #[allow(unreachable_patterns)]
        What::Proto(_) => (Minor, Ink::Accent, String::new()),
        What::Note { .. } => (Global, Ink::Accent, String::new()),
        What::Rejected { op, .. } => (Global, Ink::Danger, format!("{op} rejected")),
        What::Violation { invariant, .. } => (Global, Ink::Danger, format!("✗ {invariant}")),
    };
    Some(s)
}

/// Lays out the window around the playhead. Cost: two binary searches plus the events in the
/// window (and one window of look-back for long messages).
pub fn layout(f: &DiagramFrame<'_>) -> Layout {
    let lanes = f.world.nodes().len();
    let g = DiagramGeometry::new(f.width, f.height, lanes, f.now, f.span_ms);
    let span = g.t1 - g.t0;
    let trace = f.trace;
    let from_t = g.t0 - span * LOOKBACK_WINDOWS;
    let lo = trace.partition_point(|e| (e.t as f64) < from_t);
    let lo_win = trace.partition_point(|e| (e.t as f64) < g.t0);
    let hi = trace.partition_point(|e| (e.t as f64) <= g.t1);
    // Ends of messages may lie one window beyond the right edge.
    let hi_end = trace.partition_point(|e| (e.t as f64) <= g.t1 + span);
    let in_lane = |n: NodeIx| (n as usize) < lanes;
    let sends: Vec<usize> = (lo..hi)
        .filter(|&i| match (&trace[i].what, trace[i].node) {
            (What::Send { to, .. }, Some(from)) => in_lane(from) && in_lane(*to),
            _ => false,
        })
        .collect();
    // Message ids grow in send order, so the ends of these sends fit in a dense table.
    let id_of = |i: usize| match trace[i].what {
        What::Send { msg, .. } => msg,
        _ => 0,
    };
    let first_id = sends.first().map_or(0, |&i| id_of(i));
    let last_id = sends.last().map_or(0, |&i| id_of(i));
    let mut ends: Vec<Option<usize>> = vec![None; (last_id - first_id + 1) as usize];
    for (i, e) in trace
        .iter()
        .enumerate()
        .take(hi_end)
        .skip(sends.first().copied().unwrap_or(hi_end))
    {
        if let What::Deliver { msg, .. } | What::Drop { msg, .. } = e.what {
            if (first_id..=last_id).contains(&msg) {
                let slot = &mut ends[(msg - first_id) as usize];
                slot.get_or_insert(i);
            }
        }
    }
    let mut out = Layout {
        g,
        arrows: Vec::new(),
        ticks: Vec::new(),
        spans: Vec::new(),
        stride: 1,
    };
    for &i in &sends {
        let e = &trace[i];
        let What::Send {
            msg,
            to,
            deliver_at,
            ..
        } = e.what
        else {
            continue;
        };
        let Some(from) = e.node else {
            continue;
        };
        let future = i >= f.position;
        let end = ends
            .get(msg.wrapping_sub(first_id) as usize)
            .copied()
            .flatten();
        let (y0, y1) = (g.lane_y(from as usize), g.lane_y(to as usize));
        let x0 = g.x(e.t as f64);
        let (seg, lost, in_flight) = match end.map(|j| (j, &trace[j])) {
            // Finished by the playhead, or in the recorded future.
            Some((j, end_e)) if j < f.position || future => {
                let lost = matches!(end_e.what, What::Drop { .. });
                ([x0, y0, g.x(end_e.t as f64), y1], lost, false)
            }
            // On the wire at the playhead: draw it to where it is now.
            _ => {
                let p = crate::view::cluster_scene::progress(e.t, deliver_at, f.now);
                let x1 = g.x(e.t as f64 + (deliver_at - e.t) as f64 * p);
                ([x0, y0, x1, y0 + (y1 - y0) * p], false, true)
            }
        };
        let Some(seg) = clip(seg, g.left, g.right) else {
            continue;
        };
        out.arrows.push(Arrow {
            msg,
            send: i,
            end,
            from,
            seg,
            lost,
            in_flight,
            future,
        });
    }
    // Too many to draw (or to read): keep one in `stride`, and always the selection.
    if out.arrows.len() > MAX_ARROWS {
        let stride = out.arrows.len().div_ceil(MAX_ARROWS);
        let mut k = 0;
        out.arrows.retain(|a| {
            k += 1;
            (k - 1) % stride == 0 || Some(a.msg) == f.selected_msg
        });
        out.stride = stride;
    }
    let top = g.top;
    let bottom = g.bottom();
    // Where each lane's open crash began (lanes are few: a vector, in lane order).
    let mut open: Vec<Option<f64>> = vec![None; lanes];
    for (i, e) in trace.iter().enumerate().take(hi).skip(lo) {
        let lane = e.node.map(|n| n as usize).filter(|&n| n < lanes);
        // Down and paused spans (starting up to one window back).
        if let Some(l) = lane {
            let tx = g.x(e.t as f64);
            match &e.what {
                What::Crash => {
                    open[l] = Some(tx);
                }
                What::Recover => {
                    let x0 = open[l].take().unwrap_or(g.left);
                    out.spans.push(make_span(l, x0, tx, true, &g));
                }
                What::Pause { until, .. } => {
                    out.spans
                        .push(make_span(l, tx, g.x(*until as f64), false, &g));
                }
                _ => {}
            }
        }
        if i < lo_win {
            continue;
        }
        let Some((kind, ink, caption)) = tick_style(e) else {
            continue;
        };
        let x = g.x(e.t as f64);
        let (y0, y1) = match (kind, lane) {
            (TickKind::Global, _) => (top, bottom),
            (_, Some(l)) => {
                let y = g.lane_y(l);
                let h = if kind == TickKind::Minor { 0.18 } else { 0.4 };
                (y - g.lane_h * h, y + g.lane_h * h)
            }
            (_, None) => continue,
        };
        out.ticks.push(Tick {
            index: i,
            x,
            y0,
            y1,
            kind,
            ink,
            caption,
            future: i >= f.position,
        });
    }
    // Crashes not yet recovered run to the playhead (or the edge, in the recorded future).
    for (l, x0) in open.into_iter().enumerate() {
        if let Some(x0) = x0 {
            let x1 = g.x(f.now).min(g.right);
            out.spans.push(make_span(l, x0, x1, true, &g));
        }
    }
    out.spans.retain(|s| s.x1 > s.x0);
    out
}

fn make_span(lane: usize, x0: f64, x1: f64, crashed: bool, g: &DiagramGeometry) -> Span {
    Span {
        lane,
        x0: x0.clamp(g.left, g.right),
        x1: x1.clamp(g.left, g.right),
        crashed,
    }
}

/// A "nice" tick step (1, 2 or 5 × 10ⁿ ms) giving about `target` ticks over `span`.
pub fn nice_step(span: f64, target: f64) -> f64 {
    let raw = (span / target.max(1.0)).max(1.0);
    // 10^floor(log10(raw)) by multiplying (exact powers of ten): no libm powf/log10.
    let mut mag = 1.0;
    while mag * 10.0 <= raw {
        mag *= 10.0;
    }
    let m = raw / mag;
    let nice = if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Builds the diagram scene.
pub fn build(f: &DiagramFrame<'_>) -> Scene {
    let lay = layout(f);
    let g = lay.g;
    let mut scene = Scene::new(f.width, f.height);
    let bottom = g.bottom();

    // Lane stripes and names.
    let stripes: Vec<[f32; 4]> = (0..g.lanes)
        .filter(|l| l % 2 == 1)
        .map(|l| {
            [
                0.0,
                (g.top + l as f64 * g.lane_h) as f32,
                f.width as f32,
                g.lane_h as f32,
            ]
        })
        .collect();
    scene.rects.push(RectBatch {
        ink: Ink::Track,
        alpha: 0.45,
        rects: stripes,
    });
    // Down (grey) and paused (warn) spans, under everything else.
    for (crashed, ink) in [(true, Ink::Swatch(Swatch::Down)), (false, Ink::Warn)] {
        let rects: Vec<[f32; 4]> = lay
            .spans
            .iter()
            .filter(|s| s.crashed == crashed)
            .map(|s| {
                let y = g.lane_y(s.lane);
                let h = g.lane_h * 0.5;
                [
                    s.x0 as f32,
                    (y - h / 2.0) as f32,
                    (s.x1 - s.x0) as f32,
                    h as f32,
                ]
            })
            .collect();
        if !rects.is_empty() {
            scene.rects.push(RectBatch {
                ink,
                alpha: 0.3,
                rects,
            });
        }
    }
    for (i, n) in f.world.nodes().iter().enumerate() {
        scene.labels.push(Label {
            x: 8.0,
            y: g.lane_y(i),
            text: n.name.clone(),
            ink: Ink::Swatch(Swatch::Node(i as u32)),
            size: if g.lane_h < 16.0 { 10.0 } else { 12.0 },
            bold: true,
            align: Align::Left,
        });
    }
    // Lane axes.
    scene.lines.push(LineBatch {
        ink: Ink::Track,
        width: 1.0,
        alpha: 1.0,
        dash: None,
        segs: (0..g.lanes)
            .map(|l| {
                let y = g.lane_y(l) as f32;
                [g.left as f32, y, g.right as f32, y]
            })
            .collect(),
    });
    // Time axis: grid and labels.
    let step = nice_step(g.t1 - g.t0, ((g.right - g.left) / 110.0).max(2.0));
    let mut t = (g.t0 / step).ceil() * step;
    let mut grid = Vec::new();
    while t <= g.t1 {
        let x = g.x(t);
        grid.push([x as f32, (g.top - 4.0) as f32, x as f32, bottom as f32]);
        scene.labels.push(Label {
            x,
            y: 10.0,
            text: fmt_ms(t as u64),
            ink: Ink::Muted,
            size: 11.0,
            bold: false,
            align: Align::Center,
        });
        t += step;
    }
    scene.lines.push(LineBatch {
        ink: Ink::Track,
        width: 1.0,
        alpha: 0.8,
        dash: Some((2.0, 3.0)),
        segs: grid,
    });

    arrows(f, &lay, &mut scene);
    ticks(f, &lay, &mut scene);
    if lay.stride > 1 {
        scene.labels.push(Label {
            x: g.right,
            y: bottom + BOTTOM / 2.0,
            text: format!(
                "1 in {} messages shown: narrow the window to see all",
                lay.stride
            ),
            ink: Ink::Muted,
            size: 11.0,
            bold: false,
            align: Align::Right,
        });
    }

    // The playhead.
    let px = g.x(f.now);
    if px >= g.left && px <= g.right {
        scene.lines.push(LineBatch {
            ink: Ink::Accent,
            width: 2.0,
            alpha: 1.0,
            dash: None,
            segs: vec![[px as f32, (g.top - 6.0) as f32, px as f32, bottom as f32]],
        });
    }
    scene
}

fn arrows(f: &DiagramFrame<'_>, lay: &Layout, scene: &mut Scene) {
    // [slot][future] → segments (and arrowheads); lost ones and the selection apart.
    let mut groups: [[Vec<[f32; 4]>; 2]; 10] = Default::default();
    let mut heads: [[Vec<(f32, f32)>; 2]; 10] = Default::default();
    let mut lost: [Vec<[f32; 4]>; 2] = [Vec::new(), Vec::new()];
    let mut crosses: [Vec<[f32; 4]>; 2] = [Vec::new(), Vec::new()];
    let mut selected = Vec::new();
    for a in &lay.arrows {
        let s = a.seg.map(|v| v as f32);
        if f.selected_msg == Some(a.msg) {
            selected.push(s);
            continue;
        }
        let fut = a.future as usize;
        if a.lost {
            lost[fut].push(s);
            let (x, y) = (s[2], s[3]);
            crosses[fut].push([x - 3.0, y - 3.0, x + 3.0, y + 3.0]);
            crosses[fut].push([x - 3.0, y + 3.0, x + 3.0, y - 3.0]);
            continue;
        }
        let (slot, fut) = ((a.from % 10) as usize, usize::from(a.future));
        groups[slot][fut].push(s);
        if !a.in_flight {
            heads[slot][fut].push((s[2], s[3]));
        }
    }
    // In (slot, future) order, so the display list is the same on every run.
    for (slot, (segs, xys)) in groups.into_iter().zip(heads).enumerate() {
        for (fut, (segs, xy)) in segs.into_iter().zip(xys).enumerate() {
            if segs.is_empty() {
                continue;
            }
            let future = fut == 1;
            scene.lines.push(LineBatch {
                ink: Ink::Swatch(Swatch::Node(slot as u32)),
                width: 1.3,
                alpha: if future { 0.3 } else { 0.9 },
                dash: None,
                segs,
            });
            if !xy.is_empty() {
                scene.dots.push(DotBatch {
                    ink: Ink::Swatch(Swatch::Node(slot as u32)),
                    radius: if future { 1.0 } else { 1.5 },
                    xy,
                });
            }
        }
    }
    for fut in 0..2 {
        let alpha = if fut == 1 { 0.3 } else { 0.85 };
        let segs = std::mem::take(&mut lost[fut]);
        if !segs.is_empty() {
            scene.lines.push(LineBatch {
                ink: Ink::Danger,
                width: 1.3,
                alpha,
                dash: Some((4.0, 3.0)),
                segs,
            });
            scene.lines.push(LineBatch {
                ink: Ink::Danger,
                width: 1.5,
                alpha,
                dash: None,
                segs: std::mem::take(&mut crosses[fut]),
            });
        }
    }
    if !selected.is_empty() {
        scene.lines.push(LineBatch {
            ink: Ink::Accent,
            width: 3.0,
            alpha: 1.0,
            dash: None,
            segs: selected,
        });
    }
}

type TickGroup = (Ink, f64, bool, bool, Vec<[f32; 4]>);

fn ticks(f: &DiagramFrame<'_>, lay: &Layout, scene: &mut Scene) {
    // (ink, width, future, dashed) → segments.
    let mut groups: Vec<TickGroup> = Vec::new();
    let mut last_caption_x: Vec<f64> = vec![f64::NEG_INFINITY; lay.g.lanes + 1];
    for t in &lay.ticks {
        let width = match t.kind {
            TickKind::Minor => 1.0,
            TickKind::Fault => 2.5,
            TickKind::Global => 1.5,
        };
        let dashed = t.kind == TickKind::Global;
        let seg = [t.x as f32, t.y0 as f32, t.x as f32, t.y1 as f32];
        match groups
            .iter_mut()
            .find(|g| g.0 == t.ink && g.1 == width && g.2 == t.future && g.3 == dashed)
        {
            Some(g) => g.4.push(seg),
            None => groups.push((t.ink, width, t.future, dashed, vec![seg])),
        }
        if f.selected_event == Some(t.index) {
            scene.markers.push(Circle {
                cx: t.x,
                cy: (t.y0 + t.y1) / 2.0,
                r: 7.0,
                stroke: Some((Ink::Accent, 2.5)),
                fill: None,
            });
        }
        // Captions, skipped where they would overlap the previous one on the same row.
        if t.caption.is_empty() {
            continue;
        }
        let row = match t.kind {
            TickKind::Global => lay.g.lanes,
            _ => ((t.y0 + t.y1) / 2.0 - lay.g.top)
                .div_euclid(lay.g.lane_h)
                .clamp(0.0, lay.g.lanes as f64) as usize,
        };
        let row = row.min(lay.g.lanes);
        if t.x - last_caption_x[row] < 70.0 {
            continue;
        }
        last_caption_x[row] = t.x;
        let y = if t.kind == TickKind::Global {
            lay.g.bottom() - 7.0
        } else {
            t.y0 - 1.0
        };
        scene.labels.push(Label {
            x: t.x + 4.0,
            y,
            text: t.caption.clone(),
            ink: t.ink,
            size: 11.0,
            bold: true,
            align: Align::Left,
        });
    }
    for (ink, width, future, dashed, segs) in groups {
        scene.lines.push(LineBatch {
            ink,
            width,
            alpha: if future { 0.35 } else { 1.0 },
            dash: dashed.then_some((4.0, 3.0)),
            segs,
        });
    }
}

/// What a click on the diagram means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagramHit {
    /// An event tick (trace index).
    Event(usize),
    /// A message arrow.
    Message(MsgId),
}

fn seg_distance(px: f64, py: f64, s: [f64; 4]) -> f64 {
    let (dx, dy) = (s[2] - s[0], s[3] - s[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 < 1e-12 {
        0.0
    } else {
        (((px - s[0]) * dx + (py - s[1]) * dy) / len2).clamp(0.0, 1.0)
    };
    (px - (s[0] + t * dx)).hypot(py - (s[1] + t * dy))
}

/// The tick or arrow nearest to (x, y) within a few pixels; ticks win ties.
pub fn hit(f: &DiagramFrame<'_>, x: f64, y: f64) -> Option<DiagramHit> {
    let lay = layout(f);
    let mut best: Option<(f64, DiagramHit)> = None;
    let mut consider = |d: f64, h: DiagramHit| {
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, h));
        }
    };
    for t in &lay.ticks {
        let d = seg_distance(x, y, [t.x, t.y0, t.x, t.y1]);
        if d <= 5.0 {
            // Faults beat the routine timer tick drawn at the same spot.
            let bonus = match t.kind {
                TickKind::Fault => 1.0,
                TickKind::Global => 0.75,
                TickKind::Minor => 0.5,
            };
            consider(d - bonus, DiagramHit::Event(t.index));
        }
    }
    for a in &lay.arrows {
        let d = seg_distance(x, y, a.seg);
        if d <= 5.0 {
            consider(d, DiagramHit::Message(a.msg));
        }
    }
    best.map(|(_, h)| h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cmd::Cmd;

    use crate::sim::timeline::{Target, Timeline};

    fn timeline() -> Timeline {
        let w = crate::sim::testkit::cluster(&["A", "B", "C"])
            .seed(4)
            .heartbeat(100, 300)
            .world();
        let mut tl = Timeline::new(w, 100);
        tl.advance_to(500);
        tl.apply(Cmd::Crash { node: "C".into() }).unwrap();
        tl.advance_to(1500);
        tl
    }

    fn frame(tl: &Timeline, now: f64) -> DiagramFrame<'_> {
        DiagramFrame {
            world: tl.world(),
            trace: tl.recorded(),
            position: tl.position(),
            now,
            span_ms: 1000.0,
            selected_msg: None,
            selected_event: None,
            width: 800.0,
            height: 200.0,
        }
    }

    #[test]
    fn geometry_maps_time_to_x_and_back() {
        let g = DiagramGeometry::new(800.0, 200.0, 3, 1000.0, 1000.0);
        assert_eq!(g.t0, 300.0);
        assert!((g.x(300.0) - GUTTER).abs() < 1e-9);
        assert!((g.x(1300.0) - 790.0).abs() < 1e-9);
        assert!((g.t_at(g.x(777.0)) - 777.0).abs() < 1e-9);
        // Near the start the window does not begin before 0.
        assert_eq!(DiagramGeometry::new(800.0, 200.0, 3, 100.0, 1000.0).t0, 0.0);
        assert!(g.lane_y(1) > g.lane_y(0));
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(1000.0, 8.0), 100.0);
        assert_eq!(nice_step(2000.0, 8.0), 200.0);
        assert_eq!(nice_step(5000.0, 8.0), 500.0);
        assert_eq!(nice_step(3.0, 8.0), 1.0);
    }

    #[test]
    fn arrows_run_from_send_to_delivery_and_only_inside_the_window() {
        let tl = timeline();
        let f = frame(&tl, 1500.0);
        let lay = layout(&f);
        assert!(!lay.arrows.is_empty());
        let g = lay.g;
        for a in &lay.arrows {
            assert!(a.seg[0] >= g.left - 1e-9 && a.seg[2] <= g.right + 1e-9);
            let send = &tl.recorded()[a.send];
            if let Some(j) = a.end {
                let end = &tl.recorded()[j];
                // Unclipped arrows start at the send and end at the delivery.
                if send.t as f64 >= g.t0 {
                    assert!((a.seg[0] - g.x(send.t as f64)).abs() < 1e-6);
                }
                assert!((a.seg[2] - g.x(end.t as f64)).abs() < 1e-6);
            }
        }
        // Nothing from long before the window is laid out.
        assert!(lay
            .arrows
            .iter()
            .all(|a| tl.recorded()[a.send].t as f64 >= g.t0 - (g.t1 - g.t0)));
        // Pings to crashed C are dropped: drawn as lost.
        assert!(lay.arrows.iter().any(|a| a.lost));
        // C's lane is down from the crash to the playhead.
        assert!(lay.spans.iter().any(|s| s.lane == 2 && s.crashed));
    }

    #[test]
    fn clicks_find_the_arrow_or_tick_under_them() {
        let tl = timeline();
        let f = frame(&tl, 1500.0);
        let lay = layout(&f);
        let a = lay
            .arrows
            .iter()
            .find(|a| (a.seg[2] - a.seg[0]).abs() > 2.0 || (a.seg[3] - a.seg[1]).abs() > 10.0)
            .unwrap();
        let (mx, my) = ((a.seg[0] + a.seg[2]) / 2.0, (a.seg[1] + a.seg[3]) / 2.0);
        match hit(&f, mx, my) {
            Some(DiagramHit::Message(_)) => {}
            other => panic!("expected a message at the middle of an arrow, got {other:?}"),
        }
        let fault = lay
            .ticks
            .iter()
            .find(|t| t.kind == TickKind::Fault)
            .unwrap();
        assert_eq!(
            hit(&f, fault.x + 1.0, (fault.y0 + fault.y1) / 2.0),
            Some(DiagramHit::Event(fault.index))
        );
        assert_eq!(hit(&f, 5.0, 5.0), None);
    }

    #[test]
    fn the_past_is_solid_and_the_recorded_future_faint() {
        let mut tl = timeline();
        tl.seek(Target::Time(1000));
        let f = frame(&tl, 1000.0);
        let lay = layout(&f);
        assert!(lay.arrows.iter().any(|a| a.future));
        assert!(lay.arrows.iter().any(|a| !a.future));
        for a in &lay.arrows {
            assert_eq!(a.future, a.send >= tl.position());
        }
        let scene = build(&f);
        assert!(scene.lines.iter().any(|l| l.alpha < 0.5));
        // The playhead is drawn at 70% of the plot.
        let g = lay.g;
        let px = g.x(1000.0) as f32;
        assert!(scene
            .lines
            .iter()
            .any(|l| l.ink == Ink::Accent && l.segs.iter().any(|s| s[0] == px && s[2] == px)));
    }

    #[test]
    fn dense_windows_draw_one_message_in_k_but_keep_the_selection() {
        let w = {
            let names: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            crate::sim::testkit::cluster(&names)
                .seed(4)
                .heartbeat(10, 50)
                .world()
        };
        let mut tl = Timeline::new(w, 1000);
        tl.advance_to(2000);
        let mut f = frame(&tl, 2000.0);
        f.span_ms = 2000.0;
        let all = layout(&f);
        assert!(all.stride > 1, "{} arrows", all.arrows.len());
        assert!(all.arrows.len() <= MAX_ARROWS);
        // A message that the sampling skipped is still drawn once selected.
        let skipped = tl
            .recorded()
            .iter()
            .filter(|e| e.t as f64 > all.g.t0 + 10.0 && (e.t as f64) < 1900.0)
            .filter_map(|e| match e.what {
                What::Send { msg, .. } => Some(msg),
                _ => None,
            })
            .find(|m| !all.arrows.iter().any(|a| a.msg == *m))
            .unwrap();
        f.selected_msg = Some(skipped);
        assert!(layout(&f).arrows.iter().any(|a| a.msg == skipped));
        let scene = build(&f);
        assert!(scene.labels.iter().any(|l| l.text.starts_with("1 in ")));
    }

    #[test]
    fn messages_in_flight_end_at_the_playhead() {
        let tl = timeline();
        // Find a moment with a message in flight at the head.
        let w = tl.world();
        let m = w.net().in_flight().next().cloned();
        if let Some(m) = m {
            let f = frame(&tl, w.now() as f64);
            let lay = layout(&f);
            let a = lay.arrows.iter().find(|a| a.msg == m.id).unwrap();
            assert!(a.in_flight);
            assert!(a.seg[2] <= lay.g.x(w.now() as f64) + 1e-6);
        }
    }
}
