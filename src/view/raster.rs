//! The hash ring's base layer as pixels: the key dots (and, on dense rings, the ownership band)
//! rasterised into an RGBA buffer that the painter puts on the canvas in one call.
//!
//! Why: 100,000 keys as canvas paths cost 200–400 ms per rebuild in software rendering, and the
//! base is rebuilt at both ends of every topology tween. Here a rebuild is integer work in
//! wasm, and an update after a topology change only recomputes the 8 × 8 pixel cells that a
//! changed key touches (the band, which no dot reaches, is repainted on its own). Every cell is always computed by the
//! same function from the full state (band pixels, then the dots touching the cell in the
//! painter's batch order), so an incremental update gives exactly the pixels of a full rebuild:
//! a shared link repaints the same canvas as the sender's.
//!
//! Pixel model, matching the canvas painter: a dot of radius `r` below [`SQUARE_BELOW`] is a
//! square, otherwise a disc, both with area coverage anti-aliasing, composited source-over in
//! the painter's batch order (then key order) on the background. Pure Rust, no browser: tested natively.

use std::f64::consts::{FRAC_PI_2, TAU};

use crate::sim::sort::sort_pairs;
use crate::view::geom::{angle_of, polar};
use crate::view::ring_geometry::RingGeometry;
use crate::view::theme::Rgb;

/// Dots smaller than this (CSS px) are drawn as squares: indistinguishable at that size and far
/// cheaper than discs when there are 100,000 of them.
pub const SQUARE_BELOW: f64 = 1.6;

/// Side of a recomputed cell in device pixels.
const CELL: usize = 8;

/// How one key is painted in the base: its batch order (lower is drawn first) and colour;
/// `None` when it is not in the base (a key moving in the overlay).
pub type Paint = Option<(u32, Rgb)>;

/// The ownership band of a dense ring, sampled in angular bins: far more bins than device
/// pixels along the circle, so each pixel takes the owner at its own angle.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// Colour of the empty track under the arcs.
    pub track: Rgb,
    /// Per bin, clockwise from twelve o'clock: the owner's colour and whether its arcs are
    /// drawn wide (the selected node); `None` where no node is live.
    pub bins: Vec<Option<(Rgb, bool)>>,
}

/// Number of angular bins for a ring drawn at `dpr`: two per device pixel of the band's
/// outer edge, so neighbouring pixels never share a bin by accident.
pub fn band_bins(g: &RingGeometry, dpr: f64) -> usize {
    let outer = (g.r + g.band) * dpr.max(0.1);
    ((TAU * outer * 2.0).ceil() as usize).clamp(64, 1 << 16)
}

/// Everything the base raster depends on.
pub struct Input<'a> {
    /// Canvas backing-store width in device pixels.
    pub width: usize,
    /// Canvas backing-store height in device pixels.
    pub height: usize,
    /// Device pixels per CSS pixel.
    pub dpr: f64,
    /// Where the ring sits (CSS px).
    pub geometry: RingGeometry,
    /// Key hashes: where each dot sits.
    pub hashes: &'a [u64],
    /// Dot radius in CSS px.
    pub radius: f64,
    /// Per key, how it is painted (same length as `hashes`; missing entries are not drawn).
    pub paints: &'a [Paint],
    /// Background colour.
    pub bg: Rgb,
    /// The ownership band, when the raster draws it (dense rings); `None` leaves it to the
    /// vector painter.
    pub band: Option<Band>,
}

/// Layout identity: when it changes, every pixel is recomputed.
#[derive(Clone, Debug, PartialEq)]
struct Layout {
    width: usize,
    height: usize,
    dpr: u64,
    geometry: RingGeometry,
    radius: u64,
    bg: Rgb,
}

