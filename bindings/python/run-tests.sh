#!/usr/bin/env bash
# Builds and installs the Python package into a virtualenv, then runs its tests.
#
#   bindings/python/run-tests.sh [pytest arguments...]
#
# VENV      the virtualenv to use or create (default: .venv at the repository root)
# PYTHON    the interpreter that creates it (default: python3)
# TGAUTH_LIBRARY, if set, makes the tests load that library instead of the bundled one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${VENV:-$root/.venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
# pip >= 21.3 builds a local directory in place, so the build sees ../../Cargo.toml.
"$venv/bin/python" -m pip install --quiet "pip>=21.3"
"$venv/bin/python" -m pip install --quiet pytest
"$venv/bin/python" -m pip install "$here"

cd "$here"
exec "$venv/bin/python" -m pytest -p no:cacheprovider "$@" tests
