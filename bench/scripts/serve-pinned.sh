#!/usr/bin/env bash
# serve-pinned.sh JAR MODEL PORT [ENV=VALUE...]: starts `converge serve` on CPU 1 with ./converge's memory defaults and
# no cache, against CONVERGE_DATABASE_URL, waits for /health/ready and prints the server's pid.
set -euo pipefail
jar=$1; model=$2; port=$3; shift 3
env CONVERGE_SERVE_REDIS_URL=none MALLOC_ARENA_MAX=2 "$@" taskset -c 1 java -XX:+UseSerialGC -Xms96m -Xmx512m \
  -XX:ReservedCodeCacheSize=48m -XX:MaxMetaspaceSize=128m -Xss512k -jar "$jar" serve --port "$port" --model "$model" \
  > "${LOG:-/tmp/converge-serve-$port.log}" 2>&1 &
pid=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/health/ready" > /dev/null && break; sleep 0.1; done
echo "$pid"
