//! The store's history diagram under the space-time diagram: one lane per client, bars from
//! invoke to completion, the lost acknowledged writes struck through and named, and the
//! linearizability verdict above, computed in slices of a few milliseconds between frames
//! (a progress bar and Cancel; the page never freezes on a long history). Painted from the
//! same display list as PNG/SVG exports (`view::history_scene`); a click seeks the scrubber.

use std::cell::Cell;
use std::rc::Rc;

use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::panel_ctx::PanelCtx;
use crate::paint::canvas::CanvasPainter;
use crate::paint::css_theme;
use crate::sim::history::linearizable::{Model, Report, Search, DEFAULT_BUDGET};
use crate::sim::history::Event;
use crate::sim::ids::Time;
use crate::sim::proto::kv::{Kv, Mode};
use crate::sim::sort::sort_dedup_by_u64;
use crate::ui::export;
use crate::view::history_scene::{self, View};
use crate::view::scene::Scene;

/// Wall time one slice of the check may take before yielding to the page.
const SLICE_MS: f64 = 8.0;
/// Search steps between two looks at the clock.
const STEPS_PER_LOOK: u64 = 2_000;

/// The diagram (nothing when the scenario has no replicated store).
pub fn view(cx: &PanelCtx<'_>) -> Html {
    let w = cx.session.world();
    let Some(cfg) = w.cfg::<Kv>() else {
        return Html::default();
    };
    let k = w.shared::<Kv>();
    let lost = (!k.cart).then(|| k.lost(cfg.mode == Mode::Dynamo));
    let mut processes: Vec<u64> = k.history.iter().map(|e| e.process).collect();
    sort_dedup_by_u64(&mut processes, |&p| p);
    let names: Vec<(u64, String)> = processes
        .into_iter()
        .map(|p| (p, w.name(p as u32)))
        .collect();
    html! {
        <HistoryDiagram
            events={Rc::new(k.history.clone())}
            lost={Rc::new(lost)}
            names={Rc::new(names)}
            playhead={cx.vt.max(0.0) as Time}
            until={cx.session.until()}
            id={cx.session.scenario().id.clone()}
            on_seek={cx.on_seek.clone()}
        />
    }
}

/// Properties of [`HistoryDiagram`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The history at the playhead.
    pub events: Rc<Vec<Event>>,
    /// Acknowledged writes lost at the playhead; `None` when not judged (carts).
    pub lost: Rc<Option<Vec<(u8, i64)>>>,
    /// Client process → node name.
    pub names: Rc<Vec<(u64, String)>>,
    /// The playhead (ms).
    pub playhead: Time,
    /// End of the time axis: the scenario's end.
    pub until: Time,
    /// Scenario id (export file names).
    pub id: String,
    /// Seeks the scrubber.
    pub on_seek: Callback<Time>,
}

