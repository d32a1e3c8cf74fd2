"""QR-code login: ``Client.qr_login`` and ``Client.qr_login_async`` return these objects.

The library exports a login token, tells each new URL through ``tg_qr_login``'s ``on_token``
callback (a new token whenever the last one expires), and calls back once at the end. Here
each URL updates ``url`` / ``expires`` at once; the caller's own ``on_token`` runs on the
caller's thread (in ``qr_login`` and ``wait``) or on its event loop, never on a library thread.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Awaitable, Callable, List, Optional, Set, Tuple, Union

from . import _ffi, _log
from ._requests import Outcome, Recipient, inbox, lookup, text, unwrap
from .errors import CancelledError, TimeoutError
from .types import Authorization

if TYPE_CHECKING:
    from .client import Client

__all__ = ["QrLogin", "AsyncQrLogin", "OnToken"]

#: ``on_token(url)``: told each new ``tg://login?token=...`` URL to show as a QR code.
OnToken = Callable[[str], Union[None, Awaitable[None]]]

_PENDING: Any = object()


def _expires(expires_unix: int) -> datetime:
    return datetime.fromtimestamp(max(expires_unix, 0), tz=timezone.utc)


def _on_login_token(user_data: Optional[int], url: Optional[bytes], expires_unix: int) -> None:
    # On a library thread, before the final callback; the request stays in flight.
    try:
        _ffi.keep_thread_state()
        entry = lookup(user_data or 0)
        if entry is None:
            return
        recipient, _ = entry
        token = getattr(recipient, "token", None)
        if token is not None:
            token(text(url) or "", _expires(int(expires_unix)))
    except BaseException:  # noqa: BLE001 - nothing may escape into a library thread
        try:
            _log.logger.exception("tgauth: error while delivering a QR login URL")
        except BaseException:  # noqa: BLE001
            pass


# Module level: the C function pointer must outlive every request.
login_token_callback = _ffi.tg_login_token_callback(_on_login_token)


def _timed_out(timeout: Optional[float]) -> TimeoutError:
    return TimeoutError(f"no app accepted the QR login within {timeout} s; the login is cancelled")


class QrLogin(Recipient):
    """A QR login in progress (``Client.qr_login``).

    ``url`` is the ``tg://login?token=...`` URL to show as a QR code now (it changes when a
    token expires), ``expires`` when it stops working (an aware UTC datetime). ``wait()``
    returns the Authorization once a signed-in app accepted it; ``cancel()`` gives up. Also a
    context manager that cancels a login still pending on exit.
    """

    def __init__(self, client: "Client", on_token: Optional[OnToken]) -> None:
        if on_token is not None and not callable(on_token):
            raise TypeError("on_token must be callable")
        self._client = client
        self._on_token = on_token
        self._cond = threading.Condition()
        self._url = ""
        self._expires: Optional[datetime] = None
        self._unseen: List[str] = []  # URLs not yet passed to on_token
        self._outcome: Outcome = _PENDING
        self._error: Optional[BaseException] = None  # what wait() raises once it gave up
        self._request_id = 0

    @classmethod
    def _start(cls, client: "Client", api_id: Any, api_hash: Any, on_token: Optional[OnToken]) -> "QrLogin":
        from ._login import authorization_callback

        qr = cls(client, on_token)
        invoke = client._qr_invoke(api_id, api_hash, login_token_callback, authorization_callback)
        qr._request_id = client._begin("tg_qr_login", invoke, qr, None)
        try:
            qr._pump(None, first=True)
        except BaseException:
            qr.cancel()
            raise
        if not qr._url and isinstance(qr._outcome, BaseException):
            raise qr._outcome
        return qr

    # On a library thread.
    def token(self, url: str, expires: datetime) -> None:
        with self._cond:
            self._url, self._expires = url, expires
            self._unseen.append(url)
            self._cond.notify_all()

    def deliver(self, context: Any, outcome: Outcome) -> None:
        with self._cond:
            self._outcome = outcome
            self._cond.notify_all()

    @property
    def url(self) -> str:
        """The ``tg://login?token=...`` URL to show now."""
        return self._url

    @property
    def expires(self) -> Optional[datetime]:
        """When ``url`` stops working (UTC)."""
        return self._expires

    @property
    def done(self) -> bool:
        """True once the login ended (accepted, failed or cancelled)."""
        return self._outcome is not _PENDING

    def _pump(self, deadline: Optional[float], first: bool = False) -> bool:
        """Hand new URLs to on_token until the login ends (True), the deadline passes (False)
        or, with ``first``, a URL is known (True)."""
        while True:
            with self._cond:
                while not self._unseen and self._outcome is _PENDING:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    self._cond.wait(left)
                unseen, self._unseen = self._unseen, []
                ended = self._outcome is not _PENDING
            if self._on_token is not None:
                for url in unseen:
                    self._on_token(url)
            if ended or (first and self._url):
                return True

    def wait(self, timeout: Optional[float] = 60.0) -> Authorization:
        """Wait until a signed-in app accepts the login; returns the Authorization (this client
        is signed in then). Raises ``tgauth.errors.SessionPasswordNeeded`` for an account with
        a cloud password (finish with ``client.check_password``), and ``tgauth.TimeoutError``
        (a builtin TimeoutError too) when nobody accepted within ``timeout`` seconds: the login
        is cancelled then. ``timeout=None`` waits as long as the library does (the client's
        timeout x 30). An exception from ``on_token``, or KeyboardInterrupt, cancels it too.
        """
        if self._error is not None:
            raise self._error
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            ended = self._pump(deadline)
        except BaseException:
            self.cancel()
            raise
        if not ended:
            self.cancel()
            with self._cond:
                # The cancellation's callback (or an approval that raced it) comes promptly.
                while self._outcome is _PENDING:
                    self._cond.wait()
            if isinstance(self._outcome, CancelledError):
                self._error = _timed_out(timeout)
                raise self._error
        auth: Authorization = unwrap(self._outcome)
        return auth

    def cancel(self) -> None:
        """Give up the login (``wait`` then raises ``tgauth.CancelledError``). Does nothing once
        it ended."""
        if self._outcome is _PENDING:
            self._client._cancel(self._request_id)

    def __enter__(self) -> "QrLogin":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cancel()

    def __repr__(self) -> str:
        state = "done" if self.done else "waiting"
        return f"<tgauth.QrLogin {state} url={self._url!r}>"


