//! The side panel, metrics and log as plain view functions of the root's state: every
//! figure is text in the DOM, so screen readers and tests read what the canvas shows.

use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::model::input::{algorithm_value, lookup_hash, parse_algorithm};
use crate::model::metrics::{NodeRow, RingMetrics};
use crate::sim::algorithms::{self, Algorithm};
use crate::sim::ring::NodeId;
use crate::sim::ring_lab::{LogEntry, Report, RingCmd, RingLab};
use crate::sim::text::group_digits;
use crate::ui::ring_msg::{Field, Form, Msg};

/// How many log lines the page keeps in the DOM.
const LOG_LINES: usize = 200;

/// How many node rows the node list and the keys-per-node table show. At 1,000 nodes two
/// lists of every node were 11,000 DOM nodes that every topology change re-rendered and
/// re-laid out (a 200 ms stall on the click); past this many rows nobody reads them, the
/// ring shows every node, and the summary figures cover all of them.
const LIST_ROWS: usize = 100;

/// The rows a list shows: the first [`LIST_ROWS`], plus the selected node if it is further
/// down, and how many are left out.
fn shown_rows(m: &RingMetrics, selected: Option<NodeId>) -> (Vec<&NodeRow>, usize) {
    let mut rows: Vec<_> = m.rows.iter().take(LIST_ROWS).collect();
    if let Some(sel) = m
        .rows
        .iter()
        .skip(LIST_ROWS)
        .find(|r| Some(r.id) == selected)
    {
        rows.push(sel);
    }
    let hidden = m.rows.len() - rows.len();
    (rows, hidden)
}

fn more_note(hidden: usize) -> Html {
    if hidden == 0 {
        return html! {};
    }
    html! {
        <p class="node-meta">{format!("… and {} more nodes: click one on the ring to open it.", group_digits(hidden as u64))}</p>
    }
}

fn swatch_style(id: NodeId, up: bool) -> String {
    if up {
        format!("background: var(--node-{})", id % 10)
    } else {
        "background: var(--down)".to_string()
    }
}

fn on_input(link: &Callback<Msg>, field: Field) -> Callback<InputEvent> {
    link.reform(move |e: InputEvent| {
        Msg::Input(field, e.target_unchecked_into::<HtmlInputElement>().value())
    })
}

/// Topology: add a node, vnodes per node, replication factor, and the last error.
pub fn topology(form: &Form, lab: &RingLab, error: Option<&str>, link: &Callback<Msg>) -> Html {
    let onsubmit = link.reform(|e: SubmitEvent| {
        e.prevent_default();
        Msg::AddNode
    });
    let on_vnodes = link.reform(|e: SubmitEvent| {
        e.prevent_default();
        Msg::ApplyVnodes
    });
    let on_replicas = link.reform(|e: Event| {
        let v = e.target_unchecked_into::<HtmlSelectElement>().value();
        Msg::Replicas(v.parse().unwrap_or(1))
    });
    let replicas = lab.replicas();
    html! {
        <section class="panel" aria-labelledby="topology-h">
            <h2 id="topology-h">{"Topology"}</h2>
            <form class="row" novalidate=true {onsubmit}>
                <input type="text" class="grow" aria-label="New node name" placeholder={format!("name (auto: {})", lab.next_name())}
                    value={form.name.clone()} oninput={on_input(link, Field::Name)} />
                <input type="number" aria-label="New node weight" title="weight" min="0.01" step="any" style="width: 70px"
                    value={form.weight.clone()} oninput={on_input(link, Field::Weight)} />
                <button type="submit" class="primary">{"Add node"}</button>
            </form>
            <form class="row" novalidate=true onsubmit={on_vnodes}>
                <label for="vnodes">{"Vnodes per node"}</label>
                <input id="vnodes" type="number" min="1" max="1000" style="width: 80px"
                    value={form.vnodes.clone()} oninput={on_input(link, Field::Vnodes)} />
                <button type="submit">{"Apply"}</button>
            </form>
            <form class="row" novalidate=true onsubmit={link.reform(|e: SubmitEvent| { e.prevent_default(); Msg::ApplyNodeCount })}>
                <label for="node-count">{"Cluster size"}</label>
                <input id="node-count" type="number" min="1" max="2000" style="width: 80px"
                    value={form.node_count.clone()} oninput={on_input(link, Field::NodeCount)} />
                <button type="submit">{"Set"}</button>
            </form>
            <div class="row">
                <label for="replicas">{"Replication factor"}</label>
                <select id="replicas" onchange={on_replicas}>
                    { for (1..=5).map(|r| html! { <option value={r.to_string()} selected={r == replicas}>{r}</option> }) }
                </select>
            </div>
            if let Some(e) = error {
                <p class="error" role="alert">{e}</p>
            }
        </section>
    }
}

