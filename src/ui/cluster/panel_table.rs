//! The table the protocol panels show their counters, orders and comparisons in: one `html!`
//! for all of them, so every panel's table reads (and costs) the same.

use yew::prelude::*;

/// A labelled table: its header cells and rows of cells, each row with an optional class
/// (`clash`, `doubt`, …); `class` is added to the table's own (`lock-table`).
pub fn table(
    label: &'static str,
    class: Option<&'static str>,
    head: &[&str],
    rows: Vec<(Vec<String>, Option<&'static str>)>,
) -> Html {
    html! {
        <table class={classes!("lock-table", class)} aria-label={label}>
            <thead><tr>{ for head.iter().map(|h| html! { <th>{ *h }</th> }) }</tr></thead>
            <tbody>
                { for rows.into_iter().map(|(cells, class)| html! {
                    <tr {class}>{ for cells.into_iter().map(|c| html! { <td>{ c }</td> }) }</tr>
                }) }
            </tbody>
        </table>
    }
}

/// [`table`] with no classes on the rows.
pub fn plain(label: &'static str, head: &[&str], rows: Vec<Vec<String>>) -> Html {
    table(
        label,
        None,
        head,
        rows.into_iter().map(|r| (r, None)).collect(),
    )
}
