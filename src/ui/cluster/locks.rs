//! The Locks panel: every lock in words (where it lives, who holds it with which token and
//! how much lease is left, who waits in which order, what storage has), the run's counters,
//! and live controls: acquire or release as any client, fencing on or off, another recipe,
//! and all four recipes side by side on the same faults.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::msg::{LockAction, Msg};
use crate::sim::text::group_digits;
use crate::sim::world::{Role, Status};
use crate::view::lock_view::{lease_text, lock_rows, RecipeRun, RECIPES};
use crate::view::session::Session;

/// The panel's own inputs, kept as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LockForm {
    /// Client name (empty: the first client).
    pub client: String,
    /// Resource name (empty: the first lock).
    pub resource: String,
    /// The last side-by-side comparison.
    pub compare: Option<Result<Vec<RecipeRun>, String>>,
    /// Why the last lock command was refused.
    pub error: Option<String>,
}

fn act(link: &Callback<Msg>, a: LockAction) -> Callback<MouseEvent> {
    link.reform(move |_| Msg::Lock(a.clone()))
}

/// The panel (nothing when the scenario has no locks).
pub fn view(s: &Session, form: &LockForm, vt: f64, link: &Callback<Msg>) -> Html {
    let w = s.world();
    let Some(cfg) = w.lock_cfg() else {
        return Html::default();
    };
    let rows = lock_rows(w, vt.max(0.0) as u64);
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
    let on_recipe = link.reform(|e: Event| {
        let v = e.target_unchecked_into::<HtmlSelectElement>().value();
        Msg::Lock(LockAction::Recipe(v.parse().unwrap_or(0)))
    });
    let on_fence = link.reform(|e: Event| {
        Msg::Lock(LockAction::Fencing(
            e.target_unchecked_into::<HtmlInputElement>().checked(),
        ))
    });
    let on_client = link.reform(|e: Event| {
        Msg::Lock(LockAction::Client(
            e.target_unchecked_into::<HtmlSelectElement>().value(),
        ))
    });
    let on_res = link.reform(|e: InputEvent| {
        Msg::Lock(LockAction::Resource(
            e.target_unchecked_into::<HtmlInputElement>().value(),
        ))
    });
    let client = match (form.client.as_str(), clients.first()) {
        ("", Some(first)) => first.clone(),
        (c, _) => c.to_string(),
    };
    let resource = if form.resource.is_empty() {
        rows.first().map(|r| r.res.to_string()).unwrap_or_default()
    } else {
        form.resource.clone()
    };
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
            <div class="row">
                <label for="lock-client">{"As"}</label>
                <select id="lock-client" onchange={on_client}>
                    { for clients.iter().map(|c| html! {
                        <option value={c.clone()} selected={*c == client}>{ c.clone() }</option>
                    }) }
                </select>
                <label for="lock-res">{"lock"}</label>
                <input id="lock-res" type="text" style="width: 90px"
                    value={resource} oninput={on_res} />
                <button onclick={act(link, LockAction::Acquire)} disabled={clients.is_empty()}>{"Acquire"}</button>
                <button onclick={act(link, LockAction::Release)} disabled={clients.is_empty()}>{"Release"}</button>
            </div>
            <div class="row">
                <button onclick={act(link, LockAction::Compare)}>{"Compare recipes"}</button>
                <span class="muted">{"same schedule and seed, each recipe"}</span>
            </div>
            if let Some(e) = &form.error {
                <p class="error" role="status">{ e.clone() }</p>
            }
            { compare(form.compare.as_ref()) }
        </section>
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
