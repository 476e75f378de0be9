//! What the lock UI shows about each lock at the playhead, derived from the world once and
//! read by both the canvas overlay and the Locks panel, so the two always agree.

use crate::sim::proto::locks::{LockNode, LockStats, Recipe, ResKey, SlotState};
use crate::sim::runner::play;
use crate::sim::scenario::Scenario;
use crate::sim::sort::sort_by_u64;
use crate::sim::time::Time;
use crate::sim::world::{NodeIx, Status, World};

/// The recipes in the order the UI lists them, with their labels.
pub const RECIPES: [(Recipe, &str); 4] = [
    (Recipe::Redis, "single Redis"),
    (Recipe::Redlock, "Redlock"),
    (Recipe::Zookeeper, "ZooKeeper"),
    (Recipe::Etcd, "etcd"),
];

/// A client that believes it holds a lock.
#[derive(Clone, Debug, PartialEq)]
pub struct Holding {
    /// The client.
    pub client: NodeIx,
    /// Its fencing token.
    pub token: u64,
    /// Lease left by the client's own clock (ms; negative: overdue, which only a frozen
    /// client can be); None for a session-bound lock (ZooKeeper, etcd).
    pub left_ms: Option<i64>,
    /// The client is frozen by a pause: its belief cannot end until it wakes.
    pub frozen: bool,
}

/// One lock as the UI tells it.
#[derive(Clone, Debug, PartialEq)]
pub struct LockRow {
    /// The resource.
    pub res: ResKey,
    /// Lock servers responsible under the current ring: owner first.
    pub servers: Vec<NodeIx>,
    /// Clients that believe they hold it (two or more is the `lock_exclusive` bug).
    pub holders: Vec<Holding>,
    /// Clients waiting, next in line first.
    pub waiters: Vec<NodeIx>,
    /// What the owner server records: (holder, token, lease left on the server's clock).
    pub server_holder: Option<(NodeIx, u64, Option<i64>)>,
    /// Storage cell: (value, highest token seen), when storage is up and has the key.
    pub cell: Option<(i64, u64)>,
}

/// Every lock anyone knows about, at virtual time `now` (the playhead, ≥ `w.now()`).
pub fn lock_rows(w: &World, now: Time) -> Vec<LockRow> {
    if w.lock_cfg().is_none() {
        return Vec::new();
    }
    let local = |ix: NodeIx| w.node(ix).map_or(0, |n| n.clock.local_time(now));
    w.lock_resources()
        .into_iter()
        .map(|res| {
            let servers = w.lock_placement(&res);
            let owner = servers.first().copied();
            let holders = w
                .lock_clients()
                .filter_map(|(ix, c)| {
                    let s = c.slots().iter().find(|s| s.res == res)?;
                    let SlotState::Held { token, until, .. } = s.state else {
                        return None;
                    };
                    Some(Holding {
                        client: ix,
                        token,
                        left_ms: until.map(|u| u - local(ix)),
                        frozen: w.node(ix).is_some_and(|n| n.clock.is_paused(now)),
                    })
                })
                .collect();
            let queue = owner.map(|o| server_queue(w, o, &res)).unwrap_or_default();
            let mut waiters = w.lock_waiters(&res);
            let stats = w.lock_stats();
            // Server queue position first, then since when (both capped to share one key).
            sort_by_u64(&mut waiters, |&c| {
                let pos = queue.iter().position(|&q| q == c).unwrap_or(0xffff);
                let since = stats.waiting_since(c, &res).unwrap_or(Time::MAX);
                ((pos.min(0xffff) as u64) << 48) | since.min((1 << 48) - 1)
            });
            let server_holder = owner.and_then(|o| match w.lock_node(o)? {
                LockNode::Kv(_) => {
                    let h = w.lock_entry(o, &res)?.holder.as_ref()?;
                    Some((h.client, h.token, Some(h.expires - local(o))))
                }
                LockNode::Seq(_) => {
                    let z = w.lock_children(o, &res)?.list.first()?;
                    Some((z.client, z.seq, None))
                }
                _ => None,
            });
            let cell = w
                .storage()
                .filter(|(ix, _)| w.node(*ix).is_some_and(|n| n.status == Status::Up))
                .and_then(|(_, s)| s.cell(&res))
                .map(|c| (c.value, c.seen));
            LockRow {
                res,
                servers,
                holders,
                waiters,
                server_holder,
                cell,
            }
        })
        .collect()
}

