#!/usr/bin/env bash
# Interoperability tests: unmodified Telethon and Kurigram (from PyPI) against tgauth-testdc,
# and sessions handed between them and tgauth.
#
#   tests/interop/run.sh [pytest arguments...]
#
# Environment:
#   VENV           virtualenv to use or create (default: <repo>/.venv)
#   PYTHON         interpreter that creates it (default: python3)
#   TGAUTH_TESTDC  test DC binary to run; when unset, it is built with
#                  `cargo build --bin tgauth-testdc` (CARGO_TARGET_DIR is honoured)
#   TGAUTH_SESSIONS tgauth's side of the session tests (examples/rust/sessions.rs); when
#                  unset, built with `cargo build --example sessions` likewise
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${VENV:-$repo/.venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "interop: creating virtualenv $venv" >&2
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
# Optional speed-up for Telethon's AES; only from a prebuilt wheel (see requirements.txt).
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --only-binary=:all: cryptg==0.6.0 >/dev/null 2>&1; then
    echo "interop: no cryptg wheel for this Python; Telethon uses pure-Python AES" >&2
fi
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --only-binary=:all: TgCrypto==1.2.5 >/dev/null 2>&1; then
    echo "interop: no TgCrypto wheel for this Python; Kurigram uses pure-Python AES" >&2
fi

target_dir="${CARGO_TARGET_DIR:-$repo/target}"
case "$target_dir" in
    /*) ;;
    *) target_dir="$repo/$target_dir" ;;
esac
if [ -z "${TGAUTH_TESTDC:-}" ]; then
    echo "interop: building tgauth-testdc" >&2
    (cd "$repo" && cargo build --quiet --bin tgauth-testdc)
    export TGAUTH_TESTDC="$target_dir/debug/tgauth-testdc"
fi
if [ -z "${TGAUTH_SESSIONS:-}" ]; then
    echo "interop: building the sessions example" >&2
    (cd "$repo" && cargo build --quiet --example sessions)
    export TGAUTH_SESSIONS="$target_dir/debug/examples/sessions"
fi

cd "$repo"
exec "$venv/bin/python" -m pytest "$here" "$@"
