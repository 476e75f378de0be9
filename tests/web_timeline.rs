//! The engine in the browser: the bundled gc-pause scenario gives the native golden trace
//! byte for byte; seeking in a 100,000-event history is timed (figures printed with
//! `console.log`, only correctness asserted); the Cluster tab mounts, scrubs and forks.
//!
//! Figures: `cargo test --target wasm32-unknown-unknown --test web_timeline -- --nocapture`
//! (add `--release` for optimised code, which is what the app ships).
#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use ringlab::sim::invariant::Checker;
use ringlab::sim::proto::heartbeat::HeartbeatCfg;
use ringlab::sim::proto::ProtoCfg;
use ringlab::sim::rng::Rng;
use ringlab::sim::runner;
use ringlab::sim::scenario::Scenario;
use ringlab::sim::timeline::{Target, Timeline, DEFAULT_SNAPSHOT_EVERY};
use ringlab::sim::world::{ServerSpec, World, WorldCfg};
use ringlab::ui::cluster::component::{ClusterLab, Props};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

const GC_PAUSE: &str = include_str!("../static/scenarios/gc-pause.json");
const GOLDEN: &str = include_str!("golden/gc-pause.trace.jsonl");

fn log(s: &str) {
    web_sys::console::log_1(&s.into());
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

#[wasm_bindgen_test]
fn bundled_scenario_trace_matches_the_native_golden_file() {
    let s = Scenario::decode(GC_PAUSE.as_bytes()).expect("bundled scenario decodes");
    let r = runner::report(&s, Some(3), s.until_ms).expect("runs");
    assert!(r.ok);
    for (i, (a, b)) in r.text.lines().zip(GOLDEN.lines()).enumerate() {
        assert_eq!(
            a,
            b,
            "line {} differs from tests/golden/gc-pause.trace.jsonl",
            i + 1
        );
    }
    assert_eq!(r.text.len(), GOLDEN.len());
    assert!(r.text == GOLDEN);
    log(&format!(
        "determinism: gc-pause seed 3 in wasm = golden ({} bytes, {} lines)",
        r.text.len(),
        r.text.lines().count()
    ));
}

fn cluster(seed: u64) -> World {
    World::new(&WorldCfg {
        seed,
        servers: (0..10)
            .map(|i| ServerSpec {
                name: format!("s{i}"),
                weight: 1.0,
            })
            .collect(),
        clients: vec!["web".into()],
        protocols: ProtoCfg {
            heartbeat: Some(HeartbeatCfg {
                interval_ms: 20,
                timeout_ms: 100,
            }),
            ..ProtoCfg::default()
        },
        ..WorldCfg::default()
    })
    .expect("valid cluster")
}

#[wasm_bindgen_test]
fn seeking_in_a_100k_event_history_is_measured() {
    let built = now_ms();
    let mut tl = Timeline::with_checker(cluster(2), Checker::builtin(), DEFAULT_SNAPSHOT_EVERY);
    let mut t = 0;
    while tl.recorded().len() < 100_000 {
        t += 10;
        tl.advance_to(t);
    }
    let build_ms = now_ms() - built;
    let head = tl.world().clone();
    let n = tl.recorded().len();
    let mut rng = Rng::new(7);
    let mut times = Vec::new();
    for _ in 0..50 {
        let i = rng.below(n as u64) as usize;
        let start = now_ms();
        tl.seek(Target::Event(i));
        times.push(now_ms() - start);
        // Just after event i: the world has processed it and nothing later than it.
        let rec = tl.recorded();
        let pos = tl.position();
        assert!(pos > i, "seek to {i} stopped at {pos}");
        assert!(tl.world().now() >= rec[i].t);
        if pos < n {
            assert!(rec[pos].t >= tl.world().now());
        }
        assert_eq!(tl.trace().len(), pos);
    }
    let start = now_ms();
    tl.seek(Target::Head);
    let back = now_ms() - start;
    assert!(tl.at_head());
    assert_eq!(
        tl.world(),
        &head,
        "back at the head the world is exactly as recorded"
    );
    times.sort_by(|a, b| a.total_cmp(b));
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    log(&format!(
        "seek in a {n}-event history (snapshot every {DEFAULT_SNAPSHOT_EVERY}, built in {build_ms:.0} ms): \
         50 random seeks mean {mean:.2} ms, median {:.2} ms, p90 {:.2} ms, max {:.2} ms; back to head {back:.2} ms \
         (performance.now() resolution applies)",
        times[times.len() / 2],
        times[times.len() * 9 / 10],
        times[times.len() - 1],
    ));
}

fn query_all(root: &Element, sel: &str) -> Vec<Element> {
    let list = root.query_selector_all(sel).expect("selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

fn text(root: &Element, sel: &str) -> String {
    query_all(root, sel)
        .first()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

fn button(root: &Element, label: &str) -> HtmlElement {
    query_all(root, "button")
        .into_iter()
        .find(|b| {
            b.get_attribute("aria-label").as_deref() == Some(label)
                || b.text_content().as_deref() == Some(label)
        })
        .unwrap_or_else(|| panic!("no button \"{label}\""))
        .unchecked_into()
}

#[wasm_bindgen_test]
async fn cluster_tab_scrubs_jumps_to_markers_and_forks() {
    let doc = gloo_utils::document();
    let root = doc.create_element("div").expect("div");
    doc.body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    let handle =
        yew::Renderer::<ClusterLab>::with_root_and_props(root.clone(), Props { active: true })
            .render();
    yew::scheduler::flush().await;
    TimeoutFuture::new(50).await;

    let canvas_label = || {
        query_all(&root, "canvas[role='img']")
            .first()
            .and_then(|c| c.get_attribute("aria-label"))
            .unwrap_or_default()
    };
    assert!(
        canvas_label().starts_with("Cluster at t=0 ms: A up, B up, C up"),
        "{}",
        canvas_label()
    );
    assert!(text(&root, "[data-testid='scenario-title']").contains("GC pause"));

    // A fault marker moves the playhead to its event.
    button(&root, "pause of B at 2,000 ms").click();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "[data-testid='clock']"), "t = 2,000 ms");
    assert!(
        canvas_label().contains("B paused until 3,200 ms"),
        "{}",
        canvas_label()
    );

    // The scrubber goes back in time.
    let scrub: HtmlInputElement = query_all(&root, "input[aria-label='Timeline']")
        .remove(0)
        .unchecked_into();
    scrub.set_value("1000");
    let ev = web_sys::Event::new("input").expect("event");
    scrub.dispatch_event(&ev).expect("dispatch");
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "[data-testid='clock']"), "t = 1,000 ms");
    assert!(canvas_label().contains("B up"), "{}", canvas_label());

    // Play runs the frame loop; Pause stops it.
    button(&root, "Play").click();
    yew::scheduler::flush().await;
    TimeoutFuture::new(300).await;
    yew::scheduler::flush().await;
    let html = doc.document_element().expect("html");
    assert_eq!(
        html.get_attribute("data-cluster-playing").as_deref(),
        Some("1")
    );
    button(&root, "Pause").click();
    yew::scheduler::flush().await;
    TimeoutFuture::new(100).await;
    assert_eq!(
        html.get_attribute("data-cluster-playing").as_deref(),
        Some("0")
    );
    let clock = text(&root, "[data-testid='clock']");
    assert_ne!(clock, "t = 1,000 ms", "playing moved time");

    // Heal at this point in the past forks the history.
    button(&root, "Split").click();
    yew::scheduler::flush().await;
    let notice = text(&root, ".notice");
    assert!(notice.starts_with("Forked at t="), "{notice}");
    assert!(notice.contains("the old future was discarded"), "{notice}");
    assert!(query_all(&root, "button.marker-fork").len() == 1);
    handle.destroy();
}
