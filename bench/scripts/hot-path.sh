#!/usr/bin/env bash
# hot-path.sh ROUNDS CONFIG...: each CONFIG (the word plain, or a converge-cli.jar) pinned to CPU 1 in turn, ROUNDS
# times: closed loop (wrk -c32 from CPU 0, measure.sh) then paced 1000 req/s (hey -c 10 -q 100, 15 s) for its p99.
# plain is bench's PlainServer (one event loop, a constant body). converge serves MODEL (default credit_risk).
set -euo pipefail
here=$(dirname "$0"); rounds=$1; shift
cli=${CLI_JAR:-$here/../../cli/target/converge-cli.jar}
for r in $(seq "$rounds"); do for cfg in "$@"; do
  if [ "$cfg" = plain ]; then
    (sleep 100000 | taskset -c 1 java -XX:+UseSerialGC -Xms96m -Xmx512m -cp "$cli" dev.converge.bench.PlainServer 18080 1 > /dev/null) &
    sleep 2; pid=$(pgrep -f "PlainServer 18080")
  else
    pid=$("$here"/serve-pinned.sh "$cfg" "${MODEL:-credit_risk}" 18080)
  fi
  m=$("$here"/measure.sh "$pid" http://127.0.0.1:18080/v1/predict)
  paced=$(taskset -c 0 hey -c 10 -q 100 -z 15s -m POST -T application/json -D "${BODY:-$here/body.json}" \
    http://127.0.0.1:18080/v1/predict | grep -E "99% in|\[200\]" | tr -s ' ' | tr '\n' ' ')
  echo "$r $cfg: $m paced: $paced"
  kill "$pid"; wait "$pid" 2> /dev/null || true
  pkill -f "sleep 100000" || true
done; done
