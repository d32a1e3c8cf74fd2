"""tgauth: native Telegram login over MTProto 2.0.

    import tgauth

    with tgauth.TestDC() as dc, tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key]) as client:
        auth = client.login("+9996612345", dc.api_id, dc.api_hash,
                            code=lambda sent: dc.last_code("+9996612345"))
        print(auth.user.id, auth.user.first_name)

Each step has its own method too (``send_code``, ``sign_in``, ``check_password``,
``sign_up``, ``sign_in_bot``, ``qr_login``, ``log_out``, ...); each blocks, and each has an
asyncio twin (``await Client.send_code_async(...)``). Errors are ``tgauth.Error`` subclasses:
``tgauth.RpcError`` (one class per documented error in ``tgauth.errors``),
``tgauth.SignUpRequired``, ``tgauth.TimeoutError``, ``tgauth.NetworkError``, ...

The native library is the one bundled in the package, or the file that the environment
variable ``TGAUTH_LIBRARY`` names. Its log lines go to ``logging.getLogger("tgauth")``.
"""

from __future__ import annotations

from . import _log  # noqa: F401 - first: installs the log sink before anything else runs
from . import errors
from ._ffi import library_path
from ._ffi import version as _library_version
from ._login import SessionFormat
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
    SignUpRequired,
    TimeoutError,
)
from .qr import AsyncQrLogin, OnToken, QrLogin
from .testdc import App, TestDC
from .types import (
    Authorization,
    CodeSettings,
    CodeType,
    PasswordInfo,
    SentCode,
    SentCodePaymentRequired,
    SentCodeResult,
    SentCodeSuccess,
    SignedIn,
    User,
)

__version__ = "0.1.0"

__all__ = [
    "App",
    "AsyncQrLogin",
    "Authorization",
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
    "OnToken",
    "PasswordInfo",
    "ProtocolError",
    "QrLogin",
    "RpcError",
    "SecurityError",
    "SentCode",
    "SentCodePaymentRequired",
    "SentCodeResult",
    "SentCodeSuccess",
    "SessionError",
    "SessionFormat",
    "SignUpRequired",
    "SignedIn",
    "TestDC",
    "TimeoutError",
    "Transport",
    "User",
    "errors",
    "library_path",
    "library_version",
]


def library_version() -> str:
    """The version of the native library in use."""
    return _library_version()
