//! Keydowns as shortcuts (`model::shortcuts` decides which key is which), shared by the shell and
//! every lab: keys typed into a field, a slider or a select box stay theirs, and the arrows
//! stay with a list that walks its items with them (`data-arrows`).

use wasm_bindgen::JsCast;

use crate::model::shortcuts::{self, Shortcut};

/// Reads a keydown as a shortcut: the key, the focused element, modifiers.
pub fn read(e: &web_sys::KeyboardEvent) -> Option<Shortcut> {
    let target = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
    let tag = target.as_ref().map(|t| t.tag_name()).unwrap_or_default();
    let editable = target.as_ref().is_some_and(|t| t.is_content_editable());
    // A list that walks its items with the arrows (the gallery) keeps them.
    let arrows = matches!(
        e.key().as_str(),
        "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown"
    ) && target
        .as_ref()
        .and_then(|t| t.closest("[data-arrows]").ok().flatten())
        .is_some();
    if arrows {
        return None;
    }
    shortcuts::shortcut(
        &e.key(),
        &tag,
        editable,
        e.ctrl_key() || e.meta_key() || e.alt_key(),
    )
}
