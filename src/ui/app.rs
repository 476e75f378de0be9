//! The root component. It owns the lab; controls send messages that become `RingCmd`s, and
//! the canvas is drawn by the frame loop from shared state, outside the virtual DOM.

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, HtmlElement, ResizeObserver, ResizeObserverEntry};
use yew::prelude::*;

use crate::model::catalog::MECHANISMS;
use crate::model::embed::EmbedOpts;
use crate::model::input;
use crate::model::metrics::RingMetrics;
use crate::model::share::RingState;
use crate::model::shortcuts::Shortcut;
use crate::model::transition::{Transition, DEFAULT_MS};
use crate::model::url::Tab;
use crate::paint::canvas::CanvasPainter;
use crate::paint::css_theme;
use crate::sim::algorithms;
use crate::sim::ring::NodeId;
use crate::sim::ring_lab::{KeySpec, RingCmd, RingLab};
use crate::ui::frame_loop::FrameLoop;
pub use crate::ui::ring_msg::{Field, Form, Msg};
use crate::ui::shell::{set_title, Header};
use crate::ui::{panels, share, store, tabs};
use crate::view::hit;
use crate::view::legend;
use crate::view::ring_scene::{self, RingFrame, RingGeometry};
use crate::view::theme::Theme;

/// State the frame loop reads every frame and the component writes on every command.
pub struct RingLoopState {
    /// The ring, keys and log.
    pub lab: RingLab,
    /// The change being animated.
    pub transition: Option<Transition>,
    /// Node whose details are open.
    pub selected: Option<NodeId>,
    /// Hash of the key being looked up or hovered.
    pub probe: Option<u64>,
    painter: Option<CanvasPainter>,
    theme: Theme,
    /// Bumped on every lab change and theme change: part of the base layer's key.
    lab_version: u64,
    theme_version: u64,
    css_size: (f64, f64),
    dpr: f64,
    ready: bool,
    /// Last value written to `data-animating`.
    animating: Option<bool>,
    /// The canvas legend is drawn (`ui::legend`).
    legend: bool,
    /// The legend's rows for a base key and probe: read off the full scene once per change,
    /// not every frame (the keys are a raster, not in the overlay).
    legend_rows: Option<(u64, Vec<legend::Entry>)>,
}

impl RingLoopState {
    /// Draws one frame; returns whether the animation wants another.
    /// Identity of the static layer: anything that changes it changes this.
    fn base_key(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.lab_version.hash(&mut h);
        self.theme_version.hash(&mut h);
        self.selected.hash(&mut h);
        self.transition
            .as_ref()
            .map(|t| t.start_ms.to_bits())
            .hash(&mut h);
        self.css_size.0.to_bits().hash(&mut h);
        self.css_size.1.to_bits().hash(&mut h);
        self.dpr.to_bits().hash(&mut h);
        h.finish()
    }

    fn frame(&mut self, now: f64) -> bool {
        // A finished tween is dropped before painting, so the last frame is the static one
        // (the same pixels a repaint or a shared link shows).
        if self.transition.as_ref().is_some_and(|t| t.done(now)) {
            self.transition = None;
        }
        let key = self.base_key();
        if self.legend {
            self.legend_rows(now);
        }
        let Some(painter) = &mut self.painter else {
            return false;
        };
        let started = now_ms();
        let (w, h) = self.css_size;
        let frame = RingFrame {
            ring: self.lab.ring(),
            keys: self.lab.keys(),
            owners: self.lab.view_owners(),
            transition: self.transition.as_ref(),
            now_ms: now,
            selected: self.selected,
            probe: self.probe,
            replicas: self.lab.replicas(),
            width: w,
            height: h,
        };
        let mut overlay = ring_scene::build_overlay(&frame);
        if let (true, Some((_, rows))) = (self.legend, &self.legend_rows) {
            legend::attach(&mut overlay, rows, crate::ui::legend::room());
        }
        let painted = painter.paint_ring(key, &frame, &overlay, &self.theme, self.dpr);
        if let Err(e) = painted {
            web_sys::console::error_2(&"ringlab: painting failed".into(), &e);
            return false;
        }

        record_frame_cost(now_ms() - started);
        if !self.ready {
            self.ready = true;
            if let Some(root) = gloo_utils::document().document_element() {
                let _ = root.set_attribute("data-ready", "1");
            }
        }
        let moving = self.transition.as_ref().is_some_and(|t| !t.done(now));
        if !moving {
            self.transition = None;
        }
        // Tests and the frame-time script read this: "0" means the loop has gone idle. Written
        // only when it changes, not on every frame.
        if self.animating != Some(moving) {
            self.animating = Some(moving);
            if let Some(root) = gloo_utils::document().document_element() {
                let _ = root.set_attribute("data-animating", if moving { "1" } else { "0" });
            }
        }
        moving
    }
}

