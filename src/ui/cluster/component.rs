//! `ClusterLab`: owns a [`Session`] (scenario + timeline) in state shared with the frame loop.
//! The loop advances virtual time while playing and paints both canvases outside the virtual
//! DOM; it asks Yew to re-render only a few times a second (and once when it stops), so the
//! DOM panels follow without costing a diff per frame. Paused means no frame is scheduled.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, HtmlElement, ResizeObserver, ResizeObserverEntry};
use yew::prelude::*;

mod bridge;
#[cfg(feature = "proto-kv")]
mod end_check;
mod export;
mod jobs;
mod keyboard;

pub use jobs::JobKind;

/// Reads a keydown as a shortcut (also used by the root for the ring's keys).
pub use keyboard::read as read_key;

use super::explore::{self, ExploreState};
use super::msg::TourAction;
pub use super::msg::{Action, CmdForm, ExportKind, FormField, Msg, Open, Props};
use super::panel_ctx::{PanelCtx, PanelMemo};
use super::protocol_panels::{DIAGRAMS, PANELS};
use super::sections::fold;
pub use super::state::Selection;
use super::state::{resize, ClusterLoopState, Surface, Which};
use super::tour;
use super::verify::{self, VerifyAction, VerifyForm};
use super::{commands, gallery, panels, timebar};
use crate::model::playback::{speed_at, Playback};
use crate::model::session::{event_msg, Session};
use crate::model::tour::Tour;
use crate::paint::canvas::CanvasPainter;
use crate::paint::css_theme;
use crate::sim::cmd::Cmd;
use crate::sim::scenario::Scenario;
use crate::ui::frame_loop::FrameLoop;
use crate::view::cluster_scene::{self, ClusterHit, Layout};
use crate::view::seq_diagram::{self, DiagramHit};
use crate::view::theme::Theme;

/// The scenario the lab opens on, one line per page (`scripts/build-pages.sh`): a page per
/// mechanism opens on its mechanism's tour, told apart by a protocol only that page carries;
/// the everything page and the Cluster page (the two with 2PC) on the failure detector, which
/// every page carries. Chosen at compile time: the page's wasm holds only its own opening.
const DEFAULT_SCENARIO: &str = if cfg!(feature = "proto-tpc") {
    include_str!("../../../static/scenarios/gc-pause.json") // index.html, cluster.html
} else if cfg!(feature = "proto-kv") {
    include_str!("../../../static/scenarios/ha-sentinel-partition.json") // replication.html
} else if cfg!(feature = "proto-log") {
    include_str!("../../../static/scenarios/mq-commit-before-crash.json") // log.html
} else if cfg!(feature = "proto-stock") {
    include_str!("../../../static/scenarios/inventory-no-control.json") // inventory.html
} else {
    include_str!("../../../static/scenarios/gc-pause.json") // the lab with no protocol pages
};

/// Kept alive as long as the observer that calls it.
type ResizeCallback = Closure<dyn FnMut(js_sys::Array)>;

/// The Cluster tab's root component. See the module docs.
pub struct ClusterLab {
    shared: Rc<RefCell<ClusterLoopState>>,
    cluster_ref: NodeRef,
    cluster_box: NodeRef,
    diagram_ref: NodeRef,
    diagram_box: NodeRef,
    log_ref: NodeRef,
    /// Newest log line shown at the last render: the log follows it to the bottom.
    log_tail: Option<usize>,
    frame_loop: Option<FrameLoop>,
    observers: Vec<(ResizeObserver, ResizeCallback)>,
    theme_listener: Option<EventListener>,
    form: CmdForm,
    cmd_error: Option<String>,
    import_error: Option<String>,
    /// The failed load came from the Import section (the paste box or its file picker), so
    /// its message is shown there, thousands of pixels below the top of the side column.
    error_at_import: bool,
    /// Scroll that message into view once drawn (it sits below the button that caused it).
    reveal_import_error: bool,
    gallery: Option<Result<Vec<gallery::Entry>, String>>,
    loading: Option<String>,
    paste: String,
    notable_only: bool,
    explore: ExploreState,
    /// The job workers (`jobs.rs`), started on first use.
    explore_worker: Option<super::worker::JobWorker>,
    verify_worker: Option<super::worker::JobWorker>,
    /// The worker for panels' table jobs (`Msg::TableJob`), and the memo key its job fills.
    #[cfg(feature = "table-jobs")]
    table_worker: Option<super::worker::JobWorker>,
    #[cfg(feature = "table-jobs")]
    table_key: Option<&'static str>,
    /// Share link and embed API (`bridge.rs`).
    bridge: bridge::Bridge,
    /// Shortcut keys (`keyboard.rs`).
    keys: Option<EventListener>,
    /// What the protocol panels keep between renders.
    memo: PanelMemo,
    verify: VerifyForm,
    tour: Tour,
    /// The gallery's filter text and chip.
    filter: gallery::Filter,
    /// Start the tour when the scenario being fetched arrives (the start page asked).
    tour_pending: bool,
    /// Which workspace sections are open (remembered in local storage).
    sections: super::sections::Sections,
    /// The invariants that hold are listed too (they start folded under their count).
    show_holding: bool,
    /// The store's end-of-run check, run in slices after a load (`end_check.rs`).
    #[cfg(feature = "proto-kv")]
    end_check: Option<end_check::EndCheck>,
}

