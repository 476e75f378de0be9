//! The DOM side of the cluster tab as plain view functions of the session: the narration
//! caption, the node list, invariants and expectations, narration steps and the event log.
//! Everything the canvases show is also text here, for screen readers and tests.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::msg::Msg;
use super::state::Selection;
use crate::model::session::Session;
use crate::sim::ids::NodeIx;
use crate::sim::text::group_digits;
use crate::sim::time::fmt_ms;
use crate::view::cluster_scene::{node_states, Health, Layout};

/// How many log lines the page keeps in the DOM.
pub const LOG_LINES: usize = 150;

/// The narration step in force at the playhead, above the canvas.
pub fn caption(s: &Session) -> Html {
    let steps = s.narration();
    match steps.iter().find(|(_, _, current)| *current) {
        Some((t, text, _)) => html! {
            <p class="narration-caption" aria-live="polite"><span class="t">{ fmt_ms(*t) }</span>{ text.clone() }</p>
        },
        None => {
            html! { <p class="narration-caption muted" aria-live="polite">{ s.scenario().title.clone() }</p> }
        }
    }
}

/// The node list beside the canvas: name, colour and status in words; click to select.
pub fn nodes(s: &Session, sel: &Selection, link: &Callback<Msg>) -> Html {
    let w = s.world();
    let name = |ix: NodeIx| w.name(ix);
    html! {
        <ul class="cluster-nodes" aria-label="Cluster nodes">
            { for node_states(w).into_iter().filter(|n| n.health != Health::Removed).map(|n| {
                let ix = n.ix;
                let selected = sel.node == Some(ix);
                let swatch = match n.health {
                    Health::Up | Health::Paused => format!("background: var(--node-{})", ix % 10),
                    _ => "background: var(--down)".to_string(),
                };
                let class = match n.health {
                    Health::Crashed => "crashed",
                    Health::Paused => "paused",
                    _ if !n.suspected_by.is_empty() => "suspected",
                    _ => "up",
                };
                html! {
                    <li class={class} aria-selected={selected.to_string()}
                        onclick={link.reform(move |_| Msg::SelectNode(Some(ix)))}>
                        <span class="swatch" style={swatch}></span>
                        <span class="node-name">{ n.name.clone() }</span>
                        <span class="node-status">{ n.summary(&name) }</span>
                    </li>
                }
            }) }
        </ul>
    }
}

/// Window width and node placement for the two pictures.
pub fn diagram_controls(span_ms: f64, layout: Layout, link: &Callback<Msg>) -> Html {
    let on_span = link.reform(|e: Event| {
        let v = e.target_unchecked_into::<HtmlSelectElement>().value();
        Msg::Span(crate::sim::text::parse_decimal(&v).unwrap_or(1000.0))
    });
    let on_layout = link.reform(|e: Event| {
        let v = e.target_unchecked_into::<HtmlSelectElement>().value();
        Msg::Layout(if v == "ring" {
            Layout::Ring
        } else {
            Layout::Even
        })
    });
    let spans = [250.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0];
    html! {
        <div class="row">
            <label for="diagram-span">{"Window"}</label>
            <select id="diagram-span" onchange={on_span}>
                { for spans.iter().map(|&ms| html! {
                    <option value={ms.to_string()} selected={(ms - span_ms).abs() < 0.5}>{ fmt_ms(ms as u64) }</option>
                }) }
            </select>
            <label for="node-layout">{"Place servers"}</label>
            <select id="node-layout" onchange={on_layout}>
                <option value="even" selected={layout == Layout::Even}>{"evenly"}</option>
                <option value="ring" selected={layout == Layout::Ring}>{"at their ring position"}</option>
            </select>
        </div>
    }
}