impl RingLoopState {
    /// The legend's rows for the picture as it is, recomputed when the base or the probe
    /// changed (from the full scene, which has the keys the overlay lacks).
    fn legend_rows(&mut self, now: f64) -> &[legend::Entry] {
        let mut h = DefaultHasher::new();
        self.base_key().hash(&mut h);
        self.probe.hash(&mut h);
        let key = h.finish();
        if self.legend_rows.as_ref().is_none_or(|(k, _)| *k != key) {
            let (w, hgt) = self.css_size;
            let frame = RingFrame {
                ring: self.lab.ring(),
                keys: self.lab.keys(),
                owners: self.lab.view_owners(),
                transition: self.transition.as_ref(),
                now_ms: now,
                selected: self.selected,
                probe: self.probe,
                replicas: self.lab.replicas(),
                width: w,
                height: hgt,
            };
            let rows = legend::entries(&ring_scene::build(&frame), legend::Lab::Ring);
            self.legend_rows = Some((key, rows));
        }
        self.legend_rows.as_ref().map_or(&[], |(_, r)| r.as_slice())
    }

    /// The current frame as SVG (the same display list the canvas draws).
    fn svg(&self) -> String {
        let (w, h) = self.css_size;
        let frame = RingFrame {
            ring: self.lab.ring(),
            keys: self.lab.keys(),
            owners: self.lab.view_owners(),
            transition: self.transition.as_ref(),
            now_ms: now_ms(),
            selected: self.selected,
            probe: self.probe,
            replicas: self.lab.replicas(),
            width: w,
            height: h,
        };
        let mut scene = ring_scene::build(&frame);
        if self.legend {
            let rows = legend::entries(&scene, legend::Lab::Ring);
            legend::attach(&mut scene, &rows, crate::ui::legend::room());
        }
        crate::view::svg::to_svg(&scene, &self.theme)
    }
}

/// Kept alive as long as the observer that calls it.
type ResizeCallback = Closure<dyn FnMut(js_sys::Array)>;

/// The root component.
pub struct App {
    shared: Rc<RefCell<RingLoopState>>,
    canvas_ref: NodeRef,
    box_ref: NodeRef,
    frame_loop: Option<FrameLoop>,
    resize: Option<(ResizeObserver, ResizeCallback)>,
    theme_listener: Option<EventListener>,
    form: Form,
    error: Option<String>,
    hover: Option<u32>,
    metrics: RingMetrics,
    comparison: Option<Result<Vec<algorithms::Report>, String>>,
    reduced_motion: bool,
    /// The open tab; the Cluster tab stays mounted (hidden) once visited.
    tab: Tab,
    cluster_seen: bool,
    /// Successful ring commands since the default lab: the Ring tab's share state.
    history: Vec<RingCmd>,
    /// `?embed=1&…` options.
    embed: EmbedOpts,
    popstate: Option<EventListener>,
    keys: Option<EventListener>,
    /// The start page is showing instead of a lab.
    start: bool,
    /// Whether its preview canvases still need painting (they are new each time it shows).
    previews_due: bool,
    /// Remembers where the visitor was when the page goes away.
    pagehide: Option<EventListener>,
}

