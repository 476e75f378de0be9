//! "Compare modes" of the store's panel, browser-free: the replication modes run side by
//! side on the same seed from the user's session, not only the bundled scenario. Each row is
//! the scenario with one mode from the start plus the commands the user applied up to the
//! playhead (crashes, partitions, ...; applied at the same virtual times), so a fork the user
//! made is compared too; the user's own `kv_set` switches are left out (the mode is what each
//! row sets). The result says what it compared.

use crate::sim::cmd::Cmd;
use crate::sim::history::Kind;
use crate::sim::invariant::Checker;
use crate::sim::proto::kv::{Kv, KvCfg, KvSet, KvShared, Mode, Replication, Resolve};
use crate::sim::scenario::Scenario;
use crate::sim::time::{fmt_ms, Time};
use crate::sim::timeline::{Input, Timeline, DEFAULT_SNAPSHOT_EVERY};

/// The modes the comparison runs, for the loaded scenario's mode: (label, change).
pub fn compared(c: &KvCfg) -> Vec<(&'static str, KvSet)> {
    let set = KvSet::default;
    match c.mode {
        Mode::Primary => [
            ("async, unfenced", Replication::Async, false),
            ("sync, unfenced", Replication::Sync, false),
            ("async, fenced", Replication::Async, true),
            ("sync, fenced", Replication::Sync, true),
        ]
        .into_iter()
        .map(|(l, r, f)| {
            (
                l,
                KvSet {
                    replication: Some(r),
                    fencing: Some(f),
                    ..set()
                },
            )
        })
        .collect(),
        Mode::Dynamo => vec![
            (
                "strict quorum",
                KvSet {
                    sloppy: Some(false),
                    ..set()
                },
            ),
            (
                "sloppy quorum",
                KvSet {
                    sloppy: Some(true),
                    ..set()
                },
            ),
            (
                "R=1 W=1",
                KvSet {
                    r: Some(1),
                    w: Some(1),
                    ..set()
                },
            ),
            (
                "read repair off",
                KvSet {
                    read_repair: Some(false),
                    ..set()
                },
            ),
            (
                "last writer wins",
                KvSet {
                    resolve: Some(Resolve::Lww),
                    ..set()
                },
            ),
            (
                "version vectors",
                KvSet {
                    resolve: Some(Resolve::Vv),
                    ..set()
                },
            ),
        ],
    }
}

/// Mean completion time of the acknowledged operations, in ms.
pub fn latency(s: &KvShared) -> u64 {
    let done: Vec<u64> = s
        .ops()
        .iter()
        .filter_map(|o| o.ret.map(|r| r.saturating_sub(o.invoke)))
        .collect();
    if done.is_empty() {
        return 0;
    }
    done.iter().sum::<u64>() / done.len() as u64
}

/// One compared run: its cells (mode, lost acked writes, stale reads, siblings, verdict,
/// latency, ok / unknown, messages), and whether it is the mode at the playhead.
pub type Row = (Vec<String>, bool);

/// The comparison: its rows and a sentence saying what was compared.
#[derive(Clone, Debug, PartialEq)]
pub struct Compared {
    /// One per mode.
    pub rows: Vec<Row>,
    /// "The scenario as bundled, ..." or "The scenario with your 2 commands up to ...".
    pub what: String,
}

fn is_kv_set(c: &Cmd) -> bool {
    c.op() == "kv_set"
}

/// Runs every compared mode from the start on the scenario's seed and schedule plus the
/// user's commands `inputs` (the session's log) applied up to `upto` ms; `current` is the
/// store's mode at the playhead (its row is marked).
pub fn compare(
    s: &Scenario,
    inputs: &[Input],
    upto: Time,
    current: Option<&KvCfg>,
) -> Result<Compared, String> {
    let cfg = s
        .protocols
        .kv
        .as_ref()
        .ok_or("this scenario has no replicated store")?;
    let mine: Vec<&Input> = inputs.iter().filter(|i| i.now <= upto).collect();
    let kept: Vec<&Input> = mine
        .iter()
        .copied()
        .filter(|i| !is_kv_set(&i.cmd))
        .collect();
    let switches = mine.len() - kept.len();
    let mut rows = Vec::new();
    let mut refused = 0usize;
    for (label, change) in compared(cfg) {
        let mut v = s.clone();
        let next = change.apply(cfg);
        let here = current.is_some_and(|c| same_mode(&next, c));
        v.protocols.kv = Some(next);
        v.expect = None;
        let run = v.validate().map_err(|e| e.to_string()).and_then(|_| {
            let w = v.build(None).map_err(|e| e.to_string())?;
            let mut tl = Timeline::with_checker(w, Checker::builtin(), DEFAULT_SNAPSHOT_EVERY);
            for i in &kept {
                tl.advance_to(i.now);
                // A command this mode's world refuses (a node already down) is skipped.
                if tl.apply(i.cmd.clone()).is_err() {
                    refused += 1;
                }
            }
            tl.advance_to(v.until_ms);
            Ok(tl)
        });
        let cells = match run {
            Err(e) => vec![label.to_string(), format!("not run: {e}")],
            Ok(tl) => {
                let w = tl.world();
                let k = w.shared::<Kv>();
                let c = w.cfg::<Kv>().unwrap_or(cfg);
                let lost = if k.cart {
                    "not judged".into()
                } else {
                    k.lost(c.mode == Mode::Dynamo).len().to_string()
                };
                let info = k.history.iter().filter(|e| e.kind == Kind::Info).count();
                vec![
                    label.to_string(),
                    lost,
                    k.stale.len().to_string(),
                    k.stats.siblings.to_string(),
                    k.verdict().verdict().replace('_', " "),
                    latency(k).to_string(),
                    format!("{} / {info}", k.stats.ok),
                    k.stats.messages.to_string(),
                ]
            }
        };
        rows.push((cells, here));
    }
    Ok(Compared {
        rows,
        what: what(s, &kept, switches, refused, upto),
    })
}

