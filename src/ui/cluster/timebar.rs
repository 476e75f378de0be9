//! The timeline bar: Play/Pause, Step, a log-scale speed slider, the scrubber over the whole
//! recorded history with fault markers as buttons along it, "Jump to violation", and the
//! notice shown after a fork.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::msg::Msg;
use crate::model::playback::{slider_for, speed_label, Playback, SPEED_SLIDER_MAX};
use crate::model::session::{MarkerKind, Session};
use crate::sim::text::group_digits;
use crate::sim::time::fmt_ms;

/// Renders the bar for the session at the playhead; `checking` is the progress (0..1) of an
/// end-of-run check still running in slices, said beside the clock (the invariants list
/// holding its bar may be scrolled away).
pub fn view(s: &Session, play: &Playback, checking: Option<f64>, link: &Callback<Msg>) -> Html {
    let tl = s.timeline();
    let head = tl.head_time();
    let vt = play.vt.max(0.0);
    let shown = (vt.floor() as u64).min(head.max(vt.floor() as u64));
    let toggle = if play.playing {
        html! { <button class="primary" onclick={link.reform(|_| Msg::Pause)}>{"Pause"}</button> }
    } else {
        html! { <button class="primary" onclick={link.reform(|_| Msg::Play)}>{"Play"}</button> }
    };
    let on_speed = link.reform(|e: InputEvent| {
        let v = e.target_unchecked_into::<HtmlInputElement>().value();
        Msg::Speed(v.parse().unwrap_or(40))
    });
    let on_scrub = link.reform(|e: InputEvent| {
        let v = e.target_unchecked_into::<HtmlInputElement>().value();
        Msg::Scrub(crate::sim::text::parse_decimal(&v).map_or(0, |x| x.max(0.0) as u64))
    });
    let violation = s.first_violation();
    let max = head.max(1);
    let markers = s.markers();
    let where_ = if tl.at_head() {
        "live".to_string()
    } else {
        format!("replaying (recorded to {})", fmt_ms(head))
    };
    html! {
        <section class="panel timebar" aria-label="Timeline controls">
            <div class="row">
                { toggle }
                <button onclick={link.reform(|_| Msg::StepBack)} title="Back to the previous event (←)" aria-label="Step back">{"◀"}</button>
                <button onclick={link.reform(|_| Msg::Step)} title="Go to the next event (→)">{"Step"}</button>
                <label class="speed">
                    <span>{"Speed"}</span>
                    <button class="nudge" aria-label="Slower" title="Slower (−)" onclick={link.reform(|_| Msg::SpeedBy(-4))}>{"−"}</button>
                    <input type="range" aria-label="Speed" min="0" max={SPEED_SLIDER_MAX.to_string()} step="1"
                        value={slider_for(play.speed).to_string()} oninput={on_speed} />
                    <button class="nudge" aria-label="Faster" title="Faster (+)" onclick={link.reform(|_| Msg::SpeedBy(4))}>{"+"}</button>
                    <output aria-live="off">{ speed_label(play.speed) }</output>
                </label>
                <span class="clock" aria-live="off">
                    <strong data-testid="clock">{ format!("t = {}", fmt_ms(shown)) }</strong>
                    <span class="muted">{ format!(" · event {} / {} · {where_}", group_digits(tl.position() as u64), group_digits(tl.recorded().len() as u64)) }</span>
                    if let (Some(c), Some(p)) = (s.sliced(), checking) {
                        <span class="muted" data-testid="end-check">{ format!(" · checking {} {:.0} %", c.name, p * 100.0) }</span>
                    }
                </span>
                <span class="grow"></span>
                <button class="danger" disabled={violation.is_none()}
                    onclick={link.reform(|_| Msg::JumpViolation)}>{"Jump to violation"}</button>
            </div>
            <div class="scrubber">
                <input type="range" aria-label="Timeline" min="0" max={max.to_string()} step="1"
                    value={shown.min(max).to_string()} oninput={on_scrub}
                    aria-valuetext={format!("t = {}", fmt_ms(shown))} />
                <div class="markers">
                    { for markers.iter().map(|m| {
                        let pct = (m.t as f64 / max as f64 * 100.0).clamp(0.0, 100.0);
                        let (event, t) = (m.event, m.t);
                        let onclick = link.reform(move |_| match event {
                            Some(i) => Msg::JumpEvent(i),
                            None => Msg::JumpTime(t),
                        });
                        let glyph = match m.kind {
                            MarkerKind::Crash => "✕",
                            MarkerKind::Recover => "↺",
                            MarkerKind::Partition => "|",
                            MarkerKind::Heal => "=",
                            MarkerKind::Pause => "‖",
                            MarkerKind::ClockJump => "±",
                            MarkerKind::Violation => "!",
                            MarkerKind::Fork => "↱",
                        };
                        html! {
                            <button class={classes!("marker", format!("marker-{}", m.kind.class()))}
                                style={format!("left: calc(9px + (100% - 18px) * {:.5})", pct / 100.0)}
                                aria-label={m.label.clone()} title={m.label.clone()} {onclick}>{glyph}</button>
                        }
                    }) }
                </div>
            </div>
            if let Some(n) = &s.notice {
                <p class="notice" role="status">{ n.clone() }</p>
            }
        </section>
    }
}
