#!/usr/bin/env bash
# Loopback load test: requests/s of an axum app behind the
# cognito-verify-axum layer (every request a verified-token cache hit) against the same app
# without the layer, measured in one run, rounds alternating between the two.
#
#   bash benches/load/run.sh                 # defaults below
#   DURATION=5 ROUNDS=2 bash benches/load/run.sh
#
# Loopback only (127.0.0.1, ports chosen by the OS). Bounded: each wrk run lasts DURATION
# seconds; the server stops by itself after a time limit and a request limit; the script kills
# the server on exit, whatever the exit. Needs `wrk` (Debian package; installed if missing).
#
# Settings (environment):
#   DURATION     seconds per wrk run (default 5)
#   ROUNDS       rounds; each runs both variants (default 9)
#   CONNECTIONS  wrk connections (default 32)
#   WRK_THREADS  wrk threads (default 1)
#   WORKERS      server tokio worker threads (default 1)
#   PIN          1 = pin the server to CPU 1 and wrk to CPU 0 with taskset (default 1 when
#                taskset exists and there are 2+ CPUs)
#   MAX_REQUESTS request limit of the server, both variants together (default 50000000)
#   CARGO_TARGET_DIR  honoured (default: target)
set -euo pipefail

# Many short rounds rather than a few long ones: a round now and then is disturbed (by the
# virtual machine's neighbours: p99 up tenfold, both variants down 15 %), and the medians over
# nine rounds shrug that off where three cannot.
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-9}
CONNECTIONS=${CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-1}
WORKERS=${WORKERS:-1}
MAX_REQUESTS=${MAX_REQUESTS:-50000000}
if [[ -z ${PIN:-} ]]; then
    if command -v taskset >/dev/null && (($(nproc) >= 2)); then PIN=1; else PIN=0; fi
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
target_dir=${CARGO_TARGET_DIR:-$root/target}

if ! command -v wrk >/dev/null; then
    echo "== installing wrk (Debian package)"
    apt-get update -qq
    apt-get install -y -qq wrk >/dev/null
fi

# The bench profile is release with line tables (cargo puts it under target/release as well).
echo "== building load_server (bench profile)"
cargo build --profile bench -q -p cognito-verify-benches --bin load_server
server_bin=$target_dir/release/load_server

work=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

server_cpu=()
wrk_cpu=()
if [[ $PIN == 1 ]]; then
    server_cpu=(taskset -c 1)
    wrk_cpu=(taskset -c 0)
fi

# The server's own limits: all rounds plus slack, and a request cap.
max_seconds=$((ROUNDS * 2 * (DURATION + 5) + 60))
"${server_cpu[@]}" "$server_bin" --ready-file "$work/ready" --workers "$WORKERS" \
    --max-seconds "$max_seconds" --max-requests "$MAX_REQUESTS" &
server_pid=$!

for _ in $(seq 1 300); do
    [[ -f $work/ready ]] && break
    kill -0 "$server_pid" 2>/dev/null || { echo "load_server exited early" >&2; exit 1; }
    sleep 0.1
done
[[ -f $work/ready ]] || { echo "load_server not ready after 30 s" >&2; exit 1; }
# shellcheck disable=SC1091
source "$work/ready"

# Sanity: the layer refuses a request without a token, accepts the minted one.
if command -v curl >/dev/null; then
    refused=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AUTH_PORT/")
    accepted=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$AUTH_PORT/")
    echo "== sanity: layer without token -> $refused, with token -> $accepted"
    [[ $refused == 401 && $accepted == 200 ]] || { echo "unexpected status codes" >&2; exit 1; }
fi

# One wrk run; prints its requests/s; fails on any non-2xx answer or socket error.
run_wrk() {
    local name=$1 port=$2 out=$work/wrk-$1-$3.txt
    "${wrk_cpu[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s --latency \
        -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/" >"$out"
    if grep -q 'Non-2xx or 3xx responses' "$out"; then
        echo "$name: non-2xx responses" >&2
        cat "$out" >&2
        exit 1
    fi
    if grep -q 'Socket errors' "$out"; then
        echo "$name: socket errors:" >&2
        grep 'Socket errors' "$out" >&2
    fi
    local rps p50 p99
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    p50=$(awk '$1 == "50%" {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    echo "$name $rps $p50 $p99 $3" >>"$work/results"
    printf '   %-6s round %s: %10.0f req/s   p50 %-8s p99 %s\n' "$name" "$3" "$rps" "$p50" "$p99"
}

echo "== machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(date -u +%FT%TZ)"
echo "== load before: $(uptime)"
echo "== wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s, server workers $WORKERS, pinned $PIN, $ROUNDS rounds"
: >"$work/results"
for round in $(seq 1 "$ROUNDS"); do
    # Alternate the order so that drift in machine load does not favour one variant.
    if ((round % 2)); then
        run_wrk plain "$PLAIN_PORT" "$round"
        run_wrk layer "$AUTH_PORT" "$round"
    else
        run_wrk layer "$AUTH_PORT" "$round"
        run_wrk plain "$PLAIN_PORT" "$round"
    fi
done
echo "== load after: $(uptime)"

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
plain=$(awk '$1 == "plain" {print $2}' "$work/results" | median)
layer=$(awk '$1 == "layer" {print $2}' "$work/results" | median)
ratio=$(awk -v a="$layer" -v b="$plain" 'BEGIN {printf "%.3f", a / b}')
# Each round's two runs are back to back: their ratio sees one state of the machine.
paired=$(awk '{rps[$5, $1] = $2; rounds[$5] = 1}
    END {for (r in rounds) print rps[r, "layer"] / rps[r, "plain"]}' "$work/results" | median)
paired=$(awk -v r="$paired" 'BEGIN {printf "%.3f", r}')
# The target: with the layer (every request a cache hit), at least 93 % of plain axum's
# requests/s, i.e. the layer costs at most 7 % of a minimal handler's throughput.
target=0.93
verdict=$(awk -v r="$ratio" -v t="$target" 'BEGIN {print (r >= t) ? "met" : "MISSED"}')
verdict_paired=$(awk -v r="$paired" -v t="$target" 'BEGIN {print (r >= t) ? "met" : "MISSED"}')
echo
echo "| variant | median req/s over $ROUNDS runs |"
echo "|---|---:|"
printf '| axum, no layer | %.0f |\n' "$plain"
printf '| axum + CognitoAuth layer (cache hits) | %.0f |\n' "$layer"
echo
echo "ratio layer / plain, medians of the runs = ${ratio}x (target >= ${target}x: $verdict)"
echo "median of the rounds' own ratios = ${paired}x (target >= ${target}x: $verdict_paired)"
