//! The engine tested with a one-page dummy protocol, `Echo`, registered only in test builds
//! (one line in `proto/registry.rs`, no other edit in `src/sim`): every server pings the next
//! member on a timer and counts the answers. It shows the engine (delivery, timers, crashes,
//! durable logs, pauses, partitions, commands, config sections, invariants, summaries) works
//! for a protocol it has never heard of.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::cmd::{Cmd, CmdError};
use super::cmd_decode;
use super::cmd_fields::Fields;
use super::event::{Event, What};
use super::ids::{NodeIx, Role, Time};
use super::invariant::{Class, Invariant, Verdict};
use super::json_read::{uint, Obj, R};
use super::proto::{
    dispatch, CmdCtx, Ctx, Payload, ProtoCmd, ProtoTypes, Protocol, Record, Registered, TimerKind,
};
use super::scenario::Scenario;
use super::world::World;

/// Its settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EchoCfg {
    /// Ping period (local clock).
    pub every_ms: u64,
}

/// Its messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EchoMsg {
    /// Please answer round `n`.
    Ping { n: u32 },
    /// Answer to round `n`.
    Pong { n: u32 },
    /// Handed in-process on the same node (`Ctx::local`), never sent.
    Local { n: u32 },
}

/// Its one timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "timer", rename_all = "snake_case")]
pub enum EchoTimer {
    /// Send the next ping.
    Tick,
}

/// Its durable record: the last round sent survives a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// Round number.
    pub n: u32,
}

/// Its event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EchoEv {
    /// `peer` answered round `n`.
    Echoed { peer: NodeIx, n: u32 },
}

/// One server's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EchoNode {
    every_ms: u64,
    n: u32,
}

/// World-wide counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EchoCounts {
    /// Pings sent.
    pub pings: u64,
    /// Answers received.
    pub pongs: u64,
    /// Crashes seen.
    pub crashes: u64,
}

fn ping_next(node: &mut EchoNode, ctx: &mut Ctx<'_>) {
    let me = ctx.me();
    let members = ctx.members();
    let Some(pos) = members.iter().position(|&m| m == me) else {
        return;
    };
    let next = members[(pos + 1) % members.len()];
    if next != me {
        node.n += 1;
        ctx.persist(Record::Echo(Sent { n: node.n }));
        ctx.send(next, Payload::Echo(EchoMsg::Ping { n: node.n }));
    }
}

/// The dummy protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Echo;

/// Its command: ping right now.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum EchoCmd {
    /// `node` pings its successor immediately.
    EchoNow { node: String },
    /// `node` hands itself a note in-process (`Ctx::local`).
    EchoLocal { node: String },
}

impl ProtoTypes for Echo {
    const NAME: &'static str = "echo";
    type Cfg = EchoCfg;
    type Msg = EchoMsg;
    type Timer = EchoTimer;
    type Rec = Sent;
    type Ev = EchoEv;
    type Cmd = EchoCmd;

    fn cmd_op(c: &EchoCmd) -> &'static str {
        match c {
            EchoCmd::EchoNow { .. } => "echo_now",
            EchoCmd::EchoLocal { .. } => "echo_local",
        }
    }

    fn cmd_nodes(c: &EchoCmd) -> Vec<&str> {
        let (EchoCmd::EchoNow { node } | EchoCmd::EchoLocal { node }) = c;
        vec![node.as_str()]
    }

    fn msg_label(m: &EchoMsg) -> String {
        match m {
            EchoMsg::Ping { n } => format!("echo? #{n}"),
            EchoMsg::Pong { n } => format!("echo! #{n}"),
            EchoMsg::Local { n } => format!("echo (local) #{n}"),
        }
    }

    fn timer_label(_: &EchoTimer) -> &'static str {
        "echo tick"
    }

    fn ev_kind(_: &EchoEv) -> &'static str {
        "echoed"
    }

    fn ev_words(e: &EchoEv, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
        let EchoEv::Echoed { peer, n } = e;
        format!("node {at} heard its echo #{n} from {}", name(*peer))
    }
}

impl Protocol for Echo {
    const SINCE_VERSION: u64 = 1;

