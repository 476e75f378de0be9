//! The Verify panel: every interleaving of abstract two-phase commit for a small number of
//! resource managers, checked in the job worker (the CLI's `check 2pc` on the same code; when
//! no worker can start the panel says so), with Cancel, and the shortest counterexample of a
//! broken property as a file the CLI replays.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::msg::Msg;
pub use super::msg::VerifyAction;
use crate::model::verify::{Line, Verified, BROWSER_MAX_RMS};

/// The panel's settings and last result (with its wall time in ms).
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyForm {
    /// Resource managers.
    pub rms: usize,
    /// The unsafe variant.
    pub heuristic: bool,
    /// Last result and how long it took.
    pub result: Option<(Result<Verified, String>, f64)>,
    /// A verification is running in the worker (since this page clock ms).
    pub running: Option<f64>,
    /// Why it could not run (no Web Worker), or that it was cancelled.
    pub note: Option<String>,
}

impl Default for VerifyForm {
    fn default() -> Self {
        VerifyForm {
            rms: 3,
            heuristic: false,
            result: None,
            running: None,
            note: None,
        }
    }
}

fn verdict(l: &Line, always: bool) -> Html {
    let mark = if l.ok { "✓" } else { "✗" };
    let what = match (always, l.ok) {
        (true, true) => "holds in every reachable state".to_string(),
        (true, false) => format!("broken; shortest counterexample ({} steps):", l.path.len()),
        (false, true) => "reachable".to_string(),
        (false, false) => "never reached".to_string(),
    };
    html! {
        <li class={if l.ok { "ok" } else { "bad" }}>
            <code>{ l.name.clone() }</code>{ format!(" {mark} {what}") }
            if always && !l.ok {
                <ol class="cx-path">{ for l.path.iter().map(|a| html! { <li><code>{ a.clone() }</code></li> }) }</ol>
            }
            <p class="muted small">{ l.explain.clone() }</p>
        </li>
    }
}

/// The panel.
pub fn view(form: &VerifyForm, link: &Callback<Msg>) -> Html {
    let on_rms = link.reform(|e: Event| {
        let v = e.target_unchecked_into::<HtmlSelectElement>().value();
        Msg::Verify(VerifyAction::Rms(v.parse().unwrap_or(3)))
    });
    let on_heur = link.reform(|e: Event| {
        Msg::Verify(VerifyAction::Heuristic(
            e.target_unchecked_into::<HtmlInputElement>().checked(),
        ))
    });
    html! {
        <section class="panel verify" aria-labelledby="verify-h">
            <h2 id="verify-h">{"Verify two-phase commit"}</h2>
            <p class="muted small">{"Every interleaving of Gray & Lamport's TwoPhase, breadth-first: no loss, no crashes, no timeouts."}</p>
            <div class="row">
                <label for="verify-rms">{"Resource managers"}</label>
                <select id="verify-rms" onchange={on_rms}>
                    { for (1..=BROWSER_MAX_RMS).map(|n| html! {
                        <option value={n.to_string()} selected={n == form.rms}>{ n }</option>
                    }) }
                </select>
                <label class="check">
                    <input type="checkbox" checked={form.heuristic} onchange={on_heur} />
                    {"allow heuristic decisions (unsafe)"}
                </label>
                <button disabled={form.running.is_some()} onclick={link.reform(|_| Msg::Verify(VerifyAction::Run))}>{"Verify"}</button>
                if form.running.is_some() {
                    <button aria-label="Cancel verification" onclick={link.reform(|_| Msg::Verify(VerifyAction::Cancel))}>{"Cancel"}</button>
                }
            </div>
            if form.running.is_some() {
                <p class="small" role="status">{ format!("Exploring every interleaving for {} RM{} in a Web Worker…", form.rms, if form.rms == 1 { "" } else { "s" }) }</p>
            }
            if let Some(n) = &form.note {
                <p class="muted small" data-testid="verify-note">{ n.clone() }</p>
            }
            { match &form.result {
                None => Html::default(),
                Some((Err(e), _)) => html! { <p class="error" role="status">{ e.clone() }</p> },
                Some((Ok(v), ms)) => html! {
                    <div role="status" aria-label="Verification result">
                        <p data-testid="verify-summary">{ format!("{} · {ms:.0} ms", v.summary) }</p>
                        <ul class="verdicts">
                            { for v.always.iter().map(|l| verdict(l, true)) }
                            { for v.sometimes.iter().map(|l| verdict(l, false)) }
                        </ul>
                        if let Some(cx) = &v.counterexample {
                            <label for="verify-cx" class="small">{"Counterexample file (replay: ringlab-cli check 2pc --replay FILE)"}</label>
                            <textarea id="verify-cx" readonly=true rows="6" value={cx.clone()} />
                        }
                    </div>
                },
            } }
        </section>
    }
}
