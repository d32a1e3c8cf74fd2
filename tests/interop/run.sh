#!/usr/bin/env bash
# Interoperability tests: an unmodified Telethon (from PyPI) logs in against tgauth-testdc.
#
#   tests/interop/run.sh [pytest arguments...]
#
# Environment:
#   VENV           virtualenv to use or create (default: <repo>/.venv)
#   PYTHON         interpreter that creates it (default: python3)
#   TGAUTH_TESTDC  test DC binary to run; when unset, it is built with
#                  `cargo build --bin tgauth-testdc` (CARGO_TARGET_DIR is honoured)
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

if [ -z "${TGAUTH_TESTDC:-}" ]; then
    echo "interop: building tgauth-testdc" >&2
    (cd "$repo" && cargo build --quiet --bin tgauth-testdc)
    target_dir="${CARGO_TARGET_DIR:-$repo/target}"
    case "$target_dir" in
        /*) ;;
        *) target_dir="$repo/$target_dir" ;;
    esac
    export TGAUTH_TESTDC="$target_dir/debug/tgauth-testdc"
fi

cd "$repo"
exec "$venv/bin/python" -m pytest "$here" "$@"
