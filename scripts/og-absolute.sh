#!/usr/bin/env bash
# Makes a page's Open Graph image and URL absolute, as Open Graph requires: a filter over the
# page's source HTML (before Trunk builds and minifies it), used by build-pages.sh when given
# --site-origin (or RINGLAB_SITE_ORIGIN):
#
#   scripts/og-absolute.sh ORIGIN PUBLIC_URL PAGE <index.html >out.html
#   e.g. scripts/og-absolute.sh https://example.github.io /ringlab/ ring.html
#
# Link previews (Slack, Discord, Mastodon, LinkedIn, X, iMessage) fetch the HTML and read its
# <meta> tags without running JavaScript, so the absolute URL must be in the file itself:
# setting it at runtime would never reach them.
set -euo pipefail
usage="usage: og-absolute.sh ORIGIN PUBLIC_URL PAGE <in.html >out.html"
origin="${1:?$usage}"
public_url="${2:?$usage}"
page="${3:?$usage}"
origin="${origin%/}"
if ! [[ "$origin" =~ ^https?://[A-Za-z0-9.-]+(:[0-9]+)?$ ]]; then
  echo "og-absolute: the site origin must look like https://host[:port] (no path), got '$origin'" >&2
  exit 2
fi
if ! [[ "$public_url" =~ ^[A-Za-z0-9._~/-]*$ ]]; then
  echo "og-absolute: the public URL may only hold letters, digits and . _ ~ / -, got '$public_url'" >&2
  exit 2
fi
if ! [[ "$page" =~ ^[A-Za-z0-9._-]+$ ]]; then
  echo "og-absolute: the page must be a file name, got '$page'" >&2
  exit 2
fi
path="/${public_url#/}"
path="${path%/}/"
base="$origin$path"
url="$base"
[ "$page" = index.html ] || url="$base$page"
html="$(cat)"
if ! grep -q '<meta property="og:image" content="og.png" />' <<<"$html"; then
  echo "og-absolute: the page has no relative og:image (og.png) to rewrite" >&2
  exit 1
fi
sed -e "s|<meta property=\"og:image\" content=\"og.png\" />|<meta property=\"og:image\" content=\"${base}og.png\" />|" \
    -e "s|<meta property=\"og:type\" content=\"website\" />|<meta property=\"og:type\" content=\"website\" />\n    <meta property=\"og:url\" content=\"$url\" />|" <<<"$html"
