//! The Hash ring tab's messages and the form they carry, apart from the root component so
//! the panels that send them import this and not the component.

use crate::model::shortcuts::Shortcut;
use crate::model::url::Tab;
use crate::sim::algorithms::Algorithm;
use crate::sim::ring::NodeId;
use crate::sim::ring_lab::RingCmd;

/// Text typed into the side panel, kept as typed so a bad value can be reported and fixed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Form {
    /// New node name (empty = auto).
    pub name: String,
    /// New node weight.
    pub weight: String,
    /// Vnodes per node.
    pub vnodes: String,
    /// Weight for the selected node.
    pub node_weight: String,
    /// Generated key count.
    pub key_count: String,
    /// Key seed.
    pub key_seed: String,
    /// "orders" or "mixed".
    pub pattern: String,
    /// Hot-key skew.
    pub skew: String,
    /// Pasted keys, one per line.
    pub pasted: String,
    /// Key to look up.
    pub lookup: String,
    /// Cluster size to grow or shrink to.
    pub node_count: String,
}

/// Which form field an input event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// See `Form::name`.
    Name,
    /// See `Form::weight`.
    Weight,
    /// See `Form::vnodes`.
    Vnodes,
    /// See `Form::node_weight`.
    NodeWeight,
    /// See `Form::key_count`.
    KeyCount,
    /// See `Form::key_seed`.
    KeySeed,
    /// See `Form::pattern`.
    Pattern,
    /// See `Form::skew`.
    Skew,
    /// See `Form::pasted`.
    Pasted,
    /// See `Form::lookup`.
    Lookup,
    /// See `Form::node_count`.
    NodeCount,
}

/// Everything the page can ask the root to do.
pub enum Msg {
    /// Run a ring command.
    Cmd(RingCmd),
    /// Open (or close) a node's details.
    Select(Option<NodeId>),
    /// A click on the canvas at CSS pixel (x, y).
    CanvasClick(f64, f64),
    /// The pointer moved over the canvas.
    CanvasHover(f64, f64),
    /// The pointer left the canvas.
    CanvasLeave,
    /// A form field changed.
    Input(Field, String),
    /// "Add node" pressed.
    AddNode,
    /// "Apply" vnodes pressed.
    ApplyVnodes,
    /// "Set weight" pressed for the selected node.
    ApplyNodeWeight,
    /// "Generate keys" pressed.
    GenerateKeys,
    /// "Use pasted keys" pressed.
    UsePasted,
    /// Replication factor chosen.
    Replicas(usize),
    /// "Set" cluster size pressed.
    ApplyNodeCount,
    /// Colour keys by another scheme.
    ViewAlgorithm(Algorithm),
    /// "Compare algorithms" pressed.
    Compare,
    /// A header tab was chosen.
    Tab(Tab),
    /// Back/Forward moved to another state link.
    PopState,
    /// A shortcut key (`model::shortcuts`); the Cluster tab handles its own.
    Key(Shortcut),
    /// "PNG" / "SVG" under the ring.
    Export(bool),
    /// The header's "Start": show the start page.
    ShowStart,
    /// "Take the tour" on start card i (`catalog::MECHANISMS[i]`).
    StartTour(usize),
    /// "Open the lab" on start card i.
    StartLab(usize),
    /// The legend toggle (button or `L`).
    ToggleLegend,
}
