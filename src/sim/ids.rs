//! The ids every module shares: nodes, messages, resource keys and virtual time. They sit at
//! the bottom of the simulation so the engine, the protocols, the views and the tools can all
//! name them without importing one another.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use super::time::Time;

/// Index of a node in the world (servers and clients alike), stable for the world's life:
/// removed nodes keep their slot, so indices in an old trace still mean the same node.
pub type NodeIx = u32;

/// Identifies a message for its whole life (drop-by-id, witnesses, the UI's arrows).
pub type MsgId = u64;

/// What a node is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A ring member running the server protocols.
    Server,
    /// A client: can be partitioned or crashed, runs no server protocols.
    Client,
}

/// A lockable resource (or a storage key: a lock fences the key with its own name), e.g.
/// `sku:42`. At most [`ResKey::MAX_BYTES`] bytes of UTF-8 without control characters, so it
/// fits inline in a message and the trace stays readable without a lookup table.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResKey([u8; ResKey::MAX_BYTES]);

impl ResKey {
    /// Longest name in bytes.
    pub const MAX_BYTES: usize = 16;

    /// Checks and stores a name; the error says what is wrong with it.
    pub fn new(name: &str) -> Result<Self, String> {
        if name.is_empty() || name.len() > Self::MAX_BYTES {
            return Err(format!(
                "resource names are 1..={} bytes, got {} (\"{name}\")",
                Self::MAX_BYTES,
                name.len()
            ));
        }
        if name.chars().any(|c| c.is_control()) {
            return Err(format!(
                "resource names cannot contain control characters: {name:?}"
            ));
        }
        let mut b = [0u8; Self::MAX_BYTES];
        b[..name.len()].copy_from_slice(name.as_bytes());
        Ok(ResKey(b))
    }

    /// The name. Construction guarantees UTF-8 without NUL, so this never fails in practice.
    pub fn as_str(&self) -> &str {
        let end = self.0.iter().position(|&c| c == 0).unwrap_or(self.0.len());
        std::str::from_utf8(&self.0[..end]).unwrap_or("?")
    }

    /// The name's bytes as two big-endian halves: comparing (first, second) is the derived
    /// order, so a sort on u64 keys (`sim::sort`) can put names in it.
    pub fn halves(&self) -> (u64, u64) {
        let mut a = [0u8; 8];
        let mut b = [0u8; 8];
        a.copy_from_slice(&self.0[..8]);
        b.copy_from_slice(&self.0[8..]);
        (u64::from_be_bytes(a), u64::from_be_bytes(b))
    }

    /// Position on the ring (the placement contract's hash of the name).
    pub fn hash(&self) -> u64 {
        crate::sim::hash::pos(self.as_str())
    }
}

impl fmt::Display for ResKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ResKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl Serialize for ResKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ResKey::new(&s).map_err(serde::de::Error::custom)
    }
}
