//! The Cluster tab's exports (PNG and SVG of the cluster canvas, the trace as JSON lines, the
//! scenario as JSON) and drag-and-drop import, which goes through the same decoder and alert
//! as the file picker.

use std::fmt::Write;

use yew::html::Scope;
use yew::prelude::*;

use super::{ClusterLab, Msg};
use crate::model::embed::json_str;
use crate::ui::cluster::gallery;
use crate::ui::cluster::msg::ExportKind;
use crate::ui::export;

impl ClusterLab {
    /// Saves one export of the current state.
    pub(super) fn export(&self, kind: ExportKind) {
        let sh = self.shared.borrow();
        let Some(s) = sh.session.as_ref() else {
            return;
        };
        let id = &s.scenario().id;
        match kind {
            ExportKind::Png => {
                if let Some(c) = self.cluster_ref.cast::<web_sys::HtmlCanvasElement>() {
                    export::png(&format!("{id}.png"), &c);
                }
            }
            ExportKind::Svg => {
                if let Some(scene) = sh.cluster_scene() {
                    let svg = crate::view::svg::to_svg(&scene, &sh.theme);
                    export::text(&format!("{id}.svg"), "image/svg+xml", &svg);
                }
            }
            ExportKind::Trace => {
                // One line per event: index, time, kind, node and the event in words. (The
                // CLI's `run` writes the full-field format; its serializer would cost the
                // bundle ~7 KB gzip here.)
                let w = s.world();
                let mut out = String::new();
                for (i, e) in s.timeline().recorded().iter().enumerate() {
                    let node = e.node.map(|n| w.name(n)).unwrap_or_default();
                    let _ = write!(out, "{{\"i\":{i},\"t\":{},\"kind\":", e.t);
                    json_str(&mut out, e.what.kind());
                    out.push_str(",\"node\":");
                    json_str(&mut out, &node);
                    out.push_str(",\"text\":");
                    json_str(&mut out, &w.describe(e));
                    out.push_str("}\n");
                }
                export::text(&format!("{id}.trace.jsonl"), "application/x-ndjson", &out);
            }
            ExportKind::Scenario => {
                export::text(
                    &format!("{id}.json"),
                    "application/json",
                    &s.scenario().encode(),
                );
            }
        }
    }
}

/// `ondragover` / `ondrop` for the tab: a dropped file loads like a picked one.
pub(super) fn drop_handlers(
    link: &Scope<ClusterLab>,
) -> (Callback<DragEvent>, Callback<DragEvent>) {
    let over = Callback::from(|e: DragEvent| e.prevent_default());
    let link = link.clone();
    let drop = Callback::from(move |e: DragEvent| {
        e.prevent_default();
        let file = e
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0));
        let Some(file) = file else {
            return;
        };
        let name = file.name();
        let link = link.clone();
        yew::platform::spawn_local(async move {
            let text = gallery::read_file(file).await;
            link.send_message(Msg::Loaded(name, text));
        });
    });
    (over, drop)
}
