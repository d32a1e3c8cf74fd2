"""Every auth.SentCode constructor and code type, through the test DC's documented rule:
numbers 99988TT... choose the type (TT), a valid logout token gives auth.sentCodeSuccess."""

from __future__ import annotations

from typing import Callable, Optional

import pytest

import tgauth


def _send(
    client: tgauth.Client, dc: tgauth.TestDC, number: str, settings: Optional[tgauth.CodeSettings] = None
) -> tgauth.SentCodeResult:
    return client.send_code(number, dc.api_id, dc.api_hash, settings)


def _code(dc: tgauth.TestDC, number: str) -> str:
    codes = dc.codes(number)
    assert len(codes) == 1
    return str(codes[0]["code"])


def test_sms(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    sent = _send(client, dc, phone("9998801"))
    assert isinstance(sent, tgauth.SentCode)
    assert (sent.type.kind, sent.type.length, sent.next_type, sent.timeout) == ("sms", 5, "call", 60)


def test_call(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    sent = _send(client, dc, phone("9998802"))
    assert isinstance(sent, tgauth.SentCode)
    assert (sent.type.kind, sent.type.length, sent.next_type, sent.timeout) == ("call", 5, None, None)


def test_flash_call(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    number = phone("9998803")
    sent = _send(client, dc, number, tgauth.CodeSettings(allow_flashcall=True))
    assert isinstance(sent, tgauth.SentCode)
    assert sent.type.kind == "flash_call"
    assert sent.type.pattern == "+99944*****"
    assert sent.type.length is None
    assert sent.next_type == "sms"
    assert _code(dc, number).startswith("99944")
    # Without allow_flashcall, Telegram never calls: an SMS.
    plain = _send(client, dc, phone("9998803"))
    assert isinstance(plain, tgauth.SentCode) and plain.type.kind == "sms"


def test_missed_call(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    sent = _send(client, dc, phone("9998804"), tgauth.CodeSettings(allow_missed_call=True, allow_flashcall=True))
    assert isinstance(sent, tgauth.SentCode)
    assert (sent.type.kind, sent.type.prefix, sent.type.length) == ("missed_call", "+99944", 5)
    assert sent.next_type == "flash_call"


def test_email_code(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    number = phone("9998805")
    sent = _send(client, dc, number)
    assert isinstance(sent, tgauth.SentCode)
    t = sent.type
    assert (t.kind, t.length, t.email_pattern) == ("email_code", 6, "t***@example.com")
    assert t.apple_signin_allowed and t.google_signin_allowed
    assert t.reset_available_period == 7 * 24 * 3600 and t.reset_pending_date is None
    assert len(_code(dc, number)) == 6


def test_set_up_email_required(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    sent = _send(client, dc, phone("9998806"))
    assert isinstance(sent, tgauth.SentCode)
    assert sent.type.kind == "set_up_email_required"
    assert sent.type.apple_signin_allowed and sent.type.google_signin_allowed


def test_fragment_sms(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    number = phone("9998807")
    sent = _send(client, dc, number)
    assert isinstance(sent, tgauth.SentCode)
    assert (sent.type.kind, sent.type.length, sent.next_type) == ("fragment_sms", 5, "fragment_sms")
    assert sent.type.url is not None and number.lstrip("+") in sent.type.url


def test_firebase_sms_android_and_ios(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    android = _send(client, dc, phone("9998808"), tgauth.CodeSettings(allow_firebase=True))
    assert isinstance(android, tgauth.SentCode)
    assert android.type.kind == "firebase_sms" and android.type.length == 5
    assert android.type.firebase_nonce is not None and len(android.type.firebase_nonce) == 32
    assert android.type.receipt is None and android.type.push_timeout is None

    number = phone("9998808")
    ios = _send(client, dc, number, tgauth.CodeSettings(allow_firebase=True, token="apns-token", app_sandbox=True))
    assert isinstance(ios, tgauth.SentCode)
    assert ios.type.kind == "firebase_sms"
    assert ios.type.receipt == f"tgauth-receipt-{number.lstrip('+')}"
    assert ios.type.push_timeout == 30 and ios.type.firebase_nonce is None


def test_sms_word_and_phrase(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    number = phone("9998809")
    word = _send(client, dc, number)
    assert isinstance(word, tgauth.SentCode)
    assert (word.type.kind, word.type.beginning, word.type.length) == ("sms_word", "a", None)
    assert _code(dc, number).startswith("a")

    number = phone("9998810")
    phrase = _send(client, dc, number)
    assert isinstance(phrase, tgauth.SentCode)
    assert (phrase.type.kind, phrase.type.beginning) == ("sms_phrase", "apple")
    assert _code(dc, number).startswith("apple ")


def test_payment_required(dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str]) -> None:
    number = phone("9998811")
    sent = _send(client, dc, number)
    assert isinstance(sent, tgauth.SentCodePaymentRequired)
    assert sent.phone_code_hash
    assert sent.store_product == "org.telegram.telegramPremium.oneMonth"
    assert (sent.currency, sent.amount, sent.premium_days) == ("USD", 499, 30)
    assert sent.support_email_address == "login-support@example.com"
    assert sent.support_email_subject is not None and number in sent.support_email_subject


@pytest.mark.parametrize("prefix", ["999661", "9998801"])
def test_logout_token_logs_straight_in(
    dc: tgauth.TestDC, client: tgauth.Client, phone: Callable[[str], str], prefix: str
) -> None:
    number = phone(prefix)
    digits = number.lstrip("+")
    token = b"tgauth-logout:" + digits.encode()
    sent = _send(client, dc, number, tgauth.CodeSettings(logout_tokens=[b"other-token", token]))
    assert isinstance(sent, tgauth.SentCodeSuccess)
    assert sent.user_id == int(digits)
    assert not sent.sign_up_required
    assert dc.codes(number) == []
