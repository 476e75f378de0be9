//! The subset of ZooKeeper 3.8 the lock recipe relies on, as a pure state machine: a tree of
//! znodes with persistent, ephemeral and sequential nodes (numbered by the parent's count of
//! children ever created), `cversion`, zxids (every write request takes one, failed ones too), and `stat`.
//! Replies are printed as `zkCli.sh` prints them (stdout and stderr merged).
//!
//! One client session is modelled (`zkCli`'s own): its ephemeral nodes live as long as it
//! does; its one-shot watches (`ls -w`, `get -w`, `stat -w`) print zkCli's `WATCHER::` lines. The lab's coordination server ([`super::super::seq`]) finds a waiter's predecessor
//! with [`predecessor`], the rule this module's `ls` order makes visible.

use std::collections::{BTreeMap, BTreeSet};

/// `zkCli.sh`'s usage text, printed before "Command not found" for an unknown command.
pub const USAGE: &str = include_str!("zkcli_usage.txt");

/// The session id this model reports as `ephemeralOwner` (a real one is random; the
/// conformance tests compare only zero against non-zero).
pub const SESSION: i64 = 0x7269_6e67_0000_0001;

/// The node a waiter watches in the lock recipe: the highest sequence number below its own
/// (`None`: it is the lowest, so it holds the lock).
pub fn predecessor(seqs: impl IntoIterator<Item = u64>, mine: u64) -> Option<u64> {
    seqs.into_iter().filter(|&s| s < mine).max()
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    data: Option<String>,
    czxid: i64,
    mzxid: i64,
    pzxid: i64,
    cversion: i32,
    /// Children ever created: the next sequence number. A real server shows deletes in
    /// `cversion` but numbers sequential children by creates only (measured on 3.8.0).
    creates: i32,
    version: i32,
    ephemeral: i64,
    children: BTreeSet<String>,
    /// Virtual time of creation (ms), printed as `ctime`/`mtime`.
    ctime: i64,
}

impl Node {
    fn new(data: Option<String>, zxid: i64, ephemeral: i64, now: i64) -> Self {
        Node {
            data,
            czxid: zxid,
            mzxid: zxid,
            pzxid: zxid,
            cversion: 0,
            creates: 0,
            version: 0,
            ephemeral,
            children: BTreeSet::new(),
            ctime: now,
        }
    }
}

/// A standalone ZooKeeper server with one connected `zkCli` session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zk {
    nodes: BTreeMap<String, Node>,
    zxid: i64,
    now: i64,
    /// One-shot watches of the session (`get -w`/`stat -w` on a node, `stat -w` on a missing
    /// path, `ls -w`): fired once by the next matching change, then gone.
    data_watches: BTreeSet<String>,
    child_watches: BTreeSet<String>,
}

impl Default for Zk {
    fn default() -> Self {
        Self::new()
    }
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or("")
}

/// The path checks zkCli makes before sending (`PathUtils.validatePath`), for the shapes the
/// scripts use.
fn validate(path: &str, seq: bool) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err("Path must start with / character".into());
    }
    if path.len() > 1 && path.ends_with('/') && !seq {
        return Err("Path must not end with / character".into());
    }
    if path.contains("//") {
        return Err(format!(
            "Invalid path string \"{path}\" caused by empty node name specified @{}",
            path.find("//").map_or(0, |i| i + 1)
        ));
    }
    Ok(())
}

impl Zk {
    /// A fresh server just after the session was created (which took zxid 1), holding only
    /// `/zookeeper` with its `config` and `quota` children.
    pub fn new() -> Self {
        let mut nodes = BTreeMap::new();
        let mut root = Node::new(None, 0, 0, 0);
        root.children.insert("zookeeper".into());
        nodes.insert("/".to_string(), root);
        let mut zk = Node::new(None, 0, 0, 0);
        zk.children.insert("config".into());
        zk.children.insert("quota".into());
        nodes.insert("/zookeeper".into(), zk);
        nodes.insert("/zookeeper/config".into(), Node::new(None, 0, 0, 0));
        nodes.insert("/zookeeper/quota".into(), Node::new(None, 0, 0, 0));
        Zk {
            nodes,
            zxid: 1,
            now: 0,
            data_watches: BTreeSet::new(),
            child_watches: BTreeSet::new(),
        }
    }

