#!/usr/bin/env bash
# Run every test layer of ringlab, continue after a failing layer, and print a summary whose
# last line is exactly "N passed, N failed".
#
#   scripts/test.sh                  # setup + all layers
#   scripts/test.sh fmt e2e          # setup + only the named layers (in the order below)
#   SKIP_SETUP=1 scripts/test.sh …   # skip the setup check
#
# Layers: fmt clippy-host clippy-wasm test-native conformance test-wasm build size e2e
# Counting: every individual test of cargo test (native), cargo test --target wasm32 and the
# Playwright e2e files counts one, every flavor of the conformance layer (redis, etcd,
# zookeeper, recipes, traces) counts one; every check layer (setup, fmt, clippy-host, clippy-wasm,
# build, size) counts one. A test layer that fails without reporting a failed test (e.g. it
# does not compile) counts one failure. Logs: target/test-logs/<layer>.log.
set -uo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$RINGLAB_ROOT" || exit 1

ALL_LAYERS=(fmt clippy-host clippy-wasm test-native conformance test-wasm build size e2e)
WASM_TARGET=wasm32-unknown-unknown

SELECTED=()
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *)
      ok=0
      for l in "${ALL_LAYERS[@]}"; do [ "$l" = "$arg" ] && ok=1; done
      if [ "$ok" = 0 ]; then echo "test.sh: unknown layer '$arg' (layers: ${ALL_LAYERS[*]})" >&2; exit 2; fi
      SELECTED+=("$arg")
      ;;
  esac
done
[ ${#SELECTED[@]} -eq 0 ] && SELECTED=("${ALL_LAYERS[@]}")
selected() { local l; for l in "${SELECTED[@]}"; do [ "$l" = "$1" ] && return 0; done; return 1; }

LOG_DIR=target/test-logs
mkdir -p "$LOG_DIR"
export CARGO_TERM_COLOR=never CARGO_TERM_PROGRESS_WHEN=never NO_COLOR=1
# Every layer compiles from scratch on a fresh clone, so incremental caches (gigabytes per
# target) buy nothing here and only fill the disk; set CARGO_INCREMENTAL=1 to keep them.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()
declare -A STATUS=()

# Outcome of the layer that just ran, set by the count_* helpers.
L_PASSED=0
L_FAILED=0
L_NOTE=""

record() { # record layer status seconds
  local layer="$1" status="$2" secs="$3" line
  STATUS[$layer]="$status"
  line="layer $layer: $status ($secs s)"
  if [ "$status" != skipped ]; then
    TOTAL_PASSED=$((TOTAL_PASSED + L_PASSED))
    TOTAL_FAILED=$((TOTAL_FAILED + L_FAILED))
    line+=" — $L_PASSED passed, $L_FAILED failed"
  fi
  [ -n "$L_NOTE" ] && line+=" [$L_NOTE]"
  SUMMARY+=("$line")
  echo "$line"
}

show_tail() {
  echo "---- last 40 lines of target/test-logs/$1.log ----"
  tail -n 40 "$LOG_DIR/$1.log" | sed 's/^/  | /'
  echo "----"
}

# Run one layer: run_layer NAME KIND TIMEOUT_S cmd...   KIND: check | cargo-test | node-test | conformance
run_layer() {
  local name="$1" kind="$2" limit="$3"; shift 3
  local log="$LOG_DIR/$name.log" start=$SECONDS rc
  L_PASSED=0 L_FAILED=0 L_NOTE=""
  echo "== $name: $*"
  {
    echo "\$ $*"
    timeout -k 20 "$limit" "$@" </dev/null
  } >"$log" 2>&1
  rc=$?
  [ "$rc" = 124 ] && L_NOTE="timed out after $limit s"
  case "$kind" in
    check)
      if [ "$rc" = 0 ]; then L_PASSED=1; else L_FAILED=1; fi
      ;;
    cargo-test)
      # "test result: ok. 12 passed; 0 failed; 0 ignored; ..." (one per test binary / doctests)
      read -r L_PASSED L_FAILED < <(awk '
        /^test result: / {
          for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed;?$/) p += $i
            if ($(i+1) ~ /^failed;?$/) f += $i
          }
        }
        END { print p + 0, f + 0 }' "$log")
      ;;
    conformance)
      # "conformance: redis: 3006 scripts (…), 22254 commands compared, seed 1, 5.1 s: agree"
      read -r L_PASSED L_FAILED < <(awk '
        /^conformance: [a-z]+: .*: agree$/ { p++ } /^conformance: [a-z]+: .*: (DIFFER|ERROR)$/ { f++ }
        END { print p + 0, f + 0 }' "$log")
      ;;
    node-test)
      # TAP summary written by node --test: "# pass N", "# fail N", "# cancelled N"
      local tap="$LOG_DIR/$name.tap"
      if [ -f "$tap" ]; then
        read -r L_PASSED L_FAILED < <(awk '
          /^# pass / { p = $3 } /^# fail / { f += $3 } /^# cancelled / { f += $3 }
          END { print p + 0, f + 0 }' "$tap")
      fi
      ;;
  esac
  if [ "$kind" != check ]; then
    if [ "$rc" != 0 ] && [ "$L_FAILED" = 0 ]; then
      L_FAILED=1
      [ -z "$L_NOTE" ] && L_NOTE="exit $rc without a failed test: build or runner error"
    elif [ "$rc" = 0 ] && [ "$L_PASSED" = 0 ]; then
      [ -z "$L_NOTE" ] && L_NOTE="ran no tests"
    fi
  fi
  if [ "$rc" = 0 ] && [ "$L_FAILED" = 0 ]; then
    record "$name" ok $((SECONDS - start))
  else
    record "$name" FAILED $((SECONDS - start))
    show_tail "$name"
  fi
}

