//! The page's side of the job worker (`src/bin/ringlab-worker.rs`): starts it on demand from
//! `worker-loader.js` (beside the page, so any public URL works), holds a job until the worker
//! says it listens, turns its messages (JSON text, `model::job`) into [`Reply`] values and
//! terminates it when dropped, which is also how a job is cancelled.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent, Worker};
use yew::Callback;

use crate::model::job::{Reply, Request};

/// The loader script, relative to the page.
const LOADER: &str = "worker-loader.js";

struct Inner {
    ready: bool,
    queued: Option<Request>,
}

/// A running worker. Dropping it terminates it (and whatever job it is running).
pub struct JobWorker {
    worker: Worker,
    inner: Rc<RefCell<Inner>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

fn post(worker: &Worker, req: &Request) -> Result<(), String> {
    worker.post_message(&req.to_json().into()).map_err(describe)
}

fn describe(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

impl JobWorker {
    /// Starts a worker. `on_reply` gets every reply but `Ready`; `on_error` gets a message
    /// when the worker fails to load or dies (the job is then lost, and the panel says so).
    pub fn spawn(on_reply: Callback<Reply>, on_error: Callback<String>) -> Result<Self, String> {
        let worker = Worker::new(LOADER).map_err(describe)?;
        let inner = Rc::new(RefCell::new(Inner {
            ready: false,
            queued: None,
        }));
        let (w, i) = (worker.clone(), inner.clone());
        let errors = on_error.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let reply = e
                .data()
                .as_string()
                .ok_or_else(|| "not JSON text".to_string())
                .and_then(|t| Reply::from_json(&t));
            match reply {
                Ok(Reply::Ready) => {
                    let queued = {
                        let mut i = i.borrow_mut();
                        i.ready = true;
                        i.queued.take()
                    };
                    if let Some(req) = queued {
                        if let Err(e) = post(&w, &req) {
                            errors.emit(e);
                        }
                    }
                }
                Ok(r) => on_reply.emit(r),
                Err(e) => errors.emit(format!("the worker sent something unreadable: {e}")),
            }
        });
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
            // Handled here (the panel says what happened): not an uncaught error as well.
            e.prevent_default();
            let m = e.message();
            on_error.emit(if m.is_empty() {
                format!("{LOADER} did not load")
            } else {
                m
            });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(JobWorker {
            worker,
            inner,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Hands the worker a job (held until it is ready). One job at a time: the next one
    /// waits behind it in the worker.
    pub fn submit(&self, req: Request) -> Result<(), String> {
        let mut i = self.inner.borrow_mut();
        if i.ready {
            drop(i);
            post(&self.worker, &req)
        } else {
            i.queued = Some(req);
            Ok(())
        }
    }
}

impl Drop for JobWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
