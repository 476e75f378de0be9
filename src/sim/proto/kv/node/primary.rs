//! Primary/replica mode of a server, one state machine per shard: each shard has its own
//! primary, replicas (its ring successors, or every server with one shard), beat, election
//! by the shard's majority, epoch and resync, so a primary's failure fails over only its
//! shard (docs/replication.md).

use super::super::{Cell, KvCfg, KvEv, KvRec, Msg, OpF, Replication, Status, MAX_KEYS};
use super::{bit, ev, send, Coord, Job, Req, Server};
use crate::sim::ids::NodeIx;
use crate::sim::proto::kv::Kv;
use crate::sim::proto::{Ctx, Record};

/// One shard's primary/replica state at a server.
#[derive(Clone, Debug, PartialEq)]
pub struct Shard {
    /// The epoch it follows.
    pub epoch: u32,
    /// The primary it follows (itself when primary).
    pub primary: Option<NodeIx>,
    /// Has it received the whole state of its epoch's primary.
    pub synced: bool,
    pub(super) last_beat: i64,
    pub(super) voted: u32,
    /// An election it called: epoch, votes, the voters' data merged, local start time.
    pub(super) election: Option<(u32, u128, [Cell; MAX_KEYS], i64)>,
}

impl Shard {
    pub(super) fn new(primary: Option<NodeIx>, now: i64) -> Shard {
        Shard {
            epoch: 0,
            primary,
            synced: true,
            last_beat: now,
            voted: 0,
            election: None,
        }
    }
}

/// The servers of `shard`: every server with one shard (as they are now), else the group
/// placed on the initial ring (see [`super::shard_group`]).
pub(crate) fn group(ctx: &Ctx<'_>, cfg: &KvCfg, shard: usize) -> Vec<NodeIx> {
    if cfg.shard_count() <= 1 {
        return ctx.members().to_vec();
    }
    match ctx.shared::<Kv>().groups.get(shard) {
        Some(g) if !g.is_empty() => g.clone(),
        _ => super::shard_group(ctx, shard, cfg.n as usize),
    }
}

impl Server {
    fn nshards(&self) -> usize {
        self.cfg.shard_count()
    }

    fn group(&self, ctx: &Ctx<'_>, s: usize) -> Vec<NodeIx> {
        group(ctx, &self.cfg, s)
    }

    fn others(&self, ctx: &Ctx<'_>, s: usize) -> Vec<NodeIx> {
        let me = ctx.me();
        self.group(ctx, s)
            .into_iter()
            .filter(|&m| m != me)
            .collect()
    }

    fn majority(&self, ctx: &Ctx<'_>, s: usize) -> u32 {
        self.group(ctx, s).len() as u32 / 2 + 1
    }

    pub(super) fn is_primary(&self, ctx: &Ctx<'_>, s: usize) -> bool {
        self.cfg.mode == super::Mode::Primary
            && self.sh.get(s).is_some_and(|x| x.primary == Some(ctx.me()))
    }

    fn tag(&self, s: usize) -> Option<u8> {
        self.cfg.shard_tag(s)
    }

    /// Beats, resync requests and failure detection of every shard this server serves.
    pub(super) fn tick(&mut self, ctx: &mut Ctx<'_>) {
        let n = self.nshards();
        for s in 0..n {
            if n == 1 || self.group(ctx, s).contains(&ctx.me()) {
                self.tick_shard(ctx, s);
            }
        }
    }

