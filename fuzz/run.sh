#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 60), starting from the
# committed seed corpus in fuzz/corpus/<target>/. Fails if any target crashes (the crash
# input is left in fuzz/artifacts/<target>/). `make fuzz` runs it with 60, `make test`
# with about 10.
#
#   fuzz/run.sh [SECONDS]
#
# Environment: FUZZ_TARGETS, a space-separated subset of the targets to run. The targets
# run one after the other, one process each (the machine is shared).
#
# Needs a nightly toolchain (cargo-fuzz builds with sanitizers): rustup's `nightly`, or a
# nightly default rustc. With none this prints "skipped: no nightly toolchain" and exits 0.
# cargo-fuzz itself is installed with `cargo install cargo-fuzz --locked` when missing.
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TARGET" -lt 1 ]; then
    echo "usage: $0 [SECONDS]  (a positive whole number of seconds per target)" >&2
    exit 2
fi

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$FUZZ_DIR"

ALL_TARGETS="transport_decode encrypted_message server_answers server_requests handshake_client der_pem"
TARGETS="${FUZZ_TARGETS:-$ALL_TARGETS}"

if command -v rustup >/dev/null 2>&1 && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    CARGO=(cargo +nightly)
elif rustc --version 2>/dev/null | grep -q nightly; then
    CARGO=(cargo)
else
    echo "fuzz: skipped: no nightly toolchain (install one with: rustup toolchain install nightly)"
    exit 0
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# --no-trace-compares: with cargo-fuzz's default comparison tracing, 80% of the time of the
# handshake targets goes to the hooks inside num-bigint's Montgomery loops (6x slower), and
# the parsing targets reached the same coverage without it (measured over 30 s runs from
# the seeds, which hold the magic numbers). Build and run with the same flags, or cargo
# rebuilds everything: `cargo +nightly fuzz run --no-trace-compares <target> [input]`.
FUZZ_FLAGS=(--no-trace-compares)

echo "fuzz: building the targets (${CARGO[*]} fuzz build ${FUZZ_FLAGS[*]})"
"${CARGO[@]}" fuzz build "${FUZZ_FLAGS[@]}"

mkdir -p "$FUZZ_DIR/target/run-logs"
summary=()
failed=0
for target in $TARGETS; do
    corpus="$FUZZ_DIR/corpus/$target"
    # A scratch copy of the seeds: new inputs the run finds do not pollute the committed
    # corpus (`cargo fuzz cmin` a target's corpus to keep what is worth committing).
    work="$FUZZ_DIR/target/run-corpus/$target"
    rm -rf "$work"
    mkdir -p "$work"
    if [ -d "$corpus" ]; then
        cp -r "$corpus/." "$work/"
    fi
    log="$FUZZ_DIR/target/run-logs/$target.log"
    echo "fuzz: $target for ${SECONDS_PER_TARGET}s (log: $log)"
    # -timeout: a single input taking over 30 s is a hang worth reporting.
    set +e
    "${CARGO[@]}" fuzz run "${FUZZ_FLAGS[@]}" "$target" "$work" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=30 \
        -print_final_stats=1 >"$log" 2>&1
    status=$?
    set -e
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1 || true)"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)"
    if [ "$status" -eq 0 ]; then
        line="fuzz: $target: ok, ${runs:-?} runs in ${SECONDS_PER_TARGET}s, coverage ${cov:-?}"
    else
        failed=1
        artifact="$(grep -o 'Test unit written to [^ ]*' "$log" | tail -n 1 | sed 's/Test unit written to //' || true)"
        line="fuzz: $target: FAILED (exit $status) after ${runs:-?} runs${artifact:+, input: $artifact}"
        echo "----- last lines of $log -----"
        tail -n 60 "$log"
        echo "-----"
    fi
    echo "$line"
    summary+=("$line")
done

echo
echo "fuzz summary (${SECONDS_PER_TARGET}s per target):"
printf '  %s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "fuzz: FAILED: reproduce with: cd fuzz && cargo +nightly fuzz run ${FUZZ_FLAGS[*]} <target> <input>"
    exit 1
fi
echo "fuzz: every target passed"
