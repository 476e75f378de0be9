# Sourced by scripts/*.sh: repository root and PATH for the project's tools.
# shellcheck shell=bash
RINGLAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export RINGLAB_ROOT
# wasm-opt (npm binaryen) and playwright-core come from node_modules; trunk and
# wasm-bindgen(-test-runner) from `cargo install`.
case ":$PATH:" in
  *":$RINGLAB_ROOT/node_modules/.bin:"*) ;;
  *) PATH="$RINGLAB_ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH" ;;
esac
export PATH
