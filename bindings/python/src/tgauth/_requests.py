"""Requests in flight: how an answer gets from a library thread to whoever waits for it.

The library calls back on its own threads. Each C callback of the package copies the answer out
of the borrowed C structs at once (``settle``), looks the request up by the integer passed as
``user_data``, and hands the copy to the request's recipient: a ``_Waiter`` (a
``threading.Event``) for the blocking methods, or the inbox of the request's event loop for the
``*_async`` ones. An inbox collects the answers that arrive while its loop is busy and delivers
them all in one turn of the loop (one ``loop.call_soon_threadsafe``, so one wakeup, per batch
rather than per answer). Nothing raised there can reach a library thread.
"""

from __future__ import annotations

import asyncio
import ctypes
import itertools
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _ffi, _log
from .errors import (
    CancelledError,
    Error,
    InternalError,
    InvalidArgumentError,
    IoError,
    NetworkError,
    ProtocolError,
    SecurityError,
    SessionError,
    TimeoutError,
    rpc_error_class,
)

#: What a request ends with: its result, or the exception to raise.
Outcome = Any

_ERROR_CLASSES = {
    _ffi.RESULT_INVALID_ARGUMENT: InvalidArgumentError,
    _ffi.RESULT_NETWORK: NetworkError,
    _ffi.RESULT_TIMEOUT: TimeoutError,
    _ffi.RESULT_CANCELLED: CancelledError,
    _ffi.RESULT_SECURITY: SecurityError,
    _ffi.RESULT_SESSION: SessionError,
    _ffi.RESULT_INTERNAL: InternalError,
    _ffi.RESULT_PROTOCOL: ProtocolError,
    _ffi.RESULT_IO: IoError,
}


def error_for_result(result: int, context: str) -> Error:
    """The exception for a non-OK tg_result returned by a call (not an RPC error)."""
    cls = _ERROR_CLASSES.get(result, InternalError)
    return cls(f"{context}: {_ffi.result_str(result)}")


def check(result: int, context: str) -> None:
    """Raise the matching exception unless ``result`` is TG_RESULT_OK."""
    if result != _ffi.RESULT_OK:
        raise error_for_result(result, context)


# --- copying results out of the borrowed C structs --------------------------------------------


def text(value: Optional[bytes]) -> Optional[str]:
    """A C string field as str (None for NULL)."""
    return None if value is None else value.decode("utf-8", "replace")


def blob(address: int, length: int) -> Optional[bytes]:
    """A tg_bytes field's contents (None when empty)."""
    if not address or not length:
        return None
    return ctypes.string_at(address, length)


def error_from_c(address: int) -> Error:
    """The exception a borrowed ``tg_error`` stands for."""
    c = _ffi.tg_error.from_address(address)
    message = text(c.message) or ""
    if c.result == _ffi.RESULT_RPC:
        name = text(c.name) or ""
        return rpc_error_class(name)(int(c.code), name, None if c.value == -1 else int(c.value), message)
    cls = _ERROR_CLASSES.get(c.result, InternalError)
    return cls(message or _ffi.result_str(c.result))


# --- requests in flight -----------------------------------------------------------------------

# user_data is an integer key into this table, never a Python object: the library may call
# back after the objects of the call are gone, and a stale or unknown key is then harmless.
# Each entry is (recipient, context): the callback calls ``recipient.deliver(context, outcome)``.
_requests: Dict[int, Tuple["Recipient", Any]] = {}
_requests_lock = threading.Lock()
_tokens = itertools.count(1)


def register(recipient: "Recipient", context: Any) -> int:
    """A fresh ``user_data`` for a request whose answer goes to ``recipient``."""
    with _requests_lock:
        token = next(_tokens)
        _requests[token] = (recipient, context)
    return token


def unregister(token: int) -> Optional[Tuple["Recipient", Any]]:
    """Forget a request (its final answer came, or it never started)."""
    with _requests_lock:
        return _requests.pop(token, None)


