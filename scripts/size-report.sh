#!/usr/bin/env bash
# What each page of the site downloads before its first frame: the wasm and JS its HTML
# references, raw and gzip -9 (1 KB = 1024 bytes), against each page's goal:
#
#   ring.html     the Hash ring lab alone       goal 200 KB, ceiling 260 KB
#   cluster.html  the Cluster lab with heartbeat, locks and 2PC
#   replication.html  ... with the replicated store alone
#   log.html      ... with the message log and the checkout saga (no 2PC: the saga's
#                 comparison runs in the job worker)
#   inventory.html  ... with the flash sale (and the locks it takes)
#                 each: goal 350 KB, ceiling 350 KB (the ceiling is the goal, so no page per
#                 mechanism can cross it unnoticed; 345.4 / 345.4 / 348.2 / 344.0 KB in issue 11)
#   index.html    everything (both labs)        no goal,     ceiling 600 KB (576.5 KB in issue 11)
#
# A missed goal is reported; the run fails only above a page's ceiling (so no page can grow
# unnoticed) or when there is nothing to measure. RINGLAB_CEILING_<PAGE>_KB overrides one.
#
#   scripts/size-report.sh [DIST]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

dir="${1:-dist}"
status=0
measured=0
printf '%-14s %-44s %10s %10s\n' page file "raw B" "gzip-9 B"
for spec in "ring:200:260" "cluster:350:350" "replication:350:350" "log:350:350" "inventory:350:350" \
  "index:0:600"; do
  IFS=: read -r page goal_kb ceiling_kb <<<"$spec"
  html="$dir/$page.html"
  [ -f "$html" ] || { echo "size: $html missing (build with scripts/build-pages.sh)"; status=1; continue; }
  var="RINGLAB_CEILING_$(echo "$page" | tr '[:lower:]' '[:upper:]')_KB"
  ceiling_kb="${!var:-$ceiling_kb}"
  mapfile -t files < <(grep -oE '[A-Za-z0-9_-]+\.(wasm|js)' "$html" | sort -u)
  total_raw=0 total_gz=0
  for f in "${files[@]}"; do
    [ -f "$dir/$f" ] || continue
    raw=$(stat -c %s "$dir/$f")
    gz=$(gzip -9 -c "$dir/$f" | wc -c)
    total_raw=$((total_raw + raw))
    total_gz=$((total_gz + gz))
    printf '%-14s %-44s %10d %10d\n' "$page.html" "$f" "$raw" "$gz"
  done
  if [ "$total_gz" -eq 0 ]; then
    echo "size: $page.html references no wasm or JS"; status=1; continue
  fi
  measured=$((measured + 1))
  awk -v p="$page.html" -v gz="$total_gz" -v raw="$total_raw" -v goal="$goal_kb" -v ceil="$ceiling_kb" 'BEGIN {
    line = sprintf("%-14s total wasm + JS: %.1f KB gzip (%d B raw)", p, gz / 1024, raw)
    if (goal > 0) {
      d = goal - gz / 1024
      line = line sprintf("; goal %d KB: %s by %.1f KB", goal, (d < 0 ? "MISSED" : "met"), (d < 0 ? -d : d))
    }
    print line sprintf("; ceiling %d KB", ceil) }'
  if [ "$total_gz" -gt $((ceiling_kb * 1024)) ]; then
    echo "size: $page.html is OVER ITS CEILING by $((total_gz - ceiling_kb * 1024)) bytes"
    status=1
  fi
done
[ "$measured" -eq 0 ] && { echo "size: nothing to measure under $dir/"; exit 1; }
exit "$status"
