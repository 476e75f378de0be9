"""Seeded random command scripts for the conformance tests, one list of lines per script.

Untimed scripts never wait, so every expiry they set is far (>= 100 s) in the future, and
no two of their TTLs are within a second of each other (a `PEXPIRE … GT` against an equal
TTL would depend on the milliseconds that pass between commands on the real server). Timed
scripts (`ADVANCE`) keep every deadline well away from every check (an untimed etcd script
revokes a short lease at once, since real time passes during the whole run): Redis TTLs are odd
multiples of 500 ms and waits whole seconds (a 500 ms margin); etcd leases (2 s, reaped
every 500 ms by the server) are checked 1 s after a grant or keep-alive, or 4 s later.
"""

RELEASE = 'if redis.call(\\"get\\",KEYS[1]) == ARGV[1] then return redis.call(\\"del\\",KEYS[1]) else return 0 end'
RENEW = ('if redis.call(\\"get\\",KEYS[1]) == ARGV[1] then return redis.call(\\"pexpire\\",KEYS[1],ARGV[2]) '
         'else return 0 end')


def _word(rng, w):
    return w.lower() if rng.random() < 0.2 else w


class Ttls:
    """Distinct far TTLs for one untimed script: milliseconds end in 500, seconds are whole,
    and each is 1 s from the others, so no `GT`/`LT` comparison can tie on either side."""

    def __init__(self):
        self.k = 0

    def ms(self):
        self.k += 1
        return 100500 + 1000 * self.k

    def secs(self):
        self.k += 1
        return 300 + self.k


def redis_set(rng, k, v, timed, ttls):
    parts = [_word(rng, "SET"), k, v]
    opts = []
    c = rng.random()
    if c < 0.35:
        opts.append(["NX"])
    elif c < 0.5:
        opts.append(["XX"])
    e = rng.random()
    if timed:
        if e < 0.6:
            opts.append(["PX", str(rng.choice([500, 1500, 2500]))])
        elif e < 0.7:
            opts.append(["EX", "100"])
    else:
        if e < 0.35:
            opts.append(["PX", str(ttls.ms())])
        elif e < 0.5:
            opts.append(["EX", str(ttls.secs())])
        elif e < 0.55:
            opts.append(["KEEPTTL"])
    if rng.random() < 0.12:
        opts.append(["GET"])
    bad = rng.random()
    if bad < 0.03:
        opts.append(["XX" if ["NX"] in opts else "NX"] if opts else ["NX", "XX"])
    elif bad < 0.06:
        opts.append(["PX", rng.choice(["0", "-5", "abc", "1.5", "007"])])
    elif bad < 0.08:
        opts.append(["EX", "10"] if any(o[0] == "PX" for o in opts) else ["KEEPTTL", "PX", str(ttls.ms())])
    elif bad < 0.09:
        opts.append([rng.choice(["NXX", "PX"])])
    rng.shuffle(opts)
    for o in opts:
        parts += [_word(rng, o[0])] + o[1:]
    return " ".join(parts)


def redis_script(rng, sid, timed):
    keys = [f"s{sid}:{c}" for c in "abc"[: rng.choice([1, 2, 3])]]
    vals = ["v1", "v2", "tok-3"]
    lines = []
    advances = 0
    ttls = Ttls()
    for _ in range(rng.randint(3, 12 if not timed else 9)):
        k, v = rng.choice(keys), rng.choice(vals)
        r = rng.random()
        if timed and advances < 2 and rng.random() < 0.25:
            lines.append(f"ADVANCE {rng.choice([1000, 2000])}")
            advances += 1
            continue
        if r < 0.3:
            lines.append(redis_set(rng, k, v, timed, ttls))
        elif r < 0.42:
            lines.append(f"{_word(rng, 'GET')} {k}")
        elif r < 0.5:
            lines.append(f"{_word(rng, 'DEL')} " + " ".join(rng.sample(keys, rng.randint(1, len(keys)))))
        elif r < 0.57:
            lines.append(f"{_word(rng, 'EXISTS')} " + " ".join(rng.choice(keys) for _ in range(rng.randint(1, 3))))
        elif r < 0.66:
            lines.append(f"{_word(rng, 'PTTL')} {k}")
        elif r < 0.76:
            t = rng.choice([500, 1500]) if timed else rng.choice([ttls.ms(), ttls.ms(), 0, -1])
            opt = rng.choice(["", "", " NX", " XX", " GT", " LT", " NX XX", " GT LT", " FOO"])
            lines.append(f"{_word(rng, 'PEXPIRE')} {k} {t}{opt}")
        elif r < 0.86:
            lines.append(f'EVAL "{RELEASE}" 1 {k} {v}')
        elif r < 0.93:
            t = 1500 if timed else ttls.ms()
            lines.append(f'EVAL "{RENEW}" 1 {k} {v} {t}')
        elif r < 0.96:
            lines.append(rng.choice([f"LOCK {k}", "SETNXPX", f"GET {k} extra", "SET", f"EXISTS"]))
        else:
            lines.append(f"{_word(rng, 'PING')}")
    return lines


