#!/usr/bin/env python3
"""Conformance: the lab's simulated Redis, etcd and ZooKeeper against the real servers.

For each flavor this starts the real server (tests/conformance/servers.py), replays the
regression fixtures in tests/fixtures/conformance/, then generates seeded random command
scripts, runs each command against the real server (through its own client: redis-cli
--no-raw, etcdctl, zkCli.sh) and against `ringlab-cli kv` (the lab's models), and stops at the
first differing reply, printing the seed, the script and both replies, and saving the script
as a new fixture. Then it replays the lock recipes' command sequences (recipes.py) and the
lab's own Redis lock runs with their decisions (traces.py).

    python3 tests/conformance/run.py [--flavor redis|etcd|zookeeper|recipes|traces]...
        [--seed N] [--scripts X] [--cli PATH]

What is compared exactly and what only by class (timing):
- Redis `PTTL`: both must be -2, both -1, or both >= 0 with the real value at most 1,000 ms
  below the simulated one (real time passes between commands, virtual time does not).
- `ADVANCE ms` sleeps ms on the real side. Timed scripts put every deadline at least 500 ms
  (Redis) or 1,000 ms (etcd, whose leases are reaped every 500 ms) away from every check.
- etcd lease ids are random on a real server: both sides' ids are renamed L1, L2… in order
  of grant. ZooKeeper `ctime`/`mtime` (wall clock) are not compared and a non-zero
  `ephemeralOwner` (a random session id) compares as `<session>`.
"""

import argparse
import base64
import http.client
import json
import os
import queue
import random
import re
import subprocess
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True  # (no __pycache__ in the source tree)
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "conformance")
sys.path.insert(0, HERE)

import gen  # noqa: E402
from servers import Servers, ZKCLI, etcd_env, missing_tools  # noqa: E402

MARK = "<<ringlab-end>>"


class Mismatch(Exception):
    pass


