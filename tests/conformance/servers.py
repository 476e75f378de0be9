"""Start and stop the real servers the conformance tests compare against.

Each server runs on a free 127.0.0.1 port with a fresh temporary data directory and is
stopped by its process id (also when a test fails or is interrupted: `Servers` is a context
manager and registers an atexit hook). Needs Debian's redis-server, etcd-server +
etcd-client and zookeeper packages (scripts/setup.sh --for test installs them).
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ZK_CP = "/usr/share/java/*:/usr/share/zookeeper/*"
ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"


def missing_tools():
    """The programs the tests need that are not installed."""
    need = ["redis-server", "redis-cli", "etcd", "etcdctl", "java"]
    out = [t for t in need if shutil.which(t) is None]
    if not os.path.exists(ZKCLI):
        out.append(ZKCLI)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, check, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


class Servers:
    """Owns every process it starts; `close()` kills them by pid and removes their dirs."""

    def __init__(self):
        self.procs = []
        self.dirs = []
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, _frame):
        self.close()
        raise SystemExit(128 + signum)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _tmp(self, name):
        # In memory where there is a tmpfs: etcd and ZooKeeper fsync every write, which on
        # a disk costs milliseconds per command and nothing the tests look at.
        shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        d = tempfile.mkdtemp(prefix=f"ringlab-conf-{name}-", dir=shm)
        self.dirs.append(d)
        return d

    def _spawn(self, name, argv, d):
        log = open(os.path.join(d, f"{name}.log"), "wb")
        # Same process group as the test: a runner's group kill (timeout, Ctrl-C) reaches the
        # servers even if this process dies before close() runs.
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=d)
        log.close()
        self.procs.append(p)
        return p

    def redis(self):
        """A redis-server without persistence; returns its port."""
        d = self._tmp("redis")
        port = free_port()
        self._spawn("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", d], d)

        def ping():
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")

        wait_until("redis-server", ping)
        return port

    def etcd(self):
        """A single-member etcd; returns its client port."""
        d = self._tmp("etcd")
        port, peer = free_port(), free_port()
        url = f"http://127.0.0.1:{port}"
        self._spawn("etcd", ["etcd", "--data-dir", os.path.join(d, "data"),
                             "--listen-client-urls", url, "--advertise-client-urls", url,
                             "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                             "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                             "--initial-cluster", f"default=http://127.0.0.1:{peer}"], d)

        def healthy():
            r = subprocess.run(["etcdctl", "--endpoints", f"127.0.0.1:{port}", "endpoint", "health"],
                               capture_output=True, env=etcd_env(), timeout=10)
            return r.returncode == 0

        wait_until("etcd", healthy)
        return port

    def zookeeper(self):
        """A standalone ZooKeeper; returns its client port."""
        d = self._tmp("zk")
        port = free_port()
        cfg = os.path.join(d, "zoo.cfg")
        with open(cfg, "w") as f:
            f.write(f"tickTime=2000\ndataDir={d}/data\nclientPort={port}\n"
                    "clientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
                    "4lw.commands.whitelist=ruok\n")
        self._spawn("zk", ["java", "-cp", ZK_CP, "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                           cfg], d)

        def ruok():
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"ruok")
                return s.recv(8) == b"imok"

        wait_until("ZooKeeper", ruok, timeout=60)
        return port

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
        self.procs = []
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        self.dirs = []


def etcd_env():
    env = dict(os.environ)
    env["ETCDCTL_API"] = "3"
    return env
