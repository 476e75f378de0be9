//! The display list: everything the painter draws, as plain data.
//!
//! Shapes are grouped into batches of one ink so a painter can draw thousands of keys with a
//! handful of canvas calls, and the SVG writer can emit the very same picture.

/// A colour that is not resolved yet: the painter maps it to the theme's CSS custom properties,
/// so light and dark themes share one scene.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ink {
    /// Body text.
    Fg,
    /// Secondary text and guides.
    Muted,
    /// The empty ring under the arcs.
    Track,
    /// Highlights the user asked for (a looked-up key, a selection).
    Accent,
    /// The panel background, used to punch gaps.
    Bg,
    /// A node's own colour, or the grey of a failed node.
    Swatch(Swatch),
    /// Part way from one swatch to another: a key changing owner mid-tween.
    Blend(Swatch, Swatch, f32),
    /// A swatch washed towards the background by the fraction given (0 = pure swatch,
    /// 1 = background): a message fading out as it is lost, a partition side's tint.
    Tint(Swatch, f32),
    /// Something broke: a crash, a violation, a suspicion (`--danger`).
    Danger,
    /// Something is held up: a paused node, a clock jump (`--warn`).
    Warn,
    /// Healthy again: a recovery, a heal (`--ok`).
    Ok,
}

/// A node colour slot: stable for a node for as long as it exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Swatch {
    /// Palette entry `slot % palette length`.
    Node(u32),
    /// A failed node, or no owner at all.
    Down,
}

/// Horizontal anchoring of a label, chosen from its angle so text sits outside the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text starts at the anchor.
    Left,
    /// Text is centred on the anchor.
    Center,
    /// Text ends at the anchor.
    Right,
}

/// A circle outline and/or fill.
#[derive(Clone, Debug, PartialEq)]
pub struct Circle {
    /// Centre x in CSS pixels.
    pub cx: f64,
    /// Centre y in CSS pixels.
    pub cy: f64,
    /// Radius in CSS pixels.
    pub r: f64,
    /// Outline ink and width, if any.
    pub stroke: Option<(Ink, f64)>,
    /// Fill ink, if any.
    pub fill: Option<Ink>,
}

/// Many arcs of one ink on one circle: one canvas path, one stroke.
#[derive(Clone, Debug, PartialEq)]
pub struct ArcBatch {
    /// Colour of every span.
    pub ink: Ink,
    /// Stroke width in CSS pixels.
    pub width: f64,
    /// Centre x.
    pub cx: f64,
    /// Centre y.
    pub cy: f64,
    /// Radius of the stroke's centre line.
    pub r: f64,
    /// (from, to) angles in radians, drawn clockwise; `to` may exceed TAU for wrap-around.
    pub spans: Vec<(f64, f64)>,
}

/// Many radial ticks of one ink (vnode markers).
#[derive(Clone, Debug, PartialEq)]
pub struct TickBatch {
    /// Colour of every tick.
    pub ink: Ink,
    /// Line width.
    pub width: f64,
    /// Centre x.
    pub cx: f64,
    /// Centre y.
    pub cy: f64,
    /// Inner radius.
    pub r0: f64,
    /// Outer radius.
    pub r1: f64,
    /// Angles in radians.
    pub angles: Vec<f64>,
}

/// Many round dots of one ink and size (keys, ghosts of moving keys).
#[derive(Clone, Debug, PartialEq)]
pub struct DotBatch {
    /// Colour of every dot.
    pub ink: Ink,
    /// Dot radius in CSS pixels.
    pub radius: f64,
    /// Dot centres; f32 keeps 100,000 keys compact.
    pub xy: Vec<(f32, f32)>,
}

/// A line of text.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// Anchor x.
    pub x: f64,
    /// Anchor y (text is vertically centred on it).
    pub y: f64,
    /// The text.
    pub text: String,
    /// Colour.
    pub ink: Ink,
    /// Font size in CSS pixels.
    pub size: f64,
    /// Bold for selection and emphasis.
    pub bold: bool,
    /// Horizontal anchoring.
    pub align: Align,
}

/// Many straight segments of one ink: wires between nodes, message arrows, time ticks.
#[derive(Clone, Debug, PartialEq)]
pub struct LineBatch {
    /// Colour of every segment.
    pub ink: Ink,
    /// Line width in CSS pixels.
    pub width: f64,
    /// Opacity in [0, 1]: the recorded future is drawn faint.
    pub alpha: f64,
    /// Dash pattern (on, off) in CSS pixels; `None` for solid lines.
    pub dash: Option<(f64, f64)>,
    /// Segments as [x0, y0, x1, y1].
    pub segs: Vec<[f32; 4]>,
}

/// Many filled rectangles of one ink: lanes, pause spans, partition bands.
#[derive(Clone, Debug, PartialEq)]
pub struct RectBatch {
    /// Fill colour.
    pub ink: Ink,
    /// Opacity in [0, 1].
    pub alpha: f64,
    /// Rectangles as [x, y, width, height].
    pub rects: Vec<[f32; 4]>,
}

/// A whole frame, in CSS pixels; drawn in this order: rects, circles, arcs, ticks, lines,
/// dots, markers, labels, then the overlays.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scene {
    /// Width of the drawing surface.
    pub width: f64,
    /// Height of the drawing surface.
    pub height: f64,
    /// Background circles and markers.
    pub circles: Vec<Circle>,
    /// Ownership arcs and highlighted walks.
    pub arcs: Vec<ArcBatch>,
    /// Virtual-node ticks.
    pub ticks: Vec<TickBatch>,
    /// Keys and moving ghosts.
    pub dots: Vec<DotBatch>,
    /// Node names and captions.
    pub labels: Vec<Label>,
    /// Markers drawn above dots (looked-up key, replicas).
    pub markers: Vec<Circle>,
    /// Filled rectangles, drawn first (just above the background).
    pub rects: Vec<RectBatch>,
    /// Straight segments, drawn after ticks and before dots.
    pub lines: Vec<LineBatch>,
    /// Whole scenes painted over everything above, in order, in this scene's coordinates
    /// (the canvas legend, so the picture never paints over it).
    pub overlays: Vec<Scene>,
}

impl Scene {
    /// An empty frame of the given size.
    pub fn new(width: f64, height: f64) -> Self {
        Scene {
            width,
            height,
            ..Scene::default()
        }
    }

    /// Number of draw batches: what a frame costs the painter, independent of key count.
    pub fn batch_count(&self) -> usize {
        self.circles.len()
            + self.arcs.len()
            + self.ticks.len()
            + self.dots.len()
            + self.labels.len()
            + self.markers.len()
            + self.rects.len()
            + self.lines.len()
            + self.overlays.iter().map(Scene::batch_count).sum::<usize>()
    }
}
