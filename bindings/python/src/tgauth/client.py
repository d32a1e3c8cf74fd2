"""``tgauth.Client``: sends login codes through the native library.

Threading: the library calls back on its own threads. The one module-level C callback below
copies the result out of the borrowed C structs at once, looks the request up by the integer
passed as ``user_data``, and hands the copy over: to a ``threading.Event`` for ``send_code``,
or to the inbox of the request's event loop for ``send_code_async``. An inbox collects the
answers that arrive while its loop is busy and delivers them all in one turn of the loop (one
``loop.call_soon_threadsafe``, so one wakeup, per batch rather than per answer). Nothing raised
there can reach a library thread.
"""

from __future__ import annotations

import asyncio
import ctypes
import itertools
import os
import threading
import weakref
from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Tuple, Union

from . import _args, _ffi, _log
from ._handle import Handle
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
from .types import (
    _CODE_TYPE_DEFAULTS,
    CodeSettings,
    CodeType,
    SentCode,
    SentCodePaymentRequired,
    SentCodeResult,
    SentCodeSuccess,
    _result,
)

__all__ = ["Client", "DcOption", "Transport"]

#: One data center: ``{"id": 2, "host": "149.154.167.50", "port": 443}``.
DcOption = Mapping[str, Any]

#: The MTProto transports ``Client(transport=...)`` takes.
Transport = Literal["abridged", "intermediate", "padded", "full"]

_Outcome = Union[SentCodeResult, Error]

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


def _text(value: Optional[bytes]) -> Optional[str]:
    return None if value is None else value.decode("utf-8", "replace")


def _blob(address: int, length: int) -> Optional[bytes]:
    if not address or not length:
        return None
    return ctypes.string_at(address, length)


def _code_type_name(value: int) -> str:
    return _ffi.code_type_name(value) or f"unknown_{value}"


def _sent_code_from_c(address: int) -> SentCodeResult:
    c = _ffi.tg_sent_code.from_address(address)
    # Every number at once (far cheaper than a ctypes read per field); the string fields come
    # out as addresses, telling which strings are present: only those are copied.
    (
        kind,
        phone_code_hash,
        code_type,
        length,
        next_type,
        timeout,
        pattern,
        prefix,
        url,
        email_pattern,
        beginning,
        receipt,
        firebase_nonce,
        firebase_nonce_len,
        play_integrity_nonce,
        play_integrity_nonce_len,
        play_integrity_project_id,
        push_timeout,
        reset_available_period,
        reset_pending_date,
        apple_signin_allowed,
        google_signin_allowed,
        sign_up_required,
        user_id,
        future_auth_token,
        future_auth_token_len,
        store_product,
        support_email_address,
        support_email_subject,
        currency,
        amount,
        premium_days,
    ) = _ffi.SENT_CODE.unpack(bytes(c))
    if kind == _ffi.SENT_CODE_KIND_SUCCESS:
        return _result(
            SentCodeSuccess,
            {
                "sign_up_required": sign_up_required,
                "user_id": user_id,
                "future_auth_token": _blob(future_auth_token, future_auth_token_len),
            },
        )
    if kind == _ffi.SENT_CODE_KIND_PAYMENT_REQUIRED:
        return _result(
            SentCodePaymentRequired,
            {
                "phone_code_hash": _text(c.phone_code_hash) or "",
                "store_product": _text(c.store_product),
                "support_email_address": _text(c.support_email_address),
                "support_email_subject": _text(c.support_email_subject),
                "currency": _text(c.currency),
                "amount": amount,
                "premium_days": premium_days,
            },
        )
    if kind != _ffi.SENT_CODE_KIND_CODE:
        raise ValueError(f"unknown tg_sent_code_kind {kind}")
    values = _CODE_TYPE_DEFAULTS.copy()
    values["kind"] = _code_type_name(code_type)
    if length != -1:
        values["length"] = length
    if push_timeout != -1:
        values["push_timeout"] = push_timeout
    if reset_available_period != -1:
        values["reset_available_period"] = reset_available_period
    if reset_pending_date != -1:
        values["reset_pending_date"] = reset_pending_date
    if play_integrity_project_id != 0:
        values["play_integrity_project_id"] = play_integrity_project_id
    if apple_signin_allowed:
        values["apple_signin_allowed"] = True
    if google_signin_allowed:
        values["google_signin_allowed"] = True
    # The fields most answers lack: all NULL in the common case.
    if pattern or prefix or url or email_pattern or beginning or receipt or firebase_nonce or play_integrity_nonce:
        values["pattern"] = _text(c.pattern)
        values["prefix"] = _text(c.prefix)
        values["url"] = _text(c.url)
        values["email_pattern"] = _text(c.email_pattern)
        values["beginning"] = _text(c.beginning)
        values["receipt"] = _text(c.receipt)
        values["firebase_nonce"] = _blob(firebase_nonce, firebase_nonce_len)
        values["play_integrity_nonce"] = _blob(play_integrity_nonce, play_integrity_nonce_len)
    return _result(
        SentCode,
        {
            "type": _result(CodeType, values),
            "phone_code_hash": _text(c.phone_code_hash) or "",
            "next_type": None if next_type == _ffi.CODE_TYPE_NONE else _code_type_name(next_type),
            "timeout": None if timeout == -1 else timeout,
        },
    )