/// The order a server would serve waiters in (Redis queue, or sequential nodes after the
/// holder's).
fn server_queue(w: &World, server: NodeIx, res: &ResKey) -> Vec<NodeIx> {
    if let Some(e) = w.lock_entry(server, res) {
        return e.queue.iter().map(|q| q.client).collect();
    }
    w.lock_children(server, res)
        .map(|c| c.list.iter().skip(1).map(|z| z.client).collect())
        .unwrap_or_default()
}

/// "420 ms left", "overdue by 300 ms (frozen)", "while its session lives".
pub fn lease_text(h: &Holding) -> String {
    let frozen = if h.frozen { " (frozen)" } else { "" };
    match h.left_ms {
        None => format!("while its session lives{frozen}"),
        Some(ms) if ms >= 0 => format!("{ms} ms left{frozen}"),
        Some(ms) => format!("overdue by {} ms{frozen}", -ms),
    }
}

/// The same scenario with every client on `recipe` (Redlock's masters capped at the lock
/// servers there are), validated like a file: switching recipe is a new scenario, not a
/// command, because every lock server's role changes.
pub fn with_recipe(s: &Scenario, recipe: Recipe) -> Result<Scenario, String> {
    let mut out = s.clone();
    let servers = s.server_names();
    let cfg = out
        .protocols
        .locks
        .as_mut()
        .ok_or("this scenario has no locks")?;
    cfg.recipe = recipe;
    let n = cfg.lock_servers(&servers).len() as u32;
    if recipe == Recipe::Redlock {
        cfg.masters = cfg.masters.min(n).max(1);
    }
    out.validate().map_err(|e| e.to_string())?;
    Ok(out)
}

/// One recipe's run of a scenario, for the side-by-side table.
#[derive(Clone, Debug, PartialEq)]
pub struct RecipeRun {
    /// The recipe.
    pub recipe: Recipe,
    /// Its counters at the end of the run.
    pub stats: LockStats,
    /// Invariants it broke.
    pub broken: Vec<&'static str>,
}

/// Plays the scenario once per recipe to its end (same seed, same schedule): which recipe
/// survives the same faults, and at what cost in messages and waiting.
pub fn compare_recipes(s: &Scenario) -> Result<Vec<RecipeRun>, String> {
    RECIPES
        .iter()
        .map(|&(recipe, _)| {
            let sc = with_recipe(s, recipe)?;
            let tl = play(&sc, None, sc.until_ms)?;
            let broken = tl.checker().broken();
            Ok(RecipeRun {
                recipe,
                stats: tl.world().lock_stats().clone(),
                broken,
            })
        })
        .collect()
}

