//! The replicated store's panel: the run's counters at the playhead (lost acknowledged
//! writes named), mode switches that apply as a `kv_set` command at the playhead (forking
//! the timeline when it is in the past, so the run up to there is kept), and the modes
//! compared side by side on the same seed and faults, as the lock recipes are.

use std::rc::Rc;

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::panel_ctx::PanelCtx;
use crate::model::kv_compare::{compare, latency, Compared};
use crate::sim::cmd::Cmd;
use crate::sim::ids::Time;
use crate::sim::proto::kv::{
    key_name, Kv, KvCfg, KvCmd, KvSet, KvShared, Mode, Replication, Resolve,
};
use crate::sim::proto::ProtoCmd;
use crate::sim::scenario::Scenario;
use crate::sim::text::group_digits;
use crate::sim::timeline::Input;

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
            <Compare scenario={s.scenario_rc()} inputs={Rc::new(s.timeline().log().to_vec())}
                upto={cx.vt.max(0.0) as Time} current={Some(cfg.clone())} />
        </section>
    }
}

/// The comparison's props: the scenario as loaded, the user's commands (the session's log),
/// the playhead and the store's mode there.
#[derive(Properties)]
pub struct CompareProps {
    /// The loaded scenario.
    pub scenario: Rc<Scenario>,
    /// The session's live commands on the current branch.
    pub inputs: Rc<Vec<Input>>,
    /// The playhead (ms): commands up to here are compared.
    pub upto: Time,
    /// The store's settings at the playhead.
    pub current: Option<KvCfg>,
}

impl PartialEq for CompareProps {
    fn eq(&self, o: &Self) -> bool {
        self.scenario.id == o.scenario.id
            && self.scenario.protocols.kv == o.scenario.protocols.kv
            && self.inputs == o.inputs
            && self.upto == o.upto
            && self.current == o.current
    }
}

/// "Compare modes": runs on a click, keeps its table until the scenario changes.
#[function_component(Compare)]
pub fn compare_view(p: &CompareProps) -> Html {
    let rows = use_state(|| None::<Result<Compared, String>>);
    {
        // A new scenario or new commands: the table no longer says what is loaded.
        let rows = rows.clone();
        let key = (
            p.scenario.id.clone(),
            p.scenario.protocols.kv.clone(),
            p.inputs.clone(),
        );
        use_effect_with(key, move |_| rows.set(None));
    }
    let onclick = {
        let rows = rows.clone();
        let (s, inputs, upto, current) = (
            p.scenario.clone(),
            p.inputs.clone(),
            p.upto,
            p.current.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            rows.set(Some(compare(&s, &inputs, upto, current.as_ref())))
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
    html! {
        <div class="kv-compare">
            <div class="row">
                <button {onclick}>{"Compare modes"}</button>
                <span class="muted">{"same seed, faults and your commands up to the playhead, each mode from the start"}</span>
            </div>
            { match &*rows {
                None => Html::default(),
                Some(Err(e)) => html! { <p class="error" role="status">{ e.clone() }</p> },
                Some(Ok(Compared { rows: r, what })) => html! {
                    <>
                    <p class="muted small" data-kv-compared="">{ what.clone() }</p>
                    <table class="lock-table kv-compare-table" aria-label="Modes compared">
                        <thead><tr>{ for head.iter().map(|h| html! { <th>{ *h }</th> }) }</tr></thead>
                        <tbody>
                            { for r.iter().map(|(cells, same)| {
                                let bad = cells.get(1).is_some_and(|l| l != "0" && l != "not judged");
                                html! {
                                    <tr class={classes!(bad.then_some("clash"), same.then_some("current"))}>
                                        { for cells.iter().enumerate().map(|(i, c)| if i == 0 {
                                            html! { <th scope="row">{ c.clone() }{ if *same { " (at the playhead)" } else { "" } }</th> }
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
            } }
        </div>
    }
}
