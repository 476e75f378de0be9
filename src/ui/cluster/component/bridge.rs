//! The Cluster tab's outside connections, kept apart from the component's own logic: its
//! share-link state (written after each render while paused, restored on open and on
//! Back/Forward) and, in embed mode, the postMessage API (`model::embed` validates; this file
//! only moves strings). Replies go to the sender's origin, never `*`.

use gloo_events::EventListener;
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use super::{ClusterLab, Msg};
use crate::model::embed::{self, EmbedOpts, HostMsg, LoadFrom, StateReport};
use crate::model::share::ClusterState;
use crate::sim::scenario::Scenario;
use crate::ui::share;
use crate::view::cluster_scene::Layout;

/// Embed-mode state: who the host is, what it subscribed to, what was reported.
#[derive(Default)]
pub(super) struct Bridge {
    pub(super) opts: EmbedOpts,
    /// Origin that `ready`, `resize` and `event` go to (the parent, once known and allowed).
    host: Option<String>,
    kinds: Vec<String>,
    /// Trace position up to which subscribed events were posted.
    reported: usize,
    last_height: f64,
    /// A gallery `load` waiting for its fetch: (origin, id).
    pending_load: Option<(String, Option<Value>)>,
    listener: Option<EventListener>,
    popstate: Option<EventListener>,
    /// A gallery scenario is being fetched: once loaded, its link is a new history entry.
    pub(super) gallery_loading: bool,
    /// The next link write is a new history entry.
    push_next: bool,
    ready_sent: bool,
}

impl Bridge {
    /// With this page's embed options.
    pub(super) fn new() -> Self {
        Bridge {
            opts: share::embed_opts(),
            ..Default::default()
        }
    }
}

/// Posts `text` (JSON) as a plain object to `target` at `origin`; serde-wasm-bindgen builds
/// the JavaScript value (maps as objects, as the host page reads them).
fn post(target: &JsValue, text: &str, origin: &str) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(text.as_bytes()) else {
        return;
    };
    let Ok(data) = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()) else {
        return;
    };
    let Ok(f) = js_sys::Reflect::get(target, &"postMessage".into()) else {
        return;
    };
    if let Some(f) = f.dyn_ref::<js_sys::Function>() {
        let _ = f.call2(target, &data, &origin.into());
    }
}

fn parent() -> Option<JsValue> {
    let w = web_sys::window()?;
    let p = w.parent().ok()??;
    // A top-level page is its own parent: nobody to talk to.
    (!js_sys::Object::is(&p, &w)).then(|| p.into())
}

/// The embedding page's origin: `location.ancestorOrigins[0]` where the browser has it, else
/// the referrer's origin.
fn parent_origin() -> Option<String> {
    let w = web_sys::window()?;
    let loc = js_sys::Reflect::get(&w, &"location".into()).ok()?;
    if let Ok(list) = js_sys::Reflect::get(&loc, &"ancestorOrigins".into()) {
        if let Ok(first) = js_sys::Reflect::get(&list, &0.into()) {
            if let Some(o) = first.as_string() {
                return Some(o);
            }
        }
    }
    let r = gloo_utils::document().referrer();
    let rest = r.split_once("://")?;
    let host = rest.1.split('/').next()?;
    Some(format!("{}://{host}", rest.0))
}

impl ClusterLab {
    /// The tab's share state (None before a session exists).
    pub(super) fn link_state(&self) -> Option<ClusterState> {
        let sh = self.shared.borrow();
        let s = sh.session.as_ref()?;
        Some(ClusterState::capture(
            s,
            sh.play.vt,
            sh.play.speed,
            sh.layout == Layout::Ring,
            sh.span_ms,
            sh.sel.node,
        ))
    }

    /// Replaces the session with a shared one and puts playback where the sender had it.
    pub(super) fn restore_link(&mut self, c: &ClusterState) -> Result<(), String> {
        let session = c.restore()?;
        let mut sh = self.shared.borrow_mut();
        sh.play.pause();
        sh.play.set(c.vt);
        sh.play.speed = c.speed.clamp(
            crate::model::playback::MIN_SPEED,
            crate::model::playback::MAX_SPEED,
        );
        sh.play.stop_at = ((c.vt as u64) < session.until()).then_some(session.until());
        sh.layout = if c.ring_layout {
            Layout::Ring
        } else {
            Layout::Even
        };
        sh.span_ms = c.span_ms.clamp(50.0, 600_000.0);
        sh.sel = super::Selection {
            node: c
                .selected
                .filter(|&n| (n as usize) < session.world().nodes().len()),
            ..Default::default()
        };
        self.form.side = super::default_side(&session);
        share::set_embed_page(crate::model::url::embed_page(
            &session.scenario().protocols.enabled(),
        ));
        sh.session = Some(session);
        drop(sh);
        self.import_error = None;
        self.cmd_error = None;
        self.bridge.reported = 0;
        self.kick();
        Ok(())
    }