    const OPS: &'static [&'static str] = &["echo_now", "echo_local"];

    type Node = EchoNode;

    type Shared = EchoCounts;

    fn read_cfg(mut o: Obj) -> R<EchoCfg> {
        let c = EchoCfg {
            every_ms: uint(&o.at("every_ms"), &o.req("every_ms")?.1)?,
        };
        o.done("every_ms")?;
        Ok(c)
    }

    fn check_cfg(c: &EchoCfg, _: &[String], _: &[String]) -> Result<(), (String, String)> {
        if c.every_ms == 0 {
            return Err(("every_ms".into(), "must be at least 1".into()));
        }
        Ok(())
    }

    fn boot(cfg: &EchoCfg, ctx: &mut Ctx<'_>) -> Option<EchoNode> {
        if ctx.role() != Role::Server {
            return None;
        }
        let n = ctx
            .durable()
            .iter()
            .filter_map(Echo::rec)
            .map(|s| s.n)
            .max();
        ctx.set_timer(cfg.every_ms, TimerKind::Echo(EchoTimer::Tick));
        Some(EchoNode {
            every_ms: cfg.every_ms,
            n: n.unwrap_or(0),
        })
    }

    fn on_message(_: &mut EchoNode, ctx: &mut Ctx<'_>, from: NodeIx, m: EchoMsg) {
        match m {
            EchoMsg::Ping { n } => ctx.send(from, Payload::Echo(EchoMsg::Pong { n })),
            EchoMsg::Pong { n } | EchoMsg::Local { n } => {
                ctx.emit(What::Proto(super::proto::ProtoEv::Echo(EchoEv::Echoed {
                    peer: from,
                    n,
                })))
            }
        }
    }

    fn on_timer(node: &mut EchoNode, ctx: &mut Ctx<'_>, _: EchoTimer) {
        ping_next(node, ctx);
        ctx.set_timer(node.every_ms, TimerKind::Echo(EchoTimer::Tick));
    }

    fn on_crash(s: &mut EchoCounts, _: NodeIx) {
        s.crashes += 1;
    }

    fn read_cmd(op: &str, f: &mut Fields<'_>) -> Option<Result<EchoCmd, String>> {
        match op {
            "echo_now" => Some(f.string("node").map(|node| EchoCmd::EchoNow { node })),
            "echo_local" => Some(f.string("node").map(|node| EchoCmd::EchoLocal { node })),
            _ => None,
        }
    }

    fn check_cmd(
        _: &EchoCmd,
        _: Option<&EchoCfg>,
        _: &BTreeSet<String>,
    ) -> Result<(), (String, String)> {
        Ok(())
    }

    fn on_command(c: &EchoCmd, w: &mut CmdCtx<'_>) -> Result<(), CmdError> {
        let (EchoCmd::EchoNow { node } | EchoCmd::EchoLocal { node }) = c;
        let ix = w.present(node)?;
        w.on_node::<Echo, _>(ix, |n, ctx| match n {
            Some(n) => {
                match c {
                    EchoCmd::EchoNow { .. } => ping_next(n, ctx),
                    EchoCmd::EchoLocal { .. } => ctx.local(Payload::Echo(EchoMsg::Local { n: 42 })),
                }
                Ok(())
            }
            None => Err(CmdError::WrongRole {
                node: node.clone(),
                needs: "server",
            }),
        })
    }

    fn on_send(s: &mut EchoCounts, m: &EchoMsg) {
        if let EchoMsg::Ping { .. } = m {
            s.pings += 1;
        }
    }

    fn observe(s: &mut EchoCounts, _: NodeIx, _: Time, _: &EchoEv) {
        s.pongs += 1;
    }

    fn invariants() -> Vec<Invariant> {
        vec![Invariant {
            name: "echo_in_order",
            explain: "answers come back with a round number the peer was sent",
            class: Class::Protocol,
            check: in_order,
            at_end: None,
        }]
    }

    fn summary(_: &EchoCfg, s: &EchoCounts, _: Time) -> Option<Value> {
        Some(json!({"pings": s.pings, "pongs": s.pongs}))
    }

    fn node_bytes(_: &EchoNode) -> usize {
        std::mem::size_of::<EchoNode>()
    }
}

fn in_order(_: &World, trace: &[Event], i: usize) -> Verdict {
    match Echo::ev(&trace[i].what) {
        Some(EchoEv::Echoed { n, .. }) if *n == 0 => Err(vec![i]),
        _ => Ok(()),
    }
}

fn world(every_ms: u64) -> World {
    super::testkit::cluster(&["A", "B", "C"])
        .seed(7)
        .clients(&["web"])
        .latency(5, 0)
        .protocols(|p| p.echo = Some(EchoCfg { every_ms }))
        .world()
}

