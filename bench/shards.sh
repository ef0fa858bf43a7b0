#!/usr/bin/env bash
# One run against N shards and a commit, on one generated earnings set
# (default 500 supplements, 4 shards), local --out. The shards run one
# after another: each one's time is what its own machine would take.
# Prints wall time and peak RSS of each step, and checks that the two
# publications hold the same Parquet files.
#   bash bench/shards.sh [WORKBOOKS] [SHARDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-500}"
shards="${2:-4}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -tags duckdb_arrow -o "$work/marginmix" ./cmd/marginmix
go build -o "$work/benchgen" ./fixtures/benchgen
"$work/benchgen" -set earnings -n "$n" -dir "$work/set" >/dev/null
in=(--inbox "$work/set/inbox" --specs "$work/set/specs" --workers 2 --log-level error)
timed() { /usr/bin/time -f "%e s  %M KB" "$@" 2>&1 >/dev/null | grep -v '^once every' | tail -2 | paste -sd' '; }
echo "one run:        $(timed "$work/marginmix" run "${in[@]}" --out "$work/one")"
for ((i = 0; i < shards; i++)); do
  echo "shard $i/$shards:    $(timed "$work/marginmix" run "${in[@]}" --shard "$i/$shards" --batch b --out "$work/sharded")"
done
echo "commit:         $(timed "$work/marginmix" commit --batch b --out "$work/sharded" --log-level error)"
sums() { (cd "$1" && find . -type f -name '*.parquet' ! -path './_*' | sort | xargs sha256sum); }
if diff <(sums "$work/one") <(sums "$work/sharded") >/dev/null; then
  echo "same publication: $(sums "$work/one" | wc -l) Parquet files, same sha256"
else
  echo "the publications differ"; exit 1
fi
