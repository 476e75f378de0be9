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
(no clock or crash control), so only the single-server ones are listed.
"""

import json
import subprocess
import threading
import time

import gen
from run import Mismatch, RedisReal, Sim

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
