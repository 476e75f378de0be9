"""The lab's own Redis lock runs, replayed on a real redis-server.

`ringlab-cli run` plays a bundled Redis-recipe scenario; every request its lock server
received (a `deliver` of acquire / renew / release) and every grant it made on its own (to
the head of its queue after an expiry or a release) becomes the Redis command a plain client
would send at that virtual time, with the lab's decision as the expected reply:

| lab server step | Redis command | expected |
| --- | --- | --- |
| acquire, granted (`lock_grant`) | `SET res value NX PX ttl` | `OK` |
| acquire, queued or refused | `SET res value NX PX ttl` | `(nil)` |
| acquire retried by the holder (granted again) | `GET res` | its value |
| renew, renewed / refused | renewal script | `1` / `0` |
| release (check), freed or not | release script | `1` / `0` |
| release (blind) | `DEL res` | `1` / `0` |
| lease expired (`lock_expire`) | `PTTL res` | `-2` |
| queued grant after expiry/release | `SET res value NX PX ttl` (the waiter's retry) | `OK` |

Commands run at the lab's times (1 virtual ms = 1 real ms). Where the lab lets a lease run
out, the replay waits until the real key is at least 100 ms past its expiry and shifts the
rest of the run by the wait; a step the lab decides while a lease lives must come at least
50 ms before the real key's expiry, or the replay reports the scenario as too tight to
replay. Scenarios with crashes, failover or clock jumps are not replayable on one real server
(no clock or crash control), so only the single-server ones are listed. `etcd-partition`
replays too: the partition only silences c1, which the replay renders by c1 never renewing
its lease (see etcd_run_all).

The ZooKeeper scenarios (`zk-queue`: predecessor watches, `zk-herd`: every waiter watches all
children) replay the same way on one real ZooKeeper through one zkCli session: each create
becomes `create -e -s …/lock- client`, whose number must be the lab's token minus one (the
lab numbers a lock's nodes from 1, ZooKeeper from 0, both counting creates only); each check
becomes `ls` of the lock (the lab's live nodes, in order) and, for a waiter, `stat -w` on the
predecessor the lab named (`ls -w` on the lock in the herd); each delete (by release or
session expiry) becomes `delete`, and must fire the watch events the lab fired: one
`NodeDeleted` for the predecessor watch, one `NodeChildrenChanged` for the herd (all of the
lab's herd watches share one session here, so their wake-ups count once per change).
"""

import json
import subprocess
import threading
import time

import gen
from run import EtcdReal, Mismatch, RedisReal, Side, Sim, ZkReal, zk_norm

SCENARIOS = ["lock-gc-unfenced", "lock-gc-fenced", "release-blind", "lock-deadlock"]
LOCK_REQ = ("acquire", "renew", "release")


def lab_events(cli, path):
    out = subprocess.run([cli, "run", path], capture_output=True, text=True, timeout=60)
    evs = []
    for line in out.stdout.splitlines():
        j = json.loads(line)
        if "kind" in j:
            evs.append(j)
    return evs


def steps(evs):
    """Groups each lock server's events into the handling of one delivery or timer."""
    out, cur = [], {}
    for e in evs:
        node, kind = e["node"], e["kind"]
        p = e["fields"].get("payload", {}) if kind in ("deliver", "send") else {}
        starts = (kind == "deliver" and p.get("type") in LOCK_REQ) or (
            kind == "timer" and e["fields"]["timer"].get("timer") == "expire")
        if starts:
            cur[node] = {"t": e["t"], "node": node, "head": e, "evs": []}
            out.append(cur[node])
        elif node in cur and e["t"] == cur[node]["t"] and kind in ("lock_grant", "lock_queue", "lock_expire",
                                                                     "lock_free", "send"):
            cur[node]["evs"].append(e)
        elif node in cur and kind in ("deliver", "timer"):
            del cur[node]
    return out


