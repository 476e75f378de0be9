"""The lock recipes' own command sequences, replayed on real servers and on `ringlab-cli kv`.

Each step names the client, the command it sends (as the lab's recipe does: acquire
`SET res val NX PX ttl`, renew with the compare-and-PEXPIRE script, release with
compare-and-delete or a blind `DEL`; Redlock's `SET NX PX` on five servers and its majority;
the etcd lease lock as a `create == 0` transaction; the ZooKeeper queue of ephemeral
sequential nodes) and the reply the recipe expects. Both sides must print the same reply and
it must be the expected one, so grants, refusals and tokens (etcd: the create revision,
checked with `create("res") = "<token>"`; ZooKeeper: the sequence number) agree.
"""

import time

import gen
from run import EtcdReal, Mismatch, RedisReal, Side, Sim, ZkReal, same, zk_norm

REL = gen.RELEASE
REN = gen.RENEW


def step(flavor, name, real, sim, rs, ss, line, want, stats):
    if line.startswith("ADVANCE "):
        time.sleep(int(line.split()[1]) / 1000.0)
        for s in sim if isinstance(sim, list) else [sim]:
            s.run(line)
        return None
    s = sim.run(ss.subst(line))
    r = real(rs.subst(line), s.count("WatchedEvent")) if flavor == "zookeeper" else real(rs.subst(line))
    rs.learn(r)
    ss.learn(s)
    stats.commands += 1
    rn, sn = rs.named(r), ss.named(s)
    check = zk_norm(rn) if flavor == "zookeeper" else rn
    if not same(flavor, line, rn, sn) or (want is not None and not check.startswith(want)):
        print(f"\nconformance: recipe {name}: at {line!r} expected {want!r}")
        print(f"  real server: {rn!r}\n  simulation : {sn!r}")
        raise Mismatch()
    return rn


REDIS_RECIPES = {
    # c1 acquires, c2 is refused, c1 renews (c2's renewal is refused), c2's checked release
    # does nothing, c1 releases, c2 acquires.
    "redis: acquire, renew, release": [
        ("SET lk c1 NX PX 1500", "OK"), ("SET lk c2 NX PX 1500", "(nil)"),
        (f'EVAL "{REN}" 1 lk c1 1500', "(integer) 1"), (f'EVAL "{REN}" 1 lk c2 1500', "(integer) 0"),
        (f'EVAL "{REL}" 1 lk c2', "(integer) 0"), (f'EVAL "{REL}" 1 lk c1', "(integer) 1"),
        ("SET lk c2 NX PX 1500", "OK"), ("DEL lk", "(integer) 1"),
    ],
    # The lease runs out under c1 (a GC pause); c2 acquires; c1's blind DEL frees c2's lock
    # and c3 gets it too: two holders (release-blind).
    "redis: unsafe blind DEL": [
        ("SET lb c1 NX PX 500", "OK"), ("ADVANCE 1000", None), ("SET lb c2 NX PX 5000", "OK"),
        ("DEL lb", "(integer) 1"), ("SET lb c3 NX PX 5000", "OK"), ("DEL lb", "(integer) 1"),
    ],
    # Same, with compare-and-delete: c1's late release does nothing, c3 is refused.
    "redis: checked release after expiry": [
        ("SET lc c1 NX PX 500", "OK"), ("ADVANCE 1000", None), ("SET lc c2 NX PX 5000", "OK"),
        (f'EVAL "{REL}" 1 lc c1', "(integer) 0"), ("SET lc c3 NX PX 5000", "(nil)"),
        (f'EVAL "{REL}" 1 lc c2', "(integer) 1"),
    ],
}

ETCD_RECIPES = {
    # The lease lock: c1's lease and create-if-absent transaction; c2 refused while c1's
    # lease lives; the token is the key's create revision: 2 (the first write on a fresh
    # cluster at revision 1; grants take none); c1 stops keeping its lease alive, the
    # expiry deletes the key (revision 3) and c2 takes the lock with token 4.
    "etcd: lease lock": [
        ("lease grant 2", "lease L1 granted"), ("lease grant 60", "lease L2 granted"),
        ('txn create("lock") = "0" | put --lease=$L1 lock c1 | get lock', "SUCCESS"),
        ('txn create("lock") = "2" | get lock | ', "SUCCESS\n\nlock\nc1"),
        ('txn create("lock") = "0" | put --lease=$L2 lock c2 | get lock', "FAILURE\n\nlock\nc1"),
        ("lease keep-alive --once $L1", "lease L1 keepalived"), ("ADVANCE 1000", None),
        ("get lock", "lock\nc1"), ("ADVANCE 4000", None), ("get lock", ""),
        ('txn create("lock") = "0" | put --lease=$L2 lock c2 | get lock', "SUCCESS"),
        ('txn create("lock") = "4" | get lock | ', "SUCCESS\n\nlock\nc2"),
        ("lease revoke $L2", "lease L2 revoked"), ("get lock", ""),
    ],
}

DELETED = "WatchedEvent state:SyncConnected type:NodeDeleted path:"
CHANGED = "WatchedEvent state:SyncConnected type:NodeChildrenChanged path:"

