//! Runs the real `ringlab-cli` binary: JSON lines on success, one-line error and exit code 2
//! on bad arguments.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn cli(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringlab-cli"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

#[test]
fn place_prints_one_json_object_per_key() {
    let out = cli(
        &[
            "place",
            "--nodes",
            "alpha,beta,gamma,delta",
            "--vnodes",
            "10",
            "--replicas",
            "2",
            "--keys",
            "order:0001,order:0005",
        ],
        None,
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        concat!(
            r#"{"key":"order:0001","position":"c936e4b7a3ded59e","owner":"alpha","replicas":["alpha","beta"]}"#,
            "\n",
            r#"{"key":"order:0005","position":"9e3c6c3823d13aba","owner":"gamma","replicas":["gamma","delta"]}"#,
            "\n"
        )
    );
}

#[test]
fn place_reads_keys_from_stdin_with_weights_and_down_nodes() {
    let out = cli(
        &[
            "place",
            "--nodes=alpha,beta,gamma,delta",
            "--vnodes=10",
            "--weights=alpha=3,delta=0.5",
            "--down=gamma",
            "--keys-file",
            "-",
        ],
        Some("order:0004\r\n\norder:0005\n"),
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let owners: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["owner"].to_string())
        .collect();
    assert_eq!(owners, ["\"delta\"", "\"alpha\""]);
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    for args in [
        &[
            "place",
            "--nodes",
            "a,b",
            "--keys-file",
            "/definitely/not/here",
        ][..],
        &["place", "--nodes", "a,a", "--keys", "k"],
        &["place", "--keys", "k"],
        &["place", "--nodes", "a", "--vnodes", "5000", "--keys", "k"],
        &["frobnicate"],
    ] {
        let out = cli(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("ringlab-cli: "), "{err}");
    }
}

#[test]
fn help_lists_place_and_version_still_works() {
    let out = cli(&["help"], None);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("--keys-file"));
    let out = cli(&["--version"], None);
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("ringlab-cli "));
}