def commands(evs, ttl, prefix):
    """(virtual t, command, expected reply, kind) for each lock server step."""
    cmds = []
    for st in steps(evs):
        head, rest = st["head"], st["evs"]
        sends = [e["fields"] for e in rest if e["kind"] == "send"]
        grants = [e["fields"] for e in rest if e["kind"] == "lock_grant"]
        t = st["t"]
        if head["kind"] == "timer":
            expired = [e["fields"] for e in rest if e["kind"] == "lock_expire"]
            for x in expired:
                cmds.append((t, f"PTTL {prefix}{x['res']}", "(integer) -2", "expired"))
        else:
            p, frm = head["fields"]["payload"], head["fields"]["from"]
            res, val = prefix + p["res"], str(p["value"])
            ans = next((s["payload"] for s in sends if s["to"] == frm and s["payload"].get("value") == p["value"]), {})
            kind = p["type"]
            if kind == "acquire":
                if any(g["client"] == frm and not g["queued"] for g in grants):
                    cmds.append((t, f"SET {res} {val} NX PX {ttl}", "OK", "free"))
                elif ans.get("type") == "granted":
                    cmds.append((t, f"GET {res}", f'"{val}"', "alive"))
                elif ans.get("type") in ("queued", "refused"):
                    cmds.append((t, f"SET {res} {val} NX PX {ttl}", "(nil)", "alive"))
            elif kind == "renew":
                ok = ans.get("type") == "renewed"
                cmds.append((t, f'EVAL "{gen.RENEW}" 1 {res} {val} {ttl}', f"(integer) {int(ok)}",
                             "alive" if ok else "any"))
            elif kind == "release":
                ok = bool(ans.get("ok"))
                line = f'EVAL "{gen.RELEASE}" 1 {res} {val}' if p.get("check") else f"DEL {res}"
                cmds.append((t, line, f"(integer) {int(ok)}", "alive" if ok else "any"))
        # Grants the server made on its own, to the head of its queue.
        for g in grants:
            if g["queued"]:
                s = next((s["payload"] for s in sends if s["payload"].get("type") == "granted"), None)
                if s is not None:
                    cmds.append((t, f"SET {prefix}{g['res']} {s['value']} NX PX {ttl}", "OK", "free"))
    return cmds


def replay(name, cli, port, ttl, evs, counts, errors):
    real = RedisReal(port)
    sim = Sim(cli, "redis")
    prefix = name + ":"
    try:
        cmds = commands(evs, ttl, prefix)
        if not cmds:
            raise RuntimeError(f"{name}: no lock server steps in the lab's trace")
        start = time.monotonic()
        shift = 0  # ms the replay runs behind the lab (waits for real expiries)
        set_v, set_real = {}, {}  # res -> virtual / real time of the write that set its expiry
        sim_now = 0
        done = 0
        for t, line, want, kind in cmds:
            key = line.split()[1] if not line.startswith("EVAL") else line.split()[-2 if "pexpire" not in line else -3]
            vt = t + shift
            if kind == "expired" and key in set_v:
                vt = max(vt, set_v[key] + ttl + 100)
                shift = vt - t
            target = start + vt / 1000.0
            now = time.monotonic()
            if target > now:
                time.sleep(target - now)
            if kind == "alive" and key in set_real and time.monotonic() > set_real[key] + ttl / 1000.0 - 0.05:
                print(f"\nconformance: trace {name}: {line!r} at {t} ms is too close to the lease's end to replay")
                errors.append(name)
                return
            sim.run(f"ADVANCE {max(0, vt - sim_now)}")
            sim_now = max(sim_now, vt)
            r = real.batch([line])[0]
            s = sim.run(line)
            done += 1
            if r != want or s != want:
                print(f"\nconformance: trace {name} at {t} ms: {line!r}: lab {want!r}, real {r!r}, model {s!r}")
                errors.append(name)
                return
            if want == "OK" or (line.startswith("EVAL") and "pexpire" in line and want.endswith("1")):
                set_v[key], set_real[key] = vt, time.monotonic()
        counts.append(done)
    finally:
        sim.close()


def run_all(servers, cli, stats):
    import os
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    port = servers.redis()
    errors, threads, counts = [], [], []
    for name in SCENARIOS:
        path = os.path.join(root, "static", "scenarios", f"{name}.json")
        with open(path) as f:
            ttl = json.load(f)["protocols"]["locks"].get("ttl_ms", 1000)
        evs = lab_events(cli, path)
        threads.append(threading.Thread(target=replay, args=(name, cli, port, ttl, evs, counts, errors)))
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    stats.scripts += len(counts)
    stats.commands += sum(counts)
    if errors:
        raise Mismatch()
    zk_run_all(servers, cli, stats)
    etcd_run_all(servers, cli, stats)


ZK_SCENARIOS = ["zk-queue", "zk-herd"]
ZK_REQ = ("create", "check", "delete")


def zk_steps(evs, req=ZK_REQ):
    """Each coordination server step: a delivery of one of `req` or a session timer."""
    out, cur = [], {}
    for e in evs:
        node, kind = e["node"], e["kind"]
        p = e["fields"].get("payload", {}) if kind in ("deliver", "send") else {}
        starts = (kind == "deliver" and p.get("type") in req) or (
            kind == "timer" and e["fields"]["timer"].get("timer") == "session")
        if starts:
            cur[node] = {"t": e["t"], "head": e, "evs": []}
            out.append(cur[node])
        elif node in cur and e["t"] == cur[node]["t"] and kind in ("node_create", "node_delete", "send",
                                                                     "session_expire"):
            cur[node]["evs"].append(e)
        elif node in cur and kind in ("deliver", "timer"):
            del cur[node]
    return out


