//! The Yew app: components, the frame loop and the browser glue. Only built for wasm32.

pub mod app;
#[cfg(feature = "cluster-tab")]
pub mod cluster;
#[cfg(feature = "cluster-tab")]
pub mod cluster_page;
pub mod export;
pub mod frame_loop;
pub mod keyboard;
pub mod legend;
pub mod panels;
pub mod ring_msg;
pub mod share;
pub mod shell;
#[cfg(all(feature = "ring-tab", feature = "cluster-tab"))]
pub mod start;
pub mod store;
pub mod tabs;

use wasm_bindgen::JsCast;

/// Installs the panic hook and mounts the app into `#app`.
pub fn start() {
    install_panic_hook();
    let root = gloo_utils::document()
        .get_element_by_id("app")
        .or_else(|| gloo_utils::document().body().map(|b| b.unchecked_into()));
    match root {
        Some(root) => {
            shell::mark_embed();
            mount(root);
        }
        None => web_sys::console::error_1(&"ringlab: no #app element to mount into".into()),
    }
}

/// The page's root: the Hash ring lab (with the Cluster tab when this page carries it),
/// or, on the Cluster page, the shell and the Cluster lab alone.
#[cfg(feature = "ring-tab")]
fn mount(root: web_sys::Element) {
    yew::Renderer::<app::App>::with_root(root).render();
}

#[cfg(all(not(feature = "ring-tab"), feature = "cluster-tab"))]
fn mount(root: web_sys::Element) {
    yew::Renderer::<cluster_page::ClusterPage>::with_root(root).render();
}

#[cfg(not(any(feature = "ring-tab", feature = "cluster-tab")))]
fn mount(_root: web_sys::Element) {
    web_sys::console::error_1(
        &"ringlab: built without a lab (enable ring-tab or cluster-tab)".into(),
    );
}

/// A panic kills the wasm app, so it must at least say so: in the console (with the Rust
/// message and location) and in the page's `#panic` alert.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        if let Some(el) = gloo_utils::document().get_element_by_id("panic") {
            el.set_text_content(Some(&format!(
                "ringlab stopped because of a bug: {info}\nReload the page to start again."
            )));
            let _ = el.remove_attribute("hidden");
        }
    }));
}
