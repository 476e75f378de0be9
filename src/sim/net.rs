//! The network: every message is a visible object with an id, endpoints, payload, send time
//! and delivery time, so the UI can draw it in flight and a user can drop it by hand.
//! Latency, loss and duplication draw from the world's one `Rng`; partitions are sides.

use crate::sim::vecmap::VecMap;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::NodeIx;
use super::proto::enums::Payload;
use super::rng::Rng;
use super::time::Time;

pub use super::ids::MsgId;

/// Largest latency accepted for a link (one hour): beyond that a message is not "late", it
/// is a different lesson, and huge values would overflow time arithmetic.
pub const MAX_LATENCY_MS: u64 = 3_600_000;

/// How a link behaves: latency = `base_ms` + uniform jitter in `[0, jitter_ms]`; each
/// message is lost with probability `loss` and duplicated with probability `dup`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkCfg {
    /// Fixed part of the one-way latency (ms).
    pub base_ms: u64,
    /// Random extra latency, uniform in [0, jitter_ms] (ms).
    #[serde(default)]
    pub jitter_ms: u64,
    /// Probability in [0, 1] that a message silently never arrives.
    #[serde(default)]
    pub loss: f64,
    /// Probability in [0, 1] that a message is delivered twice (the copy has its own id).
    #[serde(default)]
    pub dup: f64,
}

impl Default for LinkCfg {
    fn default() -> Self {
        LinkCfg {
            base_ms: 5,
            jitter_ms: 5,
            loss: 0.0,
            dup: 0.0,
        }
    }
}

impl LinkCfg {
    /// Checks ranges, naming the offending field (probabilities in [0,1], latency capped).
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.loss) {
            return Err(format!("loss must be in [0, 1], got {}", self.loss));
        }
        if !(0.0..=1.0).contains(&self.dup) {
            return Err(format!("dup must be in [0, 1], got {}", self.dup));
        }
        if self.base_ms > MAX_LATENCY_MS {
            return Err(format!(
                "base_ms must be at most {MAX_LATENCY_MS}, got {}",
                self.base_ms
            ));
        }
        if self.jitter_ms > MAX_LATENCY_MS {
            return Err(format!(
                "jitter_ms must be at most {MAX_LATENCY_MS}, got {}",
                self.jitter_ms
            ));
        }
        Ok(())
    }
}

/// What will happen to a message when its delivery time comes. Decided at send time (so
/// the random draws happen in a fixed order) but only revealed at delivery time, because a
/// lost packet is still on the wire until it isn't.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Arrives unless something (partition, crash, a hand) intervenes.
    Arrive,
    /// The network loses it.
    Lost,
    /// Sent into a partition: it cannot arrive.
    Cut,
}

/// A message on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Unique id, increasing in send order.
    pub id: MsgId,
    /// Sender.
    pub from: NodeIx,
    /// Receiver.
    pub to: NodeIx,
    /// Body.
    pub payload: Payload,
    /// Virtual time it left the sender.
    pub sent_at: Time,
    /// Virtual time it reaches the receiver (or vanishes).
    pub deliver_at: Time,
    /// What the network decided for it.
    pub fate: Fate,
    /// Set on the extra copy of a duplicated message.
    pub dup_of: Option<MsgId>,
}

/// The network state: settings, partitions, messages in flight.
#[derive(Clone, Debug, PartialEq)]
pub struct Net {
    cfg: LinkCfg,
    /// One-way latency overrides (base, jitter) per (from, to): a slow WAN link, a far
    /// replica. Links without one use `cfg`.
    links: VecMap<(NodeIx, NodeIx), (u64, u64)>,
    in_flight: BTreeMap<MsgId, Message>,
    next_id: MsgId,
    /// Partition side of each node; two nodes talk iff on the same side.
    side: Vec<u32>,
    next_side: u32,
}