/// The compared modes' own settings agree (replication and fencing; quorums and resolution).
fn same_mode(a: &KvCfg, b: &KvCfg) -> bool {
    match a.mode {
        Mode::Primary => a.replication == b.replication && a.fencing == b.fencing,
        Mode::Dynamo => {
            a.sloppy == b.sloppy
                && (a.r, a.w) == (b.r, b.w)
                && a.read_repair == b.read_repair
                && a.resolve == b.resolve
        }
    }
}

fn what(s: &Scenario, kept: &[&Input], switches: usize, refused: usize, upto: Time) -> String {
    let mut out = if kept.is_empty() {
        format!(
            "Compared: {} as bundled (seed {}, its own faults), each mode from the start",
            s.id, s.seed
        )
    } else {
        let list: Vec<String> = kept
            .iter()
            .take(6)
            .map(|i| format!("{} at {}", i.cmd.op(), fmt_ms(i.now)))
            .collect();
        format!(
            "Compared: {} (seed {}) with your {} command{} up to {} ({}{}), each mode from the start",
            s.id,
            s.seed,
            kept.len(),
            if kept.len() == 1 { "" } else { "s" },
            fmt_ms(upto),
            list.join(", "),
            if kept.len() > 6 { ", …" } else { "" }
        )
    };
    if switches > 0 {
        out.push_str(&format!(
            "; your {switches} mode switch{} left out (each row sets its mode)",
            if switches == 1 { "" } else { "es" }
        ));
    }
    if refused > 0 {
        out.push_str(&format!(
            "; {refused} command runs refused by a mode's world and skipped"
        ));
    }
    out.push('.');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::session::Session;
    use crate::sim::cmd_decode::decode;

    fn sentinel() -> Scenario {
        let p = format!(
            "{}/static/scenarios/ha-sentinel-partition.json",
            env!("CARGO_MANIFEST_DIR")
        );
        Scenario::decode(&std::fs::read(p).expect("file")).expect("decodes")
    }

    fn cell<'a>(c: &'a Compared, mode: &str, col: usize) -> &'a str {
        c.rows
            .iter()
            .find(|r| r.0[0] == mode)
            .map(|r| r.0[col].as_str())
            .expect("row")
    }

    #[test]
    fn without_commands_it_compares_the_bundled_scenario() {
        let s = sentinel();
        let c = compare(&s, &[], 10_000, s.protocols.kv.as_ref()).expect("runs");
        assert_eq!(cell(&c, "async, unfenced", 1), "42");
        assert_eq!(cell(&c, "sync, fenced", 1), "0");
        assert!(c.what.contains("as bundled"), "{}", c.what);
        // The loaded mode's row is the one marked.
        let marked: Vec<&str> = c
            .rows
            .iter()
            .filter(|r| r.1)
            .map(|r| r.0[0].as_str())
            .collect();
        assert_eq!(marked, ["async, unfenced"]);
    }

    #[test]
    fn it_runs_the_users_commands_up_to_the_playhead_and_leaves_mode_switches_out() {
        let s = sentinel();
        let mut session = Session::load(s.clone()).expect("loads");
        // The user heals the partition early (a fork at 3,000 ms) and switches fencing on.
        session.seek_time(3000);
        session
            .apply(decode(serde_json::json!({"op": "heal"})).expect("cmd"))
            .expect("applies");
        session
            .apply(decode(serde_json::json!({"op": "kv_set", "fencing": true})).expect("cmd"))
            .expect("applies");
        let inputs = session.timeline().log().to_vec();
        assert_eq!(inputs.len(), 2);
        let here = session.world().cfg::<Kv>().cloned();
        let c = compare(&s, &inputs, 4000, here.as_ref()).expect("runs");
        // Healed at 3 s instead of 7 s: the async unfenced run loses fewer writes than 42.
        let lost: usize = cell(&c, "async, unfenced", 1).parse().expect("a count");
        assert!(lost < 42, "{lost}");
        assert_eq!(cell(&c, "sync, fenced", 1), "0");
        assert!(
            c.what
                .contains("with your 1 command up to 4,000 ms (heal at 3,000 ms)"),
            "{}",
            c.what
        );
        assert!(c.what.contains("your 1 mode switch left out"), "{}", c.what);
        // The mode at the playhead (async, fenced since the switch) is the marked row.
        let marked: Vec<&str> = c
            .rows
            .iter()
            .filter(|r| r.1)
            .map(|r| r.0[0].as_str())
            .collect();
        assert_eq!(marked, ["async, fenced"]);
        // With the playhead before the heal, only the bundled faults count.
        let early = compare(&s, &inputs, 2500, here.as_ref()).expect("runs");
        assert_eq!(cell(&early, "async, unfenced", 1), "42");
        assert!(early.what.contains("as bundled"), "{}", early.what);
    }
}
