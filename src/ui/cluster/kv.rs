//! The replicated store's panel: the run's counters at the playhead (lost acknowledged
//! writes named), mode switches that apply as a `kv_set` command at the playhead (forking
//! the timeline when it is in the past, so the run up to there is kept), and the modes
//! compared side by side on the same seed and faults, as the lock recipes are.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::panel_ctx::{Memo, PanelCtx};
use crate::model::kv_compare::{compare, latency, Compared};
use crate::model::session::Session;
use crate::sim::cmd::Cmd;
use crate::sim::ids::Time;
use crate::sim::proto::kv::{
    key_name, Kv, KvCfg, KvCmd, KvSet, KvShared, Mode, Replication, Resolve,
};
use crate::sim::proto::ProtoCmd;
use crate::sim::text::group_digits;

/// A switch: its label, its choices, the current one, and the change a choice asks for.
struct Switch {
    label: &'static str,
    choices: Vec<String>,
    current: usize,
    set: fn(usize) -> KvSet,
}

fn on_off(b: bool) -> usize {
    usize::from(b)
}

/// The switches of the loaded mode (primary/replica or Dynamo), read from `c`.
fn switches(c: &KvCfg, servers: usize) -> Vec<Switch> {
    let two = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
    match c.mode {
        Mode::Primary => vec![
            Switch {
                label: "replication",
                choices: two("asynchronous", "synchronous (majority)"),
                current: on_off(c.replication == Replication::Sync),
                set: |i| KvSet {
                    replication: Some(if i == 1 {
                        Replication::Sync
                    } else {
                        Replication::Async
                    }),
                    ..KvSet::default()
                },
            },
            Switch {
                label: "failover",
                choices: two("unfenced", "fenced (epochs)"),
                current: on_off(c.fencing),
                set: |i| KvSet {
                    fencing: Some(i == 1),
                    ..KvSet::default()
                },
            },
        ],
        Mode::Dynamo => {
            let upto = |n: usize| (1..=n).map(|k| k.to_string()).collect::<Vec<_>>();
            vec![
                Switch {
                    label: "quorum",
                    choices: two("strict", "sloppy (hinted handoff)"),
                    current: on_off(c.sloppy),
                    set: |i| KvSet {
                        sloppy: Some(i == 1),
                        ..KvSet::default()
                    },
                },
                Switch {
                    label: "N",
                    choices: upto(servers.min(9)),
                    current: (c.n as usize).saturating_sub(1),
                    set: |i| KvSet {
                        n: Some(i as u8 + 1),
                        ..KvSet::default()
                    },
                },
                Switch {
                    label: "R",
                    choices: upto(c.n as usize),
                    current: (c.r as usize).saturating_sub(1),
                    set: |i| KvSet {
                        r: Some(i as u8 + 1),
                        ..KvSet::default()
                    },
                },
                Switch {
                    label: "W",
                    choices: upto(c.n as usize),
                    current: (c.w as usize).saturating_sub(1),
                    set: |i| KvSet {
                        w: Some(i as u8 + 1),
                        ..KvSet::default()
                    },
                },
                Switch {
                    label: "read repair",
                    choices: two("off", "on"),
                    current: on_off(c.read_repair),
                    set: |i| KvSet {
                        read_repair: Some(i == 1),
                        ..KvSet::default()
                    },
                },
                Switch {
                    label: "conflicts",
                    choices: two("last writer wins", "version vectors"),
                    current: on_off(c.resolve == Resolve::Vv),
                    set: |i| KvSet {
                        resolve: Some(if i == 1 { Resolve::Vv } else { Resolve::Lww }),
                        ..KvSet::default()
                    },
                },
            ]
        }
    }
}

