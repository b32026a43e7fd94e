#!/usr/bin/env bash
# Installs cargo-lambda (pinned) into a virtualenv under the cargo target directory (reused when
# it already has the pin) and prints a directory holding only its `cargo-lambda` binary, for PATH:
#
#     PATH="$(bash .ci/cargo-lambda.sh):$PATH"
#
# `--no-deps` skips its ziglang dependency (about 400 MB), needed only for cross-compiling
# `cargo lambda build`; `watch` and `invoke`, which examples/tests/lambda.rs runs, do not use it.
set -euo pipefail
cd "$(dirname "$0")/.."

PIN='cargo-lambda==1.9.2'
TARGET=${CARGO_TARGET_DIR:-target}
VENV="$TARGET/cargo-lambda-venv"
STAMP="$VENV/.cognito-verify-pin"
PYTHON=${CARGO_LAMBDA_PYTHON:-python3}
export PIP_ROOT_USER_ACTION=ignore

log() { echo "cargo-lambda.sh: $*" >&2; }

installed() {
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$PIN" ] && "$VENV/bin/cargo-lambda" lambda --version >/dev/null 2>&1
}

if installed; then
    log "reusing $VENV"
else
    log "installing $PIN into $VENV"
    rm -rf "$VENV"
    mkdir -p "$TARGET"
    "$PYTHON" -m venv "$VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$PIN" >&2
    printf '%s' "$PIN" >"$STAMP"
    installed || { log "cargo-lambda does not run after installing it"; exit 1; }
fi
# A directory holding only the binary, so PATH does not also pick up the venv's python and pip.
mkdir -p "$TARGET/cargo-lambda-bin"
ln -sf "$(cd "$VENV/bin" && pwd)/cargo-lambda" "$TARGET/cargo-lambda-bin/cargo-lambda"
cd "$TARGET/cargo-lambda-bin" && pwd