/// Local-storage keys: set once the visitor has gone past the start page; the query and
/// fragment they were at when they left.
const SEEN: &str = "ringlab.seen";
const LAST: &str = "ringlab.last";

impl App {
    /// Whether this page has the start page (the everything page, outside embeds).
    fn start_link(&self) -> bool {
        !self.embed.on && tabs::on_this_page(Tab::Ring) && tabs::on_this_page(Tab::Cluster)
    }
}

/// Whether to open on the start page. Links (`?tab=`, `#s=`, `?embed=1`) open what they say;
/// a bare URL shows the start page to a first-time visitor and takes a returning one back to
/// where they were (by putting their last query and fragment back in the address bar before
/// anything reads it).
fn landing(embed: bool) -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    let loc = w.location();
    let (search, hash) = (
        loc.search().unwrap_or_default(),
        loc.hash().unwrap_or_default(),
    );
    // Only the everything page (both labs) has the start page; a lab's own page opens it.
    let everything = tabs::on_this_page(Tab::Ring) && tabs::on_this_page(Tab::Cluster);
    if embed || !everything || !search.is_empty() || !hash.is_empty() {
        return false;
    }
    if store::get(SEEN).is_none() {
        return true;
    }
    if let (Some(last), Ok(path)) = (store::get(LAST), loc.pathname()) {
        // Only our own query and fragment: never a URL with another origin or path.
        if (last.starts_with('?') || last.starts_with('#')) && !last.contains(['\\', '\n']) {
            if let Ok(h) = w.history() {
                let _ = h.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&format!("{path}{last}")),
                );
            }
        }
    }
    false
}

/// The Cluster tab's lab, on pages that carry it (the Hash ring page does not: its Cluster
/// tab opens the Cluster page).
#[cfg(feature = "cluster-tab")]
fn cluster_lab(active: bool) -> Html {
    html! { <crate::ui::cluster::ClusterLab {active} /> }
}

#[cfg(not(feature = "cluster-tab"))]
fn cluster_lab(_active: bool) -> Html {
    Html::default()
}

/// The start page (only the everything page, which carries both labs, has one).
#[cfg(all(feature = "ring-tab", feature = "cluster-tab"))]
fn start_view(on_card: &Callback<(usize, bool)>) -> Html {
    crate::ui::start::view(on_card)
}

#[cfg(not(all(feature = "ring-tab", feature = "cluster-tab")))]
fn start_view(_on_card: &Callback<(usize, bool)>) -> Html {
    Html::default()
}

/// Paints the start page's previews (see [`start_view`]).
#[cfg(all(feature = "ring-tab", feature = "cluster-tab"))]
fn paint_previews() {
    crate::ui::start::paint_previews();
}

#[cfg(not(all(feature = "ring-tab", feature = "cluster-tab")))]
fn paint_previews() {}

/// Asks the Cluster lab to open scenario `id` (as a tour, with a gallery chip) when it shows.
#[cfg(feature = "cluster-tab")]
fn open_in_cluster(id: &str, tour: bool, chip: Option<&'static str>) {
    crate::ui::cluster::component::request(crate::ui::cluster::component::Open {
        id: id.to_string(),
        tour,
        chip,
    });
}

