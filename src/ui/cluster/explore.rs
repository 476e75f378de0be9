//! "Explore N seeds": the same exploration as `ringlab-cli explore` (`sim::explore`), run in
//! the job worker (`worker.rs`) so the page keeps animating and the explorer's code stays out
//! of the page's wasm (without a worker the panel says so and names the CLI); a progress
//! bar, Cancel, the rate, and "Replay this counterexample" once a run breaks an expectation.

use crate::sim::vecmap::VecMap;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::msg::Msg;
use crate::model::session::Session;
use crate::sim::explore::Found;
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
    /// Wall time (ms), shrinking included: the rate shown.
    pub ms: f64,
}

/// An exploration in progress in the worker, as far as the page knows (the worker reports it).
pub struct Running {
    /// Scenario title.
    pub title: String,
    /// Seeds asked for.
    pub seeds: u64,
    /// Seeds run so far.
    pub done: u64,
    /// Runs violating each invariant so far.
    pub counts: VecMap<String, u64>,
    /// Page clock (ms) when it started.
    pub started: f64,
}

/// The exploration panel's state.
pub struct ExploreState {
    /// The seeds field as typed.
    pub seeds: String,
    /// The exploration in progress.
    pub running: Option<Running>,
    /// The last one that finished or was cancelled.
    pub last: Option<Outcome>,
    /// Why the last one could not start or stopped.
    pub error: Option<String>,
    /// Why the last exploration could not run (no Web Worker), shown until one runs.
    pub note: Option<String>,
}

impl Default for ExploreState {
    fn default() -> Self {
        ExploreState {
            seeds: "50".into(),
            running: None,
            last: None,
            error: None,
            note: None,
        }
    }
}

impl ExploreState {
    /// A new exploration of `seeds` seeds of the scenario titled `title` (replacing any
    /// running one) went to the worker.
    pub fn start(&mut self, title: String, seeds: u64, now: f64) {
        self.running = Some(Running {
            title,
            seeds,
            done: 0,
            counts: VecMap::default(),
            started: now,
        });
        self.error = None;
    }

    /// The worker's progress report.
    pub fn progress(&mut self, done: u64, counts: Vec<(String, u64)>) {
        if let Some(r) = self.running.as_mut() {
            r.done = done;
            r.counts = counts.into_iter().collect();
        }
    }

    fn outcome(r: Running, found: Option<Box<Found>>, cancelled: bool, ms: f64) -> Outcome {
        Outcome {
            title: r.title,
            done: r.done,
            seeds: r.seeds,
            counts: r.counts,
            found,
            cancelled,
            ms,
        }
    }

    /// The exploration finished after `ms` of wall time.
    pub fn finish(&mut self, found: Option<Box<Found>>, ms: f64) {
        if let Some(r) = self.running.take() {
            self.last = Some(Self::outcome(r, found, false, ms));
        }
    }

    /// The exploration stopped on an error.
    pub fn fail(&mut self, e: String) {
        self.running = None;
        self.error = Some(e);
    }

    /// The user cancelled at page clock `now`.
    pub fn cancel(&mut self, now: f64) {
        if let Some(r) = self.running.take() {
            let ms = now - r.started;
            self.last = Some(Self::outcome(r, None, true, ms));
        }
    }

    /// The counterexample of the last exploration, if it found one.
    pub fn found(&self) -> Option<&Found> {
        self.last.as_ref().and_then(|o| o.found.as_deref())
    }
}

/// "2.3 s (435 seeds/s in a Web Worker)".
fn rate_text(o: &Outcome) -> String {
    let secs = o.ms / 1000.0;
    let rate = if o.ms > 0.0 {
        format!("{:.0} seeds/s", o.done as f64 / secs)
    } else {
        "too fast to time".to_string()
    };
    format!("{secs:.1} s ({rate} in a Web Worker)")
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
pub fn view(s: &Session, st: &ExploreState, link: &Callback<Msg>) -> Html {
    let budget = s.scenario().fault_budget.is_some();
    let on_seeds = link.reform(|e: InputEvent| {
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
                    onclick={link.reform(|_| Msg::ExploreStart)}>{ format!("Explore {n} seeds") }</button>
                if st.running.is_some() {
                    <button onclick={link.reform(|_| Msg::ExploreCancel)}>{"Cancel"}</button>
                }
            </div>
            if !budget {
                <p class="muted small">{"This scenario has no fault budget, so there is nothing to explore."}</p>
            }
            if let Some(r) = &st.running {
                <progress aria-label="Exploration progress" max={r.seeds.to_string()} value={r.done.to_string()}></progress>
                <p class="small" role="status">{ format!("{} of {} seeds · {} · {}", group_digits(r.done), group_digits(r.seeds),
                    counts_text(&r.counts, r.done), "in a Web Worker") }</p>
            }
            if let Some(n) = &st.note {
                <p class="muted small" data-testid="explore-note">{ n.clone() }</p>
            }
            if let Some(e) = &st.error {
                <p class="error" role="status">{ e.clone() }</p>
            }
            if let Some(o) = &st.last {
                <div class="explore-result" role="status">
                    <p class="small">{ format!("{} — {}{} of {} seeds: {}", o.title, if o.cancelled { "cancelled after " } else { "" },
                        group_digits(o.done), group_digits(o.seeds), counts_text(&o.counts, o.done)) }</p>
                    <p class="muted small" data-testid="explore-rate">{ rate_text(o) }</p>
                    { match &o.found {
                        Some(f) => html! {
                            <>
                                <p class="small"><strong>{ format!("Counterexample: seed {} breaks {} at {} ({} fault{} after shrinking).",
                                    f.seed, f.broken.invariant, fmt_ms(f.broken.at_ms), f.faults, if f.faults == 1 { "" } else { "s" }) }</strong></p>
                                <button class="primary" onclick={link.reform(|_| Msg::ReplayFound)}>{"Replay this counterexample"}</button>
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