    /// At creation: the opening link's cluster state, then the embed options.
    pub(super) fn open_link(&mut self, ctx: &Context<Self>) {
        let (opened, error) = share::take_opened();
        if let Some(c) = opened {
            if let Err(e) = self.restore_link(&c) {
                self.import_error = Some(format!(
                    "This link could not be opened ({e}); showing the default scenario instead."
                ));
            }
        } else if let Some(e) = error {
            self.import_error = Some(e);
        }
        let o = self.bridge.opts.clone();
        let mut sh = self.shared.borrow_mut();
        if let Some(s) = o.speed {
            sh.play.speed = s;
        }
        if let Some(t) = o.start {
            if let Some(s) = sh.session.as_mut() {
                s.seek_time(t);
                let now = s.world().now() as f64;
                sh.play.set(now);
            }
        }
        if o.autoplay {
            sh.play.play();
        }
        drop(sh);
        if let Some(w) = web_sys::window() {
            let link = ctx.link().clone();
            self.bridge.popstate = Some(EventListener::new(&w, "popstate", move |_| {
                link.send_message(Msg::PopState)
            }));
            if o.on {
                let link = ctx.link().clone();
                self.bridge.listener = Some(EventListener::new(&w, "message", move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else {
                        return;
                    };
                    let data = e.data();
                    // A host may send JSON text or an object; serde-wasm-bindgen reads an
                    // object into a JSON value, which the one validator then checks.
                    let text = match data.as_string() {
                        Some(s) => s,
                        None => serde_wasm_bindgen::from_value::<serde_json::Value>(data)
                            .map(|v| v.to_string())
                            .unwrap_or_default(),
                    };
                    let source: JsValue = e.source().map_or(JsValue::NULL, Into::into);
                    link.send_message(Msg::Embed(e.origin(), text, source));
                }));
                let origin = parent_origin().filter(|o| self.bridge.opts.allows(o));
                self.bridge.host = origin;
            }
        }
    }

    /// Back/Forward: adopt the state the fragment now holds.
    pub(super) fn on_popstate(&mut self) {
        let Some(Ok(state)) = crate::model::share::from_fragment(&share::hash()) else {
            return;
        };
        if share::is_current_cluster(state.cluster.as_ref()) {
            return;
        }
        share::adopt(&state);
        let r = match &state.cluster {
            Some(c) => self.restore_link(c),
            None => {
                let s =
                    Scenario::decode(super::DEFAULT_SCENARIO.as_bytes()).map_err(|e| e.to_string());
                self.load("the default scenario", s);
                Ok(())
            }
        };
        if let Err(e) = r {
            self.import_error = Some(format!("This link could not be opened ({e})."));
        }
    }

    /// After every render: the link (while paused), subscribed events, the content height.
    pub(super) fn after_render(&mut self) {
        let playing = self.shared.borrow().play.playing;
        if !playing {
            if let Some(c) = self.link_state() {
                share::set_cluster(c);
                if std::mem::take(&mut self.bridge.push_next) {
                    share::push();
                }
            }
        }
        if !self.bridge.opts.on {
            return;
        }
        let Some(host) = self.bridge.host.clone() else {
            return;
        };
        let Some(target) = parent() else {
            return;
        };
        if !self.bridge.ready_sent {
            self.bridge.ready_sent = true;
            let id = self.scenario_id();
            post(&target, &embed::ready(&id), &host);
        }
        self.post_events(&target, &host);
        // The content's natural height: the canvas counted at 16:11 of its width rather than
        // at whatever the iframe's height gives it, so an auto-height host cannot feed back.
        let total = gloo_utils::document()
            .get_element_by_id("cluster-view")
            .map_or(0.0, |el| el.get_bounding_client_rect().height());
        let canvas = self
            .cluster_box
            .cast::<web_sys::Element>()
            .map(|el| el.get_bounding_client_rect());
        let h = match canvas {
            Some(r) => (total - r.height() + (r.width() * 11.0 / 16.0).max(120.0)).round(),
            None => total,
        };
        if (h - self.bridge.last_height).abs() >= 1.0 {
            self.bridge.last_height = h;
            post(&target, &embed::resize(h), &host);
        }
    }

    fn scenario_id(&self) -> String {
        let sh = self.shared.borrow();
        sh.session
            .as_ref()
            .map(|s| s.scenario().id.clone())
            .unwrap_or_default()
    }

    fn post_events(&mut self, target: &JsValue, host: &str) {
        let sh = self.shared.borrow();
        let Some(s) = sh.session.as_ref() else {
            return;
        };
        let pos = s.timeline().position();
        let from = self.bridge.reported;
        self.bridge.reported = pos;
        if self.bridge.kinds.is_empty() || pos <= from {
            return;
        }
        let w = s.world();
        let rec = s.timeline().recorded();
        let mut sent = 0;
        for (i, e) in rec.iter().enumerate().take(pos).skip(from) {
            let kind = e.what.kind();
            if embed::subscribed(&self.bridge.kinds, kind) && sent < 500 {
                sent += 1;
                post(target, &embed::event(kind, i, e.t, &w.describe(e)), host);
            }
        }
    }

    fn report(&self) -> StateReport {
        let sh = self.shared.borrow();
        let s = sh.session.as_ref();
        StateReport {
            scenario: s.map(|s| s.scenario().id.clone()).unwrap_or_default(),
            t: sh.play.vt.max(0.0) as u64,
            head: s.map_or(0, |s| s.timeline().head_time()),
            playing: sh.play.playing,
            speed: sh.play.speed,
            position: s.map_or(0, |s| s.timeline().position()),
            violations: s
                .map(|s| {
                    s.invariants()
                        .into_iter()
                        .filter(|r| r.violated.is_some())
                        .map(|r| r.name.to_string())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// A gallery `load` finished: answer the host that asked.
    pub(super) fn load_done(&mut self, ok: bool) {
        if std::mem::take(&mut self.bridge.gallery_loading) && ok {
            self.bridge.push_next = true;
        }
        let Some((origin, id)) = self.bridge.pending_load.take() else {
            return;
        };
        let Some(target) = parent() else {
            return;
        };
        let text = if ok {
            embed::state(&self.report(), id.as_ref())
        } else {
            embed::error(
                self.import_error.as_deref().unwrap_or("load failed"),
                id.as_ref(),
            )
        };
        post(&target, &text, &origin);
    }

    /// One message from another window. Refused ones get an `error` and change nothing.
    pub(super) fn on_message(
        &mut self,
        ctx: &Context<Self>,
        origin: String,
        text: String,
        source: JsValue,
    ) {
        if source.is_null() || origin == "null" {
            return;
        }
        if !self.bridge.opts.allows(&origin) {
            let m = format!("origin {origin} may not drive this embed");
            post(&source, &embed::error(&m, None), &origin);
            return;
        }
        let (msg, id) = match embed::parse_host(&text) {
            Ok(x) => x,
            Err((m, id)) => {
                post(&source, &embed::error(&m, id.as_ref()), &origin);
                return;
            }
        };
        // The first valid message makes its sender the host for unsolicited messages.
        if self.bridge.host.is_none() {
            self.bridge.host = Some(origin.clone());
        }
        let mut error = None;
        match msg {
            HostMsg::Play => {
                Component::update(self, ctx, Msg::Play);
            }
            HostMsg::Pause => {
                Component::update(self, ctx, Msg::Pause);
            }
            HostMsg::Step => {
                Component::update(self, ctx, Msg::Step);
            }
            HostMsg::Seek(t) => {
                Component::update(self, ctx, Msg::Scrub(t));
            }
            HostMsg::SetSpeed(s) => {
                self.shared.borrow_mut().play.speed = s;
                self.kick();
            }
            HostMsg::GetState => {}
            HostMsg::Subscribe(kinds) => {
                self.bridge.kinds = kinds;
                self.bridge.reported = self
                    .shared
                    .borrow()
                    .session
                    .as_ref()
                    .map_or(0, |s| s.timeline().position());
            }
            HostMsg::Command(cmd) => {
                self.run(cmd);
                error = self.cmd_error.take();
            }
            HostMsg::Load(LoadFrom::Json(json)) => {
                let s = Scenario::decode(json.as_bytes()).map_err(|e| e.to_string());
                let ok = s.is_ok();
                self.load("the host's scenario", s);
                if !ok {
                    error = self.import_error.clone();
                }
            }
            HostMsg::Load(LoadFrom::Gallery(g)) => {
                self.bridge.pending_load = Some((origin, id));
                Component::update(self, ctx, Msg::LoadBuiltin(format!("{g}.json"), g));
                return;
            }
        }
        let reply = match error {
            Some(e) => embed::error(&e, id.as_ref()),
            None => embed::state(&self.report(), id.as_ref()),
        };
        post(&source, &reply, &origin);
        ctx.link().send_message(Msg::Tick);
    }
}