#[cfg(not(feature = "cluster-tab"))]
fn open_in_cluster(_id: &str, _tour: bool, _chip: Option<&'static str>) {}

/// A plain button sending one message: one copy of the code for all of them.
#[inline(never)]
fn msg_button(link: &yew::html::Scope<App>, label: &'static str, msg: fn() -> Msg) -> Html {
    html! { <button onclick={link.callback(move |_| msg())}>{ label }</button> }
}

/// The title of the start page and the default one.
pub const START_TITLE: &str = "ringlab: consistent hashing, locks and 2PC, step by step";

fn media_matches(query: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.match_media(query).ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Appends a frame's build+paint time to `window.__ringlabFrames` when a profiling script
/// put an array there (tests/perf/frames.mjs); otherwise costs one property read.
fn record_frame_cost(ms: f64) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(list) = js_sys::Reflect::get(&window, &"__ringlabFrames".into()) {
        if let Some(list) = list.dyn_ref::<js_sys::Array>() {
            list.push(&ms.into());
        }
    }
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

impl App {
    fn run(&mut self, cmd: RingCmd) {
        let duration = if self.reduced_motion { 0.0 } else { DEFAULT_MS };
        let mut shared = self.shared.borrow_mut();
        shared.lab_version += 1;
        let cmd_copy = cmd.clone();
        match shared.lab.apply(cmd) {
            Ok(report) => {
                self.history.push(cmd_copy);
                let moved = report.view_moved.as_ref().unwrap_or(&report.moved).clone();
                let t = Transition::new(now_ms(), duration, report.arcs.clone(), moved);
                self.comparison = None;
                shared.transition = Some(t);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        if shared
            .selected
            .is_some_and(|id| shared.lab.ring().node(id).is_none())
        {
            shared.selected = None;
        }
        self.metrics = RingMetrics::compute(shared.lab.ring(), shared.lab.view_owners());
        self.form.node_count = shared.lab.ring().nodes().count().to_string();
        drop(shared);
        self.kick();
    }

    /// Replaces the lab with a shared one (opening a link, Back/Forward).
    fn restore_ring(&mut self, r: RingState) -> Result<(), String> {
        let lab = r.replay()?;
        let mut shared = self.shared.borrow_mut();
        shared.selected = r.selected.filter(|&id| lab.ring().node(id).is_some());
        shared.probe = input::lookup_hash(&r.lookup);
        self.metrics = RingMetrics::compute(lab.ring(), lab.view_owners());
        self.form = form_for(&lab);
        self.form.lookup = r.lookup;
        shared.lab = lab;
        shared.lab_version += 1;
        shared.transition = None;
        self.history = r.cmds;
        self.comparison = None;
        drop(shared);
        self.kick();
        Ok(())
    }

    /// The Ring tab's share state (None when it is the untouched default).
    fn ring_state(&self) -> Option<RingState> {
        let selected = self.shared.borrow().selected;
        (!self.history.is_empty() || selected.is_some() || !self.form.lookup.is_empty()).then(
            || RingState {
                cmds: self.history.clone(),
                selected,
                lookup: self.form.lookup.clone(),
            },
        )
    }

    fn kick(&self) {
        if let Some(l) = &self.frame_loop {
            l.kick();
        }
    }

    fn geometry(&self) -> RingGeometry {
        let (w, h) = self.shared.borrow().css_size;
        RingGeometry::fit(w, h)
    }

    fn parse_form_keys(&self) -> Result<KeySpec, String> {
        let f = &self.form;
        let current = self.shared.borrow().lab.key_spec().clone();
        let count =
            f.key_count.trim().parse::<usize>().map_err(|_| {
                format!("key count must be a whole number, got \"{}\"", f.key_count)
            })?;
        let seed = f
            .key_seed
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("seed must be a whole number ≥ 0, got \"{}\"", f.key_seed))?;
        let skew = crate::sim::text::parse_decimal(f.skew.trim())
            .ok_or(())
            .map_err(|_| format!("skew must be a number, got \"{}\"", f.skew))?;
        let pattern = input::parse_pattern(&f.pattern).unwrap_or(current.pattern);
        Ok(KeySpec {
            count,
            seed,
            pattern,
            skew,
            names: None,
        })
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(_ctx: &Context<Self>) -> Self {
        let lab = RingLab::new();
        let metrics = RingMetrics::compute(lab.ring(), lab.view_owners());
        let form = form_for(&lab);
        let embed = share::embed_opts();
        let start = landing(embed.on);
        let opened = share::open();
        let mut app = App {
            shared: Rc::new(RefCell::new(RingLoopState {
                lab,
                transition: None,
                selected: None,
                probe: None,
                painter: None,
                theme: Theme::light(),
                lab_version: 0,
                theme_version: 0,
                css_size: (640.0, 480.0),
                dpr: 1.0,
                ready: false,
                animating: None,
                legend: crate::ui::legend::initial(),
                legend_rows: None,
            })),
            canvas_ref: NodeRef::default(),
            box_ref: NodeRef::default(),
            frame_loop: None,
            resize: None,
            theme_listener: None,
            form,
            error: None,
            hover: None,
            metrics,
            comparison: None,
            reduced_motion: media_matches("(prefers-reduced-motion: reduce)"),
            tab: tabs::initial(),
            cluster_seen: tabs::initial() == Tab::Cluster,
            history: Vec::new(),
            embed,
            popstate: None,
            keys: None,
            start,
            previews_due: start,
            pagehide: None,
        };
        match opened {
            Ok(Some(r)) => {
                if let Err(e) = app.restore_ring(r) {
                    app.error = Some(format!(
                        "This link could not be opened ({e}); showing the default instead."
                    ));
                }
            }
            Ok(None) => {}
            Err(e) => app.error = Some(e),
        }
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Cmd(cmd) => self.run(cmd),
            Msg::Select(id) => {
                let mut shared = self.shared.borrow_mut();
                shared.selected = id;
                if let Some(n) = id.and_then(|id| shared.lab.ring().node(id)) {
                    self.form.node_weight = n.weight.to_string();
                }
                drop(shared);
                self.kick();
            }
            Msg::CanvasClick(x, y) => {
                let g = self.geometry();
                let id = hit::node_at(self.shared.borrow().lab.ring(), &g, x, y);
                ctx.link().send_message(Msg::Select(id));
                return false;
            }
            Msg::CanvasHover(x, y) => {
                let g = self.geometry();
                let mut shared = self.shared.borrow_mut();
                let key = hit::key_at(shared.lab.keys(), &g, x, y, 5.0);
                if key == self.hover {
                    return false;
                }
                self.hover = key;
                shared.probe = match key {
                    Some(k) => Some(shared.lab.keys().hash(k)),
                    None => input::lookup_hash(&self.form.lookup),
                };
                drop(shared);
                self.kick();
            }
            Msg::CanvasLeave => {
                if self.hover.take().is_none() {
                    return false;
                }
                self.shared.borrow_mut().probe = input::lookup_hash(&self.form.lookup);
                self.kick();
            }
            Msg::Input(field, value) => {
                let f = &mut self.form;
                match field {
                    Field::Name => f.name = value,
                    Field::Weight => f.weight = value,
                    Field::Vnodes => f.vnodes = value,
                    Field::NodeWeight => f.node_weight = value,
                    Field::KeyCount => f.key_count = value,
                    Field::KeySeed => f.key_seed = value,
                    Field::Pattern => f.pattern = value,
                    Field::Skew => f.skew = value,
                    Field::Pasted => f.pasted = value,
                    Field::NodeCount => f.node_count = value,
                    Field::Lookup => {
                        f.lookup = value;
                        self.shared.borrow_mut().probe = input::lookup_hash(&f.lookup);
                        self.kick();
                    }
                }
            }
            Msg::AddNode => match input::parse_weight(&self.form.weight) {
                Ok(weight) => {
                    let name = Some(self.form.name.clone()).filter(|n| !n.trim().is_empty());
                    self.run(RingCmd::AddNode { name, weight });
                    if self.error.is_none() {
                        self.form.name.clear();
                    }
                }
                Err(e) => self.error = Some(e),
            },
            Msg::ApplyVnodes => match input::parse_vnodes(&self.form.vnodes) {
                Ok(v) => self.run(RingCmd::SetVnodes(v)),
                Err(e) => self.error = Some(e),
            },
            Msg::ApplyNodeWeight => {
                let selected = self.shared.borrow().selected;
                match (selected, input::parse_weight(&self.form.node_weight)) {
                    (Some(id), Ok(w)) => self.run(RingCmd::SetWeight(id, w)),
                    (None, _) => self.error = Some("select a node first".into()),
                    (_, Err(e)) => self.error = Some(e),
                }
            }
            Msg::GenerateKeys => match self.parse_form_keys() {
                Ok(spec) => self.run(RingCmd::SetKeys(spec)),
                Err(e) => self.error = Some(e),
            },
            Msg::UsePasted => {
                let names: Vec<String> = self
                    .form
                    .pasted
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect();
                let spec = KeySpec {
                    names: Some(names),
                    ..self.shared.borrow().lab.key_spec().clone()
                };
                self.run(RingCmd::SetKeys(spec));
            }
            Msg::Replicas(r) => self.run(RingCmd::SetReplicas(r)),
            Msg::ApplyNodeCount => match input::parse_node_count(&self.form.node_count) {
                Ok(n) => self.run(RingCmd::SetNodeCount(n)),
                Err(e) => self.error = Some(e),
            },
            Msg::ViewAlgorithm(alg) => self.run(RingCmd::ViewAlgorithm(alg)),
            Msg::Compare => self.comparison = self.shared.borrow().lab.compare_last(),
            Msg::ToggleLegend => {
                let mut sh = self.shared.borrow_mut();
                sh.legend = !sh.legend;
                crate::ui::legend::remember(sh.legend);
                if sh.legend {
                    sh.legend_rows(now_ms());
                }
                drop(sh);
                self.kick();
            }
            Msg::ShowStart => {
                self.previews_due |= !self.start;
                self.start = true;
                self.shared.borrow_mut().selected = None;
            }
            Msg::StartTour(i) | Msg::StartLab(i) => {
                let tour = matches!(msg, Msg::StartTour(_));
                let Some(m) = MECHANISMS.get(i) else {
                    return false;
                };
                self.start = false;
                store::set(SEEN, "1");
                // A phone may have scrolled down to the card: the lab starts at its top.
                gloo_utils::window().scroll_to_with_x_and_y(0.0, 0.0);
                let id = if tour { Some(m.tour) } else { m.lab };
                let Some(id) = id else {
                    return Component::update(self, ctx, Msg::Tab(Tab::Ring));
                };
                // The ring has no scenarios of its own: its tour shows the whole gallery.
                open_in_cluster(id, tour, m.lab.map(|_| m.key));
                return Component::update(self, ctx, Msg::Tab(Tab::Cluster));
            }
            Msg::Tab(t) => {
                self.start = false;
                store::set(SEEN, "1");
                self.tab = t;
                self.cluster_seen |= t == Tab::Cluster;
                tabs::remember(t);
                self.kick();
            }
            Msg::Export(svg) => {
                if svg {
                    let text = self.shared.borrow().svg();
                    crate::ui::export::text("ringlab-ring.svg", "image/svg+xml", &text);
                } else if let Some(c) = self.canvas_ref.cast::<HtmlCanvasElement>() {
                    crate::ui::export::png("ringlab-ring.png", &c);
                }
                return false;
            }
            Msg::Key(k) => {
                if self.start && !matches!(k, Shortcut::Help | Shortcut::Close) {
                    return false;
                }
                let selected = self.shared.borrow().selected;
                match (k, self.tab, selected) {
                    (Shortcut::Legend, Tab::Ring, _) => {
                        return Component::update(self, ctx, Msg::ToggleLegend)
                    }
                    (Shortcut::AddNode, Tab::Ring, _) => {
                        return Component::update(self, ctx, Msg::AddNode)
                    }
                    (Shortcut::Fail, Tab::Ring, Some(id)) => self.run(RingCmd::FailNode(id)),
                    (Shortcut::Recover, Tab::Ring, Some(id)) => self.run(RingCmd::RecoverNode(id)),
                    (Shortcut::Remove, Tab::Ring, Some(id)) => self.run(RingCmd::RemoveNode(id)),
                    (Shortcut::Fail | Shortcut::Recover | Shortcut::Remove, Tab::Ring, None) => {
                        self.error =
                            Some("select a node first (click it on the ring or in the list)".into())
                    }
                    _ => return false,
                }
            }
            Msg::PopState => {
                if let Some(Ok(state)) = crate::model::share::from_fragment(&share::hash()) {
                    if !share::is_current_ring(state.ring.as_ref()) {
                        let r = state.ring.clone().unwrap_or_default();
                        if let Err(e) = self.restore_ring(r) {
                            self.error = Some(e);
                        }
                    }
                }
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        // What the panels send: the root's messages, without the root's type.
        let send = link.callback(|m: Msg| m);
        let shared = self.shared.borrow();
        let lab = &shared.lab;
        let summary = self.metrics.summary(lab.keys().len());
        let onclick = link
            .callback(|e: MouseEvent| Msg::CanvasClick(e.offset_x() as f64, e.offset_y() as f64));
        let onmousemove = link
            .callback(|e: MouseEvent| Msg::CanvasHover(e.offset_x() as f64, e.offset_y() as f64));
        let onmouseleave = link.callback(|_| Msg::CanvasLeave);
        let hovered = self.hover.map(|k| panels::key_details(lab, k));
        let summary = match (&shared.legend_rows, shared.legend) {
            (Some((_, rows)), true) => format!("{summary} {}", legend::words(rows)),
            _ => summary,
        };
        let legend_toggle =
            crate::ui::legend::toggle(shared.legend, link.callback(|_| Msg::ToggleLegend));
        html! {
            <>
            <Header tab={self.tab} on_tab={link.callback(Msg::Tab)}
                start={self.start_link().then(|| link.callback(|()| Msg::ShowStart))} start_shown={self.start} />
            if self.start {
                { start_view(&link.callback(|(i, tour)| if tour { Msg::StartTour(i) } else { Msg::StartLab(i) })) }
            }
            <main class="layout" id="ring-view" hidden={self.start || self.tab != Tab::Ring}>
                <section class="stage" aria-label="Simulation">
                    <div class="canvas-box" ref={self.box_ref.clone()}>
                        <canvas ref={self.canvas_ref.clone()} role="img" aria-label={summary}
                            {onclick} {onmousemove} {onmouseleave}></canvas>
                        <p class="canvas-hint" aria-hidden="true">{"Click an arc to select its node · hover a key to see its walk"}</p>
                        { legend_toggle }
                    </div>
                    <div class="row export" role="group" aria-label="Export the ring">
                        <span class="muted small">{"Export"}</span>
                        { msg_button(link, "PNG", || Msg::Export(false)) }
                        { msg_button(link, "SVG", || Msg::Export(true)) }
                    </div>
                    { panels::metrics(&self.metrics, lab, hovered) }
                    { panels::compare(lab, self.comparison.as_ref(), &send) }
                </section>
                <aside class="side" aria-label="Controls">
                    { panels::topology(&self.form, lab, self.error.as_deref(), &send) }
                    { panels::nodes(&self.metrics, shared.selected, &self.form, &send) }
                    { panels::keys(&self.form, &send) }
                    { panels::lookup(&self.form, lab, &send) }
                </aside>
                { panels::log(lab.log()) }
            </main>
            if self.cluster_seen {
                { cluster_lab(!self.start && self.tab == Tab::Cluster) }
            }
            </>
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        share::set_ring(self.ring_state());
        if self.start {
            set_title(START_TITLE);
            if std::mem::take(&mut self.previews_due) {
                paint_previews();
            }
        } else if self.tab == Tab::Ring {
            set_title("Hash ring · ringlab");
        }
        if !first_render {
            return;
        }
        if let Some(w) = web_sys::window() {
            // Where the visitor was, for their next bare visit (not an embed's state).
            if !self.embed.on {
                if !self.start {
                    store::set(SEEN, "1");
                }
                self.pagehide = Some(EventListener::new(&w, "pagehide", move |_| {
                    let loc = gloo_utils::window().location();
                    let last = format!(
                        "{}{}",
                        loc.search().unwrap_or_default(),
                        loc.hash().unwrap_or_default()
                    );
                    if store::get(SEEN).is_some() {
                        store::set(LAST, &last);
                    }
                }));
            }
        }
        if let Some(w) = web_sys::window() {
            let link = ctx.link().clone();
            self.popstate = Some(EventListener::new(&w, "popstate", move |_| {
                link.send_message(Msg::PopState)
            }));
            let link = ctx.link().clone();
            self.keys = Some(EventListener::new(&w, "keydown", move |e| {
                let key = e
                    .dyn_ref::<web_sys::KeyboardEvent>()
                    .and_then(crate::ui::keyboard::read);
                if let Some(k) = key {
                    link.send_message(Msg::Key(k));
                }
            }));
        }
        let Some(canvas) = self.canvas_ref.cast::<HtmlCanvasElement>() else {
            return;
        };
        match CanvasPainter::new(canvas.clone()) {
            Ok(p) => {
                let mut shared = self.shared.borrow_mut();
                shared.theme = css_theme::read(&canvas);
                shared.painter = Some(p);
            }
            Err(e) => {
                web_sys::console::error_2(&"ringlab: no canvas".into(), &e);
                return;
            }
        }
        let shared = Rc::clone(&self.shared);
        let frame_loop = FrameLoop::new(move |ts| shared.borrow_mut().frame(ts));

        // Size the backing store from the box's real size, now and on every resize.
        if let Some(bx) = self.box_ref.cast::<HtmlElement>() {
            let rect = bx.get_bounding_client_rect();
            resize_to(&self.shared, rect.width(), rect.height());
            let shared = Rc::clone(&self.shared);
            let kicker = frame_loop_kicker(&frame_loop);
            let cb = Closure::wrap(Box::new(move |entries: js_sys::Array| {
                if let Some(entry) = entries.get(0).dyn_ref::<ResizeObserverEntry>() {
                    let r = entry.content_rect();
                    resize_to(&shared, r.width(), r.height());
                    kicker();
                }
            }) as Box<dyn FnMut(js_sys::Array)>);
            if let Ok(observer) = ResizeObserver::new(cb.as_ref().unchecked_ref()) {
                observer.observe(&bx);
                self.resize = Some((observer, cb));
            }
        }
        // Follow the OS theme live: re-read the CSS custom properties and repaint.
        if let Some(mql) = web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        {
            let shared = Rc::clone(&self.shared);
            let canvas = canvas.clone();
            let kicker = frame_loop_kicker(&frame_loop);
            self.theme_listener = Some(EventListener::new(&mql, "change", move |_| {
                let mut s = shared.borrow_mut();
                s.theme = css_theme::read(&canvas);
                s.theme_version += 1;
                drop(s);
                kicker();
            }));
        }
        frame_loop.kick();
        self.frame_loop = Some(frame_loop);
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        if let Some((observer, _)) = self.resize.take() {
            observer.disconnect();
        }
        self.theme_listener = None;
        self.popstate = None;
        self.keys = None;
        self.pagehide = None;
        // Dropping the loop cancels any scheduled frame.
        self.frame_loop = None;
    }
}

/// The side panel's fields as the lab stands.
fn form_for(lab: &RingLab) -> Form {
    let spec = lab.key_spec();
    Form {
        weight: "1".into(),
        vnodes: lab.ring().vnodes_per_node().to_string(),
        node_weight: "1".into(),
        node_count: lab.ring().nodes().count().to_string(),
        key_count: spec.count.to_string(),
        key_seed: spec.seed.to_string(),
        pattern: input::pattern_value(spec.pattern).into(),
        skew: spec.skew.to_string(),
        ..Form::default()
    }
}

/// A cheap handle that wakes the loop from listeners that outlive a borrow of the component.
fn frame_loop_kicker(l: &FrameLoop) -> impl Fn() + 'static {
    let handle = l.handle();
    move || handle.kick()
}

fn resize_to(shared: &Rc<RefCell<RingLoopState>>, w: f64, h: f64) {
    let dpr = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let mut s = shared.borrow_mut();
    s.css_size = (w.max(1.0), h.max(1.0));
    s.dpr = dpr;
    if let Some(p) = &mut s.painter {
        p.resize(w, h, dpr);
    }
}
