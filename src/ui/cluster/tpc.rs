//! The 2PC panel: every order with its outcome (committed, aborted and why, in doubt on
//! which shards), the run's counters, and the same scenario on another variant. Crashes,
//! partitions and dropped messages stay in the Commands panel. A registered panel: the
//! variant switch loads through `PanelCtx::on_load`, the comparison is kept in the lab's `PanelMemo`.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::panel_ctx::{Memo, PanelCtx};
use super::panel_table::table;
use crate::model::tpc_view::{
    compare_variants, counters, order_rows, outcome_text, with_variant, VARIANTS,
};
use crate::sim::proto::tpc::view::OrderOutcome;

/// Where the panel keeps its last "Compare variants" table (see `PanelMemo`).
const COMPARED: &str = "tpc.compared";

/// Orders listed at most (the newest): a workload submits hundreds.
const SHOWN: usize = 30;

/// The panel (nothing when the scenario has no 2PC).
pub fn view(ctx: &PanelCtx<'_>) -> Html {
    let s = ctx.session;
    let w = s.world();
    let Some(cfg) = w.tpc_cfg() else {
        return Html::default();
    };
    let name = |ix| w.name(ix);
    let all = order_rows(w, s.timeline().trace());
    let orders = all
        .iter()
        .skip(all.len().saturating_sub(SHOWN))
        .map(|r| {
            let shards: Vec<String> = r.shards.iter().map(|&n| name(n)).collect();
            let class = match r.outcome {
                _ if !r.in_doubt.is_empty() => Some("doubt"),
                OrderOutcome::Split => Some("clash"),
                OrderOutcome::Aborted => Some("aborted"),
                _ => None,
            };
            let cells = vec![
                format!("T{}", r.tx),
                name(r.coord),
                shards.join(", "),
                outcome_text(r, &name),
            ];
            (cells, class)
        })
        .collect();
    let scenario = s.scenario_rc();
    let on_variant = {
        let load = ctx.on_load.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            // Switching variant is a new scenario, not a command.
            if let Some(&(variant, label)) = v.parse::<usize>().ok().and_then(|i| VARIANTS.get(i)) {
                load.emit((label.to_string(), with_variant(&scenario, variant)));
            }
        })
    };
    let compared_on = s.scenario_rc();
    let on_compare = ctx
        .on_memo
        .reform(move |_: MouseEvent| (COMPARED, Some(Memo::Table(compare_variants(&compared_on)))));
    let (head, values): (Vec<&str>, Vec<String>) = counters(w).into_iter().unzip();
    html! {
        <section class="panel tpc" aria-labelledby="tpc-h">
            <h2 id="tpc-h">{"Two-phase commit"}</h2>
            <select aria-label="Variant" onchange={on_variant}>
                { for VARIANTS.iter().enumerate().map(|(i, (v, label))| html! {
                    <option value={i.to_string()} selected={*v == cfg.variant}>{ *label }</option>
                }) }
            </select>
            { table("Orders", None, &["Order", "Coordinator", "Shards", "Outcome"], orders) }
            { table("Counters", None, &head, vec![(values, None)]) }
            <button onclick={on_compare}>{"Compare variants"}</button>
            { match ctx.memo.table(COMPARED) {
                None => Html::default(),
                Some(Err(e)) => html! { <p class="error" role="status">{ e.clone() }</p> },
                Some(Ok(rows)) => table(
                    "Variants compared",
                    None,
                    &["Variant", "Decided commit / abort", "Messages", "Forced writes", "In doubt (ms)", "Committed/s", "Broken"],
                    rows.iter().map(|r| (r.clone(), (r.last().is_some_and(|b| b != "none")).then_some("clash"))).collect(),
                ),
            } }
        </section>
    }
}
