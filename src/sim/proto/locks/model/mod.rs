//! Pure command-level models of the real servers the lock recipes run on (Redis, etcd,
//! ZooKeeper): what each command does to the server's state and what its client prints.
//! The lab's lock servers decide with these modules' per-key rules, `ringlab-cli kv` runs
//! whole scripts through them, and the conformance tests (`tests/conformance/`) compare them
//! reply by reply with `redis-server`, `etcd` and ZooKeeper. docs/locks.md lists the subset.

pub mod etcd;
pub mod redis;
pub mod zk;
