"""The login methods of ``tgauth.Client`` (sign-in, 2FA, sign-up, bots, log-out, sessions).

A mixin of ``Client``: every request goes through ``Client._call`` / ``Client._call_async``
(``client.py``), which start it and wait for its one callback. The C callbacks here copy the
borrowed answer into the frozen dataclasses of ``types.py``.
"""

from __future__ import annotations

import ctypes
import threading
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, cast

from . import _args, _ffi
from ._requests import Outcome, Recipient, blob, check, error_from_c, neither, settle, text
from .errors import InvalidArgumentError, SessionError, SignUpRequired
from .types import Authorization, PasswordInfo, SentCodeResult, SignedIn, User

if TYPE_CHECKING:
    from .client import Client
    from .qr import AsyncQrLogin, OnToken, QrLogin

__all__ = ["LoginMethods", "SessionFormat"]

#: The string session formats ``Client.export_session`` names.
SessionFormat = Literal["telethon", "gramjs", "pyrogram", "mtcute"]

#: The longest phone number, code, hash, name or password passed on (the library's own limit is
#: higher; these are far past anything real).
_MAX_FIELD = 4096


def _field(value: Any, what: str) -> bytes:
    data = _args.c_string(value, what)
    if len(data) > _MAX_FIELD:
        raise ValueError(f"{what} is {len(data)} bytes long; the limit is {_MAX_FIELD}")
    return data


# --- copying the answers ----------------------------------------------------------------------


def _authorization_from_c(address: int) -> Authorization:
    c = _ffi.tg_authorization.from_address(address)
    user: Optional[User] = None
    if c.user:
        u = c.user.contents
        user = User(
            id=int(u.id),
            access_hash=int(u.access_hash),
            first_name=text(u.first_name) or "",
            last_name=text(u.last_name) or "",
            username=text(u.username),
            phone=text(u.phone),
            bot=bool(u.bot),
        )
    token = c.future_auth_token
    return Authorization(
        user=user,
        sign_up_required=bool(c.sign_up_required),
        terms_of_service=text(c.terms_of_service),
        future_auth_token=blob(ctypes.cast(token.data, ctypes.c_void_p).value or 0, int(token.len)),
        setup_password_required=bool(c.setup_password_required),
        otherwise_relogin_days=None if c.otherwise_relogin_days == -1 else int(c.otherwise_relogin_days),
        terms_of_service_id=text(c.terms_of_service_id),
    )


def _read_authorization(authorization: Optional[int], error: Optional[int]) -> Outcome:
    if error:
        return error_from_c(error)
    if authorization:
        return _authorization_from_c(authorization)
    return neither()


def _read_password_info(info: Optional[int], error: Optional[int]) -> Outcome:
    if error:
        return error_from_c(error)
    if not info:
        return neither()
    c = _ffi.tg_cloud_password.from_address(info)
    return PasswordInfo(has_password=bool(c.has_password), hint=text(c.hint), has_recovery=bool(c.has_recovery))


def _read_log_out(token: Optional[int], error: Optional[int]) -> Outcome:
    if error:
        return error_from_c(error)
    if not token:
        return neither()
    c = _ffi.tg_bytes.from_address(token)
    return blob(ctypes.cast(c.data, ctypes.c_void_p).value or 0, int(c.len))


def _read_done(error: Optional[int]) -> Outcome:
    return error_from_c(error) if error else None


def _on_authorization(user_data: Optional[int], authorization: Optional[int], error: Optional[int]) -> None:
    settle(user_data, lambda: _read_authorization(authorization, error))


def _on_password_info(user_data: Optional[int], info: Optional[int], error: Optional[int]) -> None:
    settle(user_data, lambda: _read_password_info(info, error))


def _on_log_out(user_data: Optional[int], token: Optional[int], error: Optional[int]) -> None:
    settle(user_data, lambda: _read_log_out(token, error))


def _on_done(user_data: Optional[int], error: Optional[int]) -> None:
    settle(user_data, lambda: _read_done(error))


# Module level: the C function pointers must outlive every request.
authorization_callback = _ffi.tg_authorization_callback(_on_authorization)
_password_info_callback = _ffi.tg_password_info_callback(_on_password_info)
_log_out_callback = _ffi.tg_log_out_callback(_on_log_out)
_done_callback = _ffi.tg_done_callback(_on_done)


