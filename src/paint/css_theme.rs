//! Reads the theme's colours from CSS custom properties, so the canvas follows
//! `prefers-color-scheme` exactly like the HTML around it.

use web_sys::Element;

use crate::view::theme::Theme;

/// The current theme as computed on `el` (usually the canvas); the light palette when the
/// style cannot be read.
pub fn read(el: &Element) -> Theme {
    let style = web_sys::window().and_then(|w| w.get_computed_style(el).ok().flatten());
    match style {
        Some(style) => {
            Theme::from_lookup(|name| style.get_property_value(name).unwrap_or_default())
        }
        None => Theme::light(),
    }
}
