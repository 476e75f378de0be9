//! The Locks panel: every lock in words (where it lives, who holds it with which token and
//! how much lease is left, who waits in which order, what storage has), the run's counters,
//! and live controls: acquire or release as any client, fencing on or off, another recipe,
//! and all four recipes side by side on the same faults. A registered panel: what it shows
//! comes from the session, what it does goes through `PanelCtx`'s callbacks, and the inputs
//! it keeps as typed live in its own component.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::panel_ctx::PanelCtx;
use crate::sim::cmd::Cmd;
use crate::sim::proto::locks::{LockCmd, ResKey};
use crate::sim::proto::ProtoCmd;
use crate::sim::scenario::Scenario;
use crate::sim::text::group_digits;
use crate::sim::world::{Role, Status};
use crate::view::lock_view::{
    compare_recipes, lease_text, lock_rows, with_recipe, RecipeRun, RECIPES,
};

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
    let scenario = Rc::new(s.scenario().clone());
    let on_recipe = {
        let (load, scenario) = (ctx.on_load.clone(), Rc::clone(&scenario));
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
            <LockControls {clients} {first_lock} {scenario} on_cmd={ctx.on_cmd.clone()}
                refused={ctx.cmd_error.map(str::to_string)} />
        </section>
    }
}

/// What the hand controls need from the run at the playhead.
#[derive(Properties, PartialEq)]
struct ControlProps {
    /// Clients that can act, in node order.
    clients: Vec<String>,
    /// The first lock's name: the resource when none is typed.
    first_lock: String,
    /// The scenario the recipes are compared on.
    scenario: Rc<Scenario>,
    /// Runs a command at the playhead.
    on_cmd: Callback<Cmd>,
    /// Why the lab refused the last command.
    refused: Option<String>,
}

/// Acquire or release as a client, and all recipes compared: the inputs are kept as typed,
/// so a bad name is reported and stays in its field to be fixed.
#[function_component]
fn LockControls(p: &ControlProps) -> Html {
    let client = use_state(String::new);
    let resource = use_state(String::new);
    let error = use_state(|| None::<String>);
    let compared = use_state(|| None::<(Rc<Scenario>, Result<Vec<RecipeRun>, String>)>);
    let shown_client = match (client.as_str(), p.clients.first()) {
        ("", Some(first)) => first.clone(),
        (c, _) => c.to_string(),
    };
    let shown_resource = if resource.is_empty() {
        p.first_lock.clone()
    } else {
        (*resource).clone()
    };
    let lock_cmd = |acquire: bool| {
        let (client, resource, error, on_cmd) = (
            shown_client.clone(),
            shown_resource.clone(),
            error.clone(),
            p.on_cmd.clone(),
        );
        Callback::from(move |_: MouseEvent| match ResKey::new(resource.trim()) {
            Err(e) => error.set(Some(if resource.trim().is_empty() {
                "type a resource name".into()
            } else {
                e
            })),
            Ok(resource) => {
                error.set(None);
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
    let on_client = {
        let client = client.clone();
        Callback::from(move |e: Event| {
            client.set(e.target_unchecked_into::<HtmlSelectElement>().value())
        })
    };
    let on_res = {
        let resource = resource.clone();
        Callback::from(move |e: InputEvent| {
            resource.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_compare = {
        let (compared, scenario) = (compared.clone(), Rc::clone(&p.scenario));
        Callback::from(move |_: MouseEvent| {
            let runs = compare_recipes(&scenario);
            compared.set(Some((Rc::clone(&scenario), runs)));
        })
    };
    // A comparison belongs to the scenario it ran on; another recipe or scenario hides it.
    let runs = compared
        .as_ref()
        .filter(|(s, _)| *s == p.scenario)
        .map(|(_, r)| r);
    let message = error.as_ref().or(p.refused.as_ref());
    let none = p.clients.is_empty();
    html! {
        <>
            <div class="row">
                <label for="lock-client">{"As"}</label>
                <select id="lock-client" onchange={on_client}>
                    { for p.clients.iter().map(|c| html! {
                        <option value={c.clone()} selected={*c == shown_client}>{ c.clone() }</option>
                    }) }
                </select>
                <label for="lock-res">{"lock"}</label>
                <input id="lock-res" type="text" style="width: 90px"
                    value={shown_resource.clone()} oninput={on_res} />
                <button onclick={lock_cmd(true)} disabled={none}>{"Acquire"}</button>
                <button onclick={lock_cmd(false)} disabled={none}>{"Release"}</button>
            </div>
            <div class="row">
                <button onclick={on_compare}>{"Compare recipes"}</button>
                <span class="muted">{"same schedule and seed, each recipe"}</span>
            </div>
            if let Some(e) = message {
                <p class="error" role="status">{ e.clone() }</p>
            }
            { compare(runs) }
        </>
    }
}

fn compare(runs: Option<&Result<Vec<RecipeRun>, String>>) -> Html {
    match runs {
        None => Html::default(),
        Some(Err(e)) => html! { <p class="error" role="status">{ e.clone() }</p> },
        Some(Ok(runs)) => html! {
            <table class="lock-table" aria-label="Recipes compared">
                <thead><tr><th>{"Recipe"}</th><th>{"Grants"}</th><th>{"Expiries"}</th><th>{"Wake-ups"}</th><th>{"Rejected"}</th><th>{"Unsafe writes"}</th><th>{"Broken"}</th></tr></thead>
                <tbody>
                    { for runs.iter().map(|r| {
                        let label = RECIPES.iter().find(|(x, _)| *x == r.recipe).map_or("", |(_, l)| *l);
                        let broken = if r.broken.is_empty() { "none".to_string() } else { r.broken.join(", ") };
                        html! {
                            <tr class={(!r.broken.is_empty()).then_some("clash")}>
                                <th scope="row">{ label }</th>
                                <td>{ r.stats.grants }</td><td>{ r.stats.expiries }</td><td>{ r.stats.wakeups }</td>
                                <td>{ r.stats.rejected_stale }</td><td>{ r.stats.unsafe_writes }</td><td>{ broken }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        },
    }
}
