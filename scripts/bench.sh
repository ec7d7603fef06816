#!/usr/bin/env bash
# The benchmark runs reported in docs/BENCHMARKS.md. Run on a quiet machine:
#   ./scripts/bench.sh [extra glint bench flags]
# With GLINT_BENCH_PG=postgres://… the PostgreSQL rows are run too.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o /tmp/glint-bench ./cmd/glint
echo "# $(date -u +%FT%TZ) $(go version) $(nproc) cores"
echo "## SQLite, single gifts and batches, group commit vs --no-batch, 256 clients"
/tmp/glint-bench bench --scenario uniform,hot,batch --baseline --clients 256 --duration 10s "$@"
echo "## Go benchmarks"
go test -run '^$' -bench . -benchtime 2s ./internal/store/sqlite/ ./internal/economy/ ./internal/ledger/ | grep -E '^(Benchmark|ok)'
if [ -n "${GLINT_BENCH_PG:-}" ]; then
  echo "## PostgreSQL"
  /tmp/glint-bench bench --db "$GLINT_BENCH_PG" --scenario uniform,hot,batch --clients 256 --duration 10s "$@"
fi
