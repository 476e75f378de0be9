//! The subset of etcd 3.4's key-value API the lease lock relies on, as a pure state machine:
//! a store-wide revision, keys with create/mod revisions and versions, leases with a TTL
//! that delete their keys when they run out or are revoked, and transactions comparing
//! revisions, versions and values. Replies are printed as `etcdctl` (API 3, simple output)
//! prints them.
//!
//! The lab's coordination server ([`super::super::seq`]) numbers etcd lock nodes with the same
//! store-wide revision rule ([`bump`]: one revision per write transaction);
//! `ringlab-cli kv --flavor etcd` runs whole scripts through [`Etcd`], which the conformance
//! tests compare with a real etcd.

use std::collections::BTreeMap;

/// etcd's smallest lease TTL in seconds with the default 100 ms heartbeat and 10 election
/// ticks (`minLeaseTTL = ceil(1.5 s)`): shorter grants are raised to it.
pub const MIN_LEASE_TTL: i64 = 2;

/// etcd's largest lease TTL in seconds (`MaxLeaseTTL`): larger grants are refused.
pub const MAX_LEASE_TTL: i64 = 9_000_000_000;

/// The high bits of the lease ids this model hands out (a real server derives them from its
/// member id and the time; the conformance tests map both to `L1`, `L2`, …).
pub const LEASE_ID_BASE: i64 = 0x7269_6e67_0000_0000;

/// The revision after a write transaction at `rev`: every transaction that changes the store
/// takes exactly one new revision, whatever number of keys it writes.
pub fn bump(rev: u64) -> u64 {
    rev + 1
}

/// One key's metadata and value.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Kv {
    value: String,
    create: u64,
    modified: u64,
    version: u64,
    lease: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Lease {
    ttl: i64,
    /// Absolute expiry in virtual ms.
    expires: i64,
}

/// An etcd store at a virtual time in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Etcd {
    rev: u64,
    keys: BTreeMap<String, Kv>,
    leases: BTreeMap<i64, Lease>,
    next_lease: i64,
    now: i64,
}

impl Default for Etcd {
    fn default() -> Self {
        Self::new()
    }
}

const NOT_FOUND: &str = "etcdserver: requested lease not found";

/// One transaction operation.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Put(String, String, i64),
    Get(String),
    Del(String),
}

fn err(msg: &str) -> String {
    format!("Error: {msg}")
}

fn parse_lease(id: &str) -> Result<i64, String> {
    i64::from_str_radix(id, 16).map_err(|_| {
        err(&format!(
            "bad lease ID (strconv.ParseInt: parsing {id:?}: invalid syntax), expecting ID in Hex"
        ))
    })
}

impl Etcd {
    /// A fresh single-member cluster: revision 1, no keys, no leases, time 0.
    pub fn new() -> Self {
        Etcd {
            rev: 1,
            keys: BTreeMap::new(),
            leases: BTreeMap::new(),
            next_lease: 1,
            now: 0,
        }
    }

    /// The store's current revision.
    pub fn revision(&self) -> u64 {
        self.rev
    }

