//! Shareable links: the whole state of both tabs in the URL fragment (`#s=…`), so opening a
//! link reproduces what the sender saw.
//!
//! - **Ring tab**: the successful [`RingCmd`]s since the default lab, replayed in order (so
//!   the log, the last change's metrics and node ids come back too), the selected node and
//!   the lookup box.
//! - **Cluster tab**: the scenario (compact JSON, decoded by [`Scenario::decode`] with all its
//!   validation), the live commands on the current branch with their replay places, the fork
//!   records, the recorded head, the playhead, speed, layout and diagram window.
//!
//! Bytes: `[version][crc32 of body, LE][varint body length][LZ body]`, base64url. The body is
//! a list of sections (`1` ring, `2` cluster, `0` end) of varints, f64s and strings. Decoding
//! is total: a damaged link says which way it is damaged ([`LinkError`]).

use super::link::{self, put_str, put_varint, LinkError, Reader};
use crate::model::session::Session;
use crate::sim::algorithms::Algorithm;
use crate::sim::cmd::Cmd;
use crate::sim::key_set::KeyPattern;
use crate::sim::ring::NodeId;
use crate::sim::ring_lab::{KeySpec, RingCmd, RingLab};
use crate::sim::scenario::{Scenario, MAX_FILE_BYTES};
use crate::sim::time::Time;
use crate::sim::timeline::{Fork, Input};

pub use super::link::LINK_VERSION;
/// Fragment prefix that marks a state link (other fragments are left alone).
pub const PREFIX: &str = "s=";
/// Largest decoded body: a scenario at its size limit plus commands.
pub const MAX_BODY: usize = MAX_FILE_BYTES + (1 << 20);
/// Most ring commands or live cluster commands a link may replay.
pub const MAX_STEPS: u64 = 10_000;
/// Largest encoded link text accepted (characters), checked before decoding anything.
pub const MAX_LINK_CHARS: usize = 4 << 20;

/// The Ring tab's shareable state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RingState {
    /// Successful commands since [`RingLab::new`], in order.
    pub cmds: Vec<RingCmd>,
    /// The node whose details are open.
    pub selected: Option<NodeId>,
    /// The lookup box's text.
    pub lookup: String,
}

impl RingState {
    /// Replays the commands on a fresh lab; a refused one means the link does not fit this
    /// build, and says which step.
    pub fn replay(&self) -> Result<RingLab, String> {
        let mut lab = RingLab::new();
        for (i, c) in self.cmds.iter().enumerate() {
            lab.apply(c.clone())
                .map_err(|e| format!("ring step {} was refused: {e}", i + 1))?;
        }
        Ok(lab)
    }
}

/// The Cluster tab's shareable state.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterState {
    /// The scenario as loaded.
    pub scenario: Scenario,
    /// Live commands on the current branch, with their replay places.
    pub inputs: Vec<Input>,
    /// Fork records (scrubber labels).
    pub forks: Vec<Fork>,
    /// End of the recorded history: (queue items popped, virtual ms).
    pub head: (u64, Time),
    /// Trace position of the playhead.
    pub position: usize,
    /// The playhead (fractional virtual ms, as painted).
    pub vt: f64,
    /// Playback speed.
    pub speed: f64,
    /// Servers at their ring angles instead of evenly.
    pub ring_layout: bool,
    /// Diagram window (virtual ms).
    pub span_ms: f64,
    /// The selected node (its index in the world).
    pub selected: Option<u32>,
}

impl ClusterState {
    /// What a link needs from a session and the playback settings.
    pub fn capture(
        s: &Session,
        vt: f64,
        speed: f64,
        ring_layout: bool,
        span_ms: f64,
        selected: Option<u32>,
    ) -> Self {
        let tl = s.timeline();
        ClusterState {
            scenario: s.scenario().clone(),
            inputs: tl.log().to_vec(),
            forks: tl.forks().to_vec(),
            head: (tl.head_pops(), tl.head_time()),
            position: tl.position(),
            vt,
            speed,
            ring_layout,
            span_ms,
            selected,
        }
    }

    /// Rebuilds the session the sender had (see [`Session::restore`]).
    pub fn restore(&self) -> Result<Session, String> {
        Session::restore(
            self.scenario.clone(),
            &self.inputs,
            self.forks.clone(),
            self.head,
            self.position,
            self.vt.max(0.0) as Time,
        )
    }
}

/// Everything a link carries; a tab that was never touched is left out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkState {
    /// The Ring tab, if it differs from the default.
    pub ring: Option<RingState>,
    /// The Cluster tab, if it was opened.
    pub cluster: Option<ClusterState>,
    /// Sections this page does not decode, verbatim (the Hash ring page keeps the Cluster
    /// tab's part as bytes, without the engine's code), written back unchanged so a link
    /// survives a visit to another page.
    pub kept: Vec<u8>,
}

