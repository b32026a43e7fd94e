#!/usr/bin/env bash
# Usage: [SANITIZER=none] fuzz/run-one.sh TARGET RUNS [extra libFuzzer flags...]
# One target, single process, from the committed seeds; log to fuzz/logs/TARGET.log.
# SANITIZER (default address) is passed to `cargo fuzz run -s`; see README.md for when `none`.
set -euo pipefail
cd "$(dirname "$0")"
target=$1 runs=$2; shift 2
seeds=seeds/$target
dirs=("corpus/$target")
[ -d "$seeds" ] && dirs+=("$seeds")
mkdir -p "corpus/$target" logs
start=$(date +%s)
rc=0
RUSTC_BOOTSTRAP=1 cargo fuzz run -s "${SANITIZER:-address}" "$target" "${dirs[@]}" -- \
  -runs="$runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@" \
  > "logs/$target.log" 2>&1 || rc=$?
echo "wall_seconds=$(( $(date +%s) - start )) rc=$rc" >> "logs/$target.log"