    fn tick_shard(&mut self, ctx: &mut Ctx<'_>, s: usize) {
        let now = ctx.now_local();
        let shard = s as u8;
        if self.is_primary(ctx, s) {
            let epoch = self.sh[s].epoch;
            for o in self.others(ctx, s) {
                send(ctx, o, Msg::Beat { epoch, shard });
            }
            return;
        }
        if !self.sh[s].synced {
            if let Some(p) = self.sh[s].primary {
                let epoch = self.sh[s].epoch;
                send(ctx, p, Msg::SyncReq { epoch, shard });
            }
        }
        if let Some((_, _, _, since)) = self.sh[s].election {
            if now - since > self.cfg.failover_ms as i64 {
                self.sh[s].election = None;
            }
        }
        if self.sh[s].election.is_some() {
            return;
        }
        // Stagger candidates by their place after the primary, so one usually wins.
        let members = self.group(ctx, s);
        let me = ctx.me();
        let rank = match self.sh[s]
            .primary
            .and_then(|p| members.iter().position(|&m| m == p))
        {
            Some(pp) => {
                let mp = members.iter().position(|&m| m == me).unwrap_or(0);
                (mp + members.len() - pp) % members.len().max(1)
            }
            None => 1,
        } as i64;
        let wait = self.cfg.failover_ms as i64 + (rank - 1).max(0) * 3 * self.cfg.beat_ms as i64;
        if now - self.sh[s].last_beat > wait {
            let epoch = self.sh[s].voted.max(self.sh[s].epoch) + 1;
            self.sh[s].voted = epoch;
            ctx.persist(Record::Kv(KvRec::Voted { epoch, shard }));
            self.sh[s].election = Some((epoch, bit(me), self.cells, now));
            ctx.emit(ev(KvEv::KvElect {
                epoch,
                shard: self.tag(s),
            }));
            for o in self.others(ctx, s) {
                send(ctx, o, Msg::VoteReq { epoch, shard });
            }
            self.maybe_win(ctx, s);
        }
    }

    fn maybe_win(&mut self, ctx: &mut Ctx<'_>, s: usize) {
        let Some((epoch, votes, cells, _)) = self.sh[s].election else {
            return;
        };
        if votes.count_ones() < self.majority(ctx, s) {
            return;
        }
        let keys = self.cfg.shard_keys(s);
        let me = ctx.me();
        let sh = &mut self.sh[s];
        sh.election = None;
        sh.epoch = epoch;
        sh.primary = Some(me);
        sh.synced = true;
        ctx.persist(Record::Kv(KvRec::Epoch {
            epoch,
            primary: me,
            shard: s as u8,
        }));
        if self.cfg.fencing {
            for (k, c) in cells.iter().enumerate() {
                if keys & (1 << k) != 0 && *c > self.cells[k] {
                    self.set(ctx, k as u8, *c);
                }
            }
        }
        for k in (0..MAX_KEYS).filter(|k| keys & (1 << k) != 0) {
            self.committed[k] = self.cells[k];
        }
        self.drop_jobs(s);
        let cells = self.cells;
        ctx.shared_mut::<Kv>().note_promote(s, keys, epoch, &cells);
        ctx.emit(ev(KvEv::KvPromote {
            epoch,
            votes: votes.count_ones(),
            shard: self.tag(s),
        }));
        for o in self.others(ctx, s) {
            send(
                ctx,
                o,
                Msg::Beat {
                    epoch,
                    shard: s as u8,
                },
            );
        }
    }

    /// Drops the pending writes and reads of shard `s` (a new epoch began).
    fn drop_jobs(&mut self, s: usize) {
        let cfg = &self.cfg;
        self.jobs.retain(|_, c| match c.job {
            Job::Write { key, .. } | Job::Confirm { key, .. } | Job::Read { key, .. } => {
                cfg.shard_of(key) != s
            }
            Job::VRead { key, .. } => cfg.shard_of(key) != s,
        });
    }

