//! The Web Worker the Cluster tab hands its long jobs to ("Explore N seeds", the 2PC Verify,
//! the saga's "Compare with 2PC" on a page without 2PC): a thin shell around `model::job::run`,
//! built with every protocol whatever the page carries. `static/worker-loader.js` starts it on
//! demand, so no page downloads it before its first frame, and the page cancels a job by
//! terminating it.

/// Native builds have no worker to be: say so.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("ringlab-worker runs as a Web Worker in the browser (Trunk builds it).");
    std::process::exit(2);
}

#[cfg(target_arch = "wasm32")]
fn main() {
    use ringlab::model::job::{self, Reply, Request};
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let out = scope.clone();
    // Replies go out as JSON text (`Reply::to_json`: u64 seeds exact), which the page reads
    // with its own field reader (see `model::job`).
    let post = move |r: Reply| {
        if let Err(e) = out.post_message(&r.to_json().into()) {
            web_sys::console::error_1(&e);
        }
    };
    let perf = scope.performance();
    let clock = move || perf.as_ref().map_or(0.0, |p| p.now());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let req = e
            .data()
            .as_string()
            .ok_or_else(|| "a job is JSON text".to_string())
            .and_then(|t| Request::from_json(&t));
        match req {
            Ok(req) => job::run(req, &clock, &mut |r| post(r)),
            Err(err) => post(Reply::Failed {
                error: format!("the worker could not read the job: {err}"),
            }),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as its handler: until the page terminates it.
    on_message.forget();
    // Messages sent before this are lost: the page waits for it.
    if let Err(e) = scope.post_message(&Reply::Ready.to_json().into()) {
        web_sys::console::error_1(&e);
    }
}
