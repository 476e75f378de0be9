//! The message-log panel: the run's counters and anomalies at the playhead, the group's
//! members with what they own, buttons to produce, add, crash or slow a consumer (commands
//! at the playhead, forking the past), switches for acks, min ISR, idempotence, unclean
//! election, commit mode, assignment and rebalance protocol (each an `mq_set` command at the
//! playhead: in the past it forks there, the history before it kept), and a comparison of
//! settings on the same seed and faults side by side (`model::mq_view`, kept in the lab's
//! `PanelMemo`).

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::panel_ctx::{Memo, PanelCtx};
use super::panel_table::plain as table;
use crate::model::mq_view::{compare, counters, COMPARE_HEAD};
use crate::sim::cmd::Cmd;
use crate::sim::proto::log::cfg::SETTINGS;
use crate::sim::proto::log::check::anomalies;
use crate::sim::proto::log::Mq;
use crate::sim::proto::log::{parts, MqCmd, MqNode};
use crate::sim::proto::{ProtoCmd, Protocol};

/// Where the panel keeps its last "Compare settings" table (see `PanelMemo`).
const COMPARED_KEY: &str = "mq.compared";

/// A setting the panel switches: its label, its scenario name (`mq_set`), the words shown
/// for each of its values (in [`SETTINGS`] order).
struct Switch {
    label: &'static str,
    setting: &'static str,
    choices: &'static [&'static str],
}

const SWITCHES: &[Switch] = &[
    Switch {
        label: "acks",
        setting: "acks",
        choices: &["0", "1", "all"],
    },
    Switch {
        label: "min ISR",
        setting: "min_isr",
        choices: &["1", "2", "3"],
    },
    Switch {
        label: "producer",
        setting: "idempotent",
        choices: &["plain", "idempotent"],
    },
    Switch {
        label: "unclean election",
        setting: "unclean",
        choices: &["off", "on"],
    },
    Switch {
        label: "commit",
        setting: "commit",
        choices: &["before processing", "after processing"],
    },
    Switch {
        label: "assignment",
        setting: "assignment",
        choices: &["range", "sticky"],
    },
    Switch {
        label: "rebalance",
        setting: "rebalance",
        choices: &["eager", "cooperative"],
    },
];

/// The scenario values of a setting (`SETTINGS`), empty for an unknown one.
fn words_of(setting: &str) -> &'static [&'static str] {
    SETTINGS
        .iter()
        .find(|(n, _)| *n == setting)
        .map_or(&[][..], |s| s.1)
}

/// The panel (nothing when the scenario has no message log).
pub fn view(ctx: &PanelCtx<'_>) -> Html {
    let w = ctx.session.world();
    let Some(cfg) = w.cfg::<Mq>() else {
        return Html::default();
    };
    let compared_on = ctx.session.scenario_rc();
    let on_compare = ctx
        .on_memo
        .reform(move |_: MouseEvent| (COMPARED_KEY, Some(Memo::Table(compare(&compared_on)))));
    let (head, values): (Vec<&str>, Vec<String>) = counters(w).into_iter().unzip();
    let a = anomalies(w.mq());
    let cmd = |c: Cmd| {
        let on = ctx.on_cmd.clone();
        Callback::from(move |_: MouseEvent| on.emit(c.clone()))
    };
    let proto = |c: MqCmd| Cmd::Proto(ProtoCmd::Mq(c));
    let clients: Vec<(String, bool, String)> = w
        .nodes()
        .iter()
        .enumerate()
        .filter_map(|(ix, n)| {
            let c = w
                .procs(ix as u32)
                .and_then(Mq::node)
                .and_then(MqNode::client)?;
            let owned: Vec<String> = parts(c.cons.owned).map(|p| format!("p{p}")).collect();
            Some((n.name.clone(), c.cons.on, owned.join(" ")))
        })
        .collect();
    let producer = cfg
        .producers
        .first()
        .cloned()
        .or_else(|| clients.first().map(|c| c.0.clone()));
    let joinable = clients
        .iter()
        .find(|c| !c.1 && Some(&c.0) != producer.as_ref())
        .map(|c| c.0.clone());
    let flagged = |v: &[u32]| {
        v.iter()
            .take(12)
            .map(|i| format!("m{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    html! {
        <section class="panel mq" aria-labelledby="mq-h">
            <h2 id="mq-h">{"Message log"}</h2>
            { table("Log counters", &head, vec![values]) }
            if !a.lost.is_empty() {
                <p class="error" role="status" data-anomaly="lost">{ format!("lost: {}", flagged(&a.lost)) }</p>
            }
            if !a.duplicated.is_empty() {
                <p class="error" role="status" data-anomaly="duplicated">{ format!("reprocessed (duplicated): {}", flagged(&a.duplicated)) }</p>
            }
            <div class="row">
                if let Some(p) = producer.clone() {
                    <button onclick={cmd(proto(MqCmd::MqProduce { client: p, key: 1, count: 1, poison: false }))}>{"Produce (order 1)"}</button>
                }
                if let Some(j) = joinable {
                    <button onclick={cmd(proto(MqCmd::MqJoin { client: j.clone() }))}>{ format!("Add consumer {j}") }</button>
                }
            </div>
            <table class="lock-table" aria-label="Group members">
                <thead><tr><th>{"Consumer"}</th><th>{"Owns"}</th><th></th></tr></thead>
                <tbody>
                    { for clients.iter().filter(|c| c.1).map(|(n, _, owned)| html! {
                        <tr>
                            <td>{ n.clone() }</td>
                            <td>{ owned.clone() }</td>
                            <td>
                                <button onclick={cmd(Cmd::Crash { node: n.clone() })}>{"Crash"}</button>
                                <button onclick={cmd(proto(MqCmd::MqSlow { client: n.clone(), process_ms: 600 }))}>{"Slow"}</button>
                            </td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <div class="row" role="group" aria-label="Settings from the playhead on">
                { for SWITCHES.iter().map(|sw| {
                    let on_cmd = ctx.on_cmd.clone();
                    let setting = sw.setting;
                    let onchange = Callback::from(move |e: Event| {
                        let i: usize = e.target_unchecked_into::<HtmlSelectElement>().value().parse().unwrap_or(0);
                        if let Some(v) = words_of(setting).get(i) {
                            on_cmd.emit(Cmd::Proto(ProtoCmd::Mq(MqCmd::MqSet {
                                setting: setting.to_string(),
                                value: (*v).to_string(),
                            })));
                        }
                    });
                    let now = cfg.get(sw.setting);
                    let cur = words_of(sw.setting).iter().position(|v| *v == now).unwrap_or(0);
                    html! {
                        <label>{ sw.label }{" "}
                            <select aria-label={sw.label} {onchange}>
                                { for sw.choices.iter().enumerate().map(|(i, c)| html! {
                                    <option value={i.to_string()} selected={i == cur}>{ *c }</option>
                                }) }
                            </select>
                        </label>
                    }
                }) }
            </div>
            <p class="muted">{"A setting switched applies from the playhead on; in the past it forks there, keeping what came before."}</p>
            <button onclick={on_compare}>{"Compare settings"}</button>
            { match ctx.memo.table(COMPARED_KEY) {
                None => Html::default(),
                Some(Err(e)) => html! { <p class="error" role="status">{ e.clone() }</p> },
                Some(Ok(r)) => table("Settings compared", COMPARE_HEAD, r.clone()),
            } }
        </section>
    }
}