/// Whether this build decodes the Cluster tab's section (pages without the Cluster lab keep
/// it as bytes, so the engine's decoders stay out of their bundle).
const DECODE_CLUSTER: bool = cfg!(feature = "cluster-tab");

/// Reads past a cluster section without interpreting it (same layout as [`body`] writes).
fn skip_cluster(r: &mut Reader) -> Result<(), LinkError> {
    r.str()?;
    for _ in 0..r.bounded(MAX_STEPS, "live commands")? {
        r.varint()?;
        r.varint()?;
        r.str()?;
    }
    for _ in 0..r.bounded(MAX_STEPS, "forks")? {
        for _ in 0..4 {
            r.varint()?;
        }
    }
    for _ in 0..3 {
        r.varint()?;
    }
    r.f64()?;
    r.f64()?;
    r.byte()?;
    r.f64()?;
    read_opt_id(r)?;
    Ok(())
}

fn put_f64(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_opt_id(out: &mut Vec<u8>, id: Option<NodeId>) {
    put_varint(out, id.map_or(0, |i| i as u64 + 1));
}

fn read_opt_id(r: &mut Reader) -> Result<Option<NodeId>, LinkError> {
    let v = r.bounded(u32::MAX as u64 + 1, "node id")?;
    Ok(v.checked_sub(1).map(|i| i as NodeId))
}

fn read_id(r: &mut Reader) -> Result<NodeId, LinkError> {
    Ok(r.bounded(u32::MAX as u64, "node id")? as NodeId)
}

fn alg_index(a: Algorithm) -> u64 {
    Algorithm::ALL.iter().position(|&x| x == a).unwrap_or(0) as u64
}

fn put_ring_cmd(out: &mut Vec<u8>, c: &RingCmd) {
    match c {
        RingCmd::AddNode { name, weight } => {
            out.push(0);
            match name {
                Some(n) => {
                    out.push(1);
                    put_str(out, n);
                }
                None => out.push(0),
            }
            put_f64(out, *weight);
        }
        RingCmd::RemoveNode(id) => {
            out.push(1);
            put_varint(out, *id as u64);
        }
        RingCmd::FailNode(id) => {
            out.push(2);
            put_varint(out, *id as u64);
        }
        RingCmd::RecoverNode(id) => {
            out.push(3);
            put_varint(out, *id as u64);
        }
        RingCmd::SetWeight(id, w) => {
            out.push(4);
            put_varint(out, *id as u64);
            put_f64(out, *w);
        }
        RingCmd::SetVnodes(v) => {
            out.push(5);
            put_varint(out, *v as u64);
        }
        RingCmd::SetReplicas(r) => {
            out.push(6);
            put_varint(out, *r as u64);
        }
        RingCmd::SetKeys(k) => {
            out.push(7);
            put_varint(out, k.count as u64);
            put_varint(out, k.seed);
            out.push(matches!(k.pattern, KeyPattern::Mixed) as u8);
            put_f64(out, k.skew);
            match &k.names {
                Some(names) => {
                    put_varint(out, names.len() as u64 + 1);
                    for n in names {
                        put_str(out, n);
                    }
                }
                None => put_varint(out, 0),
            }
        }
        RingCmd::SetNodeCount(n) => {
            out.push(8);
            put_varint(out, *n as u64);
        }
        RingCmd::ViewAlgorithm(a) => {
            out.push(9);
            put_varint(out, alg_index(*a));
        }
    }
}

fn read_ring_cmd(r: &mut Reader) -> Result<RingCmd, LinkError> {
    const BIG: u64 = u32::MAX as u64;
    Ok(match r.byte()? {
        0 => {
            let name = match r.byte()? {
                0 => None,
                _ => Some(r.str()?),
            };
            RingCmd::AddNode {
                name,
                weight: r.f64()?,
            }
        }
        1 => RingCmd::RemoveNode(read_id(r)?),
        2 => RingCmd::FailNode(read_id(r)?),
        3 => RingCmd::RecoverNode(read_id(r)?),
        4 => RingCmd::SetWeight(read_id(r)?, r.f64()?),
        5 => RingCmd::SetVnodes(r.bounded(BIG, "vnodes")? as u32),
        6 => RingCmd::SetReplicas(r.bounded(BIG, "replicas")? as usize),
        7 => {
            let count = r.bounded(BIG, "key count")? as usize;
            let seed = r.varint()?;
            let pattern = if r.byte()? == 0 {
                KeyPattern::Orders
            } else {
                KeyPattern::Mixed
            };
            let skew = r.f64()?;
            let n = r.bounded(MAX_BODY as u64, "pasted keys")?;
            let names = match n {
                0 => None,
                n => {
                    let mut v = Vec::new();
                    for _ in 1..n {
                        v.push(r.str()?);
                    }
                    Some(v)
                }
            };
            RingCmd::SetKeys(KeySpec {
                count,
                seed,
                pattern,
                skew,
                names,
            })
        }
        8 => RingCmd::SetNodeCount(r.bounded(BIG, "node count")? as usize),
        9 => {
            let i = r.bounded(Algorithm::ALL.len() as u64 - 1, "algorithm")?;
            RingCmd::ViewAlgorithm(Algorithm::ALL[i as usize])
        }
        op => return Err(LinkError::Invalid(format!("unknown ring command {op}"))),
    })
}

/// Drops the whitespace outside strings from JSON text. The links reuse the pretty printer
/// that `Scenario::encode` already needs (a compact one would be a second copy in the wasm).
pub fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_str, mut esc) = (false, false);
    for c in json.chars() {
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
        } else if c.is_ascii_whitespace() {
            continue;
        }
        out.push(c);
    }
    out
}

