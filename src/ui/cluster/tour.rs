//! The tour card above the canvas: the narration step in force, Back / Next (which move the
//! playhead, so Back really goes back), a question asked before a step is revealed, and
//! Free play. Out of a tour it is the narration caption with a button to start one.

use yew::prelude::*;

use super::msg::{Msg, TourAction};
use super::panels;
use crate::model::session::Session;
use crate::model::tour::Tour;
use crate::sim::time::fmt_ms;

fn button(link: &Callback<Msg>, label: &'static str, a: TourAction, enabled: bool) -> Html {
    html! {
        <button disabled={!enabled} onclick={link.reform(move |_| Msg::Tour(a))}>{ label }</button>
    }
}

/// The card (or the caption with a "Take the tour" button).
pub fn view(s: &Session, tour: &Tour, link: &Callback<Msg>) -> Html {
    let steps = &s.scenario().narration;
    if steps.is_empty() {
        return panels::caption(s);
    }
    if !tour.on {
        let (label, a) = if tour.answers.is_empty() {
            ("Take the tour", TourAction::Start)
        } else {
            ("Resume the tour", TourAction::Resume)
        };
        return html! {
            <div class="tour-off">
                { panels::caption(s) }
                { button(link, label, a, true) }
            </div>
        };
    }
    let i = tour.step.min(steps.len() - 1);
    let step = &steps[i];
    let revealed = tour.right(steps, i).zip(step.ask.as_ref());
    html! {
        <section class="tour" aria-label="Guided tour" aria-live="polite">
            <p class="tour-head">
                <strong>{ format!("Tour · step {} of {}", i + 1, steps.len()) }</strong>
                <span class="t">{ fmt_ms(step.at_ms) }</span>
            </p>
            <p class="tour-text">{ step.text.clone() }</p>
            if let Some((right, ask)) = revealed {
                <p class={if right { "tour-verdict ok" } else { "tour-verdict bad" }}>
                    { if right { "✓ Right. ".to_string() } else {
                        format!("✗ Not quite: {}. ", ask.choices.get(ask.answer).cloned().unwrap_or_default())
                    } }
                    { ask.why.clone() }
                </p>
            }
            if let Some(q) = tour.asking.and_then(|k| steps.get(k)).and_then(|n| n.ask.as_ref()) {
                <div class="tour-ask" role="group" aria-label={q.question.clone()}>
                    <p><strong>{"Predict, then reveal: "}</strong>{ q.question.clone() }</p>
                    { for q.choices.iter().enumerate().map(|(k, c)| html! {
                        <button onclick={link.reform(move |_| Msg::Tour(TourAction::Answer(k)))}>{ c.clone() }</button>
                    }) }
                </div>
            }
            <div class="row">
                { button(link, "Back", TourAction::Back, tour.asking.is_some() || i > 0) }
                { button(link, "Next", TourAction::Next, tour.asking.is_none() && i + 1 < steps.len()) }
                { button(link, "Free play", TourAction::Free, true) }
            </div>
        </section>
    }
}
