//! Field-by-field reading of parsed JSON with the exact path of anything wrong
//! ("protocols.locks.ttl_ms: expected a whole number ≥ 0, got -5"). The scenario reader and
//! every protocol's config reader share it, so each protocol reads its own section and an
//! unknown field still fails with its full path.

use std::fmt;

use serde_json::{Map, Value};

/// A decoding or validation error: where (JSON path, maybe line/column) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// JSON path of the offending field ("schedule[2].at_ms"), or "" for the whole file.
    pub path: String,
    /// Line and column (1-based) when the JSON parser knows them.
    pub line: Option<(usize, usize)>,
    /// What is wrong and, when possible, how to fix it.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() || self.path == "." {
            "scenario"
        } else {
            &self.path
        };
        match self.line {
            Some((l, c)) => write!(f, "{path} (line {l}, column {c}): {}", self.message),
            None => write!(f, "{path}: {}", self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// A reader's result: the value, or where and why it is wrong.
pub type R<T> = Result<T, ScenarioError>;

pub fn fail<T>(path: &str, message: impl Into<String>) -> R<T> {
    Err(ScenarioError {
        path: path.to_string(),
        line: None,
        message: message.into(),
    })
}

/// An object whose fields are taken one by one; what is left at the end is unknown.
pub struct Obj {
    /// Where this object sits in the file (`protocols.locks`), for error paths.
    pub path: String,
    /// The fields not read yet.
    pub m: Map<String, Value>,
}

impl Obj {
    pub fn new(path: &str, v: Value) -> R<Obj> {
        match v {
            Value::Object(m) => Ok(Obj {
                path: path.to_string(),
                m,
            }),
            other => fail(path, format!("expected an object, got {}", kind(&other))),
        }
    }

    pub fn at(&self, k: &str) -> String {
        if self.path.is_empty() {
            k.to_string()
        } else {
            format!("{}.{k}", self.path)
        }
    }

    /// A field's value; absent or `null` is None.
    pub fn opt(&mut self, k: &str) -> Option<(String, Value)> {
        let at = self.at(k);
        self.m.remove(k).filter(|v| !v.is_null()).map(|v| (at, v))
    }

    pub fn req(&mut self, k: &str) -> R<(String, Value)> {
        match self.opt(k) {
            Some(x) => Ok(x),
            None => fail(&self.at(k), "missing"),
        }
    }

    pub fn u64_or(&mut self, k: &str, d: u64) -> R<u64> {
        self.opt(k).map_or(Ok(d), |(p, v)| uint(&p, &v))
    }

    pub fn u32_or(&mut self, k: &str, d: u32) -> R<u32> {
        self.opt(k).map_or(Ok(d), |(p, v)| small(&p, &v))
    }

    pub fn f64_or(&mut self, k: &str, d: f64) -> R<f64> {
        self.opt(k).map_or(Ok(d), |(p, v)| match v.as_f64() {
            Some(x) => Ok(x),
            None => fail(&p, format!("expected a number, got {}", kind(&v))),
        })
    }

    pub fn bool_or(&mut self, k: &str, d: bool) -> R<bool> {
        self.opt(k).map_or(Ok(d), |(p, v)| match v {
            Value::Bool(b) => Ok(b),
            other => fail(&p, format!("expected true or false, got {}", kind(&other))),
        })
    }

    pub fn str_or(&mut self, k: &str, d: &str) -> R<String> {
        self.opt(k).map_or(Ok(d.to_string()), |(p, v)| text(&p, v))
    }

    pub fn opt_u64(&mut self, k: &str) -> R<Option<u64>> {
        self.opt(k).map(|(p, v)| uint(&p, &v)).transpose()
    }

    pub fn list<T>(&mut self, k: &str, item: impl Fn(&str, Value) -> R<T>) -> R<Vec<T>> {
        self.opt(k)
            .map_or(Ok(Vec::new()), |(p, v)| list(&p, v, item))
    }

    /// One of `names` (an enum written in snake_case), as its index.
    pub fn pick(&mut self, k: &str, names: &[&str]) -> R<Option<usize>> {
        let Some((p, v)) = self.opt(k) else {
            return Ok(None);
        };
        let s = text(&p, v)?;
        match names.iter().position(|n| *n == s) {
            Some(i) => Ok(Some(i)),
            None => fail(
                &p,
                format!("unknown value \"{s}\" (one of: {})", names.join(", ")),
            ),
        }
    }

    /// Fails on the first field nobody read.
    pub fn done(self, known: &str) -> R<()> {
        match self.m.keys().next() {
            Some(k) => fail(
                &self.at(k),
                format!("unknown field `{k}` (known here: {known})"),
            ),
            None => Ok(()),
        }
    }
}

pub fn kind(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() > 40 => "a long string".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        other => other.to_string(),
    }
}

pub fn uint(p: &str, v: &Value) -> R<u64> {
    match v.as_u64() {
        Some(x) => Ok(x),
        None => fail(
            p,
            format!(
                "expected a whole number ≥ 0, got {} (times, counts and sizes are whole numbers ≥ 0)",
                kind(v)
            ),
        ),
    }
}

pub fn small(p: &str, v: &Value) -> R<u32> {
    let x = uint(p, v)?;
    u32::try_from(x).or_else(|_| fail(p, format!("{x} is too large (at most {})", u32::MAX)))
}

pub fn text(p: &str, v: Value) -> R<String> {
    match v {
        Value::String(s) => Ok(s),
        other => fail(p, format!("expected a string, got {}", kind(&other))),
    }
}

pub fn list<T>(p: &str, v: Value, item: impl Fn(&str, Value) -> R<T>) -> R<Vec<T>> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, x)| item(&format!("{p}[{i}]"), x))
            .collect(),
        other => fail(p, format!("expected a list, got {}", kind(&other))),
    }
}

pub fn names(p: &str, v: Value) -> R<Vec<String>> {
    list(p, v, text)
}
