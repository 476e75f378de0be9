//! Downloads: a canvas as PNG at device resolution, text (SVG, trace, scenario) as a file.
//! A Blob and a temporary object URL clicked through an `<a download>`; nothing is uploaded.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlCanvasElement;

fn click_download(name: &str, href: &str) -> Result<(), JsValue> {
    let doc = gloo_utils::document();
    let a: web_sys::HtmlElement = doc.create_element("a")?.dyn_into()?;
    a.set_attribute("href", href)?;
    a.set_attribute("download", name)?;
    a.set_attribute("hidden", "")?;
    let body = doc.body().ok_or("no body")?;
    body.append_child(&a)?;
    a.click();
    body.remove_child(&a)?;
    Ok(())
}

/// Saves `text` as a file called `name` of type `mime`.
pub fn text(name: &str, mime: &str, text: &str) {
    let go = || -> Result<(), JsValue> {
        let parts = js_sys::Array::of1(&JsValue::from_str(text));
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type(mime);
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        let r = click_download(name, &url);
        web_sys::Url::revoke_object_url(&url)?;
        r
    };
    if let Err(e) = go() {
        web_sys::console::warn_2(&"ringlab: download failed".into(), &e);
    }
}

/// Saves a canvas's backing store (CSS size × devicePixelRatio) as PNG.
pub fn png(name: &str, canvas: &HtmlCanvasElement) {
    let r = canvas
        .to_data_url_with_type("image/png")
        .and_then(|url| click_download(name, &url));
    if let Err(e) = r {
        web_sys::console::warn_2(&"ringlab: PNG export failed".into(), &e);
    }
}