thread_local! {
    /// The mounted tab's scope, and a request made before it mounted. A mailbox rather than a
    /// prop or a context: the start page's requests are events, and a context provider would be
    /// one more component in a bundle at its size ceiling.
    static MAILBOX: RefCell<(Option<yew::html::Scope<ClusterLab>>, Option<Open>)> =
        const { RefCell::new((None, None)) };
}

/// Asks the Cluster tab to open a gallery scenario (and maybe its tour): now if it is mounted,
/// else as soon as it mounts.
pub fn request(o: Open) {
    MAILBOX.with(|m| {
        let mut m = m.borrow_mut();
        match &m.0 {
            Some(scope) => scope.send_message(Msg::Open(Some(o))),
            None => m.1 = Some(o),
        }
    });
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn parse_ms(field: &str, v: &str) -> Result<i64, String> {
    v.trim()
        .parse::<i64>()
        .map_err(|_| format!("{field} must be a whole number of ms, got \"{v}\""))
}

impl ClusterLab {
    /// The store's end-of-run check while it runs: progress 0..1 and steps.
    fn end_check_progress(&self) -> Option<(f64, u64)> {
        #[cfg(feature = "proto-kv")]
        return self.end_check.as_ref().map(end_check::EndCheck::progress);
        #[cfg(not(feature = "proto-kv"))]
        None
    }

    fn kick(&self) {
        if let Some(l) = &self.frame_loop {
            l.kick();
        }
    }

    /// Replaces the session with a freshly loaded scenario; on failure keeps the current one
    /// and says why.
    fn load(&mut self, source: &str, scenario: Result<Scenario, String>) {
        let loaded = scenario.and_then(Session::load_sliced);
        match loaded {
            Ok(session) => {
                crate::ui::share::set_embed_page(crate::model::url::embed_page(
                    &session.scenario().protocols.enabled(),
                ));
                let mut sh = self.shared.borrow_mut();
                sh.play.pause();
                sh.play.set(0.0);
                sh.play.stop_at = Some(session.until());
                sh.sel = Selection::default();
                self.form.side = default_side(&session);
                self.tour = Tour::default();
                self.memo.drop_tables();
                sh.session = Some(session);
                self.import_error = None;
                self.cmd_error = None;
                drop(sh);
                #[cfg(feature = "proto-kv")]
                self.end_check_reset();
                if std::mem::take(&mut self.tour_pending) {
                    self.tour_action(TourAction::Start);
                }
            }
            Err(e) => {
                self.tour_pending = false;
                self.reveal_import_error = self.error_at_import;
                self.import_error = Some(format!(
                    "Could not load {source}: {e}. The current scenario is kept."
                ))
            }
        }
        self.loading = None;
        self.kick();
        let ok = self.import_error.is_none();
        self.load_done(ok);
    }

    /// Builds the command for a button from the form and the selection.
    fn command(&self, action: Action) -> Result<Cmd, String> {
        let sh = self.shared.borrow();
        let session = sh.session.as_ref().ok_or("no scenario is loaded")?;
        let w = session.world();
        let node = || {
            sh.sel
                .node
                .map(|ix| w.name(ix))
                .ok_or_else(|| "select a node first".to_string())
        };
        Ok(match action {
            Action::Crash => Cmd::Crash { node: node()? },
            Action::Recover => Cmd::Recover { node: node()? },
            Action::Pause => Cmd::Pause {
                node: node()?,
                ms: parse_ms("pause", &self.form.pause_ms)?.max(0) as u64,
            },
            Action::ClockJump => Cmd::ClockJump {
                node: node()?,
                delta_ms: parse_ms("clock jump", &self.form.jump_ms)?,
            },
            Action::Isolate => Cmd::Isolate { node: node()? },
            Action::Split => {
                let side: Vec<String> = self
                    .form
                    .side
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                if side.is_empty() {
                    return Err("name the nodes on one side, e.g. \"A, B\"".into());
                }
                Cmd::Partition { side }
            }
            Action::Heal => Cmd::Heal,
            Action::DropMessage => Cmd::DropMessage {
                msg: sh.sel.msg.ok_or("select a message in flight first")?,
            },
            Action::AddNode => {
                let name = self.form.new_node.trim();
                if name.is_empty() {
                    return Err("type a name for the new server".into());
                }
                Cmd::AddNode {
                    node: name.to_string(),
                    weight: 1.0,
                }
            }
            Action::FailNode => Cmd::FailNode { node: node()? },
            Action::RecoverNode => Cmd::RecoverNode { node: node()? },
        })
    }

    fn run(&mut self, cmd: Cmd) {
        let mut sh = self.shared.borrow_mut();
        let Some(s) = sh.session.as_mut() else {
            return;
        };
        match s.apply(cmd.clone()) {
            Ok(_) => {
                self.cmd_error = None;
                let now = s.world().now() as f64;
                sh.play.set(now);
                if matches!(cmd, Cmd::AddNode { .. }) {
                    self.form.new_node.clear();
                }
            }
            Err(e) => self.cmd_error = Some(e),
        }
        drop(sh);
        self.kick();
    }

    /// The tour's buttons: each may move the playhead (a seek, never a fork).
    fn tour_action(&mut self, a: TourAction) {
        let (steps, now) = {
            let sh = self.shared.borrow();
            let Some(s) = sh.session.as_ref() else {
                return;
            };
            (s.scenario().narration.clone(), s.world().now())
        };
        let to = match a {
            TourAction::Start => self.tour.start(&steps),
            TourAction::Next => self.tour.next(&steps),
            TourAction::Back => self.tour.back(&steps),
            TourAction::Answer(k) => self.tour.answer(&steps, k),
            TourAction::Free => {
                self.tour.free_play();
                None
            }
            TourAction::Resume => {
                self.tour.resume(&steps, now);
                None
            }
        };
        if let Some(t) = to {
            self.seek(|s| s.seek_time(t));
        }
    }

    fn seek(&mut self, f: impl FnOnce(&mut Session)) {
        let mut sh = self.shared.borrow_mut();
        sh.play.pause();
        if let Some(s) = sh.session.as_mut() {
            f(s);
            let now = s.world().now() as f64;
            // Back before the scenario's end, playing stops there again.
            let until = s.until();
            sh.play.set(now);
            sh.play.stop_at = (now < until as f64).then_some(until);
        }
        drop(sh);
        self.kick();
    }
}

/// A sensible first guess for "Split": the first half of the servers.
fn default_side(s: &Session) -> String {
    let names = s.scenario().server_names();
    let half = names
        .len()
        .div_ceil(2)
        .min(names.len().saturating_sub(1))
        .max(1);
    names.into_iter().take(half).collect::<Vec<_>>().join(", ")
}

impl Component for ClusterLab {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        let session = Scenario::decode(DEFAULT_SCENARIO.as_bytes())
            .map_err(|e| e.to_string())
            .and_then(Session::load_sliced);
        let (session, import_error) = match session {
            Ok(s) => {
                // The opening scenario's embed points to its own page (on a page per
                // mechanism, that page), as a loaded one's does.
                crate::ui::share::set_embed_page(crate::model::url::embed_page(
                    &s.scenario().protocols.enabled(),
                ));
                (Some(s), None)
            }
            Err(e) => (
                None,
                Some(format!("The default scenario failed to load: {e}")),
            ),
        };
        let mut play = Playback::default();
        play.speed = speed_at(40);
        play.stop_at = session.as_ref().map(Session::until);
        let form = CmdForm {
            side: session.as_ref().map(default_side).unwrap_or_default(),
            ..CmdForm::default()
        };
        let shared = ClusterLoopState {
            session,
            play,
            sel: Selection::default(),
            layout: Layout::Even,
            span_ms: 1000.0,
            active: ctx.props().active,
            legend: crate::ui::legend::initial(),
            cluster: Surface {
                painter: None,
                size: (640.0, 480.0),
            },
            diagram: Surface {
                painter: None,
                size: (640.0, 200.0),
            },
            theme: Theme::light(),
            dpr: 1.0,
            notify: Some(ctx.link().callback(|_| Msg::Tick)),
            last_dom: 0.0,
            ready: false,
        };
        let link = ctx.link().clone();
        yew::platform::spawn_local(async move {
            link.send_message(Msg::Gallery(gallery::fetch_index().await));
        });
        let mut lab = ClusterLab {
            shared: Rc::new(RefCell::new(shared)),
            cluster_ref: NodeRef::default(),
            cluster_box: NodeRef::default(),
            diagram_ref: NodeRef::default(),
            diagram_box: NodeRef::default(),
            log_ref: NodeRef::default(),
            log_tail: None,
            frame_loop: None,
            observers: Vec::new(),
            theme_listener: None,
            form,
            cmd_error: None,
            import_error,
            error_at_import: false,
            reveal_import_error: false,
            gallery: None,
            loading: None,
            paste: String::new(),
            notable_only: false,
            explore: ExploreState::default(),
            explore_worker: None,
            verify_worker: None,
            #[cfg(feature = "table-jobs")]
            table_worker: None,
            #[cfg(feature = "table-jobs")]
            table_key: None,
            verify: VerifyForm::default(),
            tour: Tour::default(),
            filter: gallery::Filter::default(),
            tour_pending: false,
            sections: super::sections::Sections::load(),
            show_holding: false,
            #[cfg(feature = "proto-kv")]
            end_check: None,
            bridge: bridge::Bridge::new(),
            keys: None,
            memo: PanelMemo::default(),
        };
        // The start page's requests: one that came before this tab existed, then the rest.
        let pending = MAILBOX.with(|m| {
            let mut m = m.borrow_mut();
            m.0 = Some(ctx.link().clone());
            m.1.take()
        });
        if let Some(o) = pending {
            ctx.link().send_message(Msg::Open(Some(o)));
        }
        lab.keys = keyboard::listen(Rc::clone(&lab.shared), ctx.link().clone());
        #[cfg(feature = "proto-kv")]
        lab.end_check_reset();
        lab.open_link(ctx);
        lab
    }

    fn changed(&mut self, ctx: &Context<Self>, _old: &Self::Properties) -> bool {
        let active = ctx.props().active;
        let mut sh = self.shared.borrow_mut();
        sh.active = active;
        if !active {
            sh.play.pause();
        }
        drop(sh);
        if active {
            self.kick();
        }
        true
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Tick => {}
            Msg::Play => {
                let mut sh = self.shared.borrow_mut();
                sh.play.play();
                sh.last_dom = 0.0;
                drop(sh);
                self.kick();
            }
            Msg::Pause => {
                self.shared.borrow_mut().play.pause();
                self.kick();
            }
            Msg::Step => self.seek(|s| {
                s.step();
            }),
            Msg::StepBack => self.seek(|s| {
                s.step_back();
            }),
            Msg::SpeedBy(by) => self.nudge_speed(by),
            Msg::Key(k) => return self.on_key(ctx, k),
            Msg::ToggleLegend => {
                let mut sh = self.shared.borrow_mut();
                sh.legend = !sh.legend;
                crate::ui::legend::remember(sh.legend);
                drop(sh);
                self.kick();
            }
            Msg::Export(kind) => {
                self.export(kind);
                return false;
            }
            Msg::Speed(v) => {
                self.shared.borrow_mut().play.speed = speed_at(v);
                self.kick();
            }
            Msg::Scrub(t) => self.seek(|s| s.seek_time(t)),
            Msg::JumpEvent(i) => {
                self.seek(|s| s.seek_event(i));
                let mut sh = self.shared.borrow_mut();
                let msg = sh
                    .session
                    .as_ref()
                    .and_then(|s| s.timeline().recorded().get(i))
                    .and_then(event_msg);
                sh.sel.event = Some(i);
                sh.sel.msg = msg;
            }
            Msg::JumpTime(t) => self.seek(|s| s.seek_time(t)),
            Msg::JumpViolation => {
                let first = self
                    .shared
                    .borrow()
                    .session
                    .as_ref()
                    .and_then(Session::first_violation);
                if let Some((i, _)) = first {
                    return Component::update(self, ctx, Msg::JumpEvent(i));
                }
                return false;
            }
            Msg::Do(action) => match self.command(action) {
                Ok(cmd) => self.run(cmd),
                Err(e) => self.cmd_error = Some(e),
            },
            Msg::Form(field, v) => match field {
                FormField::PauseMs => self.form.pause_ms = v,
                FormField::JumpMs => self.form.jump_ms = v,
                FormField::Side => self.form.side = v,
                FormField::NewNode => self.form.new_node = v,
            },
            Msg::SelectNode(n) => {
                self.shared.borrow_mut().sel.node = n;
                self.kick();
            }
            Msg::SelectMsg(m) => {
                let mut sh = self.shared.borrow_mut();
                sh.sel.msg = m;
                sh.sel.event = None;
                drop(sh);
                self.kick();
            }
            Msg::SelectEvent(i) => {
                let mut sh = self.shared.borrow_mut();
                let msg = sh
                    .session
                    .as_ref()
                    .and_then(|s| s.timeline().recorded().get(i))
                    .and_then(event_msg);
                sh.sel.event = Some(i);
                sh.sel.msg = msg;
                drop(sh);
                self.kick();
            }
            Msg::ClusterClick(x, y) => {
                let hit = self
                    .shared
                    .borrow()
                    .cluster_frame()
                    .and_then(|f| cluster_scene::hit(&f, x, y));
                let mut sh = self.shared.borrow_mut();
                match hit {
                    Some(ClusterHit::Node(n)) => sh.sel.node = Some(n),
                    Some(ClusterHit::Message(m)) => {
                        sh.sel.msg = Some(m);
                        sh.sel.event = None;
                    }
                    None => {
                        sh.sel.msg = None;
                        sh.sel.event = None;
                    }
                }
                drop(sh);
                self.kick();
            }
            Msg::DiagramClick(x, y) => {
                let hit = self
                    .shared
                    .borrow()
                    .diagram_frame()
                    .and_then(|f| seq_diagram::hit(&f, x, y));
                match hit {
                    Some(DiagramHit::Event(i)) => {
                        return Component::update(self, ctx, Msg::SelectEvent(i))
                    }
                    Some(DiagramHit::Message(m)) => {
                        return Component::update(self, ctx, Msg::SelectMsg(Some(m)))
                    }
                    None => return Component::update(self, ctx, Msg::SelectMsg(None)),
                }
            }
            Msg::Layout(l) => {
                self.shared.borrow_mut().layout = l;
                self.kick();
            }
            Msg::Span(ms) => {
                self.shared.borrow_mut().span_ms = ms.clamp(50.0, 600_000.0);
                self.kick();
            }
            Msg::NotableOnly(b) => self.notable_only = b,
            Msg::Gallery(r) => self.gallery = Some(r),
            Msg::GalleryText(t) => self.filter.text = t,
            Msg::GalleryChip(c) => self.filter.chip = c,
            Msg::Section(key, open) => {
                // A <details> already shows its new state; the holding invariants are ours.
                if key == "holding" {
                    self.show_holding = open;
                    return true;
                }
                self.sections.set(key, open);
                return false;
            }
            Msg::Open(None) => return false,
            Msg::Open(Some(o)) => {
                // Gallery files are named after their id; the title comes from the index when
                // it has arrived (it only labels "Loading …").
                let title = match &self.gallery {
                    Some(Ok(list)) => list.iter().find(|e| e.id == o.id).map(|e| e.title.clone()),
                    _ => None,
                };
                self.filter = gallery::Filter {
                    text: String::new(),
                    chip: o.chip.map(String::from),
                };
                self.tour_pending = o.tour;
                let title = title.unwrap_or_else(|| o.id.clone());
                return Component::update(
                    self,
                    ctx,
                    Msg::LoadBuiltin(format!("{}.json", o.id), title),
                );
            }
            Msg::LoadBuiltin(file, title) => {
                crate::ui::share::flush();
                self.bridge.gallery_loading = true;
                self.loading = Some(title.clone());
                let link = ctx.link().clone();
                yew::platform::spawn_local(async move {
                    let r = gallery::fetch_scenario(&file).await;
                    link.send_message(Msg::Loaded(title, r));
                });
            }
            // The three arms below stay written out: one shared `load_text` measured +1.0 KB
            // gzip on log.html, the page closest to its ceiling.
            Msg::Loaded(source, text) => {
                self.error_at_import = false;
                let scenario =
                    text.and_then(|t| Scenario::decode(t.as_bytes()).map_err(|e| e.to_string()));
                self.load(&source, scenario);
            }
            Msg::ImportFile(source, text) => {
                self.error_at_import = true;
                let scenario =
                    text.and_then(|t| Scenario::decode(t.as_bytes()).map_err(|e| e.to_string()));
                self.load(&source, scenario);
            }
            Msg::Paste(v) => {
                self.paste = v;
                return false;
            }
            Msg::ImportPaste => {
                self.error_at_import = true;
                let text = self.paste.clone();
                let scenario = Scenario::decode(text.as_bytes()).map_err(|e| e.to_string());
                self.load("the pasted JSON", scenario);
            }
            Msg::ExploreSeeds(v) => self.explore.seeds = v,
            Msg::ExploreStart => self.explore_start(ctx),
            #[cfg(feature = "proto-kv")]
            Msg::EndCheckTick => return self.end_check_tick(ctx),
            Msg::ExploreCancel => self.explore_cancel(),
            Msg::Job(kind, r) => self.job_reply(kind, r),
            Msg::JobWorkerFailed(kind, e) => self.job_worker_failed(kind, e),
            #[cfg(feature = "table-jobs")]
            Msg::TableJob(key, req) => self.table_job(ctx, key, req),
            Msg::PopState => self.on_popstate(),
            Msg::Embed(origin, text, source) => self.on_message(ctx, origin, text, source),
            Msg::Tour(a) => self.tour_action(a),
            Msg::Memo(key, m) => self.memo.set(key, m),
            Msg::Run(cmd) => self.run(cmd),
            Msg::LoadScenario(label, sc) => self.load(&label, *sc),
            Msg::Verify(VerifyAction::Rms(n)) => self.verify.rms = n,
            Msg::Verify(VerifyAction::Heuristic(h)) => self.verify.heuristic = h,
            Msg::Verify(VerifyAction::Run) => self.verify_run(ctx),
            Msg::Verify(VerifyAction::Cancel) => self.verify_cancel(),
            Msg::ReplayFound => {
                let repro = self.explore.found().map(|f| f.repro.clone());
                if let Some(r) = repro {
                    let title = r.title.clone();
                    self.load(&title, Ok(r));
                }
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let sh = self.shared.borrow();
        let active = ctx.props().active;
        let Some(session) = sh.session.as_ref() else {
            return html! {
                <section id="cluster-view" class="cluster" aria-label="Cluster simulation" hidden={!active}>
                    <p class="error" role="alert">{ self.import_error.clone().unwrap_or_default() }</p>
                </section>
            };
        };
        let vt = sh.play.vt;
        let onclick = link
            .callback(|e: MouseEvent| Msg::ClusterClick(e.offset_x() as f64, e.offset_y() as f64));
        let ondiagram = link
            .callback(|e: MouseEvent| Msg::DiagramClick(e.offset_x() as f64, e.offset_y() as f64));
        let mut label = cluster_scene::describe(session.world(), vt);
        if sh.legend {
            if let Some(scene) = sh.cluster_frame().map(|f| cluster_scene::build(&f)) {
                let words = crate::view::legend::words(&crate::view::legend::entries(
                    &scene,
                    crate::view::legend::Lab::Cluster,
                ));
                label.push(' ');
                label.push_str(&words);
            }
        }
        let legend_toggle =
            crate::ui::legend::toggle(sh.legend, link.callback(|_| Msg::ToggleLegend));
        let diagram_label = format!(
            "Space-time diagram: one lane per node, {} ms around the playhead",
            sh.span_ms as u64
        );
        let (ondragover, ondrop) = export::drop_handlers(link);
        let panel_ctx = PanelCtx {
            session,
            vt,
            on_cmd: link.callback(Msg::Run),
            on_load: link.callback(|(label, sc)| Msg::LoadScenario(label, Box::new(sc))),
            cmd_error: self.cmd_error.as_deref(),
            memo: &self.memo,
            on_memo: link.callback(|(key, m)| Msg::Memo(key, m)),
            on_seek: link.callback(Msg::JumpTime),
            #[cfg(feature = "table-jobs")]
            on_job: link.callback(|(key, req)| Msg::TableJob(key, req)),
        };
        let secs = &self.sections;
        // What the panels send: the lab's messages, without the lab's type.
        let send = link.callback(|m: Msg| m);
        html! {
            <section id="cluster-view" class="cluster" aria-label="Cluster simulation" hidden={!active} {ondragover} {ondrop}>
                <div class="cluster-main">
                    // Timeline, tour and canvas fill the first screen together (style.css).
                    <div class="cluster-top">
                    { timebar::view(session, &sh.play, self.end_check_progress().map(|p| p.0), &send) }
                    { tour::view(session, &self.tour, &send) }
                    <div class="cluster-stage">
                        <div class="canvas-box cluster-box" ref={self.cluster_box.clone()}>
                            <canvas ref={self.cluster_ref.clone()} role="img" aria-label={label} {onclick}></canvas>
                            <p class="canvas-hint" aria-hidden="true">{"Click a node to command it · click a message to follow it"}</p>
                            { legend_toggle }
                        </div>
                        { panels::nodes(session, &sh.sel, &send) }
                    </div>
                    </div>
                    { for PANELS.iter().map(|p| (p.view)(&panel_ctx)) }
                    { fold("diagram", "Space-time diagram", secs, &send, html! {
                        <>
                        <div class="diagram-head">
                            <h2 id="diagram-h">{"Space-time diagram"}</h2>
                            { panels::diagram_controls(sh.span_ms, sh.layout, &send) }
                        </div>
                        <div class="diagram-box" ref={self.diagram_box.clone()} style={diagram_height(session)}>
                            <canvas ref={self.diagram_ref.clone()} role="img" aria-label={diagram_label} onclick={ondiagram}></canvas>
                        </div>
                        </>
                    }) }
                    { for DIAGRAMS.iter().map(|p| (p.view)(&panel_ctx)) }
                    { fold("log", "Events", secs, &send, panels::log(session, &sh.sel, self.notable_only, &self.log_ref, &send)) }
                </div>
                <aside class="cluster-side" aria-label="Cluster controls">
                    { commands::view(session, &sh.sel, &self.form, self.cmd_error.as_deref(), &send) }
                    { fold("invariants", "Invariants", secs, &send, panels::invariants(session, self.show_holding, self.end_check_progress(), &send)) }
                    { fold("scenario", "Scenarios", secs, &send, gallery::view(session, self.gallery.as_ref(), &self.filter, self.loading.as_deref(), self.import_error.as_deref().map(|e| (e, self.error_at_import)), &self.paste, &send)) }
                    if !session.scenario().narration.is_empty() {
                        { fold("narration", "Narration", secs, &send, panels::narration(session, &send)) }
                    }
                    { fold("explore", "Explore", secs, &send, explore::view(session, &self.explore, &send)) }
                    // The abstract 2PC checker belongs with the 2PC lab: a page without it
                    // (replication.html) shows no Verify panel.
                    if cfg!(feature = "proto-tpc") {
                        { fold("verify", "Verify 2PC", secs, &send, verify::view(&self.verify, &send)) }
                    }
                </aside>
            </section>
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        self.after_render();
        #[cfg(feature = "proto-kv")]
        self.end_check_kick(ctx);
        // The title follows the lab and the scenario (tabs, bookmarks, history).
        if ctx.props().active {
            let title = self
                .shared
                .borrow()
                .session
                .as_ref()
                .map(|s| format!("{} · Cluster · ringlab", s.scenario().title));
            if let Some(t) = title {
                crate::ui::shell::set_title(&t);
            }
        }
        if std::mem::take(&mut self.reveal_import_error) {
            let el = gloo_utils::document()
                .query_selector("#cluster-view .import-error")
                .ok()
                .flatten();
            if let Some(el) = el {
                // Bottom-aligned: the message shows just under the button, above the fold's end.
                el.scroll_into_view_with_bool(false);
            }
        }
        // Newest last: keep the log scrolled to its end whenever the playhead moved.
        let tail = self
            .shared
            .borrow()
            .session
            .as_ref()
            .map(|s| s.timeline().position());
        if tail != self.log_tail {
            self.log_tail = tail;
            if let Some(el) = self.log_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        }
        if !first_render {
            return;
        }
        let (Some(cc), Some(dc)) = (
            self.cluster_ref.cast::<HtmlCanvasElement>(),
            self.diagram_ref.cast::<HtmlCanvasElement>(),
        ) else {
            return;
        };
        {
            let mut sh = self.shared.borrow_mut();
            match (CanvasPainter::new(cc.clone()), CanvasPainter::new(dc)) {
                (Ok(a), Ok(b)) => {
                    sh.cluster.painter = Some(a);
                    sh.diagram.painter = Some(b);
                    sh.theme = css_theme::read(&cc);
                }
                (Err(e), _) | (_, Err(e)) => {
                    web_sys::console::error_2(&"ringlab: no canvas for the cluster".into(), &e);
                    return;
                }
            }
        }
        let shared = Rc::clone(&self.shared);
        let frame_loop = FrameLoop::new(move |ts| shared.borrow_mut().frame(ts));
        for (bx, which) in [
            (&self.cluster_box, Which::Cluster),
            (&self.diagram_box, Which::Diagram),
        ] {
            let Some(el) = bx.cast::<HtmlElement>() else {
                continue;
            };
            let rect = el.get_bounding_client_rect();
            resize(&self.shared, which, rect.width(), rect.height());
            let shared = Rc::clone(&self.shared);
            let handle = frame_loop.handle();
            let cb = Closure::wrap(Box::new(move |entries: js_sys::Array| {
                if let Some(entry) = entries.get(0).dyn_ref::<ResizeObserverEntry>() {
                    let r = entry.content_rect();
                    resize(&shared, which, r.width(), r.height());
                    handle.kick();
                }
            }) as Box<dyn FnMut(js_sys::Array)>);
            if let Ok(observer) = ResizeObserver::new(cb.as_ref().unchecked_ref()) {
                observer.observe(&el);
                self.observers.push((observer, cb));
            }
        }
        if let Some(mql) = web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        {
            let shared = Rc::clone(&self.shared);
            let handle = frame_loop.handle();
            self.theme_listener = Some(EventListener::new(&mql, "change", move |_| {
                shared.borrow_mut().theme = css_theme::read(&cc);
                handle.kick();
            }));
        }
        frame_loop.kick();
        self.frame_loop = Some(frame_loop);
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        for (observer, _) in self.observers.drain(..) {
            observer.disconnect();
        }
        self.theme_listener = None;
        self.explore_worker = None;
        self.verify_worker = None;
        #[cfg(feature = "table-jobs")]
        {
            self.table_worker = None;
        }
        self.shared.borrow_mut().notify = None;
        self.frame_loop = None;
        MAILBOX.with(|m| m.borrow_mut().0 = None);
    }
}

/// The diagram is as tall as its lanes need (within reason).
fn diagram_height(s: &Session) -> String {
    let lanes = s.world().nodes().len() as f64;
    format!(
        "height: {}px",
        (seq_diagram::AXIS + seq_diagram::BOTTOM + 6.0 + lanes * 34.0).clamp(120.0, 380.0)
    )
}
