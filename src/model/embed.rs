//! Embed mode and its postMessage API, as pure data: the `?embed=1&…` options, the schema of
//! messages a host page may send (validated field by field; anything else gets an `error`
//! reply and changes nothing), and the JSON the app sends back. The browser glue
//! (`ui::cluster::component::bridge`) only moves strings between these functions and
//! `window.postMessage`, so every rule is tested natively.

use std::fmt::Write;

use serde_json::{Map, Value};

use crate::model::playback::{MAX_SPEED, MIN_SPEED};
use crate::sim::cmd::Cmd;
use crate::sim::scenario::MAX_FILE_BYTES;
use crate::sim::time::Time;

/// Version of the message protocol, sent in `ready`.
pub const PROTOCOL: u32 = 1;
/// Largest message accepted (bytes of JSON): a scenario at its size limit plus a wrapper.
pub const MAX_MESSAGE_BYTES: usize = MAX_FILE_BYTES + 1024;
/// Most event kinds one `subscribe` may name.
pub const MAX_KINDS: usize = 64;

/// How much of the timeline bar an embed shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Controls {
    /// Everything: play, step, speed, scrubber, markers.
    #[default]
    Full,
    /// Play/pause and the clock.
    Minimal,
    /// Nothing: the host drives it.
    None,
}

/// Colour theme forced by `theme=`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThemeChoice {
    /// Follow `prefers-color-scheme`.
    #[default]
    Auto,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl ThemeChoice {
    /// Value of `<html data-theme>` ("" for auto).
    pub fn attr(self) -> &'static str {
        match self {
            ThemeChoice::Auto => "",
            ThemeChoice::Light => "light",
            ThemeChoice::Dark => "dark",
        }
    }
}

/// Optional panels of the Cluster tab an embed may show (`panels=diagram,log`).
pub const PANELS: [&str; 8] = [
    "diagram",
    "log",
    "nodes",
    "invariants",
    "narration",
    "commands",
    "scenario",
    "explore",
];

/// The `?embed=1&…` options. Unknown or malformed values fall back to defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EmbedOpts {
    /// `embed=1`: compact layout without page chrome, and the message API.
    pub on: bool,
    /// `controls=full|minimal|none`.
    pub controls: Controls,
    /// `autoplay` (or `autoplay=1`): start playing once loaded.
    pub autoplay: bool,
    /// `speed=2.5` (clamped to the slider's range).
    pub speed: Option<f64>,
    /// `theme=light|dark|auto`.
    pub theme: ThemeChoice,
    /// `start=<ms>`: initial playhead.
    pub start: Option<Time>,
    /// `panels=…`: which of [`PANELS`] show (none by default in an embed).
    pub panels: Vec<&'static str>,
    /// `legend=1`: draw the canvas legend (off in an embed unless asked).
    pub legend: bool,
    /// `origins=https://a.example,http://localhost:8000`: who may drive the embed (anyone
    /// when empty).
    pub origins: Vec<String>,
}

