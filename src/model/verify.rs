//! The Verify button's work: exhaustive exploration of the abstract two-phase commit
//! protocol (Gray & Lamport's TwoPhase, `sim::check::two_phase`) for a configuration small
//! enough to finish between two frames, and its result in words. The CLI's
//! `ringlab-cli check 2pc` runs the same code on larger ones.

use crate::sim::check::two_phase::{Action, TwoPhase, Variant};
use crate::sim::check::{check, Verdict};
use crate::sim::text::group_digits;
use serde::Serialize;

/// Most resource managers the browser explores (50,816 states; 7 would be 296,448).
pub const BROWSER_MAX_RMS: usize = 6;

/// One property's outcome, ready to show (owned, so it can cross from the Web Worker that
/// computes it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    /// Property name, as in the specification.
    pub name: String,
    /// What it means.
    pub explain: String,
    /// Held (`always`) or was reached (`sometimes`).
    pub ok: bool,
    /// Shortest counterexample (or witness), in the specification's action names.
    pub path: Vec<String>,
}

/// A finished verification.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verified {
    /// "3 RMs, textbook: 288 distinct states, 1,092 transitions, depth 11".
    pub summary: String,
    /// Safety properties.
    pub always: Vec<Line>,
    /// Reachability checks (so a model that does nothing cannot pass).
    pub sometimes: Vec<Line>,
    /// The first broken safety property as a counterexample file for
    /// `ringlab-cli check 2pc --replay`.
    pub counterexample: Option<String>,
}

fn line(v: &Verdict<Action>) -> Line {
    Line {
        name: v.name.to_string(),
        explain: v.explain.to_string(),
        ok: v.ok,
        path: v.path.iter().flatten().map(ToString::to_string).collect(),
    }
}

/// Explores every interleaving for `rms` resource managers (1..=[`BROWSER_MAX_RMS`]).
pub fn verify(rms: usize, heuristic: bool) -> Result<Verified, String> {
    if rms == 0 || rms > BROWSER_MAX_RMS {
        return Err(format!(
            "the browser verifies 1 to {BROWSER_MAX_RMS} resource managers; use `ringlab-cli check 2pc --rms {rms}` for more"
        ));
    }
    let (variant, name) = if heuristic {
        (Variant::Heuristic, "heuristic")
    } else {
        (Variant::Textbook, "textbook")
    };
    let report = check(&TwoPhase::new(rms, variant)?, 1_000_000);
    let always: Vec<Line> = report.always.iter().map(line).collect();
    // Written by hand (names and actions need no escaping): no JSON serializer in the bundle.
    let counterexample = always.iter().find(|l| !l.ok).map(|l| {
        let path: Vec<String> = l.path.iter().map(|a| format!("\"{a}\"")).collect();
        format!(
            "{{\n  \"model\": \"two_phase\",\n  \"rms\": {rms},\n  \"variant\": \"{name}\",\n  \"property\": \"{}\",\n  \"path\": [{}]\n}}",
            l.name,
            path.join(", ")
        )
    });
    Ok(Verified {
        summary: format!(
            "{rms} RM{}, {name}: {} distinct states, {} transitions, depth {}{}",
            if rms == 1 { "" } else { "s" },
            group_digits(report.states as u64),
            group_digits(report.transitions as u64),
            report.depth,
            if report.truncated {
                " (stopped early)"
            } else {
                ""
            }
        ),
        always,
        sometimes: report.sometimes.iter().map(line).collect(),
        counterexample,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_holds_with_the_published_state_count() {
        let v = verify(3, false).unwrap();
        assert!(
            v.summary
                .starts_with("3 RMs, textbook: 288 distinct states"),
            "{}",
            v.summary
        );
        assert!(v.always.iter().all(|l| l.ok));
        assert!(v.sometimes.iter().all(|l| l.ok));
        assert!(v.counterexample.is_none());
    }

    #[test]
    fn heuristic_breaks_consistency_with_a_replayable_shortest_path() {
        let v = verify(2, true).unwrap();
        let broken = v.always.iter().find(|l| !l.ok).expect("a broken property");
        assert_eq!(broken.name, "TCConsistent");
        assert!(!broken.path.is_empty());
        let cx: serde_json::Value =
            serde_json::from_str(v.counterexample.as_deref().unwrap()).unwrap();
        assert_eq!(cx["variant"], "heuristic");
        assert_eq!(cx["path"].as_array().unwrap().len(), broken.path.len());
    }

    #[test]
    fn out_of_range_sizes_are_refused_with_the_cli_alternative() {
        assert!(verify(0, false).unwrap_err().contains("1 to 6"));
        assert!(verify(7, false)
            .unwrap_err()
            .contains("ringlab-cli check 2pc --rms 7"));
    }
}
