//! Reads a [`Cmd`] from JSON by hand.
//!
//! serde's derive for an internally tagged enum buffers every field through its generic
//! `Content` machinery, once per variant: ~50 KB of the wasm bundle for 25 commands. This
//! reads the object as a `serde_json::Value` (code the bundle has anyway) and picks the
//! fields by name, with messages that name the op and the field.

use serde::{de::Error as _, Deserialize, Deserializer};
use serde_json::Value;

use super::cmd::Cmd;
use super::cmd_fields::Fields;
use super::proto::dispatch;

/// The engine's own ops; each protocol adds its own (see [`all_ops`]).
const ENGINE_OPS: &str = "add_node, remove_node, fail_node, recover_node, add_client, crash, \
recover, pause, clock_jump, set_skew, set_drift, partition, isolate, heal, drop_message, \
set_loss, set_dup, set_latency, set_link_latency, note, wipe_disk";

/// Every op a scenario may use, for the "unknown op" message.
pub fn all_ops() -> String {
    let mut all = ENGINE_OPS.to_string();
    for op in dispatch::ops() {
        all.push_str(", ");
        all.push_str(op);
    }
    all
}

impl<'de> Deserialize<'de> for Cmd {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        decode(Value::deserialize(d)?).map_err(D::Error::custom)
    }
}

