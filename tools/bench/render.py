#!/usr/bin/env python3
"""Renders BENCHMARKS.md from one `make bench` run (tools/bench/run.sh).

    render.py --results target/bench/results --criterion target/criterion \
              --command "make bench" --findings tools/bench/findings.md --out BENCHMARKS.md

Every figure comes from the JSON and text files of that run; the findings file is the
hand-written analysis, included as it is.
"""

import argparse
import json
import math
import re
from pathlib import Path

# auth-key exchange + auth.sendCode: TCP connect, req_pq_multi, req_DH_params,
# set_client_DH_params, and the request itself.
COLD_ROUND_TRIPS = 5
# "No slower than the floor": within this factor of it.
FLOOR_SLACK = 1.2


def load(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def fmt(x, digits=None):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if digits is None:
        a = abs(x)
        digits = 0 if a >= 100 else 1 if a >= 10 else 2 if a >= 1 else 3
    return f"{x:,.{digits}f}"


def ratio(a, b):
    try:
        r = a / b
    except (TypeError, ZeroDivisionError):
        return None
    return None if math.isnan(r) else r


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:,.1f}x"


def verdict(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")


def table(headers, rows, align=None):
    align = align or ["l"] + ["r"] * (len(headers) - 1)
    out = ["| " + " | ".join(headers) + " |"]
    out.append("|" + "|".join("---:" if a == "r" else "---" for a in align) + "|")
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------
# criterion
# ---------------------------------------------------------------------------------------


def read_criterion(root):
    """{full_id: {"median_ns", "lo_ns", "hi_ns", "bytes"}} from target/criterion."""
    found = {}
    for bench in Path(root).glob("**/new/benchmark.json"):
        meta = load(bench)
        est = load(bench.parent / "estimates.json")
        if not meta or not est:
            continue
        med = est["median"]
        tp = meta.get("throughput") or {}
        found[meta["full_id"]] = {
            "median_ns": med["point_estimate"],
            "lo_ns": med["confidence_interval"]["lower_bound"],
            "hi_ns": med["confidence_interval"]["upper_bound"],
            "bytes": tp.get("Bytes"),
        }
    return found


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:,.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:,.2f} µs"
    return f"{ns:,.0f} ns"


# ---------------------------------------------------------------------------------------
# profiles
# ---------------------------------------------------------------------------------------

LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*?)\s*$")
PERF_LINE = re.compile(r"^\s+([\d.]+)%\s+(\S+)\s+\[([.kgu])\]\s+(.*?)\s*$")

CATEGORIES = [
    ("kernel: TCP, scheduler, epoll, getrandom (perf only)", r"^\[k\] "),
    ("big-number arithmetic (modpow: DH, RSA)", r"num_bigint|monty|biguint|bigint|glass_pumpkin|__umodti3|__udivti3"),
    ("pq factorisation", r"factoriz|is_prime_u64|pow_mod|mul_mod"),
    ("AES (IGE, CTR)", r"\baes\b|aes::|_aes|ige_|ctr::|cipher::stream|fixslice"),
    ("SHA-1 / SHA-256", r"sha1|sha2|sha256|compress256|compress160"),
    ("allocator (malloc, free, realloc)",
     r"malloc|\bfree\b|cfree|realloc|calloc|_int_free|_int_malloc|tcache|unlink_chunk|"
     r"__rust_alloc|__rust_dealloc|__rdl_|alloc::alloc::|raw_vec|sysmalloc|arena_get|"
     r"alloc::raw_vec"),
    ("memcpy / memset / memcmp", r"memcpy|memmove|memset|memcmp|bcmp"),
    ("linear searches (VecDeque::contains, answered)", r"VecDeque<T,A>::contains|Connection::answered"),
    ("string formatting (fmt)", r"core::fmt|alloc::fmt|pad_integral|String as core::iter|fmt::write|Utf8Chunks"),
    ("hashing of HashMap keys (SipHash)", r"sip::Hasher|hashbrown|HashMap"),
    ("TL (de)serialisation", r"grammers_tl_types"),
    ("clock reads", r"clock_gettime|Timespec|Instant::|SystemTime"),
    ("system call wrappers (user side)",
     r"^(__)?(libc_)?(write|read|recv|send|sendto|recvfrom|epoll_wait|epoll_ctl|syscall|"
     r"writev|readv|accept4|connect|close|socket|getrandom|__GI___getrandom|__send|__recv|"
     r"__libc_write|__libc_read|__libc_send|__libc_recv)\b|__GI___libc|getrandom"),
    ("tokio runtime, channels, locks, threads",
     r"tokio::|mio::|parking_lot|std::sync|crossbeam|pthread|__lll_|futex|std::thread|"
     r"core::sync|std::sys|oneshot|mpsc"),
    ("dynamic loader, process start", r"_dl_|ld-linux|dl_main|do_lookup"),
]