def _error_from_c(address: int) -> Error:
    c = _ffi.tg_error.from_address(address)
    message = _text(c.message) or ""
    if c.result == _ffi.RESULT_RPC:
        name = _text(c.name) or ""
        return rpc_error_class(name)(int(c.code), name, None if c.value == -1 else int(c.value), message)
    cls = _ERROR_CLASSES.get(c.result, InternalError)
    return cls(message or _ffi.result_str(c.result))


# --- requests in flight -----------------------------------------------------------------------

# user_data is an integer key into this table, never a Python object: the library may call
# back after the objects of the call are gone, and a stale or unknown key is then harmless.
# Each entry is (recipient, context): the callback calls ``recipient.deliver(context, outcome)``.
_requests: Dict[int, Tuple["_Recipient", Any]] = {}
_requests_lock = threading.Lock()
_tokens = itertools.count(1)


def _register(recipient: "_Recipient", context: Any) -> int:
    with _requests_lock:
        token = next(_tokens)
        _requests[token] = (recipient, context)
    return token


def _unregister(token: int) -> Optional[Tuple["_Recipient", Any]]:
    with _requests_lock:
        return _requests.pop(token, None)


def _on_send_code(user_data: Optional[int], sent_code: Optional[int], error: Optional[int]) -> None:
    # Runs on a library thread; the structs are borrowed for this call only: copy them now.
    try:
        _ffi.keep_thread_state()
        outcome: _Outcome
        try:
            if error:
                outcome = _error_from_c(error)
            elif sent_code:
                outcome = _sent_code_from_c(sent_code)
            else:
                outcome = InternalError("tgauth called back with neither a result nor an error")
        except Exception as e:  # noqa: BLE001
            outcome = InternalError(f"tgauth: could not read the library's answer: {e!r}")
        entry = _unregister(user_data or 0)
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


# Module level: the C function pointer must outlive every request.
_send_code_callback = _ffi.tg_send_code_callback(_on_send_code)


class _Recipient:
    """Where the callback hands an outcome: ``deliver`` runs on a library thread."""

    __slots__ = ()

    def deliver(self, context: Any, outcome: _Outcome) -> None:
        raise NotImplementedError


class _Waiter(_Recipient):
    """The answer of one blocking ``send_code``."""

    __slots__ = ("done", "outcome")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.outcome: Optional[_Outcome] = None

    def deliver(self, context: Any, outcome: _Outcome) -> None:
        self.outcome = outcome
        self.done.set()


