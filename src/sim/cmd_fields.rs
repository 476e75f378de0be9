//! The fields of one command object, read by name with messages that name the op and the
//! field. The engine's command reader and every protocol's `read_cmd` use it; it sits at the
//! bottom so protocols need nothing of the reader itself.

use serde_json::{Map, Value};

use super::ids::ResKey;

/// The fields of one command not read yet; what is left at the end is unknown. Protocols
/// read their own commands with it, so every message names the op and the field.
pub struct Fields<'a> {
    /// The command's op, for messages.
    pub op: &'a str,
    /// The fields not read yet.
    pub m: Map<String, Value>,
}

impl Fields<'_> {
    pub fn take(&mut self, k: &str) -> Result<Value, String> {
        self.m
            .remove(k)
            .ok_or_else(|| format!("`{}` needs field `{k}`", self.op))
    }

    pub fn bad(&self, k: &str, want: &str, got: &Value) -> String {
        format!("`{}`.{k}: expected {want}, got {got}", self.op)
    }

    /// An optional field: absent or `null` is None.
    pub fn opt<T>(
        &mut self,
        read: fn(&mut Self, &str) -> Result<T, String>,
        k: &str,
    ) -> Result<Option<T>, String> {
        match self.m.get(k) {
            None | Some(Value::Null) => {
                self.m.remove(k);
                Ok(None)
            }
            Some(_) => read(self, k).map(Some),
        }
    }

    pub fn string(&mut self, k: &str) -> Result<String, String> {
        let v = self.take(k)?;
        self.as_string(k, v)
    }

    pub fn as_string(&self, k: &str, v: Value) -> Result<String, String> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(self.bad(k, "a string", &other)),
        }
    }

    pub fn u64(&mut self, k: &str) -> Result<u64, String> {
        let v = self.take(k)?;
        v.as_u64()
            .ok_or_else(|| self.bad(k, "a whole number ≥ 0", &v))
    }

    pub fn i64(&mut self, k: &str) -> Result<i64, String> {
        let v = self.take(k)?;
        v.as_i64().ok_or_else(|| self.bad(k, "a whole number", &v))
    }

    pub fn i32(&mut self, k: &str) -> Result<i32, String> {
        let v = self.take(k)?;
        v.as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| self.bad(k, "a whole number within ±2147483647", &v))
    }

    pub fn f64(&mut self, k: &str) -> Result<f64, String> {
        let v = self.take(k)?;
        v.as_f64().ok_or_else(|| self.bad(k, "a number", &v))
    }

    pub fn bool(&mut self, k: &str) -> Result<bool, String> {
        match self.take(k)? {
            Value::Bool(b) => Ok(b),
            other => Err(self.bad(k, "true or false", &other)),
        }
    }

    pub fn res(&mut self, k: &str) -> Result<ResKey, String> {
        let v = self.take(k)?;
        self.as_res(k, v)
    }

    pub fn as_res(&mut self, k: &str, v: Value) -> Result<ResKey, String> {
        let s = self.as_string(k, v)?;
        ResKey::new(&s).map_err(|e| format!("`{}`.{k}: {e}", self.op))
    }

    pub fn list<T>(
        &mut self,
        k: &str,
        mut item: impl FnMut(&mut Self, &str, Value) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        match self.take(k)? {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| item(self, &format!("{k}[{i}]"), v))
                .collect(),
            other => Err(self.bad(k, "a list", &other)),
        }
    }
}