/// `%XX` and `+` decoding of one query value; malformed escapes are kept as typed.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl EmbedOpts {
    /// Reads the options from `location.search` (with or without `?`).
    pub fn parse(search: &str) -> Self {
        let mut o = EmbedOpts::default();
        let q = search.strip_prefix('?').unwrap_or(search);
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            let yes = matches!(v.as_str(), "" | "1" | "true" | "yes");
            match k {
                "embed" => o.on = yes,
                "autoplay" => o.autoplay = yes,
                "legend" => o.legend = yes,
                "controls" => {
                    o.controls = match v.as_str() {
                        "minimal" => Controls::Minimal,
                        "none" => Controls::None,
                        _ => Controls::Full,
                    }
                }
                "theme" => {
                    o.theme = match v.as_str() {
                        "light" => ThemeChoice::Light,
                        "dark" => ThemeChoice::Dark,
                        _ => ThemeChoice::Auto,
                    }
                }
                "speed" => {
                    o.speed = crate::sim::text::parse_decimal(&v)
                        .filter(|s| s.is_finite())
                        .map(|s| s.clamp(MIN_SPEED, MAX_SPEED))
                }
                "start" => o.start = v.parse::<Time>().ok(),
                "panels" => {
                    o.panels = v
                        .split(',')
                        .filter_map(|p| PANELS.iter().find(|&&n| n == p.trim()).copied())
                        .collect()
                }
                "origins" => {
                    o.origins = v
                        .split(',')
                        .map(|s| s.trim().trim_end_matches('/').to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                }
                _ => {}
            }
        }
        o
    }

    /// Whether a panel shows: always outside embed mode, else when `panels=` names it.
    pub fn shows(&self, panel: &str) -> bool {
        !self.on || self.panels.contains(&panel)
    }

    /// Whether a page at `origin` may drive the embed.
    pub fn allows(&self, origin: &str) -> bool {
        self.origins.is_empty() || self.origins.iter().any(|o| o == origin)
    }
}

/// Where a `load` takes its scenario from.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadFrom {
    /// Scenario JSON text (or an object, re-serialised), decoded by `Scenario::decode`.
    Json(String),
    /// A gallery scenario by id (`gc-pause`), fetched from `scenarios/<id>.json`.
    Gallery(String),
}

/// A validated message from the host page.
#[derive(Clone, Debug, PartialEq)]
pub enum HostMsg {
    /// `{type:"load", scenario:{…}|"json"}` or `{type:"load", gallery:"gc-pause"}`.
    Load(LoadFrom),
    /// `{type:"play"}`.
    Play,
    /// `{type:"pause"}`.
    Pause,
    /// `{type:"step"}`: the next step with events.
    Step,
    /// `{type:"seek", ms:1234}`.
    Seek(Time),
    /// `{type:"setSpeed", speed:2}`.
    SetSpeed(f64),
    /// `{type:"command", cmd:{op:"crash", node:"C"}}`: any engine command.
    Command(Cmd),
    /// `{type:"getState"}`.
    GetState,
    /// `{type:"subscribe", kinds:["crash","violation"]}` (`["*"]` for all, `[]` for none).
    Subscribe(Vec<String>),
}

/// The message types a host may send, for error messages and docs.
pub const HOST_TYPES: &str =
    "load, play, pause, step, seek, setSpeed, command, getState, subscribe";

fn only(obj: &Map<String, Value>, ty: &str, allowed: &[&str]) -> Result<(), String> {
    for k in obj.keys() {
        if k != "type" && k != "id" && !allowed.contains(&k.as_str()) {
            return Err(format!("{ty}: unknown field \"{k}\""));
        }
    }
    Ok(())
}