/// The counters shown at the playhead: (heading, value).
fn counters(c: &KvCfg, s: &KvShared) -> Vec<(&'static str, String)> {
    let st = &s.stats;
    let acked = s.writes.values().filter(|w| w.acked.is_some()).count();
    let lost = if s.cart {
        "not judged".to_string()
    } else {
        s.lost(c.mode == Mode::Dynamo).len().to_string()
    };
    let mut v = vec![
        ("operations", group_digits(st.ops)),
        ("ok", group_digits(st.ok)),
        ("failed", group_digits(st.fail)),
        ("unknown (timed out)", group_digits(st.info)),
        ("acknowledged writes", group_digits(acked as u64)),
        ("lost acknowledged writes", lost),
        ("stale reads", group_digits(s.stale.len() as u64)),
        ("latency (ms)", latency(s).to_string()),
    ];
    match c.mode {
        Mode::Primary => v.extend([
            ("promotions", group_digits(st.promotions)),
            ("demoted primaries", group_digits(st.demotions)),
            ("discarded by resync", group_digits(st.discarded)),
            ("refused (old epoch)", group_digits(st.refused)),
        ]),
        Mode::Dynamo => v.extend([
            ("siblings merged", group_digits(st.siblings)),
            ("hints", group_digits(st.hints)),
            ("handed back", group_digits(st.handoffs)),
            ("hints expired", group_digits(st.hints_expired)),
            ("read repairs", group_digits(st.repairs)),
            ("LWW drops", group_digits(st.lww_drops)),
            ("keys streamed", group_digits(st.streamed)),
        ]),
    }
    v.push(("messages", group_digits(st.messages)));
    v
}

/// Primary mode with shards: each shard's keys, servers, primary, epoch, lag and
/// promotions at the playhead (nothing with one shard: the canvas says it all).
fn shard_table(w: &crate::sim::world::World, k: &KvShared) -> Html {
    let v = crate::view::kv_scene::shards(w);
    if v.len() < 2 {
        return Html::default();
    }
    let rows = v
        .iter()
        .map(|s| {
            let names = |ix: &[u32]| ix.iter().map(|&i| w.name(i)).collect::<Vec<_>>().join(" ");
            let mut primary = s.primary.map_or("none".to_string(), |p| w.name(p));
            if !s.stale_primaries.is_empty() {
                primary.push_str(&format!(" (also {})", names(&s.stale_primaries)));
            }
            let cells = vec![
                format!("s{}", s.shard),
                s.keys
                    .iter()
                    .map(|&k| key_name(k))
                    .collect::<Vec<_>>()
                    .join(" "),
                names(&s.servers),
                primary,
                s.epoch.to_string(),
                s.lag.to_string(),
                k.stats
                    .promotions_by_shard
                    .get(s.shard)
                    .copied()
                    .unwrap_or(0)
                    .to_string(),
            ];
            let class = if !s.stale_primaries.is_empty() || s.primary.is_none() {
                Some("clash")
            } else if s.lag > 0 {
                Some("doubt")
            } else {
                None
            };
            (cells, class)
        })
        .collect();
    super::panel_table::table(
        "Shards",
        Some("kv-shards"),
        &[
            "Shard",
            "Keys",
            "Servers",
            "Primary",
            "Epoch",
            "Lag",
            "Failovers",
        ],
        rows,
    )
}

/// The panel (nothing when the scenario has no replicated store).
pub fn view(cx: &PanelCtx<'_>) -> Html {
    let s = cx.session;
    let w = s.world();
    let Some(cfg) = w.cfg::<Kv>() else {
        return Html::default();
    };
    let k = w.shared::<Kv>();
    let stats = counters(cfg, k);
    let lost = if k.cart {
        Vec::new()
    } else {
        k.lost(cfg.mode == Mode::Dynamo)
    };
    let servers = s.scenario().server_names().len();
    let at = group_digits(cx.vt.max(0.0) as u64);
    let past = !s.timeline().at_head();
    html! {
        <section class="panel kv" aria-labelledby="kv-h">
            <h2 id="kv-h">{"Replicated store"}</h2>
            <p data-kv-variant={cfg.variant()}>{ format!("Mode at the playhead: {}", cfg.variant()) }</p>
            <dl class="lock-stats kv-counters" aria-label="Store counters">
                { for stats.into_iter().map(|(name, v)| html! {
                    <div data-stat={name}><dt>{ name }</dt><dd>{ v }</dd></div>
                }) }
            </dl>
            { shard_table(w, k) }
            if !lost.is_empty() {
                <p class="error" role="status" data-kv-lost={lost.len().to_string()}>
                    { format!("lost acknowledged writes: {}", lost.iter().take(30).map(|(k, v)| format!("{}={v}", key_name(*k))).collect::<Vec<_>>().join(" ")) }
                    if lost.len() > 30 { { format!(" and {} more", lost.len() - 30) } }
                </p>
            }
            <div class="row kv-switches">
                { for switches(cfg, servers).into_iter().map(|sw| {
                    let on = cx.on_cmd.clone();
                    let set = sw.set;
                    let onchange = Callback::from(move |e: Event| {
                        let i: usize = e.target_unchecked_into::<HtmlSelectElement>().value().parse().unwrap_or(0);
                        on.emit(Cmd::Proto(ProtoCmd::Kv(KvCmd::KvSet(set(i)))));
                    });
                    html! {
                        <label>{ sw.label }{" "}
                            <select aria-label={sw.label} {onchange}>
                                { for sw.choices.iter().enumerate().map(|(i, c)| html! {
                                    <option value={i.to_string()} selected={i == sw.current}>{ c.clone() }</option>
                                }) }
                            </select>
                        </label>
                    }
                }) }
            </div>
            <p class="muted">{ if past {
                format!("A switch applies at the playhead ({at} ms) and forks: the run up to there is kept, the rest replays with the new setting.")
            } else {
                format!("A switch applies at the playhead ({at} ms), as a kv_set command.")
            } }</p>
            if let Some(e) = cx.cmd_error {
                <p class="error" role="status">{ e.to_string() }</p>
            }
            { compare_view(cx, cfg) }
        </section>
    }
}

