//! Scenarios: the built-in gallery (`scenarios/index.json`, fetched by a relative URL so the
//! app works under any `--public-url`), a file picker and a paste box. Whatever comes in goes
//! through `Scenario::decode`; a bad file shows the decoder's message and keeps the current
//! scenario.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::msg::{ExportKind, Msg};
use crate::model::catalog::{self, MECHANISMS};
use crate::model::session::Session;
use crate::sim::scenario::MAX_FILE_BYTES;

/// One entry of `scenarios/index.json` (the catalogue owns the type, so the CLI and the
/// start page read the same fields).
pub use crate::model::catalog::Entry;

fn js_error(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "the browser refused".to_string())
}

async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("{url}: {}", js_error(e)))?;
    let resp: web_sys::Response = resp
        .dyn_into()
        .map_err(|_| format!("{url}: not an HTTP response"))?;
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let text = JsFuture::from(resp.text().map_err(js_error)?)
        .await
        .map_err(js_error)?;
    text.as_string()
        .ok_or_else(|| format!("{url}: the body is not text"))
}

/// Fetches and parses the gallery index.
pub async fn fetch_index() -> Result<Vec<Entry>, String> {
    let text = fetch_text("scenarios/index.json").await?;
    catalog::parse_index(&text)
}

/// Fetches one built-in scenario by the file name its index entry gives.
pub async fn fetch_scenario(file: &str) -> Result<String, String> {
    // Only plain names next to the index: the index is ours, but a URL is not a path.
    if file.is_empty() || file.contains(['/', '\\', ':', '?', '#']) || file.starts_with('.') {
        return Err(format!("\"{file}\" is not a scenario file name"));
    }
    fetch_text(&format!("scenarios/{file}")).await
}

/// Reads a picked file as text, refusing anything over the decoder's size limit first.
pub async fn read_file(file: web_sys::File) -> Result<String, String> {
    if file.size() > MAX_FILE_BYTES as f64 {
        return Err(format!(
            "scenario: file is {} bytes; at most {MAX_FILE_BYTES}",
            file.size() as u64
        ));
    }
    let text = JsFuture::from(file.text()).await.map_err(js_error)?;
    text.as_string()
        .ok_or_else(|| "the file is not text".to_string())
}

/// What the gallery's filter shows: the text typed and the mechanism chip pressed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Words that must all appear (see `Entry::matches`).
    pub text: String,
    /// Mechanism key, or None for all.
    pub chip: Option<String>,
}

/// The filter box and the mechanism chips above the list.
fn filter_view(
    f: &Filter,
    shown: usize,
    total: usize,
    here: &[&str],
    link: &Callback<Msg>,
) -> Html {
    let on_text = link.reform(|e: InputEvent| {
        Msg::GalleryText(e.target_unchecked_into::<HtmlInputElement>().value())
    });
    let chip = |key: Option<&'static str>, label: &'static str| {
        let on = f.chip.as_deref() == key;
        html! {
            <button class="chip" aria-pressed={on.to_string()}
                onclick={link.reform(move |_| Msg::GalleryChip(key.map(String::from)))}>{label}</button>
        }
    };
    html! {
        <div class="gallery-tools">
            <input type="search" aria-label="Filter scenarios" placeholder="Filter: pause, crash, Redlock…"
                value={f.text.clone()} oninput={on_text} />
            <div class="chips" role="group" aria-label="Mechanism">
                { chip(None, "All") }
                { for MECHANISMS.iter().filter(|m| m.lab.is_some() && catalog::carried(m.key, here)).map(|m| chip(Some(m.key), m.name)) }
            </div>
            <p class="muted small" role="status">{ format!("{shown} of {total} scenarios") }</p>
        </div>
    }
}

