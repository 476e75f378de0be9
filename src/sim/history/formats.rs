//! Reading history files: the project's own export (one JSON object per line, as
//! `ringlab-cli run --history` writes), Jepsen's EDN maps (`{:process 0, :type :invoke,
//! :f :read, :value nil}`, one per line as in `history.edn`) and Jepsen's log lines
//! (`INFO jepsen.util - 3 :invoke :cas [1 4]`). Each line is recognised on its own, so a
//! Jepsen log with other chatter in it reads too; a line that looks like an operation but
//! cannot be read is an error naming the line. Nothing here panics on input.

use super::{Event, Kind, Val, F};

/// Parses a whole history file into (1-based line number, event) pairs.
pub fn parse(text: &str) -> Result<Vec<(usize, Event)>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim().trim_start_matches('\u{feff}');
        if l.is_empty() || l == "[" || l == "]" {
            continue;
        }
        let bad = |why: String| format!("line {line}: {why}: {}", clip(l));
        let ev = if l.starts_with("{\"") || l.starts_with("{ \"") {
            parse_json(l.trim_end_matches(',')).map_err(bad)?
        } else if l.starts_with('{') {
            match parse_edn_map(l).map_err(bad)? {
                Some(e) => e,
                None => continue,
            }
        } else if let Some(rest) = l.split_once("jepsen.util - ").map(|x| x.1) {
            match parse_log(rest).map_err(bad)? {
                Some(e) => e,
                None => continue,
            }
        } else {
            continue;
        };
        out.push((line, ev));
    }
    if out.is_empty() {
        return Err(
            "no operations found (expected JSON lines, EDN maps or Jepsen log lines)".into(),
        );
    }
    Ok(out)
}

fn clip(s: &str) -> String {
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(120).collect::<String>())
    } else {
        s.to_string()
    }
}

fn parse_json(l: &str) -> Result<Event, String> {
    serde_json::from_slice::<Event>(l.as_bytes()).map_err(|e| format!("not a history event ({e})"))
}

/// A parsed EDN value (the subset Jepsen histories use).
#[derive(Clone, Debug, PartialEq)]
enum Edn {
    Nil,
    Bool(bool),
    Int(i64),
    Str(String),
    Kw(String),
    Sym(String),
    Vec(Vec<Edn>),
    Map(Vec<(Edn, Edn)>),
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn ws(&mut self) {
        while let Some(&c) = self.s.get(self.i) {
            if c.is_ascii_whitespace() || c == b',' {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Edn, String> {
        if depth > 64 {
            return Err("nested too deeply".into());
        }
        self.ws();
        let Some(&c) = self.s.get(self.i) else {
            return Err("unexpected end of line".into());
        };
        match c {
            b'{' => {
                self.i += 1;
                let mut m = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(Edn::Map(m));
                    }
                    let k = self.value(depth + 1)?;
                    let v = self.value(depth + 1)?;
                    m.push((k, v));
                }
            }
            b'[' | b'(' => {
                let close = if c == b'[' { b']' } else { b')' };
                self.i += 1;
                let mut v = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&close) {
                        self.i += 1;
                        return Ok(Edn::Vec(v));
                    }
                    v.push(self.value(depth + 1)?);
                }
            }
            b'#' => {
                // A tagged literal (#{...} sets, #jepsen.history.Op{...}): read what follows.
                self.i += 1;
                if self.s.get(self.i) == Some(&b'{') {
                    self.i += 1;
                    let mut v = Vec::new();
                    loop {
                        self.ws();
                        if self.s.get(self.i) == Some(&b'}') {
                            self.i += 1;
                            return Ok(Edn::Vec(v));
                        }
                        v.push(self.value(depth + 1)?);
                    }
                }
                while let Some(&c) = self.s.get(self.i) {
                    if c == b'{' || c.is_ascii_whitespace() {
                        break;
                    }
                    self.i += 1;
                }
                self.value(depth + 1)
            }
            b'"' => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    match self.s.get(self.i) {
                        None => return Err("unterminated string".into()),
                        Some(b'"') => {
                            self.i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            let esc = self.s.get(self.i + 1).copied();
                            out.push(match esc {
                                Some(b'n') => b'\n',
                                Some(b't') => b'\t',
                                Some(e) => e,
                                None => return Err("unterminated string".into()),
                            });
                            self.i += 2;
                        }
                        Some(&b) => {
                            out.push(b);
                            self.i += 1;
                        }
                    }
                }
                String::from_utf8(out)
                    .map(Edn::Str)
                    .map_err(|_| "string is not UTF-8".into())
            }
            _ => {
                let start = self.i;
                while let Some(&c) = self.s.get(self.i) {
                    if c.is_ascii_whitespace() || b",{}[]()\"".contains(&c) {
                        break;
                    }
                    self.i += 1;
                }
                let tok = std::str::from_utf8(&self.s[start..self.i])
                    .map_err(|_| "not UTF-8".to_string())?;
                if tok.is_empty() {
                    return Err(format!("unexpected `{}`", c as char));
                }
                Ok(atom(tok))
            }
        }
    }
}

