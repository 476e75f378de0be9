#!/usr/bin/env bash
# Builds the site's pages into one folder (default dist/), each with only its own lab's code:
#
#   index.html    everything (both tabs, every protocol): `trunk serve`, old links, embeds
#   ring.html     the Hash ring lab alone (no simulation engine)
#   cluster.html  the Cluster lab alone (no Hash ring views)
#   (both generated from index.html here: see lab_page)
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
# A lab's page is index.html with that lab's cargo features, its own title and no start page,
# written beside index.html (Trunk resolves the assets relative to it) and not committed, so
# the pages' heads never drift apart.
# The Hash ring page has no long jobs, so no worker (its lines name ringlab-worker or
# worker-loader); the Cluster page keeps the same worker as index.html (same features, one file).
page_source() { # page_source PAGE
  if [ "$1" = ring ]; then grep -Ev 'ringlab-worker|worker-loader' index.html; else cat index.html; fi
}
lab_page() { # lab_page PAGE FEATURE TITLE
  page_source "$1" | sed -e "s|data-bin=\"ringlab\" |data-bin=\"ringlab\" data-cargo-no-default-features data-cargo-features=\"$2\" |" \
      -e "s|<title>[^<]*</title>|<title>$3</title>|" \
      -e "s|<meta property=\"og:title\" content=\"[^\"]*\"|<meta property=\"og:title\" content=\"$3\"|" \
    | awk '/<template id="start-page">/ { skip = 1 } !skip { print } /<\/template>/ { skip = 0 }' >"$1.html"
}
lab_page ring ring-tab "ringlab: the hash ring, step by step"
lab_page cluster cluster-tab "ringlab: the simulated cluster, step by step"
trap 'rm -f ring.html cluster.html' EXIT

for page in ring cluster; do
  out="target/pages/$page"
  trunk build --release --offline=true "${extra[@]}" --dist "$out" "$page.html"
  cp "$out/index.html" "$dist/$page.html"
  cp -n "$out"/*.wasm "$out"/*.js "$out"/*.css "$dist/" 2>/dev/null || true
done
echo "build-pages: index.html, ring.html and cluster.html in $dist/"
