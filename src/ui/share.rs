//! Browser glue for shareable links (`model::share`): the state of both tabs is kept here,
//! written to the fragment with `history.replaceState` (debounced, so scrubbing does not
//! hammer the history API), or with `pushState` when a gallery scenario is loaded so Back
//! returns to the previous one. Also the Copy link / Embed actions.

use std::cell::RefCell;

use gloo_timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};

use crate::model::embed::EmbedOpts;
use crate::model::share::{self, ClusterState, LinkState, RingState};

thread_local! {
    static LINK: RefCell<LinkState> = RefCell::new(LinkState::default());
    static PENDING: RefCell<Option<Timeout>> = const { RefCell::new(None) };
    static OPENED: RefCell<Option<ClusterState>> = const { RefCell::new(None) };
    static OPEN_ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
    static EMBED_PAGE: std::cell::Cell<&'static str> = const { std::cell::Cell::new("cluster.html") };
}

/// Fragment writes wait this long for the next edit (wall ms).
const DEBOUNCE_MS: u32 = 250;

/// `location.hash` (or "").
pub fn hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The embed options of this page's query.
pub fn embed_opts() -> EmbedOpts {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    EmbedOpts::parse(&search)
}

/// Decodes the page's fragment once at startup: the ring part is returned to the caller
/// (the root), the cluster part kept for the Cluster tab ([`take_opened`]). A bad link's
/// message is returned and also kept for the Cluster tab's alert.
pub fn open() -> Result<Option<RingState>, String> {
    match share::from_fragment(&hash()) {
        None => Ok(None),
        Some(Ok(state)) => {
            LINK.with(|l| *l.borrow_mut() = state.clone());
            OPENED.with(|o| *o.borrow_mut() = state.cluster);
            Ok(state.ring)
        }
        Some(Err(e)) => {
            let m = format!("This link could not be opened ({e}); showing the default instead.");
            OPEN_ERROR.with(|o| *o.borrow_mut() = Some(m.clone()));
            Err(m)
        }
    }
}

/// The cluster state the opening link carried (once).
pub fn take_opened() -> (Option<ClusterState>, Option<String>) {
    (
        OPENED.with(|o| o.borrow_mut().take()),
        OPEN_ERROR.with(|o| o.borrow_mut().take()),
    )
}

/// Body bytes of one part, to compare states cheaply (a derived deep `==` over scenarios
/// costs more wasm than the whole encoder).
fn part_bytes(ring: Option<&RingState>, cluster: Option<&ClusterState>) -> Vec<u8> {
    share::body(&LinkState {
        ring: ring.cloned(),
        cluster: cluster.cloned(),
        ..Default::default()
    })
}

/// Records the ring tab's state; the fragment follows shortly.
pub fn set_ring(ring: Option<RingState>) {
    if !is_current_ring(ring.as_ref()) {
        LINK.with(|l| l.borrow_mut().ring = ring);
        schedule();
    }
}

/// Records the cluster tab's state; the fragment follows shortly.
pub fn set_cluster(cluster: ClusterState) {
    if !is_current_cluster(Some(&cluster)) {
        LINK.with(|l| l.borrow_mut().cluster = Some(cluster));
        schedule();
    }
}

/// Whether `c` is what the link last recorded (a popstate to the same state is a no-op).
pub fn is_current_cluster(c: Option<&ClusterState>) -> bool {
    LINK.with(|l| part_bytes(None, l.borrow().cluster.as_ref()) == part_bytes(None, c))
}

/// Whether `r` is what the link last recorded.
pub fn is_current_ring(r: Option<&RingState>) -> bool {
    LINK.with(|l| part_bytes(l.borrow().ring.as_ref(), None) == part_bytes(r, None))
}

/// Adopts a state reached by Back/Forward without writing it again.
pub fn adopt(state: &LinkState) {
    LINK.with(|l| *l.borrow_mut() = state.clone());
}

fn schedule() {
    let t = Timeout::new(DEBOUNCE_MS, || write(false));
    PENDING.with(|p| *p.borrow_mut() = Some(t));
}

/// Writes any pending change now (before a `pushState`, a copy or an embed snippet).
pub fn flush() {
    if PENDING.with(|p| p.borrow_mut().take()).is_some() {
        write(false);
    }
}

/// Writes the current state as a new history entry (a gallery load), so Back returns to the
/// previous one. Embeds never add history entries (Back belongs to the host page).
pub fn push() {
    PENDING.with(|p| p.borrow_mut().take());
    write(!embed_opts().on);
}

fn write(push: bool) {
    PENDING.with(|p| p.borrow_mut().take());
    let Some(w) = web_sys::window() else {
        return;
    };
    let loc = w.location();
    let (Ok(path), Ok(search)) = (loc.pathname(), loc.search()) else {
        return;
    };
    let frag = LINK.with(|l| share::fragment(&l.borrow()));
    if frag == hash() {
        return;
    }
    let url = format!("{path}{search}{frag}");
    if let Ok(h) = w.history() {
        let _ = if push {
            h.push_state_with_url(&JsValue::NULL, "", Some(&url))
        } else {
            h.replace_state_with_url(&JsValue::NULL, "", Some(&url))
        };
    }
}

/// The page's full URL with the current state, for Copy link.
pub fn url() -> String {
    flush();
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// Records which page an embed of the loaded scenario needs (see `view::url::embed_page`).
pub fn set_embed_page(page: &'static str) {
    EMBED_PAGE.with(|p| p.set(page));
}

/// The iframe snippet for the current state: the Cluster page (so the embedding tutorial
/// downloads only the Cluster lab's code) beside this one, `embed=1`, with this state.
pub fn embed_snippet() -> String {
    let href = url();
    let (base, frag) = href.split_once('#').unwrap_or((&href, ""));
    let base = base.split_once('?').map_or(base, |(b, _)| b);
    let dir = base.rfind('/').map_or(base, |i| &base[..=i]);
    let base = format!("{dir}{}", EMBED_PAGE.with(|p| p.get()));
    let frag = if frag.is_empty() {
        String::new()
    } else {
        format!("#{frag}")
    };
    format!(
        "<iframe src=\"{base}?embed=1&tab=cluster&controls=full{frag}\" title=\"ringlab simulation\" width=\"640\" height=\"420\" style=\"border:0;max-width:100%\" loading=\"lazy\"></iframe>"
    )
}

/// Tries `navigator.clipboard.writeText`; resolves to whether it worked (the caller shows a
/// selectable field either way, the fallback where the clipboard is refused).
pub async fn copy(text: &str) -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    let call = || -> Option<js_sys::Promise> {
        let nav = js_sys::Reflect::get(&w, &"navigator".into()).ok()?;
        let clip = js_sys::Reflect::get(&nav, &"clipboard".into()).ok()?;
        let f = js_sys::Reflect::get(&clip, &"writeText".into()).ok()?;
        let f = f.dyn_ref::<js_sys::Function>()?;
        f.call1(&clip, &text.into()).ok()?.dyn_into().ok()
    };
    match call() {
        Some(p) => wasm_bindgen_futures::JsFuture::from(p).await.is_ok(),
        None => false,
    }
}
