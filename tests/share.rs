//! Shareable links: both tabs' state survives encode → decode → replay exactly, damaged links
//! say how they are damaged, and the decoders (the link's and `Scenario::decode`) never panic
//! on arbitrary or mutated bytes (a seeded fuzz loop; no proptest, so it runs the same
//! everywhere and a failure prints the case number to replay).

use ringlab::model::link::{self, LinkError};
use ringlab::model::session::Session;
use ringlab::model::share::{self, ClusterState, LinkState, RingState};
use ringlab::sim::algorithms::Algorithm;
use ringlab::sim::cmd::Cmd;
use ringlab::sim::ring_lab::{KeySpec, RingCmd};
use ringlab::sim::scenario::Scenario;

const GC_PAUSE: &str = include_str!("../static/scenarios/gc-pause.json");
const LOCKS: &str = include_str!("../static/scenarios/lock-gc-unfenced.json");

fn ring_state() -> RingState {
    RingState {
        cmds: vec![
            RingCmd::AddNode {
                name: None,
                weight: 1.0,
            },
            RingCmd::AddNode {
                name: Some("Zed".into()),
                weight: 2.5,
            },
            RingCmd::FailNode(2),
            RingCmd::SetVnodes(40),
            RingCmd::SetReplicas(3),
            RingCmd::SetKeys(KeySpec {
                count: 500,
                seed: 9,
                pattern: ringlab::sim::key_set::KeyPattern::Mixed,
                skew: 1.2,
                names: None,
            }),
            RingCmd::SetWeight(0, 3.0),
            RingCmd::ViewAlgorithm(Algorithm::Jump),
            RingCmd::RemoveNode(1),
            RingCmd::SetKeys(KeySpec {
                names: Some(vec!["cart:1".into(), "order:ü".into()]),
                ..KeySpec::default()
            }),
            RingCmd::SetNodeCount(7),
            RingCmd::RecoverNode(2),
        ],
        selected: Some(4),
        lookup: "order:0042".into(),
    }
}

/// A session with a fork, live play past the fork and a playhead in the middle.
fn cluster_session() -> Session {
    let mut s = Session::load(Scenario::decode(GC_PAUSE.as_bytes()).unwrap()).unwrap();
    s.seek_time(1000);
    s.apply(Cmd::Crash { node: "C".into() }).unwrap().unwrap();
    s.advance_to(1500);
    s.apply(Cmd::Recover { node: "C".into() }).unwrap();
    s.advance_to(2600);
    // A step at the head ends the recording between two items due at the same ms.
    assert!(s.step());
    s.seek_time(1800);
    assert!(s.step());
    s
}

