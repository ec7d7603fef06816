#!/usr/bin/env bash
# The whole test suite: lint, then `go test ./...` with the fuzz seed corpora.
# PostgreSQL tests run against a throwaway cluster this script starts on
# 127.0.0.1 (see scripts/pg.sh) and stops on exit. With
# GLINT_REQUIRE_POSTGRES=1 (CI) a PostgreSQL test that cannot run fails, and
# with GLINT_REQUIRE_ROOT_FAULTS=1 (CI) so do the fault tests that need root
# (a tmpfs that fills up, a PostgreSQL cluster stopped under load).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/lint.sh

if [ -x scripts/pg.sh ]; then
  # shellcheck source=/dev/null
  source scripts/pg.sh
  pg_start || { [ "${GLINT_REQUIRE_POSTGRES:-}" = 1 ] && exit 1; echo "PostgreSQL unavailable: its tests will skip" >&2; }
  trap pg_stop EXIT
fi

# The browser tests need Chromium: scripts/chromium.sh installs it when
# missing (as root, with apt-get). With GLINT_REQUIRE_CHROMIUM=1 (CI) a
# browser test that cannot run fails.
if chromium_path="$(./scripts/chromium.sh)"; then
  export GLINT_CHROMIUM="$chromium_path"
elif [ "${GLINT_REQUIRE_CHROMIUM:-}" = 1 ]; then
  echo "Chromium unavailable and GLINT_REQUIRE_CHROMIUM=1" >&2
  exit 1
else
  echo "Chromium unavailable: the browser tests will skip" >&2
fi

go test -count=1 -timeout 15m "$@" ./...
