//! Whether the canvas legend shows: off in an embed unless its URL asks (`legend=1`); on a
//! page, what the visitor last chose (local storage), or on at first when the window is wide
//! enough for the legend to leave the picture room. Both canvases share the choice.

use yew::prelude::*;

use crate::ui::{share, store};

/// Local-storage key of the visitor's choice ("1" / "0").
const KEY: &str = "ringlab.legend";
/// Narrower windows start without the legend (it would cover most of a phone's canvas).
const WIDE_PX: f64 = 760.0;

/// Whether the legend shows when a canvas is created.
pub fn initial() -> bool {
    let opts = share::embed_opts();
    if opts.on {
        return opts.legend;
    }
    match store::get(KEY).as_deref() {
        Some("1") => true,
        Some("0") => false,
        _ => web_sys::window()
            .and_then(|w| w.inner_width().ok())
            .and_then(|v| v.as_f64())
            .is_some_and(|w| w >= WIDE_PX),
    }
}

/// Remembers the visitor's choice (never in an embed: the host page's URL decides there).
pub fn remember(on: bool) {
    if !share::embed_opts().on {
        store::set(KEY, if on { "1" } else { "0" });
    }
}

/// The toggle over a canvas's corner (hidden in embeds by the style sheet; `L` does the same).
pub fn toggle(on: bool, onclick: Callback<MouseEvent>) -> Html {
    html! {
        <button class="legend-toggle" aria-pressed={if on { "true" } else { "false" }}
            title="Show or hide the legend (L)" {onclick}>{"Legend"}</button>
    }
}

/// Room under the legend for the toggle button (none in an embed, which has no button).
pub fn room() -> f64 {
    let embed = gloo_utils::document()
        .document_element()
        .is_some_and(|r| r.get_attribute("data-embed").is_some());
    if embed {
        crate::view::legend::INSET
    } else {
        crate::view::legend::BUTTON_ROOM
    }
}
