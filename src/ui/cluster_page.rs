//! The Cluster page's root: the shell and the Cluster lab, without the Hash ring lab's code,
//! for embeds and links that only need the simulated cluster.

use yew::prelude::*;

use crate::model::url::Tab;
use crate::ui::cluster::ClusterLab;
use crate::ui::shell::Header;

/// The root component of `cluster.html`.
#[function_component(ClusterPage)]
pub fn cluster_page() -> Html {
    // The only tab this page switches to itself is its own; the Hash ring tab navigates.
    let on_tab = Callback::from(|_: Tab| {});
    html! {
        <>
            <Header tab={Tab::Cluster} {on_tab} />
            <ClusterLab active={true} />
        </>
    }
}