/// Decodes one command object (`{"op": "crash", "node": "A"}`); unknown ops and unknown
/// fields are refused, like the rest of the scenario format.
pub fn decode(v: Value) -> Result<Cmd, String> {
    let Value::Object(mut m) = v else {
        return Err(r#"a command is an object like {"op": "crash", "node": "A"}"#.into());
    };
    let op = match m.remove("op") {
        Some(Value::String(s)) => s,
        Some(other) => return Err(format!("`op` must be a string, got {other}")),
        None => return Err(format!("missing field `op` (one of {})", all_ops())),
    };
    let mut f = Fields { op: &op, m };
    let cmd = match op.as_str() {
        "add_node" => Cmd::AddNode {
            node: f.string("node")?,
            weight: f.opt(Fields::f64, "weight")?.unwrap_or(1.0),
        },
        "remove_node" => Cmd::RemoveNode {
            node: f.string("node")?,
        },
        "fail_node" => Cmd::FailNode {
            node: f.string("node")?,
        },
        "recover_node" => Cmd::RecoverNode {
            node: f.string("node")?,
        },
        "add_client" => Cmd::AddClient {
            node: f.string("node")?,
        },
        "crash" => Cmd::Crash {
            node: f.string("node")?,
        },
        "recover" => Cmd::Recover {
            node: f.string("node")?,
        },
        "pause" => Cmd::Pause {
            node: f.string("node")?,
            ms: f.u64("ms")?,
        },
        "clock_jump" => Cmd::ClockJump {
            node: f.string("node")?,
            delta_ms: f.i64("delta_ms")?,
        },
        "set_skew" => Cmd::SetSkew {
            node: f.string("node")?,
            offset_ms: f.i64("offset_ms")?,
        },
        "set_drift" => Cmd::SetDrift {
            node: f.string("node")?,
            ppm: f.i32("ppm")?,
        },
        "partition" => Cmd::Partition {
            side: f.list("side", |f, k, v| f.as_string(k, v))?,
        },
        "isolate" => Cmd::Isolate {
            node: f.string("node")?,
        },
        "heal" => Cmd::Heal,
        "drop_message" => Cmd::DropMessage { msg: f.u64("msg")? },
        "set_loss" => Cmd::SetLoss {
            loss: f.f64("loss")?,
        },
        "set_dup" => Cmd::SetDup { dup: f.f64("dup")? },
        "set_latency" => Cmd::SetLatency {
            base_ms: f.u64("base_ms")?,
            jitter_ms: f.u64("jitter_ms")?,
        },
        "set_link_latency" => Cmd::SetLinkLatency {
            from: f.string("from")?,
            to: f.string("to")?,
            base_ms: f.u64("base_ms")?,
            jitter_ms: f.opt(Fields::u64, "jitter_ms")?.unwrap_or(0),
            both_ways: f.opt(Fields::bool, "both_ways")?.unwrap_or(false),
        },
        "note" => Cmd::Note {
            text: f.string("text")?,
        },
        "wipe_disk" => Cmd::WipeDisk {
            node: f.string("node")?,
        },
        other => match dispatch::read_cmd(other, &mut f) {
            Some(c) => Cmd::Proto(c?),
            None => return Err(format!("unknown op `{op}` (one of {})", all_ops())),
        },
    };
    match f.m.keys().next() {
        Some(extra) => Err(format!("`{op}` has no field `{extra}`")),
        None => Ok(cmd),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ids::ResKey;

    fn err(json: &str) -> String {
        serde_json::from_str::<Cmd>(json).unwrap_err().to_string()
    }

    #[test]
    fn every_op_round_trips_through_its_serialized_form() {
        let all = [
            r#"{"op":"add_node","node":"E","weight":2.5}"#,
            r#"{"op":"remove_node","node":"E"}"#,
            r#"{"op":"fail_node","node":"E"}"#,
            r#"{"op":"recover_node","node":"E"}"#,
            r#"{"op":"add_client","node":"c9"}"#,
            r#"{"op":"crash","node":"A"}"#,
            r#"{"op":"recover","node":"A"}"#,
            r#"{"op":"pause","node":"A","ms":1500}"#,
            r#"{"op":"clock_jump","node":"A","delta_ms":-300}"#,
            r#"{"op":"set_skew","node":"A","offset_ms":40}"#,
            r#"{"op":"set_drift","node":"A","ppm":-200}"#,
            r#"{"op":"partition","side":["A","B"]}"#,
            r#"{"op":"isolate","node":"A"}"#,
            r#"{"op":"heal"}"#,
            r#"{"op":"drop_message","msg":17}"#,
            r#"{"op":"set_loss","loss":0.25}"#,
            r#"{"op":"set_dup","dup":0.5}"#,
            r#"{"op":"set_latency","base_ms":5,"jitter_ms":2}"#,
            r#"{"op":"set_link_latency","from":"A","to":"B","base_ms":9,"jitter_ms":1,"both_ways":true}"#,
            r#"{"op":"note","text":"hello"}"#,
            r#"{"op":"wipe_disk","node":"A"}"#,
            r#"{"op":"lock_job","client":"c1","locks":["sku:1","sku:2"],"work_ms":50,"write":"sku:1","wait_ms":900}"#,
            r#"{"op":"lock_acquire","client":"c1","resource":"sku:1","wait_ms":10}"#,
            r#"{"op":"lock_release","client":"c1","resource":"sku:1"}"#,
            r#"{"op":"set_fencing","on":true}"#,
            r#"{"op":"checkout","client":"web","items":[{"sku":"sku:1","qty":2},{"sku":"sku:2","qty":1}],"account":"account:7","amount":30,"fail_payment":true}"#,
            r#"{"op":"mq_produce","client":"shop","key":7,"count":2,"poison":true}"#,
            r#"{"op":"mq_join","client":"c3"}"#,
            r#"{"op":"mq_leave","client":"c3"}"#,
            r#"{"op":"mq_slow","client":"c1","process_ms":600}"#,
            r#"{"op":"mq_set","setting":"commit","value":"after"}"#,
            r#"{"op":"kv_set","replication":"sync","fencing":true,"sloppy":false,"n":3,"r":2,"w":2,"read_repair":false,"resolve":"vv"}"#,
            r#"{"op":"saga_fail","order":1,"step":"refund","times":2}"#,
            r#"{"op":"saga_relay_crash","node":"shop","step":"charge"}"#,
            // The engine tests' dummy protocol, registered in test builds.
            r#"{"op":"echo_now","node":"A"}"#,
            r#"{"op":"echo_local","node":"A"}"#,
        ];
        assert_eq!(
            all.len(),
            all_ops().split(", ").count(),
            "one sample per op"
        );
        for json in all {
            let c: Cmd = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            let back = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Cmd>(&back).unwrap(), c, "{json}");
            let want: Value = serde_json::from_str(json).unwrap();
            let got: Value = serde_json::from_str(&back).unwrap();
            assert_eq!(got, want, "serialized form differs");
        }
    }

    #[test]
    fn optional_fields_take_their_defaults() {
        let c: Cmd =
            serde_json::from_str(r#"{"op":"set_link_latency","from":"A","to":"B","base_ms":9}"#)
                .unwrap();
        assert_eq!(
            c,
            Cmd::SetLinkLatency {
                from: "A".into(),
                to: "B".into(),
                base_ms: 9,
                jitter_ms: 0,
                both_ways: false
            }
        );
        let j: Cmd =
            serde_json::from_str(r#"{"op":"lock_job","client":"c","locks":["a"],"write":null}"#)
                .unwrap();
        assert_eq!(
            j,
            Cmd::Proto(crate::sim::proto::ProtoCmd::Locks(
                crate::sim::proto::locks::LockCmd::LockJob {
                    client: "c".into(),
                    locks: vec![ResKey::new("a").unwrap()],
                    work_ms: 0,
                    write: None,
                    wait_ms: None
                }
            ))
        );
    }

    #[test]
    fn errors_name_the_op_and_the_field() {
        assert!(err(r#"{"op":"fly"}"#).contains("unknown op `fly`"));
        assert!(err(r#"{"node":"A"}"#).contains("missing field `op`"));
        assert!(err(r#"{"op":7}"#).contains("`op` must be a string"));
        assert!(err(r#"["crash"]"#).contains("a command is an object"));
        assert!(err(r#"{"op":"pause","node":"A"}"#).contains("`pause` needs field `ms`"));
        let e = err(r#"{"op":"pause","node":"A","ms":-5}"#);
        assert!(
            e.contains("`pause`.ms: expected a whole number ≥ 0, got -5"),
            "{e}"
        );
        let e = err(r#"{"op":"set_drift","node":"A","ppm":99999999999}"#);
        assert!(e.contains("`set_drift`.ppm"), "{e}");
        let e = err(r#"{"op":"partition","side":["A",3]}"#);
        assert!(
            e.contains("`partition`.side[1]: expected a string, got 3"),
            "{e}"
        );
        let e = err(r#"{"op":"lock_job","client":"c","locks":["ok","this-name-is-too-long"]}"#);
        assert!(
            e.contains("`lock_job`.locks[1]") && e.contains("1..=16 bytes"),
            "{e}"
        );
        let e = err(
            r#"{"op":"checkout","client":"w","items":[{"sku":"s","n":1}],"account":"a","amount":1}"#,
        );
        assert!(e.contains("`checkout`.items[0] has no field `n`"), "{e}");
        let c: Cmd = serde_json::from_str(
            r#"{"op":"checkout","client":"w","items":[{"sku":"s"}],"account":"a","amount":1}"#,
        )
        .unwrap();
        assert!(
            matches!(c, Cmd::Proto(crate::sim::proto::ProtoCmd::Tpc(crate::sim::proto::tpc::TpcCmd::Checkout { ref items, fail_payment: false, .. })) if items[0].qty == 1)
        );
        let e = err(r#"{"op":"set_fencing","on":"yes"}"#);
        assert!(e.contains("true or false"), "{e}");
    }
}
