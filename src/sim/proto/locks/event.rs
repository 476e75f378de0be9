//! Lock events: what the UI draws (a token travelling to the next waiter, a lease running
//! out, a stale write bouncing off storage) and what the lock invariants and counters read.
//! They flatten into the trace as ordinary kinds (`lock_grant`, `storage_write`, …).

use crate::sim::vecmap::VecMap;

use serde::{Deserialize, Serialize};

use super::wire::ResKey;
use crate::sim::ids::NodeIx;
use crate::sim::time::{fmt_ms, Time};

/// Why a client stopped believing it holds a lock without releasing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LostWhy {
    /// Its own estimate of the lease (or Redlock validity) ran out.
    LeaseExpired,
    /// The server refused a renewal: someone else holds it now.
    RenewRefused,
    /// Its session (ZooKeeper) or lease (etcd) is gone.
    SessionLost,
}

/// How a new ring owner learnt a lock's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffHow {
    /// It learnt nothing (no replication): it may grant a second holder.
    None,
    /// From its own replica copy.
    Replica,
    /// From another server's answer (the old owner or a replica).
    Transfer,
    /// Nobody answered; it waited a full lease before serving.
    Wait,
    /// Replicas answered, but none knew of any state (e.g. an async copy never left).
    Empty,
}

/// Events of the lock protocol, storage and jobs (`node` of the event is where it happened).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LockEv {
    /// Client: starts trying to take `res`.
    LockRequest { res: ResKey, job: Option<u32> },
    /// Client: now believes it holds `res` with `token`; `valid_ms` is its own estimate of
    /// the time left (0: as long as its session lives).
    LockAcquired {
        res: ResKey,
        token: u64,
        waited_ms: u64,
        queued: bool,
        valid_ms: u64,
    },
    /// Client: released `res` (`held`: whether it still believed it held it).
    LockReleased { res: ResKey, token: u64, held: bool },
    /// Client: stopped believing it holds `res`.
    LockLost {
        res: ResKey,
        token: u64,
        why: LostWhy,
    },
    /// Client: gave up waiting for `res`.
    LockTimeout { res: ResKey, waited_ms: u64 },
    /// Client: a watch woke it while waiting for `res`.
    LockWakeup { res: ResKey, gone: u64 },
    /// Server: granted `res` to `client` with `token` (`queued`: it had waited).
    LockGrant {
        res: ResKey,
        client: NodeIx,
        token: u64,
        queued: bool,
    },
    /// Server: `client` waits for `res` at `position`.
    LockQueue {
        res: ResKey,
        client: NodeIx,
        position: u32,
    },
    /// Server: the lease of `client` on `res` ran out (server's clock).
    LockExpire {
        res: ResKey,
        client: NodeIx,
        token: u64,
    },
    /// Server: `res` (held by `holder`, token `token`) deleted at the request of `by`;
    /// `blind` when no ownership check was made and `by` was not the holder.
    LockFree {
        res: ResKey,
        holder: NodeIx,
        token: u64,
        by: NodeIx,
        blind: bool,
    },
    /// Server: took over `res` after a ring change; what it learnt.
    LockHandoff {
        res: ResKey,
        how: HandoffHow,
        holder: Option<NodeIx>,
        token: u64,
    },
    /// Coordination server: `client`'s session `sid` expired; its nodes are deleted.
    SessionExpire { client: NodeIx, sid: u32 },
    /// Coordination server: `client` created `res/lock-seq`.
    NodeCreate {
        res: ResKey,
        client: NodeIx,
        seq: u64,
    },
    /// Coordination server: `res/lock-seq` of `client` deleted (released or session gone).
    NodeDelete {
        res: ResKey,
        client: NodeIx,
        seq: u64,
        expired: bool,
    },
    /// Storage: a fenced read (`ok` false: rejected as stale).
    StorageRead {
        key: ResKey,
        client: NodeIx,
        token: u64,
        seen: u64,
        value: i64,
        ok: bool,
    },
    /// Storage: a write; `seen` is the highest token seen before it, `writes` the accepted
    /// writes so far (this one included).
    StorageWrite {
        key: ResKey,
        client: NodeIx,
        token: u64,
        seen: u64,
        value: i64,
        ok: bool,
        writes: u64,
    },
    /// Storage: fencing switched on or off.
    Fencing { on: bool },
    /// Client: a job starts (locks taken in order, then read-modify-write, then release).
    JobStart { job: u32, locks: u32 },
    /// Client: a job ended; `ok` false with a reason when it gave up.
    JobEnd { job: u32, ok: bool, why: String },
}

