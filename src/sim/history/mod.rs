//! Histories of client operations (invoke / ok / fail / info, per process, in time order), as
//! the replicated store's clients record them and as Jepsen writes them, and the
//! linearizability checker that judges them. Pure code: it runs natively, in the CLI and in
//! the browser alike.

pub mod formats;
pub mod linearizable;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::sort::sort_by_u64;

/// A value as histories carry it: Jepsen's `nil`, integers, strings and vectors (a CAS's
/// `[old new]`, an append list).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Val {
    /// No value (`nil`, JSON `null`): a key never written.
    Nil,
    /// An integer.
    Int(i64),
    /// A string (or a keyword read from EDN).
    Str(String),
    /// A vector or list.
    List(Vec<Val>),
}

impl Val {
    /// Reads compare an empty list and `nil` as the same (an append key never appended to).
    fn normal(&self) -> &Val {
        match self {
            Val::List(l) if l.is_empty() => &Val::Nil,
            v => v,
        }
    }

    /// Same value, treating `nil` and `[]` alike.
    pub fn same(&self, o: &Val) -> bool {
        self.normal() == o.normal()
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Nil => write!(f, "nil"),
            Val::Int(i) => write!(f, "{i}"),
            Val::Str(s) => write!(f, "{s:?}"),
            Val::List(l) => {
                write!(f, "[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        write!(f, " ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
        }
    }
}

/// Where an event stands in an operation's life (Jepsen's `:type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The client sent the request.
    Invoke,
    /// It completed and took effect (with its result).
    Ok,
    /// It certainly did not take effect.
    Fail,
    /// Outcome unknown (timed out): it may take effect at any later time, or never.
    Info,
}

/// What an operation does (Jepsen's `:f`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum F {
    /// Read (`read`, `get`, `r`).
    Read,
    /// Overwrite (`write`, `put`, `w`).
    Write,
    /// Compare-and-set `[old new]`.
    Cas,
    /// Append to a list.
    Append,
}

impl F {
    /// Reads Jepsen's and the project's names for an operation.
    pub fn parse(s: &str) -> Option<F> {
        match s {
            "read" | "get" | "r" => Some(F::Read),
            "write" | "put" | "w" => Some(F::Write),
            "cas" => Some(F::Cas),
            "append" => Some(F::Append),
            _ => None,
        }
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            F::Read => "read",
            F::Write => "write",
            F::Cas => "cas",
            F::Append => "append",
        }
    }
}

/// One line of a history: a process invoking or completing an operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The client process (Jepsen's `:process`).
    pub process: u64,
    /// Invoke, ok, fail or info.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// The operation.
    pub f: F,
    /// The key, for key-value histories (absent for a single register).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Argument on invoke (a write's value, a CAS's `[old new]`), result on a read's ok.
    #[serde(default = "nil")]
    pub value: Val,
    /// Virtual time in ms (the project's export); absent in Jepsen logs (line order is time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<u64>,
}

fn nil() -> Val {
    Val::Nil
}

/// An operation paired from its invoke and completion: the unit the checker orders.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Op {
    /// Index among the checked operations.
    pub id: usize,
    /// The client process.
    pub process: u64,
    /// What it does.
    pub f: F,
    /// Its key ("" for a single register).
    pub key: String,
    /// The write's value, the CAS's `[old new]`, or the value a read returned.
    pub value: Val,
    /// When it was invoked.
    pub invoke: u64,
    /// When it completed; `None` when the outcome is unknown (info, or never completed).
    pub ret: Option<u64>,
    /// The history line (1-based) of its invoke.
    pub line: usize,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process {} {}", self.process, self.f.name())?;
        if !self.key.is_empty() {
            write!(f, " {:?}", self.key)?;
        }
        write!(f, " {} [{}, ", self.value, self.invoke)?;
        match self.ret {
            Some(r) => write!(f, "{r}]")?,
            None => write!(f, "unknown)")?,
        }
        write!(f, " (line {})", self.line)
    }
}

/// Pairs invokes with completions, per process: ok operations keep their result, failed ones
/// are dropped (they did not happen), info and never-completed ones stay open-ended (except
/// reads, which then constrain nothing). Time is the event's `time`, or its line number.
pub fn pair(events: &[(usize, Event)]) -> Result<Vec<Op>, String> {
    let mut open: BTreeMap<u64, (usize, &Event, u64)> = BTreeMap::new();
    let mut ops = Vec::new();
    let mut push = |inv: &Event, line: usize, t0: u64, ret: Option<u64>, value: Val| {
        ops.push(Op {
            id: 0,
            process: inv.process,
            f: inv.f,
            key: inv.key.clone().unwrap_or_default(),
            value,
            invoke: t0,
            ret,
            line,
        });
    };
    for (line, e) in events {
        let t = e.time.unwrap_or(*line as u64);
        match e.kind {
            Kind::Invoke => {
                if let Some((l, _, _)) = open.get(&e.process) {
                    return Err(format!(
                        "line {line}: process {} invokes again while its operation from line {l} is still open",
                        e.process
                    ));
                }
                open.insert(e.process, (*line, e, t));
            }
            k => {
                let Some((l, inv, t0)) = open.remove(&e.process) else {
                    return Err(format!(
                        "line {line}: process {} completes an operation it never invoked",
                        e.process
                    ));
                };
                if inv.f != e.f {
                    return Err(format!(
                        "line {line}: process {} completes a {} but invoked a {} on line {l}",
                        e.process,
                        e.f.name(),
                        inv.f.name()
                    ));
                }
                match (k, inv.f) {
                    (Kind::Fail, _) | (Kind::Info, F::Read) => {}
                    (Kind::Ok, F::Read) => push(inv, l, t0, Some(t), e.value.clone()),
                    (Kind::Ok, _) => push(inv, l, t0, Some(t), inv.value.clone()),
                    _ => push(inv, l, t0, None, inv.value.clone()),
                }
            }
        }
    }
    for (l, inv, t0) in open.into_values() {
        if inv.f != F::Read {
            push(inv, l, t0, None, inv.value.clone());
        }
    }
    // By (invoke, line): two stable passes, least significant first, through the shared sort.
    sort_by_u64(&mut ops, |o| o.line as u64);
    sort_by_u64(&mut ops, |o| o.invoke);
    for (i, o) in ops.iter_mut().enumerate() {
        o.id = i;
    }
    Ok(ops)
}