/// Invariants at the playhead (holding, or violated with witnesses) and the scenario's
/// expectations judged on the whole recording. The list opens with a count ("14 holding ·
/// 1 broken"): broken ones are always shown with a Jump button, holding ones only on request
/// (`show_holding`), so the one that matters is not lost among the rest. An end-of-run check
/// still running in slices (`checking`: progress 0..1 and steps) is shown as such, with a
/// progress bar, until its verdict is in.
pub fn invariants(
    s: &Session,
    show_holding: bool,
    checking: Option<(f64, u64)>,
    link: &Callback<Msg>,
) -> Html {
    let verdicts = s.verdicts();
    let rows = s.invariants();
    let pending = s.sliced().map(|c| c.name);
    let broken = rows.iter().filter(|r| r.violated.is_some()).count();
    let holding = rows.len() - broken - usize::from(pending.is_some());
    let count = match pending {
        Some(_) => format!("{holding} holding · {broken} broken · 1 checking"),
        None => format!("{holding} holding · {broken} broken"),
    };
    let progress = pending.map(|name| {
        let (p, steps) = checking.unwrap_or((0.0, 0));
        html! {
            <p class="inv-checking" role="status" data-checking={name}>
                { format!("Checking {name} on the whole run, between frames: ") }
                <progress max="1" value={format!("{p:.3}")} aria-label={format!("{name} check progress")}></progress>
                { format!(" {:.0} % · {} steps", p * 100.0, group_digits(steps)) }
            </p>
        }
    });
    html! {
        <section class="panel invariants" aria-labelledby="inv-h">
            <h2 id="inv-h">{"Invariants"}</h2>
            <p class="inv-count">
                <strong data-testid="invariant-count">{ count }</strong>
                <button class="link" aria-expanded={show_holding.to_string()}
                    onclick={link.reform(move |_| Msg::Section("holding", !show_holding))}>
                    { if show_holding { "Hide the holding ones" } else { "Show the holding ones" } }
                </button>
            </p>
            { progress.unwrap_or_default() }
            <ul class={if show_holding { "inv-list" } else { "inv-list folded" }} aria-label="Invariants">
                { for rows.into_iter().map(|r| {
                    let at = r.violated.as_ref().map(|v| v.index);
                    html! {
                    <li class={if r.violated.is_some() { "violated" } else { "holding" }}>
                        <div class="inv-head">
                            <code>{ r.name }</code>
                            <span class="badge">{ match &r.violated {
                                None if pending == Some(r.name) => "checking…".to_string(),
                                None => "holding".to_string(),
                                Some(v) => format!("violated at t={}", fmt_ms(v.t)),
                            } }</span>
                            if let Some(i) = at {
                                <button aria-label={format!("Jump to where {} broke", r.name)}
                                    onclick={link.reform(move |_| Msg::JumpEvent(i))}>{"Jump"}</button>
                            }
                        </div>
                        <p class="muted small">{ format!("{} ({})", r.explain, r.class) }</p>
                        if let Some(v) = r.violated {
                            <ul class="witnesses" aria-label={format!("Witnesses of {}", r.name)}>
                                { for v.witnesses.into_iter().map(|(i, text)| html! {
                                    <li><button class="link" onclick={link.reform(move |_| Msg::JumpEvent(i))}>
                                        { format!("#{i} {text}") }</button></li>
                                }) }
                            </ul>
                        }
                    </li>
                }}) }
            </ul>
            <h3>{"Expectations"}</h3>
            <ul class="verdicts" aria-label="Expectations">
                { for verdicts.into_iter().map(|v| {
                    let what = if v.expected == "hold" { "must hold" } else { "must break" };
                    let outcome = match (v.violated_at, v.ok) {
                        (None, _) if pending == Some(v.invariant.as_str()) => "checking…".to_string(),
                        (None, true) => "held ✓".to_string(),
                        (Some(_), true) => "broke ✓".to_string(),
                        (None, false) => "never broke ✗".to_string(),
                        (Some(_), false) => "broke ✗".to_string(),
                    };
                    html! {
                        <li class={if v.ok { "ok" } else { "bad" }}>
                            <code>{ v.invariant.clone() }</code>{ format!(" {what}: {outcome}") }
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}

/// The scenario's narration steps at their times; the one in force is marked, and a click
/// moves the playhead there.
pub fn narration(s: &Session, link: &Callback<Msg>) -> Html {
    let steps = s.narration();
    if steps.is_empty() {
        return html! {};
    }
    html! {
        <section class="panel narration" aria-labelledby="narration-h">
            <h2 id="narration-h">{"Narration"}</h2>
            <ol class="steps">
                { for steps.into_iter().map(|(t, text, current)| html! {
                    <li class={classes!(current.then_some("current"))} aria-current={current.then_some("step")}>
                        <button class="link t" onclick={link.reform(move |_| Msg::JumpTime(t))}>{ fmt_ms(t) }</button>
                        <span>{ text }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}

/// The event log in words, newest last, capped; selecting a line selects its event and
/// message everywhere.
pub fn log(
    s: &Session,
    sel: &Selection,
    notable_only: bool,
    list: &NodeRef,
    link: &Callback<Msg>,
) -> Html {
    let lines = s.log(LOG_LINES, notable_only);
    let on_filter = link.reform(|e: Event| {
        Msg::NotableOnly(e.target_unchecked_into::<HtmlInputElement>().checked())
    });
    html! {
        <section class="panel log-panel cluster-log" aria-labelledby="clog-h">
            <div class="row">
                <h2 id="clog-h">{"Events"}</h2>
                <span class="grow"></span>
                <label class="small"><input type="checkbox" checked={notable_only} onchange={on_filter} />{" Hide routine traffic"}</label>
            </div>
            <ol class="log" role="log" aria-live="polite" aria-label="Cluster events" ref={list.clone()}>
                { for lines.into_iter().map(|l| {
                    let selected = sel.event == Some(l.index) || (l.msg.is_some() && l.msg == sel.msg);
                    let i = l.index;
                    html! {
                        <li class={classes!(format!("k-{}", l.kind), selected.then_some("selected"))}
                            aria-selected={selected.to_string()}
                            onclick={link.reform(move |_| Msg::SelectEvent(i))}>{ l.text }</li>
                    }
                }) }
            </ol>
        </section>
    }
}
