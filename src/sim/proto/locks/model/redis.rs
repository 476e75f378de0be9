//! The subset of Redis 7.0 the lock recipes rely on, as a pure state machine: a keyspace of
//! string values with millisecond expiry, and the commands `SET` (with `NX`/`XX`/`GET`,
//! `PX`/`EX`/`PXAT`/`EXAT`/`KEEPTTL`), `GET`, `DEL`, `EXISTS`, `PTTL`, `TTL`, `PEXPIRE` and
//! `EXPIRE` (with `NX`/`XX`/`GT`/`LT`), `PING`, and `EVAL` of the two scripts the recipes send
//! (compare-and-delete release, compare-and-`PEXPIRE` renewal).
//!
//! The lab's lock server ([`super::super::kv`]) decides grants, renewals and releases with the
//! per-key rules of this module ([`live`], [`set_applies`], [`script_matches`]), and
//! `ringlab-cli kv --flavor redis` runs whole scripts through [`Redis`], which the conformance
//! tests compare reply by reply with a real `redis-server`. Argument checks and error texts
//! follow Redis 7.0's `t_string.c`, `expire.c` and `server.c`.

use std::collections::BTreeMap;

/// The compare-and-delete release every Redis lock recipe sends (Redis's own documentation).
pub const RELEASE_SCRIPT: &str =
    "if redis.call(\"get\",KEYS[1]) == ARGV[1] then return redis.call(\"del\",KEYS[1]) else return 0 end";

/// The compare-and-extend renewal: `PEXPIRE` only while the caller's value is still there.
pub const RENEW_SCRIPT: &str = "if redis.call(\"get\",KEYS[1]) == ARGV[1] then return redis.call(\"pexpire\",KEYS[1],ARGV[2]) else return 0 end";

/// Whether a key with absolute expiry `expires_at` (ms, `None`: no expiry) still exists at
/// `now`: Redis treats a key as expired only once `now > expires_at` (`keyIsExpired`).
pub fn live(expires_at: Option<i64>, now: i64) -> bool {
    expires_at.is_none_or(|at| now <= at)
}

/// `SET`'s condition: `NX` writes only when no live key exists, `XX` only when one does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cond {
    /// No condition: always writes.
    #[default]
    Always,
    /// `NX`: only if absent.
    Nx,
    /// `XX`: only if present.
    Xx,
}

/// Whether a `SET` with `cond` writes, given whether a live key exists (`setGenericCommand`).
pub fn set_applies(cond: Cond, exists: bool) -> bool {
    match cond {
        Cond::Always => true,
        Cond::Nx => !exists,
        Cond::Xx => exists,
    }
}

/// Whether a compare-and-X script (release or renewal) acts: the key's current value (if live)
/// equals the caller's. A blind `DEL` (`check` false) acts on any live key.
pub fn script_matches<V: PartialEq>(current: Option<&V>, mine: &V, check: bool) -> bool {
    match current {
        Some(v) => !check || v == mine,
        None => false,
    }
}

/// One reply, printed by [`Reply::cli`] as `redis-cli --no-raw` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK` and other status replies.
    Status(String),
    /// The null bulk string.
    Nil,
    /// An integer.
    Int(i64),
    /// A bulk string.
    Bulk(Vec<u8>),
    /// An error, with its code (`ERR ...`).
    Err(String),
}

impl Reply {
    fn ok() -> Self {
        Reply::Status("OK".into())
    }

    fn err(msg: impl Into<String>) -> Self {
        Reply::Err(msg.into())
    }

    /// The line redis-cli prints for this reply in its interactive (`--no-raw`) form.
    pub fn cli(&self) -> String {
        match self {
            Reply::Status(s) => s.clone(),
            Reply::Nil => "(nil)".into(),
            Reply::Int(i) => format!("(integer) {i}"),
            Reply::Bulk(b) => repr(b),
            Reply::Err(e) => format!("(error) {e}"),
        }
    }
}

