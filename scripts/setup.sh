#!/usr/bin/env bash
# Install what ringlab's build, serve and test need, skipping every piece already present at
# the right version. Safe to run again and again: a second run only checks (a few seconds).
#
#   scripts/setup.sh               # everything (same as --for test)
#   scripts/setup.sh --for serve   # only what `trunk serve` / `trunk build` need
#   scripts/setup.sh --for test    # plus rustfmt/clippy, Chromium and chromedriver
#
# Pieces: rustup target wasm32-unknown-unknown; trunk (TRUNK_VERSION below);
# wasm-bindgen-cli at the wasm-bindgen version in Cargo.lock; node_modules from
# package-lock.json (npm ci: binaryen's wasm-opt, playwright-core); for tests also the
# rustfmt + clippy components, Debian's chromium + chromium-driver, and the real servers of
# the conformance layer (redis-server, etcd-server, etcd-client, zookeeper).
# Logs of long steps go to target/setup-logs/. Exit status 1 names what could not be installed.
set -uo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$RINGLAB_ROOT" || exit 1

# Trunk 0.22.x declares rust-version 1.96.1 but builds and runs on 1.95 (--ignore-rust-version).
TRUNK_VERSION="${RINGLAB_TRUNK_VERSION:-0.22.1}"
WASM_TARGET=wasm32-unknown-unknown

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

PURPOSE=test
while [ $# -gt 0 ]; do
  case "$1" in
    --for) PURPOSE="${2:-}"; shift 2 ;;
    --for=*) PURPOSE="${1#--for=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$PURPOSE" in
  serve|test) ;;
  all) PURPOSE=test ;;
  *) echo "setup: --for must be 'serve' or 'test' (got '$PURPOSE')" >&2; exit 2 ;;
esac

LOG_DIR="$RINGLAB_ROOT/target/setup-logs"
mkdir -p "$LOG_DIR"
FAILED=()

say() { printf 'setup: %s\n' "$*"; }
fail() { # fail "what" "why"
  FAILED+=("$1")
  printf 'setup: FAILED %s: %s\n' "$1" "$2" >&2
}
tail_log() { printf '  --- last lines of %s ---\n' "${1#"$RINGLAB_ROOT"/}" >&2; tail -n 25 "$1" | sed 's/^/  | /' >&2; }

# One setup at a time on this machine (serve and test started together must not both build trunk).
LOCK_FILE="${CARGO_HOME:-$HOME/.cargo}/.ringlab-setup.lock"
if command -v flock >/dev/null 2>&1 && mkdir -p "$(dirname "$LOCK_FILE")"; then
  exec 9>"$LOCK_FILE"
  if ! flock -n 9; then
    say "another scripts/setup.sh is running; waiting for it…"
    flock 9
  fi
fi

# Wait while someone else (e.g. a manual `cargo install`) is already installing CRATE.
wait_foreign_install() {
  local crate="$1" pid cmd waited=0
  while :; do
    local busy=""
    for pid in $(pgrep -x cargo 2>/dev/null); do
      cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || continue
      case "$cmd" in
        *" install "*"$crate"*) busy="$pid" ;;
      esac
    done
    [ -z "$busy" ] && return 0
    if [ "$waited" -eq 0 ]; then say "$crate: a 'cargo install' of it is already running (pid $busy); waiting for it to finish…"; fi
    if [ $((waited % 120)) -eq 0 ] && [ "$waited" -gt 0 ]; then say "$crate: still waiting for pid $busy (${waited} s)"; fi
    sleep 5
    waited=$((waited + 5))
  done
}

