//! The only code that touches `CanvasRenderingContext2d`: it draws a `Scene` batch by batch
//! and reads the theme from the page's CSS custom properties.

pub mod canvas;
pub mod css_theme;
