#!/usr/bin/env bash
# first-load.sh JAR JAVA [JVM flags...]: the first seconds after ready. Starts `converge serve` (the quickstart's GLM,
# cache off, the lean memory settings) on CPU 1 with JAVA, waits for /health/ready (polled every 10 ms), then sends
# wrk -t1 -c32 -d10s at once from CPU 0; prints the time to ready, req/s, p99, non-2xx and the refusals over the 10 s.
# E.g. first-load.sh cli/target/converge-cli.jar /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -XX:AOTCache=converge.aot
set -euo pipefail
here=$(dirname "$0"); jar=$1; java=$2; shift 2
export CONVERGE_SERVE_REDIS_URL=none MALLOC_ARENA_MAX=2
t0=$(date +%s%N)
taskset -c 1 "$java" -XX:+UseSerialGC -Xms96m -Xmx512m -XX:ReservedCodeCacheSize=48m -XX:MaxMetaspaceSize=128m \
  -Xss512k "$@" -jar "$jar" serve --port 18114 --model "${MODEL:-credit_risk}" > /tmp/first-load.log 2>&1 &
pid=$!
for _ in $(seq 3000); do curl -sf -o /dev/null http://127.0.0.1:18114/health/ready && break; sleep 0.01; done
ready=$(( ($(date +%s%N) - t0) / 1000000 ))
out=$(taskset -c 0 wrk -t1 -c32 -d10s --latency -s "$here"/post.lua http://127.0.0.1:18114/v1/predict)
shed=$(curl -s http://127.0.0.1:18114/metrics | awk '/^converge_shed_total/ {s += $2} END {print s}')
echo "ready ${ready} ms; first 10 s: $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s, p99" \
  "$(echo "$out" | awk '$1 == "99%" {print $2}'), non-2xx $(echo "$out" | awk '/Non-2xx/ {print $NF}'), shed $shed"
kill "$pid"; wait "$pid" 2> /dev/null || true