def split_function(rest):
    """callgrind_annotate's `file:function [binary]` -> function."""
    rest = re.sub(r"\s+\[[^\]]*\]$", "", rest)
    for i, ch in enumerate(rest):
        if ch == ":" and rest[i + 1:i + 2] != ":" and rest[i - 1:i] != ":":
            return rest[i + 1:]
    return rest


def shorten(name, width=90):
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    name = re.sub(r"<impl [^>]*>", "<impl>", name)
    return name if len(name) <= width else name[: width - 1] + "…"


def read_profile(path):
    """[(share %, function)] by function, largest first, from callgrind_annotate or perf
    report output (kernel functions get a `[k] ` prefix), and the total cost if known."""
    shares, total = {}, None
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return [], None
    for line in text.splitlines():
        m = PERF_LINE.match(line)
        if m:
            fn = ("[k] " if m.group(3) == "k" else "") + m.group(4)
            shares[fn] = shares.get(fn, 0.0) + float(m.group(1))
            continue
        m = LINE.match(line)
        if not m:
            continue
        if "PROGRAM TOTALS" in m.group(3):
            total = int(m.group(1).replace(",", ""))
            continue
        # callgrind_annotate lists an inlined function once per source file: add them up.
        fn = split_function(m.group(3))
        shares[fn] = shares.get(fn, 0.0) + float(m.group(2))
    rows = sorted(((v, k) for k, v in shares.items()), reverse=True)
    return rows, total


def categorise(rows):
    shares = {name: 0.0 for name, _ in CATEGORIES}
    shares["other"] = 0.0
    for share, fn in rows:
        for name, pattern in CATEGORIES:
            if re.search(pattern, fn):
                shares[name] += share
                break
        else:
            shares["other"] += share
    return shares