/// The cached base raster, updated in place.
#[derive(Default)]
pub struct KeyRaster {
    layout: Option<Layout>,
    hashes: Vec<u64>,
    /// Dot centres in device pixels.
    xy: Vec<(f64, f64)>,
    paints: Vec<Paint>,
    band: Option<Band>,
    /// Background plus band, without dots.
    under: Vec<u8>,
    /// The finished pixels, RGBA row-major.
    out: Vec<u8>,
    cols: usize,
    rows: usize,
    /// Keys per cell (by centre), CSR: `cell_keys[cell_start[c]..cell_start[c + 1]]`.
    cell_start: Vec<u32>,
    cell_keys: Vec<u32>,
    dirty: Vec<bool>,
    /// Cells recomputed by the last update (for tests and profiling).
    last_cells: usize,
}

impl KeyRaster {
    /// An empty raster; the first update computes everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// RGBA pixels, `width × height × 4` bytes, ready for an `ImageData`.
    pub fn pixels(&self) -> &[u8] {
        &self.out
    }

    /// Cells recomputed by the last update: the whole grid after a layout change, a handful
    /// after a topology change.
    pub fn last_cells(&self) -> usize {
        self.last_cells
    }

    /// Brings the pixels up to date with `input`; returns whether any pixel may have changed.
    pub fn update(&mut self, input: &Input<'_>) -> bool {
        let layout = Layout {
            width: input.width.max(1),
            height: input.height.max(1),
            dpr: input.dpr.to_bits(),
            geometry: input.geometry,
            radius: input.radius.to_bits(),
            bg: input.bg,
        };
        let n = input.hashes.len();
        let paint_of = |i: usize| input.paints.get(i).copied().flatten();
        self.last_cells = 0;
        if self.layout.as_ref() != Some(&layout) || self.hashes != input.hashes {
            self.relayout(layout, input);
            self.paints = (0..n).map(paint_of).collect();
            self.band = input.band.clone();
            self.paint_under_all();
            self.dirty.iter_mut().for_each(|d| *d = true);
        } else {
            if self.band != input.band {
                let old = self.band.take();
                self.band = input.band.clone();
                self.repaint_band(old.is_some() || self.band.is_some());
            }
            let reach = self.reach();
            for i in 0..n {
                let p = paint_of(i);
                if self.paints[i] != p {
                    self.paints[i] = p;
                    self.mark_dot(i, reach);
                }
            }
        }
        self.flush()
    }

    fn reach(&self) -> f64 {
        self.layout.as_ref().map_or(0.0, |l| {
            f64::from_bits(l.radius) * f64::from_bits(l.dpr) + 1.5
        })
    }

