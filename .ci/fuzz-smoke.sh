#!/usr/bin/env bash
# Fuzz smoke run: build the cargo-fuzz targets in fuzz/ and run each one briefly from
# the committed seeds. Any crash, panic, leak or timeout fails the script and prints the input.
# Not part of .ci/run. Usage: .ci/fuzz-smoke.sh [SECONDS_PER_TARGET]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-20}
export CARGO_TERM_COLOR=never
# cargo-fuzz passes nightly-only flags (-Zsanitizer); the stable toolchain accepts them this way.
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
started=$(date +%s)
cargo fuzz build
echo "fuzz smoke: build took $(( $(date +%s) - started ))s"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for target in verify_token verify_structured jwks_parse alb_token; do
  seeds=seeds/$target
  dirs=("$work/$target")
  [ -d "$seeds" ] && dirs+=("$seeds")
  mkdir -p "$work/$target"
  if cargo fuzz run "$target" "${dirs[@]}" -- -max_total_time="$secs" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 >"$work/$target.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
    echo "fuzz smoke: $target ok, ${runs:-?} executions in ${secs}s"
  else
    echo "fuzz smoke: $target FAILED (artifact under fuzz/artifacts/$target/)"
    tail -n 60 "$work/$target.log"
    failed=1
  fi
done
echo "fuzz smoke: total $(( $(date +%s) - started ))s"
exit "$failed"
