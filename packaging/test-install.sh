#!/usr/bin/env bash
# `make test-install`: `make install` into a temporary prefix, then builds examples/c/send_code.c
# from there the two ways C users do, and runs each against its in-process test DC:
#   - pkg-config: cc send_code.c $(pkg-config --cflags --libs tgauth), linked to libtgauth.so.0;
#   - CMake: examples/c/CMakeLists.txt, find_package(tgauth), with tgauth::tgauth (shared) and
#     tgauth::tgauth_static;
# and checks the CMake package's version rules. Needs cmake and pkg-config: when one is
# missing and this runs as root with apt-get, it installs them (apt-get install cmake pkg-config).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
make="${MAKE:-make}"
cc="${CC:-cc}"
cflags=(-std=c11 -Wall -Wextra -Werror)

missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test-install: installing ${missing[*]} (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "test-install: ${missing[*]} not found; install them (e.g. apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi

version="$(cd "$root" && python3 packaging/version.py)"
major="${version%%.*}"
minor="${version#*.}"
minor="${minor%%.*}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

fail() {
    echo "test-install: FAIL: $*" >&2
    exit 1
}

# --- make install -------------------------------------------------------------------------------
"$make" -s -C "$root" install PREFIX="$prefix" >"$work/install.log" || {
    cat "$work/install.log" >&2
    fail "make install PREFIX=$prefix"
}
for f in include/tgauth.h lib/libtgauth.so.$version lib/libtgauth.a lib/pkgconfig/tgauth.pc \
    lib/cmake/tgauth/tgauthConfig.cmake lib/cmake/tgauth/tgauthConfigVersion.cmake; do
    [ -f "$prefix/$f" ] || fail "make install did not install $f"
done
[ "$(readlink "$prefix/lib/libtgauth.so.$major")" = "libtgauth.so.$version" ] || fail "libtgauth.so.$major is not a link to libtgauth.so.$version"
[ "$(readlink "$prefix/lib/libtgauth.so")" = "libtgauth.so.$major" ] || fail "libtgauth.so is not a link to libtgauth.so.$major"
readelf -d "$prefix/lib/libtgauth.so.$version" | grep -q "SONAME.*\[libtgauth.so.$major\]" ||
    fail "the installed library's soname is not libtgauth.so.$major"
echo "test-install: installed $version into a temporary prefix"

# --- pkg-config ---------------------------------------------------------------------------------
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(pkg-config --modversion tgauth)" = "$version" ] || fail "pkg-config --modversion tgauth is not $version"
pkg-config --static --libs tgauth | grep -q -- "-lpthread" || fail "pkg-config --static --libs tgauth lacks Libs.private"
# shellcheck disable=SC2046 # word splitting is what pkg-config's output is for
"$cc" "${cflags[@]}" "$root/examples/c/send_code.c" $(pkg-config --cflags --libs tgauth) -pthread -o "$work/send_code_pc"
readelf -d "$work/send_code_pc" | grep -q "NEEDED.*\[libtgauth.so.$major\]" ||
    fail "the pkg-config build does not record libtgauth.so.$major"
LD_LIBRARY_PATH="$prefix/lib" "$work/send_code_pc" >"$work/pc.out" || { cat "$work/pc.out"; fail "send_code (pkg-config) failed"; }
grep -q "phone_code_hash=" "$work/pc.out" || fail "send_code (pkg-config) printed no phone_code_hash"
# shellcheck disable=SC2046
"$cc" "${cflags[@]}" "$root/examples/c/send_code.c" $(pkg-config --cflags tgauth) \
    "$(pkg-config --variable=libdir tgauth)/libtgauth.a" -lpthread -ldl -lm -o "$work/send_code_pc_static"
if readelf -d "$work/send_code_pc_static" | grep -q "NEEDED.*libtgauth"; then fail "the static pkg-config build links libtgauth.so"; fi
"$work/send_code_pc_static" >"$work/pc_static.out" || { cat "$work/pc_static.out"; fail "send_code (pkg-config, static) failed"; }
grep -q "phone_code_hash=" "$work/pc_static.out" || fail "send_code (pkg-config, static) printed no phone_code_hash"
echo "test-install: pkg-config builds (libtgauth.so.$major, libtgauth.a) sent codes"

# --- CMake --------------------------------------------------------------------------------------
# Moved first: the CMake package must not depend on where it was installed.
mv "$prefix" "$work/moved"
prefix="$work/moved"
cmake_flags=(-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="${cflags[*]}" -DCMAKE_BUILD_TYPE=Release)
cmake -S "$root/examples/c" -B "$work/cmake" "${cmake_flags[@]}" >"$work/cmake.log" 2>&1 || {
    cat "$work/cmake.log" >&2
    fail "cmake could not configure examples/c"
}
grep -q "tgauth $version from $prefix/lib/cmake/tgauth" "$work/cmake.log" || {
    cat "$work/cmake.log" >&2
    fail "find_package(tgauth) did not find $version in the prefix"
}
cmake --build "$work/cmake" >"$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    fail "cmake --build examples/c"
}
readelf -d "$work/cmake/send_code" | grep -q "NEEDED.*\[libtgauth.so.$major\]" || fail "tgauth::tgauth does not link libtgauth.so.$major"
if readelf -d "$work/cmake/send_code_static" | grep -q "NEEDED.*libtgauth"; then
    fail "tgauth::tgauth_static links the shared library"
fi
# No LD_LIBRARY_PATH: CMake's build-tree rpath points at the imported library.
for exe in send_code send_code_static; do
    "$work/cmake/$exe" >"$work/$exe.out" || { cat "$work/$exe.out"; fail "$exe (CMake) failed"; }
    grep -q "phone_code_hash=" "$work/$exe.out" || fail "$exe (CMake) printed no phone_code_hash"
done
echo "test-install: CMake builds (tgauth::tgauth, tgauth::tgauth_static) sent codes"

# find_package(tgauth <version>): which requests the installed version satisfies.
check_version() { # request, expected (1 found, 0 not)
    local dir="$work/version-$1"
    mkdir -p "$dir"
    printf 'cmake_minimum_required(VERSION 3.10)\nproject(v C)\nfind_package(tgauth %s QUIET)\nif(tgauth_FOUND)\n  message(STATUS "FOUND=1")\nelse()\n  message(STATUS "FOUND=0")\nendif()\n' "$1" >"$dir/CMakeLists.txt"
    cmake -S "$dir" -B "$dir/build" -DCMAKE_PREFIX_PATH="$prefix" >"$dir/log" 2>&1 || { cat "$dir/log" >&2; fail "cmake (find_package(tgauth $1))"; }
    grep -q "FOUND=$2" "$dir/log" || fail "find_package(tgauth $1): expected found=$2"
}
check_version "$version EXACT" 1
check_version "$major.$minor" 1
check_version "$((major + 1)).0" 0
check_version "$major.$((minor + 1))" 0
# Older requests: another major version is another API; while the major is 0, so is another minor.
if [ "$major" = 0 ]; then
    [ "$minor" = 0 ] || check_version "0.$((minor - 1))" 0
else
    check_version "$((major - 1)).0" 0
    [ "$minor" = 0 ] || check_version "$major.$((minor - 1))" 1
fi
check_version "$major.$minor...<$((major + 1)).0" 1
echo "test-install: find_package(tgauth <version>) follows the version rules"
echo "test-install: ok"
