#!/usr/bin/env bash
# `make bench`: every benchmark of tgauth in one run, rendered into BENCHMARKS.md.
#
#   tools/bench/run.sh
#
# 1. builds the release binaries, the bench binaries (benches/load.rs, benches/micro.rs) and
#    the C driver (tools/bench/ffi_load.c against target/release/libtgauth.a);
# 2. makes or reuses the virtualenv $VENV with Telethon (and cryptg when a wheel exists);
#    the tgauth Python package is used from bindings/python/src with
#    TGAUTH_LIBRARY=target/release/libtgauth.so (no second build of the library);
# 3. runs the criterion micro-benchmarks;
# 4. starts `tgauth-testdc --code-limit 0` in its own process and runs, against it: cold
#    and warm (Rust, C ABI, Python, Telethon), then scale (1,000 and 10,000 idle clients);
# 5. profiles the cold and warm paths, client and test DC, with callgrind (perf when
#    `perf stat -e instructions true` counts instructions);
# 6. writes BENCHMARKS.md (tools/bench/render.py) from the JSON in target/bench/results.
#
# Environment:
#   VENV            the virtualenv (default: <repo>/.venv)
#   PYTHON          the interpreter that creates it (default: python3)
#   CARGO           cargo (default: cargo); CARGO_TARGET_DIR is honoured
#   BENCH_OUT       where the report goes (default: <repo>/BENCHMARKS.md)
#   BENCH_COMMAND   the command line written into the report (default: make bench)
#   BENCH_QUICK=1   a short smoke run (few calls, 1,000 clients only, short micro-benchmarks)
#   BENCH_SCALE_COLD=1  the 10,000 clients make 10,000 auth keys too (several minutes)
#   BENCH_PROFILE=0 skip the profiling step
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
venv="${VENV:-$repo/.venv}"
python="${PYTHON:-python3}"
cargo="${CARGO:-cargo}"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
case "$target_dir" in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
release="$target_dir/release"
work="$target_dir/bench"
results="$work/results"
out="${BENCH_OUT:-$repo/BENCHMARKS.md}"
quick="${BENCH_QUICK:-0}"

if [ "$quick" = 1 ]; then
    COLD_CALLS=20 TELETHON_COLD_CALLS=10 WARM_SECONDS=1.5 SCALE_CLIENTS="1000"
    MICRO_ARGS=(--warm-up-time 0.3 --measurement-time 0.5)
else
    COLD_CALLS=100 TELETHON_COLD_CALLS=50 WARM_SECONDS=4 SCALE_CLIENTS="1000 10000"
    MICRO_ARGS=()
fi
LEVELS=1,100,1000

log() { printf '\n== bench: %s\n' "$*" >&2; }