ZK_RECIPES = {
    # Three clients queue as ephemeral sequential nodes; the lowest holds (token 0); c2
    # watches its predecessor (c1's node), c3 watches c2's: c1's release fires exactly one
    # event, for c2 only (no herd); c2 then holds with token 1, and so on.
    "zookeeper: predecessor watch": [
        ("create /rl", "Created /rl"), ("create -e -s /rl/lock- c1", "Created /rl/lock-0000000000"),
        ("create -e -s /rl/lock- c2", "Created /rl/lock-0000000001"),
        ("create -e -s /rl/lock- c3", "Created /rl/lock-0000000002"),
        ("ls /rl", "[lock-0000000000, lock-0000000001, lock-0000000002]"),
        ("stat -w /rl/lock-0000000000", "cZxid"), ("stat -w /rl/lock-0000000001", "cZxid"),
        ("get /rl/lock-0000000000", "c1"), ("delete /rl/lock-0000000000", DELETED + "/rl/lock-0000000000"),
        ("ls /rl", "[lock-0000000001, lock-0000000002]"), ("get /rl/lock-0000000001", "c2"),
        ("delete /rl/lock-0000000001", DELETED + "/rl/lock-0000000001"),
        ("create -e -s /rl/lock- c1", "Created /rl/lock-0000000003"),
        ("ls /rl", "[lock-0000000002, lock-0000000003]"),
    ],
    # The herd (`"watch": "all"`): every waiter watches the children; any change wakes them.
    "zookeeper: herd": [
        ("create /rh", "Created /rh"), ("create -e -s /rh/lock- c1", "Created /rh/lock-0000000000"),
        ("create -e -s /rh/lock- c2", "Created /rh/lock-0000000001"),
        ("ls -w /rh", "[lock-0000000000, lock-0000000001]"),
        ("create -e -s /rh/lock- c3", "Created /rh/lock-0000000002\n" + CHANGED + "/rh"),
        ("delete /rh/lock-0000000000", ""),
    ],
}


def redlock(servers, cli, stats):
    """Redlock on five redis-servers: SET NX PX on each, a majority (3) wins, a minority
    releases what it got. c1 gets all five; c2 none; with the key pre-set on two masters by
    c0, c3 still gets a majority of three, and c4 then gets none."""
    ports = [servers.redis() for _ in range(5)]
    reals = [RedisReal(p) for p in ports]
    sims = [Sim(cli, "redis") for _ in ports]
    try:
        def attempt(client, key, ttl=5000):
            got = 0
            for real, sim in zip(reals, sims):
                line = f"SET {key} {client} NX PX {ttl}"
                r, s = real.batch([line])[0], sim.run(line)
                stats.commands += 1
                if r != s:
                    print(f"\nconformance: redlock: {line!r}: real {r!r}, simulation {s!r}")
                    raise Mismatch()
                got += r == "OK"
            return got

        def release(client, key):
            for real, sim in zip(reals, sims):
                line = f'EVAL "{REL}" 1 {key} {client}'
                r, s = real.batch([line])[0], sim.run(line)
                stats.commands += 1
                if r != s:
                    print(f"\nconformance: redlock: {line!r}: real {r!r}, simulation {s!r}")
                    raise Mismatch()

        want = [("c1", "rk", 5), ("c2", "rk", 0)]
        for client, key, n in want:
            got = attempt(client, key)
            if got != n:
                print(f"\nconformance: redlock: {client} got {got} of 5, expected {n}")
                raise Mismatch()
        release("c1", "rk")
        for real, sim in list(zip(reals, sims))[:2]:
            line = "SET rm c0 NX PX 60000"
            if real.batch([line])[0] != sim.run(line):
                raise Mismatch()
            stats.commands += 1
        if attempt("c3", "rm") != 3 or attempt("c4", "rm") != 0:
            print("\nconformance: redlock: the majority split differs from 3/0")
            raise Mismatch()
        stats.scripts += 1
    finally:
        for s in sims:
            s.close()


def run_all(servers, cli, stats):
    rport = servers.redis()
    real = RedisReal(rport)
    for name, steps in REDIS_RECIPES.items():
        sim = Sim(cli, "redis")
        rs, ss = Side(), Side()
        for line, want in steps:
            step("redis", name, lambda x: real.batch([x])[0], sim, rs, ss, line, want, stats)
        sim.close()
        stats.scripts += 1
    redlock(servers, cli, stats)
    ereal = EtcdReal(servers.etcd())
    for name, steps in ETCD_RECIPES.items():
        sim = Sim(cli, "etcd")
        rs, ss = Side(), Side()
        for line, want in steps:
            step("etcd", name, ereal.run, sim, rs, ss, line, want, stats)
        sim.close()
        stats.scripts += 1
    zreal = ZkReal(servers.zookeeper())
    try:
        for name, steps in ZK_RECIPES.items():
            sim = Sim(cli, "zookeeper")
            rs, ss = Side(), Side()
            for line, want in steps:
                step("zookeeper", name, zreal.run, sim, rs, ss, line, want, stats)
            sim.close()
            stats.scripts += 1
    finally:
        zreal.close()
