//! Where the ring sits on a surface of a given size, apart from the scene so the scene, the
//! key raster and hit-testing share it without importing each other.

/// Where the ring sits on the surface; shared with hit-testing so clicks land where drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RingGeometry {
    /// Centre x.
    pub cx: f64,
    /// Centre y.
    pub cy: f64,
    /// Radius of the ownership band's centre line.
    pub r: f64,
    /// Width of the ownership band.
    pub band: f64,
}

impl RingGeometry {
    /// Fits the ring in the surface with room for labels outside it.
    pub fn fit(width: f64, height: f64) -> Self {
        let side = width.min(height).max(1.0);
        // Room for labels outside the ring, shrinking on small (phone, embed) surfaces.
        let margin = (side * 0.12).clamp(28.0, 56.0);
        let r = (side * 0.5 - margin).max(side * 0.3);
        RingGeometry {
            cx: width / 2.0,
            cy: height / 2.0,
            r,
            band: (r * 0.07).clamp(6.0, 16.0),
        }
    }

    /// Dots shrink with the ring so a phone-sized ring still reads as dots, not a blob.
    pub fn dot_scale(&self) -> f64 {
        (self.r / 220.0).clamp(0.55, 1.0)
    }

    /// Radius at which key `hash` is drawn: inside the band, spread by low hash bits so
    /// neighbours do not hide each other.
    pub fn key_radius(&self, hash: u64) -> f64 {
        let spread = (self.r * 0.14).clamp(8.0, 34.0);
        self.r - self.band - 4.0 - (hash & 0xff) as f64 / 255.0 * spread
    }
}
