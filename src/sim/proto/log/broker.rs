//! A broker: the replicas of the partitions the ring places on it (leader or follower), the
//! produce path with acks and min ISR, replication by follower fetches with divergence
//! checks, the high watermark and ISR shrink/expand. The first live broker also acts as
//! controller (elections, placement after ring changes) and as the group coordinator.

use std::sync::Arc;

use super::cfg::{Acks, Assign, MqCfg, Rebalance};
use super::state::{emit, placement, send, sh, sh_mut, timer, Member};
use super::types::Mq;
use super::wire::{MqEv, MqMsg, MqRec, MqTimer, ProduceErr};
use super::{parts, PartSet};
use crate::sim::ids::NodeIx;
use crate::sim::proto::{Ctx, Record, Registered};
use crate::sim::sort::sort_by_u64;

/// What a leader knows of one follower of a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Follower {
    /// The follower.
    pub node: NodeIx,
    /// Its log end offset (its last fetch offset).
    pub leo: u64,
    /// When it last fetched at the leader's log end (leader's clock).
    pub caught_up_at: i64,
}

/// A produce request waiting for the high watermark (acks=all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Waiting {
    p: u32,
    off: u64,
    producer: NodeIx,
    id: u32,
}

/// One broker's state; logs are rebuilt from the durable log on restart.
#[derive(Clone, Debug, PartialEq)]
pub struct Broker {
    cfg: Arc<MqCfg>,
    /// Each partition's replica on this broker: message ids by offset.
    pub logs: Vec<Vec<u32>>,
    /// High watermark per partition, as this broker knows it.
    pub hw: Vec<u64>,
    fetching: Vec<u8>,
    followers: Vec<Vec<Follower>>,
    led_epoch: Vec<u32>,
    waiting: Vec<Waiting>,
}

impl Broker {
    /// Starts (or restarts) a broker from its durable log.
    /// Takes the settings switched during the run (`mq_set`) from now on.
    pub(crate) fn set_cfg(&mut self, cfg: Arc<MqCfg>) {
        self.cfg = cfg;
    }

    pub(crate) fn boot(cfg: &MqCfg, ctx: &mut Ctx<'_>) -> Broker {
        let n = cfg.partitions as usize;
        let mut logs = vec![Vec::new(); n];
        for r in ctx.durable().iter().filter_map(Mq::rec) {
            match *r {
                MqRec::Append { p, id } => {
                    if let Some(l) = logs.get_mut(p as usize) {
                        l.push(id);
                    }
                }
                MqRec::Truncate { p, to } => {
                    if let Some(l) = logs.get_mut(p as usize) {
                        l.truncate(to as usize);
                    }
                }
                _ => {}
            }
        }
        let me = ctx.me();
        let live = &mut sh_mut(ctx).live;
        if let Err(at) = live.binary_search(&me) {
            live.insert(at, me);
        }
        timer(ctx, cfg.fetch_ms, MqTimer::Tick);
        Broker {
            cfg: Arc::new(cfg.clone()),
            logs,
            hw: vec![0; n],
            fetching: vec![0; n],
            followers: vec![Vec::new(); n],
            led_epoch: vec![0; n],
            waiting: Vec::new(),
        }
    }

