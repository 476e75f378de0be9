//! The playback clock of the cluster view: virtual time advancing with wall time × speed,
//! and the log-scale speed slider. Pure, so the arithmetic is tested natively and the frame
//! loop only feeds it timestamps.

use crate::sim::time::Time;

/// Slowest playback: a 5 ms message takes 50 ms of wall time.
pub const MIN_SPEED: f64 = 0.1;
/// Fastest playback: a 5-second scenario in a tenth of a second.
pub const MAX_SPEED: f64 = 50.0;
/// Largest value of the speed slider: 40 steps per decade from 0.1× (0) through 1× (40) and
/// 10× (80) to 50× (108).
pub const SPEED_SLIDER_MAX: u32 = 108;
/// A frame gap longer than this (a background tab, a breakpoint) counts as this long, so
/// coming back does not fast-forward through minutes of simulation.
pub const MAX_FRAME_GAP_MS: f64 = 250.0;

/// 10^(r/40) for r in 0..40, correctly rounded: one decade of slider steps. A table, not
/// `powf`/`log10`, which compile to ~2.7 KB of libm in the page's wasm.
const STEPS: [f64; 40] = [
    1.0,
    1.0592537251772889,
    1.1220184543019633,
    1.1885022274370185,
    1.2589254117941673,
    1.333521432163324,
    1.4125375446227544,
    1.4962356560944334,
    1.5848931924611134,
    1.6788040181225603,
    1.7782794100389228,
    1.8836490894898006,
    1.9952623149688795,
    2.113489039836647,
    2.2387211385683394,
    2.371373705661655,
    2.51188643150958,
    2.6607250597988097,
    2.8183829312644537,
    2.9853826189179595,
    3.1622776601683795,
    3.3496543915782766,
    3.5481338923357546,
    3.7583740428844417,
    3.9810717055349727,
    4.216965034285822,
    4.466835921509631,
    4.7315125896148045,
    5.011872336272723,
    5.3088444423098835,
    5.623413251903491,
    5.956621435290105,
    6.3095734448019325,
    6.683439175686146,
    7.0794578438413795,
    7.498942093324558,
    7.943282347242815,
    8.413951416451951,
    8.912509381337456,
    9.440608762859235,
];
/// 10^(1/80): half a step, the boundary between two slider positions.
const HALF_STEP: f64 = 1.0292005271944282;

/// Speed for a slider position (log scale, see [`SPEED_SLIDER_MAX`]): 10^(v/40 - 1).
pub fn speed_at(slider: u32) -> f64 {
    let v = slider.min(SPEED_SLIDER_MAX) as usize;
    let decade = [1.0, 10.0, 100.0][v / 40];
    (STEPS[v % 40] * decade / 10.0).clamp(MIN_SPEED, MAX_SPEED)
}

/// The slider position showing `speed` (nearest step on the log scale).
pub fn slider_for(speed: f64) -> u32 {
    let s = speed.clamp(MIN_SPEED, MAX_SPEED);
    let mut v = 0;
    while v < SPEED_SLIDER_MAX && s >= speed_at(v) * HALF_STEP {
        v += 1;
    }
    v
}

/// "2.0×", "0.25×", "50.0×": one decimal from 1× up, two significant digits below.
pub fn speed_label(speed: f64) -> String {
    if speed >= 0.995 {
        format!("{speed:.1}×")
    } else {
        let s = format!("{speed:.2}");
        let s = s.strip_suffix('0').unwrap_or(&s);
        format!("{s}×")
    }
}

/// Playing or paused, how fast, and where the playhead is (fractional virtual ms, so messages
/// glide between the integer times at which the engine has work).
#[derive(Clone, Debug, PartialEq)]
pub struct Playback {
    /// True while time advances by itself.
    pub playing: bool,
    /// Virtual ms per wall ms.
    pub speed: f64,
    /// The playhead (virtual ms).
    pub vt: f64,
    /// Playing pauses by itself when the playhead reaches this (the end of a scenario).
    pub stop_at: Option<Time>,
    last_wall: Option<f64>,
}