/// Where the panel keeps its last "Compare modes" table (see `PanelMemo`).
const COMPARED: &str = "kv.compared";

/// What the session's commands are: a new command or a fork changes it, so a table
/// compared on other commands is not shown as this session's.
fn commands_stamp(s: &Session) -> String {
    let t = s.timeline();
    format!("{} commands, {} forks", t.log().len(), t.forks().len())
}

/// A comparison as the memo keeps it: the commands' stamp, the sentence, then one row per
/// mode, its cells and a last cell "at" for the mode at the playhead.
fn to_memo(stamp: String, c: Result<Compared, String>) -> Memo {
    Memo::Table(c.map(|c| {
        let mut rows = vec![vec![stamp], vec![c.what]];
        rows.extend(c.rows.into_iter().map(|(mut cells, same)| {
            cells.push(if same { "at" } else { "" }.to_string());
            cells
        }));
        rows
    }))
}

/// "Compare modes": runs on a click, from the scenario as loaded plus the user's commands
/// up to the playhead; the table stays until the scenario or the commands change.
fn compare_view(cx: &PanelCtx<'_>, current: &KvCfg) -> Html {
    let s = cx.session;
    let stamp = commands_stamp(s);
    let onclick = {
        let (scenario, inputs) = (s.scenario_rc(), s.timeline().log().to_vec());
        let (upto, current, stamp) = (cx.vt.max(0.0) as Time, current.clone(), stamp.clone());
        cx.on_memo.reform(move |_: MouseEvent| {
            let c = compare(&scenario, &inputs, upto, Some(&current));
            (COMPARED, Some(to_memo(stamp.clone(), c)))
        })
    };
    let head = [
        "Mode",
        "Lost acked writes",
        "Stale reads",
        "Siblings",
        "Verdict",
        "Latency (ms)",
        "Ok / unknown",
        "Messages",
    ];
    let table = match cx.memo.table(COMPARED) {
        Some(Err(e)) => html! { <p class="error" role="status">{ e.clone() }</p> },
        Some(Ok(rows)) if rows.first().and_then(|r| r.first()) == Some(&stamp) => html! {
            <>
            <p class="muted small" data-kv-compared="">{ rows.get(1).and_then(|r| r.first()).cloned().unwrap_or_default() }</p>
            <table class="lock-table kv-compare-table" aria-label="Modes compared">
                <thead><tr>{ for head.iter().map(|h| html! { <th>{ *h }</th> }) }</tr></thead>
                <tbody>
                    { for rows.iter().skip(2).map(|r| {
                        let (cells, same) = match r.split_last() {
                            Some((at, cells)) => (cells, at == "at"),
                            None => (&r[..], false),
                        };
                        let bad = cells.get(1).is_some_and(|l| l != "0" && l != "not judged");
                        html! {
                            <tr class={classes!(bad.then_some("clash"), same.then_some("current"))}>
                                { for cells.iter().enumerate().map(|(i, c)| if i == 0 {
                                    html! { <th scope="row">{ c.clone() }{ if same { " (at the playhead)" } else { "" } }</th> }
                                } else {
                                    html! { <td>{ c.clone() }</td> }
                                }) }
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            </>
        },
        _ => Html::default(),
    };
    html! {
        <div class="kv-compare">
            <div class="row">
                <button {onclick}>{"Compare modes"}</button>
                <span class="muted">{"same seed, faults and your commands up to the playhead, each mode from the start"}</span>
            </div>
            { table }
        </div>
    }
}