/// One scenario's button as HTML: title, line, faults and its outcome in words. The index's
/// text goes in unescaped: it is ours, and `tests/catalog.rs` keeps HTML's special characters
/// out of it (escaping code would cost the bundle, which is at its ceiling).
fn item(out: &mut String, en: &Entry, current: bool) {
    let faults = if en.faults.is_empty() {
        "no injected fault".to_string()
    } else {
        format!("faults: {}", en.faults.join(", "))
    };
    let title = &en.title;
    out.push_str(&format!(
        "<li><button class=\"gallery-item{cur}\" data-file=\"{file}\" data-title=\"{title}\" \
         aria-label=\"Load {title}\"{aria}><strong>{title}</strong><span>{summary}</span>\
         <span class=\"meta\"><span class=\"outcome{bad}\">{outcome}</span><span>{faults}</span>{now}</span>\
         </button></li>",
        cur = if current { " current" } else { "" },
        file = en.file,
        aria = if current { " aria-current=\"true\"" } else { "" },
        summary = en.summary,
        bad = if en.violation { " bad" } else { "" },
        outcome = en.outcome(),
        now = if current { "<span class=\"now\">● loaded</span>" } else { "" },
    ));
}

/// The gallery: filter, chips and the matching scenarios grouped by mechanism; Tab and the
/// arrow keys walk the results, the loaded one marked. The list is one HTML string under one delegated click listener: with fifty
/// scenarios coming, per-item virtual DOM would cost the bundle more than the whole feature.
fn list_view(all: &[Entry], current: &str, f: &Filter, link: &Callback<Msg>) -> Html {
    // A lab page built with some protocols lists only the scenarios it can run.
    let here = crate::sim::proto::dispatch::names();
    let list: Vec<Entry> = all
        .iter()
        .filter(|e| catalog::carried(&e.mechanism, &here))
        .cloned()
        .collect();
    let elsewhere = all.len() - list.len();
    let list = &list[..];
    let groups = catalog::grouped(list, &f.text, f.chip.as_deref());
    let shown = groups.iter().map(|(_, g)| g.len()).sum();
    let mut html = String::new();
    for (key, items) in groups {
        let name = catalog::mechanism_name(key);
        html.push_str(&format!(
            "<li class=\"gallery-group\"><h4>{name}</h4><ul aria-label=\"{name}\">"
        ));
        for en in items {
            item(&mut html, en, en.id == current);
        }
        html.push_str("</ul></li>");
    }
    let send = link.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        let b = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("button.gallery-item").ok().flatten());
        let file_and_title = b.and_then(|b| {
            Some((
                b.get_attribute("data-file")?,
                b.get_attribute("data-title")?,
            ))
        });
        if let Some((file, title)) = file_and_title {
            send.emit(Msg::LoadBuiltin(file, title));
        }
    });
    html! {
        <>
            { filter_view(f, shown, list.len(), &here, link) }
            <ul class="gallery" aria-label="Scenarios" data-arrows="" {onclick} onkeydown={Callback::from(arrows)}>
                { Html::from_html_unchecked(html.into()) }
            </ul>
            if shown == 0 {
                <p class="muted small">{"No scenario matches. Clear the filter or pick All."}</p>
            }
            if elsewhere > 0 {
                <p class="muted small" data-testid="gallery-elsewhere">
                    { format!("{elsewhere} more scenarios, of mechanisms this page leaves out, open in ") }
                    <a href="index.html">{"the full lab"}</a>{"."}
                </p>
            }
        </>
    }
}

/// The scenario button after (`down`) or before the focused one, across groups.
fn neighbour(b: &web_sys::Element, down: bool) -> Option<web_sys::Element> {
    const ITEM: &str = "button.gallery-item";
    let li = b.parent_element()?;
    let sib = |e: &web_sys::Element| {
        if down {
            e.next_element_sibling()
        } else {
            e.previous_element_sibling()
        }
    };
    if let Some(n) = sib(&li) {
        return n.query_selector(ITEM).ok().flatten();
    }
    let mut group = li.closest("li.gallery-group").ok().flatten()?;
    let edge = if down {
        "li:first-child > button.gallery-item"
    } else {
        "li:last-child > button.gallery-item"
    };
    loop {
        group = sib(&group)?;
        if let Some(x) = group.query_selector(edge).ok().flatten() {
            return Some(x);
        }
    }
}

