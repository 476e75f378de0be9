#!/usr/bin/env bash
# Builds the site's pages into one folder (default dist/), each with only its own lab's code:
#
#   index.html    everything (both tabs, every protocol): `trunk serve`, old links, embeds
#   ring.html     the Hash ring lab alone (no simulation engine)
#   cluster.html  the Cluster lab alone (no Hash ring views)
#
#   scripts/build-pages.sh [--public-url /sub/path/] [--dist DIR]
#
# Each page is one `trunk build --release --offline=true` of its HTML file (its cargo
# features are on its `<link data-trunk rel="rust">`); pages share the stylesheet and the
# static files, and their wasm and JS names carry content hashes, so they never collide.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$RINGLAB_ROOT"

dist=dist
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dist) dist="$2"; shift 2 ;;
    --public-url) extra+=(--public-url "$2"); shift 2 ;;
    *) echo "build-pages: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

trunk build --release --offline=true "${extra[@]}" --dist "$dist" index.html
for page in ring cluster; do
  out="target/pages/$page"
  trunk build --release --offline=true "${extra[@]}" --dist "$out" "$page.html"
  cp "$out/index.html" "$dist/$page.html"
  cp -n "$out"/*.wasm "$out"/*.js "$out"/*.css "$dist/" 2>/dev/null || true
done
echo "build-pages: index.html, ring.html and cluster.html in $dist/"