    /// Rough heap footprint.
    pub fn approx_bytes(&self) -> usize {
        self.logs
            .iter()
            .map(|l| l.capacity() * 4 + 24)
            .sum::<usize>()
            + self
                .followers
                .iter()
                .map(|f| f.capacity() * 24)
                .sum::<usize>()
            + self.hw.len() * 16
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, t: MqTimer) {
        if t != MqTimer::Tick {
            return;
        }
        if sh(ctx).live.first() == Some(&ctx.me()) {
            self.controller(ctx);
            self.session_check(ctx);
        }
        let me = ctx.me();
        for p in 0..self.cfg.partitions {
            let Some(m) = sh(ctx).meta.get(p as usize) else {
                continue;
            };
            let (leader, isin) = (m.leader, m.replicas.contains(&me));
            if leader == Some(me) {
                self.lead_tick(ctx, p);
            } else if let (Some(l), true) = (leader, isin) {
                let f = &mut self.fetching[p as usize];
                // A fetch unanswered for three ticks is presumed lost.
                if *f == 0 || *f > 3 {
                    self.fetch(ctx, p, l);
                } else {
                    *f += 1;
                }
            }
        }
        timer(ctx, self.cfg.fetch_ms, MqTimer::Tick);
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: MqMsg) {
        match m {
            MqMsg::Produce { p, id, seq, epoch } => self.on_produce(ctx, from, p, id, (epoch, seq)),
            MqMsg::Fetch { p, off, prev } => self.on_fetch(ctx, from, p, off, prev),
            MqMsg::Entries { p, off, n, ids, hw } => self.on_entries(ctx, from, p, off, n, ids, hw),
            MqMsg::Truncate { p, to } => {
                self.truncate(ctx, p, to);
                self.fetching[p as usize] = 0;
                self.fetch(ctx, p, from);
            }
            MqMsg::Poll { p, off } => self.on_poll(ctx, from, p, off),
            MqMsg::Join { inc } => self.on_join(ctx, from, inc),
            MqMsg::Leave { inc } => self.on_leave(ctx, from, inc),
            MqMsg::Heartbeat { inc, owned, epoch } => {
                self.on_heartbeat(ctx, from, inc, owned, epoch)
            }
            MqMsg::Commit { inc, p, off } => self.on_commit(ctx, from, inc, p, off),
            MqMsg::OffsetFetch { p } => {
                let off = sh(ctx).group.offsets.get(p as usize).copied().unwrap_or(0);
                send(ctx, from, MqMsg::Offset { p, off });
            }
            _ => {}
        }
    }

    fn is_leader(&self, ctx: &Ctx<'_>, p: u32) -> bool {
        sh(ctx).leader(p) == Some(ctx.me())
    }

    // ----- produce path -----