    fn relayout(&mut self, layout: Layout, input: &Input<'_>) {
        let (w, h) = (layout.width, layout.height);
        let dpr = input.dpr;
        let g = input.geometry;
        self.hashes = input.hashes.to_vec();
        self.xy = self
            .hashes
            .iter()
            .map(|&h| {
                // The same f32 rounding as the display list's dots, then to device pixels.
                let (x, y) = polar(g.cx, g.cy, g.key_radius(h), angle_of(h));
                (f64::from(x as f32) * dpr, f64::from(y as f32) * dpr)
            })
            .collect();
        self.cols = w.div_ceil(CELL);
        self.rows = h.div_ceil(CELL);
        let cells = self.cols * self.rows;
        let cell_of = |&(x, y): &(f64, f64)| -> usize {
            let cx = ((x.max(0.0) as usize) / CELL).min(self.cols - 1);
            let cy = ((y.max(0.0) as usize) / CELL).min(self.rows - 1);
            cy * self.cols + cx
        };
        let mut start = vec![0u32; cells + 1];
        for p in &self.xy {
            start[cell_of(p) + 1] += 1;
        }
        for c in 0..cells {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut keys = vec![0u32; self.xy.len()];
        for (i, p) in self.xy.iter().enumerate() {
            let c = cell_of(p);
            keys[fill[c] as usize] = i as u32;
            fill[c] += 1;
        }
        self.cell_start = start;
        self.cell_keys = keys;
        self.dirty = vec![true; cells];
        self.under = vec![0; w * h * 4];
        self.out = vec![0; w * h * 4];
        self.layout = Some(layout);
    }

    /// Marks the cells key `i`'s footprint touches.
    fn mark_dot(&mut self, i: usize, reach: f64) {
        let (x, y) = self.xy[i];
        let c0 = cell_index(x - reach, self.cols);
        let c1 = cell_index(x + reach, self.cols);
        let r0 = cell_index(y - reach, self.rows);
        let r1 = cell_index(y + reach, self.rows);
        for r in r0..=r1 {
            for c in c0..=c1 {
                self.dirty[r * self.cols + c] = true;
            }
        }
    }

    fn dims(&self) -> (usize, usize) {
        self.layout.as_ref().map_or((0, 0), |l| (l.width, l.height))
    }

    /// The band's device-pixel annulus: centre, inner and outer radius (with room for
    /// anti-aliasing and the wide selected arcs).
    fn annulus(&self) -> Option<(f64, f64, f64, f64)> {
        let l = self.layout.as_ref()?;
        let dpr = f64::from_bits(l.dpr);
        let g = l.geometry;
        let reach = g.band * 0.75 * dpr + 1.5;
        Some((g.cx * dpr, g.cy * dpr, g.r * dpr - reach, g.r * dpr + reach))
    }

    fn paint_under_all(&mut self) {
        let Some(l) = &self.layout else {
            return;
        };
        let bg = [l.bg.0, l.bg.1, l.bg.2, 255];
        for px in self.under.chunks_exact_mut(4) {
            px.copy_from_slice(&bg);
        }
        self.paint_band_pixels(false);
    }

    /// Recomputes the band's annulus. When no dot can reach it (always, unless the ring is
    /// tiny at a low pixel ratio) its pixels go straight to the output; otherwise the cells it
    /// crosses are recomputed.
    fn repaint_band(&mut self, any: bool) {
        if !any {
            return;
        }
        let Some((cx, cy, ri, ro)) = self.annulus() else {
            return;
        };
        let alone = self.dots_reach().is_some_and(|d| d < ri);
        self.paint_band_pixels(alone);
        if alone {
            return;
        }
        for r in 0..self.rows {
            for c in 0..self.cols {
                let (x0, y0) = ((c * CELL) as f64, (r * CELL) as f64);
                let (x1, y1) = (x0 + CELL as f64, y0 + CELL as f64);
                let nx = cx.clamp(x0, x1) - cx;
                let ny = cy.clamp(y0, y1) - cy;
                let near = (nx * nx + ny * ny).sqrt();
                let fx = (cx - x0).abs().max((cx - x1).abs());
                let fy = (cy - y0).abs().max((cy - y1).abs());
                let far = (fx * fx + fy * fy).sqrt();
                if near <= ro && far >= ri {
                    self.dirty[r * self.cols + c] = true;
                }
            }
        }
    }

    /// Farthest a dot's pixels can be from the centre, in device pixels.
    fn dots_reach(&self) -> Option<f64> {
        let l = self.layout.as_ref()?;
        let dpr = f64::from_bits(l.dpr);
        let g = l.geometry;
        let rad = f64::from_bits(l.radius) * dpr;
        // `key_radius` is largest for hash & 0xff == 0.
        Some(g.key_radius(0) * dpr + (rad + 1.0) * std::f64::consts::SQRT_2 + 1.0)
    }

    /// Writes background, track and owner colours over the band's annulus in `under` (and in
    /// the output too when `to_out`).
    fn paint_band_pixels(&mut self, to_out: bool) {
        let Some(l) = self.layout.clone() else {
            return;
        };
        let Some((cx, cy, ri, ro)) = self.annulus() else {
            return;
        };
        let (w, h) = (l.width, l.height);
        let dpr = f64::from_bits(l.dpr);
        let g = l.geometry;
        let r = g.r * dpr;
        let half = g.band * 0.5 * dpr;
        let wide = g.band * 0.75 * dpr;
        let band = self.band.as_ref();
        let y_lo = (cy - ro).floor().max(0.0) as usize;
        let y_hi = ((cy + ro).ceil().max(0.0) as usize).min(h);
        for y in y_lo..y_hi {
            let dy = y as f64 + 0.5 - cy;
            if dy.abs() > ro {
                continue;
            }
            let outer = (ro * ro - dy * dy).sqrt();
            let inner = if dy.abs() < ri {
                (ri * ri - dy * dy).sqrt()
            } else {
                0.0
            };
            // Two runs per row: left and right of the inner circle (one when the row misses it).
            for (a, b) in [(cx - outer, cx - inner), (cx + inner, cx + outer)] {
                let x_lo = a.floor().max(0.0) as usize;
                let x_hi = (b.ceil().max(0.0) as usize).min(w);
                for x in x_lo..x_hi {
                    let dx = x as f64 + 0.5 - cx;
                    let d = (dx * dx + dy * dy).sqrt();
                    if d < ri || d > ro {
                        continue;
                    }
                    let off = (d - r).abs();
                    let mut px = l.bg;
                    if let Some(band) = band {
                        px = over(px, band.track, cover(half - off));
                        if !band.bins.is_empty() {
                            let turn = (dy.atan2(dx) + FRAC_PI_2) / TAU;
                            let turn = turn - turn.floor();
                            let bin =
                                ((turn * band.bins.len() as f64) as usize).min(band.bins.len() - 1);
                            if let Some((ink, is_wide)) = band.bins[bin] {
                                let hw = if is_wide { wide } else { half };
                                px = over(px, ink, cover(hw - off));
                            }
                        }
                    }
                    let o = (y * w + x) * 4;
                    self.under[o..o + 4].copy_from_slice(&[px.0, px.1, px.2, 255]);
                    if to_out {
                        self.out[o..o + 4].copy_from_slice(&[px.0, px.1, px.2, 255]);
                    }
                }
            }
        }
    }

    /// Recomputes every dirty cell; returns whether there was any.
    fn flush(&mut self) -> bool {
        let (w, h) = self.dims();
        if w == 0 || h == 0 {
            return false;
        }
        let Some(l) = &self.layout else {
            return false;
        };
        let dpr = f64::from_bits(l.dpr);
        let rad = f64::from_bits(l.radius) * dpr;
        let square = f64::from_bits(l.radius) < SQUARE_BELOW;
        let reach_cells = ((rad + 1.5) / CELL as f64).ceil() as usize;
        let mut scratch = Scratch::default();
        let mut any = false;
        for cell in 0..self.dirty.len() {
            if !self.dirty[cell] {
                continue;
            }
            self.dirty[cell] = false;
            any = true;
            self.last_cells += 1;
            let (c, r) = (cell % self.cols, cell / self.cols);
            self.compute_cell(c, r, reach_cells, rad, square, &mut scratch);
        }
        any
    }

    fn compute_cell(
        &mut self,
        c: usize,
        r: usize,
        reach: usize,
        rad: f64,
        square: bool,
        s: &mut Scratch,
    ) {
        let (w, h) = self.dims();
        let (x0, y0) = (c * CELL, r * CELL);
        let (x1, y1) = ((x0 + CELL).min(w), (y0 + CELL).min(h));
        // Start from the background and band.
        for y in y0..y1 {
            for x in x0..x1 {
                let o = (y * w + x) * 4;
                let l = (y - y0) * CELL + (x - x0);
                s.rgb[l] = [self.under[o], self.under[o + 1], self.under[o + 2]];
            }
        }
        // Dots whose footprint meets this cell, in batch order (then key order).
        s.found.clear();
        let pad = if square { rad } else { rad + 1.0 };
        for rr in r.saturating_sub(reach)..(r + reach + 1).min(self.rows) {
            for cc in c.saturating_sub(reach)..(c + reach + 1).min(self.cols) {
                let cell = rr * self.cols + cc;
                let (a, b) = (
                    self.cell_start[cell] as usize,
                    self.cell_start[cell + 1] as usize,
                );
                for &k in &self.cell_keys[a..b] {
                    let Some((order, _)) = self.paints[k as usize] else {
                        continue;
                    };
                    let (x, y) = self.xy[k as usize];
                    if x + pad < x0 as f64
                        || x - pad > x1 as f64
                        || y + pad < y0 as f64
                        || y - pad > y1 as f64
                    {
                        continue;
                    }
                    s.found.push((u64::from(order), k));
                }
            }
        }
        sort_pairs(&mut s.found);
        for &(_, k) in &s.found {
            let Some((_, ink)) = self.paints[k as usize] else {
                continue;
            };
            let (x, y) = self.xy[k as usize];
            let lx0 = (x - pad).floor().max(x0 as f64) as usize;
            let lx1 = ((x + pad).ceil().max(0.0) as usize).min(x1);
            let ly0 = (y - pad).floor().max(y0 as f64) as usize;
            let ly1 = ((y + pad).ceil().max(0.0) as usize).min(y1);
            if lx0 >= lx1 || ly0 >= ly1 {
                continue;
            }
            // Separable coverage for squares: one factor per column and per row.
            let (nx, ny) = (lx1 - lx0, ly1 - ly0);
            for (i, px) in (lx0..lx1).enumerate() {
                s.fx[i] = span_cover(px as f64, x - rad, x + rad);
            }
            for (j, py) in (ly0..ly1).enumerate() {
                s.fy[j] = span_cover(py as f64, y - rad, y + rad);
            }
            for j in 0..ny {
                let py = ly0 + j;
                let row = (py - y0) * CELL + (lx0 - x0);
                for i in 0..nx {
                    let cov = if square {
                        (s.fx[i] * s.fy[j] * 255.0 + 0.5) as u8
                    } else {
                        let dx = (lx0 + i) as f64 + 0.5 - x;
                        let dy = py as f64 + 0.5 - y;
                        cover(rad - (dx * dx + dy * dy).sqrt())
                    };
                    if cov > 0 {
                        let p = &mut s.rgb[row + i];
                        *p = over3(*p, ink, cov);
                    }
                }
            }
        }
        for y in y0..y1 {
            for x in x0..x1 {
                let o = (y * w + x) * 4;
                let [r0, g0, b0] = s.rgb[(y - y0) * CELL + (x - x0)];
                self.out[o..o + 4].copy_from_slice(&[r0, g0, b0, 255]);
            }
        }
    }
}

/// Per-cell working memory, reused across cells.
struct Scratch {
    rgb: Vec<[u8; 3]>,
    fx: [f64; 64],
    fy: [f64; 64],
    found: Vec<(u64, u32)>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            rgb: vec![[0; 3]; CELL * CELL],
            fx: [0.0; 64],
            fy: [0.0; 64],
            found: Vec::new(),
        }
    }
}

