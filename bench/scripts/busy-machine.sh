#!/usr/bin/env bash
# busy-machine.sh JAR LABEL: serve on port 18081 (unpinned), 6 CPU burners, by-id requests at 200/s for 30 s; degraded count.
jar=$1; label=$2
export CONVERGE_DATABASE_URL=jdbc:postgresql://127.0.0.1:5432/bench CONVERGE_DATABASE_USER=postgres
env CONVERGE_SERVE_REDIS_URL=none java -XX:+UseSerialGC -Xms96m -Xmx512m -jar "$jar" serve --port 18081 --model credit_risk > /tmp/busy-$label.log 2>&1 &
pid=$!
for _ in $(seq 300); do curl -sf http://127.0.0.1:18081/health/ready > /dev/null && break; sleep 0.2; done
hey -c 4 -q 50 -z 10s -m POST -T application/json -d '{"entity_id": "17"}' http://127.0.0.1:18081/v1/predict > /dev/null
before=$(curl -s http://127.0.0.1:18081/metrics | awk '/^converge_degraded_total/ {print $2}')
burners=(); for i in 1 2 3 4 5 6; do (while :; do :; done) & burners+=($!); done
sleep 2
out=$(hey -c 4 -q 50 -z 30s -m POST -T application/json -d '{"entity_id": "17"}' http://127.0.0.1:18081/v1/predict)
kill "${burners[@]}"; wait "${burners[@]}" 2>/dev/null
after=$(curl -s http://127.0.0.1:18081/metrics | awk '/^converge_degraded_total/ {print $2}')
to=$(curl -s http://127.0.0.1:18081/metrics | awk '/^converge_breaker_timeout_seconds\{dependency="postgresql"/ {print $2}')
echo "$label: requests $(echo "$out" | awk '/\[200\]/ {print $2}') ok, degraded $(awk -v a="$after" -v b="$before" 'BEGIN{print a-b}'), p99 $(echo "$out" | awk '/99% in/ {print $3}') s, timeout now ${to:-n/a} s, load $(cut -d' ' -f1 /proc/loadavg)"
kill $pid; wait $pid 2>/dev/null
