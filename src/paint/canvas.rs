//! Paints a `Scene` on a 2D canvas: one path per batch, so cost follows the number of inks,
//! not the number of keys.

use std::f64::consts::TAU;

use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::view::geom::polar;
use crate::view::raster::{self, KeyRaster, SQUARE_BELOW};
use crate::view::ring_scene::{self, RingFrame, RingGeometry};
use crate::view::scene::{Align, Circle, LineBatch, Scene};
use crate::view::theme::Theme;

/// A canvas plus its 2D context, and an offscreen copy of the static layer.
pub struct CanvasPainter {
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    base: Option<(HtmlCanvasElement, CanvasRenderingContext2d)>,
    base_key: Option<u64>,
    /// The ring's keys (and dense band) as pixels, updated in place between base layers.
    raster: KeyRaster,
}

fn context_2d(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("this browser gives no 2D canvas context"))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(JsValue::from)
}

impl CanvasPainter {
    /// Wraps a canvas; fails if the browser will not give a 2D context.
    pub fn new(canvas: HtmlCanvasElement) -> Result<Self, JsValue> {
        let ctx = context_2d(&canvas)?;
        Ok(CanvasPainter {
            canvas,
            ctx,
            base: None,
            base_key: None,
            raster: KeyRaster::new(),
        })
    }

    /// The canvas element.
    pub fn canvas(&self) -> &HtmlCanvasElement {
        &self.canvas
    }

    /// Sizes the backing store to CSS size × devicePixelRatio so lines stay crisp; returns
    /// true when the size actually changed.
    pub fn resize(&mut self, css_w: f64, css_h: f64, dpr: f64) -> bool {
        let w = (css_w * dpr).round().max(1.0) as u32;
        let h = (css_h * dpr).round().max(1.0) as u32;
        if self.canvas.width() == w && self.canvas.height() == h {
            return false;
        }
        self.canvas.set_width(w);
        self.canvas.set_height(h);
        self.base_key = None;
        true
    }

    /// Draws a whole frame. `dpr` maps the scene's CSS pixels to device pixels.
    pub fn paint(&self, scene: &Scene, theme: &Theme, dpr: f64) -> Result<(), JsValue> {
        draw(&self.ctx, scene, theme, dpr, true)
    }

    /// Draws a hash-ring frame: the cached base layer plus `overlay`. When `key` says the base
    /// is stale, the keys (and on a dense ring the band) are brought up to date in the pixel
    /// raster, which recomputes only what changed, put on the offscreen canvas in one call,
    /// and the few vector items (ticks, labels, markers, sparse arcs) are drawn over it. This
    /// keeps every base rebuild at 100,000 keys within a frame.
    pub fn paint_ring(
        &mut self,
        key: u64,
        frame: &RingFrame<'_>,
        overlay: &Scene,
        theme: &Theme,
        dpr: f64,
    ) -> Result<(), JsValue> {
        let (w, h) = (self.canvas.width(), self.canvas.height());
        self.ensure_layer(w, h)?;
        let Some((layer, layer_ctx)) = &self.base else {
            return Ok(());
        };
        if self.base_key != Some(key) {
            let g = RingGeometry::fit(frame.width, frame.height);
            let paints = ring_scene::key_paints(frame, theme);
            let band = ring_scene::is_dense(frame.ring)
                .then(|| ring_scene::band(frame, theme, raster::band_bins(&g, dpr)));
            self.raster.update(&raster::Input {
                width: w as usize,
                height: h as usize,
                dpr,
                geometry: g,
                hashes: frame.keys.hashes(),
                radius: ring_scene::still_dot_radius(frame),
                paints: &paints,
                bg: theme.bg,
                band,
            });
            let image =
                ImageData::new_with_u8_clamped_array_and_sh(Clamped(self.raster.pixels()), w, h)?;
            layer_ctx.put_image_data(&image, 0.0, 0.0)?;
            draw(
                layer_ctx,
                &ring_scene::build_base_vector(frame),
                theme,
                dpr,
                false,
            )?;
            self.base_key = Some(key);
        }
        self.ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0)?;
        self.ctx
            .draw_image_with_html_canvas_element(layer, 0.0, 0.0)?;
        draw(&self.ctx, overlay, theme, dpr, false)
    }

    /// Creates the offscreen layer on first use and keeps it at the canvas size.
    fn ensure_layer(&mut self, w: u32, h: u32) -> Result<(), JsValue> {
        if self.base.is_none() {
            let doc = web_sys::window()
                .and_then(|w| w.document())
                .ok_or_else(|| JsValue::from_str("no document for the offscreen canvas"))?;
            let c: HtmlCanvasElement = doc.create_element("canvas")?.dyn_into()?;
            let ctx = context_2d(&c)?;
            self.base = Some((c, ctx));
            self.base_key = None;
        }
        if let Some((layer, _)) = &self.base {
            if layer.width() != w || layer.height() != h {
                layer.set_width(w);
                layer.set_height(h);
                self.base_key = None;
            }
        }
        Ok(())
    }

    /// Draws a frame from a cached static layer plus a fresh overlay. `base` is only built
    /// and painted (offscreen) when `key` differs from the cached layer's; otherwise the frame
    /// is one image copy plus the overlay, which is what keeps large rings at 60 fps.
    pub fn paint_layered(
        &mut self,
        key: u64,
        base: impl FnOnce() -> Scene,
        overlay: &Scene,
        theme: &Theme,
        dpr: f64,
    ) -> Result<(), JsValue> {
        let (w, h) = (self.canvas.width(), self.canvas.height());
        self.ensure_layer(w, h)?;
        let Some((layer, layer_ctx)) = &self.base else {
            return Ok(());
        };
        if self.base_key != Some(key) {
            draw(layer_ctx, &base(), theme, dpr, true)?;
            self.base_key = Some(key);
        }
        self.ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0)?;
        self.ctx
            .draw_image_with_html_canvas_element(layer, 0.0, 0.0)?;
        draw(&self.ctx, overlay, theme, dpr, false)
    }
}