fn cell_index(v: f64, count: usize) -> usize {
    ((v.max(0.0) as usize) / CELL).min(count.saturating_sub(1))
}

/// Coverage in [0, 1] of a pixel by an edge `dist` pixels inside it, as 0..=255.
fn cover(dist: f64) -> u8 {
    ((dist + 0.5).clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// Length of `[p, p + 1]` inside `[lo, hi]`: one axis of a square's pixel coverage.
fn span_cover(p: f64, lo: f64, hi: f64) -> f64 {
    ((p + 1.0).min(hi) - p.max(lo)).clamp(0.0, 1.0)
}

/// `src` over `dst` with coverage `a` (0..=255), rounded like an 8-bit canvas.
fn over(dst: Rgb, src: Rgb, a: u8) -> Rgb {
    let [r, g, b] = over3([dst.0, dst.1, dst.2], src, a);
    Rgb(r, g, b)
}

/// [`over`] on a raw pixel.
#[inline(always)]
fn over3(dst: [u8; 3], src: Rgb, a: u8) -> [u8; 3] {
    let a = u32::from(a);
    let m = |d: u8, s: u8| ((u32::from(s) * a + u32::from(d) * (255 - a) + 127) / 255) as u8;
    [m(dst[0], src.0), m(dst[1], src.1), m(dst[2], src.2)]
}

#[cfg(test)]
mod tests {
    use super::*;

    const BG: Rgb = Rgb(255, 255, 255);
    const RED: Rgb = Rgb(200, 0, 0);
    const BLUE: Rgb = Rgb(0, 0, 200);

    fn hashes(n: u64) -> Vec<u64> {
        (0..n)
            .map(|i| crate::sim::hash::pos(&format!("k{i}")))
            .collect()
    }

    fn input<'a>(hashes: &'a [u64], paints: &'a [Paint], band: Option<Band>) -> Input<'a> {
        Input {
            width: 300,
            height: 200,
            dpr: 1.0,
            geometry: RingGeometry::fit(300.0, 200.0),
            hashes,
            radius: 0.9,
            paints,
            bg: BG,
            band,
        }
    }

    fn band(split: usize) -> Band {
        Band {
            track: Rgb(220, 220, 220),
            bins: (0..256)
                .map(|b| {
                    Some(if b < split {
                        (RED, false)
                    } else {
                        (BLUE, b == 255)
                    })
                })
                .collect(),
        }
    }

    #[test]
    fn incremental_updates_equal_a_full_rebuild() {
        let hs = hashes(3000);
        let mut paints: Vec<Paint> = (0..3000)
            .map(|i| Some(if i % 3 == 0 { (1, RED) } else { (2, BLUE) }))
            .collect();
        let mut live = KeyRaster::new();
        assert!(live.update(&input(&hs, &paints, Some(band(100)))));
        let all = live.last_cells();
        // A topology change: a few keys recolour, some hide, the band moves.
        for i in (0..3000).step_by(97) {
            paints[i] = if i % 2 == 0 { None } else { Some((3, RED)) };
        }
        assert!(live.update(&input(&hs, &paints, Some(band(140)))));
        assert!(
            live.last_cells() < all,
            "{} of {all} cells",
            live.last_cells()
        );
        let mut fresh = KeyRaster::new();
        fresh.update(&input(&hs, &paints, Some(band(140))));
        assert!(
            live.pixels() == fresh.pixels(),
            "incremental differs from full"
        );
        // Nothing changed: nothing recomputed.
        assert!(!live.update(&input(&hs, &paints, Some(band(140)))));
        assert_eq!(live.last_cells(), 0);
    }

    #[test]
    fn dots_and_band_land_where_the_scene_puts_them() {
        let hs = vec![0u64]; // twelve o'clock
        let paints = vec![Some((1, RED))];
        let mut r = KeyRaster::new();
        let mut inp = input(&hs, &paints, Some(band(256)));
        inp.radius = 3.0;
        r.update(&inp);
        let g = inp.geometry;
        let at = |x: f64, y: f64| {
            let o = ((y as usize) * 300 + x as usize) * 4;
            Rgb(r.pixels()[o], r.pixels()[o + 1], r.pixels()[o + 2])
        };
        let (kx, ky) = polar(g.cx, g.cy, g.key_radius(0), angle_of(0));
        assert_eq!(at(kx, ky), RED, "the key's dot");
        assert_eq!(at(g.cx, g.cy - g.r), RED, "the band at twelve o'clock");
        assert_eq!(at(g.cx, g.cy), BG, "the centre");
        assert_eq!(at(2.0, 2.0), BG, "a corner");
    }

    #[test]
    fn later_batches_paint_over_earlier_ones() {
        let hs = vec![42u64, 42u64];
        let mut r = KeyRaster::new();
        let paints = vec![Some((2, BLUE)), Some((1, RED))];
        let mut inp = input(&hs, &paints, None);
        inp.radius = 3.0;
        r.update(&inp);
        let g = inp.geometry;
        let (kx, ky) = polar(g.cx, g.cy, g.key_radius(42), angle_of(42));
        let o = ((ky as usize) * 300 + kx as usize) * 4;
        assert_eq!(&r.pixels()[o..o + 3], &[0, 0, 200]);
    }
}
