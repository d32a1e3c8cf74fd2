"""tgauth: native Telegram login (auth.sendCode over MTProto 2.0).

    import tgauth

    with tgauth.TestDC() as dc, tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key]) as client:
        sent = client.send_code("+9996612345", dc.api_id, dc.api_hash)
        print(sent.type.kind, sent.type.length, sent.phone_code_hash)

``Client.send_code`` blocks; ``await Client.send_code_async(...)`` is its asyncio twin.
Errors are ``tgauth.Error`` subclasses: ``tgauth.RpcError`` (one class per documented error
in ``tgauth.errors``), ``tgauth.TimeoutError``, ``tgauth.NetworkError``, ...

The native library is the one bundled in the package, or the file that the environment
variable ``TGAUTH_LIBRARY`` names. Its log lines go to ``logging.getLogger("tgauth")``.
"""

from __future__ import annotations

from . import _log  # noqa: F401 - first: installs the log sink before anything else runs
from . import errors
from ._ffi import library_path
from ._ffi import version as _library_version
from .client import Client, DcOption, Transport
from .errors import (
    CancelledError,
    Error,
    InternalError,
    InvalidArgumentError,
    IoError,
    NetworkError,
    ProtocolError,
    RpcError,
    SecurityError,
    SessionError,
    TimeoutError,
)
from .testdc import App, TestDC
from .types import CodeSettings, CodeType, SentCode, SentCodePaymentRequired, SentCodeResult, SentCodeSuccess

__version__ = "0.1.0"

__all__ = [
    "App",
    "CancelledError",
    "Client",
    "CodeSettings",
    "CodeType",
    "DcOption",
    "Error",
    "InternalError",
    "InvalidArgumentError",
    "IoError",
    "NetworkError",
    "ProtocolError",
    "RpcError",
    "SecurityError",
    "SentCode",
    "SentCodePaymentRequired",
    "SentCodeResult",
    "SentCodeSuccess",
    "SessionError",
    "TestDC",
    "TimeoutError",
    "Transport",
    "errors",
    "library_path",
    "library_version",
]


def library_version() -> str:
    """The version of the native library in use."""
    return _library_version()