skip_layer() { # skip_layer NAME REASON
  L_PASSED=0 L_FAILED=0 L_NOTE="$2"
  record "$1" skipped 0
}

# ---------------------------------------------------------------------------------------------
# setup

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  start=$SECONDS
  L_PASSED=0 L_FAILED=0 L_NOTE=""
  echo "== setup: scripts/setup.sh --for test"
  # Shown live: on a fresh machine this is the long step (trunk builds for ~14 min).
  bash scripts/setup.sh --for test </dev/null 2>&1 | tee "$LOG_DIR/setup.log"
  if [ "${PIPESTATUS[0]}" = 0 ]; then
    L_PASSED=1; record setup ok $((SECONDS - start))
  else
    L_FAILED=1; record setup FAILED $((SECONDS - start))
  fi
fi

# ---------------------------------------------------------------------------------------------
# static checks and cargo tests

selected fmt && run_layer fmt check 600 cargo fmt --all -- --check --color never
selected clippy-host && run_layer clippy-host check 1800 cargo clippy --all-targets -- -D warnings
# The wasm lint covers every page's feature set (each page compiles a different subset).
selected clippy-wasm && run_layer clippy-wasm check 1800 bash -c "cargo clippy --all-targets --target $WASM_TARGET -- -D warnings \
  && cargo clippy --lib --target $WASM_TARGET --no-default-features --features ring-tab -- -D warnings \
  && cargo clippy --lib --target $WASM_TARGET --no-default-features --features cluster-tab,proto-locks,proto-tpc -- -D warnings \
  && cargo clippy --lib --target $WASM_TARGET --no-default-features --features cluster-tab,proto-kv -- -D warnings \
  && cargo clippy --lib --target $WASM_TARGET --no-default-features --features cluster-tab,proto-log,proto-saga -- -D warnings \
  && cargo clippy --lib --target $WASM_TARGET --no-default-features --features cluster-tab,proto-stock -- -D warnings"
selected test-native && run_layer test-native cargo-test 1800 cargo test
if selected conformance; then
  # Starts redis-server, etcd and ZooKeeper itself on free loopback ports and stops them by pid.
  run_layer conformance conformance 900 bash -c 'cargo build --bin ringlab-cli && python3 tests/conformance/run.py'
  grep '^conformance: ' "$LOG_DIR/conformance.log" | sed 's/^/  /'
fi

if selected test-wasm; then
  # wasm-bindgen-test-runner (the cargo runner in .cargo/config.toml) drives headless Chromium
  # through chromedriver for tests configured with run_in_browser, and Node otherwise.
  CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver || true)}"
  [ -n "$CHROMEDRIVER" ] && export CHROMEDRIVER
  export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"
  # chromedriver leaves an 80 MB profile in $TMPDIR per test binary; keep them in target/ and
  # remove them after the layer, so repeated runs do not fill /tmp.
  WASM_TMP="$RINGLAB_ROOT/target/tmp-test-wasm"
  rm -rf "$WASM_TMP" && mkdir -p "$WASM_TMP"
  TMPDIR="$WASM_TMP" run_layer test-wasm cargo-test 1800 cargo test --target "$WASM_TARGET"
  rm -rf "$WASM_TMP"
fi

# ---------------------------------------------------------------------------------------------
# release build (offline after cargo fetch, so Trunk never downloads a tool)

if selected build; then
  run_layer build check 2400 bash -c '{ cargo fetch || cargo fetch --offline; } && bash scripts/build-pages.sh'
fi

# ---------------------------------------------------------------------------------------------
# size report and budget

if selected size; then
  if [ "${STATUS[build]:-}" = FAILED ]; then
    skip_layer size "build failed"
  elif [ ! -f dist/index.html ]; then
    L_PASSED=0 L_FAILED=1 L_NOTE="dist/ missing: run the build layer"; record size FAILED 0
  else
    run_layer size check 60 bash scripts/size-report.sh dist
    sed -n '2,$p' "$LOG_DIR/size.log" | sed 's/^/  /'
  fi
fi

# ---------------------------------------------------------------------------------------------
# Playwright end-to-end tests against dist/ served on a free loopback port

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
  fi
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

if selected e2e; then
  if [ "${STATUS[build]:-}" = FAILED ]; then
    skip_layer e2e "build failed"
  elif [ ! -f dist/index.html ]; then
    L_PASSED=0 L_FAILED=1 L_NOTE="dist/index.html missing: run the build layer"; record e2e FAILED 0
  else
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    python3 -m http.server --bind 127.0.0.1 --directory dist "$port" >"$LOG_DIR/e2e-server.log" 2>&1 </dev/null &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
      curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
      sleep 0.1
    done
    export E2E_BASE_URL="http://127.0.0.1:$port/"
    rm -f "$LOG_DIR/e2e.tap" target/screenshots/*.png
    run_layer e2e node-test 900 node --test --test-concurrency=1 \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$LOG_DIR/e2e.tap" \
      tests/e2e/*.test.mjs
    stop_server
    for shot in target/screenshots/*.png; do [ -f "$shot" ] && echo "  screenshot: $shot"; done
  fi
fi

# ---------------------------------------------------------------------------------------------

echo
echo "== summary (logs in target/test-logs/)"
for line in "${SUMMARY[@]}"; do echo "$line"; done
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" = 0 ]
