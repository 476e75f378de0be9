#!/usr/bin/env bash
# Benchmarks: figures for the README, never pass/fail. Run on an idle machine if you can;
# on a shared one, trust the ratios (measured in the same run) more than absolute times.
#   bash scripts/bench.sh            # ring + engine natively, wasm lookup, browser frame times
#   bash scripts/bench.sh ring       # one part: ring | engine | wasm | frames | clicks
#   bash scripts/bench.sh clicks 5   # click latency while the page works, over 5 runs (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh
mkdir -p target/bench
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(ring engine wasm frames clicks)
# `clicks N`: the number after the part is its run count.
CLICK_RUNS=3
if [ "${parts[0]}" = clicks ] && [ ${#parts[@]} -eq 2 ]; then
  CLICK_RUNS="${parts[1]}"
  parts=(clicks)
fi

for part in "${parts[@]}"; do
  case "$part" in
    ring)
      echo "== ring core (native, release)"
      cargo bench --bench ring 2>/dev/null | tee target/bench/ring.md
      ;;
    engine)
      echo "== engine (native, release)"
      cargo bench --bench engine 2>/dev/null | tee target/bench/engine.md
      ;;
    wasm)
      echo "== lookup in wasm (headless Chromium, release) vs native (same run)"
      cargo bench --bench ring >target/bench/ring.md 2>/dev/null || true
      # Like for like: wasm at the bench profile's opt-level 3 (CARGO_TARGET_DIR keeps it apart
      # from the size-tuned build), then the shipped opt-level "z" build the app really runs.
      CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_TARGET_DIR=target/bench-o3 \
        cargo test --release --target wasm32-unknown-unknown --test web_bench -- --include-ignored --nocapture \
        >target/bench/wasm-o3.log 2>&1 || true
      cargo test --release --target wasm32-unknown-unknown --test web_bench -- --include-ignored --nocapture \
        >target/bench/wasm.log 2>&1 || true
      # Native again with sha1's software backend: wasm has no SHA instructions, so this is the
      # like-for-like code comparison; the first figure includes the CPU's SHA-NI advantage.
      RUSTFLAGS='--cfg sha1_backend="soft"' CARGO_TARGET_DIR=target/bench-soft \
        cargo bench --bench ring >target/bench/ring-soft.md 2>/dev/null || true
      soft=$(grep 'SHA-1 included' target/bench/ring-soft.md | grep -oE '[0-9.]+ ns' | head -n 1 | cut -d' ' -f1 || true)
      native=$(grep 'SHA-1 included' target/bench/ring.md | grep -oE '[0-9.]+ ns' | head -n 1 | cut -d' ' -f1 || true)
      wasm3=$(grep -oE 'wasm lookup ns: [0-9.]+' target/bench/wasm-o3.log | grep -oE '[0-9.]+$' | head -n 1 || true)
      wasmz=$(grep -oE 'wasm lookup ns: [0-9.]+' target/bench/wasm.log | grep -oE '[0-9.]+$' | head -n 1 || true)
      if [ -z "$native" ] || [ -z "$soft" ] || [ -z "$wasm3" ] || [ -z "$wasmz" ]; then
        echo "could not read the figures; see target/bench/{ring.md,wasm-o3.log,wasm.log}" >&2
        exit 1
      fi
      awk -v n="$native" -v s="$soft" -v w="$wasm3" -v z="$wasmz" 'BEGIN {
        printf "native %.0f ns (software SHA-1: %.0f ns); wasm opt-level 3 %.0f ns = %.2fx native, %.2fx native-soft (goal <= 1.6x); shipped opt-level z %.0f ns = %.2fx native\n", n, s, w, w / n, w / s, z, z / n }' |
        tee target/bench/wasm-ratio.txt
      ;;
    frames)
      echo "== browser frame times during a topology change (release build)"
      cargo fetch -q && trunk build --release --offline >/dev/null 2>&1
      node tests/perf/frames.mjs 4x16x2000 100x100x10000 1000x100x100000 | tee target/bench/frames.md
      ;;
    clicks)
      echo "== clicks answered while the page works, $CLICK_RUNS runs (release build, headless Chromium)"
      cargo fetch -q && trunk build --release --offline >/dev/null 2>&1
      : >target/bench/clicks.md
      for run in $(seq 1 "$CLICK_RUNS"); do
        node --test --test-name-pattern='a click is answered' tests/e2e/responsive-during-work.test.mjs \
          >target/bench/clicks-run.log 2>&1 || true
        line=$(grep -m 1 -oE 'node-row click during a tween.*' target/bench/clicks-run.log ||
          echo "no figures (see target/bench/clicks-run.log)")
        echo "run $run ($(date -u +%H:%M) UTC, load $(cut -d' ' -f1 /proc/loadavg)): $line" | tee -a target/bench/clicks.md
      done
      ;;
    *)
      echo "unknown part '$part' (ring | engine | wasm | frames | clicks)" >&2
      exit 2
      ;;
  esac
done