rm -rf "$results"
mkdir -p "$results"
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------
log "building (release)"
"$cargo" build --release
"$cargo" bench --no-run --bench load --bench micro
load_bin=$("$cargo" bench --no-run --bench load --message-format=json 2>/dev/null |
    "$python" -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "load" and m.get("executable"):
        print(m["executable"])')
[ -x "$load_bin" ] || { echo "bench: cannot find the load bench binary" >&2; exit 1; }
cc="${CC:-cc}"
"$cc" -O2 -std=c11 -Wall -Wextra -Iinclude tools/bench/ffi_load.c "$release/libtgauth.a" \
    -lpthread -ldl -lm -o "$work/ffi_load"

# ---------------------------------------------------------------------------------------
log "virtualenv $venv (Telethon, cryptg)"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
vpy="$venv/bin/python"
"$vpy" -m pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
# cryptg (Telethon's native AES) only from a prebuilt wheel, as the interop tests do.
if "$vpy" -m pip install --quiet --disable-pip-version-check --only-binary=:all: cryptg==0.6.0 \
        >/dev/null 2>&1; then
    echo "cryptg installed" >&2
else
    echo "no cryptg wheel for this Python: Telethon runs with pure-Python AES" >&2
fi
export TGAUTH_LIBRARY="$release/libtgauth.so"
export PYTHONPATH="$repo/bindings/python/src${PYTHONPATH:+:$PYTHONPATH}"

# ---------------------------------------------------------------------------------------
log "criterion micro-benchmarks"
rm -rf "$target_dir/criterion"
"$cargo" bench --bench micro -- "${MICRO_ARGS[@]}" 2>&1 | tee "$results/micro.txt"

# ---------------------------------------------------------------------------------------
# The test DC runs in a process of its own: its CPU and memory are measured apart.
testdc_pid=""
stop_testdc() {
    if [ -n "$testdc_pid" ] && kill -0 "$testdc_pid" 2>/dev/null; then
        kill -TERM "$testdc_pid" 2>/dev/null || true
        wait "$testdc_pid" 2>/dev/null || true
    fi
    testdc_pid=""
}
trap stop_testdc EXIT
start_testdc() {
    stop_testdc
    local ready="$work/ready.json"
    rm -f "$ready"
    "$release/tgauth-testdc" --code-limit 0 "$@" >"$ready" 2>"$work/testdc.stderr" &
    testdc_pid=$!
    for _ in $(seq 1 600); do
        if [ -s "$ready" ] && [ "$(wc -l <"$ready")" -ge 1 ]; then return 0; fi
        kill -0 "$testdc_pid" 2>/dev/null || { cat "$work/testdc.stderr" >&2; exit 1; }
        sleep 0.1
    done
    echo "bench: tgauth-testdc printed no ready line" >&2
    exit 1
}

# As many descriptors as allowed: 10,000 clients need 10,000 sockets on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files limit: $(ulimit -n)" >&2

log "loopback round trips"
"$load_bin" rtt --out "$results/rtt.json"

start_testdc
ready="$work/ready.json"
load() { "$load_bin" "$@" --ready "$ready" --pid "$testdc_pid"; }

log "cold: tgauth (Rust)"
load cold --calls "$COLD_CALLS" --out "$results/rust_cold.json"
log "cold: Telethon"
"$vpy" tools/bench/telethon_load.py cold --ready "$ready" --pid "$testdc_pid" \
    --calls "$TELETHON_COLD_CALLS" --out "$results/telethon_cold.json"

log "warm: tgauth (Rust)"
load warm --levels "$LEVELS" --duration "$WARM_SECONDS" --out "$results/rust_warm.json"
log "warm: tgauth through the C ABI"
read -r dc_host dc_port api_id api_hash < <("$python" -c '
import json, sys
info = json.loads(open(sys.argv[1]).readline())
open(sys.argv[2], "w").write(info["rsa_public_key"])
dc = next(d for d in info["dcs"] if d["id"] == 2)
print(dc["host"], dc["port"], info["api_id"], info["api_hash"])' "$ready" "$work/testdc_key.pem")
"$work/ffi_load" "$dc_host" "$dc_port" "$api_id" "$api_hash" "$work/testdc_key.pem" \
    "$testdc_pid" "$WARM_SECONDS" "$LEVELS" "$results/c_warm.json"
log "warm: tgauth through Python (send_code_async)"
"$vpy" tools/bench/py_load.py --ready "$ready" --pid "$testdc_pid" --levels "$LEVELS" \
    --duration "$WARM_SECONDS" --out "$results/python_warm.json"
log "warm: Telethon"
"$vpy" tools/bench/telethon_load.py warm --ready "$ready" --pid "$testdc_pid" \
    --levels "$LEVELS" --duration "$WARM_SECONDS" --out "$results/telethon_warm.json"

# 1,000 clients each make their own auth key (a cold bring-up, bound by the handshakes'
# CPU); 10,000 start from one saved session (--reuse-key: connect, initConnection and
# auth.sendCode each), unless BENCH_SCALE_COLD=1, which makes 10,000 keys too (minutes).
for n in $SCALE_CLIENTS; do
    reuse=()
    if [ "$n" -gt 1000 ] && [ "${BENCH_SCALE_COLD:-0}" != 1 ]; then reuse=(--reuse-key); fi
    if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((n + 100)) ]; then
        echo "bench: open files limit $(ulimit -n) is too low for $n clients; skipped" >&2
        echo "{\"mode\":\"scale\",\"clients\":$n,\"skipped\":\"open files limit $(ulimit -n)\"}" \
            >"$results/scale_$n.json"
        continue
    fi
    log "scale: $n idle clients in one process ${reuse[*]}"
    start_testdc  # a fresh test DC per size, so nothing left from earlier runs is counted
    load scale --clients "$n" --parallel 64 "${reuse[@]}" --out "$results/scale_$n.json"
done
stop_testdc

# ---------------------------------------------------------------------------------------
if [ "${BENCH_PROFILE:-1}" != 0 ]; then
    log "profiling the cold and warm paths"
    bash "$here/profile.sh" "$load_bin" "$release/tgauth-testdc" "$results"
fi

# ---------------------------------------------------------------------------------------
log "rendering $out"
"$python" - "$results/machine.json" "$started_at" "$load_start" "$vpy" <<'EOF'
import json, os, platform, re, subprocess, sys
path, started, load_start, vpy = sys.argv[1:5]
cpuinfo = open("/proc/cpuinfo").read()
models = re.findall(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
mhz = re.findall(r"^cpu MHz\s*:\s*(.*)$", cpuinfo, re.M)
mem = re.search(r"^MemTotal:\s*(\d+) kB", open("/proc/meminfo").read(), re.M)
def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "unknown"
try:
    rev = run("git", "rev-parse", "--short", "HEAD")
    dirty = run("git", "status", "--porcelain", "--untracked-files=no")
    commit = rev + (" (with uncommitted changes)" if dirty not in ("", "unknown") else "")
except Exception:
    commit = "unknown"
json.dump({
    "cpu_model": models[0] if models else "unknown",
    "cpu_mhz": mhz[0] if mhz else "unknown",
    "logical_cpus_in_cpuinfo": len(models),
    "nproc": run("nproc"),
    "mem_total_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
    "kernel": platform.release(),
    "rustc": run("rustc", "--version"),
    "python": run(vpy, "--version"),
    "started_at": started,
    "loadavg_at_start": load_start,
    "loadavg_at_end": " ".join(open("/proc/loadavg").read().split()[:3]),
    "commit": commit,
    "perf_instructions": run("sh", "-c", "perf stat -e instructions true 2>&1 | grep -c 'not supported' || true"),
}, open(path, "w"), indent=1)
EOF
"$python" "$here/render.py" --results "$results" --criterion "$target_dir/criterion" \
    --command "${BENCH_COMMAND:-make bench}" --findings "$here/findings.md" --out "$out"
echo "bench: wrote $out" >&2
