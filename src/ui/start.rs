//! The start page: what ringlab is in one line, then one card per mechanism with its sentence,
//! a small picture drawn by the same scene code as the labs (`view::ring_scene`,
//! `view::cluster_scene`), "Take the tour" and "Open the lab". First-time visitors land here;
//! the header's "Start" shows it again.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::model::session::Session;
use crate::paint::canvas::CanvasPainter;
use crate::paint::css_theme;
use crate::sim::ring_lab::RingLab;
use crate::sim::scenario::Scenario;
use crate::ui::cluster::gallery::fetch_scenario;
use crate::view::cluster_scene::{self, ClusterFrame, Layout};
use crate::view::ring_scene::{self, RingFrame};
use crate::view::scene::Scene;

/// The gallery file each cluster card pictures, at its n-th narration step (fetched, not
/// bundled: the wasm is near its size ceiling). The ring card draws the default ring.
const PREVIEWS: [Option<(&str, usize)>; 8] = [
    None,
    Some(("partition-false-suspicion.json", 2)),
    Some(("lock-gc-unfenced.json", 2)),
    Some(("tpc-coordinator-crash.json", 2)),
    Some(("ha-sentinel-partition.json", 2)),
    Some(("mq-commit-before-crash.json", 2)),
    Some(("inventory-no-control.json", 2)),
    Some(("outbox-relay-crash.json", 2)),
];

/// The picture for a card at `w`×`h` CSS px from its scenario's text and step (None: the
/// ring); None when the scenario will not load, which would be a bug in a bundled file: the
/// card then simply has no picture.
fn preview(json: Option<(&str, usize)>, w: f64, h: f64) -> Option<Scene> {
    match json {
        None => {
            let lab = RingLab::new();
            // No tween, probe or selection: the base layer is the whole picture.
            Some(ring_scene::build_base(&RingFrame {
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
            let mut scene = cluster_scene::build(&ClusterFrame {
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
            });
            // At card size the words would pile up: the picture alone says enough.
            scene.labels.clear();
            Some(scene)
        }
    }
}

/// The page. `on_card(i, tour)`: a button of card i (an index into `MECHANISMS`), "Take the
/// tour" when `tour`. Its text is index.html's `<template id="start-page">` under one
/// delegated click listener: static text costs the wasm bundle nothing there.
pub fn view(on_card: &Callback<(usize, bool)>) -> Html {
    let html = gloo_utils::document()
        .get_element_by_id("start-page")
        .map(|t| t.inner_html())
        .unwrap_or_default();
    let on_card = on_card.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        let button = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("button[data-card]").ok().flatten());
        if let Some(b) = button {
            let i = b.get_attribute("data-card").and_then(|v| v.parse().ok());
            if let Some(i) = i {
                on_card.emit((i, b.get_attribute("data-tour").is_some()));
            }
        }
    });
    html! {
        <main id="start-view" class="start" aria-labelledby="start-h" {onclick}>
            { Html::from_html_unchecked(html.into()) }
        </main>
    }
}

/// Paints every card's preview; three fetch their scenario first.
pub fn paint_previews() {
    for (i, which) in PREVIEWS.into_iter().enumerate() {
        match which {
            None => paint(i, None),
            Some((file, step)) => yew::platform::spawn_local(async move {
                match fetch_scenario(file).await {
                    Ok(text) => paint(i, Some((&text, step))),
                    Err(e) => web_sys::console::warn_1(&e.into()),
                }
            }),
        }
    }
}

/// Paints card i's canvas (if it is still on the page) and marks it `data-painted`.
fn paint(i: usize, json: Option<(&str, usize)>) {
    let canvas = gloo_utils::document()
        .get_element_by_id(&format!("preview-{i}"))
        .and_then(|el| el.dyn_into::<web_sys::HtmlCanvasElement>().ok());
    let Some(canvas) = canvas else {
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