class _AsyncRecipient(Recipient):
    """Forwards a QR login's URLs and its outcome to the event loop of its AsyncQrLogin."""

    __slots__ = ("qr",)

    def __init__(self, qr: "AsyncQrLogin") -> None:
        self.qr = qr

    def token(self, url: str, expires: datetime) -> None:
        self.qr._inbox.deliver(self.qr._token_event, (url, expires))

    def deliver(self, context: Any, outcome: Outcome) -> None:
        self.qr._inbox.deliver(self.qr._future, outcome)


def _retrieve(future: "asyncio.Future[Any]") -> None:
    # An outcome nobody awaits (a cancelled login) must not be reported as never retrieved.
    if not future.cancelled():
        future.exception()


class AsyncQrLogin:
    """A QR login in progress on an event loop (``await Client.qr_login_async(...)``).

    Like ``QrLogin``: ``url``, ``expires``, ``await wait(timeout=60)``, ``cancel()``.
    ``on_token`` runs on the loop (a coroutine function's coroutine becomes a task).
    Cancelling the task that awaits ``wait()`` cancels the login.
    """

    def __init__(self, client: "Client", on_token: Optional[OnToken], loop: asyncio.AbstractEventLoop) -> None:
        if on_token is not None and not callable(on_token):
            raise TypeError("on_token must be callable")
        self._client = client
        self._on_token = on_token
        self._inbox = inbox(loop)
        self._future: "asyncio.Future[Authorization]" = loop.create_future()
        self._future.add_done_callback(_retrieve)
        self._first: "asyncio.Future[None]" = loop.create_future()
        self._future.add_done_callback(self._ended)
        self._url = ""
        self._expires: Optional[datetime] = None
        self._tasks: Set["asyncio.Task[Any]"] = set()
        self._error: Optional[BaseException] = None
        self._request_id = 0

    @classmethod
    async def _start(
        cls, client: "Client", api_id: Any, api_hash: Any, on_token: Optional[OnToken]
    ) -> "AsyncQrLogin":
        from ._login import authorization_callback

        qr = cls(client, on_token, asyncio.get_running_loop())
        invoke = client._qr_invoke(api_id, api_hash, login_token_callback, authorization_callback)
        qr._request_id = client._begin("tg_qr_login", invoke, _AsyncRecipient(qr), None)
        try:
            await asyncio.shield(qr._first)
        except BaseException:
            qr.cancel()
            raise
        if not qr._url and qr._future.done():
            error = qr._future.exception()
            if error is not None:
                raise error
        return qr

    def _ended(self, _: "asyncio.Future[Authorization]") -> None:
        # The login ended before any URL (an error): _start stops waiting for one.
        if not self._first.done():
            self._first.set_result(None)

    def _token_event(self, event: Tuple[str, datetime]) -> None:
        # On the loop's thread.
        self._url, self._expires = event
        if not self._first.done():
            self._first.set_result(None)
        if self._on_token is None:
            return
        result = self._on_token(self._url)
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._task_done)

    def _task_done(self, task: "asyncio.Task[Any]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.logger.error("tgauth: on_token raised", exc_info=task.exception())

    @property
    def url(self) -> str:
        """The ``tg://login?token=...`` URL to show now."""
        return self._url

    @property
    def expires(self) -> Optional[datetime]:
        """When ``url`` stops working (UTC)."""
        return self._expires

    @property
    def done(self) -> bool:
        """True once the login ended (accepted, failed or cancelled)."""
        return self._future.done()

    async def wait(self, timeout: Optional[float] = 60.0) -> Authorization:
        """As ``QrLogin.wait``, without blocking the loop. Cancelling the awaiting task
        cancels the login."""
        if self._error is not None:
            raise self._error
        try:
            done, _ = await asyncio.wait({self._future}, timeout=timeout)
        except asyncio.CancelledError:
            self.cancel()
            raise
        if not done:
            self.cancel()
            await asyncio.wait({self._future})  # the cancellation's callback comes promptly
            if isinstance(self._future.exception(), CancelledError):
                self._error = _timed_out(timeout)
                raise self._error
        return self._future.result()

    def cancel(self) -> None:
        """Give up the login (``wait`` then raises ``tgauth.CancelledError``). Does nothing once
        it ended."""
        if not self._future.done():
            self._client._cancel(self._request_id)

    def __repr__(self) -> str:
        state = "done" if self.done else "waiting"
        return f"<tgauth.AsyncQrLogin {state} url={self._url!r}>"
