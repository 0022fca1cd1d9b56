#!/usr/bin/env bash
# Training benchmarks for docs/perf.md, in a schema of their own on the given PostgreSQL (default: the local test DB).
# Usage: bench/training/run.sh [jdbc-url-without-currentSchema]
set -euo pipefail
cd "$(dirname "$0")/../.."
base="${1:-jdbc:postgresql://127.0.0.1:5432/test?user=postgres}"
url="$base&currentSchema=converge_bench_train"
psql "${base#jdbc:}" -qc "DROP SCHEMA IF EXISTS converge_bench_train CASCADE; CREATE SCHEMA converge_bench_train" 2>/dev/null
./converge ingest examples/data/lending_club.csv --infer-schema --entity-prefix lc- --database-url "$url" | tail -1
./converge ingest examples/data/birdstrikes.csv --infer-schema --entity-prefix bs- --timestamp-column "Flight Date" --database-url "$url" | tail -1
for p in fanout_serial_lending_club fanout_lending_club automl_pruned_vs_full_lending_club automl_pruned_vs_full_birdstrikes; do
  echo "=== $p"
  /usr/bin/time -f "wall %e s" ./converge train --pipeline "bench/training/$p.yaml" --database-url "$url" --artifacts /tmp/converge-bench-artifacts 2>&1 \
    | grep -E "governor|^  task|Leaderboard|^  \*|^       task|Champion|scoring p50|peak RSS|fan_out done|wall"
done
