//! Guided tours: a scenario's narration played step by step. Next moves the playhead to the
//! next step; Back really goes back (the timeline seeks); a step with a question is asked
//! *before* it is shown ("predict, then reveal") and revealed once answered; free play leaves
//! the tour at any point and Resume picks it up where the playhead is. Pure state, tested
//! natively; the panel only renders it and performs the seeks it returns.

use crate::sim::scenario::Narration;
use crate::sim::time::Time;

/// Where a tour stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tour {
    /// Touring (false: free play).
    pub on: bool,
    /// The step shown (index into the narration).
    pub step: usize,
    /// The step whose question is being asked, not yet revealed.
    pub asking: Option<usize>,
    /// Answer given per step, if any.
    pub answers: Vec<Option<usize>>,
}

impl Tour {
    /// Starts at the first step; returns where the playhead goes.
    pub fn start(&mut self, steps: &[Narration]) -> Option<Time> {
        *self = Tour {
            on: !steps.is_empty(),
            step: 0,
            asking: None,
            answers: vec![None; steps.len()],
        };
        self.go(steps, 0)
    }

    /// Goes to step `i`, asking its question first if it has an unanswered one.
    fn go(&mut self, steps: &[Narration], i: usize) -> Option<Time> {
        let s = steps.get(i)?;
        if s.ask.is_some() && self.answers.get(i).copied().flatten().is_none() {
            self.asking = Some(i);
            return None;
        }
        self.asking = None;
        self.step = i;
        Some(s.at_ms)
    }

    /// Next step (or its question); None when there is nowhere to go yet.
    pub fn next(&mut self, steps: &[Narration]) -> Option<Time> {
        if self.asking.is_some() {
            return None;
        }
        self.go(steps, self.step + 1)
    }

    /// The previous step, shown again (its question already answered or not asked twice).
    pub fn back(&mut self, steps: &[Narration]) -> Option<Time> {
        if self.asking.take().is_some() {
            return steps.get(self.step).map(|s| s.at_ms);
        }
        let i = self.step.checked_sub(1)?;
        self.step = i;
        steps.get(i).map(|s| s.at_ms)
    }

    /// Answers the question being asked and reveals its step.
    pub fn answer(&mut self, steps: &[Narration], choice: usize) -> Option<Time> {
        let i = self.asking?;
        if let Some(a) = self.answers.get_mut(i) {
            *a = Some(choice);
        }
        self.go(steps, i)
    }

    /// Leaves the tour (the playhead stays).
    pub fn free_play(&mut self) {
        self.on = false;
        self.asking = None;
    }

    /// Back into the tour at the step in force at `now` (answers kept).
    pub fn resume(&mut self, steps: &[Narration], now: Time) {
        if self.answers.len() != steps.len() {
            self.answers = vec![None; steps.len()];
        }
        self.on = !steps.is_empty();
        self.asking = None;
        self.step = steps.iter().rposition(|s| s.at_ms <= now).unwrap_or(0);
    }

    /// Whether the answer given at step `i` was right (None: not asked or not answered).
    pub fn right(&self, steps: &[Narration], i: usize) -> Option<bool> {
        let given = self.answers.get(i).copied().flatten()?;
        Some(steps.get(i)?.ask.as_ref()?.answer == given)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Ask;

    fn steps() -> Vec<Narration> {
        let n = |at_ms, text: &str, ask: Option<Ask>| Narration {
            at_ms,
            text: text.into(),
            ask,
        };
        vec![
            n(0, "start", None),
            n(100, "pause", None),
            n(
                1_100,
                "two holders",
                Some(Ask {
                    question: "Who holds the lock now?".into(),
                    choices: vec!["c1".into(), "c2".into(), "both believe they do".into()],
                    answer: 2,
                    why: "c1 is frozen and still believes".into(),
                }),
            ),
            n(1_700, "stale write", None),
        ]
    }

    #[test]
    fn next_back_and_predict_then_reveal() {
        let s = steps();
        let mut t = Tour::default();
        assert_eq!(t.start(&s), Some(0));
        assert!(t.on);
        assert_eq!(t.next(&s), Some(100));
        // Step 2 has a question: Next asks instead of moving.
        assert_eq!(t.next(&s), None);
        assert_eq!(t.asking, Some(2));
        assert_eq!(t.step, 1, "the playhead stays before the reveal");
        assert_eq!(t.next(&s), None, "Next waits for an answer");
        assert_eq!(t.answer(&s, 0), Some(1_100));
        assert_eq!((t.step, t.asking), (2, None));
        assert_eq!(t.right(&s, 2), Some(false));
        assert_eq!(t.next(&s), Some(1_700));
        assert_eq!(t.next(&s), None, "no step after the last");
        // Back really goes back, and an answered question is not asked again.
        assert_eq!(t.back(&s), Some(1_100));
        assert_eq!(t.back(&s), Some(100));
        assert_eq!(t.next(&s), Some(1_100));
        assert_eq!(t.back(&s), Some(100));
        assert_eq!(t.back(&s), Some(0));
        assert_eq!(t.back(&s), None);
    }

    #[test]
    fn back_while_asked_cancels_the_question_and_free_play_resumes_at_the_playhead() {
        let s = steps();
        let mut t = Tour::default();
        t.start(&s);
        t.next(&s);
        assert_eq!(t.next(&s), None);
        assert_eq!(t.back(&s), Some(100));
        assert_eq!(t.asking, None);
        t.free_play();
        assert!(!t.on);
        t.resume(&s, 1_500);
        assert!(t.on);
        assert_eq!(t.step, 2);
        assert_eq!(t.right(&s, 2), None, "never answered");
    }

    #[test]
    fn an_empty_narration_is_no_tour() {
        let mut t = Tour::default();
        assert_eq!(t.start(&[]), None);
        assert!(!t.on);
    }
}
