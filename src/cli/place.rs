//! `ringlab-cli place`: where do these keys live on this ring? One JSON object per key, so
//! placements can be diffed, piped into `jq`, or checked against `docs/placement.md`.

use std::io::{self, Read, Write};

use serde::Serialize;

use super::CliError;
use crate::sim::hash;
use crate::sim::ring::Ring;

/// Where the keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `--keys k1,k2`: empty items dropped.
    List(Vec<String>),
    /// `--keys-file F`: one key per line; `-` is stdin.
    File(String),
}

/// Parsed, not yet validated against the ring, arguments of `place`.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaceArgs {
    /// Node names in the order given (this is also their id order).
    pub nodes: Vec<String>,
    /// Vnodes per unit of weight.
    pub vnodes: u32,
    /// Explicit weights; other nodes weigh 1.
    pub weights: Vec<(String, f64)>,
    /// Nodes to mark failed.
    pub down: Vec<String>,
    /// How many distinct live nodes to list per key.
    pub replicas: usize,
    /// The keys to place.
    pub keys: KeySource,
}

/// One output line: field order is part of the CLI's contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// The key as given.
    pub key: String,
    /// `pos(key)` as 16 lowercase hex digits.
    pub position: String,
    /// Owning node's name; `null` when no node is up.
    pub owner: Option<String>,
    /// Up to R distinct live nodes, owner first.
    pub replicas: Vec<String>,
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// Parses `place`'s options (everything after the word `place`).
pub fn parse(args: &[String]) -> Result<PlaceArgs, CliError> {
    let mut nodes = None;
    let mut vnodes = None;
    let mut weights = None;
    let mut down = None;
    let mut replicas = None;
    let mut keys = None;
    let mut keys_file = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let slot = match flag {
            "--nodes" => &mut nodes,
            "--vnodes" => &mut vnodes,
            "--weights" => &mut weights,
            "--down" => &mut down,
            "--replicas" => &mut replicas,
            "--keys" => &mut keys,
            "--keys-file" => &mut keys_file,
            _ if flag.starts_with('-') => {
                return Err(usage(format!(
                    "place: unknown option `{flag}` (try `ringlab-cli --help`)"
                )))
            }
            _ => {
                return Err(usage(format!(
                    "place: unexpected argument `{arg}`; values follow an option, e.g. --keys {arg}"
                )))
            }
        };
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .cloned()
                .ok_or_else(|| usage(format!("place: {flag} needs a value")))?,
        };
        if slot.replace(value).is_some() {
            return Err(usage(format!("place: {flag} given more than once")));
        }
    }
    let nodes: Vec<String> = nodes
        .ok_or_else(|| usage("place: --nodes is required, e.g. --nodes a,b,c"))?
        .split(',')
        .map(str::to_owned)
        .collect();
    let vnodes = match vnodes {
        None => 100,
        Some(v) => v.parse::<u32>().map_err(|_| {
            usage(format!(
                "place: --vnodes {v:?} is not a whole number between 1 and 1000"
            ))
        })?,
    };
    let replicas = match replicas {
        None => 1,
        Some(r) => match r.parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(usage(format!(
                    "place: --replicas {r:?} must be a whole number ≥ 1"
                )))
            }
        },
    };
    let known = |name: &str, flag: &str| -> Result<String, CliError> {
        if nodes.iter().any(|n| n == name) {
            Ok(name.to_owned())
        } else {
            Err(usage(format!(
                "place: {flag} names {name:?}, which is not in --nodes"
            )))
        }
    };
    let mut weight_list: Vec<(String, f64)> = Vec::new();
    for item in weights.iter().flat_map(|w| w.split(',')) {
        let (name, w) = item.rsplit_once('=').ok_or_else(|| {
            usage(format!(
                "place: --weights item {item:?} should look like name=2.5"
            ))
        })?;
        let name = known(name, "--weights")?;
        let w: f64 = w
            .parse()
            .map_err(|_| usage(format!("place: weight {w:?} for {name:?} is not a number")))?;
        if weight_list.iter().any(|(n, _)| *n == name) {
            return Err(usage(format!("place: --weights sets {name:?} twice")));
        }
        weight_list.push((name, w));
    }
    let down = match down {
        None => Vec::new(),
        Some(d) => d
            .split(',')
            .map(|n| known(n, "--down"))
            .collect::<Result<_, _>>()?,
    };
    let keys = match (keys, keys_file) {
        (Some(_), Some(_)) => {
            return Err(usage("place: give either --keys or --keys-file, not both"))
        }
        (None, None) => {
            return Err(usage(
                "place: no keys; add --keys k1,k2 or --keys-file FILE",
            ))
        }
        (Some(k), None) => KeySource::List(
            k.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        (None, Some(f)) => KeySource::File(f),
    };
    Ok(PlaceArgs {
        nodes,
        vnodes,
        weights: weight_list,
        down,
        replicas,
        keys,
    })
}

