"""Fixtures shared by the tgauth tests: a test DC, clients, phone numbers, a silent server."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from typing import Callable, Iterator, List

import pytest

import tgauth

_numbers = itertools.count(1000)


@pytest.fixture(autouse=True)
def every_callback_arrives() -> Iterator[None]:
    """After each test, no request may still wait for its callback: the library calls back
    exactly once, also on cancellation and when a client is closed."""
    yield
    from tgauth import client as client_module

    deadline = time.monotonic() + 10
    while client_module._requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not client_module._requests, f"{len(client_module._requests)} requests never called back"


@pytest.fixture(scope="session")
def dc() -> Iterator[tgauth.TestDC]:
    """One test DC (3 DCs, the default code limit) for the whole run; tests use fresh numbers."""
    with tgauth.TestDC() as test_dc:
        yield test_dc


@pytest.fixture
def client(dc: tgauth.TestDC) -> Iterator[tgauth.Client]:
    """A client whose home DC is DC 1 of ``dc``."""
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], timeout=10.0) as c:
        yield c


@pytest.fixture
def phone() -> Callable[[str], str]:
    """``phone("999662")`` is a number starting with those digits that no other test uses
    (``+999662`` followed by four digits: the 99966XYYYY numbers of TESTDC.md)."""

    def make(prefix: str) -> str:
        return "+" + prefix + str(next(_numbers))

    return make


class SilentServer:
    """Accepts TCP connections on 127.0.0.1, reads and discards, and never answers."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self.connections: List[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="silent-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            conn.setblocking(False)
            self.connections.append(conn)
            for c in list(self.connections):
                try:
                    c.recv(65536)
                except (BlockingIOError, OSError):
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for c in self.connections:
            c.close()
        self.listener.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def silent_client(dc: tgauth.TestDC, silent_server: SilentServer) -> Iterator[tgauth.Client]:
    """A client whose only DC accepts connections and never answers (timeout 30 s)."""
    dcs = [{"id": 1, "host": "127.0.0.1", "port": silent_server.port}]
    with tgauth.Client(dcs=dcs, rsa_keys=[dc.rsa_public_key], timeout=30.0) as c:
        yield c