fn run(w: &mut World, until: Time) -> Vec<Event> {
    let mut out = Vec::new();
    w.advance_to(until, &mut out);
    out
}

#[test]
fn a_protocol_unknown_to_the_engine_runs_through_the_registry() {
    let mut w = world(100);
    let trace = run(&mut w, 1_000);
    let echoes = trace.iter().filter(|e| e.what.kind() == "echoed").count();
    // Three servers, ten rounds each, each answered 10 ms later (the last round is due
    // at 1,000 ms and answered after it).
    assert_eq!(w.shared::<Echo>().pings, 30);
    assert_eq!(echoes, 27);
    assert_eq!(w.shared::<Echo>().pongs, 27);
    // The client runs nothing.
    let web = w.node_ix("web").expect("web exists");
    assert!(w.procs(web).is_some_and(|p| Echo::node(p).is_none()));
    let first = trace
        .iter()
        .find(|e| e.what.kind() == "echoed")
        .expect("an echo");
    assert_eq!(
        w.describe(first),
        "t=110 ms: node A heard its echo #1 from B"
    );
    let line = first.to_json_line(0, &|ix| w.name(ix));
    assert!(line.contains(r#""kind":"echoed""#), "{line}");
    assert!(line.contains(r#""peer":"B""#), "{line}");
}

#[test]
fn crash_keeps_the_durable_log_and_recovery_boots_from_it() {
    let mut w = world(100);
    run(&mut w, 450);
    let mut out = Vec::new();
    w.apply(&Cmd::Crash { node: "A".into() }, &mut out)
        .expect("crash A");
    let a = w.node_ix("A").expect("A exists");
    assert!(w.procs(a).is_some_and(|p| Echo::node(p).is_none()));
    assert_eq!(w.shared::<Echo>().crashes, 1);
    w.apply(&Cmd::Recover { node: "A".into() }, &mut out)
        .expect("recover A");
    // Round numbers continue from the log: 4 sent before the crash.
    let trace = run(&mut w, 560);
    let sends: Vec<_> = trace
        .iter()
        .filter_map(|e| match &e.what {
            What::Send {
                payload: Payload::Echo(EchoMsg::Ping { n }),
                ..
            } if e.node == Some(a) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(sends, vec![5]);
}

#[test]
fn pauses_and_partitions_hold_messages_for_any_protocol() {
    let mut w = world(100);
    let mut out = Vec::new();
    w.apply(&Cmd::Isolate { node: "B".into() }, &mut out)
        .expect("isolate B");
    let trace = run(&mut w, 1_000);
    let b = w.node_ix("B").expect("B exists");
    assert!(trace
        .iter()
        .filter(|e| e.what.kind() == "echoed")
        .all(|e| e.node != Some(b)
            && !matches!(Echo::ev(&e.what), Some(EchoEv::Echoed { peer, .. }) if *peer == b)));
    assert!(trace.iter().any(|e| matches!(e.what, What::Drop { .. })));
    let mut w = world(100);
    w.apply(
        &Cmd::Pause {
            node: "A".into(),
            ms: 500,
        },
        &mut out,
    )
    .expect("pause A");
    let trace = run(&mut w, 400);
    let a = w.node_ix("A").expect("A exists");
    assert!(!trace
        .iter()
        .any(|e| e.node == Some(a) && matches!(e.what, What::Send { .. })));
}

#[test]
fn its_command_reads_runs_and_names_its_fields() {
    let c = cmd_decode::decode(json!({"op": "echo_now", "node": "B"})).expect("decodes");
    assert_eq!(c.op(), "echo_now");
    assert_eq!(c.protocol(), Some("echo"));
    assert_eq!(
        serde_json::to_value(&c).expect("serialises"),
        json!({"op": "echo_now", "node": "B"})
    );
    let e = cmd_decode::decode(json!({"op": "echo_now", "node": "B", "loud": true}))
        .expect_err("unknown field");
    assert_eq!(e, "`echo_now` has no field `loud`");
    let e = cmd_decode::decode(json!({"op": "fly"})).expect_err("unknown op");
    assert!(e.contains("echo_now"), "{e}");
    let mut w = world(10_000);
    let mut out = Vec::new();
    w.apply(&c, &mut out).expect("runs");
    assert_eq!(w.shared::<Echo>().pings, 1);
    let e = w
        .apply(
            &Cmd::Proto(ProtoCmd::Echo(EchoCmd::EchoNow { node: "web".into() })),
            &mut out,
        )
        .expect_err("clients run no echo");
    assert_eq!(e.to_string(), "\"web\" is not a server");
}

#[test]
fn its_config_section_is_read_checked_and_summarised() {
    let file = |echo: Value| {
        json!({
            "version": 1, "id": "echo", "title": "Echo", "until_ms": 500,
            "cluster": {"servers": ["A", "B"]},
            "protocols": {"echo": echo},
        })
        .to_string()
    };
    let e =
        Scenario::decode(file(json!({"every_ms": 50, "bogus": 1})).as_bytes()).expect_err("bogus");
    assert_eq!(e.path, "protocols.echo.bogus");
    let e = Scenario::decode(file(json!({"every_ms": 0})).as_bytes()).expect_err("zero");
    assert_eq!(e.path, "protocols.echo.every_ms");
    let s = Scenario::decode(file(json!({"every_ms": 50})).as_bytes()).expect("valid");
    let report = super::runner::report(&s, None, 500).expect("runs");
    let last = report.text.lines().last().expect("a summary line");
    let v: Value = serde_json::from_str(last).expect("json");
    assert_eq!(v["summary"]["echo"]["pings"], json!(20));
    assert!(dispatch::find_invariant("echo_in_order").is_some());
    assert!(v["summary"]["invariants"]
        .as_array()
        .is_some_and(|l| l.iter().any(|i| i["name"] == "echo_in_order")));
}

#[test]
fn a_local_hand_off_is_taken_on_the_same_node_now_unless_it_crashes() {
    let local = |w: &World| {
        let b = w.node_ix("B").expect("B exists");
        (
            b,
            Cmd::Proto(ProtoCmd::Echo(EchoCmd::EchoLocal { node: "B".into() })),
        )
    };
    // Taken at the same virtual time, on B, from B: no send, no delivery, not counted.
    let mut w = world(10_000);
    run(&mut w, 100);
    let (b, cmd) = local(&w);
    let mut out = Vec::new();
    w.apply(&cmd, &mut out).expect("runs");
    assert!(
        out.is_empty(),
        "queued, not taken inside the command: {out:?}"
    );
    let trace = run(&mut w, 100);
    let got: Vec<_> = trace
        .iter()
        .filter_map(|e| {
            Echo::ev(&e.what).map(|EchoEv::Echoed { peer, n }| (e.t, e.node, *peer, *n))
        })
        .collect();
    assert_eq!(got, vec![(100, Some(b), b, 42)]);
    assert!(!trace
        .iter()
        .any(|e| matches!(e.what, What::Send { .. } | What::Deliver { .. })));
    assert_eq!(w.shared::<Echo>().pings, 0);
    // No loss: a network that drops everything does not touch it.
    let mut cfg = super::testkit::cluster(&["A", "B", "C"])
        .seed(7)
        .latency(5, 0)
        .protocols(|p| p.echo = Some(EchoCfg { every_ms: 10_000 }))
        .cfg();
    cfg.net.loss = 1.0;
    let mut w = World::new(&cfg).expect("a lossy world");
    let (_, cmd) = local(&w);
    w.apply(&cmd, &mut out).expect("runs");
    assert_eq!(
        run(&mut w, 0)
            .iter()
            .filter(|e| e.what.kind() == "echoed")
            .count(),
        1
    );
    // Dropped when the node crashes before taking it, even once it recovers.
    let mut w = world(10_000);
    let (_, cmd) = local(&w);
    w.apply(&cmd, &mut out).expect("runs");
    w.apply(&Cmd::Crash { node: "B".into() }, &mut out)
        .expect("crash");
    w.apply(&Cmd::Recover { node: "B".into() }, &mut out)
        .expect("recover");
    assert!(!run(&mut w, 50).iter().any(|e| e.what.kind() == "echoed"));
    // A paused node takes it when it resumes.
    let mut w = world(10_000);
    let (_, cmd) = local(&w);
    w.apply(
        &Cmd::Pause {
            node: "B".into(),
            ms: 30,
        },
        &mut out,
    )
    .expect("pause");
    w.apply(&cmd, &mut out).expect("runs");
    let trace = run(&mut w, 100);
    let at: Vec<_> = trace
        .iter()
        .filter(|e| e.what.kind() == "echoed")
        .map(|e| e.t)
        .collect();
    assert_eq!(at, vec![30]);
}
