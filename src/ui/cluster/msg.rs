//! The Cluster tab's messages and the small types they carry: command buttons, the command
//! form as typed, and the component's properties.

use yew::prelude::*;

use crate::sim::ids::MsgId;
use crate::sim::ids::NodeIx;
use crate::sim::time::Time;
use crate::view::cluster_scene::Layout;

/// Text typed into the command panel, kept as typed so a bad value can be reported.
#[derive(Clone, Debug, PartialEq)]
pub struct CmdForm {
    /// Pause length (ms).
    pub pause_ms: String,
    /// Clock jump (ms, may be negative).
    pub jump_ms: String,
    /// Partition side: node names, comma-separated.
    pub side: String,
    /// Name of a server to add.
    pub new_node: String,
}

impl Default for CmdForm {
    fn default() -> Self {
        CmdForm {
            pause_ms: "1000".into(),
            jump_ms: "500".into(),
            side: String::new(),
            new_node: String::new(),
        }
    }
}

/// Which command-form field an input event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormField {
    /// See `CmdForm::pause_ms`.
    PauseMs,
    /// See `CmdForm::jump_ms`.
    JumpMs,
    /// See `CmdForm::side`.
    Side,
    /// See `CmdForm::new_node`.
    NewNode,
}

/// A command button, resolved against the form and the selected node when pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Crash the selected node.
    Crash,
    /// Restart it.
    Recover,
    /// Freeze it for `pause_ms`.
    Pause,
    /// Step its clock by `jump_ms`.
    ClockJump,
    /// Cut it off.
    Isolate,
    /// Split the named side from everyone else.
    Split,
    /// Remove all partitions.
    Heal,
    /// Drop the selected message.
    DropMessage,
    /// Add a server named `new_node`.
    AddNode,
    /// Mark the selected server failed on the ring.
    FailNode,
    /// Mark it healthy on the ring.
    RecoverNode,
}

/// What the tour controls ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TourAction {
    /// Start from the first step.
    Start,
    /// Next step (or its question).
    Next,
    /// Previous step.
    Back,
    /// Pick an answer to the question asked.
    Answer(usize),
    /// Leave the tour.
    Free,
    /// Back into the tour at the playhead.
    Resume,
}

/// What "Export" saves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// The cluster canvas at device resolution.
    Png,
    /// The cluster scene as SVG, from the same display list.
    Svg,
    /// The recorded trace, one JSON object per line (index, time, kind, node, text).
    Trace,
    /// The scenario as loaded.
    Scenario,
}

/// What the Verify controls ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyAction {
    /// Number of resource managers chosen.
    Rms(usize),
    /// Heuristic decisions allowed (the unsafe variant).
    Heuristic(bool),
    /// Explore.
    Run,
    /// Stop the running verification.
    Cancel,
}

/// Everything the tab can be asked to do.
pub enum Msg {
    /// The frame loop says the DOM should catch up.
    Tick,
    /// Start playing.
    Play,
    /// Stop playing.
    Pause,
    /// Go to the next step with events.
    Step,
    /// Back to the previous step.
    StepBack,
    /// Speed slider nudged by this many steps (the + and − buttons and keys).
    SpeedBy(i32),
    /// An export button.
    Export(ExportKind),
    /// A shortcut key (see `model::shortcuts`).
    Key(crate::model::shortcuts::Shortcut),
    /// The legend toggle (button or `L`).
    ToggleLegend,
    /// Speed slider moved.
    Speed(u32),
    /// Scrubber moved to a time.
    Scrub(Time),
    /// A marker or witness was clicked: go to just after this event.
    JumpEvent(usize),
    /// Go to a time (a fork marker, a narration step).
    JumpTime(Time),
    /// "Jump to violation".
    JumpViolation,
    /// A command button.
    Do(Action),
    /// A command-form field changed.
    Form(FormField, String),
    /// A node was chosen (select box, list, canvas).
    SelectNode(Option<NodeIx>),
    /// A message was chosen (diagram, canvas, log).
    SelectMsg(Option<MsgId>),
    /// An event was chosen (diagram, log).
    SelectEvent(usize),
    /// Click on the cluster canvas (CSS px).
    ClusterClick(f64, f64),
    /// Click on the diagram (CSS px).
    DiagramClick(f64, f64),
    /// Node placement changed.
    Layout(Layout),
    /// Diagram window changed (ms).
    Span(f64),
    /// "Hide routine traffic" toggled.
    NotableOnly(bool),
    /// The gallery index arrived (or failed).
    Gallery(Result<Vec<crate::model::catalog::Entry>, String>),
    /// Load a built-in scenario (file name in the index).
    LoadBuiltin(String, String),
    /// Scenario bytes arrived from a fetch or a dropped file: (where from, text).
    Loaded(String, Result<String, String>),
    /// Scenario bytes arrived from the Import section's file picker: (file name, text). A
    /// failure is then said beside the picker, where the user is looking.
    ImportFile(String, Result<String, String>),
    /// The paste box changed.
    Paste(String),
    /// "Load pasted JSON".
    ImportPaste,
    /// Seeds field changed.
    ExploreSeeds(String),
    /// "Explore N seeds".
    ExploreStart,
    /// Run the next slice of the store's end-of-run check.
    #[cfg(feature = "proto-kv")]
    EndCheckTick,
    /// "Cancel".
    ExploreCancel,
    /// A job worker answered: which one, and what.
    Job(crate::model::job::JobKind, crate::model::job::Reply),
    /// A job worker failed to load or died: which job, and why.
    JobWorkerFailed(crate::model::job::JobKind, String),
    /// A panel asks a worker for a table, kept in the panel memo under the key.
    #[cfg(feature = "table-jobs")]
    TableJob(&'static str, crate::model::job::Request),
    /// "Replay this counterexample".
    ReplayFound,
    /// Back/Forward changed the fragment.
    PopState,
    /// A postMessage from another window: (origin, data as JSON text, its source window).
    Embed(String, String, wasm_bindgen::JsValue),
    /// A control of the Verify panel.
    Verify(VerifyAction),
    /// A control of the tour card.
    Tour(TourAction),
    /// A protocol panel runs a command at the playhead.
    Run(crate::sim::cmd::Cmd),
    /// A protocol panel loads another scenario (a variant of this one).
    LoadScenario(String, Box<Result<crate::sim::scenario::Scenario, String>>),
    /// The gallery's filter text changed.
    GalleryText(String),
    /// A mechanism chip was pressed (None: all).
    GalleryChip(Option<String>),
    /// The start page asked for a scenario (and maybe its tour), through `component::request`.
    Open(Option<Open>),
    /// A workspace section was opened or closed: (section key, open).
    Section(&'static str, bool),
    /// A protocol panel keeps (or forgets) something between renders.
    Memo(&'static str, Option<super::panel_ctx::Memo>),
}

/// What the start page asks the tab to show: a gallery scenario, with its tour or not.
#[derive(Clone, Debug, PartialEq)]
pub struct Open {
    /// Scenario id (its file is `{id}.json` next to the index).
    pub id: String,
    /// Start the guided tour once it has loaded.
    pub tour: bool,
    /// The gallery chip to press (the card's mechanism), if any.
    pub chip: Option<&'static str>,
}

/// Properties: whether the tab is showing (a hidden tab schedules no frames).
#[derive(Properties, PartialEq)]
pub struct Props {
    /// True while the Cluster tab is the open one.
    pub active: bool,
}
