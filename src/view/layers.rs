//! The cluster canvas's protocol layers, registered in one list. A layer is what one
//! protocol adds to the cluster picture: the room its labels need around the servers'
//! circle, its marks, and its sentence in the canvas's text alternative. The cluster scene
//! calls every layer in this order and knows none of them by name; a new protocol's layer
//! is one file and one line here.

use super::cluster_scene::{ClusterFrame, ClusterGeometry, NodeState};
use super::scene::Scene;
use crate::sim::ids::Time;
use crate::sim::world::World;

/// Node positions on the canvas by node index (None: not drawn).
pub type Pos = [Option<(f64, f64)>];

/// One protocol's contribution to the cluster canvas.
pub struct Layer {
    /// The protocol it draws (its section name), for tests and the legend.
    pub name: &'static str,
    /// CSS px its labels need around the servers' circle, when it has anything to draw.
    pub margin: fn(&World) -> Option<f64>,
    /// Adds its marks to the scene (nothing when its protocol is not running).
    pub draw: fn(&ClusterFrame<'_>, &[NodeState], &Pos, &ClusterGeometry, &mut Scene),
    /// Its part of the canvas's accessible name ("" when it has nothing to say).
    pub describe: fn(&World, Time) -> String,
}

/// Every layer, drawn in this order (later ones on top).
pub const LAYERS: &[Layer] = &[
    super::lock_scene::LAYER,
    super::tpc_scene::LAYER,
    super::mq_scene::LAYER,
];
