// Starts ringlab's Web Worker (src/bin/ringlab-worker.rs, built by Trunk as a worker): its
// wasm-bindgen glue, then its wasm. The worker says Ready once it listens; if its wasm does
// not load, the page hears why (as JSON text, like every reply) and says so.
importScripts('./ringlab-worker.js');
wasm_bindgen({ module_or_path: './ringlab-worker_bg.wasm' }).catch((e) => {
  postMessage(JSON.stringify({ Failed: { error: `the worker's wasm did not load: ${e}` } }));
});