class _LoopInbox(_Recipient):
    """The answers for the requests of one event loop, delivered on it in batches.

    Library threads queue (future, outcome) pairs. The first pair queued after a drain asks
    the loop for one call of ``_drain`` (``call_soon_threadsafe``: a self-pipe write and a
    wakeup); the drain settles every pair queued by then, so answers arriving while the loop
    is busy share that one wakeup.
    """

    __slots__ = ("loop", "_lock", "_queue", "_scheduled", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._queue: List[Tuple["asyncio.Future[SentCodeResult]", _Outcome]] = []
        self._scheduled = False  # a drain is due: no need to ask for another

    def deliver(self, context: Any, outcome: _Outcome) -> None:
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
        for future, outcome in batch:
            if future.done():  # the awaiting task was cancelled
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)


# Per thread, the inbox of the loop that thread runs (a thread runs one loop at a time). Only a
# weak reference: the requests in flight hold their inbox, and nothing keeps a loop alive.
_thread_inbox = threading.local()


def _inbox(loop: asyncio.AbstractEventLoop) -> _LoopInbox:
    ref = getattr(_thread_inbox, "ref", None)
    inbox: Optional[_LoopInbox] = ref() if ref is not None else None
    if inbox is None or inbox.loop is not loop:
        inbox = _LoopInbox(loop)
        _thread_inbox.ref = weakref.ref(inbox)
    return inbox


#: tg_code_settings accepts at most this many logout tokens, each at most this long.
MAX_LOGOUT_TOKENS = 64
MAX_LOGOUT_TOKEN_BYTES = 1024


#: Encoded api_hash values a client remembers (they rarely change between calls).
_HASH_CACHE_SIZE = 8


class _CodeSettingsArg:
    """A CodeSettings, checked and in its C form (``struct``).

    Owns every buffer the struct points into; the library copies them during the call.
    """

    def __init__(self, settings: Any) -> None:
        if not isinstance(settings, CodeSettings):
            raise TypeError(f"settings must be tgauth.CodeSettings or None, not {type(settings).__name__}")
        flags = {
            name: _args.c_bool(getattr(settings, name), f"settings.{name}")
            for name in (
                "allow_flashcall",
                "current_number",
                "allow_app_hash",
                "allow_missed_call",
                "allow_firebase",
                "unknown_number",
            )
        }
        self.tokens = [_args.c_bytes(t, "settings.logout_tokens[]") for t in settings.logout_tokens]
        # The limits of tg_code_settings, checked here for a clearer message.
        if len(self.tokens) > MAX_LOGOUT_TOKENS:
            raise ValueError(f"settings.logout_tokens holds {len(self.tokens)} tokens; at most {MAX_LOGOUT_TOKENS}")
        if any(len(t) > MAX_LOGOUT_TOKEN_BYTES for t in self.tokens):
            raise ValueError(f"a logout token is longer than {MAX_LOGOUT_TOKEN_BYTES} bytes")
        if (settings.token is None) != (settings.app_sandbox is None):
            raise ValueError("settings.token and settings.app_sandbox go together: set both or neither")
        self.token_buffers = [(ctypes.c_uint8 * len(t)).from_buffer_copy(t) for t in self.tokens]
        self.token_array = (_ffi.tg_bytes * max(len(self.tokens), 1))()
        for i, buffer in enumerate(self.token_buffers):
            self.token_array[i].data = ctypes.cast(buffer, ctypes.POINTER(ctypes.c_uint8))
            self.token_array[i].len = len(buffer)
        token = _args.optional_c_string(settings.token, "settings.token")
        if settings.app_sandbox is None:
            app_sandbox = 0
        else:
            app_sandbox = 2 if _args.c_bool(settings.app_sandbox, "settings.app_sandbox") else 1
        self.struct = _ffi.tg_code_settings(
            logout_tokens=self.token_array if self.tokens else None,
            logout_tokens_len=len(self.tokens),
            token=token,
            app_sandbox=app_sandbox,
            **flags,
        )