def zk_commands(evs, prefix):
    """(command, expected normalised reply) pairs for one zk scenario's lab trace."""
    base = f"/{prefix}"
    live = {}  # res -> sorted live lab seqs
    setup = [(f"create {base}", f"Created {base}")]
    cmds = []

    def path(res, seq):
        return f"{base}/{res}/lock-{seq - 1:010d}"

    watched_all = set()
    for st in zk_steps(evs):
        head = st["head"]
        fired = [e["fields"]["payload"] for e in st["evs"]
                 if e["kind"] == "send" and e["fields"]["payload"].get("type") == "fired"]
        if head["kind"] == "timer":
            for e in st["evs"]:
                if e["kind"] == "node_delete":
                    f = e["fields"]
                    cmds.append(("delete", f["res"], f["seq"], fired))
            continue
        p = head["fields"]["payload"]
        res = p["res"]
        if res not in live:
            live[res] = []
            setup.append((f"create {base}/{res}", f"Created {base}/{res}"))
        if p["type"] == "create":
            made = [e["fields"] for e in st["evs"] if e["kind"] == "node_create"]
            if made:
                cmds.append(("create", res, made[0]["seq"], fired, head["fields"]["from"]))
        elif p["type"] == "check":
            ans = next(e["fields"]["payload"] for e in st["evs"]
                       if e["kind"] == "send" and e["fields"]["payload"].get("type") == "standing")
            cmds.append(("check", res, p["seq"], ans["pred"], p.get("all", False)))
        elif p["type"] == "delete":
            gone = [e["fields"] for e in st["evs"] if e["kind"] == "node_delete"]
            cmds.append(("delete", res, p["seq"], fired) if gone else ("missing", res, p["seq"]))
    # Turn the abstract steps into zkCli lines with the replies the lab implies.
    out = list(setup)
    for c in cmds:
        kind, res = c[0], c[1]
        if kind == "create":
            seq, fired, who = c[2], c[3], c[4]
            live[res].append(seq)
            want = f"Created {path(res, seq)}"
            if fired and res in watched_all:
                want += f"\nWatchedEvent state:SyncConnected type:NodeChildrenChanged path:{base}/{res}"
                watched_all.discard(res)
            out.append((f"create -e -s {base}/{res}/lock- {who}", want))
        elif kind == "check":
            seq, pred, herd = c[2], c[3], c[4]
            names = ", ".join(f"lock-{s - 1:010d}" for s in sorted(live[res]))
            if pred and herd:
                out.append((f"ls -w {base}/{res}", f"[{names}]"))
                watched_all.add(res)
            else:
                out.append((f"ls {base}/{res}", f"[{names}]"))
            below = [s for s in live[res] if s < seq]
            if (max(below) if below and seq in live[res] else 0) != pred:
                raise RuntimeError(f"lab predecessor {pred} of {seq} disagrees with its own live list")
            if pred and not herd:
                out.append((f"stat -w {path(res, pred)}", None))
        elif kind == "delete":
            seq, fired = c[2], c[3]
            live[res].remove(seq)
            ev = []
            if any(f["gone"] == seq for f in fired) and not (res in watched_all):
                ev.append(f"WatchedEvent state:SyncConnected type:NodeDeleted path:{path(res, seq)}")
            if fired and res in watched_all:
                ev.append(f"WatchedEvent state:SyncConnected type:NodeChildrenChanged path:{base}/{res}")
                watched_all.discard(res)
            out.append((f"delete {path(res, seq)}", "\n".join(sorted(ev))))
        else:
            out.append((f"delete {path(res, c[2])}", f"Node does not exist: {path(res, c[2])}"))
    return out


def zk_run_all(servers, cli, stats):
    import os
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    real = ZkReal(servers.zookeeper())
    try:
        for name in ZK_SCENARIOS:
            evs = lab_events(cli, os.path.join(root, "static", "scenarios", f"{name}.json"))
            sim = Sim(cli, "zookeeper")
            try:
                for line, want in zk_commands(evs, "tr-" + name):
                    s = sim.run(line)
                    r = real.run(line, s.count("WatchedEvent"))
                    stats.commands += 1
                    rn, sn = zk_norm(r), zk_norm(s)
                    ok = rn == sn and (want is None and rn.startswith("cZxid") or rn == want)
                    if not ok:
                        print(f"\nconformance: trace {name}: {line!r}: lab {want!r}, real {rn!r}, model {sn!r}")
                        raise Mismatch()
            finally:
                sim.close()
            stats.scripts += 1
    finally:
        real.close()


