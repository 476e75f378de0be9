//! `ringlab-cli kv --flavor redis|etcd|zookeeper`: runs a script (one command per line on
//! stdin) against the pure server models the lab's lock servers use
//! (`sim::proto::locks::model`) and prints each reply as the real client prints it
//! (`redis-cli --no-raw`, `etcdctl`, `zkCli.sh`). `ADVANCE <ms>` moves virtual time. This is
//! the simulated half of the conformance tests.

use std::io::{BufRead, Write};

use super::CliError;
use crate::sim::proto::locks::model::{etcd::Etcd, redis, zk::Zk};

/// Which real server's commands and printed replies to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// redis-server 7.0 through `redis-cli --no-raw`.
    Redis,
    /// etcd 3.4 through `etcdctl` (API 3).
    Etcd,
    /// ZooKeeper 3.8 through `zkCli.sh`.
    Zookeeper,
}

/// The parsed options of `kv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opts {
    /// The server to model.
    pub flavor: Flavor,
    /// A line printed after every reply (also after `ADVANCE`, which prints nothing else),
    /// so a driver can split multi-line replies; `None`: nothing.
    pub marker: Option<String>,
}

/// Parses `--flavor F [--marker M]` (also `--name=value`).
pub fn parse_args(args: &[String]) -> Result<Opts, CliError> {
    let mut flavor = None;
    let mut marker = None;
    let mut i = 0;
    while i < args.len() {
        let (name, inline) = match args[i].split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (args[i].clone(), None),
        };
        let mut value = || -> Result<String, CliError> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| CliError::Usage(format!("kv: {name} needs a value")))
        };
        match name.as_str() {
            "--flavor" => {
                flavor = Some(match value()?.as_str() {
                    "redis" => Flavor::Redis,
                    "etcd" => Flavor::Etcd,
                    "zookeeper" | "zk" => Flavor::Zookeeper,
                    other => {
                        return Err(CliError::Usage(format!(
                            "kv: --flavor must be redis, etcd or zookeeper (got `{other}`)"
                        )))
                    }
                })
            }
            "--marker" => marker = Some(value()?),
            other => return Err(CliError::Usage(format!("kv: unknown option `{other}`"))),
        }
        i += 1;
    }
    let flavor = flavor.ok_or_else(|| CliError::Usage("kv: --flavor is required".into()))?;
    Ok(Opts { flavor, marker })
}

/// One model of each kind behind a common face.
enum Server {
    Redis(redis::Redis),
    Etcd(Etcd),
    Zk(Zk),
}

impl Server {
    fn new(f: Flavor) -> Self {
        match f {
            Flavor::Redis => Server::Redis(redis::Redis::new()),
            Flavor::Etcd => Server::Etcd(Etcd::new()),
            Flavor::Zookeeper => Server::Zk(Zk::new()),
        }
    }

    fn advance(&mut self, ms: u64) {
        match self {
            Server::Redis(r) => r.advance(ms),
            Server::Etcd(e) => e.advance(ms),
            Server::Zk(z) => z.advance(ms),
        }
    }

    /// The printed reply to one line (`None`: the client prints nothing at all).
    fn exec(&mut self, line: &str) -> Option<String> {
        match self {
            Server::Redis(r) => Some(match redis::split_args(line) {
                Some(argv) if argv.is_empty() => return None,
                Some(argv) => r.exec(&argv).cli(),
                None => "Invalid argument(s)".into(),
            }),
            Server::Etcd(e) => Some(e.exec(line)),
            Server::Zk(z) => Some(z.exec(line)),
        }
    }
}

/// Runs the script read from `input`, writing replies to `out`. Blank lines are skipped (as
/// the real clients do); a malformed `ADVANCE` is a usage error naming the line.
pub fn run(opts: &Opts, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<(), CliError> {
    let mut server = Server::new(opts.flavor);
    let wr = |e: std::io::Error| CliError::Output(format!("kv: cannot write output: {e}"));
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| CliError::Usage(format!("kv: cannot read stdin: {e}")))?;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let reply = if words.next() == Some("ADVANCE") {
            let ms = words.next().and_then(|w| w.parse::<u64>().ok());
            match (ms, words.next()) {
                (Some(ms), None) => {
                    server.advance(ms);
                    None
                }
                _ => {
                    return Err(CliError::Usage(format!(
                        "kv: line {}: ADVANCE needs one whole number of milliseconds",
                        n + 1
                    )))
                }
            }
        } else {
            server.exec(line)
        };
        if let Some(r) = reply {
            if !r.is_empty() {
                writeln!(out, "{r}").map_err(wr)?;
            }
        }
        if let Some(m) = &opts.marker {
            // A driver waits for the marker before sending the next line: flush it now.
            writeln!(out, "{m}").map_err(wr)?;
            out.flush().map_err(wr)?;
        }
    }
    out.flush().map_err(wr)
}