#[test]
fn ring_state_round_trips_and_replays_to_the_same_lab() {
    let state = LinkState {
        ring: Some(ring_state()),
        cluster: None,
        ..Default::default()
    };
    let text = share::encode(&state);
    assert!(text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let back = share::decode(&text).unwrap();
    assert_eq!(back, state);
    let a = state.ring.unwrap().replay().unwrap();
    let b = back.ring.clone().unwrap().replay().unwrap();
    assert_eq!(a.log(), b.log());
    assert_eq!(a.keys().owners(), b.keys().owners());
    assert_eq!(a.last_report(), b.last_report());
    assert_eq!(a.view_algorithm(), Algorithm::Jump);
    assert!(text.len() < 200, "{} chars", text.len());
    // The fragment form.
    let frag = share::fragment(&back);
    assert!(frag.starts_with("#s="));
    assert!(share::from_fragment(&frag).unwrap().is_ok());
    assert!(share::from_fragment("#intro").is_none());
    assert!(share::from_fragment("").is_none());
    assert_eq!(share::fragment(&LinkState::default()), "");
}

#[test]
fn a_refused_ring_step_names_the_step() {
    let st = RingState {
        cmds: vec![RingCmd::RemoveNode(99)],
        ..RingState::default()
    };
    let e = st.replay().unwrap_err();
    assert!(e.starts_with("ring step 1 was refused"), "{e}");
}

#[test]
fn cluster_state_round_trips_and_restores_the_same_history() {
    let s = cluster_session();
    let cap = ClusterState::capture(&s, s.world().now() as f64 + 0.25, 3.0, true, 800.0, Some(2));
    let state = LinkState {
        ring: None,
        cluster: Some(cap.clone()),
        ..Default::default()
    };
    let text = share::encode(&state);
    let back = share::decode(&text).unwrap();
    assert_eq!(back, state);
    let r = back.cluster.unwrap().restore().unwrap();
    assert_eq!(r.timeline().recorded(), s.timeline().recorded());
    assert_eq!(r.timeline().position(), s.timeline().position());
    assert_eq!(r.timeline().head_time(), s.timeline().head_time());
    assert_eq!(r.world().now(), s.world().now());
    assert_eq!(r.markers(), s.markers());
    assert_eq!(r.invariants(), s.invariants());
    assert_eq!(r.verdicts(), s.verdicts());
    assert_eq!(r.log(40, false), s.log(40, false));
    // Compact: fewer bytes than the scenario's JSON alone, before base64.
    let json_len = serde_json::to_string(s.scenario()).unwrap().len();
    assert!(
        text.len() * 3 / 4 < json_len,
        "{} chars for {json_len} of JSON",
        text.len()
    );
}

#[test]
fn a_lock_scenario_at_its_start_round_trips() {
    let s = Session::load(Scenario::decode(LOCKS.as_bytes()).unwrap()).unwrap();
    let cap = ClusterState::capture(&s, 0.0, 1.0, false, 1000.0, None);
    let state = LinkState {
        ring: Some(RingState::default()),
        cluster: Some(cap),
        ..Default::default()
    };
    let back = share::decode(&share::encode(&state)).unwrap();
    assert_eq!(back, state);
    let r = back.cluster.unwrap().restore().unwrap();
    assert_eq!(r.timeline().recorded(), s.timeline().recorded());
}

fn raw(version: u8, body: &[u8]) -> String {
    let mut out = vec![version];
    out.extend_from_slice(&link::crc32(body).to_le_bytes());
    link::put_varint(&mut out, body.len() as u64);
    out.extend_from_slice(&link::compress(body));
    link::b64_encode(&out)
}

#[test]
fn damaged_links_say_how() {
    let text = share::encode(&LinkState {
        ring: Some(ring_state()),
        cluster: None,
        ..Default::default()
    });
    let msg = |t: &str| share::decode(t).unwrap_err().to_string();
    assert_eq!(
        msg(&raw(3, &[0])),
        "unsupported link version 3; this build reads 1"
    );
    assert_eq!(msg(&text[..text.len() - 3]), "link is truncated");
    assert_eq!(msg(&text[..7]), "link is truncated");
    assert_eq!(msg(""), "link is truncated");
    let mut flipped = text.clone().into_bytes();
    let i = flipped.len() - 2;
    flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
    let m = msg(std::str::from_utf8(&flipped).unwrap());
    assert!(
        m == "checksum mismatch: the link is corrupted" || m == "link is truncated",
        "{m}"
    );
    assert_eq!(
        msg(&format!("{}*A", &text[..20])),
        "checksum mismatch: the link is corrupted"
    );
    // A good checksum over a body that does not parse.
    assert_eq!(msg(&raw(1, &[9])), "link is invalid: unexpected section 9");
    assert_eq!(
        msg(&raw(1, &[0, 0])),
        "link is invalid: bytes after the end"
    );
    let mut bad_scn = vec![2];
    link::put_str(&mut bad_scn, "{\"version\":1}");
    let m = msg(&raw(1, &bad_scn));
    assert!(m.starts_with("link is invalid: "), "{m}");
    assert_eq!(LinkError::TooLarge.to_string(), "link is too large");
}

/// xorshift64*: the repo's own style of seeded generator, good enough to fuzz with.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// Flips, deletes, inserts, duplicates or truncates a few places.
    fn mutate(&mut self, input: &[u8]) -> Vec<u8> {
        let mut v = input.to_vec();
        for _ in 0..1 + self.below(4) {
            let at = self.below(v.len() + 1);
            match self.below(6) {
                0 if at < v.len() => v[at] ^= 1 << self.below(8),
                1 if at < v.len() => {
                    v.remove(at);
                }
                2 => v.insert(at, self.next() as u8),
                3 => v.truncate(at),
                4 if at < v.len() => v[at] = b"{}[]\",:0-9eE\\u"[self.below(14)],
                _ => {
                    let end = (at + self.below(16)).min(v.len());
                    let chunk = v[at..end].to_vec();
                    v.splice(at..at, chunk);
                }
            }
        }
        v
    }
}