def etcd_script(rng, sid, timed):
    """Lease placeholders: `$Ln` is the n-th lease granted in this script, on each side."""
    keys = [f"s{sid}k{c}" for c in "ab"[: rng.choice([1, 2])]]
    vals = ["v1", "v2"]
    lines = []
    leases = 0
    if timed:
        k = keys[0]
        lines += ["lease grant 2", f"put --lease=$L1 {k} v1", "ADVANCE 1000", f"get {k}",
                  "lease keep-alive --once $L1", "ADVANCE 1000", f"get {k}"]
        if rng.random() < 0.5:
            lines += [f"put {k} v2", "ADVANCE 4000", f"get {k}"]
        else:
            lines += ["ADVANCE 4000", f"get {k}", "lease keep-alive --once $L1",
                      f"put --lease=$L1 {k} v2", f'txn create("{k}") = "0" | put {k} v3 | get {k}']
        return lines
    for _ in range(rng.randint(3, 10)):
        k, v = rng.choice(keys), rng.choice(vals)
        r = rng.random()
        if r < 0.2:
            lines.append(f"put {k} {v}")
        elif r < 0.3 and leases:
            lines.append(f"put --lease=$L{rng.randint(1, leases)} {k} {v}")
        elif r < 0.4:
            lines.append(f"get {k}")
        elif r < 0.48:
            lines.append(f"del {k}")
        elif r < 0.56:
            leases += 1
            ttl = rng.choice([0, 1, 3600, 86400, 86400])
            lines.append(f"lease grant {ttl}")
            if ttl < 3600:
                # A short lease would expire on the real server while the run goes on (the
                # simulation's time stands still without ADVANCE): revoke it at once.
                lines.append(f"lease revoke $L{leases}")
        elif r < 0.62 and leases:
            lines.append(f"lease revoke $L{rng.randint(1, leases)}")
        elif r < 0.68 and leases:
            lines.append(f"lease keep-alive --once $L{rng.randint(1, leases)}")
        elif r < 0.95:
            cmps = []
            for _ in range(rng.choice([1, 1, 2])):
                kk = rng.choice(keys)
                cmps.append(rng.choice([
                    f'create("{kk}") = "0"', f'create("{kk}") > "0"', f'version("{kk}") = "1"',
                    f'version("{kk}") < "3"', f'value("{kk}") = "{rng.choice(vals)}"',
                    f'value("{kk}") != "v1"', f'mod("{kk}") > "{rng.randint(1, 3000)}"',
                    f'mod("{kk}") < "{rng.randint(1, 3000)}"']))

            def ops():
                out = []
                for _ in range(rng.choice([1, 1, 2, 3])):
                    kk = rng.choice(keys)
                    lease = f"--lease=$L{rng.randint(1, leases)} " if leases and rng.random() < 0.2 else ""
                    out.append(rng.choice([f"put {lease}{kk} {rng.choice(vals)}", f"get {kk}", f"del {kk}"]))
                return out

            lines.append("txn " + "; ".join(cmps) + " | " + "; ".join(ops()) + " | " + "; ".join(ops()))
        else:
            lines.append(rng.choice(["frob", "get", f"put {k}", "lease grant", "lease revoke"]))
    return lines


def zk_script(rng, sid):
    """`$LAST` is the path of the node this side created last (its sequence suffix)."""
    base = f"/s{sid}"
    lines = [f"create {base}"]
    names = ["lock-", "n"]
    for _ in range(rng.randint(3, 10)):
        r = rng.random()
        name = rng.choice(names)
        if r < 0.35:
            flags = rng.choice(["-e -s", "-s -e", "-s", "-e", ""])
            data = rng.choice(["", " d1", " tok"])
            lines.append(f"create {flags} {base}/{name}{data}".replace("  ", " "))
        elif r < 0.45:
            lines.append(f"ls {base}")
        elif r < 0.55:
            lines.append(rng.choice(["get $LAST", f"get {base}"]))
        elif r < 0.7:
            lines.append(rng.choice(["delete $LAST", f"delete {base}", f"delete {base}/{name}"]))
        elif r < 0.82:
            lines.append(rng.choice(["stat $LAST", f"stat {base}", "stat -w $LAST", f"stat -w {base}/{name}",
                                     f"ls -w {base}", "get -w $LAST"]))
        elif r < 0.9:
            lines.append(f"create {base}/{name}")
        elif r < 0.95:
            lines.append("create -e $LAST/child")
        else:
            lines.append(rng.choice([f"ls {base}/none", f"get {base}/none", "frob"]))
    return lines
