//! The Locks panel: every lock in words (where it lives, who holds it with which token and
//! how much lease is left, who waits in which order, what storage has), the run's counters,
//! and live controls: acquire or release as any client, fencing on or off, another recipe,
//! and all four recipes side by side on the same faults. A registered panel: what it shows
//! comes from the session, what it does goes through `PanelCtx`'s callbacks, and the inputs
//! it keeps as typed are in the lab's `PanelMemo`.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::panel_ctx::{Memo, PanelCtx};
use crate::model::lock_view::{
    compare_recipes, lease_text, lock_rows, with_recipe, RecipeRun, RECIPES,
};
use crate::sim::cmd::Cmd;
use crate::sim::proto::locks::{LockCmd, ResKey};
use crate::sim::proto::ProtoCmd;
use crate::sim::text::group_digits;
use crate::sim::world::{Role, Status};

/// The panel (nothing when the scenario has no locks).
pub fn view(ctx: &PanelCtx<'_>) -> Html {
    let s = ctx.session;
    let w = s.world();
    let Some(cfg) = w.lock_cfg() else {
        return Html::default();
    };
    let rows = lock_rows(w, ctx.vt.max(0.0) as u64);
    let name = |ix| w.name(ix);
    let names = |v: &[u32]| v.iter().map(|&i| name(i)).collect::<Vec<_>>().join(", ");
    let fencing = w.storage().is_some_and(|(_, st)| st.fencing());
    let st = w.lock_stats();
    let stats = [
        ("grants", st.grants),
        ("handoffs", st.handoffs),
        ("expiries", st.expiries),
        ("wake-ups", st.wakeups),
        ("timeouts", st.timeouts),
        ("beliefs lost", st.lost),
        ("rejected stale", st.rejected_stale),
        ("writes", st.writes),
        ("unsafe writes", st.unsafe_writes),
        ("waiting (ms)", st.wait_ms),
    ];
    let clients: Vec<String> = w
        .nodes()
        .iter()
        .filter(|n| n.role == Role::Client && n.status != Status::Removed)
        .map(|n| n.name.clone())
        .collect();
    let scenario = s.scenario_rc();
    let on_recipe = {
        let load = ctx.on_load.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            if let Some(&(recipe, label)) = v.parse::<usize>().ok().and_then(|i| RECIPES.get(i)) {
                load.emit((label.to_string(), with_recipe(&scenario, recipe)));
            }
        })
    };
    let on_fence = ctx.on_cmd.reform(|e: Event| {
        let on = e.target_unchecked_into::<HtmlInputElement>().checked();
        Cmd::Proto(ProtoCmd::Locks(LockCmd::SetFencing { on }))
    });
    let first_lock = rows.first().map(|r| r.res.to_string()).unwrap_or_default();
    html! {
        <section class="panel locks" aria-labelledby="locks-h">
            <h2 id="locks-h">{"Locks"}</h2>
            <div class="row">
                <label for="lock-recipe">{"Recipe"}</label>
                <select id="lock-recipe" onchange={on_recipe}>
                    { for RECIPES.iter().enumerate().map(|(i, (r, label))| html! {
                        <option value={i.to_string()} selected={*r == cfg.recipe}>{ *label }</option>
                    }) }
                </select>
                <label class="check">
                    <input type="checkbox" checked={fencing} disabled={w.storage().is_none()} onchange={on_fence} />
                    {"Storage checks fencing tokens"}
                </label>
            </div>
            <table class="lock-table">
                <thead><tr><th>{"Lock"}</th><th>{"On"}</th><th>{"Held by"}</th><th>{"Waiting"}</th><th>{"Storage"}</th></tr></thead>
                <tbody>
                    { for rows.iter().map(|r| html! {
                        <tr class={(r.holders.len() > 1).then_some("clash")}>
                            <th scope="row">{ r.res.to_string() }</th>
                            <td>{ names(&r.servers) }</td>
                            <td>{ for r.holders.iter().map(|h| html! {
                                <div>{ format!("{} #{} · {}", name(h.client), h.token, lease_text(h)) }</div>
                            }) }</td>
                            <td>{ names(&r.waiters) }</td>
                            <td>{ r.cell.map(|(v, seen)| format!("{v} · token ≥ {seen}")).unwrap_or_default() }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <dl class="lock-stats">
                { for stats.iter().map(|(k, v)| html! {
                    <div data-stat={*k}><dt>{ *k }</dt><dd>{ group_digits(*v) }</dd></div>
                }) }
            </dl>
            { controls(ctx, &clients, &first_lock) }
        </section>
    }
}

/// Where the panel keeps its inputs and its last comparison (see `PanelMemo`).
const CLIENT: &str = "locks.client";
const RESOURCE: &str = "locks.resource";
const ERROR: &str = "locks.error";
const COMPARED: &str = "locks.compared";

/// Acquire or release as a client, and all recipes compared. The inputs are kept as typed,
/// so a bad name is reported and stays in its field to be fixed.
fn controls(ctx: &PanelCtx<'_>, clients: &[String], first_lock: &str) -> Html {
    let memo = ctx.memo;
    let client = match (memo.text(CLIENT), clients.first()) {
        ("", Some(first)) => first.clone(),
        (c, _) => c.to_string(),
    };
    let resource = match memo.text(RESOURCE) {
        "" => first_lock.to_string(),
        r => r.to_string(),
    };
    let lock_cmd = |acquire: bool| {
        let (client, resource) = (client.clone(), resource.clone());
        let (on_cmd, on_memo) = (ctx.on_cmd.clone(), ctx.on_memo.clone());
        Callback::from(move |_: MouseEvent| match ResKey::new(resource.trim()) {
            Err(e) => {
                let e = if resource.trim().is_empty() {
                    "type a resource name".into()
                } else {
                    e
                };
                on_memo.emit((ERROR, Some(Memo::Text(e))));
            }
            Ok(resource) => {
                on_memo.emit((ERROR, None));
                let client = client.clone();
                on_cmd.emit(Cmd::Proto(ProtoCmd::Locks(if acquire {
                    LockCmd::LockAcquire {
                        client,
                        resource,
                        wait_ms: None,
                    }
                } else {
                    LockCmd::LockRelease { client, resource }
                })));
            }
        })
    };
    let on_client = ctx.on_memo.reform(|e: Event| {
        (
            CLIENT,
            Some(Memo::Text(
                e.target_unchecked_into::<HtmlSelectElement>().value(),
            )),
        )
    });
    let on_res = ctx.on_memo.reform(|e: InputEvent| {
        (
            RESOURCE,
            Some(Memo::Text(
                e.target_unchecked_into::<HtmlInputElement>().value(),
            )),
        )
    });
    let scenario = ctx.session.scenario_rc();
    let on_compare = ctx.on_memo.reform(move |_: MouseEvent| {
        (
            COMPARED,
            Some(Memo::Table(
                compare_recipes(&scenario).map(|runs| runs.iter().map(recipe_row).collect()),
            )),
        )
    });
    let message = match memo.text(ERROR) {
        "" => ctx.cmd_error,
        e => Some(e),
    };
    let none = clients.is_empty();
    html! {
        <>
            <div class="row">
                <label for="lock-client">{"As"}</label>
                <select id="lock-client" onchange={on_client}>
                    { for clients.iter().map(|c| html! {
                        <option value={c.clone()} selected={*c == client}>{ c.clone() }</option>
                    }) }
                </select>
                <label for="lock-res">{"lock"}</label>
                <input id="lock-res" type="text" style="width: 90px"
                    value={resource.clone()} oninput={on_res} />
                <button onclick={lock_cmd(true)} disabled={none}>{"Acquire"}</button>
                <button onclick={lock_cmd(false)} disabled={none}>{"Release"}</button>
            </div>
            <div class="row">
                <button onclick={on_compare}>{"Compare recipes"}</button>
                <span class="muted">{"same schedule and seed, each recipe"}</span>
            </div>
            if let Some(e) = message {
                <p class="error" role="status">{ e.to_string() }</p>
            }
            { compare(memo.table(COMPARED)) }
        </>
    }
}

/// One recipe's run as table cells: recipe, counters, what it broke.
fn recipe_row(r: &RecipeRun) -> Vec<String> {
    let label = RECIPES
        .iter()
        .find(|(x, _)| *x == r.recipe)
        .map_or("", |(_, l)| *l);
    let broken = if r.broken.is_empty() {
        "none".to_string()
    } else {
        r.broken.join(", ")
    };
    let st = &r.stats;
    vec![
        label.to_string(),
        st.grants.to_string(),
        st.expiries.to_string(),
        st.wakeups.to_string(),
        st.rejected_stale.to_string(),
        st.unsafe_writes.to_string(),
        broken,
    ]
}

fn compare(runs: Option<&Result<Vec<Vec<String>>, String>>) -> Html {
    match runs {
        None => Html::default(),
        Some(Err(e)) => html! { <p class="error" role="status">{ e.clone() }</p> },
        Some(Ok(rows)) => html! {
            <table class="lock-table" aria-label="Recipes compared">
                <thead><tr><th>{"Recipe"}</th><th>{"Grants"}</th><th>{"Expiries"}</th><th>{"Wake-ups"}</th><th>{"Rejected"}</th><th>{"Unsafe writes"}</th><th>{"Broken"}</th></tr></thead>
                <tbody>
                    { for rows.iter().map(|r| html! {
                        <tr class={r.last().is_some_and(|b| b != "none").then_some("clash")}>
                            { for r.iter().enumerate().map(|(i, c)| if i == 0 {
                                html! { <th scope="row">{ c.clone() }</th> }
                            } else {
                                html! { <td>{ c.clone() }</td> }
                            }) }
                        </tr>
                    }) }
                </tbody>
            </table>
        },
    }
}