    /// Moves virtual time forward by `ms`, expiring leases whose TTL ran out (each revokes
    /// its keys in one transaction).
    pub fn advance(&mut self, ms: u64) {
        self.now = self.now.saturating_add(ms.min(i64::MAX as u64) as i64);
        let due: Vec<i64> = self
            .leases
            .iter()
            .filter(|(_, l)| l.expires <= self.now)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.revoke(id);
        }
    }

    fn revoke(&mut self, id: i64) -> bool {
        if self.leases.remove(&id).is_none() {
            return false;
        }
        let before = self.keys.len();
        self.keys.retain(|_, kv| kv.lease != id);
        if self.keys.len() != before {
            self.rev = bump(self.rev);
        }
        true
    }

    /// Runs one command line in etcdctl's syntax and returns what etcdctl prints (possibly
    /// several lines, possibly none; errors as `Error: …`).
    pub fn exec(&mut self, line: &str) -> String {
        let args: Vec<&str> = line.split_whitespace().collect();
        match args.as_slice() {
            ["put", rest @ ..] => self.put_cmd(rest),
            ["get", rest @ ..] => match rest {
                [key] => self.get(key),
                _ => err(
                    "get command needs one argument as key and an optional argument as range_end",
                ),
            },
            ["del", rest @ ..] => match rest {
                [key] => self.del(key).to_string(),
                _ => err(
                    "del command needs one argument as key and an optional argument as range_end",
                ),
            },
            ["lease", "grant", rest @ ..] => match rest {
                [ttl] => match ttl.parse::<i64>() {
                    Ok(t) if t > MAX_LEASE_TTL => err("etcdserver: too large lease TTL"),
                    Ok(t) if t >= 0 => {
                        let id = LEASE_ID_BASE + self.next_lease;
                        self.next_lease += 1;
                        let ttl = t.max(MIN_LEASE_TTL);
                        self.leases.insert(
                            id,
                            Lease {
                                ttl,
                                expires: self.now + ttl * 1000,
                            },
                        );
                        format!("lease {id:016x} granted with TTL({ttl}s)")
                    }
                    _ => err(&format!(
                        "bad TTL (strconv.ParseInt: parsing {ttl:?}: invalid syntax)"
                    )),
                },
                _ => err("lease grant command needs TTL argument"),
            },
            ["lease", "revoke", rest @ ..] => match rest {
                [id] => match parse_lease(id) {
                    Ok(n) if self.revoke(n) => format!("lease {n:016x} revoked"),
                    Ok(_) => err(&format!("failed to revoke lease ({NOT_FOUND})")),
                    Err(e) => e,
                },
                _ => err("lease revoke command needs 1 argument"),
            },
            ["lease", "keep-alive", "--once", rest @ ..] => match rest {
                [id] => match parse_lease(id) {
                    Ok(n) => match self.leases.get_mut(&n) {
                        Some(l) => {
                            l.expires = self.now + l.ttl * 1000;
                            format!("lease {n:016x} keepalived with TTL({})", l.ttl)
                        }
                        None => err(NOT_FOUND),
                    },
                    Err(e) => e,
                },
                _ => err("lease keep-alive command needs lease ID as argument"),
            },
            ["txn", ..] => self.txn(line.trim_start().trim_start_matches("txn")),
            [first, ..] => {
                let e = format!("unknown command {first:?} for \"etcdctl\"");
                format!("{}\nRun 'etcdctl --help' for usage.\n{}", err(&e), err(&e))
            }
            [] => String::new(),
        }
    }

    fn put_cmd(&mut self, rest: &[&str]) -> String {
        let mut lease = 0;
        let mut pos = Vec::new();
        for a in rest {
            if let Some(id) = a.strip_prefix("--lease=") {
                match parse_lease(id) {
                    Ok(n) => lease = n,
                    Err(e) => return e,
                }
            } else {
                pos.push(*a);
            }
        }
        if pos.len() < 2 {
            return err("put command needs 1 argument and input from stdin or 2 arguments");
        }
        if lease != 0 && !self.leases.contains_key(&lease) {
            return err(NOT_FOUND);
        }
        let rev = bump(self.rev);
        self.put(pos[0], pos[1], lease, rev);
        self.rev = rev;
        "OK".into()
    }

    fn put(&mut self, key: &str, value: &str, lease: i64, rev: u64) {
        let kv = self.keys.entry(key.to_string()).or_insert(Kv {
            value: String::new(),
            create: rev,
            modified: rev,
            version: 0,
            lease: 0,
        });
        kv.value = value.to_string();
        kv.modified = rev;
        kv.version += 1;
        kv.lease = lease;
    }

    fn get(&self, key: &str) -> String {
        match self.keys.get(key) {
            Some(kv) => format!("{key}\n{}", kv.value),
            None => String::new(),
        }
    }

    fn del(&mut self, key: &str) -> u64 {
        if self.keys.remove(key).is_some() {
            self.rev = bump(self.rev);
            1
        } else {
            0
        }
    }

    /// `txn CMP; CMP | OP; OP | OP; OP`: ringlab's one-line form of etcdctl's interactive
    /// `txn` (compares, success ops, failure ops), so one script line is one command.
    fn txn(&mut self, body: &str) -> String {
        let parts: Vec<&str> = body.split('|').collect();
        if parts.len() != 3 {
            return err("ringlab: txn needs 'compares | success ops | failure ops'");
        }
        let items = |s: &str| -> Vec<String> {
            s.split(';')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        };
        let mut cmps = Vec::new();
        for c in items(parts[0]) {
            match parse_compare(&c) {
                Some(x) => cmps.push(x),
                None => return err("invalid txn compare request"),
            }
        }
        let mut branches = [Vec::new(), Vec::new()];
        for (b, part) in branches.iter_mut().zip(&parts[1..]) {
            for o in items(part) {
                match self.parse_op(&o) {
                    Ok(op) => b.push(op),
                    Err(e) => return e,
                }
            }
        }
        for b in &branches {
            let mut puts: Vec<&str> = Vec::new();
            let dels: Vec<&str> = b
                .iter()
                .filter_map(|o| match o {
                    Op::Del(k) => Some(k.as_str()),
                    _ => None,
                })
                .collect();
            for o in b {
                if let Op::Put(k, _, _) = o {
                    if puts.contains(&k.as_str()) || dels.contains(&k.as_str()) {
                        return err("etcdserver: duplicate key given in txn request");
                    }
                    puts.push(k);
                }
            }
        }
        let ok = cmps.iter().all(|c| self.compare(c));
        let [then, otherwise] = branches;
        let ops = if ok { then } else { otherwise };
        // etcd checks the leases of the puts on the chosen branch only (`checkRequests` walks
        // the compare path): a revoked lease in the other branch is no error.
        let missing = ops
            .iter()
            .any(|o| matches!(o, Op::Put(_, _, l) if *l != 0 && !self.leases.contains_key(l)));
        if missing {
            return err(NOT_FOUND);
        }
        let rev = bump(self.rev);
        let mut wrote = false;
        let mut lines = vec![String::from(if ok { "SUCCESS" } else { "FAILURE" })];
        for op in ops {
            // etcdctl prints a blank line before each op's reply (a missing key's `get`
            // prints nothing after it).
            lines.push(String::new());
            let reply = match op {
                Op::Put(k, v, l) => {
                    self.put(&k, &v, l, rev);
                    wrote = true;
                    "OK".to_string()
                }
                Op::Get(k) => self.get(&k),
                Op::Del(k) => {
                    let n = u8::from(self.keys.remove(&k).is_some());
                    wrote |= n > 0;
                    n.to_string()
                }
            };
            if !reply.is_empty() {
                lines.push(reply);
            }
        }
        if wrote {
            self.rev = rev;
        }
        lines.join("\n")
    }

    fn parse_op(&self, s: &str) -> Result<Op, String> {
        let a: Vec<&str> = s.split_whitespace().collect();
        match a.as_slice() {
            ["put", rest @ ..] => {
                let mut lease = 0;
                let mut pos = Vec::new();
                for x in rest {
                    if let Some(id) = x.strip_prefix("--lease=") {
                        lease = parse_lease(id)?;
                    } else {
                        pos.push(*x);
                    }
                }
                match pos.as_slice() {
                    [k, v, ..] => Ok(Op::Put(k.to_string(), v.to_string(), lease)),
                    _ => Err(err("invalid txn request: put needs a key and a value")),
                }
            }
            ["get", k] => Ok(Op::Get(k.to_string())),
            ["del", k] => Ok(Op::Del(k.to_string())),
            _ => Err(err(&format!("invalid txn request: {s}"))),
        }
    }

    fn compare(&self, c: &Compare) -> bool {
        let kv = self.keys.get(&c.key);
        use std::cmp::Ordering;
        let ord = match (&c.target, kv) {
            // etcd: comparing the value of a missing key always fails.
            (Target::Value(_), None) => return false,
            (Target::Value(v), Some(kv)) => kv.value.as_str().cmp(v.as_str()),
            (Target::Create(n), kv) => kv.map_or(0, |k| k.create as i64).cmp(n),
            (Target::Mod(n), kv) => kv.map_or(0, |k| k.modified as i64).cmp(n),
            (Target::Version(n), kv) => kv.map_or(0, |k| k.version as i64).cmp(n),
        };
        match c.op {
            Rel::Eq => ord == Ordering::Equal,
            Rel::Ne => ord != Ordering::Equal,
            Rel::Lt => ord == Ordering::Less,
            Rel::Gt => ord == Ordering::Greater,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Create(i64),
    Mod(i64),
    Version(i64),
    Value(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rel {
    Eq,
    Ne,
    Lt,
    Gt,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Compare {
    key: String,
    target: Target,
    op: Rel,
}

/// `create("k") = "0"`, `mod("k") > "5"`, `version("k") != "1"`, `value("k") = "v"`.
fn parse_compare(s: &str) -> Option<Compare> {
    let (name, rest) = s.split_once("(\"")?;
    let (key, rest) = rest.split_once("\")")?;
    let rest = rest.trim();
    let (op, rest) = rest.split_once(' ')?;
    let val = rest.trim().strip_prefix('"')?.strip_suffix('"')?;
    let op = match op {
        "=" => Rel::Eq,
        "!=" => Rel::Ne,
        "<" => Rel::Lt,
        ">" => Rel::Gt,
        _ => return None,
    };
    let target = match name.trim() {
        "c" | "create" => Target::Create(val.parse().ok()?),
        "m" | "mod" => Target::Mod(val.parse().ok()?),
        "ver" | "version" => Target::Version(val.parse().ok()?),
        "val" | "value" => Target::Value(val.to_string()),
        _ => return None,
    };
    Some(Compare {
        key: key.to_string(),
        target,
        op,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_lock_takes_one_revision_per_write_and_dies_with_its_lease() {
        let mut e = Etcd::new();
        let grant = e.exec("lease grant 1");
        assert_eq!(
            grant,
            format!("lease {:016x} granted with TTL(2s)", LEASE_ID_BASE + 1)
        );
        let id = format!("{:x}", LEASE_ID_BASE + 1);
        let lock = format!("txn create(\"l\") = \"0\" | put --lease={id} l me | get l");
        assert_eq!(e.exec(&lock), "SUCCESS\n\nOK");
        assert_eq!(e.revision(), 2);
        assert_eq!(e.exec(&lock), "FAILURE\n\nl\nme");
        assert_eq!(
            e.exec("txn mod(\"l\") = \"2\" | get l | "),
            "SUCCESS\n\nl\nme"
        );
        assert_eq!(e.exec("txn | get none; del none | "), "SUCCESS\n\n\n0");
        e.advance(1999);
        assert_eq!(e.exec("get l"), "l\nme");
        e.advance(1);
        assert_eq!(e.exec("get l"), "");
        assert_eq!(e.revision(), 3, "expiry deletes the key in one revision");
        assert_eq!(
            e.exec(&format!("lease keep-alive --once {id}")),
            "Error: etcdserver: requested lease not found"
        );
    }

    #[test]
    fn duplicate_keys_and_unknown_commands_get_etcds_errors() {
        let mut e = Etcd::new();
        assert_eq!(
            e.exec("txn | put a 1; del a | "),
            "Error: etcdserver: duplicate key given in txn request"
        );
        assert!(e
            .exec("frob")
            .starts_with("Error: unknown command \"frob\" for \"etcdctl\""));
        assert_eq!(e.exec("del a"), "0");
        // A lease that does not exist matters only on the branch taken.
        let gone = format!("{:x}", LEASE_ID_BASE + 99);
        assert_eq!(
            e.exec(&format!(
                "txn create(\"a\") = \"0\" | put a 1 | put --lease={gone} a 2"
            )),
            "SUCCESS\n\nOK"
        );
        assert_eq!(
            e.exec(&format!(
                "txn create(\"a\") = \"0\" | put a 1 | put --lease={gone} a 2"
            )),
            "Error: etcdserver: requested lease not found"
        );
    }
}
