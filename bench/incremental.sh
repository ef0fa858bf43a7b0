#!/usr/bin/env bash
# Full run vs no-change rerun on N workbooks (default 1,000): the bundled
# samples copied under distinct names. Prints both times and their ratio.
#   bash bench/incremental.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -tags duckdb_arrow -o "$work/marginmix" ./cmd/marginmix
mkdir -p "$work/inbox"
samples=(fixtures/samples/*.xlsx)
for ((i = 0; i < n; i++)); do
  src="${samples[$((i % ${#samples[@]}))]}"
  base="$(basename "$src" .xlsx)"
  cp "$src" "$work/inbox/${base}_$(printf '%05d' "$i").xlsx"
done
ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(ms); "$work/marginmix" run --inbox "$work/inbox" --out "$work/out" --log-level warn 2>"$work/full.log"; t1=$(ms)
"$work/marginmix" run --inbox "$work/inbox" --out "$work/out" --log-level warn 2>"$work/nochange.log"; t2=$(ms)
full=$((t1 - t0)); nochange=$((t2 - t1))
echo "workbooks:        $n"
echo "full run:         ${full} ms   ($(tail -1 "$work/full.log"))"
echo "no-change rerun:  ${nochange} ms   ($(tail -1 "$work/nochange.log"))"
awk -v a="$nochange" -v b="$full" 'BEGIN { printf "ratio:            %.2f%% of the full run (target: at most 2%%)\n", 100 * a / b }'