def read_strace(path):
    """(total calls, [(calls, syscall)] top 6) from `strace -c` output."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None, []
    rows, total = [], None
    for line in lines:
        parts = line.split()
        if len(parts) < 5 or not parts[0][0].isdigit():
            continue
        name = parts[-1]
        # columns: % time, seconds, usecs/call, calls, [errors], syscall
        nums = [p for p in parts[:-1]]
        try:
            calls = int(nums[3])
        except (IndexError, ValueError):
            continue
        if name == "total":
            total = calls
        else:
            rows.append((calls, name))
    rows.sort(reverse=True)
    return total, rows[:6]


# ---------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--criterion", required=True)
    ap.add_argument("--command", default="make bench")
    ap.add_argument("--findings")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    R = Path(args.results)

    machine = load(R / "machine.json") or {}
    rtt = load(R / "rtt.json") or {}
    cold_rs, cold_tt = load(R / "rust_cold.json"), load(R / "telethon_cold.json")
    warm = {
        "Rust": load(R / "rust_warm.json"),
        "C ABI": load(R / "c_warm.json"),
        "Python": load(R / "python_warm.json"),
        "Telethon": load(R / "telethon_warm.json"),
    }
    all_scales = sorted(
        (s for s in (load(p) for p in R.glob("scale_*.json")) if s),
        key=lambda s: s["clients"],
    )
    skipped_scales = [s for s in all_scales if s.get("skipped")]
    scales = [s for s in all_scales if not s.get("skipped")]
    crit = read_criterion(args.criterion)
    cryptg = (cold_tt or {}).get("cryptg")
    tele_version = (cold_tt or {}).get("telethon_version", "?")

    def level(api, n):
        w = warm.get(api)
        if not w:
            return None
        return next((l for l in w["levels"] if l["inflight"] == n), None)

    levels = sorted({l["inflight"] for w in warm.values() if w for l in w["levels"]})

    md = []
    md.append("# tgauth benchmarks\n")
    md.append(
        "Produced by one run of `" + args.command + "` (`tools/bench/run.sh`), which builds "
        "in release mode, starts `tgauth-testdc --code-limit 0` as a separate process and "
        "measures the client against it over loopback; every figure below comes from that run. "
        "Clients use DC 2 as home with numbers `+999662xxxx` (no migration) and the "
        "intermediate transport (Telethon too). Latencies are wall-clock per call; CPU is "
        "getrusage of the client process and utime + stime of the test DC process "
        "(/proc/PID/stat).\n"
    )
    md.append("## Machine and run\n")
    md.append(
        table(
            ["", ""],
            [
                ["command", f"`{args.command}`"],
                ["CPU", f"{machine.get('cpu_model', '?')} ({machine.get('cpu_mhz', '?')} MHz), "
                        f"{machine.get('logical_cpus_in_cpuinfo', '?')} logical CPUs in /proc/cpuinfo"],
                ["nproc", machine.get("nproc", "?")],
                ["memory", f"{machine.get('mem_total_gib', '?')} GiB"],
                ["kernel", machine.get("kernel", "?")],
                ["toolchain", f"{machine.get('rustc', '?')}; {machine.get('python', '?')}"],
                ["Telethon", f"{tele_version}, cryptg "
                             + ("installed (native AES)" if cryptg else
                                "**not installed** (no wheel: pure-Python AES)")],
                ["commit", machine.get("commit", "?")],
                ["started", machine.get("started_at", "?")],
                ["load average (1/5/15 min) at start / end",
                 f"{machine.get('loadavg_at_start', '?')} / {machine.get('loadavg_at_end', '?')}"],
            ],
            ["l", "l"],
        )
    )
    md.append(
        "\nThe machine has 2 cores shared by the client, the test DC and anything else "
        "running: each figure includes that contention.\n"
    )

    # ---- targets ------------------------------------------------------------------
    hs_client = crit.get("handshake/full_exchange/client_side", {}).get("median_ns")
    hs_server = crit.get("handshake/full_exchange/server_side", {}).get("median_ns")
    rt = (rtt.get("round_trip") or {}).get("p50_ms")
    floor = None
    if hs_client and hs_server and rt is not None:
        floor = (hs_client + hs_server) / 1e6 + COLD_ROUND_TRIPS * rt
    cold_p50 = cold_rs["latency"]["p50_ms"] if cold_rs else None
    cold_cpu = (cold_rs["client_cpu_ms_per_call"] + cold_rs["testdc_cpu_ms_per_call"]) if cold_rs else None
    cold_ratio = ratio(cold_tt["latency"]["p50_ms"], cold_p50) if cold_tt and cold_rs else None
    peak = {api: max((l["throughput_rps"] for l in w["levels"]), default=None) if w else None
            for api, w in warm.items()}
    warm_ratio = ratio(peak["Rust"], peak["Telethon"])
    l100 = level("Rust", 100)
    p99_100 = l100["latency"]["p99_ms"] if l100 else None
    max_kib = max((s["kib_per_client"] for s in scales), default=None)
    s10k = next((s for s in scales if s["clients"] == 10000), None)
    ok10k = None
    if s10k:
        ok10k = s10k["failures"] == 0 and s10k["open_fds_after"] - s10k["open_fds_before"] >= 10000

    rows = [
        ["cold ≥ 10x faster than Telethon (median)",
         f"{fmt(cold_p50)} ms vs {fmt(cold_tt['latency']['p50_ms']) if cold_tt else 'n/a'} ms: "
         f"{fmt_ratio(cold_ratio)}",
         verdict(None if cold_ratio is None else cold_ratio >= 10)],
        [f"cold no slower than DH-exchange CPU + {COLD_ROUND_TRIPS} loopback round trips "
         f"(within {round((FLOOR_SLACK - 1) * 100)} %)",
         f"median {fmt(cold_p50)} ms vs floor {fmt(floor)} ms "
         f"(handshake CPU {fmt((hs_client or 0) / 1e6)} ms client + "
         f"{fmt((hs_server or 0) / 1e6)} ms test DC, round trip {fmt(rt, 3)} ms); "
         f"CPU spent per cold call: {fmt(cold_cpu)} ms, {fmt_ratio(ratio(cold_cpu, floor))} the floor",
         verdict(None if floor is None or cold_p50 is None else cold_p50 <= floor * FLOOR_SLACK)],
        ["warm throughput ≥ 20x Telethon's (peak vs peak)",
         f"{fmt(peak['Rust'])} vs {fmt(peak['Telethon'])} req/s: {fmt_ratio(warm_ratio)}",
         verdict(None if warm_ratio is None else warm_ratio >= 20)],
        ["warm p99 < 5 ms at 100 in flight", f"{fmt(p99_100)} ms",
         verdict(None if p99_100 is None else p99_100 < 5)],
        ["< 64 KiB per idle connected client",
         ", ".join(f"{fmt(s['kib_per_client'], 1)} KiB at {s['clients']:,}" for s in scales) or "n/a",
         verdict(None if max_kib is None else max_kib < 64)],
        ["10,000 clients in one process",
         (f"{s10k['clients'] - s10k['failures']:,} of {s10k['clients']:,} up, "
          f"{s10k['open_fds_after'] - s10k['open_fds_before']:,} sockets open"
          if s10k else "not run"),
         verdict(ok10k)],
    ]
    md.append("## Targets\n")
    md.append(table(["target", "this run", "verdict"], rows, ["l", "l", "l"]))
    md.append("")

    # ---- cold ----------------------------------------------------------------------
    md.append("## Cold: a new client, no session (connect, auth key, auth.sendCode)\n")
    rows = []
    for name, c in [("tgauth (Rust)", cold_rs), ("Telethon", cold_tt)]:
        if not c:
            continue
        lat = c["latency"]
        rows.append([name, c["calls"], fmt(lat["p50_ms"]), fmt(lat["p99_ms"]), fmt(lat["mean_ms"]),
                     fmt(lat["min_ms"]), fmt(c["client_cpu_ms_per_call"]),
                     fmt(c["testdc_cpu_ms_per_call"])])
    if cold_rs and cold_tt:
        rows.append(["**Telethon / tgauth**", "",
                     fmt_ratio(ratio(cold_tt["latency"]["p50_ms"], cold_rs["latency"]["p50_ms"])),
                     fmt_ratio(ratio(cold_tt["latency"]["p99_ms"], cold_rs["latency"]["p99_ms"])),
                     fmt_ratio(ratio(cold_tt["latency"]["mean_ms"], cold_rs["latency"]["mean_ms"])),
                     fmt_ratio(ratio(cold_tt["latency"]["min_ms"], cold_rs["latency"]["min_ms"])),
                     fmt_ratio(ratio(cold_tt["client_cpu_ms_per_call"], cold_rs["client_cpu_ms_per_call"])),
                     fmt_ratio(ratio(cold_tt["testdc_cpu_ms_per_call"], cold_rs["testdc_cpu_ms_per_call"]))])
    md.append(table(["client", "calls", "median ms", "p99 ms", "mean ms", "min ms",
                     "client CPU ms/call", "test DC CPU ms/call"], rows))
    md.append(
        "\nTelethon's `connect()` also sends initConnection(help.getConfig) and a "
        "users.getUsers(self) before `send_code_request`, so its test DC CPU per call is higher; "
        "that is what a Telethon login costs. "
        + (f"Kernel share of the CPU: client {fmt(100 * cold_rs.get('client_sys_share', math.nan), 0)} %, "
           f"test DC {fmt(100 * cold_rs.get('testdc_sys_share', math.nan), 0)} % (tgauth run)." if cold_rs else "")
        + "\n"
    )
    if floor is not None:
        md.append(
            f"The floor for a cold call is the CPU the auth-key exchange costs on both sides "
            f"(criterion `handshake/full_exchange/*`, all threads: "
            f"{fmt(hs_client / 1e6)} ms in the client's state machine, {fmt(hs_server / 1e6)} ms in the "
            f"server's, `g_a` included), plus {COLD_ROUND_TRIPS} loopback round trips ({fmt(rt, 3)} ms each, median "
            f"4-byte TCP ping-pong; a TCP connect plus one round trip takes "
            f"{fmt(rtt['connect_plus_round_trip']['p50_ms'], 3)} ms): **{fmt(floor)} ms**. "
            f"The median cold call is {fmt(cold_p50)} ms, {fmt_ratio(ratio(cold_p50, floor))} the floor.\n"
        )

    # ---- warm ----------------------------------------------------------------------
    md.append("## Warm: one client with a live key, N auth.sendCode in flight\n")
    md.append(
        "A closed loop: N tasks (C: N outstanding callbacks; Python and Telethon: N coroutines) "
        "each send the next request as soon as theirs is answered. Each level runs 0.5 s of "
        "warm-up, then the measured window "
        f"({fmt((warm['Rust'] or {'levels': [{'duration_s': math.nan}]})['levels'][0]['duration_s'], 1)} s). "
        "CPU is per request, over the window.\n"
    )
    def ceiling(api, l):
        """Requests/s the two processes' CPU per request allows on 2 cores; Python clients
        (one interpreter thread) are also held to one core."""
        c, d = l["client_cpu_us_per_req"], l["testdc_cpu_us_per_req"]
        try:
            both = 2e6 / (c + d)
            return min(both, 1e6 / c) if api in ("Python", "Telethon") else both
        except (TypeError, ZeroDivisionError):
            return None

    rows = []
    for n in levels:
        for api in ["Rust", "C ABI", "Python", "Telethon"]:
            l = level(api, n)
            if not l:
                continue
            lat = l["latency"]
            base = level("Telethon", n)
            vs = fmt_ratio(ratio(l["throughput_rps"], base["throughput_rps"])) if base and api != "Telethon" else ""
            rows.append([f"{n:,}", api if api != "Rust" else "tgauth (Rust)", fmt(l["throughput_rps"]),
                         fmt(lat["p50_ms"], 3 if lat["p50_ms"] < 1 else None),
                         fmt(lat["p99_ms"], 3 if lat["p99_ms"] < 1 else None),
                         fmt(l["client_cpu_us_per_req"]), fmt(l["testdc_cpu_us_per_req"]),
                         fmt(ceiling(api, l)), vs, l["errors"]])
    md.append(table(["in flight", "client", "req/s", "p50 ms", "p99 ms", "client CPU µs/req",
                     "test DC CPU µs/req", "CPU ceiling req/s", "throughput vs Telethon", "errors"], rows))
    md.append(
        "\n*CPU ceiling*: the throughput that the measured CPU per request (client + test DC) "
        "would allow if the two processes had both cores to themselves, "
        "2 s / (client + test DC CPU per request); Python and Telethon clients are also held "
        "to one core (one interpreter thread). It does not depend on what else the machine "
        "runs, which the measured req/s does.\n"
    )
    rw = warm.get("Rust")
    if rw and "client_switches_per_req" in rw["levels"][0]:
        rows = [[f"{l['inflight']:,}", fmt(100 * l["client_sys_share"], 0) + " %",
                 fmt(100 * l["testdc_sys_share"], 0) + " %", fmt(l["client_switches_per_req"], 2),
                 fmt(l["testdc_switches_per_req"], 2)] for l in rw["levels"]]
        md.append("Kernel share of the CPU and context switches per request (tgauth, Rust):\n")
        md.append(table(["in flight", "client kernel", "test DC kernel", "client switches/req",
                         "test DC switches/req"], rows))
        md.append("")
    md.append("")
    # FFI cost
    md.append("### FFI cost\n")
    rows = []
    for n in levels:
        r = level("Rust", n)
        if not r:
            continue
        for api in ["C ABI", "Python"]:
            l = level(api, n)
            if not l:
                continue
            rows.append([f"{n:,}", api, fmt_ratio(ratio(l["throughput_rps"], r["throughput_rps"])),
                         fmt((l["latency"]["p50_ms"] - r["latency"]["p50_ms"]) * 1e3, 0),
                         fmt(l["client_cpu_us_per_req"] - r["client_cpu_us_per_req"])])
    md.append(table(["in flight", "through", "throughput vs pure Rust",
                     "extra p50 µs", "extra client CPU µs/req"], rows))
    md.append(
        "\nThe C driver (`tools/bench/ffi_load.c`) issues every call from its main thread and is "
        "woken by each callback (a library thread); Python's `send_code_async` also crosses "
        "ctypes, builds the result objects and hands each answer to the asyncio loop with "
        "call_soon_threadsafe.\n"
    )

    # ---- scale ---------------------------------------------------------------------
    md.append("## Scale: idle connected clients in one process\n")
    rows = []
    for s in scales:
        rows.append([f"{s['clients']:,}", "one saved session" if s.get("reuse_key") else "own key each",
                     s["failures"], fmt(s["bring_up_s"]), fmt(s["bring_up_per_s"]),
                     fmt(s["bring_up_client_cpu_ms_per_client"]), fmt(s["bring_up_testdc_cpu_ms_per_client"]),
                     f"{s['rss_delta_kib'] / 1024:,.1f}", fmt(s["kib_per_client"], 1),
                     f"{s['open_fds_after'] - s['open_fds_before']:,}",
                     fmt(100 * s["idle_client_cpu_util"], 1), fmt(s["testdc_rss_delta_kib"] / s["clients"], 1)])
    md.append(table(["clients", "auth keys", "failed", "bring-up s", "clients/s", "client CPU ms/client",
                     "test DC CPU ms/client", "RSS delta MiB", "KiB/client", "sockets open",
                     "idle client CPU %", "test DC KiB/conn (not counted)"], rows))
    if scales:
        md.append(
            f"\nEach client is a new `Client` (in-memory session, {scales[0]['parallel']} brought up at "
            "a time) that sent one auth.sendCode and keeps its connection. *Own key each*: every "
            "client makes its auth key (a cold bring-up, bound by the handshakes' CPU on both "
            "sides). *One saved session*: every client starts from the Telethon-format session "
            "string of one earlier handshake (`ClientConfig::session_string`), as returning users' "
            "saved sessions would, so bring-up is connect + initConnection + auth.sendCode "
            "(`BENCH_SCALE_COLD=1` makes 10,000 keys instead, which takes minutes on 2 cores). "
            "Memory is VmRSS of the client process after 2 s idle minus VmRSS before the first "
            "client (after one client came and went, so the runtime and the allocator are warm); "
            "the test DC's memory is in its own process and not counted. \"Idle client CPU\" is "
            "the client process's CPU over 3 s with every connection idle, in % of one core.\n"
        )
    for s_ in skipped_scales:
        md.append(f"{s_['clients']:,} clients: skipped ({s_['skipped']}).\n")

    # ---- micro ---------------------------------------------------------------------
    md.append("## Micro-benchmarks (criterion, `benches/micro.rs`)\n")
    rows = []
    for full_id in sorted(crit, key=lambda k: (k.split("/")[0], k)):
        c = crit[full_id]
        tp = ""
        if c["bytes"]:
            tp = f"{c['bytes'] / (c['median_ns'] / 1e9) / 2**20:,.0f} MiB/s"
        rows.append([f"`{full_id}`", fmt_time(c["median_ns"]),
                     f"{fmt_time(c['lo_ns'])} – {fmt_time(c['hi_ns'])}", tp])
    md.append(table(["benchmark", "median", "95 % CI", "throughput"], rows))
    md.append(
        "\nTimes are the benchmark thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other "
        "processes on the shared cores do not inflate them. "
        "The sendCode/sentCode cases are the real messages' sizes (an encrypted sendCode "
        "frame is 136 bytes). `full_exchange/*_side` is the time spent inside each side's "
        "state machine during one complete in-memory auth-key exchange (RSA-2048 key, "
        "Telegram's 2048-bit dh_prime).\n"
    )

    # ---- profile -------------------------------------------------------------------
    P = R / "profile"
    profiler = (P / "profiler.txt").read_text().strip() if (P / "profiler.txt").exists() else None
    if profiler == "none" and not list(P.glob("*.cpu-clock.txt")):
        md.append("## Profiles\n")
        md.append("Skipped: neither a working perf nor valgrind on this machine.\n")
    elif profiler:
        md.append("## Profiles\n")
        instr_name = {"callgrind": "callgrind (instructions executed, user space)",
                      "perf": "perf -e instructions"}.get(profiler)
        md.append(
            "From `tools/bench/profile.sh`: **cold** is new clients one after the other (10 "
            "under callgrind, 30 under perf), **warm** one client with 100 requests in flight "
            "(the handshake left out of the callgrind profile: instrumentation starts once the "
            "key exists). Client (benches/load.rs) and test DC are profiled at the same time, "
            "each in its own process. "
            + ("`perf stat -e instructions true` says `<not supported>` here (a VM without a "
               "PMU), so instructions are counted with callgrind; " if profiler == "callgrind" else "")
            + "time is sampled natively with `perf record -e cpu-clock` (a software timer), "
            "kernel included. Valgrind's CPU has no SHA extensions, so SHA-256 costs more "
            "instructions under callgrind than it costs time natively (SHA-NI): read the time "
            "columns for where the time goes.\n"
        )
        for case in ["cold", "warm"]:
            cols, tops = [], []
            for side, label in [("client", "client"), ("testdc", "test DC")]:
                for kind, suffix in [("instr.", profiler), ("time", "cpu-clock")]:
                    rows_, total = read_profile(P / f"{case}.{side}.{suffix}.txt")
                    if rows_:
                        cols.append((f"{label} {kind}", categorise(rows_)))
                        tops.append((f"{label}, {'instructions (' + profiler + ')' if kind == 'instr.' else 'time (perf cpu-clock)'}",
                                     rows_, total))
            if not cols:
                continue
            md.append(f"### {case.capitalize()} path\n")
            md.append("Where the time goes, by kind of function (share of each process's profile):\n")
            kinds = [k for k, _ in CATEGORIES] + ["other"]
            trows = []
            for k in kinds:
                vals = [c[1].get(k, 0.0) for c in cols]
                if max(vals) < 0.5:
                    continue
                trows.append([k] + [f"{v:.1f} %" for v in vals])
            md.append(table(["kind"] + [c[0] for c in cols], trows))
            md.append("")
            for title, rows_, total in tops:
                md.append(f"<details><summary>Top functions: {title}"
                          + (f", {total:,} instructions" if total else "") + "</summary>\n")
                md.append(table(["share", "function"],
                                [[f"{sh:.1f} %", f"`{shorten(fn)}`"] for sh, fn in rows_[:15]], ["r", "l"]))
                md.append("\n</details>\n")
        # syscalls
        srows = []
        sjson = load(P / "strace.client.json")
        reqs = None
        if sjson:
            reqs = sum(l.get("completed_including_warmup", l["completed"]) for l in sjson["levels"]) + 1
        for side, label in [("client", "client"), ("testdc", "test DC")]:
            total, top = read_strace(P / f"warm.{side}.strace.txt")
            if total is None:
                continue
            per = f"{total / reqs:.2f}" if reqs else "n/a"
            srows.append([label, f"{total:,}", per,
                          ", ".join(f"{name} {calls / reqs:.2f}" if reqs else name for calls, name in top)])
        if srows:
            md.append("### System calls on the warm path (100 in flight, `strace -c -f`)\n")
            md.append(table(["process", "calls", "per request", "top calls per request"], srows,
                            ["l", "r", "r", "l"]))
            md.append(f"\n({reqs:,} requests answered during the traced run; strace slows the run, "
                      "so only the counts matter.)\n" if reqs else "")

    # ---- findings ------------------------------------------------------------------
    if args.findings and Path(args.findings).exists():
        md.append(Path(args.findings).read_text().rstrip() + "\n")

    md.append("## Reproducing\n")
    md.append(
        "```sh\n" + args.command + "\n```\n\n"
        "`BENCH_QUICK=1 tools/bench/run.sh` is a shorter smoke run (about 3 minutes after the builds) (fewer calls, 1,000 "
        "clients, short micro-benchmarks); `BENCH_PROFILE=0` skips the profiles. Raw results: "
        "`target/bench/results/*.json`, criterion's in `target/criterion`, profiles in "
        "`target/bench/results/profile` (`callgrind_annotate` reads them).\n"
    )
    Path(args.out).write_text("\n".join(md))


if __name__ == "__main__":
    main()