impl LockEv {
    /// The stable `kind` string.
    pub fn kind(&self) -> &'static str {
        match self {
            LockEv::LockRequest { .. } => "lock_request",
            LockEv::LockAcquired { .. } => "lock_acquired",
            LockEv::LockReleased { .. } => "lock_released",
            LockEv::LockLost { .. } => "lock_lost",
            LockEv::LockTimeout { .. } => "lock_timeout",
            LockEv::LockWakeup { .. } => "lock_wakeup",
            LockEv::LockGrant { .. } => "lock_grant",
            LockEv::LockQueue { .. } => "lock_queue",
            LockEv::LockExpire { .. } => "lock_expire",
            LockEv::LockFree { .. } => "lock_free",
            LockEv::LockHandoff { .. } => "lock_handoff",
            LockEv::SessionExpire { .. } => "session_expire",
            LockEv::NodeCreate { .. } => "node_create",
            LockEv::NodeDelete { .. } => "node_delete",
            LockEv::StorageRead { .. } => "storage_read",
            LockEv::StorageWrite { .. } => "storage_write",
            LockEv::Fencing { .. } => "fencing",
            LockEv::JobStart { .. } => "job_start",
            LockEv::JobEnd { .. } => "job_end",
        }
    }

    /// The event in words (`at` is the node's name, `name` maps indices to names).
    pub fn describe(&self, at: &str, name: &dyn Fn(NodeIx) -> String) -> String {
        match self {
            LockEv::LockRequest { res, job } => match job {
                Some(j) => format!("client {at} asks for {res} (job {j})"),
                None => format!("client {at} asks for {res}"),
            },
            LockEv::LockAcquired {
                res,
                token,
                waited_ms,
                valid_ms,
                ..
            } => {
                let valid = if *valid_ms == 0 {
                    "while its session lives".to_string()
                } else {
                    format!("for {} by its own clock", fmt_ms(*valid_ms))
                };
                format!(
                    "client {at} now holds {res} with token {token} after waiting {}; it believes so {valid}",
                    fmt_ms(*waited_ms)
                )
            }
            LockEv::LockReleased { res, held, .. } => {
                if *held {
                    format!("client {at} releases {res}")
                } else {
                    format!("client {at} releases {res}, which it no longer held")
                }
            }
            LockEv::LockLost { res, why, .. } => {
                let why = match why {
                    LostWhy::LeaseExpired => "its lease ran out by its own clock",
                    LostWhy::RenewRefused => "the server refused to renew",
                    LostWhy::SessionLost => "its session is gone",
                };
                format!("client {at} stops believing it holds {res}: {why}")
            }
            LockEv::LockTimeout { res, waited_ms } => {
                format!("client {at} gives up on {res} after {}", fmt_ms(*waited_ms))
            }
            LockEv::LockWakeup { res, gone } => {
                format!("client {at} wakes up: {res}/lock-{gone} changed")
            }
            LockEv::LockGrant {
                res,
                client,
                token,
                queued,
            } => format!(
                "server {at} grants {res} to {} with token {token}{}",
                name(*client),
                if *queued { " (next in line)" } else { "" }
            ),
            LockEv::LockQueue {
                res,
                client,
                position,
            } => format!(
                "server {at} queues {} for {res} at {position}",
                name(*client)
            ),
            LockEv::LockExpire { res, client, token } => format!(
                "server {at}: the lease of {} on {res} (token {token}) ran out",
                name(*client)
            ),
            LockEv::LockFree {
                res,
                holder,
                by,
                blind,
                ..
            } => {
                if *blind {
                    format!(
                        "server {at} deletes {res} held by {} because {} said DEL",
                        name(*holder),
                        name(*by)
                    )
                } else {
                    format!("server {at}: {} released {res}", name(*holder))
                }
            }
            LockEv::LockHandoff {
                res,
                how,
                holder,
                token,
            } => {
                let who = holder.map_or_else(|| "no holder".to_string(), &name);
                match how {
                    HandoffHow::None => format!(
                        "server {at} now owns {res} and knows nothing about it (no replication)"
                    ),
                    HandoffHow::Replica => format!(
                        "server {at} now owns {res}; its replica says: {who}, token {token}"
                    ),
                    HandoffHow::Transfer => format!(
                        "server {at} now owns {res}; another server told it: {who}, token {token}"
                    ),
                    HandoffHow::Wait => format!(
                        "server {at} now owns {res}; nobody answered, so it waited out a lease"
                    ),
                    HandoffHow::Empty => {
                        format!("server {at} now owns {res}; no replica knew of a holder")
                    }
                }
            }
            LockEv::SessionExpire { client, sid } => format!(
                "server {at}: session {sid} of {} expired; its nodes are deleted",
                name(*client)
            ),
            LockEv::NodeCreate { res, client, seq } => {
                format!("server {at}: {} created {res}/lock-{seq}", name(*client))
            }
            LockEv::NodeDelete {
                res,
                client,
                seq,
                expired,
            } => format!(
                "server {at}: {res}/lock-{seq} of {} deleted{}",
                name(*client),
                if *expired { " (session expired)" } else { "" }
            ),
            LockEv::StorageRead {
                key,
                client,
                token,
                seen,
                value,
                ok,
            } => {
                if *ok {
                    format!(
                        "storage {at}: {} reads {key} = {value} (token {token})",
                        name(*client)
                    )
                } else {
                    format!(
                        "storage {at} rejects a read of {key} by {}: token {token} < {seen}",
                        name(*client)
                    )
                }
            }
            LockEv::StorageWrite {
                key,
                client,
                token,
                seen,
                value,
                ok,
                ..
            } => {
                if *ok {
                    format!(
                        "storage {at}: {} writes {key} = {value} (token {token})",
                        name(*client)
                    )
                } else {
                    format!(
                        "storage {at} rejects a write of {key} by {}: token {token} < {seen}",
                        name(*client)
                    )
                }
            }
            LockEv::Fencing { on } => {
                format!("storage {at}: fencing {}", if *on { "on" } else { "off" })
            }
            LockEv::JobStart { job, locks } => {
                format!("client {at} starts job {job} ({locks} locks)")
            }
            LockEv::JobEnd { job, ok, why } => {
                if *ok {
                    format!("client {at} finished job {job}")
                } else {
                    format!("client {at} abandoned job {job}: {why}")
                }
            }
        }
    }
}