class Sim:
    """An interactive `ringlab-cli kv` process: one command in, its framed reply out."""

    def __init__(self, cli, flavor):
        self.p = subprocess.Popen([cli, "kv", "--flavor", flavor, "--marker", MARK],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def run(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = []
        while True:
            got = self.p.stdout.readline()
            if got == "":
                raise RuntimeError(f"ringlab-cli kv exited on {line!r}")
            got = got.rstrip("\n")
            if got == MARK:
                return "\n".join(out)
            out.append(got)

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


# ---------------------------------------------------------------------------------------------
# Real clients


class RedisReal:
    def __init__(self, port):
        self.port = port

    def batch(self, lines):
        """Runs commands (no ADVANCE) in one redis-cli session; one reply line each."""
        r = subprocess.run(["redis-cli", "--no-raw", "-p", str(self.port)], input="\n".join(lines) + "\n",
                           capture_output=True, text=True, timeout=120)
        out = r.stdout.split("\n")
        if out and out[-1] == "":
            out.pop()
        if len(out) != len(lines):
            raise RuntimeError(f"redis-cli printed {len(out)} lines for {len(lines)} commands: {r.stderr}")
        return out


class EtcdReal:
    def __init__(self, port):
        self.base = ["etcdctl", "--endpoints", f"127.0.0.1:{port}"]
        self.env = etcd_env()

    def run(self, line):
        args = line.split()
        stdin = None
        if args and args[0] == "txn":
            parts = line[len("txn"):].split("|")
            blocks = [[x.strip() for x in p.split(";") if x.strip()] for p in parts]
            stdin = "".join("\n".join(b) + "\n\n" if b else "\n" for b in blocks)
            args = ["txn"]
        r = subprocess.run(self.base + args, input=stdin, capture_output=True, text=True,
                           env=self.env, timeout=30)
        err = [x for x in r.stderr.split("\n") if x and not x.startswith('{"level"')]
        return (r.stdout.rstrip("\n") + ("\n" if r.stdout.strip() and err else "") + "\n".join(err)).rstrip("\n")


class EtcdGateway:
    """The same commands through etcd's own gRPC-gateway (JSON over HTTP, ~1 ms a request
    instead of ~10 ms for an etcdctl process), printed as etcdctl 3.4's simple printer prints
    them. The server's answers are real; the printing is this class's, so the etcdctl runs
    (EtcdReal, same scripts' shapes) pin it. Lines etcdctl itself would reject before
    talking to the server go to etcdctl."""

    def __init__(self, port, fallback):
        self.port = port
        self.conn = None
        self.fallback = fallback

    def _post(self, path, body):
        # One kept-alive HTTP connection (a new one per request doubles the cost).
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request("POST", path, body=json.dumps(body),
                                  headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                text = r.read().decode()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        j = json.loads(text.split("\n")[0])
        if r.status != 200:
            return None, j.get("message", "?")
        return j, None

    @staticmethod
    def _b(x):
        return base64.b64encode(x.encode()).decode()

    @staticmethod
    def _get_lines(resp):
        out = []
        for kv in resp.get("kvs", []):
            out += [base64.b64decode(kv["key"]).decode(), base64.b64decode(kv.get("value", "")).decode()]
        return out

    def _op(self, text):
        a = text.split()
        if a[0] == "put":
            lease = [x[len("--lease="):] for x in a[1:] if x.startswith("--lease=")]
            pos = [x for x in a[1:] if not x.startswith("--lease=")]
            body = {"key": self._b(pos[0]), "value": self._b(pos[1])}
            if lease:
                body["lease"] = str(int(lease[0], 16))
            return "request_put", body
        if a[0] == "get":
            return "request_range", {"key": self._b(a[1])}
        return "request_delete_range", {"key": self._b(a[1])}

    def run(self, line):
        a = line.split()
        wellformed = (
            (a[:1] == ["put"] and len([x for x in a[1:] if not x.startswith("--lease=")]) >= 2)
            or (a[:1] in (["get"], ["del"]) and len(a) == 2)
            or (a[:2] == ["lease", "grant"] and len(a) == 3 and a[2].isdigit())
            or (a[:2] == ["lease", "revoke"] and len(a) == 3)
            or (a[:3] == ["lease", "keep-alive", "--once"] and len(a) == 4)
            or a[:1] == ["txn"]
        )
        if not wellformed:
            return self.fallback.run(line)
        if a[0] in ("put", "get", "del"):
            kind, body = self._op(line)
            path = {"request_put": "/v3/kv/put", "request_range": "/v3/kv/range",
                    "request_delete_range": "/v3/kv/deleterange"}[kind]
            resp, err = self._post(path, body)
            if err:
                return f"Error: {err}"
            if kind == "request_put":
                return "OK"
            if kind == "request_range":
                return "\n".join(self._get_lines(resp))
            return str(int(resp.get("deleted", "0")))
        if a[1] == "grant":
            resp, err = self._post("/v3/lease/grant", {"TTL": int(a[2])})
            if err:
                return f"Error: {err}"
            return f"lease {int(resp['ID']):016x} granted with TTL({resp['TTL']}s)"
        if a[1] == "revoke":
            lid = int(a[2], 16)
            resp, err = self._post("/v3/lease/revoke", {"ID": str(lid)})
            if err:
                return f"Error: failed to revoke lease ({err})"
            return f"lease {lid:016x} revoked"
        if a[1] == "keep-alive":
            lid = int(a[3], 16)
            resp, err = self._post("/v3/lease/keepalive", {"ID": str(lid)})
            if err:
                return f"Error: {err}"
            r = resp.get("result", {})
            if int(r.get("TTL", "0")) <= 0:
                return "Error: etcdserver: requested lease not found"
            return f"lease {lid:016x} keepalived with TTL({r['TTL']})"
        # txn CMP; CMP | OP; OP | OP; OP
        parts = line[len("txn"):].split("|")
        items = [[x.strip() for x in p.split(";") if x.strip()] for p in parts]
        compares = []
        for c in items[0]:
            m = re.fullmatch(r'(\w+)\("([^"]+)"\) (=|!=|<|>) "([^"]*)"', c)
            target, key, rel, val = m.groups()
            t = {"create": "CREATE", "mod": "MOD", "version": "VERSION", "value": "VALUE"}[target]
            field = {"CREATE": "create_revision", "MOD": "mod_revision", "VERSION": "version",
                     "VALUE": "value"}[t]
            compares.append({"target": t, "key": self._b(key),
                             "result": {"=": "EQUAL", "!=": "NOT_EQUAL", "<": "LESS", ">": "GREATER"}[rel],
                             field: self._b(val) if t == "VALUE" else val})
        ops = [[dict([self._op(o)]) for o in b] for b in items[1:]]
        resp, err = self._post("/v3/kv/txn", {"compare": compares, "success": ops[0], "failure": ops[1]})
        if err:
            return f"Error: {err}"
        lines = ["SUCCESS" if resp.get("succeeded") else "FAILURE"]
        for r in resp.get("responses", []):
            lines.append("")
            if "response_put" in r:
                lines.append("OK")
            elif "response_range" in r:
                lines += self._get_lines(r["response_range"])
            else:
                lines.append(str(int(r["response_delete_range"].get("deleted", "0"))))
        return "\n".join(lines)


class ZkReal:
    """One long-lived zkCli.sh session, stdout and stderr merged, each reply ended by a
    marker command (`ls /zookeeper`, which scripts never send)."""

    MARKER = "[config, quota]"  # what `ls /zookeeper` prints
    NOISE = re.compile(r"^(\d{4}-\d\d-\d\d |SLF4J|Connecting to |Welcome to ZooKeeper|JLine support|"
                       r"WATCHER::|WatchedEvent state:SyncConnected type:None )")

    def __init__(self, port):
        self.p = subprocess.Popen([ZKCLI, "-server", f"127.0.0.1:{port}"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        end = time.monotonic() + 60
        while True:
            got = self.lines.get(timeout=max(0.1, end - time.monotonic()))
            if got is None or "state:SyncConnected" in got:
                break

    def _pump(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def run(self, line, events=0):
        """The reply to `line`; waits up to 3 s more for `events` watch events, which zkCli's
        event thread may print after the marker's reply.

        That thread prints `\\nWATCHER::\\n` and the event whenever the event arrives, even in
        the middle of a line the main thread is printing (`[` … `config, quota]`): a line
        directly followed by `WATCHER::` (no blank line between) is such a fragment, and is
        joined with the next line that is not part of the event."""
        self.p.stdin.write(line + "\nls /zookeeper\n")
        self.p.stdin.flush()
        out = []
        marked = False
        prev = ""  # the previous raw line
        frag = None  # a line cut by a watch event
        while True:
            try:
                got = self.lines.get(timeout=3 if marked else 60)
            except queue.Empty:
                if marked:
                    return "\n".join(out)
                raise RuntimeError(f"zkCli.sh printed no reply to {line!r} in 60 s (so far: {out!r})")
            if got is None:
                raise RuntimeError("zkCli.sh exited")
            raw, prev_raw = got, prev
            prev = raw
            if raw == "WATCHER::":
                if prev_raw.strip() and out and out[-1] == prev_raw and not prev_raw.startswith("WatchedEvent"):
                    frag = out.pop()
                continue
            if raw.startswith("WatchedEvent "):
                if "type:None" not in raw:
                    out.append(raw)
            elif raw.strip() and not self.NOISE.match(raw):
                if frag is not None:
                    raw, frag = frag + raw, None
                elif raw != self.MARKER and self.MARKER.endswith(raw):
                    # The marker's reply cut by a watch event with a blank line before
                    # `WATCHER::` (`[`, the event, `config, quota]`): its head is the last line
                    # that is not an event.
                    k = max((j for j, x in enumerate(out) if not x.startswith("WatchedEvent ")), default=None)
                    if k is not None and out[k] + raw == self.MARKER:
                        out.pop(k)
                        raw = self.MARKER
                if raw == self.MARKER:
                    marked = True
                else:
                    out.append(raw)
            if marked and sum("WatchedEvent" in x for x in out) >= events:
                return "\n".join(out)

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
            self.p.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()
            self.p.wait()


# ---------------------------------------------------------------------------------------------
# Normalisation and comparison

LEASE = re.compile(r"\b[0-9a-f]{16}\b")


def same(flavor, cmd, real, sim):
    """Whether two replies agree (exactly, or by class where timing makes values vary)."""
    if flavor == "redis" and cmd.split()[:1] and cmd.split()[0].lower() == "pttl":
        m1, m2 = re.fullmatch(r"\(integer\) (-?\d+)", real), re.fullmatch(r"\(integer\) (-?\d+)", sim)
        if m1 and m2:
            a, b = int(m1.group(1)), int(m2.group(1))
            if a < 0 or b < 0:
                return a == b
            return 0 <= b - a <= 1000
    if flavor == "zookeeper":
        real, sim = zk_norm(real), zk_norm(sim)
    return real.rstrip() == sim.rstrip()


def zk_norm(text):
    """Wall-clock times out, session ids as a class, watch events (printed by zkCli's event
    thread, so in no fixed order with the reply) sorted after the reply."""
    out, events = [], []
    for line in text.split("\n"):
        if line.startswith(("ctime = ", "mtime = ")) or not line.strip() or line == "WATCHER::":
            continue
        if line.startswith("WatchedEvent "):
            events.append(line)
            continue
        if line.startswith("ephemeralOwner = ") and line != "ephemeralOwner = 0x0":
            line = "ephemeralOwner = <session>"
        out.append(line)
    return "\n".join(out + sorted(events))


class Side:
    """Substitution state of one side: lease ids by grant order, created paths."""

    def __init__(self):
        self.leases = []  # hex ids in grant order
        self.created = []

    def subst(self, line):
        def lease(m):
            k = int(m.group(1))
            return self.leases[k - 1] if k <= len(self.leases) else "ffffffffffffffff"

        line = re.sub(r"\$L(\d+)", lease, line)
        if "$LAST" in line:
            line = line.replace("$LAST", self.created[-1] if self.created else "/none")
        return line

    def learn(self, reply):
        m = re.match(r"lease ([0-9a-f]{16}) granted", reply)
        if m:
            self.leases.append(m.group(1))
        m = re.search(r"^Created (\S+)", reply, re.M)  # (a watch event may come first)
        if m:
            self.created.append(m.group(1))

    def named(self, reply):
        """The reply with this side's lease ids renamed L1, L2…"""
        def name(m):
            h = m.group(0)
            return f"L{self.leases.index(h) + 1}" if h in self.leases else h

        return LEASE.sub(name, reply)


# ---------------------------------------------------------------------------------------------
# Running scripts


class Stats:
    def __init__(self):
        self.scripts = 0
        self.commands = 0
        self.fixtures = 0
        self.started = time.monotonic()


def fail(flavor, seed, idx, script, cmd, real, sim, save=True):
    name = f"{flavor}-seed{seed}-{idx}.txt"
    print(f"\nconformance: {flavor}: DIFFERENCE (seed {seed}, script {idx}) at command {cmd!r}")
    print("  real server: " + repr(real))
    print("  simulation : " + repr(sim))
    print("  script:")
    for line in script:
        print("    " + line)
    if save:
        os.makedirs(FIXTURES, exist_ok=True)
        path = os.path.join(FIXTURES, name)
        at = script.index(cmd)
        with open(path, "w") as f:
            f.write(f"# {flavor}: found by seed {seed}, script {idx}; simulated then: {json.dumps(sim)}\n")
            # tests/conformance_fixtures.rs checks the model now prints what the server did.
            f.write(f"# line: {at + 1}\n# real: {json.dumps(real)}\n")
            f.write("\n".join(script) + "\n")
        print(f"  saved as regression fixture tests/fixtures/conformance/{name}")
    raise Mismatch()


def run_stepwise(flavor, real, sim, script, seed, idx, stats, save=True):
    """Command by command on both sides (etcd, ZooKeeper, and timed Redis scripts).

    `ADVANCE` sleeps until the script's start plus its virtual time so far, not for the
    amount itself: the real commands' own latency then never accumulates across waits, and
    real time runs at most one segment's latency ahead of virtual time (what the margins
    in gen.py must cover)."""
    rs, ss = Side(), Side()
    t0, virtual = time.monotonic(), 0
    for line in script:
        if line.startswith("ADVANCE "):
            virtual += int(line.split()[1])
            time.sleep(max(0.0, t0 + virtual / 1000.0 - time.monotonic()))
            sim.run(line)
            continue
        s = sim.run(ss.subst(line))
        if flavor == "zookeeper":
            r = real(rs.subst(line), s.count("WatchedEvent"))
        else:
            r = real(rs.subst(line))
        rs.learn(r)
        ss.learn(s)
        stats.commands += 1
        rn, sn = rs.named(r), ss.named(s)
        if not same(flavor, line, rn, sn):
            fail(flavor, seed, idx, script, line, rn, sn, save)
    stats.scripts += 1


def load_fixtures(flavor):
    out = []
    if not os.path.isdir(FIXTURES):
        return out
    for name in sorted(os.listdir(FIXTURES)):
        if name.startswith(flavor + "-") and name.endswith(".txt"):
            with open(os.path.join(FIXTURES, name)) as f:
                lines = [x.rstrip("\n") for x in f if x.strip() and not x.startswith("#")]
            out.append((name, lines))
    return out


def conform_redis(servers, cli, seed, n, timed, stats):
    port = servers.redis()
    real = RedisReal(port)
    sim = Sim(cli, "redis")
    try:
        for name, script in load_fixtures("redis"):
            run_stepwise("redis", lambda line: real.batch([line])[0], sim, script, name, 0, stats, save=False)
            stats.fixtures += 1
        rng = random.Random(seed)
        scripts = [gen.redis_script(rng, i, timed=False) for i in range(n)]
        # Untimed scripts: one redis-cli session per chunk (fast), the simulation line by line.
        chunk = 250
        for c0 in range(0, n, chunk):
            part = scripts[c0:c0 + chunk]
            flat = [line for s in part for line in s]
            got = real.batch(flat)
            k = 0
            for j, script in enumerate(part):
                for line in script:
                    s = sim.run(line)
                    r = got[k]
                    k += 1
                    stats.commands += 1
                    if not same("redis", line, r, s):
                        fail("redis", seed, c0 + j, script, line, r, s)
                stats.scripts += 1
        # Timed scripts run concurrently (disjoint keys), each against its own simulation.
        tscripts = [gen.redis_script(rng, n + i, timed=True) for i in range(timed)]
        errors = []

        def one(i, script):
            s2 = Sim(cli, "redis")
            try:
                run_stepwise("redis", lambda line: real.batch([line])[0], s2, script, seed, n + i, stats)
            except Mismatch:
                errors.append(i)
            finally:
                s2.close()

        threads = [threading.Thread(target=one, args=(i, s)) for i, s in enumerate(tscripts)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise Mismatch()
    finally:
        sim.close()


def conform_etcd(servers, cli, seed, n, timed, stats):
    port = servers.etcd()
    real = EtcdReal(port)
    sim = Sim(cli, "etcd")
    try:
        # One session: the store-wide revision is shared by every script, on both sides.
        for name, script in load_fixtures("etcd"):
            run_stepwise("etcd", real.run, sim, script, name, 0, stats, save=False)
            stats.fixtures += 1
        rng = random.Random(seed)
        # The first scripts through etcdctl itself (its printed form), the rest through the
        # gateway (its answers, printed like etcdctl: fast enough for thousands of scripts).
        gateway = EtcdGateway(port, real)
        via_ctl = max(1, n // 12)
        for i in range(n):
            client = real.run if i < via_ctl else gateway.run
            run_stepwise("etcd", client, sim, gen.etcd_script(rng, i, timed=False), seed, i, stats)
        for i in range(timed):
            run_stepwise("etcd", real.run, sim, gen.etcd_script(rng, n + i, timed=True), seed, n + i, stats)
    finally:
        sim.close()


def zk_sync_zxid(real, sim):
    """Brings a fresh simulated session to the real server's zxid, so `stat` replies (which
    print zxids) still compare exactly: the server's counter went on through the stalled
    script and the sessions, the simulation's starts again at 1. Each failed write takes a
    zxid on both sides, so the simulation is given that many failing deletes."""
    def czxid(run):
        run("create /zxid-sync")
        m = re.search(r"^cZxid = 0x([0-9a-f]+)$", run("stat /zxid-sync"), re.M)
        run("delete /zxid-sync")
        if not m:
            raise RuntimeError("no cZxid in the stat of /zxid-sync")
        return int(m.group(1), 16)

    behind = czxid(real.run) - czxid(sim.run)
    for _ in range(max(0, behind)):
        sim.run("delete /zxid-sync")


def conform_zk(servers, cli, seed, n, stats):
    port = servers.zookeeper()
    real = ZkReal(port)
    sim = Sim(cli, "zookeeper")
    try:
        for name, script in load_fixtures("zookeeper"):
            run_stepwise("zookeeper", real.run, sim, script, name, 0, stats, save=False)
            stats.fixtures += 1
        rng = random.Random(seed)
        retries = 0
        for i in range(n):
            script = gen.zk_script(rng, i)
            try:
                run_stepwise("zookeeper", real.run, sim, script, seed, i, stats)
            except RuntimeError as e:
                # zkCli.sh now and then stalls on an asynchronous watch event printed inside
                # another reply (a client quirk, not a difference in replies): start a fresh
                # session on both sides and run the same script again under a fresh path.
                # Twice in a row, or more than three times in a run, is a failure.
                retries += 1
                if retries > 3:
                    raise
                print(f"conformance: zookeeper: script {i}: {e}; retrying in a fresh session", flush=True)
                real.close()
                sim.close()
                real, sim = ZkReal(port), Sim(cli, "zookeeper")
                zk_sync_zxid(real, sim)
                again = [line.replace(f"/s{i}", f"/r{i}") for line in script]
                run_stepwise("zookeeper", real.run, sim, again, seed, i, stats)
    finally:
        sim.close()
        real.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flavor", action="append", choices=["redis", "etcd", "zookeeper", "recipes", "traces"])
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CONFORMANCE_SEED", "1")))
    ap.add_argument("--scripts", type=float, default=float(os.environ.get("CONFORMANCE_SCALE", "1")),
                    help="multiplier of the default script counts")
    # Where cargo put the binary: CARGO_TARGET_DIR when set (relative to the repository), else target/.
    target = os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR", "target"))
    ap.add_argument("--cli", default=os.environ.get("RINGLAB_CLI", os.path.join(target, "debug", "ringlab-cli")))
    a = ap.parse_args()
    flavors = a.flavor or ["redis", "etcd", "zookeeper", "recipes", "traces"]
    counts = {"redis": (3000, 6), "etcd": (2000, 2), "zookeeper": (2000, 0)}
    missing = missing_tools()
    if missing:
        print(f"conformance: missing {', '.join(missing)}: run scripts/setup.sh --for test")
        return 1
    if not os.access(a.cli, os.X_OK):
        print(f"conformance: {a.cli} not found: run cargo build --bin ringlab-cli (or pass --cli)")
        return 1
    failed = []
    import recipes  # (imports this file as `run`: its Mismatch is a second class)
    import traces

    with Servers() as servers:
        for f in flavors:
            st = Stats()
            try:
                if f == "recipes":
                    recipes.run_all(servers, a.cli, st)
                elif f == "traces":
                    traces.run_all(servers, a.cli, st)
                else:
                    n, t = counts[f]
                    n = max(1, int(n * a.scripts))
                    if f == "redis":
                        conform_redis(servers, a.cli, a.seed, n, t, st)
                    elif f == "etcd":
                        conform_etcd(servers, a.cli, a.seed, n, t, st)
                    else:
                        conform_zk(servers, a.cli, a.seed, n, st)
                status = "agree"
            except (Mismatch, recipes.Mismatch):
                status = "DIFFER"
                failed.append(f)
            except Exception:  # noqa: BLE001 (a broken run of one flavor must not hide the others)
                traceback.print_exc()
                status = "ERROR"
                failed.append(f)
            secs = time.monotonic() - st.started
            print(f"conformance: {f}: {st.scripts} scripts (incl. {st.fixtures} fixtures), {st.commands} commands compared, "
                  f"seed {a.seed}, {secs:.1f} s: {status}", flush=True)
    if failed:
        print(f"conformance: FAILED for {', '.join(failed)}")
        return 1
    print("conformance: every compared reply agrees")
    return 0


if __name__ == "__main__":
    sys.exit(main())
