"""The exceptions tgauth raises.

``Error`` is the base of all of them. An RPC error from Telegram is an ``RpcError``; the errors
documented for ``auth.sendCode`` have a subclass each (``tgauth.errors.PhoneNumberInvalid``,
``tgauth.errors.PhoneMigrate``, ``tgauth.errors.FloodWait``, ...), made from the error table
``errors.json`` that the Node package shares. Any other RPC error is a plain ``RpcError``.

A number with no account raises ``SignUpRequired`` from ``sign_in`` (not an RPC error).
Failures that are not RPC errors have one class per kind: ``TimeoutError``, ``NetworkError``,
``CancelledError``, ``SecurityError``, ``SessionError``, ``ProtocolError``, ``IoError``,
``InvalidArgumentError`` and ``InternalError``.
"""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Optional, Tuple, Type

__all__ = [
    "Error",
    "RpcError",
    "TimeoutError",
    "NetworkError",
    "CancelledError",
    "SecurityError",
    "SessionError",
    "ProtocolError",
    "IoError",
    "InvalidArgumentError",
    "InternalError",
    "SignUpRequired",
    "rpc_error_class",
]


class Error(Exception):
    """Base class of every tgauth error. ``message`` is meant for people."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RpcError(Error):
    """Telegram answered with an RPC error.

    ``code`` is the RPC code (400, 303, 420, ...), ``name`` the error's name with any number
    taken out (``"FLOOD_WAIT"``, ``"PHONE_MIGRATE"``) and ``value`` that number (seconds to
    wait, a DC id), or None when the name has none.
    """

    #: The code and name of the error a subclass stands for ("" and 0 for RpcError itself).
    CODE: ClassVar[int] = 0
    NAME: ClassVar[str] = ""

    code: int
    name: str
    value: Optional[int]

    def __init__(self, code: int, name: str, value: Optional[int], message: str) -> None:
        super().__init__(message)
        self.code = code
        self.name = name
        self.value = value

    @property
    def rpc_message(self) -> str:
        """The error as Telegram spells it, number included (``"FLOOD_WAIT_2"``)."""
        return self.name if self.value is None else f"{self.name}_{self.value}"

    def __str__(self) -> str:
        head = f"{self.code} {self.rpc_message}"
        return head if not self.message or self.message == self.rpc_message else f"{head}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, name={self.name!r}, "
            f"value={self.value!r}, message={self.message!r})"
        )

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.code, self.name, self.value, self.message))


class TimeoutError(Error, builtins.TimeoutError):
    """The request's deadline (``Client(timeout=...)``) passed."""


class NetworkError(Error, builtins.ConnectionError):
    """Connecting to, reading from or writing to Telegram failed."""


class CancelledError(Error):
    """The request was cancelled: by ``tg_cancel``, or because its client was closed.

    (Cancelling the asyncio task of ``send_code_async`` raises ``asyncio.CancelledError``
    in that task, as asyncio does.)
    """


class SecurityError(Error):
    """The server failed a protocol security check (wrong RSA key, bad message key, ...)."""


class SessionError(Error):
    """The session file is unusable, locked by another client, or corrupt."""


class ProtocolError(Error):
    """The server sent something the library cannot understand."""


class IoError(Error, builtins.OSError):
    """A local file or socket could not be opened."""


class InvalidArgumentError(Error, builtins.ValueError):
    """The library refused an argument (the package checks most of them before)."""


class InternalError(Error):
    """A bug in tgauth. Please report it."""


class SignUpRequired(Error):
    """The phone number has no account yet: sign it up with ``Client.sign_up`` (the same
    ``phone_number`` and ``phone_code_hash``, and the names the user chose), which accepts the
    ``terms_of_service``. Not an RPC error: Telegram answered auth.signIn with
    ``auth.authorizationSignUpRequired``."""

    #: The text of the terms of service to show the user ("" when Telegram sent none).
    terms_of_service: str
    #: Their id.
    terms_of_service_id: Optional[str]
    #: The number and the hash to pass to ``sign_up`` (None when unknown).
    phone_number: Optional[str]
    phone_code_hash: Optional[str]

    def __init__(
        self,
        terms_of_service: str = "",
        terms_of_service_id: Optional[str] = None,
        phone_number: Optional[str] = None,
        phone_code_hash: Optional[str] = None,
    ) -> None:
        super().__init__("the phone number has no account yet: sign up first")
        self.terms_of_service = terms_of_service
        self.terms_of_service_id = terms_of_service_id
        self.phone_number = phone_number
        self.phone_code_hash = phone_code_hash

    def __reduce__(self) -> Tuple[Any, ...]:
        return (
            type(self),
            (self.terms_of_service, self.terms_of_service_id, self.phone_number, self.phone_code_hash),
        )


def _load_table() -> List[Dict[str, Any]]:
    here = Path(__file__).resolve().parent
    # Installed: the build copies bindings/errors.json into the package. Running from a
    # checkout (src/ on sys.path): read the table where it lives.
    for candidate in (here / "errors.json", here.parent.parent.parent / "errors.json"):
        if candidate.is_file():
            with candidate.open(encoding="utf-8") as f:
                table: List[Dict[str, Any]] = json.load(f)
            return table
    raise ImportError(f"tgauth: the RPC error table errors.json is missing from {here}")


_BY_NAME: Dict[str, Type[RpcError]] = {}

for _entry in _load_table():
    if not (
        isinstance(_entry.get("name"), str)
        and isinstance(_entry.get("code"), int)
        and isinstance(_entry.get("class"), str)
        and _entry["class"].isidentifier()
        and isinstance(_entry.get("description"), str)
    ):
        raise ImportError(f"tgauth: malformed entry in errors.json: {_entry!r}")
    _cls = type(
        _entry["class"],
        (RpcError,),
        {
            "__doc__": f"{_entry['code']} {_entry['name']}: {_entry['description']}",
            "__module__": __name__,
            "__qualname__": _entry["class"],
            "CODE": int(_entry["code"]),
            "NAME": _entry["name"],
        },
    )
    globals()[_entry["class"]] = _cls
    _BY_NAME[_entry["name"]] = _cls
    __all__.append(_entry["class"])
del _entry, _cls


def rpc_error_class(name: str) -> Type[RpcError]:
    """The class of the RPC error called ``name`` (without its number); RpcError if unknown."""
    return _BY_NAME.get(name, RpcError)


def __getattr__(name: str) -> Type[RpcError]:
    # Only reached for names the table did not define; typed so that type checkers accept
    # ``tgauth.errors.PhoneNumberInvalid`` and friends, which are made at import.
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
