//! Browser-only glue, tested in headless Chromium with wasm-bindgen-test: canvas painting,
//! the frame loop's start/stop/cancel, and the mounted app's DOM.
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use ringlab::paint::canvas::CanvasPainter;
use ringlab::sim::ring_lab::RingLab;
use ringlab::ui::frame_loop::FrameLoop;
use ringlab::view::ring_scene::{self, RingFrame};
use ringlab::view::theme::{Rgb, Theme};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

fn new_canvas(w: u32, h: u32) -> HtmlCanvasElement {
    let doc = gloo_utils::document();
    let canvas: HtmlCanvasElement = doc
        .create_element("canvas")
        .expect("create canvas")
        .dyn_into()
        .expect("is a canvas");
    canvas.set_width(w);
    canvas.set_height(h);
    doc.body()
        .expect("body")
        .append_child(&canvas)
        .expect("append");
    canvas
}

fn pixels(canvas: &HtmlCanvasElement) -> Vec<u8> {
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .expect("ctx")
        .expect("2d")
        .dyn_into()
        .expect("is 2d");
    ctx.get_image_data(0.0, 0.0, canvas.width() as f64, canvas.height() as f64)
        .expect("image data")
        .data()
        .0
}

fn count_colour(px: &[u8], c: Rgb) -> usize {
    px.chunks_exact(4)
        .filter(|p| p[0] == c.0 && p[1] == c.1 && p[2] == c.2 && p[3] == 255)
        .count()
}

#[wasm_bindgen_test]
fn painter_draws_every_node_in_its_colour_at_device_resolution() {
    let canvas = new_canvas(1, 1);
    let painter = CanvasPainter::new(canvas.clone()).expect("painter");
    assert!(painter.resize(320.0, 240.0, 2.0));
    assert_eq!((canvas.width(), canvas.height()), (640, 480));
    assert!(!painter.resize(320.0, 240.0, 2.0), "same size is a no-op");

    let lab = RingLab::new();
    let scene = ring_scene::build(&RingFrame {
        ring: lab.ring(),
        keys: lab.keys(),
        transition: None,
        now_ms: 0.0,
        selected: None,
        probe: None,
        replicas: 2,
        width: 320.0,
        height: 240.0,
    });
    let theme = Theme::light();
    painter.paint(&scene, &theme, 2.0).expect("paint");
    let px = pixels(&canvas);
    // The background fills the corners...
    assert_eq!(&px[0..3], &[theme.bg.0, theme.bg.1, theme.bg.2]);
    // ...and each default node's arcs show up in its own palette colour.
    for (id, _) in lab.ring().nodes() {
        let n = count_colour(&px, theme.nodes[id as usize]);
        assert!(n > 200, "node {id} has only {n} pixels of its colour");
    }
}

#[wasm_bindgen_test]
async fn frame_loop_runs_while_asked_then_sleeps() {
    let count = Rc::new(Cell::new(0u32));
    let c = Rc::clone(&count);
    let frame_loop = FrameLoop::new(move |_| {
        c.set(c.get() + 1);
        c.get() < 3
    });
    assert!(!frame_loop.running(), "a new loop is idle");
    frame_loop.kick();
    frame_loop.kick(); // a second kick must not schedule a second frame
    assert!(frame_loop.running());
    TimeoutFuture::new(300).await;
    assert_eq!(count.get(), 3, "stops as soon as the frame says so");
    assert!(!frame_loop.running());
    assert_eq!(frame_loop.frames(), 3);
}

#[wasm_bindgen_test]
async fn dropping_the_loop_cancels_the_scheduled_frame() {
    let count = Rc::new(Cell::new(0u32));
    let c = Rc::clone(&count);
    let frame_loop = FrameLoop::new(move |_| {
        c.set(c.get() + 1);
        true
    });
    let handle = frame_loop.handle();
    frame_loop.kick();
    drop(frame_loop);
    handle.kick(); // a handle outliving the loop is harmless
    TimeoutFuture::new(200).await;
    assert_eq!(count.get(), 0);
}

fn query_all(root: &Element, sel: &str) -> Vec<Element> {
    let list = root.query_selector_all(sel).expect("selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

#[wasm_bindgen_test]
async fn mounted_app_lists_nodes_and_adds_one_from_the_button() {
    let doc = gloo_utils::document();
    let root = doc.create_element("div").expect("div");
    doc.body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    let handle = yew::Renderer::<ringlab::ui::app::App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;

    let items = query_all(&root, "ul[aria-label='Nodes'] li");
    assert_eq!(items.len(), 4);
    let canvas = query_all(&root, "canvas[role='img']");
    assert_eq!(canvas.len(), 1);
    let label = canvas[0].get_attribute("aria-label").unwrap_or_default();
    assert!(label.starts_with("Hash ring: 4 nodes"), "{label}");

    let add = query_all(&root, "button")
        .into_iter()
        .find(|b| b.text_content().as_deref() == Some("Add node"))
        .expect("an Add node button");
    add.unchecked_ref::<HtmlElement>().click();
    yew::scheduler::flush().await;
    assert_eq!(query_all(&root, "ul[aria-label='Nodes'] li").len(), 5);
    let log = query_all(&root, "[role='log']")[0]
        .text_content()
        .unwrap_or_default();
    assert!(log.contains("E joined"), "{log}");

    // The frame loop paints the canvas for real after mounting.
    TimeoutFuture::new(100).await;
    let c: HtmlCanvasElement = canvas[0].clone().dyn_into().expect("canvas");
    assert!(c.width() > 1);
    handle.destroy();
}
