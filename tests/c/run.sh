#!/usr/bin/env bash
# Builds every tests/c/test_*.c with -Wall -Wextra -Werror and ASan+UBSan against the
# static library, runs each, and prints as its very last line "N passed, M failed" (test
# cases). Exits non-zero on any failure: a failed check, a crash, a sanitizer report, a
# leak, a hang, or a test that does not compile.
#
#   tests/c/run.sh                       # uses ../../target/release/libtgauth.a
#   LIB=/path/to/libtgauth.a tests/c/run.sh
#   tests/c/run.sh test_misuse cancel    # one binary, tests whose name contains "cancel"
#
# Environment: CC (default cc), LIB, OUT (build directory, default target/c-tests),
# TEST_TIMEOUT (seconds per binary, default 120).
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CC="${CC:-cc}"
LIB="${LIB:-$HERE/../../target/release/libtgauth.a}"
OUT="${OUT:-$ROOT/target/c-tests}"
TEST_TIMEOUT="${TEST_TIMEOUT:-120}"
CFLAGS=(-std=c11 -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer
        -fsanitize=address,undefined -fno-sanitize-recover=all -I"$ROOT/include")
LIBS=(-lpthread -ldl -lm)

passed=0
failed=0

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

if [ ! -f "$LIB" ]; then
    echo "run.sh: $LIB not found: run 'cargo build --release' first (or set LIB=...)" >&2
    failed=1
    finish
fi
mkdir -p "$OUT"

# One RSA key for every test DC the tests start (harness.h reads TGAUTH_TEST_KEY_FILE):
# without it each tg_testdc_start makes a fresh key, which takes seconds under ASan.
if [ -z "${TGAUTH_TEST_KEY_FILE:-}" ] && command -v openssl >/dev/null 2>&1; then
    if [ ! -s "$OUT/testdc_key.pem" ]; then
        openssl genrsa -traditional -out "$OUT/testdc_key.pem" 2048 2>/dev/null ||
            openssl genrsa -out "$OUT/testdc_key.pem" 2048 2>/dev/null || rm -f "$OUT/testdc_key.pem"
    fi
    [ -s "$OUT/testdc_key.pem" ] && export TGAUTH_TEST_KEY_FILE="$OUT/testdc_key.pem"
fi

# LeakSanitizer: any leak is an error (no suppressions are needed: the shared runtime the
# library never frees stays reachable from a static, so LSan does not count it). UBSan:
# stop at the first report.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

only="${1:-}"
filter="${2:-}"
for src in "$HERE"/test_*.c; do
    name="$(basename "$src" .c)"
    if [ -n "$only" ] && [ "$name" != "$only" ]; then continue; fi
    bin="$OUT/$name"
    echo "=== build $name"
    if ! "$CC" "${CFLAGS[@]}" "$src" "$LIB" "${LIBS[@]}" -o "$bin"; then
        echo "=== $name: does not compile"
        failed=$((failed + 1))
        continue
    fi
    echo "=== run $name"
    log="$OUT/$name.log"
    start=$(date +%s)
    # Output goes to the terminal and to the log that is counted below.
    timeout --signal=KILL "$TEST_TIMEOUT" "$bin" ${filter:+"$filter"} 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    runs=$(grep -c '^\[ RUN  \]' "$log")
    passes=$(grep -c '^\[ PASS \]' "$log")
    fails=$(grep -c '^\[ FAIL \]' "$log")
    # A test that started but never reported died (crash, sanitizer, watchdog, timeout).
    died=$((runs - passes - fails))
    passed=$((passed + passes))
    failed=$((failed + fails + died))
    if [ "$status" -ne 0 ] && [ "$fails" -eq 0 ] && [ "$died" -eq 0 ]; then
        # Every case passed but the process failed afterwards (a leak report at exit, ...).
        echo "=== $name: exit status $status after its tests (see above)"
        failed=$((failed + 1))
    fi
    echo "=== $name: exit $status, $(( $(date +%s) - start )) s"
done
finish