    fn on_produce(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, p: u32, id: u32, label: (u32, u32)) {
        let resp = |ctx: &mut Ctx<'_>, off: u64, err: Option<ProduceErr>| {
            let epoch = label.0;
            send(
                ctx,
                from,
                MqMsg::ProduceResp {
                    p,
                    id,
                    off,
                    err,
                    epoch,
                },
            );
        };
        if p >= self.cfg.partitions || !self.is_leader(ctx, p) {
            return resp(ctx, 0, Some(ProduceErr::NotLeader));
        }
        self.lead_tick_epoch(ctx, p);
        let isr = sh(ctx).meta[p as usize].isr.len() as u32;
        if self.cfg.acks == Acks::All && isr < self.cfg.min_isr {
            return resp(ctx, 0, Some(ProduceErr::NotEnoughReplicas));
        }
        let pid = sh(ctx).msg(id).map(|m| m.pid).unwrap_or(0);
        let log = &self.logs[p as usize];
        if self.cfg.idempotent {
            // The producer's state is rebuilt from the log itself, so a new leader knows it.
            let s = sh(ctx);
            let mine = log.iter().enumerate().filter_map(|(o, &e)| {
                s.msg(e)
                    .filter(|m| m.pid == pid)
                    .map(|m| (o as u64, (m.epoch, m.seq)))
            });
            match producer_check(mine, label) {
                Err(err) => return resp(ctx, 0, Some(err)),
                Ok(Some(off)) => {
                    emit(ctx, MqEv::MqDupDropped { p, id });
                    return self.answer_when_safe(ctx, p, off, from, id);
                }
                Ok(None) => {}
            }
        }
        let dup = log.contains(&id);
        let off = log.len() as u64;
        self.logs[p as usize].push(id);
        ctx.persist(Record::Mq(MqRec::Append { p, id }));
        emit(ctx, MqEv::MqAppend { p, off, id, dup });
        self.answer_when_safe(ctx, p, off, from, id);
        self.update_hw(ctx, p);
    }

    fn answer_when_safe(&mut self, ctx: &mut Ctx<'_>, p: u32, off: u64, producer: NodeIx, id: u32) {
        match self.cfg.acks {
            Acks::Zero => {}
            Acks::One => send(
                ctx,
                producer,
                MqMsg::ProduceResp {
                    p,
                    id,
                    off,
                    err: None,
                    epoch: 0,
                },
            ),
            Acks::All if off < self.hw[p as usize] => send(
                ctx,
                producer,
                MqMsg::ProduceResp {
                    p,
                    id,
                    off,
                    err: None,
                    epoch: 0,
                },
            ),
            Acks::All => self.waiting.push(Waiting {
                p,
                off,
                producer,
                id,
            }),
        }
    }

    // ----- replication -----

    fn fetch(&mut self, ctx: &mut Ctx<'_>, p: u32, leader: NodeIx) {
        let log = &self.logs[p as usize];
        let off = log.len() as u64;
        let prev = log.last().copied().unwrap_or(0);
        self.fetching[p as usize] = 1;
        send(ctx, leader, MqMsg::Fetch { p, off, prev });
    }

    /// A newly elected leader starts its follower book afresh.
    fn lead_tick_epoch(&mut self, ctx: &mut Ctx<'_>, p: u32) {
        let (epoch, replicas) = {
            let m = &sh(ctx).meta[p as usize];
            (m.epoch, m.replicas.clone())
        };
        if self.led_epoch[p as usize] != epoch {
            self.led_epoch[p as usize] = epoch;
            self.waiting.retain(|w| w.p != p);
            let now = ctx.now_local();
            let me = ctx.me();
            self.followers[p as usize] = replicas
                .into_iter()
                .filter(|&n| n != me)
                .map(|node| Follower {
                    node,
                    leo: 0,
                    caught_up_at: now,
                })
                .collect();
            let len = self.logs[p as usize].len() as u64;
            self.hw[p as usize] = self.hw[p as usize].min(len);
        }
    }

    fn follower_mut(&mut self, p: u32, node: NodeIx, now: i64) -> &mut Follower {
        let fs = &mut self.followers[p as usize];
        let i = match fs.iter().position(|f| f.node == node) {
            Some(i) => i,
            None => {
                fs.push(Follower {
                    node,
                    leo: 0,
                    caught_up_at: now,
                });
                fs.len() - 1
            }
        };
        &mut fs[i]
    }

    fn lead_tick(&mut self, ctx: &mut Ctx<'_>, p: u32) {
        self.lead_tick_epoch(ctx, p);
        let now = ctx.now_local();
        let lag = self.cfg.replica_lag_ms as i64;
        let me = ctx.me();
        let isr = sh(ctx).meta[p as usize].isr.clone();
        for n in isr.into_iter().filter(|&n| n != me) {
            let f = *self.follower_mut(p, n, now);
            if now - f.caught_up_at > lag {
                sh_mut(ctx).meta[p as usize].isr.retain(|&x| x != n);
                emit(ctx, MqEv::MqIsrShrink { p, node: n });
            }
        }
        self.update_hw(ctx, p);
    }

    fn on_fetch(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, p: u32, off: u64, prev: u32) {
        if p >= self.cfg.partitions || !self.is_leader(ctx, p) {
            return;
        }
        self.lead_tick_epoch(ctx, p);
        let log = &self.logs[p as usize];
        let len = log.len() as u64;
        if off > len {
            return send(ctx, from, MqMsg::Truncate { p, to: len });
        }
        if off > 0 && log[off as usize - 1] != prev {
            return send(ctx, from, MqMsg::Truncate { p, to: off - 1 });
        }
        let now = ctx.now_local();
        let f = self.follower_mut(p, from, now);
        f.leo = off;
        if off == len {
            f.caught_up_at = now;
        }
        let hw = self.hw[p as usize];
        let m = &sh(ctx).meta[p as usize];
        if !m.isr.contains(&from) && m.replicas.contains(&from) && off >= hw && off == len {
            sh_mut(ctx).meta[p as usize].isr.push(from);
            emit(ctx, MqEv::MqIsrExpand { p, node: from });
        }
        self.update_hw(ctx, p);
        let (n, ids) = take4(&self.logs[p as usize], off, u64::MAX);
        let hw = self.hw[p as usize];
        send(ctx, from, MqMsg::Entries { p, off, n, ids, hw });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_entries(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: NodeIx,
        p: u32,
        off: u64,
        n: u8,
        ids: [u32; 4],
        hw: u64,
    ) {
        let Some(log) = self.logs.get_mut(p as usize) else {
            return;
        };
        self.fetching[p as usize] = 0;
        if off != log.len() as u64 || sh(ctx).leader(p) != Some(from) {
            return;
        }
        for &id in &ids[..n as usize] {
            self.logs[p as usize].push(id);
            ctx.persist(Record::Mq(MqRec::Append { p, id }));
        }
        let len = self.logs[p as usize].len() as u64;
        self.hw[p as usize] = hw.min(len);
        if n > 0 {
            self.fetch(ctx, p, from);
        }
    }

    fn truncate(&mut self, ctx: &mut Ctx<'_>, p: u32, to: u64) {
        let Some(log) = self.logs.get_mut(p as usize) else {
            return;
        };
        let len = log.len() as u64;
        if to >= len {
            return;
        }
        log.truncate(to as usize);
        self.hw[p as usize] = self.hw[p as usize].min(to);
        ctx.persist(Record::Mq(MqRec::Truncate { p, to }));
        emit(
            ctx,
            MqEv::MqTruncate {
                p,
                to,
                dropped: len - to,
            },
        );
    }

    fn update_hw(&mut self, ctx: &mut Ctx<'_>, p: u32) {
        if !self.is_leader(ctx, p) {
            return;
        }
        let me = ctx.me();
        let len = self.logs[p as usize].len() as u64;
        let isr = &sh(ctx).meta[p as usize].isr;
        let mut hw = len;
        for &n in isr.iter().filter(|&&n| n != me) {
            let leo = self.followers[p as usize]
                .iter()
                .find(|f| f.node == n)
                .map_or(0, |f| f.leo);
            hw = hw.min(leo);
        }
        let isr_len = isr.len() as u32;
        let old = self.hw[p as usize];
        if hw > old {
            self.hw[p as usize] = hw;
            emit(ctx, MqEv::MqHw { p, hw });
        }
        let hw = self.hw[p as usize];
        let (ready, rest): (Vec<Waiting>, Vec<Waiting>) =
            self.waiting.iter().partition(|w| w.p == p && w.off < hw);
        self.waiting = rest;
        for w in ready {
            // Kafka's NotEnoughReplicasAfterAppend: written, but not to enough replicas.
            let err = (isr_len < self.cfg.min_isr).then_some(ProduceErr::NotEnoughReplicas);
            send(
                ctx,
                w.producer,
                MqMsg::ProduceResp {
                    p,
                    id: w.id,
                    off: w.off,
                    err,
                    epoch: 0,
                },
            );
        }
    }

    fn on_poll(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, p: u32, off: u64) {
        if p >= self.cfg.partitions {
            return;
        }
        let hw = self.hw[p as usize];
        let reply = |n, ids, reset| MqMsg::Records {
            p,
            off,
            n,
            ids,
            hw,
            reset,
        };
        if !self.is_leader(ctx, p) {
            return send(ctx, from, reply(0, [0; 4], false));
        }
        let log = &self.logs[p as usize];
        if off > log.len() as u64 {
            return send(ctx, from, reply(0, [0; 4], true));
        }
        let (n, ids) = take4(log, off, hw);
        let n = n.min(self.cfg.max_poll_records as u8);
        send(ctx, from, reply(n, ids, false));
    }

    // ----- controller -----

    fn controller(&mut self, ctx: &mut Ctx<'_>) {
        let epoch = ctx.ring_epoch();
        let rf = self.cfg.rf;
        if epoch != sh(ctx).ring_epoch {
            sh_mut(ctx).ring_epoch = epoch;
            for p in 0..self.cfg.partitions {
                let names: Vec<(String, NodeIx)> = ctx
                    .members()
                    .iter()
                    .map(|&m| (ctx.node_name(m).to_string(), m))
                    .collect();
                let now = placement(ctx.ring(), p, rf, &|n| {
                    names.iter().find(|(s, _)| s == n).map(|x| x.1)
                });
                let m = &mut sh_mut(ctx).meta[p as usize];
                if now != m.replicas && !now.is_empty() {
                    m.replicas = now.clone();
                    let keep: Vec<NodeIx> =
                        m.isr.iter().copied().filter(|n| now.contains(n)).collect();
                    if !keep.is_empty() {
                        m.isr = keep;
                    }
                    let bits = now
                        .iter()
                        .filter(|&&n| n < 64)
                        .fold(0u64, |b, &n| b | 1 << n);
                    emit(ctx, MqEv::MqPlace { p, replicas: bits });
                }
            }
        }
        for p in 0..self.cfg.partitions {
            self.elect(ctx, p);
        }
    }

    fn elect(&mut self, ctx: &mut Ctx<'_>, p: u32) {
        let unclean = self.cfg.unclean;
        let s = sh(ctx);
        let live = s.live.clone();
        let m = &s.meta[p as usize];
        let alive: Vec<NodeIx> = m.isr.iter().copied().filter(|n| live.contains(n)).collect();
        let gone: Vec<NodeIx> = m
            .isr
            .iter()
            .copied()
            .filter(|n| !live.contains(n))
            .collect();
        let leader_ok = m
            .leader
            .is_some_and(|l| live.contains(&l) && m.replicas.contains(&l) && m.isr.contains(&l));
        if !alive.is_empty() && !gone.is_empty() {
            sh_mut(ctx).meta[p as usize].isr = alive.clone();
            for n in gone {
                emit(ctx, MqEv::MqIsrShrink { p, node: n });
            }
        }
        if leader_ok {
            return;
        }
        let m = &sh(ctx).meta[p as usize];
        let clean = alive.iter().copied().find(|n| m.replicas.contains(n));
        let pick = match clean {
            Some(n) => Some((n, true)),
            None if unclean => m
                .replicas
                .iter()
                .copied()
                .find(|n| live.contains(n))
                .map(|n| (n, false)),
            None => None,
        };
        let m = &mut sh_mut(ctx).meta[p as usize];
        match pick {
            Some((n, clean)) => {
                m.leader = Some(n);
                m.epoch += 1;
                m.offline = false;
                if !clean {
                    m.isr = vec![n];
                }
                let epoch = m.epoch;
                emit(
                    ctx,
                    MqEv::MqElect {
                        p,
                        node: n,
                        epoch,
                        clean,
                    },
                );
            }
            None => {
                m.leader = None;
                if !m.offline {
                    m.offline = true;
                    emit(ctx, MqEv::MqOffline { p });
                }
            }
        }
    }

    // ----- group coordinator -----

    fn touch(&mut self, ctx: &mut Ctx<'_>) {
        let me = ctx.me();
        let now = ctx.now_local();
        let g = &mut sh_mut(ctx).group;
        if g.coord != Some(me) {
            // A new coordinator gives every member a fresh session.
            g.coord = Some(me);
            for m in &mut g.members {
                m.last_hb = now;
            }
        }
    }

    fn on_join(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, inc: u64) {
        self.touch(ctx);
        let g = &sh(ctx).group;
        if let Some(m) = g.members.iter().find(|m| m.node == from) {
            if m.inc == inc {
                let (epoch, target) = (m.epoch, m.target);
                return send(ctx, from, MqMsg::Assignment { epoch, target });
            }
            self.remove_member(ctx, from, "rejoin");
        }
        let now = ctx.now_local();
        sh_mut(ctx).group.members.push(Member {
            node: from,
            inc,
            last_hb: now,
            owned: 0,
            target: 0,
            epoch: 0,
            granted: 0,
        });
        emit(ctx, MqEv::MqJoin { peer: from });
        self.rebalance(ctx);
        self.answer(ctx, from);
    }

    fn remove_member(&mut self, ctx: &mut Ctx<'_>, node: NodeIx, why: &str) {
        let g = &mut sh_mut(ctx).group;
        let Some(i) = g.members.iter().position(|m| m.node == node) else {
            return;
        };
        let m = g.members.remove(i);
        emit(
            ctx,
            MqEv::MqMemberGone {
                peer: node,
                why: why.into(),
                owned: m.owned,
            },
        );
    }

    fn on_leave(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, inc: u64) {
        self.touch(ctx);
        if sh(ctx)
            .group
            .members
            .iter()
            .any(|m| m.node == from && m.inc == inc)
        {
            self.remove_member(ctx, from, "leave");
            self.rebalance(ctx);
        }
    }

    fn on_heartbeat(
        &mut self,
        ctx: &mut Ctx<'_>,
        from: NodeIx,
        inc: u64,
        owned: PartSet,
        epoch: u32,
    ) {
        self.touch(ctx);
        let now = ctx.now_local();
        let g = &mut sh_mut(ctx).group;
        let Some(m) = g
            .members
            .iter_mut()
            .find(|m| m.node == from && m.inc == inc)
        else {
            return send(ctx, from, MqMsg::Fenced);
        };
        m.last_hb = now;
        // What a member owns is only believed once it has seen its latest assignment.
        if epoch == m.epoch {
            m.owned = owned;
            m.granted = m.target | owned;
        }
        self.progress(ctx);
        self.answer(ctx, from);
    }

    fn answer(&mut self, ctx: &mut Ctx<'_>, to: NodeIx) {
        let g = &sh(ctx).group;
        if let Some(m) = g.members.iter().find(|m| m.node == to) {
            let (epoch, target) = (m.epoch, m.target);
            send(ctx, to, MqMsg::Assignment { epoch, target });
        }
    }

    fn on_commit(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, inc: u64, p: u32, off: u64) {
        if p >= self.cfg.partitions {
            return;
        }
        let g = &mut sh_mut(ctx).group;
        // Only a current member that holds (or is being given) the partition may commit it:
        // a zombie's or a rejoined member's late commit is fenced.
        let bit = 1 << p;
        if g.members
            .iter()
            .any(|m| m.node == from && m.inc == inc && (m.owned | m.target) & bit != 0)
        {
            g.offsets[p as usize] = off;
            emit(ctx, MqEv::MqCommit { p, off, by: from });
        } else {
            emit(ctx, MqEv::MqCommitRejected { p, off, by: from });
        }
    }

    fn session_check(&mut self, ctx: &mut Ctx<'_>) {
        if sh(ctx).group.members.is_empty() {
            return;
        }
        self.touch(ctx);
        let now = ctx.now_local();
        let limit = self.cfg.session_timeout_ms as i64;
        let dead: Vec<NodeIx> = sh(ctx)
            .group
            .members
            .iter()
            .filter(|m| now - m.last_hb > limit)
            .map(|m| m.node)
            .collect();
        for n in &dead {
            self.remove_member(ctx, *n, "session_timeout");
        }
        if !dead.is_empty() {
            self.rebalance(ctx);
        }
    }

    fn rebalance(&mut self, ctx: &mut Ctx<'_>) {
        let cfg = self.cfg.clone();
        let pins: Vec<Option<NodeIx>> = cfg.consumers.iter().map(|n| ctx.node_ix(n)).collect();
        let g = &mut sh_mut(ctx).group;
        g.gen += 1;
        let mut members: Vec<(NodeIx, PartSet)> = g
            .members
            .iter()
            .map(|m| (m.node, m.owned | m.target))
            .collect();
        // One member per node (a rejoin replaces it), so by node is the tuples' order.
        sort_by_u64(&mut members, |m| u64::from(m.0));
        g.desired = match cfg.assignment {
            Assign::Pinned => pinned(cfg.partitions, &members, &pins),
            how => assign(how, cfg.partitions, &members),
        };
        if cfg.rebalance == Rebalance::Eager {
            g.revoking = true;
            for m in &mut g.members {
                set_target(m, 0);
            }
        }
        let (gen, n) = (g.gen, g.members.len() as u32);
        emit(ctx, MqEv::MqRebalance { gen, members: n });
        self.progress(ctx);
    }

    fn progress(&mut self, ctx: &mut Ctx<'_>) {
        let eager = self.cfg.rebalance == Rebalance::Eager;
        let g = &mut sh_mut(ctx).group;
        let want =
            |n: NodeIx, d: &[(NodeIx, PartSet)]| d.iter().find(|x| x.0 == n).map_or(0, |x| x.1);
        if eager && g.revoking {
            if g.members.iter().all(|m| m.owned | m.granted == 0) {
                g.revoking = false;
                let d = g.desired.clone();
                for m in &mut g.members {
                    set_target(m, want(m.node, &d));
                }
            }
            return;
        }
        // Cooperative: first take away what moves, then grant only what nobody else owns
        // or has been granted (so a partition is never consumed by two members at once).
        // Eager outside a revocation has nothing left to move here, except after `mq_set`
        // switched from cooperative in the middle of one: this finishes it.
        let d = g.desired.clone();
        for m in &mut g.members {
            let t = m.target & want(m.node, &d);
            set_target(m, t);
        }
        for i in 0..g.members.len() {
            let me = g.members[i].node;
            let others = g
                .members
                .iter()
                .filter(|x| x.node != me)
                .fold(0, |a, x| a | x.owned | x.target | x.granted);
            let t = g.members[i].target | (want(me, &d) & !others);
            set_target(&mut g.members[i], t);
        }
    }
}

