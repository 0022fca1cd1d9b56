#!/usr/bin/env bash
# cold-start.sh ROUNDS -- NAME=COMMAND ...: JVM launch to the first 200 from /health/ready, polled every 10 ms, for
# each named command in turn (alternating, ROUNDS times), each pinned to CPU 1 with the port in $PORT; prints one line
# per start and the median per name. The database comes from CONVERGE_DATABASE_URL, as for `converge serve`.
#   bench/scripts/cold-start.sh 5 -- cli='java -jar cli/target/converge-cli.jar serve --port $PORT' \
#       serve='java -cp "$(cat serve/target/cp.txt)" dev.converge.serve.ServeMain --port $PORT'
set -euo pipefail
rounds=$1; shift; [[ "$1" == "--" ]] && shift
export CONVERGE_SERVE_REDIS_URL=${CONVERGE_SERVE_REDIS_URL:-none} MALLOC_ARENA_MAX=2
export JDK_JAVA_OPTIONS="${JDK_JAVA_OPTIONS:--XX:+UseSerialGC -Xms96m -Xmx512m -XX:ReservedCodeCacheSize=48m -XX:MaxMetaspaceSize=128m -Xss512k}"
declare -A times
for r in $(seq "$rounds"); do
  for spec in "$@"; do
    name=${spec%%=*}; cmd=${spec#*=}
    export PORT=$((18100 + RANDOM % 800))
    t0=$(date +%s%N)
    taskset -c 1 bash -c "exec $cmd" > "/tmp/cold-$name.log" 2>&1 &
    pid=$!
    ms=""
    for _ in $(seq 3000); do
      if curl -sf -o /dev/null "http://127.0.0.1:$PORT/health/ready"; then ms=$(( ($(date +%s%N) - t0) / 1000000 )); break; fi
      kill -0 $pid 2>/dev/null || break
      sleep 0.01
    done
    kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
    echo "round $r $name ${ms:-failed} ms"
    times[$name]="${times[$name]:-} ${ms:-999999}"
  done
done
for name in "${!times[@]}"; do
  echo "$name median $(tr ' ' '\n' <<< "${times[$name]}" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') ms:${times[$name]}"
done