/// redis-cli's quoting of a bulk string (`sdscatrepr`).
fn repr(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

/// Splits a line as redis-cli does (`sdssplitargs`): blanks separate arguments, double
/// quotes allow `\n`, `\"`, `\xHH`… escapes, single quotes only `\'`. `None` for unbalanced
/// quotes or a closing quote not followed by a blank (redis-cli: "Invalid argument(s)").
pub fn split_args(line: &str) -> Option<Vec<Vec<u8>>> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            if inq {
                let c = *b.get(i)?;
                if c == b'\\' && b.get(i + 1) == Some(&b'x') {
                    let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
                    if let (Some(h), Some(l)) = (hex(b.get(i + 2)), hex(b.get(i + 3))) {
                        cur.push((h * 16 + l) as u8);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && i + 1 < b.len() {
                    i += 1;
                    cur.push(match b[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if b.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else if insq {
                let c = *b.get(i)?;
                if c == b'\\' && b.get(i + 1) == Some(&b'\'') {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if b.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else {
                match b.get(i) {
                    None => break,
                    Some(c) if c.is_ascii_whitespace() => break,
                    Some(b'"') => inq = true,
                    Some(b'\'') => insq = true,
                    Some(&c) => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

/// One stored string and its absolute expiry (ms on the server's clock).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Val {
    data: Vec<u8>,
    expires: Option<i64>,
}

/// A Redis keyspace (one database) at a virtual time in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redis {
    keys: BTreeMap<Vec<u8>, Val>,
    now: i64,
}

fn parse_ll(a: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(a).ok()?;
    // string2ll: no '+', no leading zeros (except "0"), no blanks.
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty()
        || !digits.bytes().all(|c| c.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
        || s == "-0"
    {
        return None;
    }
    s.parse().ok()
}

fn is(a: &[u8], word: &str) -> bool {
    a.eq_ignore_ascii_case(word.as_bytes())
}

const NOT_INT: &str = "ERR value is not an integer or out of range";

impl Redis {
    /// An empty keyspace at time 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves virtual time forward by `ms`.
    pub fn advance(&mut self, ms: u64) {
        self.now = self.now.saturating_add(ms.min(i64::MAX as u64) as i64);
    }

    /// The current virtual time (ms).
    pub fn now(&self) -> i64 {
        self.now
    }

    /// The live value of `key`, dropping it first if it has expired (lazy expiry).
    fn lookup(&mut self, key: &[u8]) -> Option<&Val> {
        let now = self.now;
        if self.keys.get(key).is_some_and(|v| !live(v.expires, now)) {
            self.keys.remove(key);
        }
        self.keys.get(key)
    }

    /// Runs one command (already split into arguments) and returns its reply.
    pub fn exec(&mut self, argv: &[Vec<u8>]) -> Reply {
        let Some(name) = argv.first() else {
            return Reply::err("ERR empty command");
        };
        let lname = String::from_utf8_lossy(name).to_ascii_lowercase();
        // (arity as in Redis's command table: n exact, -n at least n)
        let arity: i32 = match lname.as_str() {
            "set" => -3,
            "get" | "pttl" | "ttl" => 2,
            "del" | "exists" => -2,
            "pexpire" | "expire" | "eval" => -3,
            "ping" => -1,
            _ => {
                let mut args = String::new();
                for a in &argv[1..] {
                    if args.len() >= 128 {
                        break;
                    }
                    let room = 128 - args.len();
                    let a = String::from_utf8_lossy(a);
                    let a: String = a.chars().take(room).collect();
                    args.push_str(&format!("'{a}' "));
                }
                let n: String = String::from_utf8_lossy(name).chars().take(128).collect();
                return Reply::err(
                    format!("ERR unknown command '{n}', with args beginning with: {args}")
                        .replace(['\r', '\n'], " "),
                );
            }
        };
        let n = argv.len() as i32;
        if (arity > 0 && n != arity) || (arity < 0 && n < -arity) {
            return Reply::err(format!(
                "ERR wrong number of arguments for '{lname}' command"
            ));
        }
        match lname.as_str() {
            "set" => self.set(argv),
            "get" => match self.lookup(&argv[1]) {
                Some(v) => Reply::Bulk(v.data.clone()),
                None => Reply::Nil,
            },
            "del" => {
                let mut n = 0;
                for k in &argv[1..] {
                    if self.lookup(k).is_some() {
                        self.keys.remove(k);
                        n += 1;
                    }
                }
                Reply::Int(n)
            }
            "exists" => {
                let mut n = 0;
                for k in &argv[1..] {
                    if self.lookup(k).is_some() {
                        n += 1;
                    }
                }
                Reply::Int(n)
            }
            "pttl" | "ttl" => {
                let now = self.now;
                let ms = lname == "pttl";
                match self.lookup(&argv[1]) {
                    None => Reply::Int(-2),
                    Some(Val { expires: None, .. }) => Reply::Int(-1),
                    Some(Val {
                        expires: Some(at), ..
                    }) => {
                        let left = (at - now).max(0);
                        Reply::Int(if ms { left } else { (left + 500) / 1000 })
                    }
                }
            }
            "pexpire" | "expire" => self.expire(argv, lname == "pexpire"),
            "ping" => match argv.len() {
                1 => Reply::Status("PONG".into()),
                2 => Reply::Bulk(argv[1].clone()),
                _ => Reply::err("ERR wrong number of arguments for 'ping' command"),
            },
            _ => self.eval(argv),
        }
    }

    /// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]`, parsed as
    /// `parseExtendedStringArgumentsOrReply` does (options in any order; conflicting ones are
    /// a syntax error; repeated `EX`/`PX` keep the last).
    fn set(&mut self, argv: &[Vec<u8>]) -> Reply {
        #[derive(PartialEq, Clone, Copy)]
        enum Unit {
            None,
            Ex,
            Px,
            ExAt,
            PxAt,
            Keep,
        }
        let mut cond = Cond::Always;
        let mut get = false;
        let mut unit = Unit::None;
        let mut expire: Option<&[u8]> = None;
        let mut j = 3;
        while j < argv.len() {
            let opt = &argv[j];
            let next = argv.get(j + 1);
            if is(opt, "nx") && cond != Cond::Xx {
                cond = Cond::Nx;
            } else if is(opt, "xx") && cond != Cond::Nx {
                cond = Cond::Xx;
            } else if is(opt, "get") {
                get = true;
            } else if is(opt, "keepttl") && (unit == Unit::None || unit == Unit::Keep) {
                unit = Unit::Keep;
            } else if let (true, Some(n)) = (
                ["ex", "px", "exat", "pxat"].iter().any(|w| is(opt, w)),
                next,
            ) {
                let want = if is(opt, "ex") {
                    Unit::Ex
                } else if is(opt, "px") {
                    Unit::Px
                } else if is(opt, "exat") {
                    Unit::ExAt
                } else {
                    Unit::PxAt
                };
                if !(unit == Unit::None || unit == want) {
                    return Reply::err("ERR syntax error");
                }
                unit = want;
                expire = Some(n);
                j += 1;
            } else {
                return Reply::err("ERR syntax error");
            }
            j += 1;
        }
        let mut at = None;
        if let Some(e) = expire {
            let Some(v) = parse_ll(e) else {
                return Reply::err(NOT_INT);
            };
            let bad = || Reply::err("ERR invalid expire time in 'set' command");
            if v <= 0 {
                return bad();
            }
            let secs = matches!(unit, Unit::Ex | Unit::ExAt);
            if secs && v > i64::MAX / 1000 {
                return bad();
            }
            let ms = if secs { v * 1000 } else { v };
            let abs = match unit {
                Unit::Ex | Unit::Px => match ms.checked_add(self.now) {
                    Some(a) => a,
                    None => return bad(),
                },
                _ => ms,
            };
            at = Some(abs);
        }
        let key = argv[1].clone();
        let old = self.lookup(&key).cloned();
        let reply_old = match &old {
            Some(v) => Reply::Bulk(v.data.clone()),
            None => Reply::Nil,
        };
        if !set_applies(cond, old.is_some()) {
            return if get { reply_old } else { Reply::Nil };
        }
        let expires = match unit {
            Unit::Keep => old.and_then(|v| v.expires),
            _ => at,
        };
        if expires.is_some_and(|at| !live(Some(at), self.now)) {
            // An absolute time already past (PXAT/EXAT): the key is set and expires at once.
            self.keys.remove(&key);
        } else {
            self.keys.insert(
                key,
                Val {
                    data: argv[2].clone(),
                    expires,
                },
            );
        }
        if get {
            reply_old
        } else {
            Reply::ok()
        }
    }

    /// `PEXPIRE`/`EXPIRE key time [NX|XX|GT|LT]` (`expireGenericCommand`): a time already
    /// past deletes the key.
    fn expire(&mut self, argv: &[Vec<u8>], ms: bool) -> Reply {
        let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
        for opt in &argv[3..] {
            if is(opt, "nx") {
                nx = true;
            } else if is(opt, "xx") {
                xx = true;
            } else if is(opt, "gt") {
                gt = true;
            } else if is(opt, "lt") {
                lt = true;
            } else {
                return Reply::err(format!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(opt)
                ));
            }
        }
        if nx && (xx || gt || lt) {
            return Reply::err(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            );
        }
        if gt && lt {
            return Reply::err("ERR GT and LT options at the same time are not compatible");
        }
        let Some(mut when) = parse_ll(&argv[2]) else {
            return Reply::err(NOT_INT);
        };
        let cmd = if ms { "pexpire" } else { "expire" };
        let bad = || Reply::err(format!("ERR invalid expire time in '{cmd}' command"));
        if !ms {
            if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
                return bad();
            }
            when *= 1000;
        }
        if when > i64::MAX - self.now {
            return bad();
        }
        when += self.now;
        let now = self.now;
        let key = &argv[1];
        let Some(cur) = self.lookup(key).map(|v| v.expires) else {
            return Reply::Int(0);
        };
        let refuse = (nx && cur.is_some())
            || (xx && cur.is_none())
            || (gt && cur.is_none_or(|c| when <= c))
            || (lt && cur.is_some_and(|c| when >= c));
        if refuse {
            return Reply::Int(0);
        }
        if when <= now {
            self.keys.remove(key);
        } else if let Some(v) = self.keys.get_mut(key) {
            v.expires = Some(when);
        }
        Reply::Int(1)
    }

    /// `EVAL script numkeys key... arg...` for the release and renewal scripts only.
    fn eval(&mut self, argv: &[Vec<u8>]) -> Reply {
        let Some(numkeys) = parse_ll(&argv[2]) else {
            return Reply::err(NOT_INT);
        };
        if numkeys > (argv.len() - 3) as i64 {
            return Reply::err("ERR Number of keys can't be greater than number of args");
        }
        if numkeys < 0 {
            return Reply::err("ERR Number of keys can't be negative");
        }
        let keys = &argv[3..3 + numkeys as usize];
        let args = &argv[3 + numkeys as usize..];
        let script = argv[1].as_slice();
        let release = script == RELEASE_SCRIPT.as_bytes();
        let renew = script == RENEW_SCRIPT.as_bytes();
        if !(release || renew) {
            return Reply::err(
                "ERR ringlab models only the lock recipes' release and renewal scripts",
            );
        }
        // Lua indexes past the end read nil: get(nil) raises in real Redis; the recipes
        // always pass one key and their value, so those shapes are refused here.
        let (Some(key), Some(mine)) = (keys.first(), args.first()) else {
            return Reply::err("ERR ringlab: the lock scripts need one key and one argument");
        };
        let current = self.lookup(key).map(|v| v.data.clone());
        if !script_matches(current.as_ref(), mine, true) {
            return Reply::Int(0);
        }
        if release {
            self.keys.remove(key);
            return Reply::Int(1);
        }
        let Some(ms) = args.get(1) else {
            return Reply::err("ERR ringlab: the renewal script needs the lease in ms");
        };
        let call = [b"pexpire".to_vec(), key.clone(), ms.clone()];
        self.expire(&call, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(r: &mut Redis, line: &str) -> String {
        r.exec(&split_args(line).unwrap()).cli()
    }

    #[test]
    fn set_nx_px_grants_once_until_the_key_expires() {
        let mut r = Redis::new();
        assert_eq!(run(&mut r, "SET k v1 NX PX 100"), "OK");
        assert_eq!(run(&mut r, "SET k v2 NX PX 100"), "(nil)");
        r.advance(100);
        assert_eq!(
            run(&mut r, "PTTL k"),
            "(integer) 0",
            "alive at exactly its expiry"
        );
        r.advance(1);
        assert_eq!(run(&mut r, "SET k v2 NX PX 100"), "OK");
        assert_eq!(run(&mut r, "GET k"), "\"v2\"");
    }

    #[test]
    fn release_script_deletes_only_the_callers_value() {
        let mut r = Redis::new();
        run(&mut r, "SET k mine");
        let line = |v: &str| format!("EVAL '{RELEASE_SCRIPT}' 1 k {v}");
        assert_eq!(run(&mut r, &line("other")), "(integer) 0");
        assert_eq!(run(&mut r, &line("mine")), "(integer) 1");
        assert_eq!(run(&mut r, "EXISTS k"), "(integer) 0");
    }

    #[test]
    fn errors_use_redis_texts() {
        let mut r = Redis::new();
        assert_eq!(
            run(&mut r, "FOO bar"),
            "(error) ERR unknown command 'FOO', with args beginning with: 'bar' "
        );
        assert_eq!(
            run(&mut r, "SET k"),
            "(error) ERR wrong number of arguments for 'set' command"
        );
        assert_eq!(run(&mut r, "SET k v NX XX"), "(error) ERR syntax error");
        assert_eq!(
            run(&mut r, "SET k v PX 0"),
            "(error) ERR invalid expire time in 'set' command"
        );
        assert_eq!(
            run(&mut r, "SET k v EX 1 PX 100"),
            "(error) ERR syntax error"
        );
        assert_eq!(run(&mut r, "PEXPIRE k abc"), format!("(error) {NOT_INT}"));
    }

    #[test]
    fn the_splitter_follows_redis_cli_quoting() {
        assert_eq!(
            split_args(r#"SET k "a b" 'c\'d' "\x41\n""#).unwrap(),
            vec![
                b"SET".to_vec(),
                b"k".to_vec(),
                b"a b".to_vec(),
                b"c'd".to_vec(),
                b"A\n".to_vec()
            ]
        );
        assert!(split_args("SET k \"open").is_none());
        assert!(split_args("SET k \"a\"b").is_none());
    }
}
