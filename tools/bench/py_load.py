#!/usr/bin/env python3
"""The Python package's side of `make bench`: the warm run of benches/load.rs through
`tgauth.Client.send_code_async` (ctypes over the C ABI, answers handed to the asyncio loop
with call_soon_threadsafe).

    py_load.py --ready READY.json --pid TESTDC_PID --levels 1,100,1000 --duration 4 --out OUT.json

It imports the `tgauth` package found on sys.path (the installed one, or
bindings/python/src with PYTHONPATH) and loads the library `TGAUTH_LIBRARY` names, if set.
"""

import argparse
import asyncio
import itertools
import json
import math
import os
import resource
import sys
import time

import tgauth

_phones = itertools.count()


def phone():
    return f"+999662{next(_phones) % 10000:04d}"


def cpu_self():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def cpu_pid(pid):
    if not pid:
        return math.nan
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return math.nan
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(lat):
    if not lat:
        return {"n": 0}
    lat = sorted(lat)

    def q(p):
        rank = min(max(math.ceil(p * len(lat)), 1), len(lat))
        return lat[rank - 1] * 1e3

    return {
        "n": len(lat),
        "min_ms": lat[0] * 1e3,
        "p50_ms": q(0.50),
        "p90_ms": q(0.90),
        "p99_ms": q(0.99),
        "max_ms": lat[-1] * 1e3,
        "mean_ms": sum(lat) / len(lat) * 1e3,
    }


async def warm_level(client, info, inflight, duration, pid):
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    window = (start + 0.5, start + 0.5 + duration)
    stop = False
    errors = 0
    lat = []

    async def worker():
        nonlocal errors
        while not stop:
            t0 = time.perf_counter()
            try:
                await client.send_code_async(phone(), info["api_id"], info["api_hash"])
            except tgauth.Error as e:
                errors += 1
                if errors <= 3:
                    print(f"py_load: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            t1 = time.perf_counter()
            if window[0] <= t1 <= window[1]:
                lat.append(t1 - t0)

    tasks = [loop.create_task(worker()) for _ in range(inflight)]
    await asyncio.sleep(max(0.0, window[0] - time.perf_counter()))
    c0, s0 = cpu_self(), cpu_pid(pid)
    await asyncio.sleep(max(0.0, window[1] - time.perf_counter()))
    c1, s1 = cpu_self(), cpu_pid(pid)
    stop = True
    await asyncio.gather(*tasks)
    done = len(lat) or math.nan
    return {
        "inflight": inflight,
        "duration_s": duration,
        "completed": len(lat),
        "errors": errors,
        "throughput_rps": len(lat) / duration,
        "latency": summary(lat),
        "client_cpu_us_per_req": (c1 - c0) / done * 1e6,
        "testdc_cpu_us_per_req": (s1 - s0) / done * 1e6,
        "client_cpu_util": (c1 - c0) / duration,
        "testdc_cpu_util": (s1 - s0) / duration,
    }


async def run(args):
    with open(args.ready) as f:
        info = json.loads(f.readline())
    dc2 = next(d for d in info["dcs"] if d["id"] == 2)
    client = tgauth.Client(
        dcs=[{"id": 2, "host": dc2["host"], "port": dc2["port"]}],
        rsa_keys=[info["rsa_public_key"]],
        timeout=30,
    )
    with client:
        # The first call makes the key and sends initConnection: not measured.
        await client.send_code_async(phone(), info["api_id"], info["api_hash"])
        levels = []
        for n in args.levels:
            level = await warm_level(client, info, n, args.duration, args.pid)
            print(f"py_load: warm {n} in flight: {json.dumps(level)}", file=sys.stderr)
            levels.append(level)
    return {
        "mode": "warm",
        "api": "python",
        "transport": "intermediate",
        "levels": levels,
        "library": str(tgauth.library_path()),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ready", required=True)
    p.add_argument("--pid", type=int)
    p.add_argument("--out")
    p.add_argument("--levels", default="1,100,1000")
    p.add_argument("--duration", type=float, default=4.0)
    args = p.parse_args()
    args.levels = [int(x) for x in args.levels.split(",")]
    text = json.dumps(asyncio.run(run(args)))
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(f"py_load: {text}", file=sys.stderr)


if __name__ == "__main__":
    main()