impl Net {
    /// A healthy network with the given link behaviour.
    pub fn new(cfg: LinkCfg) -> Self {
        Net {
            cfg,
            links: VecMap::default(),
            in_flight: BTreeMap::new(),
            next_id: 1,
            side: Vec::new(),
            next_side: 1,
        }
    }

    /// Current link settings.
    pub fn cfg(&self) -> &LinkCfg {
        &self.cfg
    }

    /// Replaces the link settings for messages sent from now on (validated by the caller).
    pub fn set_cfg(&mut self, cfg: LinkCfg) {
        self.cfg = cfg;
    }

    /// Sets the one-way latency of `from → to` for messages sent from now on.
    pub fn set_link(&mut self, from: NodeIx, to: NodeIx, base_ms: u64, jitter_ms: u64) {
        self.links.insert((from, to), (base_ms, jitter_ms));
    }

    /// Latency (base, jitter) a message `from → to` gets: the link's own, or the default.
    pub fn link_latency(&self, from: NodeIx, to: NodeIx) -> (u64, u64) {
        self.links
            .get(&(from, to))
            .copied()
            .unwrap_or((self.cfg.base_ms, self.cfg.jitter_ms))
    }

    /// Makes room for a new node on the healthy side.
    pub fn add_node(&mut self) {
        self.side.push(0);
    }

    /// Whether `a` and `b` can currently exchange messages.
    pub fn connected(&self, a: NodeIx, b: NodeIx) -> bool {
        self.side.get(a as usize) == self.side.get(b as usize)
    }

    /// True if any partition is in force.
    pub fn partitioned(&self) -> bool {
        self.side
            .iter()
            .any(|&s| s != self.side.first().copied().unwrap_or(0))
    }

    /// Partition side of a node (0 when healed), for the UI's colouring.
    pub fn side_of(&self, n: NodeIx) -> u32 {
        self.side.get(n as usize).copied().unwrap_or(0)
    }

    /// Cuts `node` off from everyone else.
    pub fn isolate(&mut self, node: NodeIx) {
        let s = self.fresh_side();
        if let Some(x) = self.side.get_mut(node as usize) {
            *x = s;
        }
    }

    /// Splits the cluster in two: `side` on one side, every other node on the other.
    pub fn split(&mut self, side: &[NodeIx]) {
        let a = self.fresh_side();
        let b = self.fresh_side();
        for x in self.side.iter_mut() {
            *x = b;
        }
        for &n in side {
            if let Some(x) = self.side.get_mut(n as usize) {
                *x = a;
            }
        }
    }

    /// Removes every partition.
    pub fn heal(&mut self) {
        for x in self.side.iter_mut() {
            *x = 0;
        }
    }

    fn fresh_side(&mut self) -> u32 {
        let s = self.next_side;
        self.next_side += 1;
        s
    }

    /// Puts a message on the wire (and maybe a duplicate), drawing latency, loss and
    /// duplication from `rng` in a fixed order. Returns the ids created (1 or 2).
    pub fn send(
        &mut self,
        rng: &mut Rng,
        now: Time,
        from: NodeIx,
        to: NodeIx,
        payload: Payload,
    ) -> (MsgId, Option<MsgId>) {
        let first = self.launch(rng, now, from, to, payload, None);
        let dup = if self.cfg.dup > 0.0 && rng.chance(self.cfg.dup) {
            Some(self.launch(rng, now, from, to, payload, Some(first)))
        } else {
            None
        };
        (first, dup)
    }

    fn launch(
        &mut self,
        rng: &mut Rng,
        now: Time,
        from: NodeIx,
        to: NodeIx,
        payload: Payload,
        dup_of: Option<MsgId>,
    ) -> MsgId {
        let (base_ms, jitter_ms) = self.link_latency(from, to);
        let jitter = if jitter_ms > 0 {
            rng.below(jitter_ms + 1)
        } else {
            0
        };
        let lost = self.cfg.loss > 0.0 && rng.chance(self.cfg.loss);
        let fate = if !self.connected(from, to) {
            Fate::Cut
        } else if lost {
            Fate::Lost
        } else {
            Fate::Arrive
        };
        let id = self.next_id;
        self.next_id += 1;
        let deliver_at = now.saturating_add(base_ms + jitter);
        self.in_flight.insert(
            id,
            Message {
                id,
                from,
                to,
                payload,
                sent_at: now,
                deliver_at,
                fate,
                dup_of,
            },
        );
        id
    }

