//! The Cluster workspace's collapsible sections (`<details>`): which are open, remembered in
//! local storage so a returning visitor finds the workspace as they left it. Everything is
//! open until closed (so nothing a tutorial points at starts out of sight), except the
//! invariants that hold, which start folded under "14 holding · 1 broken". In an embed every
//! section is open: the host's `panels=` decides what shows.

use wasm_bindgen::JsCast;
use yew::html::Scope;
use yew::prelude::*;

use super::component::{ClusterLab, Msg};
use crate::ui::store;

/// Local-storage key: the toggled sections, space-separated, as `+key` (open) or `-key`.
const KEY: &str = "ringlab.sections";

/// Sections that start closed.
const CLOSED_BY_DEFAULT: [&str; 1] = ["holding"];

/// The sections toggled away from their default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sections {
    toggled: Vec<String>,
    embed: bool,
}

impl Sections {
    /// As the visitor left them.
    pub fn load() -> Self {
        let embed = gloo_utils::document()
            .document_element()
            .is_some_and(|r| r.has_attribute("data-embed"));
        let toggled = store::get(KEY)
            .map(|s| s.split_whitespace().map(String::from).collect())
            .unwrap_or_default();
        Sections { toggled, embed }
    }

    /// Whether `key` is open.
    pub fn is_open(&self, key: &str) -> bool {
        if self.embed {
            return true;
        }
        let default = !CLOSED_BY_DEFAULT.contains(&key);
        if self
            .toggled
            .iter()
            .any(|k| k.strip_prefix('+') == Some(key))
        {
            true
        } else if self
            .toggled
            .iter()
            .any(|k| k.strip_prefix('-') == Some(key))
        {
            false
        } else {
            default
        }
    }

    /// Records a toggle and stores it (never in an embed: the host page owns that layout).
    pub fn set(&mut self, key: &str, open: bool) {
        if self.embed {
            return;
        }
        self.toggled.retain(|k| k.get(1..) != Some(key));
        self.toggled
            .push(format!("{}{key}", if open { '+' } else { '-' }));
        store::set(KEY, &self.toggled.join(" "));
    }
}

/// A collapsible section around a panel: the summary is the panel's name, the panel's own
/// heading stays for screen readers (CSS hides the duplicate).
pub fn fold(
    key: &'static str,
    title: &'static str,
    sections: &Sections,
    link: &Scope<ClusterLab>,
    body: Html,
) -> Html {
    let ontoggle = link.callback(move |e: Event| {
        let open = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| el.has_attribute("open"));
        Msg::Section(key, open)
    });
    html! {
        <details class={classes!("fold", format!("fold-{key}"))} open={sections.is_open(key)} {ontoggle}>
            <summary>{ title }</summary>
            { body }
        </details>
    }
}