/// The whole command: parse, run on stdin, exit code (0, 1 output error, 2 usage).
pub fn main(
    args: &[String],
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let res = parse_args(args).and_then(|o| run(&o, input, out));
    match res {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "ringlab-cli: {e}");
            e.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(flavor: &str, script: &str) -> (u8, String) {
        let args = vec!["--flavor".to_string(), flavor.to_string()];
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = main(&args, &mut script.as_bytes(), &mut out, &mut err);
        (code, String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn redis_scripts_print_redis_cli_replies_and_advance_expires_keys() {
        let (code, out) = kv(
            "redis",
            "SET k v NX PX 100\nSET k w NX\nGET k\nADVANCE 101\nGET k\nDEL k\nPING\nFROB x\n",
        );
        assert_eq!(code, 0);
        assert_eq!(
            out,
            "OK\n(nil)\n\"v\"\n(nil)\n(integer) 0\nPONG\n\
             (error) ERR unknown command 'FROB', with args beginning with: 'x' \n"
        );
    }

    #[test]
    fn every_flavor_survives_garbage_without_panicking() {
        for f in ["redis", "etcd", "zookeeper"] {
            let (code, out) = kv(f, "\u{0}\u{7f} \"'\n--\ntxn |||\ncreate\nEVAL x -1\nSET k v PX 99999999999999999999\n");
            assert_eq!(code, 0, "{f}: {out}");
            assert!(!out.is_empty());
        }
        assert_eq!(kv("redis", "ADVANCE soon\n").0, 2);
        assert_eq!(kv("mongo", "").0, 2);
    }

    #[test]
    fn seeded_random_lines_never_panic_any_model() {
        let words = [
            "SET",
            "GET",
            "DEL",
            "EXISTS",
            "PTTL",
            "TTL",
            "PEXPIRE",
            "EXPIRE",
            "EVAL",
            "PING",
            "NX",
            "XX",
            "GT",
            "LT",
            "PX",
            "EX",
            "EXAT",
            "PXAT",
            "KEEPTTL",
            "k",
            "v",
            "-1",
            "0",
            "1",
            "9223372036854775807",
            "-9223372036854775808",
            "99999999999999999999",
            "\"",
            "'",
            "put",
            "get",
            "del",
            "lease",
            "grant",
            "revoke",
            "keep-alive",
            "--once",
            "--lease=1",
            "--lease=zz",
            "txn",
            "|",
            ";",
            "create(\"k\")",
            "=",
            "\"0\"",
            "create",
            "-e",
            "-s",
            "/",
            "/a",
            "/a/b",
            "ls",
            "-w",
            "stat",
            "delete",
            "//",
            "ADVANCE",
            redis::RELEASE_SCRIPT,
        ];
        let mut rng = crate::sim::rng::Rng::new(16);
        for flavor in [Flavor::Redis, Flavor::Etcd, Flavor::Zookeeper] {
            let mut server = Server::new(flavor);
            for _ in 0..3000 {
                let n = 1 + rng.below(7) as usize;
                let line: Vec<&str> = (0..n)
                    .map(|_| words[rng.below(words.len() as u64) as usize])
                    .collect();
                let line = line.join(" ");
                if rng.chance(0.05) {
                    server.advance(rng.below(5000));
                }
                let _ = server.exec(&line);
            }
        }
    }

    #[test]
    fn markers_frame_multi_line_replies() {
        let args: Vec<String> = ["--flavor", "etcd", "--marker", "--"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut out = Vec::new();
        let code = main(
            &args,
            &mut "put a 1\nget a\nget b\n".as_bytes(),
            &mut out,
            &mut Vec::new(),
        );
        assert_eq!(code, 0);
        assert_eq!(String::from_utf8_lossy(&out), "OK\n--\na\n1\n--\n--\n");
    }
}
