#!/usr/bin/env bash
# Runs the moto integration test (cognito-verify/tests/moto.rs) against a real moto_server:
# installs moto (pinned) into target/moto-venv (reused when it already has these pins), starts
# `moto_server` on 127.0.0.1 on a free port, runs the test with MOTO_ENDPOINT set, and stops the
# server on exit whatever happens. Exits with the test's status.
#
# Needs only python3 (with venv or pip; another interpreter via MOTO_PYTHON) and registry access.
# `.ci/run` calls it after the main test command, so the test binary is already built (same cargo
# workspace and feature flags: no extra compile).
set -euo pipefail
cd "$(dirname "$0")/.."

# Every package pinned (moto's cognitoidp extra plus flask and flask-cors, and what they pull in),
# a set verified to install together on CPython 3.11.
REQUIREMENTS='moto[cognitoidp]==5.2.5
flask==3.1.3
flask-cors==6.0.5
blinker==1.9.0
boto3==1.44.8
botocore==1.44.8
certifi==2026.10.19.post1
cffi==2.1.1
charset-normalizer==3.5.3
click==8.5.1
cryptography==50.0.2
idna==3.20
itsdangerous==2.2.0
Jinja2==3.1.6
jmespath==1.1.0
joserfc==1.8.0
MarkupSafe==3.0.4
pycparser==3.12
python-dateutil==2.9.0.post0
PyYAML==6.0.4
requests==2.34.2
responses==0.26.3
s3transfer==0.19.3
six==1.17.0
urllib3==2.8.0
Werkzeug==3.1.9
xmltodict==1.0.4'

VENV=target/moto-venv
STAMP="$VENV/.cognito-verify-requirements"
PYTHON=${MOTO_PYTHON:-python3}
LOG=target/moto-server.log
STARTUP_TIMEOUT_SECS=30

log() { echo "moto.sh: $*" >&2; }
export PIP_ROOT_USER_ACTION=ignore

# The interpreter that runs moto, and PYTHONPATH for the --target fallback.
MOTO_PY=
MOTO_PYTHONPATH=

installed() {
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$REQUIREMENTS" ] || return 1
    if [ -x "$VENV/bin/python" ]; then
        MOTO_PY="$VENV/bin/python"
        MOTO_PYTHONPATH=
    elif [ -d "$VENV/site" ]; then
        MOTO_PY=$(command -v "$PYTHON")
        MOTO_PYTHONPATH="$PWD/$VENV/site"
    else
        return 1
    fi
    PYTHONPATH="$MOTO_PYTHONPATH" "$MOTO_PY" -c 'import moto.server, flask, flask_cors, joserfc' 2>/dev/null
}

install() {
    log "installing moto into $VENV"
    rm -rf "$VENV"
    mkdir -p target
    local reqs="target/moto-requirements.txt"
    printf '%s\n' "$REQUIREMENTS" >"$reqs"
    if "$PYTHON" -m venv "$VENV" >/dev/null 2>&1 && [ -x "$VENV/bin/pip" ]; then
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$reqs"
    else
        # A Debian python3 without python3-venv: install into a plain directory instead.
        log "python3 -m venv is unavailable; falling back to pip --target"
        rm -rf "$VENV"
        mkdir -p "$VENV"
        if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
            if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
                log "no pip either: apt-get install python3-pip"
                apt-get update -qq && apt-get install -y -qq python3-pip >/dev/null
            fi
        fi
        "$PYTHON" -m pip install --quiet --disable-pip-version-check --target "$VENV/site" -r "$reqs"
    fi
    printf '%s' "$REQUIREMENTS" >"$STAMP"
    installed || { log "moto does not import after installing it"; exit 1; }
}

if installed; then
    log "reusing $VENV"
else
    install
fi

free_port() {
    "$MOTO_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SERVER_PID=
TEST_PID=
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        log "moto_server (pid $SERVER_PID) stopped"
    fi
    SERVER_PID=
}
cleanup() {
    if [ -n "$TEST_PID" ] && kill -0 "$TEST_PID" 2>/dev/null; then
        # Its own process group (setsid below): cargo and the test binary it runs.
        kill -TERM -- "-$TEST_PID" 2>/dev/null || kill -TERM "$TEST_PID" 2>/dev/null || true
        wait "$TEST_PID" 2>/dev/null || true
    fi
    stop_server
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until the server answers HTTP (any status) or its process exits; bounded.
wait_ready() {
    local port=$1
    "$MOTO_PY" - "$port" "$SERVER_PID" "$STARTUP_TIMEOUT_SECS" <<'EOF'
import os, sys, time, urllib.error, urllib.request
port, pid, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(2)  # the server exited
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2).close()
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # it answered
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

# A port picked free can be taken before the server binds it: try a few.
PORT=
for attempt in 1 2 3; do
    PORT=$(free_port)
    PYTHONPATH="$MOTO_PYTHONPATH" "$MOTO_PY" -m moto.server -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 &
    SERVER_PID=$!
    started=$SECONDS
    status=0
    wait_ready "$PORT" || status=$?
    if [ "$status" = 0 ]; then
        log "moto_server (pid $SERVER_PID) answers on 127.0.0.1:$PORT after $((SECONDS - started)) s"
        break
    fi
    log "moto_server did not start (attempt $attempt, status $status); its log:"
    cat "$LOG" >&2
    stop_server
    PORT=
done
[ -n "$PORT" ] || { log "giving up: moto_server would not start"; exit 1; }

export MOTO_ENDPOINT="http://127.0.0.1:$PORT"
status=0
# --workspace keeps the feature resolution of `.ci/run`'s `cargo test --workspace --all-features`,
# so this reuses that build; --test moto runs only the moto test binary.
# In the background with `wait`, so a signal to this script is handled at once (then cleanup),
# and in a process group of its own, so cleanup can stop the test binary too.
SETSID=$(command -v setsid || true)
$SETSID cargo test --workspace --all-features --test moto -- --include-ignored &
TEST_PID=$!
wait "$TEST_PID" || status=$?
TEST_PID=
if [ "$status" != 0 ]; then
    log "the moto test failed (status $status); moto_server's log:"
    tail -n 50 "$LOG" >&2
fi
exit "$status"
