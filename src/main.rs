//! The browser entry point: Trunk compiles this to wasm32 and mounts the Yew app.

#[cfg(target_arch = "wasm32")]
fn main() {
    ringlab::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("ringlab's web app runs in the browser: build it with `trunk serve`.");
    eprintln!("For the native runner use `ringlab-cli --help`.");
    std::process::exit(2);
}
