//! The scene builders: a model's state plus animation progress in, a display list
//! (`scene::Scene`) out, and what reads it back (hit-testing, the SVG writer, the legend).
//! Pure geometry, no browser crates, so all of it is tested natively; the state it draws is
//! in `model`.

pub mod cluster_frame;
pub mod cluster_scene;
pub mod geom;
#[cfg(feature = "proto-kv")]
pub mod history_scene;
pub mod hit;
#[cfg(feature = "proto-kv")]
pub mod kv_scene;
pub mod layers;
pub mod legend;
#[cfg(feature = "proto-locks")]
pub mod lock_scene;
#[cfg(feature = "proto-log")]
pub mod mq_scene;
pub mod raster;
pub mod ring_geometry;
pub mod ring_scene;
#[cfg(feature = "proto-saga")]
pub mod saga_scene;
pub mod scene;
pub mod seq_diagram;
#[cfg(feature = "proto-stock")]
pub mod stock_chart;
#[cfg(feature = "proto-stock")]
pub mod stock_scene;
pub mod svg;
pub mod theme;
#[cfg(feature = "proto-tpc")]
pub mod tpc_scene;
