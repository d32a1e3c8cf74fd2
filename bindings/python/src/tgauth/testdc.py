"""``tgauth.TestDC``: the local test data center, run inside this process."""

from __future__ import annotations

import ctypes
import json
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _args, _ffi, _log
from ._handle import Handle
from ._requests import check

__all__ = ["TestDC", "App"]

#: A registered app: ``(api_id, api_hash)`` or ``{"id": api_id, "hash": api_hash}``.
App = Union[Tuple[int, str], Mapping[str, Any]]


class TestDC(Handle):
    """A local Telegram data center (see TESTDC.md), serving on 127.0.0.1 until closed.

    ``dcs`` is how many DCs to run (ids 1..dcs, each on its own port). More than
    ``code_limit`` codes for one number within an hour give FLOOD_WAIT (0: no limit).
    ``apps`` are the registered (api_id, api_hash) pairs (default: one made up, see
    ``api_id`` / ``api_hash``); ``published_apps`` answer API_ID_PUBLISHED_FLOOD. ``key_pem``
    is the RSA private key (default: a fresh RSA-2048 key). ``faults`` injects faults, as
    ``"drop=0.05,delay=0.1"`` or ``{"drop": 0.05, "delay": 0.1}``.

    Use it as a context manager, or call ``close()`` (also ``stop()``).
    """

    __test__ = False  # not a pytest test class, despite its name
    _close_order: ClassVar[int] = 1  # at exit, after the clients that may talk to it

    def __init__(
        self,
        dcs: int = 3,
        code_limit: int = 5,
        apps: Optional[Sequence[App]] = None,
        published_apps: Optional[Sequence[App]] = None,
        key_pem: Optional[str] = None,
        faults: Union[str, Mapping[str, float], None] = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        options: Dict[str, Any] = {
            "host": _args.c_string(host, "host").decode(),
            "port": _args.c_int(port, "port", 0, 65535),
            "dcs": _args.c_int(dcs, "dcs", 1, 1000),
            "code_limit": _args.c_int(code_limit, "code_limit", 0, _args.UINT32_MAX),
        }
        if apps is not None:
            options["apps"] = _apps(apps, "apps")
        if published_apps is not None:
            options["published_apps"] = _apps(published_apps, "published_apps")
        if key_pem is not None:
            options["key_pem"] = _args.c_string(key_pem, "key_pem").decode()
        if faults is not None:
            options["faults"] = _faults(faults)
        options_json = _args.c_string(json.dumps(options), "TestDC options")

        _log.sync_log_level()
        testdc = _ffi.tg_testdc_p()
        check(_ffi.lib.tg_testdc_start(options_json, ctypes.byref(testdc)), "tg_testdc_start")
        assert testdc.value is not None
        super().__init__(testdc.value)
        info = _ffi.lib.tg_testdc_info_json(testdc.value)
        if not info:
            self.close()
            raise RuntimeError("tg_testdc_info_json returned NULL")
        #: The ready line of TESTDC.md, parsed: dcs, rsa_public_key, fingerprint, api_id, api_hash,
        #: password, bot_token.
        self.info: Dict[str, Any] = json.loads(info.decode("utf-8"))

    def _free(self, ptr: int) -> None:
        _ffi.lib.tg_testdc_stop(ptr)

    def stop(self) -> None:
        """Stop serving; the same as ``close()``."""
        self.close()

    @property
    def dcs(self) -> List[Dict[str, Any]]:
        """The DCs as ``[{"id": 1, "host": "127.0.0.1", "port": 40001}, ...]``: pass it to
        ``tgauth.Client(dcs=...)``."""
        return [dict(dc) for dc in self.info["dcs"]]

    @property
    def rsa_public_key(self) -> str:
        """The servers' RSA public key, PKCS#1 PEM."""
        return str(self.info["rsa_public_key"])

    @property
    def fingerprint(self) -> int:
        """The RSA key's fingerprint, as Telegram computes it (a signed 64-bit integer)."""
        return int(self.info["fingerprint"])

    @property
    def api_id(self) -> int:
        """The api_id of the first registered app."""
        return int(self.info["api_id"])

    @property
    def api_hash(self) -> str:
        """The api_hash of the first registered app."""
        return str(self.info["api_hash"])

    def codes(self, phone: str) -> List[Dict[str, Any]]:
        """The codes sent to ``phone`` so far, oldest first (the newest last), as
        ``{"dc": 2, "code": "22222", "phone_code_hash": "...", "phone_number": "99966..."}``."""
        phone_c = _args.c_string(phone, "phone")
        codes: List[Dict[str, Any]] = self._json("tg_testdc_codes_json", phone_c)
        return codes

    def last_code(self, phone: str) -> str:
        """The newest code sent to ``phone`` (``codes(phone)[-1]["code"]``); LookupError when
        none was sent."""
        codes = self.codes(phone)
        if not codes:
            raise LookupError(f"the test DC sent no code to {phone}")
        return str(codes[-1]["code"])

    @property
    def password(self) -> str:
        """The cloud password of the test DC's 2FA accounts (``99967X...`` numbers)."""
        return str(self.info["password"])

    @property
    def bot_token(self) -> str:
        """The bot token that ``Client.sign_in_bot`` accepts (``"ID:SECRET"``)."""
        return str(self.info["bot_token"])

    def accept_login_token(self, token_or_url: str, phone: str) -> None:
        """Accept a QR login token (its ``tg://login?token=...`` URL or the token) as the
        account of ``phone``, as if that user's app had scanned it: the ``QrLogin`` waiting on
        it then finishes (or raises ``SessionPasswordNeeded`` for a 2FA account). Raises
        ``tgauth.InvalidArgumentError`` (a ValueError) for something that is not a token, an
        unknown, expired or already accepted token, or a number with no account."""
        token_c = _args.c_string(token_or_url, "token_or_url")
        phone_c = _args.c_string(phone, "phone")
        with self._lock:
            if self._ptr is None:
                raise self._closed_error()
            result = _ffi.lib.tg_testdc_accept_login_token(self._ptr, token_c, phone_c)
        check(result, "tg_testdc_accept_login_token")

    def stats(self) -> Dict[str, int]:
        """Counters: ``{"auth_keys_created": .., "connections": .., "send_code_calls": ..}``."""
        stats: Dict[str, int] = self._json("tg_testdc_stats_json")
        return stats

    def _json(self, function: str, *args: Any) -> Any:
        # Calls a tg_testdc_*_json function that returns an owned string, and parses it.
        out = ctypes.c_void_p()
        with self._lock:
            if self._ptr is None:
                raise self._closed_error()
            check(getattr(_ffi.lib, function)(self._ptr, *args, ctypes.byref(out)), function)
        try:
            text = ctypes.string_at(out.value).decode("utf-8") if out.value else "null"
        finally:
            _ffi.lib.tg_string_free(out)
        return json.loads(text)

    def __repr__(self) -> str:
        if self.closed:
            return "<tgauth.TestDC closed>"
        ports = ", ".join(f"{dc['id']}={dc['host']}:{dc['port']}" for dc in self.info["dcs"])
        return f"<tgauth.TestDC {ports}>"


def _apps(apps: Sequence[App], what: str) -> List[Dict[str, Any]]:
    if isinstance(apps, (str, bytes, Mapping)) or not isinstance(apps, Sequence):
        raise TypeError(f"{what} must be a sequence of (api_id, api_hash) pairs")
    result = []
    for i, app in enumerate(apps):
        if isinstance(app, Mapping):
            api_id, api_hash = app.get("id"), app.get("hash")
        elif isinstance(app, tuple) and len(app) == 2:
            api_id, api_hash = app
        else:
            raise TypeError(f"{what}[{i}] must be an (api_id, api_hash) pair")
        result.append(
            {
                "id": _args.c_int(api_id, f"{what}[{i}] api_id", 1, _args.INT32_MAX),
                "hash": _args.c_string(api_hash, f"{what}[{i}] api_hash").decode(),
            }
        )
    return result


def _faults(faults: Union[str, Mapping[str, float]]) -> str:
    if isinstance(faults, str):
        return _args.c_string(faults, "faults").decode()
    if not isinstance(faults, Mapping):
        raise TypeError("faults must be a str or a mapping of fault name to probability")
    parts = []
    for name, probability in faults.items():
        if not isinstance(name, str) or isinstance(probability, bool) or not isinstance(probability, (int, float)):
            raise TypeError("faults must map fault names (str) to probabilities (float)")
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"fault {name!r}: probability {probability} is outside 0..1")
        parts.append(f"{name}={probability}")
    return ",".join(parts)
