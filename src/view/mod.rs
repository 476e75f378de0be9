//! Pure geometry between the simulation and the painter: a world plus animation progress in,
//! a display list out. No browser crates, so all of it is tested natively.

pub mod catalog;
pub mod cluster_scene;
pub mod embed;
pub mod geom;
pub mod hit;
pub mod input;
pub mod keys;
pub mod legend;
pub mod link;
pub mod lock_scene;
pub mod lock_view;
pub mod metrics;
pub mod playback;
pub mod ring_scene;
pub mod scene;
pub mod seq_diagram;
pub mod session;
pub mod share;
pub mod svg;
pub mod theme;
pub mod tour;
pub mod tpc_scene;
pub mod tpc_view;
pub mod transition;
pub mod url;
pub mod verify;
