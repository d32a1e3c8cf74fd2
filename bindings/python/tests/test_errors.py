"""RPC errors: one class per documented error, with code, name and value."""

from __future__ import annotations

import json
import pickle
import time
from pathlib import Path
from typing import Callable, Optional, Type

import pytest

import tgauth
from tgauth import errors

ERRORS_JSON = Path(__file__).resolve().parents[2] / "errors.json"

# The reserved numbers of TESTDC.md: prefix, class, code, name, value.
RESERVED = [
    ("9997701", errors.PhoneNumberBanned, 400, "PHONE_NUMBER_BANNED", None),
    ("9997702", errors.PhoneNumberFlood, 400, "PHONE_NUMBER_FLOOD", None),
    ("9997703", errors.PhonePasswordFlood, 406, "PHONE_PASSWORD_FLOOD", None),
    ("9997704", errors.PhoneNumberAppSignupForbidden, 400, "PHONE_NUMBER_APP_SIGNUP_FORBIDDEN", None),
    ("9997705", errors.SmsCodeCreateFailed, 400, "SMS_CODE_CREATE_FAILED", None),
    ("9997706", errors.PhonePasswordProtected, 400, "PHONE_PASSWORD_PROTECTED", None),
    ("9997708", errors.UpdateAppToLogin, 406, "UPDATE_APP_TO_LOGIN", None),
]


@pytest.mark.parametrize("prefix, cls, code, name, value", RESERVED, ids=[r[3] for r in RESERVED])
def test_reserved_number_raises_its_error(
    dc: tgauth.TestDC,
    client: tgauth.Client,
    phone: Callable[[str], str],
    prefix: str,
    cls: Type[tgauth.RpcError],
    code: int,
    name: str,
    value: Optional[int],
) -> None:
    with pytest.raises(cls) as info:
        client.send_code(phone(prefix), dc.api_id, dc.api_hash)
    e = info.value
    assert type(e) is cls
    assert isinstance(e, tgauth.RpcError) and isinstance(e, tgauth.Error)
    assert (e.code, e.name, e.value) == (code, name, value)
    assert name in str(e)


def test_reserved_error_async(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    import asyncio

    async def main() -> None:
        with pytest.raises(errors.PhoneNumberBanned) as info:
            await client.send_code_async(phone("9997701"), dc.api_id, dc.api_hash)
        assert info.value.code == 400

    asyncio.run(main())


def test_auth_restart_then_success(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    # 500 AUTH_RESTART the first time in a session, then auth.sentCode.
    number = phone("9997709")
    try:
        first = client.send_code(number, dc.api_id, dc.api_hash)
    except errors.AuthRestart as e:
        assert (e.code, e.name, e.value) == (500, "AUTH_RESTART", None)
        first = client.send_code(number, dc.api_id, dc.api_hash)
    assert isinstance(first, tgauth.SentCode)


def test_auth_key_duplicated_then_a_new_key(
    dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]
) -> None:
    with pytest.raises(errors.AuthKeyDuplicated) as info:
        client.send_code(phone("9997711"), dc.api_id, dc.api_hash)
    assert (info.value.code, info.value.name, info.value.value) == (406, "AUTH_KEY_DUPLICATED", None)
    # The DC forgot the key; the client must come through with a new one.
    assert isinstance(client.send_code(phone("999661"), dc.api_id, dc.api_hash), tgauth.SentCode)


def test_invalid_phone_numbers(dc: tgauth.TestDC, client: tgauth.Client) -> None:
    for number in ("+123456", "+1234567890123456", "+99966a1234", "12#4567890"):
        with pytest.raises(errors.PhoneNumberInvalid) as info:
            client.send_code(number, dc.api_id, dc.api_hash)
        assert (info.value.code, info.value.name, info.value.value) == (406, "PHONE_NUMBER_INVALID", None)


def test_phone_formatting_is_ignored(dc: tgauth.TestDC, client: tgauth.Client) -> None:
    sent = client.send_code("+999 66-(1) 77 88", dc.api_id, dc.api_hash)
    assert isinstance(sent, tgauth.SentCode)


def test_api_id_invalid(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    with pytest.raises(errors.ApiIdInvalid) as info:
        client.send_code(phone("999661"), dc.api_id, "0" * 32 if dc.api_hash != "0" * 32 else "1" * 32)
    assert (info.value.code, info.value.name) == (400, "API_ID_INVALID")
    with pytest.raises(errors.ApiIdInvalid):
        client.send_code(phone("999661"), dc.api_id + 1, dc.api_hash)


def test_api_id_published_flood(phone: Callable[[str], str]) -> None:
    published = (777001, "ab" * 16)
    with tgauth.TestDC(dcs=1, published_apps=[published]) as dc, tgauth.Client(
        dcs=dc.dcs, rsa_keys=[dc.rsa_public_key]
    ) as client:
        with pytest.raises(errors.ApiIdPublishedFlood) as info:
            client.send_code(phone("999661"), *published)
        assert (info.value.code, info.value.name) == (400, "API_ID_PUBLISHED_FLOOD")


def test_custom_apps_are_registered(phone: Callable[[str], str]) -> None:
    app = (424242, "0123456789abcdef0123456789abcdef")
    with tgauth.TestDC(dcs=1, apps=[app]) as dc, tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key]) as client:
        assert (dc.api_id, dc.api_hash) == app
        assert isinstance(client.send_code(phone("999661"), *app), tgauth.SentCode)


