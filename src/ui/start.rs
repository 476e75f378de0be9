//! The start page: what ringlab is in one line, then one card per mechanism with its sentence,
//! a small picture drawn by the same scene code as the labs (`view::ring_scene`,
//! `view::cluster_scene`), "Take the tour" and "Open the lab". First-time visitors land here;
//! the header's "Start" shows it again.

use yew::prelude::*;

use crate::paint::canvas::CanvasPainter;
use crate::paint::css_theme;
use crate::sim::ring_lab::RingLab;
use crate::sim::scenario::Scenario;
use crate::ui::cluster::gallery::fetch_scenario;
use crate::view::catalog::MECHANISMS;
use crate::view::cluster_scene::{self, ClusterFrame, Layout};
use crate::view::ring_scene::{self, RingFrame};
use crate::view::scene::Scene;
use crate::view::session::Session;

/// The gallery file each cluster card pictures, at its n-th narration step (fetched, not
/// bundled: the wasm is near its size ceiling). The ring card draws the default ring.
const PREVIEWS: [Option<(&str, usize)>; 4] = [
    None,
    Some(("partition-false-suspicion.json", 2)),
    Some(("lock-gc-unfenced.json", 2)),
    Some(("tpc-coordinator-crash.json", 2)),
];

/// Properties: what the two buttons of card `i` (an index into `MECHANISMS`) ask for.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// "Take the tour" on card i.
    pub on_tour: Callback<usize>,
    /// "Open the lab" on card i.
    pub on_lab: Callback<usize>,
}

/// The start page component: it only owns the preview canvases.
pub struct StartPage {
    canvases: [NodeRef; 4],
}

/// The picture for a card at `w`×`h` CSS px from its scenario's text and step (None: the
/// ring); None when the scenario will not load, which would be a bug in a bundled file: the
/// card then simply has no picture.
fn preview(json: Option<(&str, usize)>, w: f64, h: f64) -> Option<Scene> {
    match json {
        None => {
            let lab = RingLab::new();
            Some(ring_scene::build(&RingFrame {
                ring: lab.ring(),
                keys: lab.keys(),
                owners: lab.view_owners(),
                transition: None,
                now_ms: 0.0,
                selected: None,
                probe: None,
                replicas: lab.replicas(),
                width: w,
                height: h,
            }))
        }
        Some((json, step)) => {
            let sc = Scenario::decode(json.as_bytes()).ok()?;
            let at = sc
                .narration
                .get(step)
                .or(sc.narration.last())
                .map_or(0, |n| n.at_ms)
                + 40;
            let mut s = Session::load(sc).ok()?;
            s.seek_time(at);
            Some(cluster_scene::build(&ClusterFrame {
                world: s.world(),
                now: at as f64,
                recent: s.timeline().trace(),
                trail_ms: 150.0,
                selected_msg: None,
                selected_node: None,
                event_node: None,
                layout: Layout::Even,
                width: w,
                height: h,
            }))
        }
    }
}

impl Component for StartPage {
    type Message = ();
    type Properties = Props;

    fn create(_ctx: &Context<Self>) -> Self {
        StartPage {
            canvases: Default::default(),
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let p = ctx.props();
        html! {
            <main id="start-view" class="start" aria-labelledby="start-h">
                <h2 id="start-h" class="start-lead">
                    {"Four mechanisms that keep a sharded shop correct, on one simulated cluster you can pause, break and rewind."}
                </h2>
                <ul class="cards" aria-label="Mechanisms">
                    { for MECHANISMS.iter().enumerate().map(|(i, m)| {
                        let (tour, lab) = (p.on_tour.clone(), p.on_lab.clone());
                        html! {
                            <li class="card" aria-labelledby={format!("card-{}", m.key)}>
                                <canvas ref={self.canvases[i].clone()} role="img"
                                    aria-label={format!("{}: a picture of the lab", m.name)}></canvas>
                                <h3 id={format!("card-{}", m.key)}>{ m.name }</h3>
                                <p>{ m.sentence }</p>
                                <div class="row">
                                    <button class="primary" aria-label={format!("Take the tour: {}", m.name)}
                                        onclick={Callback::from(move |_| tour.emit(i))}>{"Take the tour"}</button>
                                    <button aria-label={format!("Open the lab: {}", m.name)}
                                        onclick={Callback::from(move |_| lab.emit(i))}>{"Open the lab"}</button>
                                </div>
                            </li>
                        }
                    }) }
                </ul>
                <p class="muted small start-foot">
                    {"Everything is deterministic: a scenario and a seed replay the same on every run, every state is a link, and "}
                    <a href="docs.html">{"the docs"}</a>{" explain the engine, the formats and the embed API."}
                </p>
            </main>
        }
    }

    fn rendered(&mut self, _ctx: &Context<Self>, first_render: bool) {
        if !first_render {
            return;
        }
        for (r, which) in self.canvases.iter().zip(PREVIEWS) {
            let r = r.clone();
            match which {
                None => paint(&r, None),
                Some((file, step)) => yew::platform::spawn_local(async move {
                    match fetch_scenario(file).await {
                        Ok(text) => paint(&r, Some((&text, step))),
                        Err(e) => web_sys::console::warn_1(&e.into()),
                    }
                }),
            }
        }
    }
}

/// Paints one card's canvas (if it is still on the page) and marks it `data-painted`.
fn paint(r: &NodeRef, json: Option<(&str, usize)>) {
    let Some(canvas) = r.cast::<web_sys::HtmlCanvasElement>() else {
        return;
    };
    let dpr = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let rect = canvas.get_bounding_client_rect();
    let (w, h) = if rect.width() >= 1.0 && rect.height() >= 1.0 {
        (rect.width(), rect.height())
    } else {
        (280.0, 170.0)
    };
    let Ok(mut painter) = CanvasPainter::new(canvas.clone()) else {
        return;
    };
    painter.resize(w, h, dpr);
    let theme = css_theme::read(&canvas);
    if let Some(scene) = preview(json, w, h) {
        if let Err(e) = painter.paint(&scene, &theme, dpr) {
            web_sys::console::error_2(&"ringlab: painting a preview failed".into(), &e);
        }
    }
    let _ = canvas.set_attribute("data-painted", "1");
}