fn atom(tok: &str) -> Edn {
    match tok {
        "nil" => Edn::Nil,
        "true" => Edn::Bool(true),
        "false" => Edn::Bool(false),
        _ => {
            if let Some(k) = tok.strip_prefix(':') {
                Edn::Kw(k.to_string())
            } else if let Ok(i) = tok.trim_end_matches('N').parse::<i64>() {
                Edn::Int(i)
            } else {
                Edn::Sym(tok.to_string())
            }
        }
    }
}

fn to_val(e: &Edn) -> Result<Val, String> {
    Ok(match e {
        Edn::Nil => Val::Nil,
        Edn::Bool(b) => Val::Int(*b as i64),
        Edn::Int(i) => Val::Int(*i),
        Edn::Str(s) | Edn::Kw(s) | Edn::Sym(s) => Val::Str(s.clone()),
        Edn::Vec(v) => Val::List(v.iter().map(to_val).collect::<Result<_, _>>()?),
        Edn::Map(_) => return Err("a map is not a register value".into()),
    })
}

fn kind(s: &str) -> Result<Kind, String> {
    match s {
        "invoke" => Ok(Kind::Invoke),
        "ok" => Ok(Kind::Ok),
        "fail" => Ok(Kind::Fail),
        "info" => Ok(Kind::Info),
        other => Err(format!(
            "unknown type `:{other}` (invoke, ok, fail or info)"
        )),
    }
}

fn f_of(s: &str) -> Result<F, String> {
    F::parse(s)
        .ok_or_else(|| format!("unknown operation `:{s}` (read/get, write/put, cas, append)"))
}

fn key_text(e: &Edn) -> Result<String, String> {
    Ok(match e {
        Edn::Str(s) | Edn::Kw(s) | Edn::Sym(s) => s.clone(),
        Edn::Int(i) => i.to_string(),
        Edn::Nil => return Err("a key cannot be nil".into()),
        other => format!("{}", to_val(other)?),
    })
}

/// `Ok(None)` for entries that are not client operations (the nemesis's).
fn parse_edn_map(l: &str) -> Result<Option<Event>, String> {
    let mut lx = Lexer {
        s: l.as_bytes(),
        i: 0,
    };
    let Edn::Map(m) = lx.value(0)? else {
        return Err("not a map".into());
    };
    let get = |k: &str| {
        m.iter()
            .find(|(kk, _)| *kk == Edn::Kw(k.into()))
            .map(|(_, v)| v)
    };
    let process = match get("process") {
        Some(Edn::Int(p)) if *p >= 0 => *p as u64,
        Some(Edn::Kw(n)) if n == "nemesis" => return Ok(None),
        Some(other) => return Err(format!(":process must be a whole number, got {other:?}")),
        None => return Err("no :process".into()),
    };
    let kind = match get("type") {
        Some(Edn::Kw(k)) => kind(k)?,
        _ => return Err(":type must be :invoke, :ok, :fail or :info".into()),
    };
    let f = match get("f") {
        Some(Edn::Kw(k)) => f_of(k)?,
        _ => return Err(":f must be a keyword such as :read".into()),
    };
    let value = get("value").map(to_val).transpose()?.unwrap_or(Val::Nil);
    let key = get("key").map(key_text).transpose()?;
    let time = match get("time") {
        Some(Edn::Int(t)) if *t >= 0 => Some(*t as u64),
        _ => None,
    };
    Ok(Some(Event {
        process,
        kind,
        f,
        key,
        value,
        time,
    }))
}