    /// Follows `primary` of a newer `epoch` of shard `s`: a demoted primary drops its pending
    /// work; everyone asks the new primary for its state.
    fn follow(&mut self, ctx: &mut Ctx<'_>, s: usize, epoch: u32, primary: NodeIx) {
        let was_primary = self.is_primary(ctx, s);
        let keys = self.cfg.shard_keys(s);
        let now = ctx.now_local();
        let sh = &mut self.sh[s];
        sh.epoch = epoch;
        sh.voted = sh.voted.max(epoch);
        sh.primary = Some(primary);
        sh.synced = false;
        sh.election = None;
        sh.last_beat = now;
        self.diverged = (self.diverged & !keys) | if was_primary { keys } else { 0 };
        self.drop_jobs(s);
        let shard = s as u8;
        ctx.persist(Record::Kv(KvRec::Epoch {
            epoch,
            primary,
            shard,
        }));
        ctx.emit(ev(KvEv::KvFollow {
            epoch,
            primary,
            was_primary,
            shard: self.tag(s),
        }));
        send(ctx, primary, Msg::SyncReq { epoch, shard });
    }

    fn redirect(&self, ctx: &mut Ctx<'_>, s: usize, client: NodeIx, op: u32) {
        let primary = self
            .sh
            .get(s)
            .and_then(|x| x.primary)
            .filter(|&p| p != ctx.me());
        send(
            ctx,
            client,
            Msg::Resp {
                op,
                status: Status::Redirect,
                val: None,
                primary,
            },
        );
    }

    pub(super) fn primary_req(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, req: Req) {
        let Req {
            op,
            f,
            key,
            val,
            expect,
        } = req;
        let s = self.cfg.shard_of(key);
        if !self.is_primary(ctx, s) || key as usize >= MAX_KEYS {
            return self.redirect(ctx, s, from, op);
        }
        let k = key as usize;
        let epoch = self.sh[s].epoch;
        let shard = s as u8;
        let quorum = self.cfg.fencing || self.cfg.replication == Replication::Sync;
        if f == OpF::Read {
            if !self.cfg.fencing {
                return Self::reply(ctx, from, op, Status::Ok, self.cells[k].val);
            }
            self.next_rid += 1;
            // Reads live beside writes (keyed by sequence number) in the job table.
            let rid = (1 << 31) | self.next_rid;
            self.jobs.insert(
                rid,
                Coord {
                    client: from,
                    op,
                    job: Job::Confirm {
                        key,
                        acks: bit(ctx.me()),
                    },
                    asked: 0,
                },
            );
            for o in self.others(ctx, s) {
                send(ctx, o, Msg::Confirm { epoch, rid, shard });
            }
            return self.confirm_done(ctx, rid);
        }
        if f == OpF::Cas && self.cells[k].val != expect {
            return Self::reply(ctx, from, op, Status::Fail, self.cells[k].val);
        }
        self.seq += 1;
        let cell = Cell {
            ver: (epoch as u64, self.seq),
            val: Some(val),
        };
        let prev = self.cells[k].val;
        self.set(ctx, key, cell);
        ctx.shared_mut::<Kv>().note_write(s, epoch, key, cell, prev);
        for o in self.others(ctx, s) {
            send(
                ctx,
                o,
                Msg::Repl {
                    epoch,
                    seq: self.seq,
                    key,
                    cell,
                },
            );
        }
        if !quorum {
            self.committed[k] = cell;
            return Self::reply(ctx, from, op, Status::Ok, None);
        }
        self.jobs.insert(
            self.seq,
            Coord {
                client: from,
                op,
                job: Job::Write {
                    key,
                    cell,
                    acks: bit(ctx.me()),
                },
                asked: 0,
            },
        );
        self.write_done(ctx, self.seq);
    }

    fn write_done(&mut self, ctx: &mut Ctx<'_>, seq: u32) {
        let Some(c) = self.jobs.get(&seq) else { return };
        let Job::Write { key, cell, acks } = c.job else {
            return;
        };
        if acks.count_ones() < self.majority(ctx, self.cfg.shard_of(key)) {
            return;
        }
        let (client, op) = (c.client, c.op);
        self.jobs.remove(&seq);
        let k = key as usize;
        if cell > self.committed[k] {
            self.committed[k] = cell;
        }
        Self::reply(ctx, client, op, Status::Ok, None);
    }

