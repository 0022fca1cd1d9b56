#!/usr/bin/env bash
# ingest-sitting.sh NAME=JAR... : converge bench-store's ingestion rates for several builds in one sitting, each at
# ROWS_LIST generated rows (default "300000 1000000"), the builds alternated ROUNDS times (default 2), every run on a
# fresh schema (bench-store makes and drops its own). Prints one markdown row per run; the rate falling from the smaller
# to the larger store is the growth issue 37 named.
#   bench/scripts/ingest-sitting.sh old=/tmp/old.jar before=/tmp/before.jar after=cli/target/converge-cli.jar
# Needs CONVERGE_DATABASE_URL (and _USER) naming the PostgreSQL to load.
set -euo pipefail
rows_list=${ROWS_LIST:-300000 1000000}; rounds=${ROUNDS:-2}
echo "| round | build | rows | lending_club rows/s | generated rows/s | seconds |"
echo "|---:|---|---:|---:|---:|---:|"
for round in $(seq "$rounds"); do
  for rows in $rows_list; do
    for build in "$@"; do
      name=${build%%=*}; jar=${build#*=}
      out=$(java -jar "$jar" bench-store --rows "$rows" --reads 1000 2>/dev/null)
      real=$(awk -F'|' '/^\| lending_club/ {gsub(/ /,"",$7); print $7}' <<< "$out")
      gen=$(awk -F'|' '/^\| generated/ {gsub(/ /,"",$7); s=$6; gsub(/ /,"",s); print $7 " | " s}' <<< "$out")
      echo "| $round | $name | $rows | $real | $gen |"
    done
  done
done