/// Builds the ring the arguments describe; ring errors become usage errors.
pub fn build_ring(args: &PlaceArgs) -> Result<Ring, CliError> {
    let bad = |e: crate::sim::ring::RingError| usage(format!("place: {e}"));
    let mut ring = Ring::new(args.vnodes).map_err(bad)?;
    for name in &args.nodes {
        let w = args
            .weights
            .iter()
            .find(|(n, _)| n == name)
            .map_or(1.0, |(_, w)| *w);
        ring.add_node(name, w).map_err(bad)?;
    }
    for name in &args.down {
        if let Some(id) = ring.node_id(name) {
            if ring.is_live(id) {
                ring.fail_node(id).map_err(bad)?;
            }
        }
    }
    Ok(ring)
}

/// Splits a keys file into keys: one per line, `\r\n` tolerated, empty lines skipped.
pub fn keys_from_text(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The placement of each key on `ring`, in input order.
pub fn place_keys(ring: &Ring, keys: &[String], replicas: usize) -> Vec<Placement> {
    let name = |id| ring.node(id).map(|n| n.name.clone()).unwrap_or_default();
    keys.iter()
        .map(|k| {
            let h = hash::pos(k);
            Placement {
                key: k.clone(),
                position: format!("{h:016x}"),
                owner: ring.owner_of(h).map(name),
                replicas: ring.replicas(h, replicas).into_iter().map(name).collect(),
            }
        })
        .collect()
}

fn read_keys(source: &KeySource) -> Result<Vec<String>, CliError> {
    match source {
        KeySource::List(keys) => Ok(keys.clone()),
        KeySource::File(path) => {
            let mut text = String::new();
            let result = if path == "-" {
                io::stdin().read_to_string(&mut text).map(|_| ())
            } else {
                std::fs::read_to_string(path).map(|t| text = t)
            };
            result.map_err(|e| usage(format!("place: cannot read keys file {path:?}: {e}")))?;
            Ok(keys_from_text(&text))
        }
    }
}

/// Runs `place` end to end, writing JSON lines to `out`. A closed pipe (e.g. `| head`) is
/// not an error.
pub fn run(args: &[String], out: &mut impl Write) -> Result<(), CliError> {
    let parsed = parse(args)?;
    let ring = build_ring(&parsed)?;
    let keys = read_keys(&parsed.keys)?;
    let write = |out: &mut dyn Write| -> io::Result<()> {
        for p in place_keys(&ring, &keys, parsed.replicas) {
            serde_json::to_writer(&mut *out, &p)?;
            out.write_all(b"\n")?;
        }
        out.flush()
    };
    match write(out) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Output(format!("place: cannot write output: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_every_option_in_both_spellings() {
        let a = parse(&args(&[
            "--nodes",
            "a,b,c",
            "--vnodes=10",
            "--weights",
            "a=2,b=0.5",
            "--down=b",
            "--replicas",
            "3",
            "--keys",
            "k1,,k2",
        ]))
        .unwrap();
        assert_eq!(a.nodes, ["a", "b", "c"]);
        assert_eq!(a.vnodes, 10);
        assert_eq!(a.weights, vec![("a".into(), 2.0), ("b".into(), 0.5)]);
        assert_eq!(a.down, ["b"]);
        assert_eq!(a.replicas, 3);
        assert_eq!(a.keys, KeySource::List(args(&["k1", "k2"])));
    }

    #[test]
    fn rejects_bad_arguments_with_a_hint() {
        let cases: &[(&[&str], &str)] = &[
            (&["--keys", "k"], "--nodes is required"),
            (&["--nodes", "a"], "no keys"),
            (
                &["--nodes", "a", "--keys", "k", "--keys-file", "f"],
                "not both",
            ),
            (
                &["--nodes", "a", "--nodes", "b", "--keys", "k"],
                "more than once",
            ),
            (
                &["--nodes", "a", "--vnodes", "x", "--keys", "k"],
                "--vnodes",
            ),
            (
                &["--nodes", "a", "--replicas", "0", "--keys", "k"],
                "--replicas",
            ),
            (
                &["--nodes", "a", "--weights", "b=2", "--keys", "k"],
                "not in --nodes",
            ),
            (
                &["--nodes", "a", "--weights", "a", "--keys", "k"],
                "name=2.5",
            ),
            (
                &["--nodes", "a", "--weights", "a=x", "--keys", "k"],
                "not a number",
            ),
            (
                &["--nodes", "a", "--down", "z", "--keys", "k"],
                "not in --nodes",
            ),
            (&["--nodes", "a", "--frob", "--keys", "k"], "unknown option"),
            (
                &["--nodes", "a", "stray", "--keys", "k"],
                "unexpected argument",
            ),
            (&["--nodes"], "needs a value"),
        ];
        for (a, want) in cases {
            let err = parse(&args(a)).unwrap_err();
            assert_eq!(err.exit_code(), 2);
            assert!(err.to_string().contains(want), "{a:?}: {err}");
        }
    }

    #[test]
    fn ring_errors_become_usage_errors() {
        for (a, want) in [
            (&["--nodes", "a,a", "--keys", "k"][..], "already exists"),
            (&["--nodes", "a,", "--keys", "k"], "empty"),
            (
                &["--nodes", "a", "--vnodes", "0", "--keys", "k"],
                "between 1 and 1000",
            ),
            (
                &["--nodes", "a", "--weights", "a=-1", "--keys", "k"],
                "greater than 0",
            ),
            (
                &["--nodes", "a", "--weights", "a=1e9", "--keys", "k"],
                "limit",
            ),
        ] {
            let err = parse(&args(a)).and_then(|p| build_ring(&p)).unwrap_err();
            assert_eq!(err.exit_code(), 2);
            assert!(err.to_string().contains(want), "{a:?}: {err}");
        }
    }

    #[test]
    fn writes_one_json_object_per_key() {
        let mut out = Vec::new();
        run(
            &args(&[
                "--nodes",
                "a,b,c",
                "--down",
                "b",
                "--replicas",
                "5",
                "--keys",
                "x,y",
            ]),
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["key"], "x");
        assert_eq!(v["position"], format!("{:016x}", hash::pos("x")));
        assert_eq!(v["replicas"].as_array().unwrap().len(), 2);
        assert_eq!(v["replicas"][0], v["owner"]);
        assert!(lines[0].starts_with("{\"key\":\"x\",\"position\":"));
    }

    #[test]
    fn all_down_gives_null_owner() {
        let p = parse(&args(&["--nodes", "a", "--down", "a", "--keys", "k"])).unwrap();
        let ring = build_ring(&p).unwrap();
        let placed = place_keys(&ring, &["k".to_string()], 2);
        assert_eq!(placed[0].owner, None);
        assert!(placed[0].replicas.is_empty());
    }

    #[test]
    fn keys_file_lines() {
        assert_eq!(keys_from_text("a\r\n\nb\n"), ["a", "b"]);
    }
}