    fn confirm_done(&mut self, ctx: &mut Ctx<'_>, rid: u32) {
        let Some(c) = self.jobs.get(&rid) else { return };
        let Job::Confirm { key, acks } = c.job else {
            return;
        };
        if acks.count_ones() < self.majority(ctx, self.cfg.shard_of(key)) {
            return;
        }
        let (client, op) = (c.client, c.op);
        self.jobs.remove(&rid);
        let v = self.committed[key as usize].val;
        Self::reply(ctx, client, op, Status::Ok, v);
    }

    /// An old epoch of shard `s` reached a fenced node: refuse it and name the newer primary.
    fn refuse(&self, ctx: &mut Ctx<'_>, s: usize, to: NodeIx, theirs: u32) {
        let sh = &self.sh[s];
        ctx.emit(ev(KvEv::KvRefuse {
            theirs,
            mine: sh.epoch,
            shard: self.tag(s),
        }));
        if let Some(p) = sh.primary {
            send(
                ctx,
                to,
                Msg::Nack {
                    epoch: sh.epoch,
                    primary: p,
                    shard: s as u8,
                },
            );
        }
    }

    /// The shard index a message names, if it is one this server keeps state for.
    fn shard_ix(&self, shard: u8) -> Option<usize> {
        let s = shard as usize;
        (s < self.sh.len()).then_some(s)
    }

