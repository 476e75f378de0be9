//! Keyboard shortcuts: which key does what, and when a key belongs to the page instead (typing
//! in a field, a focused slider or button). Pure, so the rules are tested natively; each
//! shortcut also has a button.

/// What a shortcut asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    /// Space: play or pause the cluster.
    PlayPause,
    /// ←: back to the previous event.
    StepBack,
    /// →: the next step with events.
    StepForward,
    /// + (or =): faster.
    Faster,
    /// -: slower.
    Slower,
    /// N: add a node.
    AddNode,
    /// F: fail (ring) or crash (cluster) the selected node.
    Fail,
    /// R: recover the selected node.
    Recover,
    /// Delete / Backspace: remove the selected node (ring).
    Remove,
    /// L: show or hide the canvas legend.
    Legend,
    /// ?: show or hide the shortcut sheet.
    Help,
    /// Escape: close the sheet.
    Close,
}

/// The sheet the `?` key shows: (keys, what they do).
pub const SHEET: [(&str, &str); 11] = [
    ("Space", "Play / pause (Cluster)"),
    ("← / →", "Step back / forward (Cluster)"),
    ("+ / −", "Faster / slower (Cluster)"),
    ("N", "Add a node"),
    ("F", "Fail the selected node (Cluster: crash it)"),
    ("R", "Recover the selected node"),
    ("Del", "Remove the selected node (Hash ring)"),
    ("L", "Show or hide the canvas legend"),
    ("?", "Show or hide this sheet"),
    ("Esc", "Close this sheet"),
    ("Tab", "Move between controls"),
];

/// The shortcut for a `keydown`, or None when the key is not one or belongs to the focused
/// element: `tag` is the target's tag name (any case), `editable` whether it is
/// contenteditable, `modified` whether Ctrl, Alt or Meta is held (browser shortcuts).
pub fn shortcut(key: &str, tag: &str, editable: bool, modified: bool) -> Option<Shortcut> {
    if modified || editable {
        return None;
    }
    let tag = tag.to_ascii_lowercase();
    // Fields, sliders and select boxes use every key themselves.
    if matches!(tag.as_str(), "input" | "textarea" | "select") {
        return None;
    }
    // A focused button, link or selectable list item takes Space itself.
    if key == " " && matches!(tag.as_str(), "button" | "a" | "summary" | "li") {
        return None;
    }
    Some(match key {
        " " | "Spacebar" => Shortcut::PlayPause,
        "ArrowLeft" => Shortcut::StepBack,
        "ArrowRight" => Shortcut::StepForward,
        "+" | "=" => Shortcut::Faster,
        "-" | "_" => Shortcut::Slower,
        "n" | "N" => Shortcut::AddNode,
        "f" | "F" => Shortcut::Fail,
        "r" | "R" => Shortcut::Recover,
        "l" | "L" => Shortcut::Legend,
        "Delete" | "Backspace" => Shortcut::Remove,
        "?" => Shortcut::Help,
        "Escape" => Shortcut::Close,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_and_fields_keep_theirs() {
        assert_eq!(
            shortcut(" ", "BODY", false, false),
            Some(Shortcut::PlayPause)
        );
        assert_eq!(
            shortcut("ArrowLeft", "canvas", false, false),
            Some(Shortcut::StepBack)
        );
        assert_eq!(shortcut("N", "DIV", false, false), Some(Shortcut::AddNode));
        assert_eq!(shortcut("=", "body", false, false), Some(Shortcut::Faster));
        assert_eq!(shortcut("?", "body", false, false), Some(Shortcut::Help));
        assert_eq!(shortcut("l", "body", false, false), Some(Shortcut::Legend));
        assert_eq!(shortcut("L", "input", false, false), None);
        // Typing in a field, a focused slider, a focused button's Space, browser shortcuts.
        assert_eq!(shortcut("n", "INPUT", false, false), None);
        assert_eq!(shortcut("ArrowLeft", "input", false, false), None);
        assert_eq!(shortcut("f", "TEXTAREA", false, false), None);
        assert_eq!(shortcut("r", "div", true, false), None);
        assert_eq!(shortcut(" ", "BUTTON", false, false), None);
        assert_eq!(shortcut(" ", "LI", false, false), None);
        assert_eq!(shortcut("f", "BUTTON", false, false), Some(Shortcut::Fail));
        assert_eq!(shortcut("r", "body", false, true), None);
        assert_eq!(shortcut("x", "body", false, false), None);
    }
}
