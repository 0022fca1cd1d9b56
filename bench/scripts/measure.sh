#!/usr/bin/env bash
# measure.sh PID URL [LUA] [CONNECTIONS]: wrk closed loop from CPU 0 against a server pinned elsewhere. WARM seconds of
# warm-up first (default 45: on one core the JIT of converge's path settles after about 40 s), then 15 s measured.
# Prints req/s, p99, the server's CPU per request (utime+stime of PID, in microseconds) and the non-2xx count.
set -euo pipefail
pid=$1; url=$2; lua=${3:-$(dirname "$0")/post.lua}; c=${4:-32}
taskset -c 0 wrk -t1 -c"$c" -d"${WARM:-45}"s -s "$lua" "$url" > /dev/null
cpu0=$(awk '{print $14+$15}' /proc/"$pid"/stat)
out=$(taskset -c 0 wrk -t1 -c"$c" -d15s --latency -s "$lua" "$url")
cpu1=$(awk '{print $14+$15}' /proc/"$pid"/stat)
reqs=$(echo "$out" | awk '/requests in/ {print $1}')
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
bad=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
echo "rps=$rps p99=$p99 cpu_us_per_req=$(( (cpu1 - cpu0) * 10000 / reqs )) non2xx=${bad:-0}"
