//! The checkout-saga panel: each order's saga as a row of steps that turn green (done), red
//! (failed), amber (compensated) or blue (running) at the playhead, the counters, a flag on a
//! double charge and on a duplicate the inbox absorbed; buttons to fail a step, crash the
//! orchestrator's relay after its next publish and crash or recover the orchestrator
//! (commands at the playhead, forking the past); switches for orchestration, outbox or dual
//! write, idempotent or naive consumers and the semantic lock (each loads the scenario
//! variant on the same seed); and the comparison with two-phase commit on the same orders.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::panel_ctx::{Memo, PanelCtx};
use crate::model::saga_compare::{Workload, COLUMNS};
use crate::sim::cmd::Cmd;
use crate::sim::proto::saga::{
    Consumer, FailAt, Mark, Mode, Publish, Saga, SagaCfg, SagaCmd, SagaRow,
};
use crate::sim::proto::ProtoCmd;
use crate::sim::scenario::Scenario;
use crate::sim::world::Status;

/// A setting the panel switches: its label, its choices, which is current, how to apply one.
struct Switch {
    label: &'static str,
    choices: &'static [&'static str],
    current: fn(&SagaCfg) -> usize,
    set: fn(&mut SagaCfg, usize),
}

const SWITCHES: &[Switch] = &[
    Switch {
        label: "coordination",
        choices: &["orchestrated", "choreographed"],
        current: |c| usize::from(c.mode == Mode::Choreographed),
        set: |c, i| {
            c.mode = if i == 1 {
                Mode::Choreographed
            } else {
                Mode::Orchestrated
            }
        },
    },
    Switch {
        label: "publish",
        choices: &["outbox", "dual write"],
        current: |c| usize::from(c.publish == Publish::DualWrite),
        set: |c, i| {
            c.publish = if i == 1 {
                Publish::DualWrite
            } else {
                Publish::Outbox
            }
        },
    },
    Switch {
        label: "consumer",
        choices: &["idempotent", "naive"],
        current: |c| usize::from(c.consumer == Consumer::Naive),
        set: |c, i| {
            c.consumer = if i == 1 {
                Consumer::Naive
            } else {
                Consumer::Idempotent
            }
        },
    },
    Switch {
        label: "semantic lock",
        choices: &["off", "on"],
        current: |c| usize::from(c.semantic_lock),
        set: |c, i| c.semantic_lock = i == 1,
    },
];

/// The scenario with one setting changed.
pub fn variant(s: &Scenario, f: impl FnOnce(&mut SagaCfg)) -> Result<Scenario, String> {
    let mut v = s.clone();
    match v.protocols.saga.as_mut() {
        Some(c) => f(c),
        None => return Err("this scenario has no saga".into()),
    }
    v.validate().map_err(|e| e.to_string())?;
    Ok(v)
}

fn mark_class(m: Mark) -> &'static str {
    match m {
        Mark::Idle => "saga-step idle",
        Mark::Running => "saga-step running",
        Mark::Done => "saga-step done",
        Mark::Failed => "saga-step failed",
        Mark::Compensating => "saga-step compensating",
        Mark::Compensated => "saga-step compensated",
    }
}

fn mark_word(m: Mark) -> &'static str {
    match m {
        Mark::Idle => "not reached",
        Mark::Running => "running",
        Mark::Done => "done",
        Mark::Failed => "failed",
        Mark::Compensating => "compensating",
        Mark::Compensated => "compensated",
    }
}

const STEPS: [&str; 4] = ["reserve", "charge", "ship", "confirm"];

fn row(order: usize, r: &SagaRow) -> Html {
    let outcome = match (r.started, r.ended) {
        (None, _) => "not placed".to_string(),
        (Some(_), None) => "running".to_string(),
        (Some(_), Some((_, true))) => "completed".to_string(),
        (Some(_), Some((_, false))) => "compensated".to_string(),
    };
    html! {
        <li class="saga-row" data-order={order.to_string()} data-outcome={outcome.clone()}>
            <span class="saga-order">{ format!("#{order}") }</span>
            { for r.marks.iter().zip(STEPS).map(|(m, s)| html! {
                <span class={mark_class(*m)} title={format!("{s}: {}", mark_word(*m))}>
                    { s }<span class="sr-only">{ format!(" {}", mark_word(*m)) }</span>
                </span>
            }) }
            <span class="saga-outcome">{ outcome }</span>
        </li>
    }
}

