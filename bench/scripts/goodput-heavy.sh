#!/usr/bin/env bash
# goodput-heavy.sh JAR LABEL: closed loops of 32 and 1,024 wrk connections (each twice, 15 s) against the costly model
# (bench/training/heavy_gbm.yaml, credit_risk_heavy) pinned to CPU 1, after 45 s of warm-up; goodput (200s per second),
# refusals and the server's CPU per 200; then bursts (hey, 50 and 60 clients x 20 req/s): answers by status. BODY: one row of the model's features as {"features": {...}}.
set -euo pipefail
here=$(dirname "$0"); jar=$1; label=$2
pid=$("$here"/serve-pinned.sh "$jar" credit_risk_heavy 18081)
taskset -c 0 wrk -t1 -c32 -d45s -s "$here"/post.lua http://127.0.0.1:18081/v1/predict > /dev/null
for c in 32 1024 32 1024; do
  cpu0=$(awk '{print $14+$15}' /proc/"$pid"/stat)
  out=$(taskset -c 0 wrk -t1 -c$c -d15s -s "$here"/post.lua http://127.0.0.1:18081/v1/predict)
  cpu1=$(awk '{print $14+$15}' /proc/"$pid"/stat)
  n=$(echo "$out" | awk '/requests in/ {print $1}'); bad=$(echo "$out" | awk '/Non-2xx/ {print $NF}'); ok=$((n - ${bad:-0}))
  echo "$label c$c goodput/s=$((ok / 15)) refused=${bad:-0} cpu_us_per_200=$(( (cpu1 - cpu0) * 10000 / ok ))"
done
for c in 50 60; do # bursts: c clients x 20 req/s, every request of a burst at once
  out=$(taskset -c 0 hey -c $c -q 20 -z 15s -m POST -T application/json -D "${BODY:-$here/body.json}" \
    http://127.0.0.1:18081/v1/predict)
  echo "$label hey -c $c -q 20: $(echo "$out" | grep -E '^ *\[[0-9]+\]' | tr -s ' ' | tr '\n' ' ')p99 $(echo "$out" | awk '/99% in/ {print $3}') s"
done
kill "$pid"; wait "$pid" 2> /dev/null || true