class Client(Handle):
    """A connection to Telegram (or a test DC) that sends login codes.

    ``dcs`` lists the data centers as ``{"id", "host", "port"}`` mappings, the first being the
    home DC (until a migration or a saved session says otherwise); None means Telegram's
    production DCs with Telegram's RSA keys, and ``test_servers=True`` Telegram's test DCs.
    ``rsa_keys`` are the servers' PKCS#1 PEM public keys. ``session`` is a file where the auth
    keys and the home DC are kept between runs (created with mode 0600). ``timeout`` bounds
    each request, in seconds. A FLOOD_WAIT of at most ``flood_sleep_threshold`` seconds is
    slept through and the request retried (0: never).

    ``transport`` is "abridged", "intermediate" (the default), "padded" or "full";
    ``obfuscated=True`` wraps it in obfuscated2, which networks that block MTProto often let
    through (not the full transport: that combination raises ValueError). ``session_string``
    starts from a Telethon or GramJS string session (its DC and auth key). ``api_id`` and
    ``api_hash``, given together, are the app every call uses unless it names its own.
    The other keywords are sent in initConnection; None keeps the library's defaults.

    One client serves any number of concurrent requests, from any threads. Close it with
    ``close()`` or a ``with`` block: requests still in flight then fail with
    ``tgauth.CancelledError``.
    """

    def __init__(
        self,
        dcs: Optional[Sequence[DcOption]] = None,
        rsa_keys: Optional[Sequence[str]] = None,
        session: Union[str, "os.PathLike[str]", None] = None,
        timeout: float = 10.0,
        flood_sleep_threshold: int = 60,
        device_model: Optional[str] = None,
        system_version: Optional[str] = None,
        app_version: Optional[str] = None,
        system_lang_code: Optional[str] = None,
        lang_pack: Optional[str] = None,
        lang_code: Optional[str] = None,
        test_servers: bool = False,
        transport: Transport = "intermediate",
        obfuscated: bool = False,
        session_string: Optional[str] = None,
        api_id: Optional[int] = None,
        api_hash: Optional[str] = None,
    ) -> None:
        # Check everything before the library sees any of it.
        dc_list = _dc_options(dcs)
        if rsa_keys is not None and (isinstance(rsa_keys, (str, bytes)) or not isinstance(rsa_keys, Sequence)):
            raise TypeError("rsa_keys must be a sequence of PEM strings")
        keys = [_args.c_string(k, "rsa_keys[]") for k in (rsa_keys or ())]
        session_path: Optional[bytes] = None
        if session is not None:
            if not isinstance(session, (str, os.PathLike)):
                raise TypeError(f"session must be a path, not {type(session).__name__}")
            session_path = _args.c_string(os.fspath(session), "session")
        timeout_ms = _args.milliseconds(timeout, "timeout")
        flood_sleep = _args.c_int(flood_sleep_threshold, "flood_sleep_threshold", 0, _args.UINT32_MAX)
        device = [
            _args.optional_c_string(device_model, "device_model"),
            _args.optional_c_string(system_version, "system_version"),
            _args.optional_c_string(app_version, "app_version"),
        ]
        lang = [
            _args.optional_c_string(system_lang_code, "system_lang_code"),
            _args.optional_c_string(lang_pack, "lang_pack"),
            _args.optional_c_string(lang_code, "lang_code"),
        ]
        use_test_servers = _args.c_bool(test_servers, "test_servers")
        transport_value = _transport(transport, _args.c_bool(obfuscated, "obfuscated"))
        session_string_data = _args.optional_c_string(session_string, "session_string")
        app = _app(api_id, api_hash)

        _log.sync_log_level()
        lib = _ffi.lib
        config = _ffi.tg_config_p()
        check(lib.tg_config_new(ctypes.byref(config)), "tg_config_new")
        try:
            if use_test_servers:
                check(lib.tg_config_use_test_servers(config), "tg_config_use_test_servers")
            for dc_id, host, port in dc_list:
                check(lib.tg_config_add_dc(config, dc_id, host, port), "tg_config_add_dc")
            for key in keys:
                check(lib.tg_config_add_rsa_key(config, key), "tg_config_add_rsa_key")
            if session_path is not None:
                check(lib.tg_config_set_session_path(config, session_path), "tg_config_set_session_path")
            if session_string_data is not None:
                if lib.tg_config_set_session_string(config, session_string_data) != _ffi.RESULT_OK:
                    raise ValueError("session_string is not a Telethon or GramJS string session")
            check(lib.tg_config_set_transport(config, transport_value, obfuscated), "tg_config_set_transport")
            if app is not None:
                check(lib.tg_config_set_app(config, *app), "tg_config_set_app")
            check(lib.tg_config_set_timeout_ms(config, timeout_ms), "tg_config_set_timeout_ms")
            check(lib.tg_config_set_flood_sleep_threshold(config, flood_sleep), "tg_config_set_flood_sleep_threshold")
            if any(v is not None for v in device):
                check(lib.tg_config_set_device(config, *device), "tg_config_set_device")
            if any(v is not None for v in lang):
                check(lib.tg_config_set_lang(config, *lang), "tg_config_set_lang")
            client = _ffi.tg_client_p()
            check(lib.tg_client_new(config, ctypes.byref(client)), "tg_client_new")
        finally:
            lib.tg_config_free(config)
        assert client.value is not None
        self._has_app = app is not None
        self._api_hashes: Dict[str, bytes] = {}
        # tg_send_code writes each request's id here; read under self._lock, which every call
        # holds.
        self._request_id = ctypes.c_uint64()
        self._request_id_out = ctypes.pointer(self._request_id)
        super().__init__(client.value)

    def _free(self, ptr: int) -> None:
        # Cancels the requests in flight and waits for their callbacks (the GIL is released
        # meanwhile, so they can run).
        _ffi.lib.tg_client_free(ptr)

    def _api_hash(self, api_hash: Any) -> bytes:
        """``api_hash`` checked and encoded, remembered for the next calls (the same few
        values come back on every call)."""
        if type(api_hash) is str:  # exactly str: a subclass may redefine equality or hashing
            data = self._api_hashes.get(api_hash)
            if data is None:
                data = _args.c_string(api_hash, "api_hash")
                if len(self._api_hashes) >= _HASH_CACHE_SIZE:
                    self._api_hashes.clear()
                self._api_hashes[api_hash] = data
            return data
        return _args.c_string(api_hash, "api_hash")

    def _start(
        self, phone: Any, api_id: Any, api_hash: Any, settings: Any, recipient: _Recipient, context: Any
    ) -> int:
        """Check and encode the arguments, then start tg_send_code; the answer goes to
        ``recipient.deliver(context, outcome)``. Returns the request's id."""
        phone_data = _args.c_string(phone, "phone")
        api_hash_data: Optional[bytes]
        if api_id is None and api_hash is None:
            if not self._has_app:
                raise ValueError("no app: give api_id and api_hash, to the Client or to the call")
            api_id, api_hash_data = 0, None  # the library uses the client's app
        elif api_id is None or api_hash is None:
            raise ValueError("give api_id and api_hash together (or neither, to use the Client's)")
        else:
            if type(api_id) is not int or not 0 < api_id <= _args.INT32_MAX:
                api_id = _args.c_int(api_id, "api_id", 1, _args.INT32_MAX)
            api_hash_data = self._api_hash(api_hash)
        settings_arg = None if settings is None else _CodeSettingsArg(settings)
        token = _register(recipient, context)
        try:
            with self._lock:
                if self._ptr is None:
                    raise self._closed_error()
                result = _ffi.lib.tg_send_code(
                    self._ptr,
                    phone_data,
                    api_id,
                    api_hash_data,
                    None if settings_arg is None else ctypes.byref(settings_arg.struct),
                    _send_code_callback,
                    token,
                    self._request_id_out,
                )
                request_id = self._request_id.value
        except BaseException:
            _unregister(token)
            raise
        if result != _ffi.RESULT_OK:
            # No callback will come for this request.
            _unregister(token)
            raise error_for_result(result, "tg_send_code")
        return request_id

    def _cancel(self, request_id: int) -> None:
        with self._lock:
            if self._ptr is not None:
                # NOT_FOUND: the request already finished; nothing to do.
                _ffi.lib.tg_cancel(self._ptr, request_id)

    def send_code(
        self,
        phone: str,
        api_id: Optional[int] = None,
        api_hash: Optional[str] = None,
        settings: Optional[CodeSettings] = None,
    ) -> SentCodeResult:
        """Send a login code to ``phone`` (auth.sendCode) and wait for the answer.

        ``api_id`` and ``api_hash`` name the app; leave both out to use the Client's.
        Follows PHONE_MIGRATE / NETWORK_MIGRATE to the right DC, and sleeps through short
        FLOOD_WAITs (see ``flood_sleep_threshold``). Returns ``SentCode`` (or
        ``SentCodeSuccess`` / ``SentCodePaymentRequired``); raises ``tgauth.RpcError``
        subclasses for Telegram's errors and the other ``tgauth.Error`` classes otherwise.

        It blocks the calling thread, even when that thread runs an event loop (the answer does
        not need the loop); in async code prefer ``send_code_async``. KeyboardInterrupt
        cancels the request.
        """
        waiter = _Waiter()
        request_id = self._start(phone, api_id, api_hash, settings, waiter, None)
        try:
            waiter.done.wait()
        except BaseException:
            self._cancel(request_id)
            raise
        assert waiter.outcome is not None
        return _unwrap(waiter.outcome)

    async def send_code_async(
        self,
        phone: str,
        api_id: Optional[int] = None,
        api_hash: Optional[str] = None,
        settings: Optional[CodeSettings] = None,
    ) -> SentCodeResult:
        """``send_code`` for asyncio: awaits the answer without blocking the loop.

        Cancelling the awaiting task cancels the request in the library (and raises
        ``asyncio.CancelledError`` in the task, as usual).
        """
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[SentCodeResult]" = loop.create_future()
        request_id = self._start(phone, api_id, api_hash, settings, _inbox(loop), future)
        try:
            return await future
        except asyncio.CancelledError:
            if future.cancelled():  # our task was cancelled, not the request
                self._cancel(request_id)
            raise

    def __repr__(self) -> str:
        return f"<tgauth.Client {'closed' if self.closed else 'open'}>"


