//! The page shell every lab page shares: the header (title, tabs, Copy link, Embed,
//! Shortcuts), the shortcut sheet and its two keys (`?`, Esc). A page is the shell plus the
//! lab components it carries; a tab whose lab another page carries navigates there, taking
//! the link state along, so each page downloads only its own lab's code.

use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::model::shortcuts::{Shortcut, SHEET};
use crate::model::url::Tab;
use crate::ui::{share, tabs};

/// What the shell needs from the page.
#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    /// The open tab.
    pub tab: Tab,
    /// A tab carried by this page was chosen.
    pub on_tab: Callback<Tab>,
    /// "Start" shows the start page (only the everything page has one).
    #[prop_or_default]
    pub start: Option<Callback<()>>,
    /// The start page is showing (the tabs then mark no lab).
    #[prop_or_default]
    pub start_shown: bool,
}

/// Whether the shortcut sheet is open; `None` toggles it, `Some(b)` sets it. A reducer, so
/// the window's key listener (made once) always acts on the current value.
#[derive(Default, PartialEq)]
struct Sheet(bool);

impl Reducible for Sheet {
    type Action = Option<bool>;

    fn reduce(self: Rc<Self>, open: Option<bool>) -> Rc<Self> {
        Rc::new(Sheet(open.unwrap_or(!self.0)))
    }
}

/// The header and the shortcut sheet (nothing in embeds).
#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    let share_text = use_state(|| None::<(&'static str, String)>);
    let share_note = use_state(|| None::<&'static str>);
    let sheet = use_reducer(Sheet::default);
    let share_ref = use_node_ref();
    let embed = use_memo((), |_| share::embed_opts());

    {
        let sheet = sheet.dispatcher();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                EventListener::new(&w, "keydown", move |e| {
                    let key = e
                        .dyn_ref::<web_sys::KeyboardEvent>()
                        .and_then(crate::ui::keyboard::read);
                    match key {
                        Some(Shortcut::Help) => sheet.dispatch(None),
                        Some(Shortcut::Close) => sheet.dispatch(Some(false)),
                        _ => {}
                    }
                })
            });
            move || drop(listener)
        });
    }

    if embed.on {
        return Html::default();
    }
    let copy_link = {
        let (text, note, field) = (share_text.clone(), share_note.clone(), share_ref.clone());
        Callback::from(move |_| {
            let url = share::url();
            text.set(Some(("Link to this state", url.clone())));
            note.set(None);
            let (note, field) = (note.clone(), field.clone());
            yew::platform::spawn_local(async move {
                let ok = share::copy(&url).await;
                // Fallback: the link is selected in its field, ready for Ctrl+C.
                if let (false, Some(t)) = (ok, field.cast::<web_sys::HtmlTextAreaElement>()) {
                    let _ = t.focus();
                    t.select();
                }
                note.set(Some(if ok {
                    "Link copied."
                } else {
                    "Select the link and copy it (Ctrl+C)."
                }));
            });
        })
    };
    let show_embed = {
        let (text, note) = (share_text.clone(), share_note.clone());
        Callback::from(move |_| {
            text.set(Some(("Embed snippet", share::embed_snippet())));
            note.set(None);
        })
    };
    let toggle_keys = {
        let sheet = sheet.dispatcher();
        Callback::from(move |_| sheet.dispatch(None))
    };
    let on_tab = {
        let on_tab = props.on_tab.clone();
        Callback::from(move |t: Tab| {
            if tabs::on_this_page(t) {
                on_tab.emit(t);
            } else {
                tabs::go(t);
            }
        })
    };
    html! {
        <>
        <header class="app-header">
            <h1>{"ring"}<span>{"lab"}</span></h1>
            <p>{"Watch keys move, locks hand off and transactions commit, abort or block, in a deterministic simulated cluster."}</p>
            if let Some(start) = &props.start {
                <button class="link start-link" aria-current={props.start_shown.then_some("page")}
                    onclick={start.reform(|_: MouseEvent| ())}>{"Start"}</button>
            }
            { tabs::bar(props.tab, on_tab) }
            <div class="share-bar">
                <button onclick={copy_link}>{"Copy link"}</button>
                <button onclick={show_embed}>{"Embed"}</button>
                <button aria-keyshortcuts="?" aria-expanded={sheet.0.to_string()}
                    onclick={toggle_keys.clone()}>{"Shortcuts"}</button>
            </div>
            if let Some((label, text)) = &*share_text {
                <div class="share-out">
                    <textarea readonly=true rows="2" aria-label={*label} value={text.clone()} ref={share_ref.clone()}
                        onfocus={Callback::from(|e: FocusEvent| {
                            if let Some(t) = e.target_dyn_into::<web_sys::HtmlTextAreaElement>() { t.select(); }
                        })} />
                    if let Some(note) = *share_note {
                        <span role="status">{note}</span>
                    }
                </div>
            }
        </header>
        if sheet.0 {
            <section class="panel keys-sheet" role="dialog" aria-label="Keyboard shortcuts">
                <h2>{"Keyboard shortcuts"}</h2>
                <table>
                    { for SHEET.iter().map(|(k, what)| html! { <tr><th scope="row"><kbd>{*k}</kbd></th><td>{*what}</td></tr> }) }
                </table>
                <p class="muted small">{"Ignored while typing in a field. Every shortcut is also a button."}</p>
                <button onclick={toggle_keys}>{"Close"}</button>
            </section>
        }
        </>
    }
}

/// Marks the page's root element for embed mode (`data-embed`, `data-panels`,
/// `data-controls`, `data-theme`), so the stylesheet drops the chrome before the first
/// frame on every page.
pub fn mark_embed() {
    let embed = share::embed_opts();
    if let Some(root) = gloo_utils::document().document_element() {
        if embed.on {
            let _ = root.set_attribute("data-embed", "1");
            let _ = root.set_attribute("data-panels", &embed.panels.join(" "));
            let controls = match embed.controls {
                crate::model::embed::Controls::Full => "full",
                crate::model::embed::Controls::Minimal => "minimal",
                crate::model::embed::Controls::None => "none",
            };
            let _ = root.set_attribute("data-controls", controls);
        }
        if !embed.theme.attr().is_empty() {
            let _ = root.set_attribute("data-theme", embed.theme.attr());
        }
    }
}

/// The page's title for what is showing (each lab sets its own; the Cluster tab adds the scenario).
pub fn set_title(title: &str) {
    thread_local! {
        /// The title last set: compared here rather than read back from the page.
        static SHOWN: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    SHOWN.with(|s| {
        let mut s = s.borrow_mut();
        if *s != title {
            title.clone_into(&mut s);
            gloo_utils::document().set_title(title);
        }
    });
}
