//! requestAnimationFrame outside Yew's virtual DOM: a frame callback runs while it asks for
//! more, then the loop sleeps, so an idle page costs nothing. Dropping the loop cancels it.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;

type FrameFn = Box<dyn FnMut(f64) -> bool>;
type RafCallback = Closure<dyn FnMut(f64)>;

struct Inner {
    pending: Cell<Option<i32>>,
    frame: RefCell<FrameFn>,
    // One closure for the loop's whole life: no allocation per frame, and it is never
    // dropped while running (it lives as long as `Inner`).
    callback: RefCell<Option<RafCallback>>,
    frames: Cell<u64>,
}

impl Inner {
    fn schedule(&self) {
        if self.pending.get().is_some() {
            return;
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(cb) = self.callback.borrow().as_ref() {
            if let Ok(id) = window.request_animation_frame(cb.as_ref().unchecked_ref()) {
                self.pending.set(Some(id));
            }
        }
    }
}

/// A paused-when-idle animation loop.
pub struct FrameLoop {
    inner: Rc<Inner>,
}

impl FrameLoop {
    /// `frame(timestamp_ms)` draws one frame and returns whether another is wanted.
    pub fn new(frame: impl FnMut(f64) -> bool + 'static) -> Self {
        let inner = Rc::new(Inner {
            pending: Cell::new(None),
            frame: RefCell::new(Box::new(frame)),
            callback: RefCell::new(None),
            frames: Cell::new(0),
        });
        let weak: Weak<Inner> = Rc::downgrade(&inner);
        let cb = Closure::wrap(Box::new(move |ts: f64| {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            inner.pending.set(None);
            inner.frames.set(inner.frames.get() + 1);
            let again = match inner.frame.try_borrow_mut() {
                Ok(mut f) => f(ts),
                Err(_) => false,
            };
            if again {
                inner.schedule();
            }
        }) as Box<dyn FnMut(f64)>);
        *inner.callback.borrow_mut() = Some(cb);
        FrameLoop { inner }
    }

    /// A weak handle for listeners (resize, theme) that must not keep the loop alive.
    pub fn handle(&self) -> LoopHandle {
        LoopHandle(Rc::downgrade(&self.inner))
    }

    /// Wakes the loop (no-op if a frame is already scheduled).
    pub fn kick(&self) {
        self.inner.schedule();
    }

    /// Whether a frame is scheduled: false means the page is idle.
    pub fn running(&self) -> bool {
        self.inner.pending.get().is_some()
    }

    /// Frames drawn so far (for tests and the frame-time script).
    pub fn frames(&self) -> u64 {
        self.inner.frames.get()
    }
}

/// Wakes a loop if it still exists; does nothing after the component went away.
#[derive(Clone)]
pub struct LoopHandle(Weak<Inner>);

impl LoopHandle {
    /// See `FrameLoop::kick`.
    pub fn kick(&self) {
        if let Some(inner) = self.0.upgrade() {
            inner.schedule();
        }
    }
}

impl Drop for FrameLoop {
    fn drop(&mut self) {
        if let (Some(id), Some(window)) = (self.inner.pending.take(), web_sys::window()) {
            let _ = window.cancel_animation_frame(id);
        }
    }
}
