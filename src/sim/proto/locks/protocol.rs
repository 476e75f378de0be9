//! The lock protocol's entry in the engine: its [`Protocol`] implementation, its commands
//! (`lock_job`, `lock_acquire`, `lock_release`, `set_fencing`), their reader and checks, and
//! its config reader. Everything the engine knows about locks goes through here.

use super::types::{LockCmd, Locks};
use crate::sim::proto::ProtoTypes;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{
    Client, LockCfg, LockEv, LockNode, LockStats, Msg, Recipe, ReleaseMode, Replication, ResKey,
    Timer, WatchMode,
};
use crate::sim::cmd::CmdError;
use crate::sim::cmd_fields::Fields;
use crate::sim::ids::{NodeIx, Time};
use crate::sim::invariant::Invariant;
use crate::sim::json_read::{fail, kind, names, text, Obj, R};
use crate::sim::proto::{CmdCtx, Ctx, Protocol};
use crate::sim::world::{check_ms, Status};

impl Protocol for Locks {
    const SINCE_VERSION: u64 = 2;

    const OPS: &'static [&'static str] =
        &["lock_job", "lock_acquire", "lock_release", "set_fencing"];

    type Node = LockNode;

    type Shared = LockStats;

    fn read_cfg(o: Obj) -> R<LockCfg> {
        read(o)
    }

    fn check_cfg(cfg: &LockCfg, servers: &[String], _: &[String]) -> Result<(), (String, String)> {
        cfg.validate()
            .and_then(|_| cfg.validate_nodes(servers))
            .map_err(|(f, m)| (f.to_string(), m))
    }

    fn boot(cfg: &LockCfg, ctx: &mut Ctx<'_>) -> Option<LockNode> {
        LockNode::boot(cfg, ctx)
    }

    fn on_message(node: &mut LockNode, ctx: &mut Ctx<'_>, from: NodeIx, m: Msg) {
        node.on_message(ctx, from, m);
    }

    fn on_timer(node: &mut LockNode, ctx: &mut Ctx<'_>, t: Timer) {
        node.on_timer(ctx, t);
    }

    fn read_cmd(op: &str, f: &mut Fields<'_>) -> Option<Result<LockCmd, String>> {
        let read = |f: &mut Fields<'_>| -> Result<LockCmd, String> {
            Ok(match op {
                "lock_job" => LockCmd::LockJob {
                    client: f.string("client")?,
                    locks: f.list("locks", Fields::as_res)?,
                    work_ms: f.opt(Fields::u64, "work_ms")?.unwrap_or(0),
                    write: f.opt(Fields::res, "write")?,
                    wait_ms: f.opt(Fields::u64, "wait_ms")?,
                },
                "lock_acquire" => LockCmd::LockAcquire {
                    client: f.string("client")?,
                    resource: f.res("resource")?,
                    wait_ms: f.opt(Fields::u64, "wait_ms")?,
                },
                "lock_release" => LockCmd::LockRelease {
                    client: f.string("client")?,
                    resource: f.res("resource")?,
                },
                _ => LockCmd::SetFencing { on: f.bool("on")? },
            })
        };
        Self::OPS.contains(&op).then(|| read(f))
    }

    fn check_cmd(
        c: &LockCmd,
        cfg: Option<&LockCfg>,
        clients: &BTreeSet<String>,
    ) -> Result<(), (String, String)> {
        check_cmd(c, cfg, clients)
    }

    fn on_command(c: &LockCmd, w: &mut CmdCtx<'_>) -> Result<(), CmdError> {
        match c {
            LockCmd::LockJob {
                client,
                locks,
                work_ms,
                write,
                wait_ms,
            } => {
                check_ms("work_ms", *work_ms)?;
                check_ms("wait_ms", wait_ms.unwrap_or(0))?;
                on_client(w, client, |c, ctx| {
                    c.start_job(ctx, locks, *work_ms, *write, *wait_ms)
                        .map(|_| ())
                })
            }
            LockCmd::LockAcquire {
                client,
                resource,
                wait_ms,
            } => {
                check_ms("wait_ms", wait_ms.unwrap_or(0))?;
                on_client(w, client, |c, ctx| c.acquire(ctx, *resource, *wait_ms))
            }
            LockCmd::LockRelease { client, resource } => {
                on_client(w, client, |c, ctx| c.release(ctx, *resource))
            }
            LockCmd::SetFencing { on } => {
                let name = w
                    .cfg::<Locks>()
                    .and_then(|l| l.storage.clone())
                    .ok_or_else(no_locks)?;
                let ix = w.present(&name)?;
                if w.world().node(ix).map(|n| n.status) != Some(Status::Up) {
                    return Err(CmdError::WrongState {
                        node: name,
                        state: "down",
                    });
                }
                w.on_node::<Locks, _>(ix, |n, ctx| match n {
                    Some(LockNode::Storage(s)) => {
                        s.set_fencing(ctx, *on);
                        Ok(())
                    }
                    _ => Err(no_locks()),
                })
            }
        }
    }

    fn observe(s: &mut LockStats, node: NodeIx, t: Time, ev: &LockEv) {
        s.observe(node, t, ev);
    }

    fn invariants() -> Vec<Invariant> {
        super::check::invariants()
    }

    fn summary(_: &LockCfg, s: &LockStats, _: Time) -> Option<Value> {
        serde_json::to_value(s).ok()
    }

    fn node_bytes(n: &LockNode) -> usize {
        n.approx_bytes()
    }
}