/// Validates one message (already JSON text). On success: the message and its optional
/// `id` (echoed in replies so a host can match them); on failure: the reason, and the `id`
/// when one could be read.
pub fn parse_host(text: &str) -> Result<(HostMsg, Option<Value>), (String, Option<Value>)> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err((
            format!(
                "message is {} bytes; at most {MAX_MESSAGE_BYTES}",
                text.len()
            ),
            None,
        ));
    }
    // `from_slice`, like `Scenario::decode`: one copy of the parser in the wasm.
    let v: Value = serde_json::from_slice(text.as_bytes())
        .map_err(|e| (format!("message is not JSON: {e}"), None))?;
    let Some(obj) = v.as_object() else {
        return Err(("message must be an object with a \"type\"".into(), None));
    };
    let id = obj
        .get("id")
        .filter(|i| i.is_string() || i.is_number())
        .cloned();
    let fail = |m: String| (m, id.clone());
    let ty = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("message must have a string \"type\"".into()))?;
    let check = |allowed: &[&str]| only(obj, ty, allowed).map_err(fail);
    let msg = match ty {
        "play" | "pause" | "step" | "getState" => {
            check(&[])?;
            match ty {
                "play" => HostMsg::Play,
                "pause" => HostMsg::Pause,
                "step" => HostMsg::Step,
                _ => HostMsg::GetState,
            }
        }
        "seek" => {
            check(&["ms"])?;
            let ms = obj.get("ms").and_then(Value::as_u64).ok_or_else(|| {
                fail("seek needs \"ms\": a whole number of virtual ms ≥ 0".into())
            })?;
            HostMsg::Seek(ms)
        }
        "setSpeed" => {
            check(&["speed"])?;
            let s = obj
                .get("speed")
                .and_then(Value::as_f64)
                .filter(|s| (MIN_SPEED..=MAX_SPEED).contains(s))
                .ok_or_else(|| {
                    fail(format!(
                        "setSpeed needs \"speed\": a number from {MIN_SPEED} to {MAX_SPEED}"
                    ))
                })?;
            HostMsg::SetSpeed(s)
        }
        "command" => {
            check(&["cmd"])?;
            let c = obj.get("cmd").filter(|c| c.is_object()).ok_or_else(|| {
                fail(
                    "command needs \"cmd\": an object like {\"op\":\"crash\",\"node\":\"C\"}"
                        .into(),
                )
            })?;
            let cmd: Cmd = crate::sim::cmd_decode::decode(c.clone())
                .map_err(|e| fail(format!("command: {e}")))?;
            HostMsg::Command(cmd)
        }
        "load" => {
            check(&["scenario", "gallery"])?;
            match (obj.get("scenario"), obj.get("gallery")) {
                (Some(Value::String(s)), None) => HostMsg::Load(LoadFrom::Json(s.clone())),
                (Some(o @ Value::Object(_)), None) => HostMsg::Load(LoadFrom::Json(to_json(o))),
                (None, Some(Value::String(g)))
                    if !g.is_empty()
                        && g.len() <= 64
                        && g.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
                {
                    HostMsg::Load(LoadFrom::Gallery(g.clone()))
                }
                _ => {
                    return Err(fail(
                        "load needs either \"scenario\" (JSON object or text) or \"gallery\" (an id like \"gc-pause\")".into(),
                    ))
                }
            }
        }
        "subscribe" => {
            check(&["kinds"])?;
            let kinds = obj
                .get("kinds")
                .and_then(Value::as_array)
                .filter(|a| a.len() <= MAX_KINDS)
                .and_then(|a| {
                    a.iter()
                        .map(|k| k.as_str().filter(|s| s.len() <= 32).map(String::from))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| {
                    fail(format!(
                        "subscribe needs \"kinds\": at most {MAX_KINDS} event kinds like [\"crash\",\"violation\"] or [\"*\"]"
                    ))
                })?;
            HostMsg::Subscribe(kinds)
        }
        other => {
            return Err(fail(format!(
                "unknown message type \"{other}\"; expected one of {HOST_TYPES}"
            )))
        }
    };
    Ok((msg, id))
}

/// Appends `s` as a JSON string literal.
pub fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Compact JSON text of a value. Hand-written: serde_json's own serializer for `Value` would
/// add a second copy of its formatter to the wasm.
pub fn to_json(v: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, v);
    out
}

fn write_json(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => json_str(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, x);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_str(out, k);
                out.push(':');
                write_json(out, x);
            }
            out.push('}');
        }
    }
}

/// `{"type":"…"` with the id, ready for more fields and a closing brace.
fn open(ty: &str, id: Option<&Value>) -> String {
    let mut o = String::from("{\"type\":");
    json_str(&mut o, ty);
    if let Some(id) = id {
        o.push_str(",\"id\":");
        write_json(&mut o, id);
    }
    o
}

/// `ready`: sent once the app has mounted, to the parent's origin.
pub fn ready(scenario: &str) -> String {
    let mut o = open("ready", None);
    let _ = write!(o, ",\"protocol\":{PROTOCOL},\"scenario\":");
    json_str(&mut o, scenario);
    o.push('}');
    o
}