/// Counters of one run, kept by the world as lock events happen (so a snapshot carries
/// them and the UI can read them at any point of the timeline).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LockStats {
    /// Acquisitions started.
    pub requests: u64,
    /// Locks taken (a client started believing it holds one).
    pub grants: u64,
    /// Locks taken after waiting: the lock was handed from a previous holder.
    pub handoffs: u64,
    /// Ring ownership handoffs between lock servers.
    pub moves: u64,
    /// Leases and sessions that ran out on a server.
    pub expiries: u64,
    /// Watch notifications that woke a waiter.
    pub wakeups: u64,
    /// Waits abandoned on timeout.
    pub timeouts: u64,
    /// Beliefs ended without a release (lease estimate, refused renewal, lost session).
    pub lost: u64,
    /// Reads and writes storage rejected for a stale token.
    pub rejected_stale: u64,
    /// Writes storage accepted.
    pub writes: u64,
    /// Writes storage accepted from a client whose grant had been superseded.
    pub unsafe_writes: u64,
    /// Total time clients spent waiting, granted or not (virtual ms: a client's clock may
    /// jump, the world's does not).
    pub wait_ms: u64,
    /// Latest grant per resource: (client, token), to judge writes.
    #[serde(skip)]
    latest: VecMap<ResKey, (NodeIx, u64)>,
    /// Virtual time of each client's latest request per resource.
    #[serde(skip)]
    since: VecMap<(NodeIx, ResKey), Time>,
}

impl LockStats {
    /// Counts one event that happened on `node` at virtual time `now`.
    pub(crate) fn observe(&mut self, node: NodeIx, now: Time, ev: &LockEv) {
        match ev {
            LockEv::LockRequest { res, .. } => {
                self.requests += 1;
                self.since.insert((node, *res), now);
            }
            LockEv::LockAcquired {
                res, token, queued, ..
            } => {
                self.grants += 1;
                self.handoffs += u64::from(*queued);
                self.wait_ms += self.waited(node, res, now);
                self.latest.insert(*res, (node, *token));
            }
            LockEv::LockTimeout { res, .. } => {
                self.timeouts += 1;
                self.wait_ms += self.waited(node, res, now);
            }
            LockEv::LockLost { .. } => self.lost += 1,
            LockEv::LockWakeup { .. } => self.wakeups += 1,
            LockEv::LockHandoff { .. } => self.moves += 1,
            LockEv::LockExpire { .. } | LockEv::SessionExpire { .. } => self.expiries += 1,
            LockEv::StorageRead { ok: false, .. } => self.rejected_stale += 1,
            LockEv::StorageWrite {
                key,
                client,
                token,
                ok,
                ..
            } => {
                if *ok {
                    self.writes += 1;
                    if self.latest.get(key) != Some(&(*client, *token)) {
                        self.unsafe_writes += 1;
                    }
                } else {
                    self.rejected_stale += 1;
                }
            }
            _ => {}
        }
    }

    fn waited(&self, client: NodeIx, res: &ResKey, now: Time) -> u64 {
        self.waiting_since(client, res)
            .map_or(0, |t| now.saturating_sub(t))
    }

    /// Virtual time at which `client` last asked for `res` (the start of its current or
    /// last wait).
    pub fn waiting_since(&self, client: NodeIx, res: &ResKey) -> Option<Time> {
        self.since.get(&(client, *res)).copied()
    }

    /// Latest grant (client, token) of a resource, if any.
    pub fn latest(&self, res: &ResKey) -> Option<(NodeIx, u64)> {
        self.latest.get(res).copied()
    }
}
