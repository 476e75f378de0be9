//! Live commands: each button becomes one `sim::cmd::Cmd` applied at the playhead (in the
//! past that forks the history). The node they act on is the selected one, chosen here, in
//! the node list or on the canvas.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::msg::{Action, CmdForm, FormField, Msg};
use super::state::Selection;
use crate::model::session::Session;
use crate::sim::world::{Role, Status};

fn on_input(link: &Callback<Msg>, field: FormField) -> Callback<InputEvent> {
    link.reform(move |e: InputEvent| {
        Msg::Form(field, e.target_unchecked_into::<HtmlInputElement>().value())
    })
}

fn button(link: &Callback<Msg>, label: &'static str, action: Action, enabled: bool) -> Html {
    html! {
        <button disabled={!enabled} onclick={link.reform(move |_| Msg::Do(action))}>{label}</button>
    }
}

/// The command panel.
pub fn view(
    s: &Session,
    sel: &Selection,
    form: &CmdForm,
    error: Option<&str>,
    link: &Callback<Msg>,
) -> Html {
    let w = s.world();
    let node = sel.node.and_then(|ix| w.node(ix));
    let on_node = link.reform(|e: Event| {
        let v = e.target_unchecked_into::<HtmlSelectElement>().value();
        Msg::SelectNode(v.parse().ok())
    });
    let up = node.is_some_and(|n| n.status == Status::Up);
    let down = node.is_some_and(|n| n.status == Status::Down);
    let server = node.is_some_and(|n| n.role == Role::Server && n.status != Status::Removed);
    let in_flight = sel.msg.is_some_and(|id| w.net().get(id).is_some());
    html! {
        <section class="panel commands" aria-labelledby="commands-h">
            <h2 id="commands-h">{"Commands"}</h2>
            <div class="row">
                <label for="cmd-node">{"Node"}</label>
                <select id="cmd-node" onchange={on_node}>
                    <option value="" selected={sel.node.is_none()}>{"— choose —"}</option>
                    { for w.nodes().iter().enumerate().filter(|(_, n)| n.status != Status::Removed).map(|(i, n)| html! {
                        <option value={i.to_string()} selected={sel.node == Some(i as u32)}>{ n.name.clone() }</option>
                    }) }
                </select>
                { button(link, "Crash", Action::Crash, up) }
                { button(link, "Recover", Action::Recover, down) }
                { button(link, "Isolate", Action::Isolate, node.is_some()) }
            </div>
            <div class="row">
                { button(link, "Pause (GC)", Action::Pause, up) }
                <input type="number" aria-label="Pause length (ms)" title="ms" min="1" style="width: 84px"
                    value={form.pause_ms.clone()} oninput={on_input(link, FormField::PauseMs)} />
                <span class="muted">{"ms"}</span>
                { button(link, "Clock jump", Action::ClockJump, node.is_some()) }
                <input type="number" aria-label="Clock jump (ms)" title="ms, negative goes back" style="width: 84px"
                    value={form.jump_ms.clone()} oninput={on_input(link, FormField::JumpMs)} />
            </div>
            <div class="row">
                { button(link, "Split", Action::Split, true) }
                <input type="text" class="grow" aria-label="Partition side" placeholder="A, B"
                    value={form.side.clone()} oninput={on_input(link, FormField::Side)} />
                { button(link, "Heal", Action::Heal, w.net().partitioned()) }
            </div>
            <div class="row">
                { button(link, "Drop selected message", Action::DropMessage, in_flight) }
            </div>
            <div class="row">
                <input type="text" class="grow" aria-label="New server name" placeholder="new server"
                    maxlength="64" value={form.new_node.clone()} oninput={on_input(link, FormField::NewNode)} />
                { button(link, "Add server", Action::AddNode, true) }
            </div>
            <div class="row">
                { button(link, "Fail on ring", Action::FailNode, server) }
                { button(link, "Recover on ring", Action::RecoverNode, server) }
            </div>
            if let Some(e) = error {
                <p class="error" role="status">{ e.to_string() }</p>
            }
        </section>
    }
}