# Run a long command with its output in LOG, printing a heartbeat every 60 s.
run_logged() { # run_logged LOG what cmd...
  local log="$1" what="$2"; shift 2
  local start=$SECONDS next=$((SECONDS + 60)) n
  "$@" >"$log" 2>&1 </dev/null &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if [ "$SECONDS" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
      n="$(grep -c 'Compiling ' "$log" 2>/dev/null || true)"
      say "$what: still working ($((SECONDS - start)) s, ${n:-0} crates compiled)"
      next=$((next + 60))
    fi
  done
  wait "$pid"
}

# Fast release builds for tool installs: no fat LTO, parallel codegen (2 cores).
cargo_install() { # cargo_install LOG what args...
  local log="$1" what="$2"; shift 2
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_TERM_COLOR=never \
    run_logged "$log" "$what" cargo install "$@"
}

version_of() { # first x.y.z in `CMD --version`
  "$@" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1
}

# The version of a package in Cargo.lock.
lock_version() {
  awk -v want="$1" '
    /^\[\[package\]\]/ { name = "" }
    /^name = / { name = $3; gsub(/"/, "", name) }
    /^version = / { if (name == want) { v = $3; gsub(/"/, "", v); print v; exit } }
  ' Cargo.lock
}

# A value from Trunk.toml's [tools] table.
trunk_tool() {
  awk -v key="$1" '
    /^\[/ { in_tools = ($0 ~ /^\[tools\]/) }
    in_tools && $1 == key { v = $3; gsub(/"/, "", v); print v; exit }
  ' Trunk.toml
}

# ---------------------------------------------------------------------------------------------
# Free disk: a cold test run writes about 2 GB to target/ (debug and release, host and wasm),
# asked for twice over. Too little is said up front, in words, not as a linker's "No space left".

DISK_NEED_GB=4
free_gb="$(df -Pk "$RINGLAB_ROOT" 2>/dev/null | awk 'NR == 2 { print int($4 / 1048576) }')"
if [ -n "$free_gb" ]; then
  if [ "$free_gb" -lt "$DISK_NEED_GB" ]; then
    say "disk: only $free_gb GB free under $RINGLAB_ROOT; a cold test run needs about $DISK_NEED_GB GB (cargo clean in other checkouts frees it)"
  else
    say "disk: $free_gb GB free (a cold test run needs about $DISK_NEED_GB GB)"
  fi
fi

# ---------------------------------------------------------------------------------------------
# Rust toolchain and wasm32 target

if ! command -v cargo >/dev/null 2>&1 || ! command -v rustup >/dev/null 2>&1; then
  fail "Rust toolchain" "cargo/rustup not found on PATH; install Rust with rustup (https://rustup.rs) first"
  say "FAILED: could not install: ${FAILED[*]}"
  exit 1
fi

if rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
  say "rust target $WASM_TARGET: present"
else
  say "rust target $WASM_TARGET: installing (seconds)…"
  if rustup target add "$WASM_TARGET" >"$LOG_DIR/rustup-target.log" 2>&1 </dev/null; then
    say "rust target $WASM_TARGET: installed"
  else
    fail "rust target $WASM_TARGET" "rustup target add failed"; tail_log "$LOG_DIR/rustup-target.log"
  fi
fi

if [ "$PURPOSE" = test ]; then
  missing_components=()
  cargo fmt --version >/dev/null 2>&1 || missing_components+=(rustfmt)
  cargo clippy --version >/dev/null 2>&1 || missing_components+=(clippy)
  if [ ${#missing_components[@]} -eq 0 ]; then
    say "rustfmt + clippy: present"
  else
    say "rust components ${missing_components[*]}: installing…"
    if rustup component add "${missing_components[@]}" >"$LOG_DIR/rustup-components.log" 2>&1 </dev/null; then
      say "rust components ${missing_components[*]}: installed"
    else
      fail "rust components ${missing_components[*]}" "rustup component add failed"; tail_log "$LOG_DIR/rustup-components.log"
    fi
  fi
fi

# ---------------------------------------------------------------------------------------------
# trunk

wait_foreign_install trunk
have="$(version_of trunk)"
if [ "$have" = "$TRUNK_VERSION" ]; then
  say "trunk $TRUNK_VERSION: present"
else
  [ -n "$have" ] && say "trunk: found $have, want $TRUNK_VERSION"
  say "trunk $TRUNK_VERSION: installing with cargo install (≈14 min on a fresh 2-core machine; log target/setup-logs/trunk.log)…"
  start=$SECONDS
  if cargo_install "$LOG_DIR/trunk.log" trunk --locked "trunk@$TRUNK_VERSION" --ignore-rust-version --force \
    && [ "$(version_of trunk)" = "$TRUNK_VERSION" ]; then
    say "trunk $TRUNK_VERSION: installed ($((SECONDS - start)) s)"
  else
    fail "trunk $TRUNK_VERSION" "cargo install --locked trunk@$TRUNK_VERSION failed"; tail_log "$LOG_DIR/trunk.log"
  fi
fi

# ---------------------------------------------------------------------------------------------
# wasm-bindgen-cli: must equal the wasm-bindgen crate in Cargo.lock (and Trunk.toml's pin)

WB_VERSION="$(lock_version wasm-bindgen)"
if [ -z "$WB_VERSION" ]; then
  fail "wasm-bindgen-cli" "no wasm-bindgen package in Cargo.lock (is Cargo.lock committed?)"
else
  trunk_wb="$(trunk_tool wasm_bindgen)"
  if [ -n "$trunk_wb" ] && [ "$trunk_wb" != "$WB_VERSION" ]; then
    fail "wasm-bindgen-cli" "Trunk.toml [tools] wasm_bindgen = \"$trunk_wb\" but Cargo.lock has wasm-bindgen $WB_VERSION: make them equal"
  fi
  wait_foreign_install wasm-bindgen-cli
  have="$(version_of wasm-bindgen)"
  runner_ok=0
  command -v wasm-bindgen-test-runner >/dev/null 2>&1 && runner_ok=1
  if [ "$have" = "$WB_VERSION" ] && [ "$runner_ok" = 1 ]; then
    say "wasm-bindgen-cli $WB_VERSION (from Cargo.lock): present"
  else
    [ -n "$have" ] && say "wasm-bindgen-cli: found $have, want $WB_VERSION (Cargo.lock)"
    say "wasm-bindgen-cli $WB_VERSION: installing with cargo install (≈3 min; log target/setup-logs/wasm-bindgen-cli.log)…"
    start=$SECONDS
    # Not --locked: its lockfile pins a webpki-roots version the registry no longer serves.
    if cargo_install "$LOG_DIR/wasm-bindgen-cli.log" wasm-bindgen-cli "wasm-bindgen-cli@$WB_VERSION" --force \
      && [ "$(version_of wasm-bindgen)" = "$WB_VERSION" ] && command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
      say "wasm-bindgen-cli $WB_VERSION: installed ($((SECONDS - start)) s)"
    else
      fail "wasm-bindgen-cli $WB_VERSION" "cargo install wasm-bindgen-cli@$WB_VERSION failed"; tail_log "$LOG_DIR/wasm-bindgen-cli.log"
    fi
  fi
fi

# ---------------------------------------------------------------------------------------------
# node_modules (wasm-opt from npm binaryen, playwright-core)

npm_stamp="node_modules/.ringlab-package-lock.sha256"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  fail "node_modules" "node/npm not found (Node.js 20 or newer is needed; Debian: apt-get install nodejs npm)"
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  fail "node_modules" "Node.js $(node --version) is too old: need 20 or newer"
else
  want_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ -f "$npm_stamp" ] && [ "$(cat "$npm_stamp")" = "$want_hash" ] \
    && [ -x node_modules/.bin/wasm-opt ] && [ -f node_modules/playwright-core/package.json ]; then
    say "node_modules: up to date with package-lock.json"
  else
    say "node_modules: npm ci (seconds)…"
    if run_logged "$LOG_DIR/npm-ci.log" "npm ci" npm ci --no-audit --no-fund; then
      echo "$want_hash" >"$npm_stamp"
      say "node_modules: installed"
    else
      fail "node_modules (npm ci)" "npm ci failed"; tail_log "$LOG_DIR/npm-ci.log"
    fi
  fi
  want_opt="$(trunk_tool wasm_opt)"
  if [ -x node_modules/.bin/wasm-opt ] && [ -n "$want_opt" ]; then
    if ! node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "($want_opt)"; then
      fail "wasm-opt $want_opt" "node_modules/.bin/wasm-opt is '$(node_modules/.bin/wasm-opt --version 2>&1 | head -n1)', Trunk.toml wants $want_opt: align the binaryen version in package.json"
    fi
  fi
fi

# ---------------------------------------------------------------------------------------------
# Chromium + chromedriver (Debian packages) for wasm-bindgen-test and Playwright

if [ "$PURPOSE" = test ]; then
  apt_missing=()
  for pkg in chromium chromium-driver; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || apt_missing+=("$pkg")
  done
  if [ ${#apt_missing[@]} -eq 0 ] && [ -x /usr/bin/chromium ] && command -v chromedriver >/dev/null 2>&1; then
    say "chromium + chromium-driver: present ($(chromium --version 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+)+' | head -n1))"
  elif ! command -v apt-get >/dev/null 2>&1; then
    fail "chromium + chromium-driver" "not a Debian system: install Chromium at /usr/bin/chromium (or set CHROMIUM_PATH) and chromedriver on PATH"
  else
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
      if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        fail "${apt_missing[*]}" "apt-get install needs root: run 'sudo apt-get install -y --no-install-recommends ${apt_missing[*]}'"
        SUDO=skip
      fi
    fi
    if [ "$SUDO" != skip ]; then
      apt_log="$LOG_DIR/apt.log"
      : >"$apt_log"
      updated=0
      # apt-get update only when the package lists do not know the packages yet.
      if [ "$(apt-cache policy "${apt_missing[@]}" 2>/dev/null | grep -c 'Candidate: [0-9]')" -lt ${#apt_missing[@]} ]; then
        say "apt: package lists lack ${apt_missing[*]}; apt-get update…"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update >>"$apt_log" 2>&1 </dev/null && updated=1
      fi
      say "apt: installing ${apt_missing[*]} (≈20 s)…"
      apt_install() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${apt_missing[@]}" >>"$apt_log" 2>&1 </dev/null; }
      if apt_install || { [ "$updated" = 0 ] && say "apt: install failed; retrying after apt-get update…" \
        && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update >>"$apt_log" 2>&1 </dev/null && apt_install; }; then
        say "chromium + chromium-driver: installed"
      else
        fail "${apt_missing[*]}" "apt-get install failed"; tail_log "$apt_log"
      fi
    fi
  fi
  if command -v chromedriver >/dev/null 2>&1 && [ -x /usr/bin/chromium ]; then
    c_major="$(chromium --version 2>/dev/null | grep -oE '[0-9]+\.' | head -n1)"
    d_major="$(chromedriver --version 2>/dev/null | grep -oE '[0-9]+\.' | head -n1)"
    if [ "$c_major" != "$d_major" ]; then
      say "warning: chromium ${c_major%.} and chromedriver ${d_major%.} differ in major version"
    fi
  fi
fi

# ---------------------------------------------------------------------------------------------
# Real servers for the conformance layer (Debian packages; the tests start and stop them)

if [ "$PURPOSE" = test ]; then
  srv_pkgs=(redis-server etcd-server etcd-client zookeeper)
  srv_missing=()
  for pkg in "${srv_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || srv_missing+=("$pkg")
  done
  if [ ${#srv_missing[@]} -eq 0 ]; then
    say "redis-server + etcd + zookeeper: present ($(redis-server --version 2>/dev/null | grep -oE 'v=[0-9.]+' | head -n1), etcd $(version_of etcd))"
  elif ! command -v apt-get >/dev/null 2>&1; then
    fail "${srv_missing[*]}" "not a Debian system: install redis-server, etcd (server + etcdctl) and ZooKeeper 3.8 under /usr/share/zookeeper"
  else
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
      if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        fail "${srv_missing[*]}" "apt-get install needs root: run 'sudo apt-get install -y --no-install-recommends ${srv_missing[*]}'"
        SUDO=skip
      fi
    fi
    if [ "$SUDO" != skip ]; then
      apt_log="$LOG_DIR/apt-servers.log"
      : >"$apt_log"
      updated=0
      if [ "$(apt-cache policy "${srv_missing[@]}" 2>/dev/null | grep -c 'Candidate: [0-9]')" -lt ${#srv_missing[@]} ]; then
        say "apt: package lists lack ${srv_missing[*]}; apt-get update…"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update >>"$apt_log" 2>&1 </dev/null && updated=1
      fi
      say "apt: installing ${srv_missing[*]} (≈15 s)…"
      srv_install() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${srv_missing[@]}" >>"$apt_log" 2>&1 </dev/null; }
      if srv_install || { [ "$updated" = 0 ] && say "apt: install failed; retrying after apt-get update…" \
        && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update >>"$apt_log" 2>&1 </dev/null && srv_install; }; then
        say "${srv_missing[*]}: installed"
      else
        fail "${srv_missing[*]}" "apt-get install failed"; tail_log "$apt_log"
      fi
    fi
  fi
fi

# ---------------------------------------------------------------------------------------------

if [ ${#FAILED[@]} -gt 0 ]; then
  say "FAILED: could not install: $(printf '%s; ' "${FAILED[@]}" | sed 's/; $//')"
  exit 1
fi
say "ready for $PURPOSE"