impl Default for Playback {
    fn default() -> Self {
        Playback {
            playing: false,
            speed: 1.0,
            vt: 0.0,
            stop_at: None,
            last_wall: None,
        }
    }
}

impl Playback {
    /// Starts playing from the current playhead; the first frame only sets the wall clock.
    pub fn play(&mut self) {
        self.playing = true;
        self.last_wall = None;
    }

    /// Stops advancing.
    pub fn pause(&mut self) {
        self.playing = false;
        self.last_wall = None;
    }

    /// Moves the playhead (after a seek, a step or a command).
    pub fn set(&mut self, t: f64) {
        self.vt = t.max(0.0);
    }

    /// One animation frame at wall time `wall_ms`: advances the playhead by the elapsed wall
    /// time × speed and returns it; pauses at `stop_at`.
    pub fn tick(&mut self, wall_ms: f64) -> f64 {
        if !self.playing {
            return self.vt;
        }
        let dt = match self.last_wall {
            Some(last) => (wall_ms - last).clamp(0.0, MAX_FRAME_GAP_MS),
            None => 0.0,
        };
        self.last_wall = Some(wall_ms);
        self.vt += dt * self.speed;
        if let Some(stop) = self.stop_at {
            if self.vt >= stop as f64 {
                self.vt = stop as f64;
                self.stop_at = None;
                self.pause();
            }
        }
        self.vt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slider_is_logarithmic_from_a_tenth_to_fifty() {
        assert_eq!(speed_at(0), 0.1);
        assert!((speed_at(40) - 1.0).abs() < 1e-12);
        assert!((speed_at(80) - 10.0).abs() < 1e-9);
        assert_eq!(speed_at(SPEED_SLIDER_MAX), 50.0);
        assert_eq!(speed_at(9999), 50.0);
        for v in 0..=SPEED_SLIDER_MAX {
            assert_eq!(slider_for(speed_at(v)), v);
            // The table is 10^(v/40 - 1), as powf has it.
            let want = 10f64
                .powf(v as f64 / 40.0 - 1.0)
                .clamp(MIN_SPEED, MAX_SPEED);
            assert!(
                (speed_at(v) - want).abs() <= want * 4.0 * f64::EPSILON,
                "{v}"
            );
            // Nearest step on the log scale, as rounding (log10(s) + 1) * 40 has it.
            let s = speed_at(v) * 1.01;
            let want = ((s.clamp(MIN_SPEED, MAX_SPEED).log10() + 1.0) * 40.0).round() as u32;
            assert_eq!(slider_for(s), want.min(SPEED_SLIDER_MAX), "{s}");
        }
        assert_eq!(slider_for(1.0), 40);
        assert_eq!(slider_for(0.0), 0);
    }

    #[test]
    fn labels_read_like_multipliers() {
        assert_eq!(speed_label(2.0), "2.0×");
        assert_eq!(speed_label(speed_at(52)), "2.0×");
        assert_eq!(speed_label(1.0), "1.0×");
        assert_eq!(speed_label(0.1), "0.1×");
        assert_eq!(speed_label(0.25), "0.25×");
        assert_eq!(speed_label(50.0), "50.0×");
    }

    #[test]
    fn time_follows_wall_clock_times_speed_and_stops_at_the_end() {
        let mut p = Playback {
            speed: 2.0,
            stop_at: Some(100),
            ..Playback::default()
        };
        assert_eq!(p.tick(0.0), 0.0, "paused: nothing moves");
        p.play();
        assert_eq!(p.tick(1000.0), 0.0, "the first frame only starts the clock");
        assert_eq!(p.tick(1016.0), 32.0);
        // A long gap (background tab) counts as MAX_FRAME_GAP_MS at most.
        assert_eq!(p.tick(5000.0), 100.0, "stops at the end");
        assert!(!p.playing);
        assert_eq!(p.stop_at, None, "playing again continues past the end");
        p.play();
        p.tick(6000.0);
        assert_eq!(p.tick(6010.0), 120.0);
    }
}