/// What `state` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct StateReport {
    /// Loaded scenario id.
    pub scenario: String,
    /// Playhead (virtual ms).
    pub t: Time,
    /// End of the recorded history (virtual ms).
    pub head: Time,
    /// Playing or paused.
    pub playing: bool,
    /// Playback speed.
    pub speed: f64,
    /// Trace position of the playhead.
    pub position: usize,
    /// Invariants violated by the playhead.
    pub violations: Vec<String>,
}

/// `state`: the reply to `getState` and to every accepted control message.
pub fn state(s: &StateReport, id: Option<&Value>) -> String {
    let mut o = open("state", id);
    o.push_str(",\"scenario\":");
    json_str(&mut o, &s.scenario);
    let _ = write!(
        o,
        ",\"t\":{},\"head\":{},\"playing\":{},\"speed\":{},\"position\":{},\"violations\":[",
        s.t, s.head, s.playing, s.speed, s.position
    );
    for (i, v) in s.violations.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        json_str(&mut o, v);
    }
    o.push_str("]}");
    o
}

/// `event`: one trace event of a subscribed kind, as the playhead passes it.
pub fn event(kind: &str, index: usize, t: Time, text: &str) -> String {
    let mut o = open("event", None);
    o.push_str(",\"kind\":");
    json_str(&mut o, kind);
    let _ = write!(o, ",\"index\":{index},\"t\":{t},\"text\":");
    json_str(&mut o, text);
    o.push('}');
    o
}

/// `resize`: the content height in CSS px, for auto-height iframes.
pub fn resize(height: f64) -> String {
    let h = height.ceil();
    let h = if h.is_finite() { h.max(0.0) as u64 } else { 0 };
    let mut o = open("resize", None);
    let _ = write!(o, ",\"height\":{h}}}");
    o
}

/// `error`: a refused message (malformed, disallowed origin, refused command). Nothing
/// changed.
pub fn error(message: &str, id: Option<&Value>) -> String {
    let mut o = open("error", id);
    o.push_str(",\"message\":");
    json_str(&mut o, message);
    o.push('}');
    o
}