/// Draws one scene; `clear` fills the background first (the base layer does, the overlay
/// must not).
fn draw(
    ctx: &CanvasRenderingContext2d,
    scene: &Scene,
    theme: &Theme,
    dpr: f64,
    clear: bool,
) -> Result<(), JsValue> {
    ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0)?;
    if clear {
        ctx.set_fill_style_str(&theme.bg.css());
        // Whole device pixels: a fractional CSS height would leave the last row half covered,
        // showing whatever an earlier, taller frame left there.
        ctx.fill_rect(
            0.0,
            0.0,
            scene.width.ceil() + 1.0,
            scene.height.ceil() + 1.0,
        );
    }
    ctx.set_line_cap("butt");

    for batch in &scene.rects {
        ctx.set_global_alpha(batch.alpha.clamp(0.0, 1.0));
        ctx.set_fill_style_str(&theme.resolve(batch.ink).css());
        ctx.begin_path();
        for r in &batch.rects {
            ctx.rect(r[0] as f64, r[1] as f64, r[2] as f64, r[3] as f64);
        }
        ctx.fill();
    }
    ctx.set_global_alpha(1.0);
    for c in &scene.circles {
        circle(ctx, c, theme)?;
    }
    for batch in &scene.arcs {
        ctx.set_stroke_style_str(&theme.resolve(batch.ink).css());
        ctx.set_line_width(batch.width);
        ctx.begin_path();
        for &(a0, a1) in &batch.spans {
            let (x, y) = polar(batch.cx, batch.cy, batch.r, a0);
            ctx.move_to(x, y);
            ctx.arc(batch.cx, batch.cy, batch.r, a0, a1)?;
        }
        ctx.stroke();
    }
    for batch in &scene.ticks {
        ctx.set_stroke_style_str(&theme.resolve(batch.ink).css());
        ctx.set_line_width(batch.width);
        ctx.begin_path();
        for &a in &batch.angles {
            let (x0, y0) = polar(batch.cx, batch.cy, batch.r0, a);
            let (x1, y1) = polar(batch.cx, batch.cy, batch.r1, a);
            ctx.move_to(x0, y0);
            ctx.line_to(x1, y1);
        }
        ctx.stroke();
    }
    for batch in &scene.lines {
        lines(ctx, batch, theme)?;
    }
    for batch in &scene.dots {
        ctx.set_fill_style_str(&theme.resolve(batch.ink).css());
        ctx.begin_path();
        let r = batch.radius;
        if r < SQUARE_BELOW {
            for &(x, y) in &batch.xy {
                ctx.rect(x as f64 - r, y as f64 - r, 2.0 * r, 2.0 * r);
            }
        } else {
            for &(x, y) in &batch.xy {
                ctx.move_to(x as f64 + r, y as f64);
                ctx.arc(x as f64, y as f64, r, 0.0, TAU)?;
            }
        }
        ctx.fill();
    }
    for c in &scene.markers {
        circle(ctx, c, theme)?;
    }
    ctx.set_text_baseline("middle");
    for label in &scene.labels {
        ctx.set_font(&format!(
            "{}{}px system-ui, sans-serif",
            if label.bold { "600 " } else { "" },
            label.size
        ));
        ctx.set_text_align(match label.align {
            Align::Left => "left",
            Align::Center => "center",
            Align::Right => "right",
        });
        ctx.set_fill_style_str(&theme.resolve(label.ink).css());
        ctx.fill_text(&label.text, label.x, label.y)?;
    }
    for o in &scene.overlays {
        draw(ctx, o, theme, dpr, false)?;
    }
    Ok(())
}

fn lines(ctx: &CanvasRenderingContext2d, batch: &LineBatch, theme: &Theme) -> Result<(), JsValue> {
    ctx.set_global_alpha(batch.alpha.clamp(0.0, 1.0));
    ctx.set_stroke_style_str(&theme.resolve(batch.ink).css());
    ctx.set_line_width(batch.width);
    let dash = js_sys::Array::new();
    if let Some((on, off)) = batch.dash {
        dash.push(&JsValue::from_f64(on));
        dash.push(&JsValue::from_f64(off));
    }
    ctx.set_line_dash(&dash)?;
    ctx.begin_path();
    for s in &batch.segs {
        ctx.move_to(s[0] as f64, s[1] as f64);
        ctx.line_to(s[2] as f64, s[3] as f64);
    }
    ctx.stroke();
    ctx.set_line_dash(&js_sys::Array::new())?;
    ctx.set_global_alpha(1.0);
    Ok(())
}

fn circle(ctx: &CanvasRenderingContext2d, c: &Circle, theme: &Theme) -> Result<(), JsValue> {
    ctx.begin_path();
    ctx.arc(c.cx, c.cy, c.r, 0.0, TAU)?;
    if let Some(ink) = c.fill {
        ctx.set_fill_style_str(&theme.resolve(ink).css());
        ctx.fill();
    }
    if let Some((ink, w)) = c.stroke {
        ctx.set_stroke_style_str(&theme.resolve(ink).css());
        ctx.set_line_width(w);
        ctx.stroke();
    }
    Ok(())
}
