//! The Cluster workspace's collapsible sections (`<details>`): which are open, remembered in
//! local storage so a returning visitor finds the workspace as they left it. Everything is
//! open until closed, so nothing a tutorial points at starts out of sight. In an embed every
//! section is open: the host's `panels=` decides what shows.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::msg::Msg;
use crate::ui::store;

/// Local-storage key: the closed sections' keys, space-separated.
const KEY: &str = "ringlab.closed";

/// The closed sections (all others are open).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sections {
    closed: String,
    embed: bool,
}

impl Sections {
    /// As the visitor left them.
    pub fn load() -> Self {
        let embed = gloo_utils::document()
            .document_element()
            .is_some_and(|r| r.get_attribute("data-embed").is_some());
        Sections {
            closed: store::get(KEY).unwrap_or_default(),
            embed,
        }
    }

    /// Whether `key` is open.
    pub fn is_open(&self, key: &str) -> bool {
        self.embed || !self.closed.split(' ').any(|k| k == key)
    }

    /// Records a toggle and stores it (never in an embed: the host page owns that layout).
    pub fn set(&mut self, key: &str, open: bool) {
        if self.embed {
            return;
        }
        let mut keys: Vec<&str> = self
            .closed
            .split(' ')
            .filter(|k| !k.is_empty() && *k != key)
            .collect();
        if !open {
            keys.push(key);
        }
        self.closed = keys.join(" ");
        store::set(KEY, &self.closed);
    }
}

/// A collapsible section around a panel: the summary is the panel's name, the panel's own
/// heading stays for screen readers (CSS hides the duplicate).
pub fn fold(
    key: &'static str,
    title: &'static str,
    sections: &Sections,
    link: &Callback<Msg>,
    body: Html,
) -> Html {
    let ontoggle = link.reform(move |e: Event| {
        let open = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| el.get_attribute("open").is_some());
        Msg::Section(key, open)
    });
    html! {
        <details class={classes!("fold", format!("fold-{key}"))} open={sections.is_open(key)} {ontoggle}>
            <summary>{ title }</summary>
            { body }
        </details>
    }
}