/// A panel table in a box that scrolls sideways on a phone.
fn table(label: &'static str, head: &[&str], rows: Vec<Vec<String>>) -> Html {
    html! { <div class="saga-scroll">{ super::panel_table::plain(label, head, rows) }</div> }
}

/// The panel (nothing when the scenario has no saga).
pub fn view(ctx: &PanelCtx<'_>) -> Html {
    let w = ctx.session.world();
    let Some(cfg) = w.cfg::<Saga>() else {
        return Html::default();
    };
    let scenario = ctx.session.scenario().clone();
    let sh = w.saga();
    let st = &sh.stats;
    let head = [
        "sagas",
        "completed",
        "compensated",
        "compensation retries",
        "duplicates absorbed",
        "double charges",
        "dirty reads",
        "log messages",
    ];
    let values = vec![
        st.sagas.to_string(),
        st.completed.to_string(),
        st.compensated.to_string(),
        st.compensation_retries.to_string(),
        st.duplicates_absorbed.to_string(),
        st.double_charges.to_string(),
        st.dirty_reads.to_string(),
        // The saga's notes travel on the message log: its traffic is the saga's cost.
        w.mq().stats.messages.to_string(),
    ];
    let cmd = |c: Cmd| {
        let on = ctx.on_cmd.clone();
        Callback::from(move |_: MouseEvent| on.emit(c.clone()))
    };
    let proto = |c: SagaCmd| Cmd::Proto(ProtoCmd::Saga(c));
    let orch = sh.orch.map(|ix| w.name(ix));
    let orch_up = sh
        .orch
        .and_then(|ix| w.node(ix))
        .is_some_and(|n| n.status == Status::Up);
    html! {
        <section class="panel saga" aria-labelledby="saga-h">
            <h2 id="saga-h">{"Checkout saga"}</h2>
            { table("Saga counters", &head, vec![values]) }
            if st.double_charges > 0 {
                <p class="error" role="status" data-anomaly="double_charge">
                    { format!("charged twice: {} (a naive consumer applied a duplicate)", st.double_charges) }
                </p>
            }
            if st.duplicates_absorbed > 0 && st.double_charges == 0 {
                <p class="saga-absorbed" role="status" data-saga="absorbed">
                    { format!("duplicates absorbed by the inbox: {}", st.duplicates_absorbed) }
                </p>
            }
            if st.dirty_reads > 0 {
                <p class="error" role="status" data-anomaly="dirty_read">
                    { format!("dirty reads: {} (an order read around units a saga then gave back)", st.dirty_reads) }
                </p>
            }
            <ol class="saga-rows" aria-label="Sagas">
                { for sh.book.iter().enumerate().take(40).map(|(i, r)| row(i, r)) }
            </ol>
            { fail_controls(ctx, cfg.orders) }
            <div class="row">
                if let Some(o) = orch.clone() {
                    <button onclick={cmd(proto(SagaCmd::SagaRelayCrash { node: o.clone(), step: None }))}>{"Crash relay after next publish"}</button>
                    if orch_up {
                        <button class="danger" onclick={cmd(Cmd::Crash { node: o.clone() })}>{ format!("Crash orchestrator {o}") }</button>
                    } else {
                        <button onclick={cmd(Cmd::Recover { node: o.clone() })}>{ format!("Recover orchestrator {o}") }</button>
                    }
                }
            </div>
            if let Some(e) = ctx.cmd_error {
                <p class="error" role="status">{ e.to_string() }</p>
            }
            <div class="row">
                { for SWITCHES.iter().map(|sw| {
                    let on_load = ctx.on_load.clone();
                    let s = scenario.clone();
                    let set = sw.set;
                    let label = sw.label;
                    let onchange = Callback::from(move |e: Event| {
                        let i: usize = e.target_unchecked_into::<HtmlSelectElement>().value().parse().unwrap_or(0);
                        on_load.emit((format!("{label} switched"), variant(&s, |c| set(c, i))));
                    });
                    let cur = (sw.current)(cfg);
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
            { compare_view(ctx, cfg) }
        </section>
    }
}

/// Where the panel keeps the order picked to fail (see `PanelMemo`).
const FAIL_ORDER: &str = "saga.fail_order";

/// "Fail a step": an order picker (kept across renders in the lab's memo) and one button
/// per step.
fn fail_controls(ctx: &PanelCtx<'_>, orders: u32) -> Html {
    let onchange = ctx.on_memo.reform(|e: Event| {
        let v = e.target_unchecked_into::<HtmlSelectElement>().value();
        (FAIL_ORDER, Some(Memo::Text(v)))
    });
    let o = ctx
        .memo
        .text(FAIL_ORDER)
        .parse::<u32>()
        .unwrap_or(0)
        .min(orders.saturating_sub(1));
    html! {
        <div class="row">
            <label>{"Order "}
                <select aria-label="order to fail" {onchange}>
                    { for (0..orders.min(40)).map(|i| html! {
                        <option value={i.to_string()} selected={i == o}>{ format!("#{i}") }</option>
                    }) }
                </select>
            </label>
            { for FailAt::ALL.iter().zip(FailAt::NAMES).map(|(at, name)| {
                let c = Cmd::Proto(ProtoCmd::Saga(SagaCmd::SagaFail { order: o, step: *at, times: 1 }));
                html! {
                    <button onclick={ctx.on_cmd.reform(move |_: MouseEvent| c.clone())}>
                        { format!("Fail {name}") }
                    </button>
                }
            }) }
        </div>
    }
}

/// The comparison as bars (messages per order, mean time to decision), each scaled to the
/// largest of its kind; the table above carries the numbers, so the bars are decoration
/// for a screen reader.
fn chart(rows: &[Vec<String>]) -> Html {
    let num = |r: &Vec<String>, k: usize| {
        r.get(k)
            .and_then(|c| crate::sim::text::parse_decimal(c))
            .unwrap_or(0.0)
    };
    let bars = |k: usize, label: &'static str| {
        let max = rows.iter().map(|r| num(r, k)).fold(1.0, f64::max);
        html! {
            <div class="saga-bars">
                <strong>{ label }</strong>
                { for rows.iter().map(|r| {
                    let pct = (num(r, k) / max * 100.0).round();
                    let who = format!("{} · {}", r[1], r[0]);
                    html! {
                        <div class="saga-bar-row">
                            <span class="saga-bar-label">{ who }</span>
                            <span class={if r[1].starts_with("saga") { "saga-bar saga" } else { "saga-bar tpc" }}
                                style={format!("width: {pct}%")}></span>
                            <span>{ r[k].clone() }</span>
                        </div>
                    }
                }) }
            </div>
        }
    };
    html! {
        <div class="saga-chart" aria-hidden="true">
            { bars(3, "Messages per order") }
            { bars(4, "Mean decision (ms)") }
        </div>
    }
}

/// Where the panel keeps its last comparison (see `PanelMemo`): dropped when another
/// scenario, or a variant of this one, loads.
const COMPARED: &str = "saga.compared";

/// "Compare with 2PC": runs on a click (on the page when it carries 2PC, else in the job
/// worker, which carries every protocol: the same rows either way, `model::saga_compare`);
/// the table stays in the lab's memo until another scenario (or a variant of this one) loads.
fn compare_view(ctx: &PanelCtx<'_>, cfg: &SagaCfg) -> Html {
    let workload = Workload::of(cfg);
    #[cfg(feature = "proto-tpc")]
    let onclick = ctx.on_memo.reform(move |_: MouseEvent| {
        let rows = crate::model::saga_compare::rows(&workload);
        (COMPARED, Some(Memo::Table(rows)))
    });
    #[cfg(not(feature = "proto-tpc"))]
    let onclick = ctx.on_job.reform(move |_: MouseEvent| {
        let workload = workload.clone();
        (COMPARED, crate::model::job::Request::Compare { workload })
    });
    let running = ctx.memo.running(COMPARED);
    html! {
        <div class="saga-compare">
            <button {onclick} disabled={running}>{"Compare with 2PC"}</button>
            if running {
                <p class="muted" role="status">{"Comparing in a worker\u{2026}"}</p>
            }
            { match ctx.memo.table(COMPARED) {
                None => Html::default(),
                Some(Err(e)) => html! { <p class="error" role="status">{ e.clone() }</p> },
                Some(Ok(r)) => html! {
                    <>
                        { table("Saga and 2PC compared", &COLUMNS, r.clone()) }
                        { chart(r) }
                    </>
                },
            } }
        </div>
    }
}
