//! The scenario index (static/scenarios/index.json) tells the truth about its files: the
//! gallery's fault list and violation badge, and `ringlab-cli list`, are only as good as it.
#![cfg(not(target_arch = "wasm32"))] // reads files; the CLI is native-only

use ringlab::cli::list;
use ringlab::model::catalog::{mechanism, parse_index, INDEX_JSON};

fn scenario(file: &str) -> serde_json::Value {
    let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The faults a schedule injects, in the index's words and first-seen order (workload and
/// repair commands are not faults).
fn faults(s: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in s["schedule"].as_array().into_iter().flatten() {
        let word = match item["cmd"]["op"].as_str().unwrap_or("") {
            "crash" => "crash",
            "pause" => "pause",
            "clock_jump" => "clock jump",
            "partition" => "partition",
            "isolate" => "isolation",
            "fail_node" => "ring failover",
            "drop_message" => "message loss",
            "wipe_disk" => "disk loss",
            "saga_relay_crash" => "relay crash",
            _ => continue,
        };
        if !out.iter().any(|w| w == word) {
            out.push(word.to_string());
        }
    }
    out
}

#[test]
fn the_index_matches_its_scenario_files() {
    let entries = parse_index(INDEX_JSON).expect("index parses");
    assert!(entries.len() >= 13);
    for e in &entries {
        let s = scenario(&e.file);
        assert_eq!(s["id"].as_str(), Some(e.id.as_str()), "{}: id", e.file);
        assert_eq!(
            s["title"].as_str(),
            Some(e.title.as_str()),
            "{}: title",
            e.file
        );
        assert_eq!(faults(&s), e.faults, "{}: faults", e.file);
        let violates = s["expect"]["violate"]
            .as_array()
            .is_some_and(|v| !v.is_empty());
        assert_eq!(violates, e.violation, "{}: violation badge", e.file);
        let protocols = &s["protocols"];
        let expected = if protocols.get("saga").is_some() {
            "saga"
        } else if protocols.get("stock").is_some() {
            "inventory"
        } else if protocols.get("kv").is_some() {
            "replication"
        } else if protocols.get("mq").is_some() {
            "queue"
        } else if protocols.get("locks").is_some() {
            "locks"
        } else if protocols.get("tpc").is_some() {
            "2pc"
        } else {
            "failure-detection"
        };
        assert_eq!(e.mechanism, expected, "{}: mechanism", e.file);
        assert!(mechanism(&e.mechanism).is_some());
    }
}

#[test]
fn cli_list_prints_id_mechanism_and_title_per_scenario() {
    let entries = parse_index(INDEX_JSON).expect("index parses");
    let mut out = Vec::new();
    list::run(&[], &mut out).expect("list runs");
    let text = String::from_utf8(out).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), entries.len());
    assert_eq!(lines[0].split('\t').count(), 3);
    for (line, e) in lines.iter().zip(&entries) {
        assert_eq!(*line, format!("{}\t{}\t{}", e.id, e.mechanism, e.title));
    }
    let mut out = Vec::new();
    list::run(&["--json".to_string()], &mut out).expect("list --json runs");
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .next()
            .expect("a line"),
    )
    .expect("JSON line");
    assert_eq!(first["id"], entries[0].id.as_str());
    assert!(first["faults"].is_array());
    let err = list::run(&["--bogus".to_string()], &mut Vec::new()).expect_err("bad option");
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn the_start_page_template_matches_the_mechanisms() {
    use ringlab::model::catalog::MECHANISMS;
    let path = format!("{}/index.html", env!("CARGO_MANIFEST_DIR"));
    let html = std::fs::read_to_string(&path).expect("index.html");
    let start = html
        .find("<template id=\"start-page\">")
        .expect("the start page template");
    let tpl = &html[start..html[start..].find("</template>").expect("closed") + start];
    for (i, m) in MECHANISMS.iter().enumerate() {
        for needle in [
            format!("<h3 id=\"card-{}\">{}</h3>", m.key, m.name),
            format!("<p>{}</p>", m.sentence),
            format!(
                "data-card=\"{i}\" data-tour=\"1\" aria-label=\"Take the tour: {}\"",
                m.name
            ),
            format!("data-card=\"{i}\" aria-label=\"Open the lab: {}\"", m.name),
            format!("<canvas id=\"preview-{i}\" data-card=\"{i}\""),
        ] {
            assert!(
                tpl.contains(&needle),
                "index.html's start page lacks {needle}"
            );
        }
    }
    assert_eq!(tpl.matches("class=\"card\"").count(), MECHANISMS.len());
}

#[test]
fn the_index_holds_no_html_special_characters() {
    // The gallery writes the index's text into its HTML as is (ui::cluster::gallery::item).
    for e in parse_index(INDEX_JSON).expect("index parses") {
        let all = [&e.id, &e.file, &e.title, &e.summary, &e.mechanism]
            .into_iter()
            .chain(e.faults.iter());
        for text in all {
            assert!(!text.contains(['&', '<', '>', '"']), "{}: {text:?}", e.id);
        }
    }
}

#[test]
fn the_docs_page_lists_every_mechanism_of_the_index() {
    // The hosted docs page groups the index by mechanism with its own table of names; a
    // mechanism missing there silently drops its scenarios from the page.
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/static/docs.html"))
        .expect("static/docs.html");
    let map_start = docs
        .find("const names = {")
        .expect("the docs page's names table");
    let map = &docs[map_start..map_start + docs[map_start..].find("};").expect("end of names")];
    let index = parse_index(INDEX_JSON).expect("index");
    for e in &index {
        let name = mechanism(&e.mechanism).map(|m| m.name).unwrap_or_default();
        assert!(
            map.contains(&format!("'{}': '{name}'", e.mechanism))
                || map.contains(&format!("{}: '{name}'", e.mechanism)),
            "docs.html names no group for mechanism {:?} ({name}) of {}",
            e.mechanism,
            e.id
        );
    }
}