fn set_target(m: &mut Member, t: PartSet) {
    if m.target != t {
        m.target = t;
        m.granted |= t;
        m.epoch += 1;
    }
}

/// An idempotent leader's verdict on a produce labelled `label` (epoch, sequence), from
/// the (offset, label) of the producer's records in its log: `Ok(Some(off))` a duplicate
/// already at `off`, `Ok(None)` append it, or the refusal. Records under an epoch older than
/// the latest here are ignored; a produce under an older one is fenced
/// (`INVALID_PRODUCER_EPOCH`); a newer epoch starts at the first sequence (1: the model's
/// sequences are 1-based where Kafka's start at 0); within the epoch a gap is refused.
pub(super) fn producer_check(
    mine: impl Iterator<Item = (u64, (u32, u32))>,
    label: (u32, u32),
) -> Result<Option<u64>, ProduceErr> {
    let (mut top, mut last, mut at) = (None, 0, None);
    for (o, (epoch, seq)) in mine {
        if top < Some(epoch) {
            (top, last) = (Some(epoch), 0);
        }
        if top == Some(epoch) {
            last = last.max(seq);
        }
        if (epoch, seq) == label {
            at = Some(o);
        }
    }
    if top > Some(label.0) {
        return Err(ProduceErr::InvalidProducerEpoch);
    }
    if at.is_some() {
        return Ok(at);
    }
    let last = if top == Some(label.0) { last } else { 0 };
    if label.1 > last + 1 {
        return Err(ProduceErr::OutOfOrderSequence);
    }
    Ok(None)
}

