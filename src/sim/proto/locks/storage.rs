//! The storage service: one integer cell per key (an inventory counter per SKU). It always
//! persists (it is the database). It remembers the highest fencing token it has seen per
//! key, on reads and writes alike; with fencing on it refuses anything older. Fencing reads
//! too is what makes a read-modify-write safe: once a newer holder has read, an older
//! holder's write can no longer land between that read and its write.

use crate::sim::vecmap::VecMap;

use super::cfg::LockCfg;
use super::event::LockEv;
use super::wire::{Msg, Rec, ResKey};
use crate::sim::ids::NodeIx;
use crate::sim::proto::{Ctx, Payload, Record};

/// One storage cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// Current value.
    pub value: i64,
    /// Highest fencing token seen in a read or write of this key.
    pub seen: u64,
    /// Writes accepted so far.
    pub writes: u64,
}

/// The storage node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Storage {
    fencing: bool,
    cells: VecMap<ResKey, Cell>,
    /// Last write request applied per client and key (a duplicate is acknowledged, not
    /// re-applied).
    last: VecMap<(NodeIx, ResKey), u32>,
}

impl Storage {
    /// Starts from the durable log, or from the configured stock on first boot.
    pub(crate) fn boot(cfg: &LockCfg, ctx: &mut Ctx<'_>) -> Self {
        let mut s = Storage {
            fencing: cfg.fencing,
            cells: cfg
                .stock
                .iter()
                .map(|(k, v)| {
                    (
                        *k,
                        Cell {
                            value: *v,
                            ..Cell::default()
                        },
                    )
                })
                .collect(),
            last: VecMap::default(),
        };
        for r in ctx.durable() {
            match r {
                Record::Locks(Rec::Cell {
                    key,
                    value,
                    seen,
                    writes,
                    client,
                    req,
                }) => {
                    s.cells.insert(
                        *key,
                        Cell {
                            value: *value,
                            seen: *seen,
                            writes: *writes,
                        },
                    );
                    if *req != 0 {
                        s.last.insert((*client, *key), *req);
                    }
                }
                Record::Locks(Rec::Fencing { on }) => s.fencing = *on,
                _ => {}
            }
        }
        s
    }

    /// Whether stale tokens are refused.
    pub fn fencing(&self) -> bool {
        self.fencing
    }

    /// Every cell.
    pub fn cells(&self) -> impl Iterator<Item = (&ResKey, &Cell)> {
        self.cells.iter()
    }

    /// One cell.
    pub fn cell(&self, key: &ResKey) -> Option<&Cell> {
        self.cells.get(key)
    }

    /// Rough heap footprint.
    pub fn approx_bytes(&self) -> usize {
        self.cells.len() * (std::mem::size_of::<Cell>() + 24) + self.last.len() * 28
    }

    /// Switches fencing (a command: an operator changing the database's configuration).
    pub(crate) fn set_fencing(&mut self, ctx: &mut Ctx<'_>, on: bool) {
        self.fencing = on;
        ctx.persist(Record::Locks(Rec::Fencing { on }));
        ctx.emit(super::ev(LockEv::Fencing { on }));
    }

    fn save(&self, ctx: &mut Ctx<'_>, key: ResKey, client: NodeIx, req: u32) {
        let c = self.cells.get(&key).copied().unwrap_or_default();
        ctx.persist(Record::Locks(Rec::Cell {
            key,
            value: c.value,
            seen: c.seen,
            writes: c.writes,
            client,
            req,
        }));
    }

    pub(crate) fn on_message(&mut self, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        match m {
            Msg::Read { key, token } => {
                let c = self.cells.entry_default(key);
                let seen = c.seen;
                let ok = !(self.fencing && token < seen);
                if ok && token > seen {
                    c.seen = token;
                }
                let value = c.value;
                if ok && token > seen {
                    self.save(ctx, key, from, 0);
                }
                ctx.emit(super::ev(LockEv::StorageRead {
                    key,
                    client: from,
                    token,
                    seen,
                    value,
                    ok,
                }));
                let reply = if ok {
                    Msg::ReadOk { key, value }
                } else {
                    Msg::Rejected {
                        key,
                        token,
                        seen,
                        req: 0,
                    }
                };
                ctx.send(from, Payload::Locks(reply));
            }
            Msg::Write {
                key,
                value,
                token,
                req,
            } => {
                if self.last.get(&(from, key)) == Some(&req) {
                    return ctx.send(from, Payload::Locks(Msg::WriteOk { key, req }));
                }
                let c = self.cells.entry_default(key);
                let seen = c.seen;
                let ok = !(self.fencing && token < seen);
                if ok {
                    c.value = value;
                    c.seen = seen.max(token);
                    c.writes += 1;
                    self.last.insert((from, key), req);
                }
                let writes = c.writes;
                if ok {
                    self.save(ctx, key, from, req);
                }
                ctx.emit(super::ev(LockEv::StorageWrite {
                    key,
                    client: from,
                    token,
                    seen,
                    value,
                    ok,
                    writes,
                }));
                let reply = if ok {
                    Msg::WriteOk { key, req }
                } else {
                    Msg::Rejected {
                        key,
                        token,
                        seen,
                        req,
                    }
                };
                ctx.send(from, Payload::Locks(reply));
            }
            _ => {}
        }
    }
}
