"""``Client.login`` / ``Client.login_async``: the whole login from a phone number.

One flow, written once as a generator of steps: it yields each request or question (a
``_Step``) and is sent back the answer (or thrown the error). ``login_sync`` runs it with the
blocking methods, ``login_async`` with the ``*_async`` ones.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any, Callable, Generator, Optional, Tuple

from .errors import Error, PasswordHashInvalid, PhoneCodeEmpty, PhoneCodeInvalid, SessionPasswordNeeded, SignUpRequired
from .types import Authorization, SentCode, SentCodePaymentRequired, SentCodeSuccess, User

if TYPE_CHECKING:
    from .client import Client

#: How many times ``login`` asks for the code, and for the password, before giving up.
ATTEMPTS = 3

# A step: ("call", method name, args) runs a Client method; ("ask", callable, args) asks the
# caller's code / password function.
_Step = Tuple[str, Any, Tuple[Any, ...]]
_Flow = Generator[_Step, Any, Authorization]


def _flow(
    phone: str,
    api_id: Optional[int],
    api_hash: Optional[str],
    code: Callable[..., Any],
    password: Optional[Callable[..., Any]],
    first_name: Optional[str],
    last_name: Optional[str],
    settings: Any,
) -> _Flow:
    if not callable(code):
        raise TypeError("code must be a function of the SentCode returning the code")
    if password is not None and not callable(password):
        raise TypeError("password must be a function of the hint returning the password")
    sent = yield ("call", "send_code", (phone, api_id, api_hash, settings))
    if isinstance(sent, SentCodeSuccess):
        if sent.sign_up_required:
            raise SignUpRequired(phone_number=phone)
        # A future auth token logged straight in: Telegram names only the user's id here.
        user = User(id=sent.user_id, access_hash=0, first_name="", last_name="", username=None, phone=None, bot=False)
        return Authorization(user=user, future_auth_token=sent.future_auth_token)
    if isinstance(sent, SentCodePaymentRequired):
        raise Error(f"Telegram sends the code to {phone} only after a purchase ({sent.store_product})")
    assert isinstance(sent, SentCode)

    auth: Optional[Authorization] = None
    for attempt in range(1, ATTEMPTS + 1):
        given = yield ("ask", code, (sent,))
        if not isinstance(given, str):
            given = str(given)
        try:
            auth = yield ("call", "sign_in", (phone, sent.phone_code_hash, given))
            break
        except (PhoneCodeInvalid, PhoneCodeEmpty):
            if attempt == ATTEMPTS:
                raise
        except SignUpRequired:
            if first_name is None:
                raise
            auth = yield ("call", "sign_up", (phone, sent.phone_code_hash, first_name, last_name or ""))
            break
        except SessionPasswordNeeded:
            if password is None:
                raise
            auth = yield from _password(password)
            break
    assert auth is not None
    return auth


def _password(password: Callable[..., Any]) -> _Flow:
    info = yield ("call", "password_info", ())
    for attempt in range(1, ATTEMPTS + 1):
        given = yield ("ask", password, (info.hint,))
        if not isinstance(given, str):
            raise TypeError(f"password() must return str, not {type(given).__name__}")
        try:
            auth: Authorization = yield ("call", "check_password", (given,))
            return auth
        except PasswordHashInvalid:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def _await(awaitable: Any) -> Any:
    return await awaitable


def login_sync(client: "Client", *args: Any) -> Authorization:
    """Run the flow with the blocking methods (a coroutine from code/password runs on a
    private event loop)."""
    flow = _flow(*args)
    reply: Any = None
    error: Optional[BaseException] = None
    while True:
        try:
            kind, what, call_args = flow.send(reply) if error is None else flow.throw(error)
        except StopIteration as stop:
            result: Authorization = stop.value
            return result
        reply, error = None, None
        try:
            if kind == "call":
                reply = getattr(client, what)(*call_args)
            else:
                reply = what(*call_args)
                if inspect.isawaitable(reply):
                    reply = asyncio.run(_await(reply))
        except Error as e:
            error = e


async def login_async(client: "Client", *args: Any) -> Authorization:
    """Run the flow with the ``*_async`` methods, awaiting what code/password return when it
    is awaitable."""
    flow = _flow(*args)
    reply: Any = None
    error: Optional[BaseException] = None
    while True:
        try:
            kind, what, call_args = flow.send(reply) if error is None else flow.throw(error)
        except StopIteration as stop:
            result: Authorization = stop.value
            return result
        reply, error = None, None
        try:
            if kind == "call":
                reply = await getattr(client, what + "_async")(*call_args)
            else:
                reply = what(*call_args)
                if inspect.isawaitable(reply):
                    reply = await reply
        except Error as e:
            error = e
