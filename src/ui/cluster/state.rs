//! State shared by the Cluster tab's component and its frame loop: the session, playback,
//! selection and the two canvases. A frame advances time while playing, paints both
//! canvases, and asks Yew to re-render at most every [`DOM_EVERY_MS`].

use std::cell::RefCell;
use std::rc::Rc;

use yew::Callback;

use crate::model::playback::Playback;
use crate::model::session::Session;
use crate::paint::canvas::CanvasPainter;
use crate::sim::ids::MsgId;
use crate::sim::ids::NodeIx;
use crate::sim::time::Time;
use crate::view::cluster_scene::{self, ClusterFrame, Layout};
use crate::view::legend::{self, Lab};
use crate::view::scene::Scene;
use crate::view::seq_diagram::{self, DiagramFrame};
use crate::view::theme::Theme;

/// While playing, the DOM panels re-render at most this often (wall ms).
pub const DOM_EVERY_MS: f64 = 120.0;

/// What is selected; the three views highlight the same thing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Selection {
    /// A message (its arrow, its dot, its log lines).
    pub msg: Option<MsgId>,
    /// An event (its tick and log line).
    pub event: Option<usize>,
    /// The node commands apply to.
    pub node: Option<NodeIx>,
}

#[derive(Default)]
pub(super) struct Surface {
    pub(super) painter: Option<CanvasPainter>,
    pub(super) size: (f64, f64),
}

/// State read by the frame loop every frame and written by the component on every input.
pub struct ClusterLoopState {
    /// The loaded scenario and its history (None only if even the bundled default failed).
    pub session: Option<Session>,
    /// Playing/paused, speed and playhead.
    pub play: Playback,
    /// What is highlighted.
    pub sel: Selection,
    /// Where servers sit.
    pub layout: Layout,
    /// Width of the diagram's window (virtual ms).
    pub span_ms: f64,
    /// False while the tab is hidden: no frames.
    pub active: bool,
    /// The canvas legend is drawn (`ui::legend`).
    pub legend: bool,
    pub(super) cluster: Surface,
    pub(super) diagram: Surface,
    pub(super) theme: Theme,
    pub(super) dpr: f64,
    pub(super) notify: Option<Callback<()>>,
    pub(super) last_dom: f64,
    pub(super) ready: bool,
}

impl ClusterLoopState {
    /// One frame: advance time if playing, paint both canvases; returns whether another
    /// frame is wanted (only while playing).
    pub(super) fn frame(&mut self, ts: f64) -> bool {
        if !self.active {
            return false;
        }
        let was_playing = self.play.playing;
        if was_playing {
            let vt = self.play.tick(ts);
            if let Some(s) = self.session.as_mut() {
                s.advance_to(vt.floor() as Time);
            }
        }
        self.paint();
        if !self.ready && self.cluster.painter.is_some() {
            self.ready = true;
            if let Some(root) = gloo_utils::document().document_element() {
                let _ = root.set_attribute("data-cluster-ready", "1");
                // On the Cluster page nothing else paints: its first frame is the page's.
                if !crate::ui::tabs::on_this_page(crate::model::url::Tab::Ring) {
                    let _ = root.set_attribute("data-ready", "1");
                }
            }
        }
        if let Some(root) = gloo_utils::document().document_element() {
            let _ = root.set_attribute(
                "data-cluster-playing",
                if self.play.playing { "1" } else { "0" },
            );
        }
        if was_playing && (!self.play.playing || ts - self.last_dom >= DOM_EVERY_MS) {
            self.last_dom = ts;
            if let Some(n) = &self.notify {
                n.emit(());
            }
        }
        self.play.playing
    }

    /// How long finished messages leave a trail: long enough to be seen at the current speed.
    fn trail_ms(&self) -> f64 {
        (self.play.speed * 150.0).clamp(15.0, 600.0)
    }

    pub(super) fn cluster_frame(&self) -> Option<ClusterFrame<'_>> {
        let s = self.session.as_ref()?;
        Some(ClusterFrame {
            world: s.world(),
            now: self.play.vt,
            recent: s.timeline().trace(),
            trail_ms: self.trail_ms(),
            selected_msg: self.sel.msg,
            selected_node: self.sel.node,
            event_node: self
                .sel
                .event
                .and_then(|i| s.timeline().recorded().get(i))
                .and_then(|e| e.node),
            layout: self.layout,
            width: self.cluster.size.0,
            height: self.cluster.size.1,
        })
    }

    pub(super) fn diagram_frame(&self) -> Option<DiagramFrame<'_>> {
        let s = self.session.as_ref()?;
        let tl = s.timeline();
        Some(DiagramFrame {
            world: s.world(),
            trace: tl.recorded(),
            position: tl.position(),
            now: self.play.vt,
            span_ms: self.span_ms,
            selected_msg: self.sel.msg,
            selected_event: self.sel.event,
            width: self.diagram.size.0,
            height: self.diagram.size.1,
        })
    }

    /// The cluster canvas's display list, with the legend when it is on (the canvas and the
    /// SVG export paint this same scene).
    pub(super) fn cluster_scene(&self) -> Option<Scene> {
        let f = self.cluster_frame()?;
        let mut scene = cluster_scene::build(&f);
        if self.legend {
            let e = legend::entries(&scene, Lab::Cluster);
            legend::attach(&mut scene, &e, crate::ui::legend::room());
        }
        Some(scene)
    }

    fn paint(&self) {
        if let (Some(p), Some(scene)) = (&self.cluster.painter, self.cluster_scene()) {
            if let Err(e) = p.paint(&scene, &self.theme, self.dpr) {
                web_sys::console::error_2(&"ringlab: painting the cluster failed".into(), &e);
            }
        }
        if let (Some(p), Some(f)) = (&self.diagram.painter, self.diagram_frame()) {
            if let Err(e) = p.paint(&seq_diagram::build(&f), &self.theme, self.dpr) {
                web_sys::console::error_2(&"ringlab: painting the diagram failed".into(), &e);
            }
        }
    }
}

/// Which canvas a resize is for.
#[derive(Clone, Copy)]
pub(super) enum Which {
    Cluster,
    Diagram,
}

/// Sizes a canvas to its box × devicePixelRatio (ignoring the 0×0 of a hidden tab).
pub(super) fn resize(shared: &Rc<RefCell<ClusterLoopState>>, which: Which, w: f64, h: f64) {
    let dpr = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let mut sh = shared.borrow_mut();
    sh.dpr = dpr;
    let surface = match which {
        Which::Cluster => &mut sh.cluster,
        Which::Diagram => &mut sh.diagram,
    };
    // A hidden tab reports 0×0: keep the last real size so nothing degenerates.
    if w < 1.0 || h < 1.0 {
        return;
    }
    surface.size = (w, h);
    if let Some(p) = &mut surface.painter {
        p.resize(w, h, dpr);
    }
}