/// A command as the JSON the scenario format uses.
fn cmd_json(c: &Cmd) -> String {
    minify(&serde_json::to_string_pretty(c).unwrap_or_default())
}

/// Read by the scenario format's own command decoder.
fn cmd_from_json(s: &str) -> Result<Cmd, LinkError> {
    serde_json::from_slice(s.as_bytes())
        .map_err(|e| e.to_string())
        .and_then(crate::sim::cmd_decode::decode)
        .map_err(|e| LinkError::Invalid(format!("command: {e}")))
}

/// The body bytes (before compression) of `state`.
pub fn body(state: &LinkState) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(ring) = &state.ring {
        out.push(1);
        put_varint(&mut out, ring.cmds.len() as u64);
        for c in &ring.cmds {
            put_ring_cmd(&mut out, c);
        }
        put_opt_id(&mut out, ring.selected);
        put_str(&mut out, &ring.lookup);
    }
    // A page without the Cluster lab never holds a decoded cluster part (only `kept`): the
    // constant lets the compiler drop the scenario encoder from that page.
    if let Some(c) = state.cluster.as_ref().filter(|_| DECODE_CLUSTER) {
        out.push(2);
        put_str(&mut out, &minify(&c.scenario.encode()));
        put_varint(&mut out, c.inputs.len() as u64);
        for i in &c.inputs {
            put_varint(&mut out, i.pops);
            put_varint(&mut out, i.now);
            put_str(&mut out, &cmd_json(&i.cmd));
        }
        put_varint(&mut out, c.forks.len() as u64);
        for f in &c.forks {
            for v in [
                f.at_event,
                f.at_time as usize,
                f.dropped_events,
                f.dropped_inputs,
            ] {
                put_varint(&mut out, v as u64);
            }
        }
        put_varint(&mut out, c.head.0);
        put_varint(&mut out, c.head.1);
        put_varint(&mut out, c.position as u64);
        put_f64(&mut out, c.vt);
        put_f64(&mut out, c.speed);
        out.push(c.ring_layout as u8);
        put_f64(&mut out, c.span_ms);
        put_opt_id(&mut out, c.selected);
    } else {
        out.extend_from_slice(&state.kept);
    }
    out.push(0);
    out
}

fn finite(v: f64, what: &str) -> Result<f64, LinkError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(LinkError::Invalid(format!("{what} is not a number")))
    }
}

/// Parses body bytes (after decompression and the checksum).
pub fn parse_body(bytes: &[u8]) -> Result<LinkState, LinkError> {
    parse::<DECODE_CLUSTER>(bytes)
}

/// [`parse_body`], decoding the cluster section or keeping it as bytes in [`Shared::kept`].
pub fn parse_body_as(bytes: &[u8], decode_cluster: bool) -> Result<LinkState, LinkError> {
    if decode_cluster {
        parse::<true>(bytes)
    } else {
        parse::<false>(bytes)
    }
}

