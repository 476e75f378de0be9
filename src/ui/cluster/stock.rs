//! The flash-sale panel: the run's counters (sold, oversold, refused, calls, retries, p99…),
//! the live charts beside them (throughput, p99, retries/s, stock remaining) drawn from the
//! same display list as PNG/SVG exports with a table for screen readers, a strategy switch
//! (reloads the scenario as a variant), a side-by-side comparison of every strategy on the
//! same seed, and the contention experiment.

use std::rc::Rc;

use web_sys::{HtmlCanvasElement, HtmlSelectElement};
use yew::prelude::*;

use super::panel_ctx::PanelCtx;
use crate::paint::canvas::CanvasPainter;
use crate::paint::css_theme;
use crate::sim::proto::stock::{experiment, Policy, Stock, StockCfg, Strategy};
use crate::sim::runner;
use crate::sim::scenario::Scenario;
use crate::sim::time::Time;
use crate::ui::export;
use crate::view::scene::Scene;
use crate::view::stock_chart::{self, Chart};

/// The strategy switch: (label, strategy, policy).
pub const VARIANTS: &[(&str, Strategy, Policy)] = &[
    ("No control", Strategy::None, Policy::None),
    (
        "Row lock (SELECT … FOR UPDATE)",
        Strategy::RowLock,
        Policy::None,
    ),
    ("Lock manager", Strategy::LockManager, Policy::None),
    ("Optimistic, no backoff", Strategy::Optimistic, Policy::None),
    (
        "Optimistic, exponential",
        Strategy::Optimistic,
        Policy::Expo,
    ),
    (
        "Optimistic, full jitter",
        Strategy::Optimistic,
        Policy::FullJitter,
    ),
    (
        "Optimistic, decorrelated jitter",
        Strategy::Optimistic,
        Policy::Decorrelated,
    ),
    ("Atomic decrement", Strategy::Atomic, Policy::None),
];

/// Runs averaged per point of the in-browser contention experiment (the CLI uses 100).
pub const UI_RUNS: u32 = 10;

/// Scenario `s` with strategy variant `i`, or why it cannot be.
pub fn variant(s: &Scenario, i: usize) -> Result<Scenario, String> {
    let &(label, strategy, policy) = VARIANTS.get(i).ok_or("no such variant")?;
    let mut v = s.clone();
    let Some(c) = v.protocols.stock.as_mut() else {
        return Err("this scenario has no flash sale".into());
    };
    if strategy == Strategy::LockManager && v.protocols.locks.is_none() {
        return Err(format!(
            "{label} needs protocols.locks (see inventory-lock-gc-pause)"
        ));
    }
    c.strategy = strategy;
    c.policy = policy;
    if strategy == Strategy::LockManager {
        c.buyers = c.buyers.min(v.cluster.clients.len() as u32);
    }
    v.expect = None;
    Ok(v)
}

/// The counters shown (label, value), formatted directly (no JSON in the bundle).
fn counters(cfg: &StockCfg, w: &crate::sim::world::World) -> Vec<(&'static str, String)> {
    let s = &w.shared::<Stock>().stats;
    if cfg.strategy == Strategy::LockManager {
        let l = w.shared::<crate::sim::proto::locks::Locks>();
        return vec![
            ("Writes", l.writes.to_string()),
            ("Unsafe writes", l.unsafe_writes.to_string()),
            ("Lock wait (ms)", l.wait_ms.to_string()),
        ];
    }
    vec![
        ("Sold", s.sold.to_string()),
        ("Oversold", (s.sold - cfg.stock).max(0).to_string()),
        ("Left", s.stock_left().to_string()),
        ("Refused", s.refused.to_string()),
        ("Gave up", s.gave_up.to_string()),
        ("Requests", s.requests.to_string()),
        ("Calls", s.calls.to_string()),
        ("Retries", s.retries.to_string()),
        ("Conflicts", s.conflicts.to_string()),
        ("Lock wait (ms)", s.lock_wait_ms.to_string()),
        ("p50 (ms)", s.quantile(0.5).to_string()),
        ("p99 (ms)", s.quantile(0.99).to_string()),
    ]
}

/// The panel (nothing when the scenario has no sale).
pub fn view(cx: &PanelCtx<'_>) -> Html {
    let s = cx.session;
    let w = s.world();
    let Some(cfg) = w.cfg::<Stock>() else {
        return Html::default();
    };
    let upto = cx.vt.max(0.0) as Time;
    let charts = stock_chart::live(s.timeline().trace(), cfg, upto);
    let current = VARIANTS
        .iter()
        .position(|(_, st, p)| {
            *st == cfg.strategy && (*st != Strategy::Optimistic || *p == cfg.policy)
        })
        .unwrap_or(0);
    html! {
        <StockPanel
            scenario={Rc::new(s.scenario().clone())}
            current={current}
            counters={counters(cfg, w)}
            charts={Rc::new(charts)}
            on_load={cx.on_load.clone()}
        />
    }
}

