#!/usr/bin/env bash
# reference.sh BEFORE_JAR AFTER_JAR: issue 17's two tables in one sitting, every server alone on CPU 1 (taskset) and
# the load on CPU 0, the same body (BODY, one full row of inline features), 45 s of closed-loop warm-up per server.
#   costly model (credit_risk_heavy): wrk -t1 -c32 15 s (answers/s, 200/s), then hey -c 50 -q 20 -z 15s
#     (1000 req/s in bursts of 50: answered 200, shed 503, p99)
#   hot path (credit_risk, the quickstart's GLM): wrk -t1 -c32 15 s (req/s, p50, p99), then hey -c 10 -q 100 -z 15s
#     (paced 1000 req/s: p99)
# Servers: converge BEFORE and AFTER with the cache off and with the cache on (Redis on CPU 0; AFTER scores a model
# cheaper than a Redis lookup directly, after-always caches it anyway: serve.cache=always), bench's
# PlainServer (hot path only), NaiveScorer (the JDK's HttpServer) and the Spring Boot MVC scorer of
# bench/reference/spring-scorer (built here if missing), the last two on the registry's MOJO file itself.
# HEAVY and HOT name the servers of each table (default: all of them; empty: none).
# Needs CONVERGE_DATABASE_URL (and _USER) naming a registry with both models, PostgreSQL and Redis moved to CPU 0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); before=$1; after=$2
body=${BODY:-$here/body.json}; cli=$after; port=18090
spring=$here/../reference/spring-scorer/target/spring-scorer.jar
[ -f "$spring" ] || "$here"/../../mvnw -q -f "$here"/../reference/spring-scorer/pom.xml package \
  -Dh2o.version="$(sed -n 's|.*<h2o.version>\(.*\)</h2o.version>.*|\1|p' "$here"/../../pom.xml | head -1)"
export BODY=$body
db=${CONVERGE_DATABASE_URL#jdbc:}
mojo() { psql "${db%%\?*}" -U "${CONVERGE_DATABASE_USER:-postgres}" -Atc "select artifact_uri from model_versions
  where name = '$1' order by version desc limit 1" | sed 's|^file://||'; }
wait_up() { for _ in $(seq 300); do curl -s -o /dev/null -X POST -H 'content-type: application/json' \
  --data @"$body" "http://127.0.0.1:$port/v1/predict" && return 0; sleep 0.1; done; echo "server on $port did not start" >&2; return 1; }
start() { # start NAME MODEL: prints the server's pid
  case $1 in
    plain) (sleep 100000 | taskset -c 1 java -XX:+UseSerialGC -Xms96m -Xmx512m -cp "$cli" dev.converge.bench.PlainServer $port 1) > /dev/null 2>&1 &
      sleep 1; wait_up; pgrep -f "PlainServer $port" ;;
    jdk) (sleep 100000 | taskset -c 1 java -XX:+UseSerialGC -Xms96m -Xmx512m -cp "$cli" dev.converge.bench.NaiveScorer "$(mojo "$2")" $port) > /dev/null 2>&1 &
      sleep 1; wait_up; pgrep -f "NaiveScorer .* $port" ;;
    spring) taskset -c 1 java -XX:+UseSerialGC -Xms96m -Xmx512m -jar "$spring" --mojo="$(mojo "$2")" --server.port=$port \
      --server.address=127.0.0.1 --logging.level.root=warn > /tmp/spring-scorer.log 2>&1 &
      local p=$!; wait_up; echo $p ;;
    before|after) "$here"/serve-pinned.sh "$( [ "$1" = before ] && echo "$before" || echo "$after")" "$2" $port ;;
    after-always) "$here"/serve-pinned.sh "$after" "$2" $port CONVERGE_SERVE_REDIS_URL=redis://127.0.0.1:6379 \
      CONVERGE_SERVE_CACHE=always ;;
    before-hit|after-hit) "$here"/serve-pinned.sh "$( [ "$1" = before-hit ] && echo "$before" || echo "$after")" "$2" $port \
      CONVERGE_SERVE_REDIS_URL=redis://127.0.0.1:6379 ;;
  esac
}
# counters of a converge server over the measured part: degraded answers and cache hits (blank for the others)
meters() { curl -s "http://127.0.0.1:$port/metrics" 2> /dev/null | awk '/^converge_degraded_total/ {d=$2}
  /^converge_cache_requests_total\{result="hit"\}/ {h=$2} END {printf "%d %d", d, h}'; }
delta() { set -- $1 $2; echo "$(( ${3%.*} - ${1%.*} )) degraded, $(( ${4%.*} - ${2%.*} )) hits"; }
stop() { kill "$1" 2> /dev/null; wait "$1" 2> /dev/null || true; pkill -f "sleep 100000" || true; sleep 1; }
url=http://127.0.0.1:$port/v1/predict
echo "# $(date -u +%FT%TZ) $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "## costly model: server | wrk -c32 answers/s | 200/s | non-2xx | hey 50x20: 200 | 503 | p99 s | over both"
for s in ${HEAVY-before before-hit after after-hit spring jdk}; do
  pid=$(start $s credit_risk_heavy)
  taskset -c 0 wrk -t1 -c32 -d45s -s "$here"/post.lua "$url" > /dev/null
  m0=$(meters)
  out=$(taskset -c 0 wrk -t1 -c32 -d15s -s "$here"/post.lua "$url")
  n=$(echo "$out" | awk '/requests in/ {print $1}'); bad=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  h=$(taskset -c 0 hey -c 50 -q 20 -z 15s -m POST -T application/json -D "$body" "$url")
  ok=$(echo "$h" | awk '$1 == "[200]" {print $2}'); shed=$(echo "$h" | awk '$1 == "[503]" {print $2}')
  echo "| $s | $((n / 15)) | $(( (n - ${bad:-0}) / 15 )) | ${bad:-0} | ${ok:-0} | ${shed:-0} | $(echo "$h" | awk '/99% in/ {print $3}') | $(delta "$m0" "$(meters)") |"
  stop "$pid"
done
echo "## hot path: server | wrk -c32 req/s | p50 | p99 | non-2xx | paced 1000 req/s p99 s | paced 200s | over both"
for s in ${HOT-plain before before-hit after after-hit after-always spring jdk}; do
  pid=$(start $s credit_risk)
  taskset -c 0 wrk -t1 -c32 -d45s -s "$here"/post.lua "$url" > /dev/null
  m0=$(meters)
  out=$(taskset -c 0 wrk -t1 -c32 -d15s --latency -s "$here"/post.lua "$url")
  h=$(taskset -c 0 hey -c 10 -q 100 -z 15s -m POST -T application/json -D "$body" "$url")
  echo "| $s | $(echo "$out" | awk '/Requests\/sec/ {print $2}') | $(echo "$out" | awk '$1 == "50%" {print $2}') |" \
    "$(echo "$out" | awk '$1 == "99%" {print $2}') | $(echo "$out" | awk '/Non-2xx/ {print $NF}') |" \
    "$(echo "$h" | awk '/99% in/ {print $3}') | $(echo "$h" | awk '$1 == "[200]" {print $2}') | $(delta "$m0" "$(meters)") |"
  stop "$pid"
done
