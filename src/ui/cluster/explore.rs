//! "Explore N seeds": the same exploration as `ringlab-cli explore` (`sim::explore`), run a
//! slice at a time between frames so the page stays responsive, with a progress bar, Cancel,
//! and "Replay this counterexample" once a run breaks an expectation.

use crate::sim::vecmap::VecMap;

use web_sys::HtmlInputElement;
use yew::html::Scope;
use yew::prelude::*;

use super::component::{ClusterLab, Msg};
use crate::model::session::Session;
use crate::sim::explore::{Explorer, Found};
use crate::sim::text::group_digits;
use crate::sim::time::fmt_ms;

/// Most seeds the page runs in one go (the CLI allows more).
pub const MAX_UI_SEEDS: u64 = 10_000;

/// Parses the seeds field.
pub fn parse_seeds(v: &str) -> Result<u64, String> {
    match v.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_UI_SEEDS).contains(&n) => Ok(n),
        _ => Err(format!(
            "seeds must be a whole number in 1..={MAX_UI_SEEDS}, got \"{v}\""
        )),
    }
}

/// How the last exploration ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Scenario title.
    pub title: String,
    /// Seeds run.
    pub done: u64,
    /// Seeds asked for.
    pub seeds: u64,
    /// Runs violating each invariant.
    pub counts: VecMap<String, u64>,
    /// The shrunk counterexample.
    pub found: Option<Box<Found>>,
    /// Stopped by the user.
    pub cancelled: bool,
}

/// The exploration panel's state.
pub struct ExploreState {
    /// The seeds field as typed.
    pub seeds: String,
    /// The exploration in progress.
    pub running: Option<Explorer>,
    /// The last one that finished or was cancelled.
    pub last: Option<Outcome>,
    /// Why the last one could not start or stopped.
    pub error: Option<String>,
}

impl Default for ExploreState {
    fn default() -> Self {
        ExploreState {
            seeds: "50".into(),
            running: None,
            last: None,
            error: None,
        }
    }
}

impl ExploreState {
    /// Starts a new exploration (replacing any running one).
    pub fn start(&mut self, ex: Explorer) {
        self.running = Some(ex);
        self.error = None;
    }

    fn outcome(ex: &Explorer, found: Option<Box<Found>>, cancelled: bool) -> Outcome {
        Outcome {
            title: ex.scenario().title.clone(),
            done: ex.seeds_done(),
            seeds: ex.seeds(),
            counts: ex.counts().clone(),
            found,
            cancelled,
        }
    }

    /// The exploration finished.
    pub fn finish(&mut self, found: Option<Box<Found>>) {
        if let Some(ex) = self.running.take() {
            self.last = Some(Self::outcome(&ex, found, false));
        }
    }

    /// The exploration stopped on an error.
    pub fn fail(&mut self, e: String) {
        self.running = None;
        self.error = Some(e);
    }

    /// The user cancelled.
    pub fn cancel(&mut self) {
        if let Some(ex) = self.running.take() {
            self.last = Some(Self::outcome(&ex, None, true));
        }
    }

    /// The counterexample of the last exploration, if it found one.
    pub fn found(&self) -> Option<&Found> {
        self.last.as_ref().and_then(|o| o.found.as_deref())
    }
}

fn counts_text(counts: &VecMap<String, u64>, done: u64) -> String {
    if counts.is_empty() {
        return format!("no invariant broke in {} runs", group_digits(done));
    }
    counts
        .iter()
        .map(|(k, v)| format!("{k}: {} of {} runs", group_digits(*v), group_digits(done)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The panel.
pub fn view(s: &Session, st: &ExploreState, link: &Scope<ClusterLab>) -> Html {
    let budget = s.scenario().fault_budget.is_some();
    let on_seeds = link.callback(|e: InputEvent| {
        Msg::ExploreSeeds(e.target_unchecked_into::<HtmlInputElement>().value())
    });
    let n = st.seeds.trim().to_string();
    html! {
        <section class="panel explore" aria-labelledby="explore-h">
            <h2 id="explore-h">{"Explore"}</h2>
            <p class="muted small">{"Runs many seeds, each with random faults from the scenario's fault budget, and keeps the earliest run that breaks an invariant the scenario expects to hold."}</p>
            <div class="row">
                <input type="number" aria-label="Seeds" min="1" max={MAX_UI_SEEDS.to_string()} style="width: 90px"
                    value={st.seeds.clone()} oninput={on_seeds} disabled={st.running.is_some()} />
                <button class="primary" disabled={!budget || st.running.is_some()}
                    onclick={link.callback(|_| Msg::ExploreStart)}>{ format!("Explore {n} seeds") }</button>
                if st.running.is_some() {
                    <button onclick={link.callback(|_| Msg::ExploreCancel)}>{"Cancel"}</button>
                }
            </div>
            if !budget {
                <p class="muted small">{"This scenario has no fault budget, so there is nothing to explore."}</p>
            }
            if let Some(ex) = &st.running {
                <progress aria-label="Exploration progress" max={ex.seeds().to_string()} value={ex.seeds_done().to_string()}></progress>
                <p class="small" role="status">{ format!("{} of {} seeds · {}", group_digits(ex.seeds_done()), group_digits(ex.seeds()),
                    counts_text(ex.counts(), ex.seeds_done())) }</p>
            }
            if let Some(e) = &st.error {
                <p class="error" role="status">{ e.clone() }</p>
            }
            if let Some(o) = &st.last {
                <div class="explore-result" role="status">
                    <p class="small">{ format!("{} — {}{} of {} seeds: {}", o.title, if o.cancelled { "cancelled after " } else { "" },
                        group_digits(o.done), group_digits(o.seeds), counts_text(&o.counts, o.done)) }</p>
                    { match &o.found {
                        Some(f) => html! {
                            <>
                                <p class="small"><strong>{ format!("Counterexample: seed {} breaks {} at {} ({} fault{} after shrinking).",
                                    f.seed, f.broken.invariant, fmt_ms(f.broken.at_ms), f.faults, if f.faults == 1 { "" } else { "s" }) }</strong></p>
                                <button class="primary" onclick={link.callback(|_| Msg::ReplayFound)}>{"Replay this counterexample"}</button>
                            </>
                        },
                        None if !o.cancelled => html! { <p class="small">{"No run broke an expectation."}</p> },
                        None => html! {},
                    } }
                </div>
            }
        </section>
    }
}