def etcd_run_all(servers, cli, stats):
    """`etcd-partition` on a real etcd: sessions are leases (the lab's 1 s TTL becomes etcd's
    2 s minimum), pings are `keep-alive --once`, a lock node is a key under the lock created
    by a `create == 0` transaction with the session's lease, its token the create revision
    (the lab's token + 1: a fresh etcd starts at revision 1, the lab at 0; both take one per
    create and delete). Where the lab expires a session, the replay waits until the real lease
    has surely gone (its TTL + 700 ms; etcd reaps every 500 ms), keeping the other sessions
    alive meanwhile, and checks the key is gone."""
    import os
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    name = "etcd-partition"
    evs = lab_events(cli, os.path.join(root, "static", "scenarios", f"{name}.json"))
    real = EtcdReal(servers.etcd())
    sim = Sim(cli, "etcd")
    rs, ss = Side(), Side()
    lease_of, keep_v, key_of = {}, {}, {}
    ttl_ms = 2000
    start = time.monotonic()
    state = {"shift": 0, "sim_now": 0, "n": 0}

    def do(vt, line, want):
        target = start + vt / 1000.0
        now = time.monotonic()
        if target > now:
            time.sleep(target - now)
        sim.run(f"ADVANCE {max(0, vt - state['sim_now'])}")
        state["sim_now"] = max(state["sim_now"], vt)
        s_ = sim.run(ss.subst(line))
        r = real.run(rs.subst(line))
        rs.learn(r)
        ss.learn(s_)
        state["n"] += 1
        rn, sn = rs.named(r), ss.named(s_)
        if rn != sn or (want is not None and not rn.startswith(want)):
            print(f"\nconformance: trace {name}: {line!r}: lab {want!r}, real {rn!r}, model {sn!r}")
            raise Mismatch()
        return rn

    try:
        for st in zk_steps(evs, ZK_REQ + ("open", "ping")):
            head = st["head"]
            t = st["t"]
            vt = t + state["shift"]
            if head["kind"] == "timer":
                for e in st["evs"]:
                    if e["kind"] != "node_delete":
                        continue
                    sid = next(x["fields"]["sid"] for x in st["evs"] if x["kind"] == "session_expire")
                    until = keep_v[sid] + ttl_ms + 700
                    # Keep the other sessions alive while the real lease runs out.
                    while vt < until:
                        vt = min(until, vt + 500)
                        for other, lease in lease_of.items():
                            if other != sid and other in keep_v:
                                do(vt, f"lease keep-alive --once {lease}", "lease")
                                keep_v[other] = vt
                    state["shift"] = vt - t
                    do(vt, f"get {key_of[(e['fields']['res'], e['fields']['seq'])]}", "")
                    del keep_v[sid]
                continue
            p = head["fields"]["payload"]
            sid = p.get("sid")
            ans = [e["fields"]["payload"] for e in st["evs"] if e["kind"] == "send"]
            if p["type"] == "open":
                lease_of[sid] = f"$L{len(lease_of) + 1}"
                do(vt, "lease grant 1", "lease")
                keep_v[sid] = vt
            elif p["type"] == "ping":
                alive = any(a.get("type") == "pong" for a in ans)
                do(vt, f"lease keep-alive --once {lease_of[sid]}", "lease" if alive else "Error")
                if alive:
                    keep_v[sid] = vt
            elif p["type"] == "create":
                made = [e["fields"] for e in st["evs"] if e["kind"] == "node_create"]
                if made:
                    key = f"tr/{p['res']}/{sid}"
                    key_of[(p["res"], made[0]["seq"])] = key
                    do(vt, f'txn create("{key}") = "0" | put --lease={lease_of[sid]} {key} {head["fields"]["from"]} | ',
                       "SUCCESS")
                    # The lab's token is the real create revision minus one.
                    do(vt, f'txn create("{key}") = "{made[0]["seq"] + 1}" | get {key} | ', "SUCCESS")
                keep_v[sid] = vt
            elif p["type"] == "check":
                standing = next(a for a in ans if a.get("type") == "standing")
                pred = standing["pred"]
                if pred:
                    pkey = key_of[(p["res"], pred)]
                    do(vt, f'txn create("{pkey}") = "{pred + 1}" | get {pkey} | ', "SUCCESS")
                elif not standing.get("gone"):
                    # The lowest node holds the lock: its key is there with the lab's token.
                    mine = key_of[(p["res"], p["seq"])]
                    do(vt, f'txn create("{mine}") = "{p["seq"] + 1}" | get {mine} | ', "SUCCESS")
                keep_v[sid] = vt
            elif p["type"] == "delete":
                gone = any(e["kind"] == "node_delete" for e in st["evs"])
                do(vt, f"del {key_of[(p['res'], p['seq'])]}", "1" if gone else "0")
        stats.scripts += 1
        stats.commands += state["n"]
    finally:
        sim.close()