/// The parser, compiled once per choice so a page that keeps the cluster section links no
/// scenario decoder at all.
fn parse<const DECODE_CLUSTER_PART: bool>(bytes: &[u8]) -> Result<LinkState, LinkError> {
    let decode_cluster = DECODE_CLUSTER_PART;
    let mut r = Reader::new(bytes);
    let mut state = LinkState::default();
    loop {
        match r.byte()? {
            0 => break,
            1 if state.ring.is_none() => {
                let n = r.bounded(MAX_STEPS, "ring steps")?;
                let mut cmds = Vec::new();
                for _ in 0..n {
                    cmds.push(read_ring_cmd(&mut r)?);
                }
                let selected = read_opt_id(&mut r)?;
                let lookup = r.str()?;
                state.ring = Some(RingState {
                    cmds,
                    selected,
                    lookup,
                });
            }
            2 if !decode_cluster && state.kept.is_empty() => {
                let start = r.position() - 1;
                skip_cluster(&mut r)?;
                state.kept = bytes[start..r.position()].to_vec();
            }
            2 if decode_cluster && state.cluster.is_none() => {
                let json = r.str()?;
                let scenario = Scenario::decode(json.as_bytes())
                    .map_err(|e| LinkError::Invalid(format!("{e}")))?;
                let n = r.bounded(MAX_STEPS, "live commands")?;
                let mut inputs = Vec::new();
                for _ in 0..n {
                    inputs.push(Input {
                        pops: r.varint()?,
                        now: r.varint()?,
                        cmd: cmd_from_json(&r.str()?)?,
                    });
                }
                let n = r.bounded(MAX_STEPS, "forks")?;
                let mut forks = Vec::new();
                for _ in 0..n {
                    let mut v = [0usize; 4];
                    for x in &mut v {
                        *x = r.bounded(u32::MAX as u64, "fork field")? as usize;
                    }
                    forks.push(Fork {
                        at_event: v[0],
                        at_time: v[1] as Time,
                        dropped_events: v[2],
                        dropped_inputs: v[3],
                    });
                }
                state.cluster = Some(ClusterState {
                    scenario,
                    inputs,
                    forks,
                    head: (r.varint()?, r.varint()?),
                    position: r.bounded(u32::MAX as u64, "position")? as usize,
                    vt: finite(r.f64()?, "playhead")?,
                    speed: finite(r.f64()?, "speed")?,
                    ring_layout: r.byte()? != 0,
                    span_ms: finite(r.f64()?, "diagram window")?,
                    selected: read_opt_id(&mut r)?,
                });
            }
            s => return Err(LinkError::Invalid(format!("unexpected section {s}"))),
        }
    }
    if !r.done() {
        return Err(LinkError::Invalid("bytes after the end".into()));
    }
    Ok(state)
}

/// The link text (base64url, without the `#s=` prefix) for `state`.
pub fn encode(state: &LinkState) -> String {
    let body = body(state);
    let mut out = vec![LINK_VERSION];
    out.extend_from_slice(&link::crc32(&body).to_le_bytes());
    put_varint(&mut out, body.len() as u64);
    out.extend_from_slice(&link::compress(&body));
    link::b64_encode(&out)
}

/// Decodes link text from [`encode`]. Never panics; errors read "link is truncated",
/// "checksum mismatch: the link is corrupted", "unsupported link version 3; this build
/// reads 1", or "link is invalid: …" naming what does not fit.
pub fn decode(text: &str) -> Result<LinkState, LinkError> {
    if text.len() > MAX_LINK_CHARS {
        return Err(LinkError::TooLarge);
    }
    let bytes = link::b64_decode(text)?;
    let mut r = Reader::new(&bytes);
    let version = r.byte()?;
    if version != LINK_VERSION {
        return Err(LinkError::Version(version));
    }
    let crc = u32::from_le_bytes([r.byte()?, r.byte()?, r.byte()?, r.byte()?]);
    let len = r.varint()?;
    if len > MAX_BODY as u64 {
        return Err(LinkError::TooLarge);
    }
    let body = link::decompress(r.rest(), len as usize).map_err(|e| match e {
        LinkError::TooLarge => LinkError::Corrupted,
        e => e,
    })?;
    if body.len() < len as usize {
        return Err(LinkError::Truncated);
    }
    if link::crc32(&body) != crc {
        return Err(LinkError::Corrupted);
    }
    parse_body(&body)
}

/// The state a `location.hash` carries: `None` when it holds no state link (empty, or some
/// other fragment), else the decoded state or why it could not be read.
pub fn from_fragment(hash: &str) -> Option<Result<LinkState, LinkError>> {
    let h = hash.strip_prefix('#').unwrap_or(hash);
    let text = h.strip_prefix(PREFIX)?;
    Some(decode(text))
}

/// `#s=…` for `state`, or "" when there is nothing to share.
pub fn fragment(state: &LinkState) -> String {
    if state.ring.is_none() && state.cluster.is_none() {
        String::new()
    } else {
        format!("#{PREFIX}{}", encode(state))
    }
}