    /// A message in flight by id.
    pub fn get(&self, id: MsgId) -> Option<&Message> {
        self.in_flight.get(&id)
    }

    /// Takes a message off the wire (delivery, loss, or a user dropping it).
    pub fn take(&mut self, id: MsgId) -> Option<Message> {
        self.in_flight.remove(&id)
    }

    /// Postpones delivery (the receiver is paused and will read its socket later).
    pub(crate) fn postpone(&mut self, id: MsgId, until: Time) {
        if let Some(m) = self.in_flight.get_mut(&id) {
            m.deliver_at = m.deliver_at.max(until);
        }
    }

    /// Messages currently in flight, by id: what the UI draws.
    pub fn in_flight(&self) -> impl Iterator<Item = &Message> {
        self.in_flight.values()
    }

    /// Number of messages in flight.
    pub fn in_flight_len(&self) -> usize {
        self.in_flight.len()
    }

    /// Rough heap footprint, for snapshot memory reports.
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.in_flight.len() * (std::mem::size_of::<Message>() + 16)
            + self.side.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::proto::heartbeat::Msg;

    fn ping() -> Payload {
        Payload::Heartbeat(Msg::Ping { seq: 0 })
    }

    fn net(n: usize, cfg: LinkCfg) -> Net {
        let mut net = Net::new(cfg);
        for _ in 0..n {
            net.add_node();
        }
        net
    }

    #[test]
    fn latency_is_base_plus_bounded_jitter() {
        let mut n = net(
            2,
            LinkCfg {
                base_ms: 10,
                jitter_ms: 4,
                loss: 0.0,
                dup: 0.0,
            },
        );
        let mut rng = Rng::new(1);
        for _ in 0..200 {
            let (id, _) = n.send(&mut rng, 100, 0, 1, ping());
            let m = n.get(id).unwrap();
            assert!((110..=114).contains(&m.deliver_at));
            assert_eq!(m.fate, Fate::Arrive);
        }
        assert_eq!(n.in_flight_len(), 200);
    }

    #[test]
    fn partitions_cut_and_heal() {
        let mut n = net(4, LinkCfg::default());
        n.split(&[0, 1]);
        assert!(n.connected(0, 1) && n.connected(2, 3) && !n.connected(1, 2));
        n.isolate(3);
        assert!(!n.connected(2, 3));
        let mut rng = Rng::new(2);
        let (id, _) = n.send(&mut rng, 0, 1, 2, ping());
        assert_eq!(n.get(id).unwrap().fate, Fate::Cut);
        n.heal();
        assert!(n.connected(1, 2) && !n.partitioned());
    }

    #[test]
    fn certain_loss_and_duplication() {
        let mut n = net(
            2,
            LinkCfg {
                base_ms: 1,
                jitter_ms: 0,
                loss: 1.0,
                dup: 1.0,
            },
        );
        let mut rng = Rng::new(3);
        let (a, b) = n.send(&mut rng, 0, 0, 1, ping());
        let b = b.unwrap();
        assert_eq!(n.get(a).unwrap().fate, Fate::Lost);
        assert_eq!(n.get(b).unwrap().dup_of, Some(a));
        assert!(n.take(a).is_some() && n.take(a).is_none());
    }

    #[test]
    fn validate_names_the_field() {
        let bad = LinkCfg {
            loss: 1.5,
            ..LinkCfg::default()
        };
        assert!(bad.validate().unwrap_err().contains("loss"));
    }
}
