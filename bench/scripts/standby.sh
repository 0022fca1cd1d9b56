#!/usr/bin/env bash
# standby.sh [ROUNDS]: online reads from a hot standby against the primary, on this machine. Starts a primary
# (port 55432) and a hot standby streaming from it (55433), both as the postgres user under /tmp, loads the
# quickstart into the primary (data, training, champion), then alternates ROUNDS times: `converge serve` on CPU 1
# reading online features from the primary, and the same with serve.online_read_url on the standby, each under
# `hey -c 10 -q 100 -z 20s` (1000 req/s) of {"entity_id": "5"} on CPU 0 after 10 s of the same as warm-up.
# PostgreSQL's processes share CPU 0 with the load. Stops both clusters at the end.
set -euo pipefail
rounds=${1:-2}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
root=$(mktemp -d /tmp/converge-standby-bench.XXXX); chmod 755 "$root"
[[ $(id -u) == 0 ]] && chown postgres:postgres "$root"
cleanup() { as_pg "$bin/pg_ctl" -D "$root/standby" -m immediate stop >/dev/null 2>&1 || true
            as_pg "$bin/pg_ctl" -D "$root/primary" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$root"; }
trap cleanup EXIT
as_pg "$bin/initdb" -D "$root/primary" -A trust -U postgres >/dev/null
printf "port = 55432\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n" "$root" >> "$root/primary/postgresql.auto.conf"
as_pg taskset -c 0 "$bin/pg_ctl" -D "$root/primary" -l "$root/primary.log" -w start >/dev/null
as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p 55432 -U postgres -D "$root/standby" -R -X stream
printf "port = 55433\nunix_socket_directories = '%s'\n" "$root" >> "$root/standby/postgresql.auto.conf"
as_pg taskset -c 0 "$bin/pg_ctl" -D "$root/standby" -l "$root/standby.log" -w start >/dev/null
primary="jdbc:postgresql://127.0.0.1:55432/postgres"
"$here/converge" quickstart --exit --database-url "$primary" --database-user postgres > "$root/quickstart.log" 2>&1
sleep 2
body='{"entity_id": "5"}'
for r in $(seq "$rounds"); do
  for mode in primary standby; do
    extra=()
    [[ $mode == standby ]] && extra=(CONVERGE_SERVE_ONLINE_READ_URL="jdbc:postgresql://127.0.0.1:55433/postgres")
    pid=$(env CONVERGE_DATABASE_URL="$primary" CONVERGE_DATABASE_USER=postgres CONVERGE_SERVE_EVENT_LOOPS=1 "${extra[@]}" \
      "$here/bench/scripts/serve-pinned.sh" "$here/cli/target/converge-cli.jar" credit_risk 18090)
    taskset -c 0 hey -c 10 -q 100 -z 10s -m POST -T application/json -d "$body" http://127.0.0.1:18090/v1/predict > /dev/null
    out=$(taskset -c 0 hey -c 10 -q 100 -z 20s -m POST -T application/json -d "$body" http://127.0.0.1:18090/v1/predict)
    reads=$(curl -s http://127.0.0.1:18090/metrics | awk '/^converge_pg_replica_reads_total/ {print $2}')
    kill "$pid"; wait "$pid" 2>/dev/null || true
    p50=$(awk '/50% in/ {print $3*1000}' <<< "$out"); p99=$(awk '/99% in/ {print $3*1000}' <<< "$out")
    n200=$(awk '/\[200\]/ {print $2}' <<< "$out"); other=$(grep -E '^\s+\[[0-9]+\]' <<< "$out" | grep -v '\[200\]' | awk '{s+=$2} END {print s+0}' || true)
    echo "round $r $mode: p50 ${p50} ms, p99 ${p99} ms, 200: ${n200}, other: ${other}, replica reads: ${reads:-0}"
  done
done
