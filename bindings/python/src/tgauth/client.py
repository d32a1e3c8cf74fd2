"""``tgauth.Client``: logs in to Telegram through the native library.

Threading: the library calls back on its own threads; ``_requests`` hands each answer to the
thread or event loop that waits for it (see there). The login's own methods are in ``_login``.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, Sequence, Tuple, Union

from . import _args, _ffi, _log
from ._handle import Handle
from ._login import LoginMethods
from ._requests import (  # noqa: F401 - _requests: the table of requests in flight, for tests
    Outcome,
    Recipient,
    Waiter,
    _requests,
    blob,
    check,
    error_for_result,
    error_from_c,
    inbox,
    neither,
    register,
    settle,
    text,
    unregister,
    unwrap,
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

__all__ = ["Client", "DcOption", "Transport", "check", "error_for_result"]

#: One data center: ``{"id": 2, "host": "149.154.167.50", "port": 443}``.
DcOption = Mapping[str, Any]

#: The MTProto transports ``Client(transport=...)`` takes.
Transport = Literal["abridged", "intermediate", "padded", "full"]

# --- copying results out of the borrowed C structs --------------------------------------------

_text = text
_blob = blob

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


def _read_send_code(sent_code: Optional[int], error: Optional[int]) -> Outcome:
    if error:
        return error_from_c(error)
    if sent_code:
        return _sent_code_from_c(sent_code)
    return neither()


def _on_send_code(user_data: Optional[int], sent_code: Optional[int], error: Optional[int]) -> None:
    # Runs on a library thread; the structs are borrowed for this call only: copy them now.
    settle(user_data, lambda: _read_send_code(sent_code, error))


# Module level: the C function pointer must outlive every request (resend_code uses it too).
_send_code_callback = _ffi.tg_send_code_callback(_on_send_code)


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


class Client(Handle, LoginMethods):
    """A connection to Telegram (or a test DC) that logs in: ``send_code``, ``sign_in``,
    ``check_password``, ``sign_up``, ``sign_in_bot``, ``qr_login``, ``log_out``, ... or the whole
    flow at once with ``login``; each has an ``*_async`` twin.

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

    def _app_args(self, api_id: Any, api_hash: Any) -> Tuple[int, Optional[bytes]]:
        """The (api_id, api_hash) a call passes: (0, None) means the client's app."""
        if api_id is None and api_hash is None:
            if not self._has_app:
                raise ValueError("no app: give api_id and api_hash, to the Client or to the call")
            return 0, None  # the library uses the client's app
        if api_id is None or api_hash is None:
            raise ValueError("give api_id and api_hash together (or neither, to use the Client's)")
        if type(api_id) is not int or not 0 < api_id <= _args.INT32_MAX:
            api_id = _args.c_int(api_id, "api_id", 1, _args.INT32_MAX)
        return api_id, self._api_hash(api_hash)

    def _begin(self, name: str, invoke: Callable[[int, int], int], recipient: Recipient, context: Any) -> int:
        """Start one request: ``invoke(client_ptr, user_data)`` calls the C function (which
        writes the request's id to ``self._request_id_out``) and returns its tg_result. The
        answer goes to ``recipient.deliver(context, outcome)``. Returns the request's id."""
        token = register(recipient, context)
        try:
            with self._lock:
                if self._ptr is None:
                    raise self._closed_error()
                result = invoke(self._ptr, token)
                request_id = self._request_id.value
        except BaseException:
            unregister(token)
            raise
        if result != _ffi.RESULT_OK:
            # No callback will come for this request.
            unregister(token)
            raise error_for_result(result, name)
        return request_id

    def _call(self, name: str, invoke: Callable[[int, int], int]) -> Any:
        """Run one request and wait for its outcome (see ``_begin``); KeyboardInterrupt (or any
        exception raised while waiting) cancels it."""
        waiter = Waiter()
        request_id = self._begin(name, invoke, waiter, None)
        try:
            waiter.done.wait()
        except BaseException:
            self._cancel(request_id)
            raise
        return unwrap(waiter.outcome)

    async def _call_async(self, name: str, invoke: Callable[[int, int], int]) -> Any:
        """``_call`` for asyncio: cancelling the awaiting task cancels the request."""
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[Any]" = loop.create_future()
        request_id = self._begin(name, invoke, inbox(loop), future)
        try:
            return await future
        except asyncio.CancelledError:
            if future.cancelled():  # our task was cancelled, not the request
                self._cancel(request_id)
            raise

    def _send_code_invoke(self, phone: Any, api_id: Any, api_hash: Any, settings: Any) -> Callable[[int, int], int]:
        """Check and encode the arguments of tg_send_code; the function that starts it."""
        phone_data = _args.c_string(phone, "phone")
        app_id, app_hash = self._app_args(api_id, api_hash)
        settings_arg = None if settings is None else _CodeSettingsArg(settings)

        def invoke(ptr: int, token: int) -> int:
            # settings_arg owns the buffers the struct points into: alive in this closure.
            settings_ref = None if settings_arg is None else ctypes.byref(settings_arg.struct)
            return int(
                _ffi.lib.tg_send_code(
                    ptr, phone_data, app_id, app_hash, settings_ref, _send_code_callback, token, self._request_id_out
                )
            )

        return invoke

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
        After ``log_out`` the session's future auth tokens go along, so the same number comes
        back as ``SentCodeSuccess`` without a code.

        It blocks the calling thread, even when that thread runs an event loop (the answer does
        not need the loop); in async code prefer ``send_code_async``. KeyboardInterrupt
        cancels the request.
        """
        result: SentCodeResult = self._call("tg_send_code", self._send_code_invoke(phone, api_id, api_hash, settings))
        return result

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
        invoke = self._send_code_invoke(phone, api_id, api_hash, settings)
        result: SentCodeResult = await self._call_async("tg_send_code", invoke)
        return result

    def __repr__(self) -> str:
        return f"<tgauth.Client {'closed' if self.closed else 'open'}>"


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