/// Properties of [`StockPanel`] (compared by pointer for the scenario and the charts: a
/// derived comparison of a whole scenario costs kilobytes of wasm).
#[derive(Properties)]
pub struct Props {
    /// The scenario loaded (variants and comparisons start from it).
    pub scenario: Rc<Scenario>,
    /// Index in [`VARIANTS`] of its strategy.
    pub current: usize,
    /// The counters at the playhead.
    pub counters: Vec<(&'static str, String)>,
    /// The live charts at the playhead.
    pub charts: Rc<Vec<Chart>>,
    /// Loads a variant.
    pub on_load: Callback<(String, Result<Scenario, String>)>,
}

impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.scenario, &o.scenario)
            && Rc::ptr_eq(&self.charts, &o.charts)
            && self.current == o.current
            && self.counters == o.counters
    }
}

type Rows = Result<(Vec<&'static str>, Vec<Vec<String>>), String>;

/// Every strategy on the same scenario and seed: one row of counters each.
fn compare(s: &Scenario) -> Rows {
    let mut rows = Vec::new();
    let mut head = vec!["Strategy"];
    for (i, (label, st, _)) in VARIANTS.iter().enumerate() {
        // The lock manager's buyers are lock jobs with their own counters: not comparable.
        if *st == Strategy::LockManager {
            continue;
        }
        let Ok(v) = variant(s, i) else { continue };
        let tl = runner::play(&v, None, v.until_ms)?;
        let w = tl.world();
        let Some(cfg) = w.cfg::<Stock>() else {
            continue;
        };
        let broken = tl
            .checker()
            .results()
            .filter(|(inv, at)| at.is_some() && inv.name != "lock_liveness")
            .map(|(inv, _)| inv.name)
            .collect::<Vec<_>>();
        let mut r = vec![label.to_string()];
        let c = counters(cfg, w);
        if head.len() == 1 {
            head.extend(c.iter().map(|x| x.0));
            head.push("Broken");
        }
        r.extend(c.into_iter().map(|(_, v)| v));
        r.push(if broken.is_empty() {
            "none".into()
        } else {
            broken.join(", ")
        });
        rows.push(r);
    }
    Ok((head, rows))
}

/// The panel's body: it keeps the comparison and the experiment's results.
#[function_component(StockPanel)]
pub fn stock_panel(p: &Props) -> Html {
    let compared = use_state(|| None::<Rows>);
    let contention = use_state(|| None::<Result<Rc<Vec<Chart>>, String>>);
    let on_variant = {
        let (s, on_load) = (p.scenario.clone(), p.on_load.clone());
        Callback::from(move |e: Event| {
            let i: usize = e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .parse()
                .unwrap_or(0);
            let label = VARIANTS.get(i).map_or("variant", |v| v.0);
            on_load.emit((format!("{} ({label})", s.id), variant(&s, i)));
        })
    };
    let on_compare = {
        let (s, compared) = (p.scenario.clone(), compared.clone());
        Callback::from(move |_: MouseEvent| compared.set(Some(compare(&s))))
    };
    let on_contention = {
        let contention = contention.clone();
        Callback::from(move |_: MouseEvent| {
            let pts = experiment::run(
                &[10, 20, 30, 40, 50],
                &[
                    Policy::None,
                    Policy::Expo,
                    Policy::FullJitter,
                    Policy::Decorrelated,
                ],
                UI_RUNS,
                1,
            );
            contention.set(Some(pts.map(|p| Rc::new(stock_chart::contention(&p)))));
        })
    };
    let has_locks = p.scenario.protocols.locks.is_some();
    let id = p.scenario.id.clone();
    html! {
        <section class="panel stock" aria-labelledby="stock-h">
            <h2 id="stock-h">{"Flash sale"}</h2>
            <label>{"Strategy "}
                <select aria-label="Strategy" onchange={on_variant}>
                    { for VARIANTS.iter().enumerate().filter(|(_, v)| has_locks || v.1 != Strategy::LockManager).map(|(i, (label, ..))| html! {
                        <option value={i.to_string()} selected={i == p.current}>{ *label }</option>
                    }) }
                </select>
            </label>
            { table("Sale counters", &p.counters.iter().map(|c| c.0).collect::<Vec<_>>(), vec![p.counters.iter().map(|c| c.1.clone()).collect()], "stock-counters") }
            <ChartFigure name={format!("{id}-live")} charts={p.charts.clone()} cols={2} width={640.0} height={360.0} />
            <button onclick={on_compare}>{"Compare strategies (same seed)"}</button>
            { match &*compared {
                None => Html::default(),
                Some(Err(e)) => html! { <p class="error" role="status">{ e.clone() }</p> },
                Some(Ok((head, rows))) => table("Strategies compared", head, rows.clone(), "stock-compare"),
            } }
            <button onclick={on_contention}>{ format!("Run the contention experiment ({UI_RUNS} seeds per point)") }</button>
            { match &*contention {
                None => Html::default(),
                Some(Err(e)) => html! { <p class="error" role="status">{ e.clone() }</p> },
                Some(Ok(c)) => html! {
                    <ChartFigure name={"contention".to_string()} charts={c.clone()} cols={2} width={640.0} height={260.0} />
                },
            } }
        </section>
    }
}

/// A panel table with the sale's own class on it.
fn table(label: &'static str, head: &[&str], rows: Vec<Vec<String>>, class: &'static str) -> Html {
    let rows = rows.into_iter().map(|r| (r, None)).collect();
    super::panel_table::table(label, Some(class), head, rows)
}

/// Properties of [`ChartFigure`].
#[derive(Properties, PartialEq)]
pub struct FigureProps {
    /// File name stem of its exports.
    pub name: String,
    /// The charts, laid out in a grid.
    pub charts: Rc<Vec<Chart>>,
    /// Grid columns.
    pub cols: usize,
    /// Width (CSS px).
    pub width: f64,
    /// Height (CSS px).
    pub height: f64,
}

/// Charts painted on a canvas from their scene, PNG and SVG exports of the same scene, and
/// every figure as a table (the canvas's text alternative).
#[function_component(ChartFigure)]
pub fn chart_figure(p: &FigureProps) -> Html {
    let canvas = use_node_ref();
    let scene = Rc::new(stock_chart::scene(&p.charts, p.cols, p.width, p.height));
    {
        let (canvas, scene) = (canvas.clone(), scene.clone());
        use_effect_with(scene, move |scene: &Rc<Scene>| {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                if let Ok(mut painter) = CanvasPainter::new(c.clone()) {
                    let dpr = web_sys::window()
                        .map_or(1.0, |w| w.device_pixel_ratio())
                        .max(1.0);
                    painter.resize(scene.width, scene.height, dpr);
                    let _ = painter.paint(scene, &css_theme::read(&c), dpr);
                }
            }
        });
    }
    let on_png = {
        let (canvas, name) = (canvas.clone(), p.name.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                export::png(&format!("{name}.png"), &c);
            }
        })
    };
    let on_svg = {
        let (canvas, name, scene) = (canvas.clone(), p.name.clone(), scene.clone());
        Callback::from(move |_: MouseEvent| {
            let theme = canvas
                .cast::<HtmlCanvasElement>()
                .map_or_else(crate::view::theme::Theme::light, |c| css_theme::read(&c));
            let svg = crate::view::svg::to_svg(&scene, &theme);
            export::text(&format!("{name}.svg"), "image/svg+xml", &svg);
        })
    };
    let label: Vec<String> = p.charts.iter().map(Chart::summary).collect();
    let style = format!("width:{}px;height:{}px;max-width:100%", p.width, p.height);
    html! {
        <figure class="stock-chart" data-chart={p.name.clone()}>
            <canvas ref={canvas} role="img" aria-label={label.join(". ")} {style}></canvas>
            <figcaption>
                <button onclick={on_png}>{"PNG"}</button>
                <button onclick={on_svg}>{"SVG"}</button>
                <details class="chart-data">
                    <summary>{"Chart data (table)"}</summary>
                    { for p.charts.iter().map(|c| {
                        let (head, rows) = c.table();
                        html! {
                            <table class="lock-table chart-table" aria-label={c.title.clone()}>
                                <caption>{ c.title.clone() }</caption>
                                <thead><tr>{ for head.into_iter().map(|h| html! { <th>{ h }</th> }) }</tr></thead>
                                <tbody>{ for rows.into_iter().map(|r| html! {
                                    <tr>{ for r.into_iter().map(|c| html! { <td>{ c }</td> }) }</tr>
                                }) }</tbody>
                            </table>
                        }
                    }) }
                </details>
            </figcaption>
        </figure>
    }
}