fn check_err(case: usize, what: &str, e: &dyn std::fmt::Display) {
    let m = e.to_string();
    assert!(!m.trim().is_empty(), "case {case} ({what}): empty error");
}

#[test]
fn fuzz_link_decoder_never_panics_and_always_explains() {
    let mut rng = Rng(0x5eed_1ab5);
    let ring = share::encode(&LinkState {
        ring: Some(ring_state()),
        cluster: None,
        ..Default::default()
    });
    let s = cluster_session();
    let cluster_body = share::body(&LinkState {
        ring: Some(ring_state()),
        cluster: Some(ClusterState::capture(&s, 10.0, 1.0, false, 1000.0, Some(1))),
        ..Default::default()
    });
    let ring_body = share::body(&LinkState {
        ring: Some(ring_state()),
        cluster: None,
        ..Default::default()
    });
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/*#";
    let mut ok = 0;
    for case in 0..12_000 {
        let text: String = match case % 4 {
            // Arbitrary base64url text of any length.
            0 => (0..rng.below(300))
                .map(|_| alphabet[rng.below(alphabet.len())] as char)
                .collect(),
            // A valid link, mutated as text.
            1 => String::from_utf8_lossy(&rng.mutate(ring.as_bytes())).into_owned(),
            // Arbitrary bytes behind a valid envelope: exercises the body parser.
            2 => raw(1, &rng.bytes(200)),
            // A valid body, mutated, behind a valid envelope (checksum recomputed).
            _ => {
                let base = if case % 8 == 3 {
                    &ring_body
                } else {
                    &cluster_body
                };
                raw(1, &rng.mutate(base))
            }
        };
        match share::decode(&text) {
            Ok(_) => ok += 1,
            Err(e) => check_err(case, "link", &e),
        }
        // The fragment entry point too.
        if let Some(Err(e)) = share::from_fragment(&format!("#s={text}")) {
            check_err(case, "fragment", &e);
        }
    }
    assert!(ok > 0, "some mutations should still decode");
    // The LZ decoder alone, on arbitrary streams and size limits.
    for case in 0..5_000 {
        let stream = rng.bytes(64);
        if let Err(e) = link::decompress(&stream, rng.below(4096)) {
            check_err(case, "lz", &e);
        }
    }
    // Oversized inputs are refused before any work.
    let huge = "A".repeat(share::MAX_LINK_CHARS + 4);
    assert_eq!(share::decode(&huge), Err(LinkError::TooLarge));
}

#[test]
fn fuzz_scenario_decoder_never_panics_and_always_explains() {
    let mut rng = Rng(0xdec0de);
    let seeds: Vec<&[u8]> = vec![GC_PAUSE.as_bytes(), LOCKS.as_bytes()];
    for case in 0..6_000 {
        let bytes = match case % 3 {
            0 => rng.bytes(512),
            _ => {
                let base = seeds[case % seeds.len()];
                // Mutate a short prefix-bounded copy to keep each case cheap.
                rng.mutate(base)
            }
        };
        if let Err(e) = Scenario::decode(&bytes) {
            check_err(case, "scenario", &e);
        }
    }
}

#[test]
fn fuzz_embed_messages_never_panic_and_always_explain() {
    use ringlab::model::embed::{parse_host, EmbedOpts};
    let mut rng = Rng(0xe4bed);
    let seeds: [&[u8]; 6] = [
        br#"{"type":"seek","ms":2500,"id":7}"#,
        br#"{"type":"command","cmd":{"op":"crash","node":"C"}}"#,
        br#"{"type":"load","gallery":"gc-pause"}"#,
        br#"{"type":"subscribe","kinds":["crash","*"]}"#,
        br#"{"type":"setSpeed","speed":2.5}"#,
        GC_PAUSE.as_bytes(),
    ];
    for case in 0..8_000 {
        let bytes = match case % 3 {
            0 => rng.bytes(96),
            _ => rng.mutate(seeds[case % seeds.len()]),
        };
        let text = String::from_utf8_lossy(&bytes);
        if let Err((m, _)) = parse_host(&text) {
            assert!(!m.trim().is_empty(), "case {case}: empty error");
        }
        // Query strings too: never a panic, whatever the bytes.
        let _ = EmbedOpts::parse(&text);
    }
}

#[test]
fn a_crafted_link_cannot_ask_for_an_endless_run() {
    let s = Session::load(Scenario::decode(GC_PAUSE.as_bytes()).unwrap()).unwrap();
    let mut c = ClusterState::capture(&s, 0.0, 1.0, false, 1000.0, None);
    c.head = (u64::MAX / 2, 10);
    let e = c.restore().unwrap_err();
    assert!(e.contains("longer than this build records"), "{e}");
    // A live command whose recorded place does not fit the run is refused, not guessed.
    let mut c = ClusterState::capture(&s, 0.0, 1.0, false, 1000.0, None);
    c.inputs.push(ringlab::sim::timeline::Input {
        pops: 3,
        now: 0,
        cmd: Cmd::Crash { node: "A".into() },
    });
    let e = c.restore().unwrap_err();
    assert!(e.contains("does not fit"), "{e}");
}

#[test]
fn a_page_without_the_cluster_lab_keeps_its_section_verbatim() {
    let s = cluster_session();
    let full = LinkState {
        ring: Some(ring_state()),
        cluster: Some(ClusterState::capture(&s, 10.0, 1.0, false, 1000.0, Some(1))),
        ..Default::default()
    };
    let body = share::body(&full);
    // The Hash ring page reads the ring part and keeps the cluster part as bytes.
    let kept = share::parse_body_as(&body, false).expect("a valid body");
    assert_eq!(kept.ring, full.ring);
    assert!(kept.cluster.is_none());
    assert!(!kept.kept.is_empty());
    // Writing it back gives the very same body, so the Cluster page opens what was sent.
    assert_eq!(share::body(&kept), body);
    let back = share::parse_body_as(&share::body(&kept), true).expect("decodes");
    assert_eq!(back.cluster, full.cluster);
    // A damaged kept section is refused, not kept.
    let cut = &body[..body.len() - 3];
    assert!(share::parse_body_as(cut, false).is_err());
}

#[test]
fn a_store_run_forked_by_a_mode_switch_round_trips() {
    use ringlab::sim::proto::kv::{Kv, KvCmd, KvSet};
    use ringlab::sim::proto::ProtoCmd;
    const SENTINEL: &str = include_str!("../static/scenarios/ha-sentinel-partition.json");
    let mut s = Session::load(Scenario::decode(SENTINEL.as_bytes()).unwrap()).unwrap();
    s.seek_time(1000);
    let on = KvSet {
        fencing: Some(true),
        ..KvSet::default()
    };
    // In the past: the panel's switch forks the run at the playhead.
    assert!(s
        .apply(Cmd::Proto(ProtoCmd::Kv(KvCmd::KvSet(on))))
        .unwrap()
        .is_some());
    s.advance_to(10_000);
    assert!(s.world().shared::<Kv>().lost(false).is_empty());
    let cap = ClusterState::capture(&s, 10_000.0, 1.0, false, 1000.0, None);
    let state = LinkState {
        ring: None,
        cluster: Some(cap),
        ..Default::default()
    };
    let back = share::decode(&share::encode(&state)).unwrap();
    assert_eq!(back, state);
    let r = back.cluster.unwrap().restore().unwrap();
    assert_eq!(r.timeline().recorded(), s.timeline().recorded());
    assert_eq!(r.world().cfg::<Kv>().map(|c| c.fencing), Some(true));
    assert_eq!(
        r.world().shared::<Kv>().history,
        s.world().shared::<Kv>().history
    );
}