/// The node list with per-node share and keys, and the selected node's details.
pub fn nodes(
    metrics: &RingMetrics,
    selected: Option<NodeId>,
    form: &Form,
    link: &Callback<Msg>,
) -> Html {
    let details = selected.and_then(|id| metrics.rows.iter().find(|r| r.id == id)).map(|r| {
        let id = r.id;
        let fail_or_recover = if r.up {
            html! { <button class="danger" onclick={link.reform(move |_| Msg::Cmd(RingCmd::FailNode(id)))}>{"Fail"}</button> }
        } else {
            html! { <button onclick={link.reform(move |_| Msg::Cmd(RingCmd::RecoverNode(id)))}>{"Recover"}</button> }
        };
        let on_weight = link.reform(|e: SubmitEvent| {
            e.prevent_default();
            Msg::ApplyNodeWeight
        });
        html! {
            <div class="details" aria-label={format!("Node {}", r.name)} role="group">
                <dl>
                    <dt>{"Node"}</dt><dd>{&r.name}</dd>
                    <dt>{"Status"}</dt><dd>{ if r.up { "up" } else { "down (points kept, keys moved to successors)" } }</dd>
                    <dt>{"Vnodes"}</dt><dd>{r.vnodes}</dd>
                    <dt>{"Weight"}</dt><dd>{r.weight}</dd>
                    <dt>{"Ring share"}</dt><dd>{format!("{:.2}%", r.share * 100.0)}</dd>
                    <dt>{"Keys"}</dt><dd>{group_digits(r.keys as u64)}</dd>
                </dl>
                <form class="row" novalidate=true onsubmit={on_weight}>
                    <label for="node-weight">{"Weight"}</label>
                    <input id="node-weight" type="number" min="0.01" step="any" style="width: 80px"
                        value={form.node_weight.clone()} oninput={on_input(link, Field::NodeWeight)} />
                    <button type="submit">{"Set weight"}</button>
                </form>
                <div class="row">
                    { fail_or_recover }
                    <button class="danger" onclick={link.reform(move |_| Msg::Cmd(RingCmd::RemoveNode(id)))}>{"Remove"}</button>
                    <button onclick={link.reform(|_| Msg::Select(None))}>{"Close"}</button>
                </div>
            </div>
        }
    });
    let (shown, hidden) = shown_rows(metrics, selected);
    html! {
        <section class="panel" aria-labelledby="nodes-h">
            <h2 id="nodes-h">{"Nodes"}</h2>
            <ul class="nodes" aria-label="Nodes">
                { for shown.iter().map(|r| {
                    let id = r.id;
                    let is_sel = selected == Some(id);
                    let onclick = link.reform(move |_| Msg::Select(if is_sel { None } else { Some(id) }));
                    let send = link.clone();
                    let onkeydown = Callback::from(move |e: KeyboardEvent| {
                        if e.key() == "Enter" || e.key() == " " {
                            e.prevent_default();
                            send.emit(Msg::Select(if is_sel { None } else { Some(id) }));
                        }
                    });
                    html! {
                        <li class={classes!((!r.up).then_some("down"))} aria-selected={is_sel.to_string()}
                            tabindex="0" {onclick} {onkeydown}>
                            <span class="swatch" style={swatch_style(r.id, r.up)} aria-hidden="true"></span>
                            <span class="node-name">{&r.name}{ if r.up { "" } else { " (down)" } }</span>
                            <span class="node-meta">{format!("{:.1}% · {} keys", r.share * 100.0, group_digits(r.keys as u64))}</span>
                        </li>
                    }
                }) }
            </ul>
            { more_note(hidden) }
            { for details }
        </section>
    }
}