/// The first up-to-4 entries from `off`, below `limit`.
fn take4(log: &[u32], off: u64, limit: u64) -> (u8, [u32; 4]) {
    let mut ids = [0; 4];
    let end = (log.len() as u64).min(limit);
    let mut n = 0;
    let mut o = off;
    while o < end && n < 4 {
        ids[n] = log[o as usize];
        n += 1;
        o += 1;
    }
    (n as u8, ids)
}

/// The assignor: `members` (sorted, with what each holds now) get `n` partitions.
pub fn assign(how: Assign, n: u32, members: &[(NodeIx, PartSet)]) -> Vec<(NodeIx, PartSet)> {
    let m = members.len() as u32;
    if m == 0 {
        return Vec::new();
    }
    let (floor, extra) = (n / m, n % m);
    match how {
        // Pinned needs the configured consumers' nodes: see `pinned`; without them it is
        // a range.
        Assign::Range | Assign::Pinned => {
            let mut start = 0;
            members
                .iter()
                .enumerate()
                .map(|(i, &(node, _))| {
                    let k = floor + u32::from((i as u32) < extra);
                    let set = (start..start + k).fold(0, |s, p| s | 1 << p);
                    start += k;
                    (node, set)
                })
                .collect()
        }
        Assign::Sticky => {
            let mut out: Vec<(NodeIx, PartSet)> = members.iter().map(|&(n, _)| (n, 0)).collect();
            let mut taken: PartSet = 0;
            for (i, &(_, prev)) in members.iter().enumerate() {
                for p in parts(prev).filter(|&p| p < n) {
                    if out[i].1.count_ones() < floor && taken & (1 << p) == 0 {
                        out[i].1 |= 1 << p;
                        taken |= 1 << p;
                    }
                }
            }
            let mut extras = extra;
            for p in (0..n).filter(|p| taken & (1 << p) == 0) {
                let room = |c: u32, ex: u32| c < floor || (c == floor && ex > 0);
                let prev = members.iter().position(|&(_, s)| s & (1 << p) != 0);
                let pick = match prev {
                    Some(i) if room(out[i].1.count_ones(), extras) => i,
                    _ => (0..out.len())
                        .filter(|&i| room(out[i].1.count_ones(), extras))
                        .min_by_key(|&i| (out[i].1.count_ones(), i))
                        .unwrap_or(0),
                };
                if out[pick].1.count_ones() == floor {
                    extras = extras.saturating_sub(1);
                }
                out[pick].1 |= 1 << p;
            }
            out
        }
    }
}

/// The pinned assignor: partition `p` goes to the member on node `pins[p]` (the `p`-th
/// configured consumer), and stays unassigned while that node is not a member.
pub fn pinned(
    n: u32,
    members: &[(NodeIx, PartSet)],
    pins: &[Option<NodeIx>],
) -> Vec<(NodeIx, PartSet)> {
    members
        .iter()
        .map(|&(node, _)| {
            let set = (0..n)
                .filter(|&p| pins.get(p as usize).copied().flatten() == Some(node))
                .fold(0, |s, p| s | 1 << p);
            (node, set)
        })
        .collect()
}
