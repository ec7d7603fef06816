#!/usr/bin/env bash
# Chromium for the browser tests of internal/web (chromedp): prints the path
# of a Chromium binary, installing Debian's package first when none is found
# (as root: CI runs as root). Use it as
#   export GLINT_CHROMIUM="$(scripts/chromium.sh)"
# Progress goes to stderr; stdout holds the path alone.
set -euo pipefail

find_chromium() {
  local name
  for name in "${GLINT_CHROMIUM:-}" chromium chromium-browser; do
    [ -n "$name" ] || continue
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

if find_chromium; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium.sh: Chromium is not installed; run as root to install it (apt-get install -y chromium)" >&2
  exit 1
fi
echo "chromium.sh: installing Chromium (apt-get install -y chromium)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq chromium >&2
find_chromium || {
  echo "chromium.sh: apt-get installed chromium but no chromium binary is on PATH" >&2
  exit 1
}