/// Where the check of the current history stands.
#[derive(Clone, Debug, PartialEq)]
enum Check {
    /// Running: progress 0..1 and steps so far.
    Running(f64, u64),
    /// Done.
    Done(Rc<Report>),
    /// Cancelled by the user.
    Cancelled,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Checks `events` in slices of [`SLICE_MS`], yielding to the page on a zero timeout between
/// them, publishing progress and then the report, unless `generation` moved on (a newer
/// history, Cancel).
async fn run_check(
    events: Rc<Vec<Event>>,
    generation: Rc<Cell<u64>>,
    state: UseStateSetter<Check>,
) {
    let me = generation.get();
    let ops = history_scene::ops(&events);
    let mut search = Search::new(Model::CasRegister, &ops, DEFAULT_BUDGET);
    loop {
        let start = now_ms();
        let done = loop {
            if let Some(r) = search.run(STEPS_PER_LOOK) {
                break Some(r);
            }
            if now_ms() - start >= SLICE_MS {
                break None;
            }
        };
        if generation.get() != me {
            return;
        }
        match done {
            Some(r) => {
                state.set(Check::Done(Rc::new(r)));
                return;
            }
            None => state.set(Check::Running(search.progress(), search.steps())),
        }
        gloo_timers::future::TimeoutFuture::new(0).await;
        if generation.get() != me {
            return;
        }
    }
}

fn name_of(names: &[(u64, String)], p: u64) -> String {
    names
        .iter()
        .find(|(q, _)| *q == p)
        .map_or_else(|| format!("process {p}"), |(_, n)| n.clone())
}

/// The diagram with its check. See the module docs.
#[function_component(HistoryDiagram)]
pub fn history_diagram(p: &Props) -> Html {
    let canvas = use_node_ref();
    let check = use_state(|| Check::Running(0.0, 0));
    let gen = use_memo((), |_| Rc::new(Cell::new(0u64)));
    let last = use_mut_ref(|| (640.0_f64, Rc::new(Scene::default())));
    let again = use_state(|| 0u32);
    // A new history (the playhead moved, a fork) restarts the check.
    {
        let (gen, setter) = ((*gen).clone(), check.setter());
        use_effect_with((p.events.clone(), *again), move |(events, _)| {
            gen.set(gen.get() + 1);
            yew::platform::spawn_local(run_check(events.clone(), gen.clone(), setter));
            move || gen.set(gen.get() + 1)
        });
    }
    let report = match &*check {
        Check::Done(r) => Some(r.clone()),
        _ => None,
    };
    let t1 = p.until.max(p.playhead).max(1);
    // Paint after every render, at the box's width; keep the scene for the SVG export.
    {
        let (canvas, last) = (canvas.clone(), last.clone());
        let (events, lost, names) = (p.events.clone(), p.lost.clone(), p.names.clone());
        let (report, playhead) = (report.clone(), p.playhead);
        use_effect(move || {
            let Some(c) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            let width = c
                .parent_element()
                .map_or(640.0, |e| (e.client_width() as f64).max(320.0));
            let view = View {
                events: &events,
                report: report.as_deref(),
                lost: lost.as_ref().as_deref(),
                t0: 0,
                t1,
                playhead,
                width,
            };
            let scene = Rc::new(history_scene::draw(&view, &|q| name_of(&names, q)));
            if let Ok(mut painter) = CanvasPainter::new(c.clone()) {
                let dpr = web_sys::window()
                    .map_or(1.0, |w| w.device_pixel_ratio())
                    .max(1.0);
                painter.resize(scene.width, scene.height, dpr);
                let _ = painter.paint(&scene, &css_theme::read(&c), dpr);
            }
            *last.borrow_mut() = (width, scene);
        });
    }
    let names = p.names.clone();
    let name = move |q: u64| name_of(&names, q);
    let alt = history_scene::text(
        &View {
            events: &p.events,
            report: report.as_deref(),
            lost: p.lost.as_ref().as_deref(),
            t0: 0,
            t1,
            playhead: p.playhead,
            width: last.borrow().0,
        },
        &name,
    );
    let onclick = {
        let (on_seek, last) = (p.on_seek.clone(), last.clone());
        Callback::from(move |e: MouseEvent| {
            let w = last.borrow().0;
            if let Some(t) = history_scene::time_at(w, 0, t1, e.offset_x() as f64) {
                on_seek.emit(t);
            }
        })
    };
    let on_cancel = {
        let (gen, setter) = ((*gen).clone(), check.setter());
        Callback::from(move |_: MouseEvent| {
            gen.set(gen.get() + 1);
            setter.set(Check::Cancelled);
        })
    };
    let on_again = {
        let again = again.clone();
        Callback::from(move |_: MouseEvent| again.set(*again + 1))
    };
    let on_png = {
        let (canvas, id) = (canvas.clone(), p.id.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                export::png(&format!("{id}-history.png"), &c);
            }
        })
    };
    let on_svg = {
        let (canvas, id, last) = (canvas.clone(), p.id.clone(), last.clone());
        Callback::from(move |_: MouseEvent| {
            let theme = canvas
                .cast::<HtmlCanvasElement>()
                .map_or_else(crate::view::theme::Theme::light, |c| css_theme::read(&c));
            let svg = crate::view::svg::to_svg(&last.borrow().1, &theme);
            export::text(&format!("{id}-history.svg"), "image/svg+xml", &svg);
        })
    };
    let style = format!("height: {}px", history_scene::height(p.names.len()));
    let verdict = history_scene::verdict_text(report.as_deref(), &name);
    let verdict_attr = report.as_ref().map_or("checking", |r| r.verdict());
    html! {
        <section class="panel kv-history" aria-labelledby="kv-history-h">
            <div class="diagram-head">
                <h2 id="kv-history-h">{"Client history"}</h2>
                <span class="muted">{"one lane per client · click to seek"}</span>
                <span class="row">
                    <button onclick={on_png}>{"PNG"}</button>
                    <button onclick={on_svg}>{"SVG"}</button>
                </span>
            </div>
            <p class="kv-verdict" role="status" data-verdict={verdict_attr}>{ verdict }</p>
            { match &*check {
                Check::Running(f, steps) => html! {
                    <div class="row kv-checking">
                        <progress max="1" value={format!("{f:.3}")} aria-label="Linearizability check"></progress>
                        <span class="muted">{ format!("{} % · {} steps", (f * 100.0).round(), crate::sim::text::group_digits(*steps)) }</span>
                        <button onclick={on_cancel}>{"Cancel"}</button>
                    </div>
                },
                Check::Cancelled => html! {
                    <div class="row kv-checking">
                        <span class="muted">{"Check cancelled."}</span>
                        <button onclick={on_again}>{"Check again"}</button>
                    </div>
                },
                Check::Done(_) => Html::default(),
            } }
            <div class="history-box" {style}>
                <canvas ref={canvas} role="img" aria-label={alt} {onclick}></canvas>
            </div>
        </section>
    }
}