/// Whether a subscription covers an event kind.
pub fn subscribed(kinds: &[String], kind: &str) -> bool {
    kinds.iter().any(|k| k == "*" || k == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_with_defaults_and_clamps() {
        let o = EmbedOpts::parse("?tab=cluster&embed=1&controls=minimal&autoplay&speed=99&theme=dark&start=1500&panels=log,%20diagram,bogus&origins=http%3A%2F%2Flocalhost%3A8001%2F,https://a.example");
        assert!(o.on && o.autoplay);
        assert_eq!(o.controls, Controls::Minimal);
        assert_eq!(o.speed, Some(MAX_SPEED));
        assert_eq!(o.theme, ThemeChoice::Dark);
        assert_eq!(o.start, Some(1500));
        assert_eq!(o.panels, vec!["log", "diagram"]);
        assert!(!o.legend);
        assert!(EmbedOpts::parse("?embed=1&legend=1").legend);
        assert!(!EmbedOpts::parse("?embed=1&legend=0").legend);
        assert_eq!(
            o.origins,
            vec!["http://localhost:8001", "https://a.example"]
        );
        assert!(o.allows("https://a.example") && !o.allows("https://evil.example"));
        assert!(o.shows("log") && !o.shows("explore"));
        let d = EmbedOpts::parse("");
        assert!(!d.on && d.allows("anything") && d.shows("explore"));
        let junk = EmbedOpts::parse("?embed=0&speed=NaN&start=-3&controls=xyz&theme=%ZZ&%");
        assert!(!junk.on);
        assert_eq!(
            (junk.speed, junk.start, junk.controls),
            (None, None, Controls::Full)
        );
        assert_eq!(percent_decode("a%2Cb+c%"), "a,b c%");
        assert_eq!(percent_decode("%4"), "%4");
    }

    #[test]
    fn host_messages_validate_field_by_field() {
        let ok = |s: &str| parse_host(s).unwrap().0;
        assert_eq!(ok(r#"{"type":"play"}"#), HostMsg::Play);
        assert_eq!(
            ok(r#"{"type":"seek","ms":2500,"id":7}"#),
            HostMsg::Seek(2500)
        );
        assert_eq!(
            ok(r#"{"type":"setSpeed","speed":2}"#),
            HostMsg::SetSpeed(2.0)
        );
        assert_eq!(
            ok(r#"{"type":"command","cmd":{"op":"crash","node":"C"}}"#),
            HostMsg::Command(Cmd::Crash { node: "C".into() })
        );
        assert_eq!(
            ok(r#"{"type":"load","gallery":"gc-pause"}"#),
            HostMsg::Load(LoadFrom::Gallery("gc-pause".into()))
        );
        assert!(matches!(
            ok(r#"{"type":"load","scenario":{"version":1}}"#),
            HostMsg::Load(LoadFrom::Json(_))
        ));
        assert_eq!(
            ok(r#"{"type":"subscribe","kinds":["crash","violation"]}"#),
            HostMsg::Subscribe(vec!["crash".into(), "violation".into()])
        );
        let err = |s: &str| parse_host(s).unwrap_err();
        assert_eq!(err("nope").0.split(':').next(), Some("message is not JSON"));
        assert_eq!(err("[1]").0, "message must be an object with a \"type\"");
        let (m, id) = err(r#"{"type":"seek","ms":-5,"id":"q1"}"#);
        assert!(m.starts_with("seek needs \"ms\""), "{m}");
        assert_eq!(id, Some(Value::from("q1")));
        assert!(err(r#"{"type":"fly"}"#)
            .0
            .contains("expected one of load, play"));
        assert!(err(r#"{"type":"play","now":true}"#)
            .0
            .contains("unknown field \"now\""));
        assert!(err(r#"{"type":"setSpeed","speed":1000}"#)
            .0
            .starts_with("setSpeed needs"));
        assert!(err(r#"{"type":"command","cmd":{"op":"explode"}}"#)
            .0
            .starts_with("command: "));
        assert!(err(r#"{"type":"load","gallery":"../etc/passwd"}"#)
            .0
            .starts_with("load needs"));
        assert!(err(r#"{"type":"subscribe","kinds":"crash"}"#)
            .0
            .starts_with("subscribe needs"));
        assert!(err(&" ".repeat(MAX_MESSAGE_BYTES + 1))
            .0
            .contains("at most"));
    }

    #[test]
    fn replies_are_json_with_the_id_echoed() {
        let s = StateReport {
            scenario: "gc-pause".into(),
            t: 1200,
            head: 5000,
            playing: false,
            speed: 1.0,
            position: 40,
            violations: vec!["accurate_suspicion".into()],
        };
        let v: Value = serde_json::from_str(&state(&s, Some(&Value::from(3)))).unwrap();
        assert_eq!(v["type"], "state");
        assert_eq!(v["t"], 1200);
        assert_eq!(v["id"], 3);
        assert_eq!(v["violations"][0], "accurate_suspicion");
        let e: Value = serde_json::from_str(&error("nope", None)).unwrap();
        assert_eq!((e["type"].as_str(), e.get("id")), (Some("error"), None));
        assert!(subscribed(&["*".into()], "crash"));
        assert!(!subscribed(&["pause".into()], "crash"));
        let r: Value = serde_json::from_str(&resize(240.2)).unwrap();
        assert_eq!(r["height"], 241);
        let ev: Value = serde_json::from_str(&event("crash", 4, 10, "C \"x\"\n")).unwrap();
        assert_eq!(ev["text"], "C \"x\"\n");
        let v: Value = serde_json::from_str(r#"{"a":[1,-2.5,true,null,{"b":"\u0001"}]}"#).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&to_json(&v)).unwrap(), v);
        let rd: Value = serde_json::from_str(&ready("gc")).unwrap();
        assert_eq!(rd["protocol"], 1);
    }
}