def _unwrap(outcome: _Outcome) -> SentCodeResult:
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _transport(transport: Any, obfuscated: bool) -> int:
    """The tg_transport value of ``transport``, refusing what cannot work."""
    if not isinstance(transport, str):
        raise TypeError(f"transport must be str, not {type(transport).__name__}")
    value = _ffi.TRANSPORTS.get(transport)
    if value is None:
        raise ValueError(f"transport must be one of {', '.join(map(repr, _ffi.TRANSPORTS))}, not {transport!r}")
    if obfuscated and transport == "full":
        raise ValueError(
            "the full transport cannot be obfuscated: obfuscated2 carries only 'abridged', "
            "'intermediate' and 'padded'"
        )
    return value


def _app(api_id: Any, api_hash: Any) -> Optional[Tuple[int, bytes]]:
    """The Client's app, checked: both or neither."""
    if api_id is None and api_hash is None:
        return None
    if api_id is None or api_hash is None:
        raise ValueError("give api_id and api_hash together (or neither)")
    app_id = _args.c_int(api_id, "api_id", 1, _args.INT32_MAX)
    app_hash = _args.c_string(api_hash, "api_hash")
    if not app_hash:
        raise ValueError("api_hash must not be empty")
    return app_id, app_hash


def _dc_options(dcs: Optional[Sequence[DcOption]]) -> List[Any]:
    if dcs is None:
        return []
    if isinstance(dcs, (str, bytes, Mapping)) or not isinstance(dcs, Sequence):
        raise TypeError("dcs must be a sequence of {'id', 'host', 'port'} mappings")
    result = []
    for i, dc in enumerate(dcs):
        if not isinstance(dc, Mapping):
            raise TypeError(f"dcs[{i}] must be a mapping with 'id', 'host' and 'port'")
        missing = [k for k in ("id", "host", "port") if k not in dc]
        if missing:
            raise ValueError(f"dcs[{i}] lacks {', '.join(missing)}")
        result.append(
            (
                _args.c_int(dc["id"], f"dcs[{i}]['id']", 1, _args.INT32_MAX),
                _args.c_string(dc["host"], f"dcs[{i}]['host']"),
                _args.c_int(dc["port"], f"dcs[{i}]['port']", 1, 65535),
            )
        )
    return result
