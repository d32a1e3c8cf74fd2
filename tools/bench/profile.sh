#!/usr/bin/env bash
# Profiles the cold and warm paths of the tgauth client and of tgauth-testdc (part of
# `make bench`, called by run.sh; it runs alone too once the bench binaries are built).
#
#   tools/bench/profile.sh LOAD_BIN TESTDC_BIN RESULTS_DIR
#
# Two cases, each with its own test DC process, the client and the test DC profiled at once:
#   cold  10 new clients, one after the other: connect, auth key, auth.sendCode
#   warm  one client with a key, 100 auth.sendCode in flight for a few seconds
#
# Profilers:
#   instructions  when `perf stat -e instructions true` counts instructions: perf record
#                 -e instructions; otherwise (a VM without a PMU, as here) valgrind's
#                 callgrind. In the warm case instrumentation is switched on once the key
#                 exists, so the handshake is not in the warm profile.
#   time          perf record -e cpu-clock (a software timer: works without a PMU) on the
#                 native binaries, kernel included, so system calls and TCP show up. Under
#                 valgrind the CPU has no SHA extensions, so SHA-256 looks dearer there
#                 than it is natively: this profile tells the two apart.
#   syscalls      strace -c -f on a warm run: system calls per request.
# BENCH_PROFILER=perf|callgrind forces the instruction profiler.
#
# Output in RESULTS_DIR/profile: raw profiles, and <case>.<side>.<profiler>.txt reports
# that render.py reads.
set -euo pipefail

