//! Scenarios: the built-in gallery (`scenarios/index.json`, fetched by a relative URL so the
//! app works under any `--public-url`), a file picker and a paste box. Whatever comes in goes
//! through `Scenario::decode`; a bad file shows the decoder's message and keeps the current
//! scenario.

use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::html::Scope;
use yew::prelude::*;

use super::component::{ClusterLab, ExportKind, Msg};
use crate::sim::scenario::MAX_FILE_BYTES;
use crate::view::session::Session;

/// One entry of `scenarios/index.json`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Entry {
    /// Scenario id.
    pub id: String,
    /// File name next to the index.
    pub file: String,
    /// Human title.
    pub title: String,
    /// One line for the list.
    #[serde(default)]
    pub summary: String,
}

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
    serde_json::from_str(&text).map_err(|e| format!("scenarios/index.json: {e}"))
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

/// The scenario panel: what is loaded, the gallery, and the two ways to import.
pub fn view(
    s: &Session,
    entries: Option<&Result<Vec<Entry>, String>>,
    loading: Option<&str>,
    error: Option<&str>,
    paste: &str,
    link: &Scope<ClusterLab>,
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
                link.send_message(Msg::Loaded(name, text));
            });
        })
    };
    let on_paste = link.callback(|e: InputEvent| {
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
            if let Some(e) = error {
                <p class="error" role="alert">{ e.to_string() }</p>
            }
            <h3>{"Gallery"}</h3>
            { match entries {
                None => html! { <p class="muted small">{"Loading the gallery…"}</p> },
                Some(Err(e)) => html! { <p class="error">{ format!("The gallery could not be loaded: {e}") }</p> },
                Some(Ok(list)) => html! {
                    <ul class="gallery" aria-label="Scenarios">
                        { for list.iter().map(|en| {
                            let (file, title) = (en.file.clone(), en.title.clone());
                            let current = en.id == sc.id;
                            html! {
                                <li>
                                    <button class={classes!("gallery-item", current.then_some("current"))}
                                        aria-label={format!("Load {}", en.title)}
                                        onclick={link.callback(move |_| Msg::LoadBuiltin(file.clone(), title.clone()))}>
                                        <strong>{ en.title.clone() }</strong>
                                        <span>{ en.summary.clone() }</span>
                                    </button>
                                </li>
                            }
                        }) }
                    </ul>
                },
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
                <button onclick={link.callback(|_| Msg::ImportPaste)}>{"Load pasted JSON"}</button>
            </div>
            <p class="muted small">{"…or drop a scenario file anywhere on this tab."}</p>
            <h3>{"Export"}</h3>
            <div class="row" role="group" aria-label="Export">
                <button onclick={link.callback(|_| Msg::Export(ExportKind::Png))}>{"PNG"}</button>
                <button onclick={link.callback(|_| Msg::Export(ExportKind::Svg))}>{"SVG"}</button>
                <button onclick={link.callback(|_| Msg::Export(ExportKind::Trace))}>{"Trace (JSON lines)"}</button>
                <button onclick={link.callback(|_| Msg::Export(ExportKind::Scenario))}>{"Scenario (JSON)"}</button>
            </div>
        </section>
    }
}