/// The locks in one sentence for the canvas's text alternative: "lock sku:42 on C: held
/// by c2 (token 2), waiting c1; storage sku:42 = 9, token ≥ 2".
pub fn describe_locks(w: &World, now: Time) -> String {
    let name = |ix: NodeIx| w.name(ix);
    let parts: Vec<String> = lock_rows(w, now)
        .iter()
        .map(|r| {
            let on: Vec<String> = r.servers.iter().map(|&s| name(s)).collect();
            let mut s = format!("lock {} on {}: ", r.res, on.join("+"));
            let held: Vec<String> = r
                .holders
                .iter()
                .map(|h| format!("{} (token {}, {})", name(h.client), h.token, lease_text(h)))
                .collect();
            s.push_str(&if held.is_empty() {
                "free".to_string()
            } else {
                format!("held by {}", held.join(" and "))
            });
            if !r.waiters.is_empty() {
                let w: Vec<String> = r.waiters.iter().map(|&c| name(c)).collect();
                s.push_str(&format!(", waiting {}", w.join(", ")));
            }
            if let Some((v, seen)) = r.cell {
                s.push_str(&format!("; storage {} = {v}, token ≥ {seen}", r.res));
            }
            s
        })
        .collect();
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Scenario;

    fn gc_world(file: &str) -> World {
        let path = format!("{}/static/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(path).unwrap();
        Scenario::decode(&bytes).unwrap().build(None).unwrap()
    }

    fn run_to(w: &mut World, t: Time) {
        let mut out = Vec::new();
        while w.next_time().is_some_and(|n| n <= t) {
            w.step(&mut out);
        }
    }

    fn name(w: &World, ix: NodeIx) -> String {
        w.name(ix)
    }

    #[test]
    fn gc_pause_shows_a_frozen_holder_overdue_and_a_second_believer() {
        let mut w = gc_world("lock-gc-unfenced.json");
        run_to(&mut w, 150);
        let rows = lock_rows(&w, 150);
        let row = rows.iter().find(|r| r.res.as_str() == "sku:42").unwrap();
        assert_eq!(row.holders.len(), 1);
        let c1 = row.holders[0].client;
        assert_eq!(name(&w, c1), "c1");
        assert!(row.holders[0].left_ms.unwrap() > 0);
        assert_eq!(
            row.waiters.iter().map(|&c| name(&w, c)).collect::<Vec<_>>(),
            ["c2"]
        );
        assert_eq!(row.server_holder.map(|h| h.0), Some(c1));
        assert_eq!(row.cell.map(|c| c.0), Some(10));
        assert!(!row.servers.is_empty());

        // Deep in the pause: the server has handed the lock to c2, c1 still believes.
        run_to(&mut w, 1_300);
        let rows = lock_rows(&w, 1_300);
        let row = rows.iter().find(|r| r.res.as_str() == "sku:42").unwrap();
        let who: Vec<String> = row.holders.iter().map(|h| name(&w, h.client)).collect();
        assert!(
            who.contains(&"c1".to_string()) && who.contains(&"c2".to_string()),
            "{who:?}"
        );
        let old = row.holders.iter().find(|h| h.client == c1).unwrap();
        assert!(old.frozen && old.left_ms.unwrap() < 0, "{old:?}");
        assert!(
            lease_text(old).starts_with("overdue by"),
            "{}",
            lease_text(old)
        );
        let text = describe_locks(&w, 1_300);
        assert!(
            text.starts_with("lock sku:42 on ") && text.contains(" and c2 (token "),
            "{text}"
        );
        let new = row.holders.iter().find(|h| h.client != c1).unwrap();
        assert!(new.token > old.token);
        assert_eq!(row.server_holder.map(|h| h.1), Some(new.token));
    }

    #[test]
    fn recipes_compare_on_the_same_faults() {
        let path = format!(
            "{}/static/scenarios/lock-gc-unfenced.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let s = Scenario::decode(&std::fs::read(path).unwrap()).unwrap();
        let runs = compare_recipes(&s).unwrap();
        assert_eq!(runs.len(), 4);
        let redis = &runs[0];
        assert!(redis.broken.contains(&"lock_exclusive"), "{redis:?}");
        assert!(redis.stats.unsafe_writes >= 1);
        assert!(runs.iter().all(|r| r.stats.grants >= 2), "{runs:?}");
        // Redlock needs masters ≤ lock servers: 5 by default, 3 here.
        let r = with_recipe(&s, Recipe::Redlock).unwrap();
        assert_eq!(r.protocols.locks.as_ref().unwrap().masters, 3);
        let none = Scenario::decode(
            &std::fs::read(format!(
                "{}/static/scenarios/gc-pause.json",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        )
        .unwrap();
        assert!(with_recipe(&none, Recipe::Etcd).is_err());
    }

    #[test]
    fn no_locks_configured_means_no_rows() {
        let w = gc_world("gc-pause.json");
        assert!(lock_rows(&w, 0).is_empty());
    }
}