/// Key set: generated (count, seed, pattern, skew) or pasted.
pub fn keys(form: &Form, link: &Callback<Msg>) -> Html {
    let onsubmit = link.reform(|e: SubmitEvent| {
        e.prevent_default();
        Msg::GenerateKeys
    });
    let on_pattern = link.reform(|e: Event| {
        Msg::Input(
            Field::Pattern,
            e.target_unchecked_into::<HtmlSelectElement>().value(),
        )
    });
    let on_paste = link.reform(|e: InputEvent| {
        Msg::Input(
            Field::Pasted,
            e.target_unchecked_into::<HtmlTextAreaElement>().value(),
        )
    });
    html! {
        <section class="panel" aria-labelledby="keys-h">
            <h2 id="keys-h">{"Keys"}</h2>
            <form novalidate=true {onsubmit}>
                <div class="field">
                    <label for="key-count">{"Count"}</label>
                    <input id="key-count" type="number" min="0" max="200000" value={form.key_count.clone()} oninput={on_input(link, Field::KeyCount)} />
                    <label for="key-seed">{"Seed"}</label>
                    <input id="key-seed" type="number" min="0" value={form.key_seed.clone()} oninput={on_input(link, Field::KeySeed)} />
                    <label for="key-pattern">{"Names"}</label>
                    <select id="key-pattern" onchange={on_pattern}>
                        <option value="orders" selected={form.pattern == "orders"}>{"order:NNNN"}</option>
                        <option value="mixed" selected={form.pattern == "mixed"}>{"order / sku / account"}</option>
                    </select>
                    <label for="key-skew">{"Hot-key skew"}</label>
                    <input id="key-skew" type="number" min="0" max="4" step="0.1" value={form.skew.clone()} oninput={on_input(link, Field::Skew)} />
                </div>
                <div class="row"><button type="submit">{"Generate keys"}</button></div>
            </form>
            <details>
                <summary>{"Paste your own keys"}</summary>
                <textarea aria-label="Keys, one per line" rows="4" style="width: 100%" value={form.pasted.clone()} oninput={on_paste} />
                <div class="row"><button onclick={link.reform(|_| Msg::UsePasted)}>{"Use pasted keys"}</button></div>
            </details>
        </section>
    }
}

/// Type a key, see its position, owner and replicas (and its walk on the canvas).
pub fn lookup(form: &Form, lab: &RingLab, link: &Callback<Msg>) -> Html {
    let result = lookup_hash(&form.lookup).map(|h| describe_hash(lab, form.lookup.trim(), h));
    html! {
        <section class="panel" aria-labelledby="lookup-h">
            <h2 id="lookup-h">{"Look up a key"}</h2>
            <input type="text" aria-label="Key to look up" placeholder="e.g. order:1001" style="width: 100%"
                value={form.lookup.clone()} oninput={on_input(link, Field::Lookup)} />
            <div aria-live="polite">{ for result }</div>
        </section>
    }
}

fn describe_hash(lab: &RingLab, name: &str, h: u64) -> Html {
    let ring = lab.ring();
    let name_of = |id: NodeId| ring.node(id).map(|n| n.name.clone()).unwrap_or_default();
    let owner = ring
        .owner_of(h)
        .map(name_of)
        .unwrap_or_else(|| "nobody (no live node)".into());
    let replicas: Vec<String> = ring
        .replicas(h, lab.replicas())
        .into_iter()
        .map(name_of)
        .collect();
    html! {
        <dl class="details" style="border: 0; margin: 6px 0 0; padding: 0">
            <dt>{"Key"}</dt><dd>{name}</dd>
            <dt>{"Position"}</dt><dd><code>{format!("{h:016x}")}</code></dd>
            <dt>{"Owner"}</dt><dd>{owner}</dd>
            <dt>{"Replicas"}</dt><dd>{replicas.join(", ")}</dd>
        </dl>
    }
}

/// A hovered key's details, shown under the canvas.
pub fn key_details(lab: &RingLab, k: u32) -> Html {
    let keys = lab.keys();
    describe_hash(lab, keys.name(k), keys.hash(k))
}