load_bin="$1"
testdc_bin="$2"
out="$3/profile"
mkdir -p "$out"
rm -f "$out"/*.txt

instr="${BENCH_PROFILER:-}"
if [ -z "$instr" ]; then
    if command -v perf >/dev/null 2>&1 && perf stat -e instructions true >/dev/null 2>&1 &&
        ! perf stat -e instructions true 2>&1 | grep -q "not supported"; then
        instr=perf
    elif command -v valgrind >/dev/null 2>&1; then
        instr=callgrind
    else
        instr=none
    fi
fi
time_ok=0
if command -v perf >/dev/null 2>&1 &&
    perf record -q -e cpu-clock -o "$out/probe.data" -- true >/dev/null 2>&1; then
    time_ok=1
fi
rm -f "$out/probe.data"
echo "$instr" >"$out/profiler.txt"
echo "profile: instructions with $instr; time sampling: $([ $time_ok = 1 ] && echo perf cpu-clock || echo none)" >&2

# A fixed key: making one under valgrind would take minutes.
"$load_bin" genkey --out "$out/testdc_key.pem"

testdc_pid=""
side_pids=()
cleanup() {
    for p in "${side_pids[@]}" "$testdc_pid"; do
        [ -n "$p" ] && kill -INT "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT

wait_ready() { # wait_ready FILE PID
    for _ in $(seq 1 3000); do
        [ -s "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

stop_testdc() {
    if [ -n "$testdc_pid" ] && kill -0 "$testdc_pid" 2>/dev/null; then
        kill -TERM "$testdc_pid" 2>/dev/null || true
        wait "$testdc_pid" 2>/dev/null || true
    fi
    testdc_pid=""
}

# ---------------------------------------------------------------------------------------
# Instructions: callgrind (or perf -e instructions).
run_instr_case() { # run_instr_case NAME LOAD_ARGS...
    local name="$1"
    shift
    local ready="$out/$name.ready.json" marker="$out/$name.marker"
    rm -f "$ready" "$marker"
    local -a pre_dc pre_cl
    if [ "$instr" = callgrind ]; then
        # warm: instrumentation starts off and is switched on once the key exists.
        local at_start=yes
        [ "$name" = warm ] && at_start=no
        pre_dc=(valgrind --tool=callgrind --quiet --instr-atstart=$at_start
            --callgrind-out-file="$out/$name.testdc.callgrind")
        pre_cl=(valgrind --tool=callgrind --quiet --instr-atstart=$at_start
            --callgrind-out-file="$out/$name.client.callgrind")
    else
        pre_dc=(perf record -q -e instructions -o "$out/$name.testdc.perf.data" --)
        pre_cl=(perf record -q -e instructions -o "$out/$name.client.perf.data" --)
    fi
    "${pre_dc[@]}" "$testdc_bin" --code-limit 0 --key "$out/testdc_key.pem" \
        >"$ready" 2>"$out/$name.testdc.stderr" &
    testdc_pid=$!
    wait_ready "$ready" "$testdc_pid" || { cat "$out/$name.testdc.stderr" >&2; exit 1; }
    local -a extra=()
    [ "$name" = warm ] && extra=(--marker "$marker")
    "${pre_cl[@]}" "$load_bin" "$@" "${extra[@]}" --ready "$ready" \
        --out "$out/$name.client.json" 2>"$out/$name.client.stderr" &
    local client_pid=$!
    if [ "$name" = warm ] && [ "$instr" = callgrind ]; then
        # Instrument both once the key exists: the warm profile is requests only.
        for _ in $(seq 1 3000); do [ -e "$marker" ] && break; sleep 0.1; done
        callgrind_control -i on "$client_pid" >/dev/null 2>&1 ||
            echo "profile: cannot switch the client's instrumentation on" >&2
        callgrind_control -i on "$testdc_pid" >/dev/null 2>&1 ||
            echo "profile: cannot switch the test DC's instrumentation on" >&2
    fi
    wait "$client_pid"
    stop_testdc
}

if [ "$instr" != none ]; then
    run_instr_case cold cold --calls 10 --warmup 1
    run_instr_case warm warm --levels 100 --duration 5
    for case_name in cold warm; do
        for side in client testdc; do
            if [ "$instr" = callgrind ]; then
                # The last dump (after the zeroing) is the file itself.
                callgrind_annotate --auto=no --inclusive=no --threshold=99 "$out/$case_name.$side.callgrind" \
                    >"$out/$case_name.$side.$instr.txt" 2>/dev/null || true
            else
                perf report --stdio --no-children --sort dso,sym \
                    -i "$out/$case_name.$side.perf.data" >"$out/$case_name.$side.$instr.txt" 2>/dev/null || true
            fi
        done
    done
fi

# ---------------------------------------------------------------------------------------
# Time: perf cpu-clock sampling of the native binaries.
run_time_case() { # run_time_case NAME LOAD_ARGS...
    local name="$1"
    shift
    local ready="$out/$name.time.ready.json"
    rm -f "$ready"
    "$testdc_bin" --code-limit 0 --key "$out/testdc_key.pem" >"$ready" 2>/dev/null &
    testdc_pid=$!
    wait_ready "$ready" "$testdc_pid" || exit 1
    perf record -q -e cpu-clock -F 1999 -p "$testdc_pid" -o "$out/$name.testdc.cpu-clock.data" \
        >/dev/null 2>&1 &
    local perf_dc=$!
    side_pids=("$perf_dc")
    sleep 0.3
    perf record -q -e cpu-clock -F 1999 -o "$out/$name.client.cpu-clock.data" -- \
        "$load_bin" "$@" --ready "$ready" --pid "$testdc_pid" --out "$out/$name.time.client.json" \
        >/dev/null 2>&1
    kill -INT "$perf_dc" 2>/dev/null || true
    wait "$perf_dc" 2>/dev/null || true
    side_pids=()
    stop_testdc
    for side in client testdc; do
        perf report --stdio --no-children --sort dso,sym -i "$out/$name.$side.cpu-clock.data" \
            >"$out/$name.$side.cpu-clock.txt" 2>/dev/null || true
    done
}
if [ $time_ok = 1 ]; then
    run_time_case cold cold --calls 30 --warmup 1
    run_time_case warm warm --levels 100 --duration 4
fi

# ---------------------------------------------------------------------------------------
# System calls per request on the warm path (strace slows the run: the counts matter).
if command -v strace >/dev/null 2>&1; then
    ready="$out/strace.ready.json"
    rm -f "$ready"
    "$testdc_bin" --code-limit 0 --key "$out/testdc_key.pem" >"$ready" 2>/dev/null &
    testdc_pid=$!
    wait_ready "$ready" "$testdc_pid" || exit 1
    # The test DC is traced from after its start until the client is done (handshake included).
    strace -f -c -o "$out/warm.testdc.strace.txt" -p "$testdc_pid" 2>/dev/null &
    strace_dc=$!
    side_pids=("$strace_dc")
    sleep 0.5
    strace -f -c -o "$out/warm.client.strace.txt" \
        "$load_bin" warm --levels 100 --duration 3 --ready "$ready" --pid "$testdc_pid" \
        --out "$out/strace.client.json" 2>/dev/null || true
    kill -INT "$strace_dc" 2>/dev/null || true
    wait "$strace_dc" 2>/dev/null || true
    side_pids=()
    stop_testdc
fi
echo "profile: done ($out)" >&2