def lookup(token: int) -> Optional[Tuple["Recipient", Any]]:
    """The entry of a request still in flight (for the callbacks that come before the last)."""
    with _requests_lock:
        return _requests.get(token)


def settle(user_data: Optional[int], read: Callable[[], Outcome]) -> None:
    """The body of every final C callback: ``read()`` copies the borrowed answer (or the error)
    into Python objects, then the request's recipient gets it. Runs on a library thread;
    nothing escapes from it."""
    try:
        _ffi.keep_thread_state()
        outcome: Outcome
        try:
            outcome = read()
        except Exception as e:  # noqa: BLE001
            outcome = InternalError(f"tgauth: could not read the library's answer: {e!r}")
        entry = unregister(user_data or 0)
        if entry is None:
            _log.logger.error("tgauth: callback for an unknown request (user_data=%r)", user_data)
            return
        recipient, context = entry
        recipient.deliver(context, outcome)
    except BaseException:  # noqa: BLE001 - nothing may escape into a library thread
        try:
            _log.logger.exception("tgauth: error while delivering a result")
        except BaseException:  # noqa: BLE001
            pass


def neither() -> Error:
    """The outcome of a callback that brought neither a result nor an error."""
    return InternalError("tgauth called back with neither a result nor an error")


class Recipient:
    """Where the callback hands an outcome: ``deliver`` runs on a library thread."""

    __slots__ = ()

    def deliver(self, context: Any, outcome: Outcome) -> None:
        raise NotImplementedError


class Waiter(Recipient):
    """The answer of one blocking call."""

    __slots__ = ("done", "outcome")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.outcome: Optional[Outcome] = None

    def deliver(self, context: Any, outcome: Outcome) -> None:
        self.outcome = outcome
        self.done.set()


class LoopInbox(Recipient):
    """The answers for the requests of one event loop, delivered on it in batches.

    Library threads queue (target, outcome) pairs. The first pair queued after a drain asks
    the loop for one call of ``_drain`` (``call_soon_threadsafe``: a self-pipe write and a
    wakeup); the drain settles every pair queued by then, so answers arriving while the loop
    is busy share that one wakeup. A target is an ``asyncio.Future`` (settled with the
    outcome) or a callable (called with it on the loop's thread).
    """

    __slots__ = ("loop", "_lock", "_queue", "_scheduled", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._queue: List[Tuple[Any, Outcome]] = []
        self._scheduled = False  # a drain is due: no need to ask for another

    def deliver(self, context: Any, outcome: Outcome) -> None:
        # On a library thread.
        with self._lock:
            self._queue.append((context, outcome))
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:
            # The loop is closed: nobody waits for these any more. _scheduled stays set, so
            # later answers for this loop only queue here until its last request drops the inbox.
            with self._lock:
                self._queue.clear()

    def _drain(self) -> None:
        # On the loop's thread.
        with self._lock:
            batch, self._queue = self._queue, []
            self._scheduled = False
        for target, outcome in batch:
            if isinstance(target, asyncio.Future):
                if target.done():  # the awaiting task was cancelled
                    continue
                if isinstance(outcome, BaseException):
                    target.set_exception(outcome)
                else:
                    target.set_result(outcome)
            else:
                try:
                    target(outcome)
                except Exception:  # noqa: BLE001 - one failing target must not drop the batch
                    _log.logger.exception("tgauth: error in a callback on the event loop")


# Per thread, the inbox of the loop that thread runs (a thread runs one loop at a time). Only a
# weak reference: the requests in flight hold their inbox, and nothing keeps a loop alive.
_thread_inbox = threading.local()


def inbox(loop: asyncio.AbstractEventLoop) -> LoopInbox:
    """The inbox of ``loop``, the loop the calling thread runs."""
    ref = getattr(_thread_inbox, "ref", None)
    found: Optional[LoopInbox] = ref() if ref is not None else None
    if found is None or found.loop is not loop:
        found = LoopInbox(loop)
        _thread_inbox.ref = weakref.ref(found)
    return found


def unwrap(outcome: Outcome) -> Any:
    """The result, or raise the error."""
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