fn no_locks() -> CmdError {
    CmdError::BadValue {
        field: "protocols.locks",
        reason: "locks (with a storage server, for fencing) are not configured".into(),
    }
}

/// Runs `f` on the lock client `name` with a handler context, after checking it is a
/// client that can act now (up, not paused) and locks are configured.
fn on_client(
    w: &mut CmdCtx<'_>,
    name: &str,
    f: impl FnOnce(&mut Client, &mut Ctx<'_>) -> Result<(), String>,
) -> Result<(), CmdError> {
    let ix = w.active_client(name)?;
    w.on_node::<Locks, _>(ix, |n, ctx| match n {
        Some(LockNode::Client(c)) => f(c, ctx).map_err(|reason| CmdError::BadValue {
            field: "locks",
            reason,
        }),
        _ => Err(no_locks()),
    })
}

/// A lock command in a schedule: a client that exists, sane lists and durations.
fn check_cmd(
    cmd: &LockCmd,
    cfg: Option<&LockCfg>,
    clients: &BTreeSet<String>,
) -> Result<(), (String, String)> {
    let Some(l) = cfg else {
        return Err((
            String::new(),
            format!("{} needs protocols.locks", Locks::cmd_op(cmd)),
        ));
    };
    let max_ms = crate::sim::scenario::MAX_UNTIL_MS;
    let ms = |field: &str, v: u64| {
        if v > max_ms {
            Err((
                field.to_string(),
                format!("must be at most {max_ms}, got {v}"),
            ))
        } else {
            Ok(())
        }
    };
    if let Some(client) = Locks::cmd_nodes(cmd)
        .into_iter()
        .find(|n| !clients.contains(*n))
    {
        return Err(("client".into(), format!("\"{client}\" is not a client")));
    }
    match cmd {
        LockCmd::LockJob {
            locks,
            work_ms,
            write,
            wait_ms,
            ..
        } => {
            let max = super::MAX_JOB_LOCKS;
            if locks.is_empty() || locks.len() > max {
                return Err((
                    "locks".into(),
                    format!("a job takes 1..={max} locks, got {}", locks.len()),
                ));
            }
            for (k, r) in locks.iter().enumerate() {
                if locks[..k].contains(r) {
                    return Err((format!("locks[{k}]"), format!("{r} is listed twice")));
                }
            }
            if let Some(w) = write {
                if !locks.contains(w) {
                    return Err((
                        "write".into(),
                        format!("{w} must be one of the job's locks (its lock fences the write)"),
                    ));
                }
                if l.storage.is_none() {
                    return Err((
                        "write".into(),
                        "writing needs protocols.locks.storage".into(),
                    ));
                }
            }
            ms("work_ms", *work_ms)?;
            ms("wait_ms", wait_ms.unwrap_or(0))?;
        }
        LockCmd::LockAcquire { wait_ms, .. } => ms("wait_ms", wait_ms.unwrap_or(0))?,
        LockCmd::SetFencing { .. } if l.storage.is_none() => {
            return Err((
                String::new(),
                "set_fencing needs protocols.locks.storage".into(),
            ));
        }
        _ => {}
    }
    Ok(())
}

impl crate::sim::world::World {
    /// Lock counters of the run so far (grants, handoffs, expiries, stale writes, …).
    pub fn lock_stats(&self) -> &LockStats {
        self.shared::<Locks>()
    }
}

/// A lock event as the engine carries it.
pub(crate) fn ev(e: LockEv) -> crate::sim::event::What {
    crate::sim::event::What::Proto(crate::sim::proto::ProtoEv::Locks(e))
}

/// Reads `protocols.locks` field by field (errors carry the exact path).
pub fn read(mut o: Obj) -> R<LockCfg> {
    const RECIPES: [&str; 4] = ["redis", "redlock", "zookeeper", "etcd"];
    let recipe = match o.pick("recipe", &RECIPES)? {
        Some(i) => [
            Recipe::Redis,
            Recipe::Redlock,
            Recipe::Zookeeper,
            Recipe::Etcd,
        ][i],
        None => {
            return fail(
                &o.at("recipe"),
                "missing (one of: redis, redlock, zookeeper, etcd)",
            )
        }
    };
    let d = LockCfg::new(recipe);
    let mut stock = BTreeMap::new();
    if let Some((sp, sv)) = o.opt("stock") {
        for (name, x) in Obj::new(&sp, sv)?.m {
            let at = format!("{sp}.{name}");
            let key = ResKey::new(&name).or_else(|e| fail(&at, e))?;
            match x.as_i64() {
                Some(n) => stock.insert(key, n),
                None => return fail(&at, format!("expected a whole number, got {}", kind(&x))),
            };
        }
    }
    let c = LockCfg {
        recipe,
        ttl_ms: o.u64_or("ttl_ms", d.ttl_ms)?,
        drift_ms: o.opt_u64("drift_ms")?,
        retry_ms: o.opt_u64("retry_ms")?,
        renew: o.bool_or("renew", d.renew)?,
        release: match o.pick("release", &["check", "blind"])? {
            Some(1) => ReleaseMode::Blind,
            Some(_) => ReleaseMode::Check,
            None => d.release,
        },
        masters: o.u32_or("masters", d.masters)?,
        watch: match o.pick("watch", &["predecessor", "all"])? {
            Some(1) => WatchMode::All,
            Some(_) => WatchMode::Predecessor,
            None => d.watch,
        },
        replication: match o.pick("replication", &["none", "async", "sync"])? {
            Some(1) => Replication::Async,
            Some(2) => Replication::Sync,
            Some(_) => Replication::None,
            None => d.replication,
        },
        replicas: o.u32_or("replicas", d.replicas)?,
        repl_ms: o.u64_or("repl_ms", d.repl_ms)?,
        persist: o.bool_or("persist", d.persist)?,
        fencing: o.bool_or("fencing", d.fencing)?,
        storage: o.opt("storage").map(|(p, v)| text(&p, v)).transpose()?,
        servers: o.opt("servers").map(|(p, v)| names(&p, v)).transpose()?,
        stock,
        wait_ms: o.u64_or("wait_ms", d.wait_ms)?,
        stuck_ms: o.opt_u64("stuck_ms")?,
    };
    o.done("recipe, ttl_ms, drift_ms, retry_ms, renew, release, masters, watch, replication, replicas, repl_ms, persist, fencing, storage, servers, stock, wait_ms, stuck_ms")?;
    Ok(c)
}