    /// Moves virtual time forward (the session stays alive: zkCli keeps pinging).
    pub fn advance(&mut self, ms: u64) {
        self.now = self.now.saturating_add(ms.min(i64::MAX as u64) as i64);
    }

    /// The children of `path`, sorted as `ls` prints them.
    pub fn children(&self, path: &str) -> Option<Vec<String>> {
        self.nodes
            .get(path)
            .map(|n| n.children.iter().cloned().collect())
    }

    fn next_zxid(&mut self) -> i64 {
        self.zxid += 1;
        self.zxid
    }

    /// Runs one command line in zkCli's syntax and returns what zkCli prints, followed by
    /// the watch events the command fired (zkCli's `WATCHER::` blocks).
    pub fn exec(&mut self, line: &str) -> String {
        let mut events = Vec::new();
        let mut out = self.exec_inner(line, &mut events);
        for (kind, path) in events {
            out.push_str(&format!(
                "\n\nWATCHER::\n\nWatchedEvent state:SyncConnected type:{kind} path:{path}"
            ));
        }
        out
    }

    fn exec_inner(&mut self, line: &str, events: &mut Vec<(&'static str, String)>) -> String {
        let mut args: Vec<&str> = line.split_whitespace().collect();
        let reader = matches!(args.first(), Some(&("ls" | "get" | "stat")));
        let watch = reader && args.get(1) == Some(&"-w");
        if watch {
            args.remove(1);
        }
        match args.as_slice() {
            ["create", rest @ ..] => self.create(rest, events),
            ["delete", path] => self.delete(path, events),
            ["ls", path] => match validate(path, false) {
                Err(e) => e,
                Ok(()) => match self.children(path) {
                    Some(c) => {
                        if watch {
                            self.child_watches.insert(path.to_string());
                        }
                        format!("[{}]", c.join(", "))
                    }
                    None => format!("Node does not exist: {path}"),
                },
            },
            ["get", path] => match validate(path, false) {
                Err(e) => e,
                Ok(()) => match self.nodes.get(*path) {
                    Some(n) => {
                        let data = n.data.clone().unwrap_or_else(|| "null".into());
                        if watch {
                            self.data_watches.insert(path.to_string());
                        }
                        data
                    }
                    None => format!("Node does not exist: {path}"),
                },
            },
            ["stat", path] => match validate(path, false) {
                Err(e) => e,
                Ok(()) => {
                    // `exists` with a watch registers it even for a missing node.
                    if watch {
                        self.data_watches.insert(path.to_string());
                    }
                    match self.nodes.get(*path) {
                        Some(n) => self.stat(n),
                        None => format!("Node does not exist: {path}"),
                    }
                }
            },
            [] => String::new(),
            [cmd, ..] if ["create", "delete", "ls", "get", "stat"].contains(cmd) => {
                USAGE.trim_end_matches('\n').to_string()
            }
            [cmd, ..] => format!(
                "{}\nCommand not found: Command not found {cmd}",
                USAGE.trim_end_matches('\n')
            ),
        }
    }

    fn stat(&self, n: &Node) -> String {
        let time = fmt_time(n.ctime);
        [
            format!("cZxid = 0x{:x}", n.czxid),
            format!("ctime = {time}"),
            format!("mZxid = 0x{:x}", n.mzxid),
            format!("mtime = {time}"),
            format!("pZxid = 0x{:x}", n.pzxid),
            format!("cversion = {}", n.cversion),
            format!("dataVersion = {}", n.version),
            "aclVersion = 0".to_string(),
            format!("ephemeralOwner = 0x{:x}", n.ephemeral),
            format!("dataLength = {}", n.data.as_ref().map_or(0, String::len)),
            format!("numChildren = {}", n.children.len()),
        ]
        .join("\n")
    }

    fn create(&mut self, rest: &[&str], events: &mut Vec<(&'static str, String)>) -> String {
        let (mut seq, mut eph) = (false, false);
        let mut pos = Vec::new();
        for a in rest {
            match *a {
                "-s" => seq = true,
                "-e" => eph = true,
                _ => pos.push(*a),
            }
        }
        let Some(path) = pos.first().copied() else {
            return USAGE.trim_end_matches('\n').to_string();
        };
        if let Err(e) = validate(path, seq) {
            return e;
        }
        if path == "/" {
            return "Arguments are not valid : /".into();
        }
        let data = pos.get(1).map(|d| d.to_string());
        let zxid = self.next_zxid();
        let parent = parent_of(path).to_string();
        let Some(p) = self.nodes.get(&parent) else {
            return format!("Node does not exist: {path}");
        };
        if p.ephemeral != 0 {
            return format!("Ephemerals cannot have children: {path}");
        }
        let actual = if seq {
            format!("{path}{:010}", p.creates)
        } else {
            path.to_string()
        };
        if self.nodes.contains_key(&actual) {
            return format!("Node already exists: {actual}");
        }
        let owner = if eph { SESSION } else { 0 };
        self.nodes
            .insert(actual.clone(), Node::new(data, zxid, owner, self.now));
        if let Some(p) = self.nodes.get_mut(&parent) {
            p.children.insert(name_of(&actual).to_string());
            p.cversion += 1;
            p.creates += 1;
            p.pzxid = zxid;
        }
        if self.data_watches.remove(&actual) {
            events.push(("NodeCreated", actual.clone()));
        }
        if self.child_watches.remove(&parent) {
            events.push(("NodeChildrenChanged", parent));
        }
        format!("Created {actual}")
    }

    fn delete(&mut self, path: &str, events: &mut Vec<(&'static str, String)>) -> String {
        if let Err(e) = validate(path, false) {
            return e;
        }
        if path == "/" {
            return "Arguments are not valid : /".into();
        }
        let zxid = self.next_zxid();
        let Some(n) = self.nodes.get(path) else {
            return format!("Node does not exist: {path}");
        };
        if !n.children.is_empty() {
            return format!("Node not empty: {path}");
        }
        self.nodes.remove(path);
        if let Some(p) = self.nodes.get_mut(parent_of(path)) {
            p.children.remove(name_of(path));
            p.cversion += 1;
            p.pzxid = zxid;
        }
        // One event per path and kind: every watch of this session shares zkCli's watcher.
        let data = self.data_watches.remove(path);
        if self.child_watches.remove(path) | data {
            events.push(("NodeDeleted", path.to_string()));
        }
        let parent = parent_of(path).to_string();
        if self.child_watches.remove(&parent) {
            events.push(("NodeChildrenChanged", parent));
        }
        String::new()
    }
}

/// `ctime`'s Java `Date.toString()` form for a virtual time (from the epoch, UTC); real
/// servers print the wall clock, which the conformance tests do not compare.
fn fmt_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!("Thu Jan 01 {h:02}:{m:02}:{s:02} UTC 1970")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_count_creates_while_cversion_counts_deletes_too() {
        let mut z = Zk::new();
        assert_eq!(z.exec("create /lk"), "Created /lk");
        assert_eq!(z.exec("create -e -s /lk/n- a"), "Created /lk/n-0000000000");
        assert_eq!(z.exec("delete /lk/n-0000000000"), "");
        assert_eq!(z.exec("create -s -e /lk/n-"), "Created /lk/n-0000000001");
        assert_eq!(z.exec("ls /lk"), "[n-0000000001]");
        assert_eq!(z.exec("get /lk/n-0000000001"), "null");
        assert_eq!(
            z.exec("create /lk/n-0000000001/c"),
            "Ephemerals cannot have children: /lk/n-0000000001/c"
        );
        assert_eq!(z.exec("delete /lk"), "Node not empty: /lk");
        let stat = z.exec("stat /lk");
        assert!(stat.contains("cversion = 3\n"), "{stat}");
        assert!(stat.starts_with("cZxid = 0x2\n"), "{stat}");
        assert_eq!(predecessor([0, 2, 5], 5), Some(2));
        // The predecessor watch: one event when the node ahead goes, none afterwards.
        z.exec("create -e -s /lk/n- b");
        assert!(z
            .exec("stat -w /lk/n-0000000001")
            .contains("numChildren = 0"));
        let fired = z.exec("delete /lk/n-0000000001");
        assert_eq!(
            fired,
            "\n\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDeleted path:/lk/n-0000000001"
        );
        assert_eq!(z.exec("create -e -s /lk/n- c"), "Created /lk/n-0000000003");
        assert_eq!(predecessor([0, 2, 5], 0), None);
    }
}