/// `3 :invoke :cas [1 4]` (tabs or spaces); `Ok(None)` for nemesis lines.
fn parse_log(rest: &str) -> Result<Option<Event>, String> {
    let mut lx = Lexer {
        s: rest.as_bytes(),
        i: 0,
    };
    let process = match lx.value(0)? {
        Edn::Int(p) if p >= 0 => p as u64,
        Edn::Kw(n) if n == "nemesis" => return Ok(None),
        other => return Err(format!("expected a process number, got {other:?}")),
    };
    let kind = match lx.value(0)? {
        Edn::Kw(k) => kind(&k)?,
        other => return Err(format!("expected :invoke/:ok/:fail/:info, got {other:?}")),
    };
    let f = match lx.value(0)? {
        Edn::Kw(k) => f_of(&k)?,
        other => return Err(format!("expected an operation keyword, got {other:?}")),
    };
    lx.ws();
    let value = if lx.i >= lx.s.len() {
        Val::Nil
    } else {
        to_val(&lx.value(0)?)?
    };
    // Anything after the value (an error message on :info / :fail) is ignored.
    Ok(Some(Event {
        process,
        kind,
        f,
        key: None,
        value,
        time: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::history::linearizable::{check, Model, DEFAULT_BUDGET};
    use crate::sim::history::pair;

    fn verdict(text: &str, m: Model) -> &'static str {
        let ev = parse(text).expect("parses");
        let ops = pair(&ev).expect("pairs");
        check(m, &ops, DEFAULT_BUDGET).verdict()
    }

    #[test]
    fn jepsen_log_lines() {
        let log = "\
2014-05-29 12:00:00,000{GMT}\tINFO\t[jepsen node n1] jepsen.os.debian: setting up
INFO jepsen.util - 0\t:invoke\t:write\t1
INFO jepsen.util - 0\t:ok\t:write\t1
INFO jepsen.util - 3 :invoke :cas [1 4]
INFO jepsen.util - :nemesis :info :start nil
INFO jepsen.util - 3 :ok :cas [1 4]
INFO jepsen.util - 1 :invoke :read nil
INFO jepsen.util - 1 :ok :read 4
INFO jepsen.util - 2 :invoke :read nil
INFO jepsen.util - 2 :fail :read nil :timeout
";
        assert_eq!(verdict(log, Model::CasRegister), "linearizable");
        let bad = log.replace("1 :ok :read 4", "1 :ok :read 1");
        assert_eq!(verdict(&bad, Model::CasRegister), "not_linearizable");
    }

    #[test]
    fn edn_maps() {
        let h = r#"{:process 0, :type :invoke, :f :put, :key "x", :value 1}
{:process 0, :type :ok, :f :put, :key "x", :value 1}
{:process 1, :type :invoke, :f :get, :key "x", :value nil}
{:process :nemesis, :type :info, :f :start, :value nil}
{:process 1, :type :ok, :f :get, :key "x", :value 1}
{:process 2, :type :invoke, :f :get, :key "y", :value nil}
{:process 2, :type :ok, :f :get, :key "y", :value nil, :time 123}
"#;
        assert_eq!(verdict(h, Model::Kv), "linearizable");
        let bad = h.replace(
            ":ok, :f :get, :key \"x\", :value 1",
            ":ok, :f :get, :key \"x\", :value nil",
        );
        assert_eq!(verdict(&bad, Model::Kv), "not_linearizable");
    }

    #[test]
    fn own_json_export() {
        let h = r#"{"process":0,"type":"invoke","f":"write","key":"k0","value":5,"time":10}
{"process":0,"type":"ok","f":"write","key":"k0","value":5,"time":14}
{"process":1,"type":"invoke","f":"read","key":"k0","value":null,"time":20}
{"process":1,"type":"ok","f":"read","key":"k0","value":5,"time":24}
"#;
        assert_eq!(verdict(h, Model::Kv), "linearizable");
    }

    #[test]
    fn bad_input_is_an_error_naming_the_line_never_a_panic() {
        let cases = [
            ("INFO jepsen.util - x :invoke :read nil", "line 1"),
            ("INFO jepsen.util - 1 :begin :read nil", "unknown type"),
            ("INFO jepsen.util - 1 :invoke :frob nil", "unknown operation"),
            ("INFO jepsen.util - 1 :invoke :read \"abc", "unterminated"),
            ("{:process 0, :type :invoke, :f :read", "end of line"),
            ("{:process -1, :type :invoke, :f :read}", ":process"),
            ("{\"process\":0,\"type\":\"nope\"}", "not a history event"),
            ("nothing to see", "no operations"),
            ("", "no operations"),
            ("{:process 0 :type :invoke :f :read :value [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", "deeply"),
        ];
        for (text, want) in cases {
            let e = parse(text).expect_err(text);
            assert!(e.contains(want), "{text}: {e}");
        }
        // Pairing errors name the line too.
        let ev = parse("INFO jepsen.util - 1 :ok :read 3").expect("parses");
        assert!(pair(&ev).expect_err("unpaired").contains("line 1"));
        // Arbitrary bytes never panic.
        for s in [
            "{",
            "{{{",
            "#",
            "#{",
            "{:a}",
            "[",
            "{\"",
            "INFO jepsen.util - ",
            "{:process 1 :type",
        ] {
            let _ = parse(s);
        }
    }
}
