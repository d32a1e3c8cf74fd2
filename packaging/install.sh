#!/usr/bin/env bash
# `make install`: installs the C library the way C and C++ projects find it.
#
#   $INCLUDEDIR/tgauth.h
#   $LIBDIR/libtgauth.so.X.Y.Z, libtgauth.so.X -> it (the soname), libtgauth.so -> libtgauth.so.X
#   $LIBDIR/libtgauth.a
#   $PKGCONFIGDIR/tgauth.pc                                   pkg-config --cflags --libs tgauth
#   $CMAKEDIR/tgauthConfig.cmake, tgauthConfigVersion.cmake   find_package(tgauth) -> tgauth::tgauth
#
# Environment (the Makefile sets all but DESTDIR): PREFIX, LIBDIR, INCLUDEDIR, PKGCONFIGDIR,
# CMAKEDIR (absolute, as they will be at run time), DESTDIR (a staging root prepended to every
# path written, for packagers), BUILD_DIR (where cargo put the libraries), VERSION.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
: "${PREFIX:?}" "${LIBDIR:?}" "${INCLUDEDIR:?}" "${PKGCONFIGDIR:?}" "${CMAKEDIR:?}" "${BUILD_DIR:?}" "${VERSION:?}"
DESTDIR="${DESTDIR:-}"

case "$(uname -s)" in
    Linux | *BSD | DragonFly | SunOS) ;;
    *)
        echo "make install: $(uname -s) is not supported yet (ELF shared libraries with a soname only)" >&2
        exit 1
        ;;
esac
for dir in "$PREFIX" "$LIBDIR" "$INCLUDEDIR" "$PKGCONFIGDIR" "$CMAKEDIR"; do
    case "$dir" in
        /*) ;;
        *)
            echo "make install: $dir is not an absolute path (PREFIX, LIBDIR, ... must be)" >&2
            exit 1
            ;;
    esac
done
for f in "$BUILD_DIR/libtgauth.so" "$BUILD_DIR/libtgauth.a" "$root/include/tgauth.h"; do
    [ -f "$f" ] || { echo "make install: $f is missing (run make build)" >&2; exit 1; }
done

major="${VERSION%%.*}"
minor="${VERSION#*.}"
minor="${minor%%.*}"
soname="libtgauth.so.$major"
real="libtgauth.so.$VERSION"
# The library must carry the soname the symlinks and the CMake package promise.
if command -v readelf >/dev/null 2>&1; then
    if ! readelf -d "$BUILD_DIR/libtgauth.so" | grep -q "SONAME.*\[$soname\]"; then
        echo "make install: $BUILD_DIR/libtgauth.so has no soname $soname (build.rs sets it; rebuild)" >&2
        exit 1
    fi
fi

# A path as pkg-config writes it: under the prefix, relative to ${prefix}.
pc_path() {
    case "$1" in
        "$PREFIX") printf '${prefix}' ;;
        "$PREFIX"/*) printf '${prefix}/%s' "${1#"$PREFIX"/}" ;;
        *) printf '%s' "$1" ;;
    esac
}
# sed replacement text: escape \, & and the delimiter |.
sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

step() { echo "install: $*"; }

install -d "$DESTDIR$INCLUDEDIR" "$DESTDIR$LIBDIR" "$DESTDIR$PKGCONFIGDIR" "$DESTDIR$CMAKEDIR"

step "$INCLUDEDIR/tgauth.h"
install -m 0644 "$root/include/tgauth.h" "$DESTDIR$INCLUDEDIR/tgauth.h"

step "$LIBDIR/$real, $soname, libtgauth.so, libtgauth.a"
install -m 0755 "$BUILD_DIR/libtgauth.so" "$DESTDIR$LIBDIR/$real"
ln -sfn "$real" "$DESTDIR$LIBDIR/$soname"
ln -sfn "$soname" "$DESTDIR$LIBDIR/libtgauth.so"
install -m 0644 "$BUILD_DIR/libtgauth.a" "$DESTDIR$LIBDIR/libtgauth.a"

step "$PKGCONFIGDIR/tgauth.pc"
sed -e "s|@PREFIX@|$(sed_escape "$PREFIX")|g" \
    -e "s|@LIBDIR@|$(sed_escape "$(pc_path "$LIBDIR")")|g" \
    -e "s|@INCLUDEDIR@|$(sed_escape "$(pc_path "$INCLUDEDIR")")|g" \
    -e "s|@VERSION@|$VERSION|g" \
    "$here/tgauth.pc.in" >"$DESTDIR$PKGCONFIGDIR/tgauth.pc"
chmod 0644 "$DESTDIR$PKGCONFIGDIR/tgauth.pc"

step "$CMAKEDIR/tgauthConfig.cmake, tgauthConfigVersion.cmake"
# Relative to the CMake directory, so the package keeps working when the tree is moved.
rel_include="$(realpath -m --relative-to="$CMAKEDIR" "$INCLUDEDIR")"
rel_lib="$(realpath -m --relative-to="$CMAKEDIR" "$LIBDIR")"
sizeof_void_p="$(($(getconf LONG_BIT) / 8))"
for name in tgauthConfig tgauthConfigVersion; do
    sed -e "s|@REL_INCLUDEDIR@|$(sed_escape "$rel_include")|g" \
        -e "s|@REL_LIBDIR@|$(sed_escape "$rel_lib")|g" \
        -e "s|@VERSION@|$VERSION|g" \
        -e "s|@MAJOR@|$major|g" \
        -e "s|@MINOR@|$minor|g" \
        -e "s|@SIZEOF_VOID_P@|$sizeof_void_p|g" \
        "$here/cmake/$name.cmake.in" >"$DESTDIR$CMAKEDIR/$name.cmake"
    chmod 0644 "$DESTDIR$CMAKEDIR/$name.cmake"
done

if [ -z "$DESTDIR" ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null 2>&1; then
    case "$LIBDIR" in
        /usr/lib* | /usr/local/lib* | /lib*) ldconfig "$LIBDIR" 2>/dev/null || true ;;
    esac
fi
