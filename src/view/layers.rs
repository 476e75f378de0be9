//! The cluster canvas's protocol layers, registered in one list. A layer is what one
//! protocol adds to the cluster picture: the room its labels need around the servers'
//! circle, its marks, and its sentence in the canvas's text alternative. The cluster scene
//! calls every layer in this order and knows none of them by name; a new protocol's layer
//! is one file and one line here.

use super::cluster_frame::Layer;

/// Every layer, drawn in this order (later ones on top).
pub const LAYERS: &[Layer] = &[
    #[cfg(feature = "proto-locks")]
    super::lock_scene::LAYER,
    #[cfg(feature = "proto-tpc")]
    super::tpc_scene::LAYER,
    #[cfg(feature = "proto-stock")]
    super::stock_scene::LAYER,
    #[cfg(feature = "proto-kv")]
    super::kv_scene::LAYER,
    #[cfg(feature = "proto-log")]
    super::mq_scene::LAYER,
    #[cfg(feature = "proto-saga")]
    super::saga_scene::LAYER,
];
