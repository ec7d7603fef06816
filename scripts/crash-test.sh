#!/usr/bin/env bash
# The crash test (internal/cli/crash_test.go) for longer than CI runs it:
# `kill -9` of `glint serve` every 1–3 s under a load of gifts, purchases and
# withdrawals, on SQLite and on PostgreSQL (a throwaway cluster started here,
# see scripts/pg.sh), then the exactly-once, all-or-nothing, wallet and
# `glint verify` checks. Prints one CRASH-SUMMARY line per engine at the end.
#
#   CRASH_FOR=60s      how long each engine is loaded and killed (a Go duration)
#   CRASH_SEED=N       replay the random choices of an earlier run (its summary prints the seed)
#   CRASH_TIMEOUT=20m  go test -timeout
#
# Extra arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
pg_start
log=$(mktemp "${TMPDIR:-/tmp}/glint-crash.XXXXXX")
trap 'pg_stop; rm -f "$log"' EXIT

export GLINT_CRASH_FOR=${CRASH_FOR:-60s}
export GLINT_REQUIRE_POSTGRES=1
if [ -n "${CRASH_SEED:-}" ]; then
  export GLINT_CRASH_SEED=$CRASH_SEED
fi

status=0
go test -run '^TestCrashUnderLoad$' -v -count=1 -timeout "${CRASH_TIMEOUT:-20m}" "$@" ./internal/cli/ 2>&1 | tee "$log" || status=$?

echo
echo "== crash test summary (GLINT_CRASH_FOR=$GLINT_CRASH_FOR) =="
grep -o 'CRASH-SUMMARY.*' "$log" || echo "no CRASH-SUMMARY line: the test did not get to the end (see above)"
exit "$status"
