"""send_code_async under load: answers reach the right future, on the right loop, in batches,
also while loops close, with several loops at once."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
import time
import weakref
from typing import Any, Callable, Dict, List

import pytest

import tgauth

from .conftest import SilentServer


def _assert_own_answers(dc: tgauth.TestDC, numbers: List[str], results: List[Any]) -> None:
    """Every number got the answer of its own request: the phone_code_hash the DC keeps for it."""
    assert len(results) == len(numbers)
    for number, sent in zip(numbers, results):
        assert isinstance(sent, tgauth.SentCode), sent
        assert sent.phone_code_hash == dc.codes(number)[-1]["phone_code_hash"]


def test_many_concurrent_requests_each_get_their_own_answer(
    dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]
) -> None:
    numbers = [phone("999661") for _ in range(300)]

    async def main() -> List[Any]:
        return await asyncio.gather(*(client.send_code_async(n, dc.api_id, dc.api_hash) for n in numbers))

    _assert_own_answers(dc, numbers, asyncio.run(main()))


def test_answers_arriving_while_the_loop_is_busy_share_one_wakeup(
    dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]
) -> None:
    numbers = [phone("999661") for _ in range(50)]
    loop = asyncio.new_event_loop()
    wakeups = 0
    call_soon_threadsafe = loop.call_soon_threadsafe

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal wakeups
        wakeups += 1
        return call_soon_threadsafe(*args, **kwargs)

    loop.call_soon_threadsafe = counting  # type: ignore[method-assign, assignment]

    async def main() -> List[Any]:
        tasks = [asyncio.ensure_future(client.send_code_async(n, dc.api_id, dc.api_hash)) for n in numbers]
        await asyncio.sleep(0)  # every request is sent
        # Keep the loop busy until every answer is in: they queue up meanwhile.
        deadline = time.monotonic() + 10
        while sum(len(dc.codes(n)) for n in numbers) < len(numbers) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # the last callbacks return
        return await asyncio.gather(*tasks)

    try:
        results = loop.run_until_complete(main())
    finally:
        loop.close()
    _assert_own_answers(dc, numbers, results)
    assert wakeups == 1


def test_cancelled_requests_among_many(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    numbers = [phone("999661") for _ in range(100)]

    async def main() -> List[Any]:
        tasks = [asyncio.ensure_future(client.send_code_async(n, dc.api_id, dc.api_hash)) for n in numbers]
        await asyncio.sleep(0)
        for task in tasks[::2]:
            task.cancel()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    for i, result in enumerate(results):
        if i % 2:
            assert isinstance(result, tgauth.SentCode)
            assert result.phone_code_hash == dc.codes(numbers[i])[-1]["phone_code_hash"]
        else:
            assert isinstance(result, asyncio.CancelledError)
    # The autouse fixture checks that every cancelled request still called back.


def test_two_event_loops_in_two_threads_at_once(
    dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]
) -> None:
    per_thread = 150
    numbers = {name: [phone("999662") for _ in range(per_thread)] for name in ("a", "b")}
    results: Dict[str, Any] = {}
    started = threading.Barrier(2)

    def run(name: str) -> None:
        async def main() -> List[Any]:
            started.wait(10)
            loop = asyncio.get_running_loop()
            answers = []
            # Several rounds, so that both loops have requests in flight at the same time.
            for chunk in range(0, per_thread, 50):
                answers += await asyncio.gather(
                    *(client.send_code_async(n, dc.api_id, dc.api_hash) for n in numbers[name][chunk : chunk + 50])
                )
                assert asyncio.get_running_loop() is loop
            return answers

        try:
            results[name] = asyncio.run(main())
        except BaseException as e:  # noqa: BLE001
            results[name] = e

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        assert not t.is_alive()
    for name in ("a", "b"):
        _assert_own_answers(dc, numbers[name], results[name])


def test_answers_arriving_after_the_loop_closed(
    dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    from tgauth import client as client_module

    caplog.set_level(logging.ERROR, logger="tgauth")
    loop = asyncio.new_event_loop()
    coros = [client.send_code_async(phone("999661"), dc.api_id, dc.api_hash) for _ in range(50)]
    tasks = [loop.create_task(c) for c in coros]
    loop.run_until_complete(asyncio.sleep(0))  # the requests are sent
    loop.close()  # before their answers: these find the loop closed
    deadline = time.monotonic() + 10
    while client_module._requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not client_module._requests
    assert not [r for r in caplog.records if r.name == "tgauth"]
    # Nothing the binding keeps holds on to the closed loop.
    loop_ref = weakref.ref(loop)
    for c in coros:
        c.close()
    del loop, tasks, coros
    gc.collect()
    assert loop_ref() is None
    # The client is unaffected.
    assert isinstance(client.send_code(phone("999661"), dc.api_id, dc.api_hash), tgauth.SentCode)


def test_answers_arriving_while_asyncio_run_shuts_down(
    dc: tgauth.TestDC,
    client: tgauth.Client,
    silent_client: tgauth.Client,
    phone: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="tgauth")

    async def main() -> None:
        # Left running when main returns: asyncio.run cancels them while it closes the loop,
        # and the answers (results or cancellations) come in meanwhile and after.
        for _ in range(50):
            asyncio.ensure_future(client.send_code_async(phone("999661"), dc.api_id, dc.api_hash))
            asyncio.ensure_future(silent_client.send_code_async(phone("999661"), dc.api_id, dc.api_hash))
        await asyncio.sleep(0)

    for _ in range(5):
        asyncio.run(main())
    silent_client.close()
    assert not [r for r in caplog.records if r.name == "tgauth"]
    # The autouse fixture checks that every request called back.


def test_silent_requests_cancelled_in_bulk(
    dc: tgauth.TestDC, silent_server: SilentServer, phone: Callable[[str], str]
) -> None:
    dcs = [{"id": 1, "host": "127.0.0.1", "port": silent_server.port}]
    with tgauth.Client(dcs=dcs, rsa_keys=[dc.rsa_public_key], timeout=30) as silent:

        async def main() -> List[Any]:
            tasks = [
                asyncio.ensure_future(silent.send_code_async(phone("999661"), dc.api_id, dc.api_hash))
                for _ in range(200)
            ]
            await asyncio.sleep(0.2)
            assert not any(t.done() for t in tasks)
            silent.close()  # cancels them all: 200 answers arrive together
            return await asyncio.gather(*tasks, return_exceptions=True)

        results = asyncio.run(main())
    assert all(isinstance(r, tgauth.CancelledError) for r in results), results


@pytest.mark.skipif(not hasattr(sys, "_current_frames"), reason="needs sys._current_frames")
def test_library_threads_do_not_pile_up_thread_states(
    dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]
) -> None:
    async def burst() -> None:
        await asyncio.gather(*(client.send_code_async(phone("999661"), dc.api_id, dc.api_hash) for _ in range(100)))

    asyncio.run(burst())
    states = len(sys._current_frames())
    for _ in range(3):
        asyncio.run(burst())
    # One Python thread state per library thread at most, kept from one answer to the next
    # (the slack: a log line from some library thread may hold a state for a moment).
    assert len(sys._current_frames()) <= states + 2
