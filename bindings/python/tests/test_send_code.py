"""auth.sendCode against the test DC: results, migrations, the code kept by the DC."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Callable

import pytest

import tgauth


def _assert_default_sent_code(sent: tgauth.SentCodeResult) -> None:
    assert isinstance(sent, tgauth.SentCode)
    assert sent.type.kind == "app"
    assert sent.type.length == 5
    assert sent.next_type == "sms"
    assert sent.timeout == 60
    assert isinstance(sent.phone_code_hash, str) and sent.phone_code_hash


@pytest.mark.parametrize("dc_id", [1, 2, 3])
def test_send_code_returns_app_code_and_dc_keeps_it(
    dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str], dc_id: int
) -> None:
    number = phone(f"99966{dc_id}")
    sent = client.send_code(number, dc.api_id, dc.api_hash)
    _assert_default_sent_code(sent)
    assert isinstance(sent, tgauth.SentCode)
    codes = dc.codes(number)
    assert len(codes) == 1
    assert codes[0]["code"] == str(dc_id) * 5
    assert codes[0]["dc"] == dc_id
    assert codes[0]["phone_code_hash"] == sent.phone_code_hash


def test_phone_migrate_is_followed(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    # The client's home is DC 1; the number belongs to DC 2, which DC 1 says with PHONE_MIGRATE_2.
    number = phone("999662")
    sent = client.send_code(number, dc.api_id, dc.api_hash, settings=tgauth.CodeSettings(allow_app_hash=True))
    _assert_default_sent_code(sent)
    assert [c["dc"] for c in dc.codes(number)] == [2]
    # The client now lives on DC 2: the next DC 2 number needs no migration and succeeds too.
    _assert_default_sent_code(client.send_code(phone("999662"), dc.api_id, dc.api_hash))


def test_network_migrate_is_followed(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    number = phone("9997710")
    sent = client.send_code(number, dc.api_id, dc.api_hash)
    assert isinstance(sent, tgauth.SentCode)
    assert [c["dc"] for c in dc.codes(number)] == [len(dc.dcs)]


def test_any_other_number_lives_on_dc_2(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    number = phone("1555")
    sent = client.send_code(number, dc.api_id, dc.api_hash)
    assert isinstance(sent, tgauth.SentCode)
    assert [c["dc"] for c in dc.codes(number)] == [2]


def test_send_code_async(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    number = phone("999663")

    async def main() -> tgauth.SentCodeResult:
        return await client.send_code_async(number, dc.api_id, dc.api_hash, tgauth.CodeSettings())

    sent = asyncio.run(main())
    _assert_default_sent_code(sent)
    assert dc.codes(number)[0]["code"] == "33333"


def test_sync_send_code_from_a_running_event_loop(
    dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]
) -> None:
    # Blocking the loop's thread is allowed: the answer does not need the loop.
    async def main() -> tgauth.SentCodeResult:
        return client.send_code(phone("999661"), dc.api_id, dc.api_hash)

    _assert_default_sent_code(asyncio.run(main()))


def test_results_are_frozen_dataclasses(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    sent = client.send_code(phone("999661"), dc.api_id, dc.api_hash)
    assert isinstance(sent, tgauth.SentCode)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sent.phone_code_hash = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        sent.type.kind = "sms"  # type: ignore[misc]
    assert sent == dataclasses.replace(sent)
    settings = tgauth.CodeSettings(allow_app_hash=True, logout_tokens=[b"a", b"b"])
    assert settings.logout_tokens == (b"a", b"b")
    hash(settings)


def test_code_settings_reach_the_server(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    settings = tgauth.CodeSettings(
        allow_flashcall=True,
        current_number=True,
        allow_app_hash=True,
        allow_missed_call=True,
        allow_firebase=True,
        unknown_number=True,
        logout_tokens=[b"\x00\x01token"],
        token="push-token",
        app_sandbox=False,
    )
    sent = client.send_code(phone("999661"), dc.api_id, dc.api_hash, settings)
    assert isinstance(sent, (tgauth.SentCode, tgauth.SentCodeSuccess, tgauth.SentCodePaymentRequired))


def test_library_logs_go_to_python_logging(
    dc: tgauth.TestDC, phone: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tgauth")
    # The level the library is asked for is read when a client is made.
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key]) as client:
        client.send_code(phone("999661"), dc.api_id, dc.api_hash)
    assert any(r.name == "tgauth" for r in caplog.records)


def test_a_failing_log_handler_does_not_break_requests(
    dc: tgauth.TestDC, phone: Callable[[str], str]
) -> None:
    class Exploding(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raise RuntimeError("handler failure")

        def handle(self, record: logging.LogRecord) -> bool:
            self.emit(record)  # on purpose without the usual error handling
            return True

    logger = logging.getLogger("tgauth")
    handler = Exploding(logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key]) as client:
            _assert_default_sent_code(client.send_code(phone("999661"), dc.api_id, dc.api_hash))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
