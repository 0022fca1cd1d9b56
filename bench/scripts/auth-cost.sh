#!/usr/bin/env bash
# auth-cost.sh ROUNDS [JAR]: the cost of access control on the hot path (issue 30). One build, served on CPU 1 with
# serve.auth=off and with serve.auth=keys (a predict key created in CONVERGE_DATABASE_URL's schema and revoked after),
# alternating, ROUNDS times: closed loop (wrk -c32 from CPU 0, measure.sh) then paced 1000 req/s (hey -c 10 -q 100,
# 15 s) for its p99. Needs a database with credit_risk registered (the quickstart's).
set -euo pipefail
here=$(dirname "$0"); rounds=$1; jar=${2:-$here/../../cli/target/converge-cli.jar}
key=$(java -jar "$jar" keys create --name "auth-cost bench" --scopes predict 2> /dev/null)
id=${key:4:12}
trap 'java -jar "$jar" keys revoke "$id" > /dev/null 2>&1 || true' EXIT
for r in $(seq "$rounds"); do for mode in off keys; do
  pid=$("$here"/serve-pinned.sh "$jar" "${MODEL:-credit_risk}" 18080 CONVERGE_SERVE_AUTH=$mode)
  if [ "$mode" = keys ]; then export KEY=$key; auth=(-H "Authorization: Bearer $key"); else unset KEY; auth=(); fi
  m=$("$here"/measure.sh "$pid" http://127.0.0.1:18080/v1/predict)
  paced=$(taskset -c 0 hey -c 10 -q 100 -z 15s -m POST -T application/json "${auth[@]}" -D "${BODY:-$here/body.json}" \
    http://127.0.0.1:18080/v1/predict | grep -E "99% in|\[200\]" | tr -s ' ' | tr '\n' ' ')
  echo "$r auth=$mode: $m paced: $paced"
  kill "$pid"; wait "$pid" 2> /dev/null || true
done; done
