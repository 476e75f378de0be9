#!/usr/bin/env bash
# Builds the site's pages into one folder (default dist/), each with only its own lab's code:
#
#   index.html    everything (both tabs, every protocol): `trunk serve`, old links, embeds
#   ring.html     the Hash ring lab alone (no simulation engine)
#   cluster.html  the Cluster lab with heartbeat, locks and 2PC (no Hash ring views)
#   replication.html  the Cluster lab with replicated storage alone (a page per mechanism:
#                 each carries only the protocols its scenarios use, its gallery only those)
#   log.html      the Cluster lab with the message log and the checkout saga
#   inventory.html  the Cluster lab with the flash sale (inventory under contention, and the
#                 locks its pessimistic strategy takes)
#   (all generated from index.html here: see lab_page)
#
#   scripts/build-pages.sh [--public-url /sub/path/] [--site-origin https://host] [--dist DIR]
#
# --site-origin (or RINGLAB_SITE_ORIGIN) makes og:image and og:url absolute, as Open Graph
# requires and link previews need (they do not run JavaScript): origin + public URL + og.png,
# see scripts/og-absolute.sh. Without it they stay relative and previews show no picture.
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
public_url=/
origin="${RINGLAB_SITE_ORIGIN:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --dist) dist="$2"; shift 2 ;;
    --public-url) extra+=(--public-url "$2"); public_url="$2"; shift 2 ;;
    --site-origin) origin="$2"; shift 2 ;;
    *) echo "build-pages: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

# og_page PAGE: the page's HTML on stdin with og:image and og:url made absolute when a site
# origin is known (scripts/og-absolute.sh), unchanged otherwise.
og_page() {
  if [ -n "$origin" ]; then bash scripts/og-absolute.sh "$origin" "$public_url" "$1"; else cat; fi
}
if [ -z "$origin" ]; then
  echo "build-pages: no --site-origin: og:image stays relative (og.png); link previews will show no picture" >&2
fi
# The everything page is built from a copy (site.html) so the absolute URLs never touch the
# committed index.html; Trunk writes it as index.html.
og_page index.html <index.html >site.html
trap 'rm -f site.html ring.html cluster.html replication.html log.html inventory.html' EXIT
trunk build --release --offline=true "${extra[@]}" --dist "$dist" site.html
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
    | awk '/<template id="start-page">/ { skip = 1 } !skip { print } /<\/template>/ { skip = 0 }' \
    | og_page "$1.html" >"$1.html"
}
lab_page ring ring-tab "ringlab: the hash ring, step by step"
lab_page cluster cluster-tab,proto-locks,proto-tpc "ringlab: the simulated cluster, step by step"
lab_page replication cluster-tab,proto-kv "ringlab: replicated storage and failover, step by step"
lab_page log cluster-tab,proto-log,proto-saga "ringlab: the message log and the checkout saga, step by step"
lab_page inventory cluster-tab,proto-stock "ringlab: the flash sale, inventory under contention, step by step"

for page in ring cluster replication log inventory; do
  out="target/pages/$page"
  trunk build --release --offline=true "${extra[@]}" --dist "$out" "$page.html"
  cp "$out/index.html" "$dist/$page.html"
  cp -n "$out"/*.wasm "$out"/*.js "$out"/*.css "$dist/" 2>/dev/null || true
done
echo "build-pages: index.html, ring.html, cluster.html, replication.html, log.html and inventory.html in $dist/"