    pub(super) fn on_primary_msg(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        let fenced = self.cfg.fencing;
        let shard = match m {
            Msg::Beat { shard, .. }
            | Msg::ReplAck { shard, .. }
            | Msg::Nack { shard, .. }
            | Msg::Confirm { shard, .. }
            | Msg::ConfirmAck { shard, .. }
            | Msg::VoteReq { shard, .. }
            | Msg::Vote { shard, .. }
            | Msg::SyncReq { shard, .. } => shard,
            Msg::Repl { key, .. } | Msg::Sync { key, .. } => self.cfg.shard_of(key) as u8,
            _ => return,
        };
        let Some(s) = self.shard_ix(shard) else {
            return;
        };
        let me = ctx.me();
        match m {
            Msg::Beat { epoch, .. } => {
                let sh = &self.sh[s];
                if epoch > sh.epoch
                    || (epoch == sh.epoch && sh.primary != Some(from) && !self.is_primary(ctx, s))
                {
                    self.follow(ctx, s, epoch, from);
                } else if epoch == sh.epoch && sh.primary == Some(from) {
                    self.sh[s].last_beat = ctx.now_local();
                } else if epoch < sh.epoch {
                    // A stale primary: tell it who leads now (Sentinel reconfigures it).
                    if let Some(p) = sh.primary {
                        let epoch = sh.epoch;
                        send(
                            ctx,
                            from,
                            Msg::Nack {
                                epoch,
                                primary: p,
                                shard,
                            },
                        );
                    }
                }
            }
            Msg::Nack { epoch, primary, .. } if epoch > self.sh[s].epoch && primary != me => {
                self.follow(ctx, s, epoch, primary);
            }
            Msg::Repl {
                epoch,
                seq,
                key,
                cell,
            } => {
                // Fenced: a vote for a newer epoch already refuses the old one (Raft's term).
                if fenced && (epoch < self.sh[s].epoch || epoch < self.sh[s].voted) {
                    return self.refuse(ctx, s, from, epoch);
                }
                if epoch > self.sh[s].epoch {
                    self.follow(ctx, s, epoch, from);
                }
                if self.sh[s].primary != Some(from) || key as usize >= MAX_KEYS {
                    return;
                }
                if cell > self.cells[key as usize] {
                    self.replace(ctx, key, cell);
                }
                self.sh[s].last_beat = ctx.now_local();
                send(ctx, from, Msg::ReplAck { epoch, seq, shard });
            }
            Msg::ReplAck { epoch, seq, .. } => {
                if epoch != self.sh[s].epoch || !self.is_primary(ctx, s) {
                    return;
                }
                if let Some(Coord {
                    job: Job::Write { acks, .. },
                    ..
                }) = self.jobs.get_mut(&seq)
                {
                    *acks |= bit(from);
                }
                self.write_done(ctx, seq);
            }
            Msg::Confirm { epoch, rid, .. } => {
                if epoch < self.sh[s].epoch || epoch < self.sh[s].voted {
                    return self.refuse(ctx, s, from, epoch);
                }
                if epoch > self.sh[s].epoch {
                    self.follow(ctx, s, epoch, from);
                }
                if self.sh[s].synced && self.sh[s].primary == Some(from) {
                    send(ctx, from, Msg::ConfirmAck { epoch, rid, shard });
                }
            }
            Msg::ConfirmAck { epoch, rid, .. } => {
                if epoch != self.sh[s].epoch {
                    return;
                }
                if let Some(Coord {
                    job: Job::Confirm { acks, .. },
                    ..
                }) = self.jobs.get_mut(&rid)
                {
                    *acks |= bit(from);
                }
                self.confirm_done(ctx, rid);
            }
            Msg::VoteReq { epoch, .. } => {
                let silent =
                    ctx.now_local() - self.sh[s].last_beat > self.cfg.failover_ms as i64 / 2;
                let granted = epoch > self.sh[s].voted && !self.is_primary(ctx, s) && silent;
                if granted {
                    self.sh[s].voted = epoch;
                    ctx.persist(Record::Kv(KvRec::Voted { epoch, shard }));
                }
                send(
                    ctx,
                    from,
                    Msg::Vote {
                        epoch,
                        granted,
                        cells: self.cells,
                        shard,
                    },
                );
            }
            Msg::Vote {
                epoch,
                granted,
                cells,
                ..
            } => {
                if let Some((e, votes, merged, _)) = self.sh[s].election.as_mut() {
                    if *e == epoch && granted {
                        *votes |= bit(from);
                        for k in 0..MAX_KEYS {
                            if cells[k] > merged[k] {
                                merged[k] = cells[k];
                            }
                        }
                    }
                }
                self.maybe_win(ctx, s);
            }
            Msg::SyncReq { epoch, .. } => {
                if !self.is_primary(ctx, s) {
                    return;
                }
                if epoch < self.sh[s].epoch && fenced {
                    return self.refuse(ctx, s, from, epoch);
                }
                let n = self.cfg.keys.clamp(1, MAX_KEYS as u8);
                let keys: Vec<u8> = (0..n).filter(|&k| self.cfg.shard_of(k) == s).collect();
                let epoch = self.sh[s].epoch;
                for (i, &k) in keys.iter().enumerate() {
                    send(
                        ctx,
                        from,
                        Msg::Sync {
                            epoch,
                            key: k,
                            cell: self.cells[k as usize],
                            last: i + 1 == keys.len(),
                        },
                    );
                }
            }
            Msg::Sync {
                epoch,
                key,
                cell,
                last,
            } => {
                let sh = &self.sh[s];
                if epoch != sh.epoch || sh.primary != Some(from) || key as usize >= MAX_KEYS {
                    return;
                }
                let mine = self.cells[key as usize];
                // A full resync: versions from an older epoch give way to the primary's.
                if cell != mine && (mine.ver.0 < epoch as u64 || cell > mine) {
                    self.replace(ctx, key, cell);
                }
                if last {
                    let keys = self.cfg.shard_keys(s);
                    self.sh[s].synced = true;
                    self.diverged &= !keys;
                    for k in (0..MAX_KEYS).filter(|k| keys & (1 << k) != 0) {
                        self.committed[k] = self.cells[k];
                    }
                }
            }
            _ => {}
        }
    }
}
