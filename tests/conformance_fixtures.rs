//! The conformance layer's regression fixtures without the real servers: each script in
//! tests/fixtures/conformance/ once made the lab's model answer differently from the real
//! server; its header records the line and what the server printed there. The model must now
//! print exactly that (the layer itself, `tests/conformance/run.py`, replays them against the
//! servers too).

use std::fs;
use std::path::Path;

use ringlab::sim::proto::locks::model::{etcd, redis, zk};

/// Runs one script line through a fresh model of `flavor`, with the layer's placeholders
/// (`$Ln`: the n-th lease granted; `$LAST`: the last path created).
struct Runner {
    flavor: String,
    redis: redis::Redis,
    etcd: etcd::Etcd,
    zk: zk::Zk,
    leases: Vec<String>,
    created: Vec<String>,
}

impl Runner {
    fn new(flavor: &str) -> Self {
        Runner {
            flavor: flavor.to_string(),
            redis: redis::Redis::new(),
            etcd: etcd::Etcd::new(),
            zk: zk::Zk::new(),
            leases: Vec::new(),
            created: Vec::new(),
        }
    }

    fn subst(&self, line: &str) -> String {
        let mut out = line.to_string();
        for (i, id) in self.leases.iter().enumerate().rev() {
            out = out.replace(&format!("$L{}", i + 1), id);
        }
        let last = self.created.last().map_or("/none", String::as_str);
        out.replace("$LAST", last)
    }

    fn run(&mut self, line: &str) -> String {
        if let Some(ms) = line.strip_prefix("ADVANCE ") {
            let ms: u64 = ms.trim().parse().expect("ADVANCE ms");
            self.redis.advance(ms);
            self.etcd.advance(ms);
            self.zk.advance(ms);
            return String::new();
        }
        let line = self.subst(line);
        let reply = match self.flavor.as_str() {
            "redis" => match redis::split_args(&line) {
                Some(argv) => self.redis.exec(&argv).cli(),
                None => "Invalid argument(s)".to_string(),
            },
            "etcd" => self.etcd.exec(&line),
            "zookeeper" => self.zk.exec(&line),
            other => panic!("unknown flavor {other}"),
        };
        if let Some(rest) = reply.strip_prefix("lease ") {
            if let Some((id, tail)) = rest.split_once(' ') {
                if tail.starts_with("granted") {
                    self.leases.push(id.to_string());
                }
            }
        }
        for l in reply.lines() {
            if let Some(p) = l.strip_prefix("Created ") {
                self.created.push(p.to_string());
            }
        }
        reply
    }
}

#[test]
fn every_regression_fixture_now_gets_the_real_servers_reply() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).expect("fixture dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let flavor = name.split('-').next().unwrap().to_string();
        let text = fs::read_to_string(&path).expect("fixture text");
        let mut at = None;
        let mut real = None;
        let mut lines = Vec::new();
        for l in text.lines() {
            if let Some(n) = l.strip_prefix("# line: ") {
                at = Some(n.trim().parse::<usize>().expect("line number"));
            } else if let Some(j) = l.strip_prefix("# real: ") {
                real = Some(serde_json::from_str::<String>(j).expect("real reply as JSON"));
            } else if !l.starts_with('#') && !l.trim().is_empty() {
                lines.push(l.to_string());
            }
        }
        let (Some(at), Some(real)) = (at, real) else {
            panic!("{name}: header needs `# line:` and `# real:`");
        };
        let mut runner = Runner::new(&flavor);
        let mut got = String::new();
        for l in &lines[..at] {
            got = runner.run(l);
        }
        assert_eq!(got.trim_end(), real.trim_end(), "{name}, line {at}");
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} fixtures found");
}

#[test]
fn the_binary_runs_kv_scripts_from_stdin_and_refuses_bad_flavors() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let run = |args: &[&str], script: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ringlab-cli"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ringlab-cli");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(script.as_bytes())
            .expect("write script");
        let out = child.wait_with_output().expect("wait");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(
        &["kv", "--flavor", "zookeeper"],
        "create /lk\ncreate -e -s /lk/n- a\nls /lk\n",
    );
    assert_eq!(code, Some(0));
    assert_eq!(
        out,
        "Created /lk\nCreated /lk/n-0000000000\n[n-0000000000]\n"
    );
    let (code, out) = run(
        &["kv", "--flavor", "etcd"],
        "put a 1\nget a\ndel a\nget a\n",
    );
    assert_eq!(code, Some(0));
    assert_eq!(out, "OK\na\n1\n1\n");
    assert_eq!(run(&["kv", "--flavor", "mongo"], "").0, Some(2));
    assert_eq!(run(&["kv"], "").0, Some(2));
}