def _signed_up_or_raise(auth: Authorization, phone: Optional[str], phone_code_hash: Optional[str]) -> Authorization:
    """``auth``, unless it says that the number needs a sign-up: then SignUpRequired."""
    if auth.sign_up_required:
        raise SignUpRequired(auth.terms_of_service or "", auth.terms_of_service_id, phone, phone_code_hash)
    return auth


_Invoke = Callable[[int, int], int]


class LoginMethods:
    """The login methods of ``Client`` (see there for the requests' plumbing)."""

    if TYPE_CHECKING:  # provided by Client / Handle
        _lock: threading.Lock
        _ptr: Optional[int]
        _request_id_out: Any

        def _closed_error(self) -> ValueError: ...
        def _app_args(self, api_id: Any, api_hash: Any) -> "tuple[int, Optional[bytes]]": ...
        def _call(self, name: str, invoke: _Invoke) -> Any: ...
        async def _call_async(self, name: str, invoke: _Invoke) -> Any: ...
        def _send_code_invoke(self, phone: Any, api_id: Any, api_hash: Any, settings: Any) -> _Invoke: ...
        def _begin(self, name: str, invoke: _Invoke, recipient: Recipient, context: Any) -> int: ...
        def _cancel(self, request_id: int) -> None: ...

    # --- the arguments of each call, checked and encoded, and the function starting it -------

    def _sign_in_invoke(self, phone: Any, phone_code_hash: Any, code: Any) -> _Invoke:
        p, h, c = _field(phone, "phone"), _field(phone_code_hash, "phone_code_hash"), _field(code, "code")
        out = self._request_id_out
        return lambda ptr, token: int(_ffi.lib.tg_sign_in(ptr, p, h, c, authorization_callback, token, out))

    def _sign_up_invoke(self, phone: Any, phone_code_hash: Any, first_name: Any, last_name: Any) -> _Invoke:
        p, h = _field(phone, "phone"), _field(phone_code_hash, "phone_code_hash")
        first = _field(first_name, "first_name")
        last = _field("" if last_name is None else last_name, "last_name")
        out = self._request_id_out
        return lambda ptr, token: int(_ffi.lib.tg_sign_up(ptr, p, h, first, last, authorization_callback, token, out))

    def _check_password_invoke(self, password: Any) -> _Invoke:
        # Python cannot wipe its own str; the library wipes its copies after the SRP step.
        data = _field(password, "password")
        out = self._request_id_out
        return lambda ptr, token: int(_ffi.lib.tg_check_password(ptr, data, authorization_callback, token, out))

    def _password_info_invoke(self) -> _Invoke:
        out = self._request_id_out
        return lambda ptr, token: int(_ffi.lib.tg_password_info(ptr, _password_info_callback, token, out))

    def _sign_in_bot_invoke(self, bot_token: Any, api_id: Any, api_hash: Any) -> _Invoke:
        data = _field(bot_token, "bot_token")
        app_id, app_hash = self._app_args(api_id, api_hash)
        out = self._request_id_out
        return lambda ptr, token: int(
            _ffi.lib.tg_sign_in_bot(ptr, data, app_id, app_hash, authorization_callback, token, out)
        )

    def _resend_code_invoke(self, phone: Any, phone_code_hash: Any, reason: Any) -> _Invoke:
        from .client import _send_code_callback

        p, h = _field(phone, "phone"), _field(phone_code_hash, "phone_code_hash")
        r = None if reason is None else _field(reason, "reason")
        out = self._request_id_out
        return lambda ptr, token: int(_ffi.lib.tg_resend_code(ptr, p, h, r, _send_code_callback, token, out))

    def _cancel_code_invoke(self, phone: Any, phone_code_hash: Any) -> _Invoke:
        p, h = _field(phone, "phone"), _field(phone_code_hash, "phone_code_hash")
        out = self._request_id_out
        return lambda ptr, token: int(_ffi.lib.tg_cancel_code(ptr, p, h, _done_callback, token, out))

    def _log_out_invoke(self) -> _Invoke:
        out = self._request_id_out
        return lambda ptr, token: int(_ffi.lib.tg_log_out(ptr, _log_out_callback, token, out))

    def _accept_login_token_invoke(self, token_or_url: Any) -> _Invoke:
        data = _field(token_or_url, "token_or_url")
        out = self._request_id_out
        return lambda ptr, token: int(_ffi.lib.tg_accept_login_token(ptr, data, _done_callback, token, out))

    # --- blocking methods and their asyncio twins --------------------------------------------

    def sign_in(self, phone: str, phone_code_hash: str, code: str) -> Authorization:
        """Sign in with the code sent to ``phone`` (auth.signIn).

        ``phone_code_hash`` is ``SentCode.phone_code_hash``. Returns the Authorization (the
        session is then signed in). Raises ``tgauth.SignUpRequired`` when the number has no
        account (then ``sign_up``), ``tgauth.errors.SessionPasswordNeeded`` when the account has
        a cloud password (then ``check_password``), ``PhoneCodeInvalid`` / ``PhoneCodeEmpty``
        for a wrong or empty code, ``PhoneCodeExpired`` for a dead hash (send a new code).
        """
        auth: Authorization = self._call("tg_sign_in", self._sign_in_invoke(phone, phone_code_hash, code))
        return _signed_up_or_raise(auth, phone, phone_code_hash)

    async def sign_in_async(self, phone: str, phone_code_hash: str, code: str) -> Authorization:
        """``sign_in`` for asyncio; cancelling the awaiting task cancels the request."""
        invoke = self._sign_in_invoke(phone, phone_code_hash, code)
        auth: Authorization = await self._call_async("tg_sign_in", invoke)
        return _signed_up_or_raise(auth, phone, phone_code_hash)

    def sign_up(
        self, phone: str, phone_code_hash: str, first_name: str, last_name: Optional[str] = ""
    ) -> Authorization:
        """Make the account of a number that had none (auth.signUp), after ``sign_in`` raised
        ``tgauth.SignUpRequired``; the user accepts its ``terms_of_service`` by this.

        An empty or too long first name raises ``tgauth.errors.FirstnameInvalid``.
        """
        auth: Authorization = self._call(
            "tg_sign_up", self._sign_up_invoke(phone, phone_code_hash, first_name, last_name)
        )
        return auth

    async def sign_up_async(
        self, phone: str, phone_code_hash: str, first_name: str, last_name: Optional[str] = ""
    ) -> Authorization:
        """``sign_up`` for asyncio; cancelling the awaiting task cancels the request."""
        invoke = self._sign_up_invoke(phone, phone_code_hash, first_name, last_name)
        auth: Authorization = await self._call_async("tg_sign_up", invoke)
        return auth

    def check_password(self, password: str) -> Authorization:
        """Finish a login that raised ``SessionPasswordNeeded`` with the cloud password (the
        SRP 2FA step: the password itself never leaves this machine).

        A wrong password raises ``tgauth.errors.PasswordHashInvalid``; call again to retry.
        """
        auth: Authorization = self._call("tg_check_password", self._check_password_invoke(password))
        return auth

    async def check_password_async(self, password: str) -> Authorization:
        """``check_password`` for asyncio; cancelling the awaiting task cancels the request."""
        auth: Authorization = await self._call_async("tg_check_password", self._check_password_invoke(password))
        return auth

    def password_info(self) -> PasswordInfo:
        """The account's cloud password settings (account.getPassword): whether it has one,
        and its hint. Meant for the 2FA step, to show the hint."""
        info: PasswordInfo = self._call("tg_password_info", self._password_info_invoke())
        return info

    async def password_info_async(self) -> PasswordInfo:
        """``password_info`` for asyncio; cancelling the awaiting task cancels the request."""
        info: PasswordInfo = await self._call_async("tg_password_info", self._password_info_invoke())
        return info

    def sign_in_bot(
        self, bot_token: str, api_id: Optional[int] = None, api_hash: Optional[str] = None
    ) -> Authorization:
        """Sign in as a bot with its token from @BotFather (auth.importBotAuthorization).

        ``api_id`` and ``api_hash``: leave both out to use the Client's. A wrong token raises
        ``tgauth.errors.AccessTokenInvalid``.
        """
        auth: Authorization = self._call("tg_sign_in_bot", self._sign_in_bot_invoke(bot_token, api_id, api_hash))
        return auth

    async def sign_in_bot_async(
        self, bot_token: str, api_id: Optional[int] = None, api_hash: Optional[str] = None
    ) -> Authorization:
        """``sign_in_bot`` for asyncio; cancelling the awaiting task cancels the request."""
        invoke = self._sign_in_bot_invoke(bot_token, api_id, api_hash)
        auth: Authorization = await self._call_async("tg_sign_in_bot", invoke)
        return auth

    def resend_code(self, phone: str, phone_code_hash: str, reason: Optional[str] = None) -> SentCodeResult:
        """Send the code again, the way ``SentCode.next_type`` said (auth.resendCode).

        Raises ``tgauth.errors.SendCodeUnavailable`` when there is no other way left.
        ``reason`` is the optional reason official apps give.
        """
        result: SentCodeResult = self._call(
            "tg_resend_code", self._resend_code_invoke(phone, phone_code_hash, reason)
        )
        return result

    async def resend_code_async(
        self, phone: str, phone_code_hash: str, reason: Optional[str] = None
    ) -> SentCodeResult:
        """``resend_code`` for asyncio; cancelling the awaiting task cancels the request."""
        invoke = self._resend_code_invoke(phone, phone_code_hash, reason)
        result: SentCodeResult = await self._call_async("tg_resend_code", invoke)
        return result

    def cancel_code(self, phone: str, phone_code_hash: str) -> None:
        """Tell Telegram the code will not be used (auth.cancelCode): the hash is dead then."""
        self._call("tg_cancel_code", self._cancel_code_invoke(phone, phone_code_hash))

    async def cancel_code_async(self, phone: str, phone_code_hash: str) -> None:
        """``cancel_code`` for asyncio; cancelling the awaiting task cancels the request."""
        await self._call_async("tg_cancel_code", self._cancel_code_invoke(phone, phone_code_hash))

    def log_out(self) -> Optional[bytes]:
        """Sign the session out (auth.logOut). Returns Telegram's future auth token (None when
        it gave none): given later in ``CodeSettings.logout_tokens`` for the same number, it
        logs back in without a code. The session keeps it too, so this client's next
        ``send_code`` for that number answers ``SentCodeSuccess``."""
        token: Optional[bytes] = self._call("tg_log_out", self._log_out_invoke())
        return token

    async def log_out_async(self) -> Optional[bytes]:
        """``log_out`` for asyncio; cancelling the awaiting task cancels the request."""
        token: Optional[bytes] = await self._call_async("tg_log_out", self._log_out_invoke())
        return token

    def accept_login_token(self, token_or_url: str) -> None:
        """Approve a QR login from this signed-in client (auth.acceptLoginToken), given the
        ``tg://login?token=...`` URL the other device shows, or its token.

        Raises ``tgauth.errors.AuthTokenExpired``, ``AuthTokenInvalid`` or
        ``AuthTokenAlreadyAccepted``; ``AuthKeyUnregistered`` when this client is not signed
        in; ``tgauth.InvalidArgumentError`` when ``token_or_url`` is not a login token.
        """
        self._call("tg_accept_login_token", self._accept_login_token_invoke(token_or_url))

    async def accept_login_token_async(self, token_or_url: str) -> None:
        """``accept_login_token`` for asyncio; cancelling the awaiting task cancels the request."""
        await self._call_async("tg_accept_login_token", self._accept_login_token_invoke(token_or_url))

    # --- QR login ----------------------------------------------------------------------------

    def qr_login(
        self,
        api_id: Optional[int] = None,
        api_hash: Optional[str] = None,
        on_token: Optional["OnToken"] = None,
    ) -> "QrLogin":
        """Start a QR-code login (auth.exportLoginToken) and return once the first URL is known.

        Show ``qr.url`` as a QR code; a signed-in app that scans it logs this client in, and
        ``qr.wait(timeout=60)`` returns the Authorization. Each token lives about 30 s: the
        library exports a new one when it expires, ``qr.url`` changes, and ``on_token(url)``
        (when given) is called with each URL, the first included, on the thread that calls
        ``qr_login`` / ``wait``. A 2FA account raises ``SessionPasswordNeeded`` from ``wait``:
        then ``check_password``. ``api_id`` / ``api_hash``: leave both out to use the Client's.
        """
        from .qr import QrLogin

        return QrLogin._start(cast("Client", self), api_id, api_hash, on_token)

    async def qr_login_async(
        self,
        api_id: Optional[int] = None,
        api_hash: Optional[str] = None,
        on_token: Optional["OnToken"] = None,
    ) -> "AsyncQrLogin":
        """``qr_login`` for asyncio: ``qr = await client.qr_login_async(...)``, then
        ``await qr.wait()``. ``on_token`` (a plain or coroutine function) runs on the loop."""
        from .qr import AsyncQrLogin

        return await AsyncQrLogin._start(cast("Client", self), api_id, api_hash, on_token)

    def _qr_invoke(self, api_id: Any, api_hash: Any, on_token: Any, on_done: Any) -> _Invoke:
        app_id, app_hash = self._app_args(api_id, api_hash)
        out = self._request_id_out
        # wait_ms 0: the library's limit (the client's timeout x 30); wait() sets the caller's.
        return lambda ptr, token: int(_ffi.lib.tg_qr_login(ptr, app_id, app_hash, 0, on_token, on_done, token, out))

    # --- the whole login ---------------------------------------------------------------------

    def login(
        self,
        phone: str,
        api_id: Optional[int] = None,
        api_hash: Optional[str] = None,
        *,
        code: Callable[..., Any],
        password: Optional[Callable[..., Any]] = None,
        first_name: Optional[str] = None,
        last_name: Optional[str] = None,
        settings: Any = None,
    ) -> Authorization:
        """The whole login of ``phone``: send the code, ask ``code(sent)`` for it (a
        ``SentCode``), sign in, and for a 2FA account ask ``password(hint)`` (the hint or None)
        and check it. A wrong code is asked for again, up to 3 times in all, and so is a wrong
        password. A number without an account is signed up as ``first_name`` /
        ``last_name`` when given, else ``tgauth.SignUpRequired`` is raised. ``code`` and
        ``password`` may be plain or coroutine functions (a coroutine runs on a private event
        loop: in async code use ``login_async``). Returns the Authorization.

        After ``log_out``, ``send_code`` logs straight back in (``SentCodeSuccess``): then
        ``code`` is not called and the Authorization's user has only its ``id``.
        """
        from ._flow import login_sync

        return login_sync(cast("Client", self), phone, api_id, api_hash, code, password, first_name, last_name, settings)

    async def login_async(
        self,
        phone: str,
        api_id: Optional[int] = None,
        api_hash: Optional[str] = None,
        *,
        code: Callable[..., Any],
        password: Optional[Callable[..., Any]] = None,
        first_name: Optional[str] = None,
        last_name: Optional[str] = None,
        settings: Any = None,
    ) -> Authorization:
        """``login`` for asyncio: ``code`` and ``password`` may be plain or coroutine
        functions. Cancelling the awaiting task cancels the request in flight."""
        from ._flow import login_async

        return await login_async(cast("Client", self), phone, api_id, api_hash, code, password, first_name, last_name, settings)

    # --- the session -------------------------------------------------------------------------

    def export_session(self, format: SessionFormat = "telethon") -> str:
        """The session as a string session another library reads: "telethon" (Telethon's
        StringSession), "gramjs" (GramJS's StringSession), "pyrogram" (Pyrogram's and
        Kurigram's session string: it holds the user and the api_id, so it needs a signed-in
        session and a known app, else ``tgauth.InvalidArgumentError``) or "mtcute".
        Raises ``tgauth.SessionError`` while the session has no auth key."""
        if not isinstance(format, str):
            raise TypeError(f"format must be str, not {type(format).__name__}")
        value = _ffi.SESSION_FORMATS.get(format)
        if value is None:
            raise ValueError(f"format must be one of {', '.join(map(repr, _ffi.SESSION_FORMATS))}, not {format!r}")
        out = ctypes.c_void_p()
        with self._lock:
            if self._ptr is None:
                raise self._closed_error()
            result = _ffi.lib.tg_client_export_session(self._ptr, value, ctypes.byref(out))
        try:
            if result == _ffi.RESULT_INVALID_ARGUMENT:
                raise InvalidArgumentError(
                    f"export_session: a {format!r} session string needs a signed-in session and a known app"
                )
            if result == _ffi.RESULT_SESSION:
                raise SessionError("export_session: the session has no auth key yet (nothing to export)")
            check(result, "tg_client_export_session")
            if not out.value:
                raise SessionError("export_session: the library returned no session")
            return ctypes.string_at(out.value).decode("utf-8")
        finally:
            if out.value:
                _ffi.lib.tg_string_free(out)

    @property
    def signed_in(self) -> Optional[SignedIn]:
        """Who the session is signed in as (``SignedIn(user_id, bot)``), or None when nobody:
        ``if client.signed_in: ...``. Read from the session; no request is made."""
        user_id = ctypes.c_int64()
        bot = ctypes.c_bool()
        with self._lock:
            if self._ptr is None:
                raise self._closed_error()
            result = _ffi.lib.tg_client_signed_in(self._ptr, ctypes.byref(user_id), ctypes.byref(bot))
        if result == _ffi.RESULT_SESSION:
            return None
        check(result, "tg_client_signed_in")
        return SignedIn(user_id=int(user_id.value), bot=bool(bot.value))
