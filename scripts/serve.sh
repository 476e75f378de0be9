#!/usr/bin/env bash
# Install what is missing (no browser needed), then serve the app with live reload at
# http://127.0.0.1:8080/ (Trunk.toml [serve]). Extra arguments go to `trunk serve`
# (e.g. `scripts/serve.sh --release` or `--port 8081`).
# Works offline once dependencies are cached: crates are fetched first, then Trunk runs with
# --offline so neither cargo nor Trunk reaches the network.
set -uo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$RINGLAB_ROOT" || exit 1

bash scripts/setup.sh --for serve || { echo "serve: setup failed (see above)" >&2; exit 1; }

if ! cargo fetch; then
  echo "serve: cargo fetch could not reach the registry; trying the local cache" >&2
  cargo fetch --offline || { echo "serve: crates missing from the local cache and the registry is unreachable" >&2; exit 1; }
fi

exec trunk serve --offline=true "$@"
