//! Local storage, best effort: a private window or a full quota must never break the app,
//! so every failure reads as "nothing stored" and writes are dropped.

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The stored value, if storage works and holds one.
pub fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Stores a value (silently dropped when storage is refused).
pub fn set(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

/// Whether the canvas legend starts shown: in an embed only when the host asks (`legend=1`),
/// in the app as the visitor last left it (off at first, so nothing covers the picture).
pub fn legend_wanted() -> bool {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let asked = search
        .trim_start_matches('?')
        .split('&')
        .any(|p| p == "legend=1");
    let embed = gloo_utils::document()
        .document_element()
        .is_some_and(|r| r.has_attribute("data-embed"));
    asked || (!embed && get("ringlab.legend").as_deref() == Some("1"))
}

/// Remembers the legend toggle (not in an embed: the host's `legend=` decides there).
pub fn set_legend(on: bool) {
    let embed = gloo_utils::document()
        .document_element()
        .is_some_and(|r| r.has_attribute("data-embed"));
    if !embed {
        set("ringlab.legend", if on { "1" } else { "0" });
    }
}
