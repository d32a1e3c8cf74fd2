"""Timeouts, cancellation, closing, concurrency, sessions, arguments and interpreter exit."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

import tgauth

from .conftest import SilentServer


def test_timeout(dc: tgauth.TestDC, silent_server: SilentServer, phone: Callable[[str], str]) -> None:
    dcs = [{"id": 1, "host": "127.0.0.1", "port": silent_server.port}]
    with tgauth.Client(dcs=dcs, rsa_keys=[dc.rsa_public_key], timeout=0.5) as client:
        start = time.monotonic()
        with pytest.raises(tgauth.TimeoutError) as info:
            client.send_code(phone("999661"), dc.api_id, dc.api_hash)
        elapsed = time.monotonic() - start
    assert isinstance(info.value, TimeoutError)  # also the builtin
    assert 0.4 <= elapsed < 5


def test_connection_refused_is_a_network_error(dc: tgauth.TestDC, phone: Callable[[str], str]) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dcs = [{"id": 1, "host": "127.0.0.1", "port": port}]
    with tgauth.Client(dcs=dcs, rsa_keys=[dc.rsa_public_key], timeout=5) as client:
        with pytest.raises(tgauth.NetworkError) as info:
            client.send_code(phone("999661"), dc.api_id, dc.api_hash)
    assert isinstance(info.value, ConnectionError)


def test_wrong_rsa_key_is_a_security_error(phone: Callable[[str], str]) -> None:
    with tgauth.TestDC(dcs=1) as a, tgauth.TestDC(dcs=1) as b:
        # Talk to a with only b's key: the handshake cannot pass.
        with tgauth.Client(dcs=a.dcs, rsa_keys=[b.rsa_public_key], timeout=5) as client:
            with pytest.raises(tgauth.SecurityError):
                client.send_code(phone("999661"), a.api_id, a.api_hash)


def test_cancelling_the_task_cancels_the_request(
    dc: tgauth.TestDC, silent_client: tgauth.Client, client: tgauth.Client, phone: Callable[[str], str]
) -> None:
    async def main() -> None:
        task = asyncio.ensure_future(silent_client.send_code_async(phone("999661"), dc.api_id, dc.api_hash))
        await asyncio.sleep(0.3)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Cancelled right after the start, too (the library may be anywhere in the request).
        quick = asyncio.ensure_future(client.send_code_async(phone("999661"), dc.api_id, dc.api_hash))
        await asyncio.sleep(0)
        quick.cancel()
        with pytest.raises(asyncio.CancelledError):
            await quick
        # The clients still work afterwards.
        sent = await client.send_code_async(phone("999661"), dc.api_id, dc.api_hash)
        assert isinstance(sent, tgauth.SentCode)
        await asyncio.sleep(0.2)  # any late callback arrives while the loop runs

    asyncio.run(main())
    silent_client.close()  # no late callback may crash after this


def test_callback_after_the_loop_closed_is_harmless(
    dc: tgauth.TestDC, silent_client: tgauth.Client, client: tgauth.Client, phone: Callable[[str], str]
) -> None:
    loop = asyncio.new_event_loop()
    coro = silent_client.send_code_async(phone("999661"), dc.api_id, dc.api_hash)
    task = loop.create_task(coro)
    loop.run_until_complete(asyncio.sleep(0.2))
    assert not task.done()
    loop.close()  # the task never finishes; its loop is gone
    silent_client.close()  # the cancellation callback finds a closed loop
    assert isinstance(client.send_code(phone("999661"), dc.api_id, dc.api_hash), tgauth.SentCode)
    coro.close()


def test_close_with_requests_in_flight_cancels_them(
    dc: tgauth.TestDC, silent_client: tgauth.Client, phone: Callable[[str], str]
) -> None:
    sync_errors: List[BaseException] = []

    def blocking_request() -> None:
        try:
            silent_client.send_code(phone("999661"), dc.api_id, dc.api_hash)
        except BaseException as e:  # noqa: BLE001
            sync_errors.append(e)

    threads = [threading.Thread(target=blocking_request) for _ in range(3)]
    for t in threads:
        t.start()

    async def main() -> List[Any]:
        tasks = [
            asyncio.ensure_future(silent_client.send_code_async(phone("999661"), dc.api_id, dc.api_hash))
            for _ in range(20)
        ]
        await asyncio.sleep(0.3)
        assert not any(t.done() for t in tasks)
        silent_client.close()  # from the loop's thread: returns once every callback returned
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    for t in threads:
        t.join(10)
        assert not t.is_alive()
    assert len(results) == 20 and all(isinstance(r, tgauth.CancelledError) for r in results), results
    assert len(sync_errors) == 3 and all(isinstance(e, tgauth.CancelledError) for e in sync_errors), sync_errors
    with pytest.raises(ValueError, match="closed"):
        silent_client.send_code(phone("999661"), dc.api_id, dc.api_hash)


def test_500_concurrent_requests_on_one_client(phone: Callable[[str], str]) -> None:
    with tgauth.TestDC(code_limit=0) as dc, tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], timeout=60) as client:
        numbers = [f"+99966{1 + i % 3}{i:04d}" for i in range(500)]

        async def main() -> List[tgauth.SentCodeResult]:
            return await asyncio.gather(*(client.send_code_async(n, dc.api_id, dc.api_hash) for n in numbers))

        start = time.monotonic()
        results = asyncio.run(main())
        elapsed = time.monotonic() - start
        assert all(isinstance(r, tgauth.SentCode) for r in results)
        hashes = {r.phone_code_hash for r in results if isinstance(r, tgauth.SentCode)}
        assert len(hashes) == 500
        assert dc.codes(numbers[499])[0]["code"] == str(1 + 499 % 3) * 5
        assert elapsed < 60


def test_concurrent_sync_requests_from_threads(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    numbers = [phone("999662") for _ in range(16)]
    results: List[Any] = [None] * len(numbers)

    def run(i: int) -> None:
        results[i] = client.send_code(numbers[i], dc.api_id, dc.api_hash)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(numbers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(isinstance(r, tgauth.SentCode) for r in results)


def _auth_keys(session: Path) -> Dict[int, str]:
    # The session file is a small JSON document (src/client/session.rs).
    data = json.loads(session.read_text())
    return {dc["id"]: dc["auth_key"] for dc in data["dcs"] if dc.get("auth_key")}


def test_session_file_is_reused(dc: tgauth.TestDC, tmp_path: Path, phone: Callable[[str], str]) -> None:
    session = tmp_path / "login.session"
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], session=session) as first:
        # Home DC 1, the number on DC 2: the session ends up with a key on DC 2, its new home.
        assert isinstance(first.send_code(phone("999662"), dc.api_id, dc.api_hash), tgauth.SentCode)
    assert session.is_file()
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    keys = _auth_keys(session)
    assert 2 in keys
    assert json.loads(session.read_text())["home_dc"] == 2

    created = dc.stats()["auth_keys_created"]
    with _open_when_free(dc, session) as second:
        assert isinstance(second.send_code(phone("999662"), dc.api_id, dc.api_hash), tgauth.SentCode)
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    # The second client used the saved key, straight on its home DC 2: no new key was made.
    assert _auth_keys(session)[2] == keys[2]
    assert dc.stats()["auth_keys_created"] == created


def _open_when_free(dc: tgauth.TestDC, session: Path) -> tgauth.Client:
    # close() releases the session lock before it returns: no waiting needed.
    return tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], session=str(session))


def test_session_is_free_once_the_client_is_closed(
    dc: tgauth.TestDC, tmp_path: Path, phone: Callable[[str], str]
) -> None:
    session = tmp_path / "reopen.session"
    for _ in range(3):
        with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], session=session) as client:
            assert isinstance(client.send_code(phone("999661"), dc.api_id, dc.api_hash), tgauth.SentCode)


def test_session_in_use_is_a_session_error(dc: tgauth.TestDC, tmp_path: Path) -> None:
    session = tmp_path / "busy.session"
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], session=session):
        with pytest.raises(tgauth.SessionError):
            tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], session=session)
    # Free again once the first client is closed.
    tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], session=session).close()


def test_corrupt_session_file_is_a_session_error(dc: tgauth.TestDC, tmp_path: Path, phone: Callable[[str], str]) -> None:
    session = tmp_path / "corrupt.session"
    session.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(tgauth.SessionError):
        with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], session=session) as client:
            client.send_code(phone("999661"), dc.api_id, dc.api_hash)


@pytest.mark.parametrize(
    "args, error",
    [
        ((12345, 1, "h"), TypeError),
        ((b"+9996612345", 1, "h"), TypeError),
        (("+99966\x0012345", 1, "h"), ValueError),
        (("+" + "1" * 70000, 1, "h"), ValueError),
        (("+9996612345", 0, "h"), ValueError),
        (("+9996612345", -5, "h"), ValueError),
        (("+9996612345", 2**31, "h"), ValueError),
        (("+9996612345", "1", "h"), TypeError),
        (("+9996612345", True, "h"), TypeError),
        (("+9996612345", 1.0, "h"), TypeError),
        (("+9996612345", 1, None), ValueError),  # half an app
        (("+9996612345", None, "h"), ValueError),  # half an app
        (("+9996612345",), ValueError),  # no app: none in the client either
        (("+9996612345", 1, "h\x00"), ValueError),
        (("+9996612345", 1, "h" * 65537), ValueError),
        (("+9996612345", 1, "h", {"allow_app_hash": True}), TypeError),
        (("+9996612345", 1, "h", tgauth.CodeSettings(logout_tokens=["text"])), TypeError),  # type: ignore[list-item]
        (("+9996612345", 1, "h", tgauth.CodeSettings(token="a\x00b", app_sandbox=True)), ValueError),
        (("+9996612345", 1, "h", tgauth.CodeSettings(token="push-token")), ValueError),
        (("+9996612345", 1, "h", tgauth.CodeSettings(app_sandbox=False)), ValueError),
        (("+9996612345", 1, "h", tgauth.CodeSettings(logout_tokens=[b"t"] * 65)), ValueError),
        (("+9996612345", 1, "h", tgauth.CodeSettings(logout_tokens=[b"t" * 1025])), ValueError),
        (("+9996612345", 1, "", None), ValueError),
        (("", 1, "h"), ValueError),
        (("+" + "1" * 100, 1, "h"), ValueError),
        (("+9996612345", 1, "h", tgauth.CodeSettings(allow_app_hash=1)), TypeError),  # type: ignore[arg-type]
        (("+99966\ud80012345", 1, "h"), ValueError),
        (("+9996612345", 1, "h\udc80"), ValueError),
        (("+9996612345", 1, b"h"), TypeError),
        (("+9996612345", 1, "h" * 300), ValueError),
    ],
)
def test_bad_send_code_arguments(client: tgauth.Client, args: tuple, error: type) -> None:
    with pytest.raises(error):
        client.send_code(*args)

    async def main() -> None:
        with pytest.raises(error):
            await client.send_code_async(*args)

    asyncio.run(main())


def test_arguments_are_checked_on_every_call(
    dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]
) -> None:
    # A good call first: what the client remembers of it must not let bad arguments through.
    assert isinstance(client.send_code(phone("999661"), dc.api_id, dc.api_hash), tgauth.SentCode)
    # None: half an app (api_id without api_hash) is refused, not taken for the client's.
    bad_hashes: List[Any] = [None, dc.api_hash + "\x00", dc.api_hash + "\ud800", b"hash"]
    for bad_hash, error in zip(bad_hashes, [ValueError, ValueError, ValueError, TypeError]):
        with pytest.raises(error):
            client.send_code(phone("999661"), dc.api_id, bad_hash)
    bad_ids: List[Any] = [str(dc.api_id), float(dc.api_id), True, -dc.api_id]
    for bad_id, error in zip(bad_ids, [TypeError, TypeError, TypeError, ValueError]):
        with pytest.raises(error):
            client.send_code(phone("999661"), bad_id, dc.api_hash)

    class Hash(str):
        pass

    class ApiId(int):
        pass

    # Subclasses of str and int are accepted as before.
    sent = client.send_code(phone("999661"), ApiId(dc.api_id), Hash(dc.api_hash))
    assert isinstance(sent, tgauth.SentCode)
    # Many different hashes: each is checked (the wrong ones by the test DC).
    for i in range(20):
        with pytest.raises(tgauth.RpcError):
            client.send_code(phone("999661"), dc.api_id, f"{i:032x}")
    assert isinstance(client.send_code(phone("999661"), dc.api_id, dc.api_hash), tgauth.SentCode)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"dcs": {"id": 1, "host": "h", "port": 1}}, TypeError),
        ({"dcs": [("1", "h", 1)]}, TypeError),
        ({"dcs": [{"id": 1, "host": "h"}]}, ValueError),
        ({"dcs": [{"id": 0, "host": "h", "port": 1}]}, ValueError),
        ({"dcs": [{"id": 1, "host": "h", "port": 70000}]}, ValueError),
        ({"dcs": [{"id": 1, "host": "h\x00", "port": 1}]}, ValueError),
        ({"rsa_keys": "-----BEGIN RSA PUBLIC KEY-----"}, TypeError),
        ({"rsa_keys": [b"key"]}, TypeError),
        ({"session": 5}, TypeError),
        ({"session": "a\x00b"}, ValueError),
        ({"timeout": 0}, ValueError),
        ({"timeout": -1.0}, ValueError),
        ({"timeout": float("nan")}, ValueError),
        ({"timeout": "10"}, TypeError),
        ({"flood_sleep_threshold": -1}, ValueError),
        ({"device_model": 5}, TypeError),
        ({"lang_code": "e\x00n"}, ValueError),
        ({"test_servers": "yes"}, TypeError),
    ],
)
def test_bad_client_arguments(kwargs: dict, error: type) -> None:
    with pytest.raises(error):
        tgauth.Client(**kwargs)


def test_client_construction_without_network() -> None:
    # Production and Telegram's test servers: making a client connects nowhere yet.
    with tgauth.Client() as production, tgauth.Client(test_servers=True) as test:
        assert not production.closed and not test.closed
    custom = tgauth.Client(
        dcs=[{"id": 2, "host": "127.0.0.1", "port": 1}],
        device_model="pytest",
        system_version="1",
        app_version="2",
        system_lang_code="en-US",
        lang_pack="",
        lang_code="en",
    )
    custom.close()
    custom.close()  # idempotent
    assert custom.closed
    with pytest.raises(ValueError, match="closed"):
        custom.send_code("+9996612345", 1, "h")


def test_testdc_describes_itself(dc: tgauth.TestDC) -> None:
    assert [d["id"] for d in dc.dcs] == [1, 2, 3]
    for d in dc.dcs:
        assert d["host"] == "127.0.0.1" and isinstance(d["port"], int) and d["port"] > 0
    assert len({d["port"] for d in dc.dcs}) == 3
    assert dc.rsa_public_key.startswith("-----BEGIN RSA PUBLIC KEY-----")
    assert dc.rsa_public_key.rstrip().endswith("-----END RSA PUBLIC KEY-----")
    assert isinstance(dc.fingerprint, int) and -(2**63) <= dc.fingerprint < 2**63
    assert isinstance(dc.api_id, int) and dc.api_id > 0
    assert len(dc.api_hash) == 32
    assert dc.codes("+9990000000") == []
    assert set(dc.stats()) >= {"auth_keys_created", "connections", "send_code_calls"}
    dc.dcs[0]["id"] = 99  # a copy: the DC's own description is unchanged
    assert dc.dcs[0]["id"] == 1


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"dcs": 0}, ValueError),
        ({"dcs": "3"}, TypeError),
        ({"code_limit": -1}, ValueError),
        ({"apps": [(1,)]}, TypeError),
        ({"apps": (1, "hash")}, TypeError),
        ({"apps": [(0, "hash")]}, ValueError),
        ({"published_apps": [{"id": 5, "hash": 7}]}, TypeError),
        ({"key_pem": b"pem"}, TypeError),
        ({"faults": {"drop": 2.0}}, ValueError),
        ({"faults": {"drop": "often"}}, TypeError),
        ({"faults": 0.5}, TypeError),
        ({"faults": "no-such-fault=0.5"}, ValueError),
        ({"key_pem": "not a key"}, ValueError),
    ],
)
def test_bad_testdc_arguments(kwargs: dict, error: type) -> None:
    with pytest.raises(error):
        tgauth.TestDC(**kwargs)


def test_testdc_options(phone: Callable[[str], str]) -> None:
    with tgauth.TestDC(dcs=1, faults={"gzip": 0.5, "container": 0.5}) as dc:
        assert [d["id"] for d in dc.dcs] == [1]
        with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key]) as client:
            # Any other number is homed on DC 1 when there is one DC.
            assert isinstance(client.send_code(phone("1555"), dc.api_id, dc.api_hash), tgauth.SentCode)


def test_testdc_stop_is_idempotent() -> None:
    test_dc = tgauth.TestDC(dcs=1)
    assert not test_dc.closed
    test_dc.stop()
    test_dc.close()
    assert test_dc.closed
    with pytest.raises(ValueError, match="closed"):
        test_dc.codes("+9996612345")


def test_library_is_found() -> None:
    assert tgauth.library_path().is_file()
    assert tgauth.library_version()


EXIT_SCRIPT = textwrap.dedent(
    """
    import asyncio, logging, socket, sys, threading
    import tgauth

    logging.basicConfig(level=logging.DEBUG if sys.argv[1] == "debug" else logging.WARNING)
    dc = tgauth.TestDC()
    client = tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key])
    sent = client.send_code("+9996621234", dc.api_id, dc.api_hash)
    assert sent.type.kind == "app"

    # Requests left in flight at exit: a silent server that never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    stuck = tgauth.Client(dcs=[{"id": 1, "host": "127.0.0.1", "port": silent.getsockname()[1]}],
                          rsa_keys=[dc.rsa_public_key], timeout=60)

    def stuck_request():
        try:
            stuck.send_code("+9996611111", dc.api_id, dc.api_hash)
        except tgauth.CancelledError:
            print("cancelled at exit", flush=True)

    threading.Thread(target=stuck_request, daemon=True).start()
    loop = asyncio.new_event_loop()
    task = loop.create_task(stuck.send_code_async("+9996611112", dc.api_id, dc.api_hash))
    loop.run_until_complete(asyncio.sleep(0.3))
    print("exiting", flush=True)
    # No close(): the interpreter must exit cleanly with the client, the DC and requests open.
    """
)


@pytest.mark.parametrize("log_level", ["quiet", "debug"])
def test_interpreter_exits_cleanly_with_open_client(tmp_path: Path, log_level: str) -> None:
    script = tmp_path / "exit_open.py"
    script.write_text(EXIT_SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(script), log_level],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "exiting" in proc.stdout
    for bad in ("Traceback", "Fatal Python error", "Segmentation fault", "panicked"):
        assert bad not in proc.stderr, proc.stderr[-4000:]


def test_testdc_with_a_given_key(tmp_path: Path, phone: Callable[[str], str]) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs openssl to make an RSA key")
    key = subprocess.run(
        [openssl, "genrsa", "-traditional", "2048"], capture_output=True, text=True, check=True
    ).stdout
    assert "BEGIN RSA PRIVATE KEY" in key
    with tgauth.TestDC(dcs=1, key_pem=key) as a, tgauth.TestDC(dcs=1, key_pem=key) as b:
        assert a.rsa_public_key == b.rsa_public_key and a.fingerprint == b.fingerprint
        # b's public key is a's too.
        with tgauth.Client(dcs=a.dcs, rsa_keys=[b.rsa_public_key]) as client:
            assert isinstance(client.send_code(phone("999661"), a.api_id, a.api_hash), tgauth.SentCode)
