//! The Web Worker the Cluster tab hands its long jobs to ("Explore N seeds", the 2PC Verify):
//! a thin shell around `model::job::run`. `static/worker-loader.js` starts it on demand, so no
//! page downloads it before its first frame, and the page cancels a job by terminating it.

/// Native builds have no worker to be: say so.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("ringlab-worker runs as a Web Worker in the browser (Trunk builds it).");
    std::process::exit(2);
}

#[cfg(target_arch = "wasm32")]
fn main() {
    use ringlab::model::job::{self, Reply, Request};
    use serde::Serialize;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let out = scope.clone();
    // u64s (seeds) as BigInt both ways, so no seed is too large to cross.
    let ser = serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
    let post = move |r: Reply| {
        let sent = r
            .serialize(&ser)
            .map_err(|e| e.to_string())
            .and_then(|v| out.post_message(&v).map_err(|e| format!("{e:?}")));
        if let Err(e) = sent {
            web_sys::console::error_1(
                &format!("ringlab-worker: a reply did not go out: {e}").into(),
            );
        }
    };
    let perf = scope.performance();
    let clock = move || perf.as_ref().map_or(0.0, |p| p.now());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        match serde_wasm_bindgen::from_value::<Request>(e.data()) {
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
    let ready = serde_wasm_bindgen::to_value(&Reply::Ready);
    match ready {
        Ok(v) => {
            if let Err(e) = scope.post_message(&v) {
                web_sys::console::error_1(&e);
            }
        }
        Err(e) => web_sys::console::error_1(&e.to_string().into()),
    }
}
