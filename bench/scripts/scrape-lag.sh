#!/usr/bin/env bash
# scrape-lag.sh JAR...: does a Prometheus scrape hold the event loop? Each JAR's server (the quickstart's GLM) pinned
# to CPU 1, 45 s of closed-loop warm-up, then 20 s paced at 1000 req/s (hey -c 10 -q 100 from CPU 0) with GET /metrics
# every 2 s; prints the paced p99, the scrapes' own times and how many of the event loop's 20 ms ticks (LagProbe) ran
# late by more than 10 ms over the paced part.
set -euo pipefail
here=$(dirname "$0")
for jar in "$@"; do
  pid=$("$here"/serve-pinned.sh "$jar" "${MODEL:-credit_risk}" 18092)
  taskset -c 0 wrk -t1 -c32 -d45s -s "$here"/post.lua http://127.0.0.1:18092/v1/predict > /dev/null
  sleep 2; curl -s -o /dev/null http://127.0.0.1:18092/metrics; sleep 2
  late() { curl -s http://127.0.0.1:18092/metrics | awk '/^converge_eventloop_lag_seconds_count/ {n=$2}
    /^converge_eventloop_lag_seconds_bucket\{le="0.01/ && !b {b=$2} END {printf "%d %d", n, b}'; }
  set -- $(late)
  (for i in $(seq 9); do sleep 2; curl -s -o /dev/null -w '%{time_total} ' http://127.0.0.1:18092/metrics; done > /tmp/scrapes.txt) &
  out=$(taskset -c 0 hey -c 10 -q 100 -z 20s -m POST -T application/json -D "${BODY:-$here/body.json}" http://127.0.0.1:18092/v1/predict)
  wait
  set -- "$@" $(late)
  echo "$jar: paced p99 $(echo "$out" | awk '/99% in/ {print $3}') s, slowest $(echo "$out" | awk '/Slowest:/ {print $2}') s; scrapes (s): $(cat /tmp/scrapes.txt); loop ticks late by over 10 ms: $(( ($3 - $4) - ($1 - $2) )) of $(( $3 - $1 ))"
  kill "$pid"; wait "$pid" 2> /dev/null || true
done
