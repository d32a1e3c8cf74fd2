#!/usr/bin/env python3
"""Telethon's side of `make bench`: the same cold and warm runs as benches/load.rs, against
the same tgauth-testdc process, through Telethon's public API only.

    telethon_load.py cold --ready READY.json --pid TESTDC_PID --calls 50 --out OUT.json
    telethon_load.py warm --ready READY.json --pid TESTDC_PID --levels 1,100,1000 \
                          --duration 4 --out OUT.json

cold: a new TelegramClient with an empty StringSession pointed at DC 2
      (`client.session.set_dc`), `connect()` (which makes the auth key and, as Telethon
      always does, sends initConnection(help.getConfig) and a users.getUsers(self)), then
      `send_code_request`; the client is disconnected after each call (not timed, but its
      CPU is counted).
warm: one connected client; N coroutines each awaiting `client(SendCodeRequest(...))` in a
      closed loop (N requests in flight, like asyncio.gather of N calls).

Both use the intermediate transport, as the tgauth client does by default. CPU: this
process's getrusage; the test DC's utime + stime from /proc/PID/stat.
"""

import argparse
import asyncio
import itertools
import json
import logging
import math
import os
import resource
import sys
import time

from telethon import TelegramClient
from telethon.crypto import rsa as telethon_rsa
from telethon.network import ConnectionTcpIntermediate
from telethon.sessions import StringSession
from telethon.tl import functions, types

_phones = itertools.count()


def phone():
    """The next +999662xxxx number: homed on DC 2, so no migration."""
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
    """Latencies in seconds, reported in milliseconds (nearest-rank percentiles)."""
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


class Dc:
    def __init__(self, path):
        with open(path) as f:
            info = json.loads(f.readline())
        dc2 = next(d for d in info["dcs"] if d["id"] == 2)
        self.host, self.port = dc2["host"], dc2["port"]
        self.api_id, self.api_hash = info["api_id"], info["api_hash"]
        # The key exactly as Telethon takes one it was not shipped with (RSA_PAD scheme).
        telethon_rsa.add_key(info["rsa_public_key"], old=False)

    def client(self):
        client = TelegramClient(
            StringSession(),
            self.api_id,
            self.api_hash,
            connection=ConnectionTcpIntermediate,
            timeout=30,
            flood_sleep_threshold=0,
        )
        client.session.set_dc(2, self.host, self.port)
        return client


async def cold_call(dc):
    t0 = time.perf_counter()
    client = dc.client()
    await client.connect()
    sent = await client.send_code_request(phone())
    elapsed = time.perf_counter() - t0
    assert sent.phone_code_hash
    await client.disconnect()
    return elapsed


async def cold(args, dc):
    for _ in range(args.warmup):
        await cold_call(dc)
    c0, s0, t0 = cpu_self(), cpu_pid(args.pid), time.perf_counter()
    lat = [await cold_call(dc) for _ in range(args.calls)]
    wall = time.perf_counter() - t0
    c1, s1 = cpu_self(), cpu_pid(args.pid)
    return {
        "mode": "cold",
        "transport": "intermediate",
        "calls": args.calls,
        "wall_s": wall,
        "latency": summary(lat),
        "client_cpu_ms_per_call": (c1 - c0) / args.calls * 1e3,
        "testdc_cpu_ms_per_call": (s1 - s0) / args.calls * 1e3,
    }


def send_code_request(dc):
    return functions.auth.SendCodeRequest(phone(), dc.api_id, dc.api_hash, types.CodeSettings())


async def warm_level(client, dc, inflight, duration, pid):
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
                await client(send_code_request(dc))
            except Exception as e:  # noqa: BLE001 - counted, the run goes on
                errors += 1
                if errors <= 3:
                    print(f"telethon: warm: {type(e).__name__}: {e}", file=sys.stderr)
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


async def warm(args, dc):
    client = dc.client()
    await client.connect()
    await client(send_code_request(dc))  # the first call on the key: not measured
    levels = []
    for n in args.levels:
        level = await warm_level(client, dc, n, args.duration, args.pid)
        print(f"telethon: warm {n} in flight: {json.dumps(level)}", file=sys.stderr)
        levels.append(level)
    await client.disconnect()
    return {"mode": "warm", "transport": "intermediate", "levels": levels}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["cold", "warm"])
    p.add_argument("--ready", required=True)
    p.add_argument("--pid", type=int)
    p.add_argument("--out")
    p.add_argument("--calls", type=int, default=50)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--levels", default="1,100,1000")
    p.add_argument("--duration", type=float, default=4.0)
    args = p.parse_args()
    args.levels = [int(x) for x in args.levels.split(",")]
    logging.basicConfig(level=logging.CRITICAL)
    dc = Dc(args.ready)
    result = asyncio.run(cold(args, dc) if args.mode == "cold" else warm(args, dc))
    try:
        import cryptg  # noqa: F401

        result["cryptg"] = True
    except ImportError:
        result["cryptg"] = False
    result["telethon_version"] = __import__("telethon").__version__
    text = json.dumps(result)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(f"telethon: {text}", file=sys.stderr)


if __name__ == "__main__":
    main()