/// The metrics region: keys moved vs ideal and vs mod N, balance, and the per-node bars.
pub fn metrics(m: &RingMetrics, lab: &RingLab, hovered: Option<Html>) -> Html {
    let last: Option<&Report> = lab.last_report();
    let total = lab.keys().len();
    let view = lab.view_algorithm();
    let max_keys = m.rows.iter().map(|r| r.keys).max().unwrap_or(0).max(1) as f64;
    let mean_left = m.mean / max_keys * 100.0;
    let (shown, hidden) = shown_rows(m, None);
    html! {
        <section class="panel" aria-label="Metrics">
            <h2>{"Metrics"}</h2>
            if view != Algorithm::Ring {
                <p class="node-meta">{format!("Keys per node as placed by {} (arcs and shares stay the ring's).", view.label())}</p>
            }
            <div class="metrics-grid">
                <div class="metric"><span class="label">{"Keys"}</span><span class="value">{group_digits(total as u64)}</span></div>
                <div class="metric"><span class="label">{"Mean keys per live node"}</span><span class="value">{format!("{:.1}", m.mean)}</span></div>
                <div class="metric"><span class="label">{"Max / mean"}</span><span class="value">{format!("{:.2}", m.max_over_mean)}</span></div>
                <div class="metric"><span class="label">{"Std-dev / mean"}</span><span class="value">{format!("{:.2}", m.std_over_mean)}</span></div>
            </div>
            <p class="moved">
                { match last {
                    Some(r) if r.ideal.is_some() => html! { <><strong>{r.moved_sentence()}</strong>
                        { for r.mod_n_sentence().map(|s| html! { <><br/>{s}</> }) }</> },
                    Some(r) => html! { <strong>{r.moved_sentence()}</strong> },
                    None => html! { {"0 keys moved yet: add, fail or remove a node to see keys move."} },
                } }
            </p>
            { for hovered }
            <table class="bars" aria-label="Keys per node">
                <thead><tr><th>{"Node"}</th><th>{"Keys"}</th><th>{"Share"}</th><th>{"Load (dashed line: mean)"}</th></tr></thead>
                <tbody>
                { for shown.iter().map(|r| html! {
                    <tr>
                        <td>{&r.name}{ if r.up { "" } else { " (down)" } }</td>
                        <td>{group_digits(r.keys as u64)}</td>
                        <td>{format!("{:.1}%", r.share * 100.0)}</td>
                        <td class="bar-cell">
                            <div class="bar" style={format!("width: {:.2}%; {}", r.keys as f64 / max_keys * 100.0, swatch_style(r.id, r.up))}></div>
                            <div class="bar-mean" style={format!("left: {mean_left:.2}%")}></div>
                        </td>
                    </tr>
                }) }
                </tbody>
            </table>
            { more_note(hidden) }
        </section>
    }
}

/// The event log, newest last, announced politely.
pub fn log(entries: &[LogEntry]) -> Html {
    let start = entries.len().saturating_sub(LOG_LINES);
    html! {
        <section class="panel log-panel" aria-labelledby="log-h">
            <h2 id="log-h">{"Event log"}</h2>
            <ol class="log" role="log" aria-live="polite" aria-label="Event log">
                { for entries[start..].iter().map(|e| html! {
                    <li><span class="t">{format!("#{}", e.seq)}</span>{&e.text}</li>
                }) }
            </ol>
        </section>
    }
}

/// Side-by-side: the same event under every placement scheme, and which one colours the keys.
pub fn compare(
    lab: &RingLab,
    comparison: Option<&Result<Vec<algorithms::Report>, String>>,
    link: &Callback<Msg>,
) -> Html {
    let view = lab.view_algorithm();
    let send = link.clone();
    let on_view = Callback::from(move |e: Event| {
        if let Some(a) = parse_algorithm(&e.target_unchecked_into::<HtmlSelectElement>().value()) {
            send.emit(Msg::ViewAlgorithm(a));
        }
    });
    let can_compare = lab
        .last_report()
        .is_some_and(|r| !r.before.is_empty() || !r.after.is_empty());
    let table = match comparison {
        None => html! {},
        Some(Err(e)) => html! { <p class="error" role="alert">{e}</p> },
        Some(Ok(rows)) => html! {
            <table class="compare" aria-label="Algorithm comparison">
                <thead><tr><th>{"Algorithm"}</th><th>{"Keys moved"}</th><th>{"Moved %"}</th><th>{"Max / mean"}</th><th>{"Std / mean"}</th><th>{"Hot max / mean"}</th></tr></thead>
                <tbody>
                { for rows.iter().map(|r| html! {
                    <tr>
                        <td>{r.algorithm.label()}</td>
                        <td>{group_digits(r.moved as u64)}</td>
                        <td>{format!("{:.1}%", r.moved_fraction * 100.0)}</td>
                        <td>{format!("{:.2}", r.max_over_mean)}</td>
                        <td>{format!("{:.2}", r.std_over_mean)}</td>
                        <td>{format!("{:.2}", r.weighted_max_over_mean)}</td>
                    </tr>
                }) }
                </tbody>
            </table>
        },
    };
    html! {
        <section class="panel" aria-labelledby="compare-h">
            <h2 id="compare-h">{"Algorithms"}</h2>
            <div class="row">
                <label for="view-alg">{"Colour keys by"}</label>
                <select id="view-alg" onchange={on_view}>
                    { for Algorithm::ALL.iter().map(|&a| html! {
                        <option value={algorithm_value(a)} selected={a == view}>{a.label()}</option>
                    }) }
                </select>
                <button disabled={!can_compare} onclick={link.reform(|_| Msg::Compare)}
                    title="Run every scheme on the last topology change">{"Compare on last change"}</button>
            </div>
            { table }
        </section>
    }
}