def test_input_request_too_long(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    # 40 logout tokens of 1 KiB are within the arguments' limits, and over the DC's 32 KiB.
    settings = tgauth.CodeSettings(logout_tokens=[b"x" * 1024] * 40)
    with pytest.raises(errors.InputRequestTooLong) as info:
        client.send_code(phone("999661"), dc.api_id, dc.api_hash, settings)
    assert (info.value.code, info.value.name) == (400, "INPUT_REQUEST_TOO_LONG")


def test_flood_wait_raised_at_once_without_sleeping(dc: tgauth.TestDC, phone: Callable[[str], str]) -> None:
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], flood_sleep_threshold=0) as client:
        start = time.monotonic()
        with pytest.raises(errors.FloodWait) as info:
            client.send_code(phone("9997707"), dc.api_id, dc.api_hash)
        assert time.monotonic() - start < 1.5
    assert (info.value.code, info.value.name, info.value.value) == (420, "FLOOD_WAIT", 2)
    assert info.value.rpc_message == "FLOOD_WAIT_2"


def test_flood_wait_slept_through_then_raised(dc: tgauth.TestDC, phone: Callable[[str], str]) -> None:
    # 9997707 always answers FLOOD_WAIT_2: the client sleeps (2 s <= 60 s) and retries, and
    # raises FloodWait once its bounded retries are spent.
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], flood_sleep_threshold=60) as client:
        start = time.monotonic()
        with pytest.raises(errors.FloodWait) as info:
            client.send_code(phone("9997707"), dc.api_id, dc.api_hash)
        assert time.monotonic() - start >= 1.9
    assert (info.value.code, info.value.name, info.value.value) == (420, "FLOOD_WAIT", 2)


def test_code_limit_gives_flood_wait(phone: Callable[[str], str]) -> None:
    number = phone("999661")
    with tgauth.TestDC(dcs=1, code_limit=2) as dc, tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key]) as client:
        for _ in range(2):
            assert isinstance(client.send_code(number, dc.api_id, dc.api_hash), tgauth.SentCode)
        start = time.monotonic()
        with pytest.raises(errors.FloodWait) as info:
            client.send_code(number, dc.api_id, dc.api_hash)
        # About an hour: far over the threshold, so raised at once.
        assert time.monotonic() - start < 1.5
        assert info.value.value is not None and 3000 < info.value.value <= 3600
        assert len(dc.codes(number)) == 2


def test_errors_table_makes_every_class() -> None:
    table = json.loads(ERRORS_JSON.read_text(encoding="utf-8"))
    assert table, "bindings/errors.json is empty"
    for entry in table:
        cls = getattr(errors, entry["class"])
        assert issubclass(cls, tgauth.RpcError)
        assert errors.rpc_error_class(entry["name"]) is cls
        assert cls.CODE == entry["code"] and cls.NAME == entry["name"]
        assert entry["class"] in errors.__all__
    for required in (
        "PhoneNumberInvalid",
        "PhoneMigrate",
        "NetworkMigrate",
        "UserMigrate",
        "FloodWait",
        "ApiIdInvalid",
        "ApiIdPublishedFlood",
        "PhoneNumberBanned",
        "PhoneNumberFlood",
        "PhonePasswordFlood",
        "PhoneNumberAppSignupForbidden",
        "SmsCodeCreateFailed",
        "PhonePasswordProtected",
        "UpdateAppToLogin",
        "AuthRestart",
        "AuthKeyDuplicated",
        "InputRequestTooLong",
    ):
        assert issubclass(getattr(errors, required), tgauth.RpcError)
    assert errors.rpc_error_class("SOMETHING_NEW") is tgauth.RpcError
    with pytest.raises(AttributeError):
        errors.NoSuchError  # noqa: B018


def test_error_classes_and_pickling() -> None:
    e = errors.PhoneMigrate(303, "PHONE_MIGRATE", 2, "PHONE_MIGRATE_2")
    assert (e.code, e.name, e.value, e.rpc_message) == (303, "PHONE_MIGRATE", 2, "PHONE_MIGRATE_2")
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is errors.PhoneMigrate and (again.code, again.name, again.value) == (303, "PHONE_MIGRATE", 2)
    assert issubclass(tgauth.TimeoutError, TimeoutError)
    assert issubclass(tgauth.NetworkError, ConnectionError)
    for cls in (
        tgauth.TimeoutError,
        tgauth.NetworkError,
        tgauth.SecurityError,
        tgauth.CancelledError,
        tgauth.SessionError,
        tgauth.ProtocolError,
        tgauth.InternalError,
        tgauth.IoError,
        tgauth.InvalidArgumentError,
    ):
        err = cls("boom")
        assert isinstance(err, tgauth.Error) and err.message == "boom" and str(err) == "boom"