/// Arrow keys move between the scenario cards (↓ → next, ↑ ← previous, Home / End the
/// ends); Enter opens the focused one (a button). The page's shortcuts leave these keys to
/// the list (`data-arrows`, see `ui::keyboard`).
fn arrows(e: KeyboardEvent) {
    let Some(b) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("button.gallery-item").ok().flatten())
    else {
        return;
    };
    let next = match e.key().as_str() {
        "ArrowDown" | "ArrowRight" => neighbour(&b, true),
        "ArrowUp" | "ArrowLeft" => neighbour(&b, false),
        "Home" | "End" => {
            let list = b.closest("ul.gallery").ok().flatten();
            let sel = if e.key() == "Home" {
                "button.gallery-item"
            } else {
                "li.gallery-group:last-child li:last-child > button.gallery-item"
            };
            list.and_then(|l| l.query_selector(sel).ok().flatten())
        }
        _ => return,
    };
    e.prevent_default();
    if let Some(n) = next.and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = n.focus();
    }
}

/// One export button: a single copy of the code for all four (the bundle is at its ceiling).
#[inline(never)]
fn export_button(link: &Callback<Msg>, label: &'static str, kind: ExportKind) -> Html {
    html! { <button onclick={link.reform(move |_| Msg::Export(kind))}>{ label }</button> }
}

/// The scenario panel: what is loaded, the gallery, and the two ways to import. A failed load
/// is said at the top, or beside the Import controls when they caused it (`error`: the
/// message and whether the Import section caused it).
#[allow(clippy::too_many_arguments)]
pub fn view(
    s: &Session,
    entries: Option<&Result<Vec<Entry>, String>>,
    filter: &Filter,
    loading: Option<&str>,
    error: Option<(&str, bool)>,
    paste: &str,
    link: &Callback<Msg>,
) -> Html {
    let sc = s.scenario();
    let on_file = {
        let link = link.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            // The same file picked twice must fire `change` again.
            input.set_value("");
            let name = file.name();
            let link = link.clone();
            yew::platform::spawn_local(async move {
                let text = read_file(file).await;
                link.emit(Msg::ImportFile(name, text));
            });
        })
    };
    let on_paste = link.reform(|e: InputEvent| {
        Msg::Paste(e.target_unchecked_into::<HtmlTextAreaElement>().value())
    });
    html! {
        <section class="panel scenario" aria-labelledby="scenario-h">
            <h2 id="scenario-h">{"Scenario"}</h2>
            <p class="scenario-title" data-testid="scenario-title"><strong>{ sc.title.clone() }</strong></p>
            if !sc.summary.is_empty() {
                <p class="muted small">{ sc.summary.clone() }</p>
            }
            <p class="muted small">{ format!("id {} · seed {} · until {} ms", sc.id, sc.seed, sc.until_ms) }</p>
            if let Some((e, false)) = error {
                <p class="error" role="alert">{ e.to_string() }</p>
            }
            <h3>{"Gallery"}</h3>
            { match entries {
                None => html! { <p class="muted small">{"Loading the gallery…"}</p> },
                Some(Err(e)) => html! { <p class="error">{ format!("The gallery could not be loaded: {e}") }</p> },
                Some(Ok(list)) => list_view(list, &sc.id, filter, link),
            } }
            if let Some(what) = loading {
                <p class="muted small" role="status">{ format!("Loading {what}…") }</p>
            }
            <h3>{"Import"}</h3>
            <label class="file">
                <span>{"Load scenario JSON"}</span>
                <input type="file" accept=".json,application/json" onchange={on_file} />
            </label>
            <textarea aria-label="Scenario JSON" rows="3" placeholder="…or paste a scenario here"
                value={paste.to_string()} oninput={on_paste} />
            <div class="row">
                <button onclick={link.reform(|_| Msg::ImportPaste)}>{"Load pasted JSON"}</button>
            </div>
            if let Some((e, true)) = error {
                <p class="error import-error" role="alert">{ e.to_string() }</p>
            }
            <p class="muted small">{"…or drop a scenario file anywhere on this tab."}</p>
            <h3>{"Export"}</h3>
            <div class="row" role="group" aria-label="Export">
                { export_button(link, "PNG", ExportKind::Png) }
                { export_button(link, "SVG", ExportKind::Svg) }
                { export_button(link, "Trace (JSON lines)", ExportKind::Trace) }
                { export_button(link, "Scenario (JSON)", ExportKind::Scenario) }
            </div>
        </section>
    }
}
