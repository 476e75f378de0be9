//! The tab bar in the header and the `?tab=` query that opens a tab directly. Switching
//! replaces the URL (no new history entry per click) and keeps other query parameters.

use yew::prelude::*;

use crate::model::url::{page_of, query_with_tab, sibling, tab_from_query, Tab};

/// The tab the page's URL asks for (the hash ring when it says nothing or nonsense).
pub fn current() -> Tab {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .map_or(Tab::Ring, |s| tab_from_query(&s))
}

/// Whether this page carries the tab's lab (the everything page carries both; the Hash
/// ring page and the Cluster page one each, chosen by cargo features).
pub fn on_this_page(tab: Tab) -> bool {
    match tab {
        Tab::Ring => cfg!(feature = "ring-tab"),
        Tab::Cluster => cfg!(feature = "cluster-tab"),
    }
}

/// The tab this page opens on: the one the query asks for if this page carries it.
pub fn initial() -> Tab {
    let t = current();
    if on_this_page(t) {
        t
    } else if on_this_page(Tab::Ring) {
        Tab::Ring
    } else {
        Tab::Cluster
    }
}

/// Opens the page that carries `tab`, with this page's link state (the fragment) along.
pub fn go(tab: Tab) {
    crate::ui::share::flush();
    let Some(w) = web_sys::window() else {
        return;
    };
    let loc = w.location();
    let (Ok(path), Ok(search), Ok(hash)) = (loc.pathname(), loc.search(), loc.hash()) else {
        return;
    };
    let url = sibling(&path, page_of(tab), &query_with_tab(&search, tab), &hash);
    let _ = loc.assign(&url);
}

/// Writes `tab` into the address bar so reloading or sharing the link reopens it.
pub fn remember(tab: Tab) {
    let Some(w) = web_sys::window() else {
        return;
    };
    let loc = w.location();
    let (Ok(path), Ok(search), Ok(hash)) = (loc.pathname(), loc.search(), loc.hash()) else {
        return;
    };
    let url = format!("{path}{}{hash}", query_with_tab(&search, tab));
    if let Ok(history) = w.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The tab bar: buttons with `role="tab"`, the open one `aria-selected`.
pub fn bar(current: Tab, onselect: Callback<Tab>) -> Html {
    let tab = |t: Tab, label: &'static str, panel: &'static str| {
        let onselect = onselect.clone();
        let selected = t == current;
        html! {
            <button role="tab" id={format!("tab-{}", t.key())} aria-selected={selected.to_string()}
                aria-controls={panel} tabindex={if selected { "0" } else { "-1" }}
                class={classes!("tab", selected.then_some("active"))}
                onclick={Callback::from(move |_| onselect.emit(t))}>{label}</button>
        }
    };
    html! {
        <nav class="tabs" role="tablist" aria-label="Views">
            { tab(Tab::Ring, "Hash ring", "ring-view") }
            { tab(Tab::Cluster, "Cluster", "cluster-view") }
        </nav>
    }
}
