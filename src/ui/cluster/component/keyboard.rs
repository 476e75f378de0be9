//! The Cluster tab's keyboard shortcuts (`model::shortcuts` decides which key is which): Space,
//! ← →, + −, N, F, R, L. Active only while the tab shows; keys typed into fields are left alone.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::{Action, ClusterLab, Msg};
use crate::model::playback::{slider_for, speed_at};
use crate::model::shortcuts::Shortcut;
use crate::ui::cluster::state::ClusterLoopState;

pub use crate::ui::keyboard::read;

/// Listens on the window while the component lives.
pub(super) fn listen(
    shared: Rc<RefCell<ClusterLoopState>>,
    link: yew::html::Scope<ClusterLab>,
) -> Option<EventListener> {
    let w = web_sys::window()?;
    let opts = EventListenerOptions::enable_prevent_default();
    Some(EventListener::new_with_options(
        &w,
        "keydown",
        opts,
        move |e| {
            let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                return;
            };
            if !shared.borrow().active {
                return;
            }
            let Some(k) = read(e) else {
                return;
            };
            if matches!(k, Shortcut::Help | Shortcut::Close | Shortcut::Remove) {
                return;
            }
            // Space and the arrows would scroll the page as well.
            e.prevent_default();
            link.send_message(Msg::Key(k));
        },
    ))
}

impl ClusterLab {
    /// Runs a shortcut the same way its button does.
    pub(super) fn on_key(&mut self, ctx: &Context<Self>, k: Shortcut) -> bool {
        let playing = self.shared.borrow().play.playing;
        let msg = match k {
            Shortcut::PlayPause if playing => Msg::Pause,
            Shortcut::PlayPause => Msg::Play,
            Shortcut::StepBack => Msg::StepBack,
            Shortcut::StepForward => Msg::Step,
            Shortcut::Faster => Msg::SpeedBy(4),
            Shortcut::Slower => Msg::SpeedBy(-4),
            Shortcut::AddNode => {
                if self.form.new_node.trim().is_empty() {
                    self.form.new_node = self.next_server_name();
                }
                Msg::Do(Action::AddNode)
            }
            Shortcut::Fail => Msg::Do(Action::Crash),
            Shortcut::Recover => Msg::Do(Action::Recover),
            Shortcut::Legend => Msg::ToggleLegend,
            Shortcut::Remove | Shortcut::Help | Shortcut::Close => return false,
        };
        Component::update(self, ctx, msg)
    }

    /// The speed slider moved by `by` steps.
    pub(super) fn nudge_speed(&mut self, by: i32) {
        let mut sh = self.shared.borrow_mut();
        let at = slider_for(sh.play.speed) as i32 + by;
        sh.play.speed = speed_at(at.max(0) as u32);
        drop(sh);
        self.kick();
    }

    /// A free server name for N: the first of E, F, … (then S1, S2, …) not in the world.
    fn next_server_name(&self) -> String {
        let sh = self.shared.borrow();
        let taken = |n: &str| {
            sh.session
                .as_ref()
                .is_some_and(|s| s.world().node_ix(n).is_some())
        };
        (b'A'..=b'Z')
            .map(|c| (c as char).to_string())
            .chain((1..).map(|i| format!("S{i}")))
            .find(|n| !taken(n))
            .unwrap_or_default()
    }
}
