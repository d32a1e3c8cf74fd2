"""Client options: the transport and obfuscated2, a session string, the app given once."""

from __future__ import annotations

import asyncio
import ctypes
from typing import Callable, List, Optional, Tuple

import pytest

import tgauth
from tgauth import _ffi

COMBINATIONS: List[Tuple[tgauth.Transport, bool]] = [
    ("abridged", False),
    ("abridged", True),
    ("intermediate", False),
    ("intermediate", True),
    ("padded", False),
    ("padded", True),
    ("full", False),
]


def _check_code_sent(dc: tgauth.TestDC, sent: tgauth.SentCodeResult, phone: str, want_dc: int) -> None:
    assert isinstance(sent, tgauth.SentCode)
    assert sent.type.kind == "app" and sent.type.length == 5
    codes = dc.codes(phone)
    assert len(codes) == 1
    assert codes[0]["phone_code_hash"] == sent.phone_code_hash
    assert codes[0]["dc"] == want_dc


def _exported_session_string(client: tgauth.Client) -> Optional[str]:
    """The client's session as a string session, through the C ABI (the package's own
    export is not part of these options)."""
    out = ctypes.c_void_p()
    result = _ffi.lib.tg_client_export_session_string(client._ptr, ctypes.byref(out))
    if result == _ffi.RESULT_NOT_FOUND:
        return None
    assert result == _ffi.RESULT_OK and out.value
    try:
        return ctypes.string_at(out.value).decode("ascii")
    finally:
        _ffi.lib.tg_string_free(out)


@pytest.mark.parametrize("transport,obfuscated", COMBINATIONS)
def test_send_code_over_each_transport(
    dc: tgauth.TestDC, phone: Callable[[str], str], transport: tgauth.Transport, obfuscated: bool
) -> None:
    number = phone("999662")
    connections = dc.stats()["connections"]
    with tgauth.Client(
        dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], transport=transport, obfuscated=obfuscated
    ) as client:
        sent = client.send_code(number, dc.api_id, dc.api_hash)
    _check_code_sent(dc, sent, number, 2)  # DC 1 is home: migrated to DC 2 on the way
    assert dc.stats()["connections"] > connections


def test_full_transport_cannot_be_obfuscated(dc: tgauth.TestDC) -> None:
    with pytest.raises(ValueError, match="full transport cannot be obfuscated"):
        tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], transport="full", obfuscated=True)


def test_bad_transport_arguments() -> None:
    with pytest.raises(ValueError, match="transport must be one of 'abridged', 'intermediate', 'padded', 'full'"):
        tgauth.Client(transport="tcp")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="transport must be str"):
        tgauth.Client(transport=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="obfuscated must be bool"):
        tgauth.Client(obfuscated="yes")  # type: ignore[arg-type]


def test_session_string_reuses_its_key(dc: tgauth.TestDC, phone: Callable[[str], str]) -> None:
    first = phone("999661")
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key]) as client:
        assert _exported_session_string(client) is None
        client.send_code(first, dc.api_id, dc.api_hash)
        session_string = _exported_session_string(client)
    assert session_string is not None and session_string.startswith("1")
    keys = dc.stats()["auth_keys_created"]
    # No DCs: the string names the DC and holds its key. Obfuscated, as behind a filter.
    with tgauth.Client(
        rsa_keys=[dc.rsa_public_key],
        session_string=session_string,
        transport="padded",
        obfuscated=True,
        api_id=dc.api_id,
        api_hash=dc.api_hash,
    ) as client:
        for _ in range(2):
            number = phone("999661")
            _check_code_sent(dc, client.send_code(number), number, 1)
        assert _exported_session_string(client) == session_string
    assert dc.stats()["auth_keys_created"] == keys


def test_bad_session_strings() -> None:
    for bad in ("", "1not-base64!", "2AAAA", "1" + "A" * 8000):
        with pytest.raises(ValueError, match="session_string"):
            tgauth.Client(session_string=bad)
    with pytest.raises(TypeError, match="session_string must be str"):
        tgauth.Client(session_string=b"1AAAA")  # type: ignore[arg-type]


def test_app_given_once_serves_every_call(dc: tgauth.TestDC, phone: Callable[[str], str]) -> None:
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], api_id=dc.api_id, api_hash=dc.api_hash) as client:
        a, b, c = phone("999661"), phone("999662"), phone("999663")
        _check_code_sent(dc, client.send_code(a), a, 1)
        _check_code_sent(dc, client.send_code(b, settings=tgauth.CodeSettings(allow_app_hash=True)), b, 2)
        _check_code_sent(dc, asyncio.run(client.send_code_async(c)), c, 3)


def test_the_clients_app_is_what_the_server_sees(dc: tgauth.TestDC, phone: Callable[[str], str]) -> None:
    wrong = "0" * 32
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], api_id=dc.api_id, api_hash=wrong) as client:
        number = phone("999661")
        with pytest.raises(tgauth.RpcError) as info:
            client.send_code(number)
        assert (info.value.code, info.value.name) == (400, "API_ID_INVALID")
        assert dc.codes(number) == []
        # A call's own app wins over the client's.
        _check_code_sent(dc, client.send_code(number, dc.api_id, dc.api_hash), number, 1)


def test_app_arguments(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    number = phone("999661")
    with pytest.raises(ValueError, match="no app: give api_id and api_hash"):
        client.send_code(number)
    with pytest.raises(ValueError, match="together"):
        client.send_code(number, dc.api_id)
    with pytest.raises(ValueError, match="together"):
        client.send_code(number, api_hash=dc.api_hash)
    with pytest.raises(ValueError, match="together"):
        tgauth.Client(api_id=dc.api_id)
    with pytest.raises(ValueError, match="together"):
        tgauth.Client(api_hash=dc.api_hash)
    with pytest.raises(ValueError, match="api_id must be between 1"):
        tgauth.Client(api_id=0, api_hash=dc.api_hash)
    with pytest.raises(TypeError, match="api_id must be int"):
        tgauth.Client(api_id="1", api_hash=dc.api_hash)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="api_hash must not be empty"):
        tgauth.Client(api_id=1, api_hash="")
    with pytest.raises(ValueError, match="NUL"):
        tgauth.Client(api_id=1, api_hash="a\0b")
    # Refused by the library (longer than 256 bytes).
    with pytest.raises(tgauth.InvalidArgumentError, match="tg_config_set_app"):
        tgauth.Client(api_id=1, api_hash="a" * 300)
    assert dc.codes(number) == []
