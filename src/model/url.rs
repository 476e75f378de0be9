//! The page's query string: which tab is open (`?tab=cluster`), so tests and links can open
//! a tab directly and switching tabs keeps any other parameters. Pure string handling.

/// The app's views.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    /// The hash-ring lab (the default).
    #[default]
    Ring,
    /// The cluster simulation with its timeline.
    Cluster,
}

impl Tab {
    /// Value of `tab=` in the query ("ring" is the default and is left out of URLs).
    pub fn key(self) -> &'static str {
        match self {
            Tab::Ring => "ring",
            Tab::Cluster => "cluster",
        }
    }
}

/// The tab a query string (`location.search`, with or without the `?`) asks for; anything
/// unknown or malformed means the default tab.
pub fn tab_from_query(search: &str) -> Tab {
    let q = search.strip_prefix('?').unwrap_or(search);
    let mut tab = Tab::Ring;
    for pair in q.split('&') {
        if let Some(v) = pair.strip_prefix("tab=") {
            tab = if v == "cluster" {
                Tab::Cluster
            } else {
                Tab::Ring
            };
        }
    }
    tab
}

/// The query string with `tab` set (and other parameters kept in order): "" or "?a=1" for
/// the default tab, "?tab=cluster" otherwise.
pub fn query_with_tab(search: &str, tab: Tab) -> String {
    let q = search.strip_prefix('?').unwrap_or(search);
    let mut parts: Vec<String> = q
        .split('&')
        .filter(|p| !p.is_empty() && *p != "tab" && !p.starts_with("tab="))
        .map(String::from)
        .collect();
    if tab != Tab::Ring {
        parts.insert(0, format!("tab={}", tab.key()));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// The page that carries a tab's lab alone: what a tab missing from the current page
/// navigates to, and where an embed of that lab points, so it downloads only that lab.
pub fn page_of(tab: Tab) -> &'static str {
    match tab {
        Tab::Ring => "ring.html",
        Tab::Cluster => "cluster.html",
    }
}

/// The lab pages with protocols of their own and what each carries (`scripts/build-pages.sh`
/// builds them with these protocols' features; the everything page carries all), smallest
/// first, so an embed finds the lightest page that can run it. Only two sets have a choice:
/// the detector alone (every page) and locks alone (the Cluster page and the flash sale's,
/// which weigh the same within 1 KB; the Cluster page stays first, the lab's own page).
pub const LAB_PAGES: &[(&str, &[&str])] = &[
    ("cluster.html", &["heartbeat", "locks", "tpc"]),
    ("inventory.html", &["heartbeat", "locks", "stock"]),
    ("log.html", &["heartbeat", "mq", "saga"]),
    ("replication.html", &["heartbeat", "kv"]),
];

/// The page an embed of a scenario running `protocols` should load: the first lab page that
/// carries them all, else the everything page.
pub fn embed_page(protocols: &[&str]) -> &'static str {
    LAB_PAGES
        .iter()
        .find(|(_, carried)| protocols.iter().all(|p| carried.contains(p)))
        .map_or("index.html", |(page, _)| page)
}

/// The URL of `page` in the same folder as `pathname` (so any `--public-url` sub-path
/// works), followed by `query` and `hash` as given.
pub fn sibling(pathname: &str, page: &str, query: &str, hash: &str) -> String {
    let dir = match pathname.rfind('/') {
        Some(i) => &pathname[..=i],
        None => "/",
    };
    format!("{dir}{page}{query}{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_embed_loads_the_smallest_page_that_carries_its_protocols() {
        assert_eq!(embed_page(&["heartbeat", "locks"]), "cluster.html");
        assert_eq!(embed_page(&[]), "cluster.html");
        assert_eq!(embed_page(&["tpc", "stock"]), "index.html");
        assert_eq!(embed_page(&["heartbeat", "kv"]), "replication.html");
        assert_eq!(embed_page(&["kv", "locks"]), "index.html");
        assert_eq!(
            embed_page(&["heartbeat", "locks", "stock"]),
            "inventory.html"
        );
        assert_eq!(embed_page(&["mq"]), "log.html");
        assert_eq!(embed_page(&["mq", "saga"]), "log.html");
        assert_eq!(embed_page(&["saga", "tpc"]), "index.html");
        assert_eq!(embed_page(&["stock", "mq"]), "index.html");
    }

    /// Every built-in scenario's embed points to a page that carries its protocols, and one
    /// of a page's own mechanisms points to that page (or to a lighter one that carries it
    /// too). `checkout-end-to-end` goes through the ring, the stock and the saga, but as a
    /// scenario it runs the log and the saga alone: the log page carries it.
    #[test]
    fn every_scenario_embeds_in_a_page_that_runs_it() {
        use crate::model::catalog;
        let index = catalog::parse_index(catalog::INDEX_JSON).unwrap();
        for e in &index {
            let path = format!("{}/static/scenarios/{}", env!("CARGO_MANIFEST_DIR"), e.file);
            let s = crate::sim::scenario::Scenario::decode(&std::fs::read(&path).unwrap()).unwrap();
            let protocols = s.protocols.enabled();
            let page = embed_page(&protocols);
            if let Some((_, carried)) = LAB_PAGES.iter().find(|(p, _)| *p == page) {
                assert!(
                    protocols.iter().all(|p| carried.contains(p)),
                    "{}: {page} lacks one of {protocols:?}",
                    e.id
                );
                assert!(catalog::carried(&e.mechanism, carried), "{}", e.id);
            }
            let want = match e.mechanism.as_str() {
                "queue" | "saga" => "log.html",
                "inventory" => "inventory.html",
                "replication" => "replication.html",
                _ => "cluster.html",
            };
            assert_eq!(page, want, "{} ({})", e.id, e.mechanism);
        }
        let e2e = index
            .iter()
            .find(|e| e.id == "checkout-end-to-end")
            .unwrap();
        assert_eq!(e2e.mechanism, "saga");
    }

    #[test]
    fn sibling_pages_keep_the_folder_query_and_hash() {
        assert_eq!(
            sibling("/ringlab/", page_of(Tab::Cluster), "?tab=cluster", "#s=AB"),
            "/ringlab/cluster.html?tab=cluster#s=AB"
        );
        assert_eq!(
            sibling("/ringlab/cluster.html", page_of(Tab::Ring), "", ""),
            "/ringlab/ring.html"
        );
        assert_eq!(sibling("", "ring.html", "", "#x"), "/ring.html#x");
    }

    #[test]
    fn reads_the_tab_and_defaults_to_the_ring() {
        assert_eq!(tab_from_query(""), Tab::Ring);
        assert_eq!(tab_from_query("?tab=cluster"), Tab::Cluster);
        assert_eq!(tab_from_query("tab=cluster"), Tab::Cluster);
        assert_eq!(tab_from_query("?x=1&tab=cluster"), Tab::Cluster);
        assert_eq!(tab_from_query("?tab=ring"), Tab::Ring);
        assert_eq!(tab_from_query("?tab=%00nonsense"), Tab::Ring);
        assert_eq!(tab_from_query("?tabs=cluster"), Tab::Ring);
    }

    #[test]
    fn writes_the_tab_and_keeps_other_parameters() {
        assert_eq!(query_with_tab("", Tab::Cluster), "?tab=cluster");
        assert_eq!(query_with_tab("?tab=cluster", Tab::Ring), "");
        assert_eq!(
            query_with_tab("?a=1&tab=ring&b=2", Tab::Cluster),
            "?tab=cluster&a=1&b=2"
        );
        assert_eq!(query_with_tab("?a=1&tab=cluster", Tab::Ring), "?a=1");
    }
}
