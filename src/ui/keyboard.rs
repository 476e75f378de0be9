//! Keydowns as shortcuts (`model::shortcuts` decides which key is which), shared by the shell and
//! every lab: keys typed into a field, a slider or a select box stay theirs.

use wasm_bindgen::JsCast;

use crate::model::shortcuts::{self, Shortcut};

/// Reads a keydown as a shortcut: the key, the focused element, modifiers.
pub fn read(e: &web_sys::KeyboardEvent) -> Option<Shortcut> {
    let target = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
    let tag = target.as_ref().map(|t| t.tag_name()).unwrap_or_default();
    let editable = target.is_some_and(|t| t.is_content_editable());
    shortcuts::shortcut(
        &e.key(),
        &tag,
        editable,
        e.ctrl_key() || e.meta_key() || e.alt_key(),
    )
}
