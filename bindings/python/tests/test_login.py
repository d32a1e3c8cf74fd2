"""The rest of the login against the in-process test DC (TESTDC.md "Accounts and the rest of the
login"): sign-in after a migration, wrong codes, 2FA, sign-up, bots, resend / cancel, log-out and
back, QR login, session export, the whole ``login()``; blocking and asyncio."""

from __future__ import annotations

import asyncio
import builtins
import re
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, List, Optional

import pytest

import tgauth
from tgauth import errors

Phone = Callable[[str], str]


def digits(number: str) -> str:
    return re.sub(r"\D", "", number)


@pytest.fixture
def other(dc: tgauth.TestDC) -> Iterator[tgauth.Client]:
    """A second client of the same test DC (another device), with the app in its config (the
    first request of a client that never named its app has none to send)."""
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], api_id=dc.api_id, api_hash=dc.api_hash) as c:
        yield c


def signed_in_client(dc: tgauth.TestDC, client: tgauth.Client, number: str) -> tgauth.Authorization:
    sent = client.send_code(number, dc.api_id, dc.api_hash)
    assert isinstance(sent, tgauth.SentCode)
    return client.sign_in(number, sent.phone_code_hash, dc.last_code(number))


def assert_test_user(auth: tgauth.Authorization, number: str, first_name: str = "Test") -> None:
    assert isinstance(auth, tgauth.Authorization)
    assert auth.user is not None and not auth.sign_up_required
    assert auth.user.id == int(digits(number))
    assert auth.user.phone == digits(number)
    assert auth.user.first_name == first_name
    assert auth.user.bot is False


# --- sign-in with a code ------------------------------------------------------------------


def test_sign_in_after_a_migration(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999662")  # an account of DC 2; the client starts on DC 1
    assert client.signed_in is None
    sent = client.send_code(number, dc.api_id, dc.api_hash)
    assert isinstance(sent, tgauth.SentCode)
    code = dc.last_code(number)
    assert code == "22222"
    auth = client.sign_in(number, sent.phone_code_hash, code)
    assert_test_user(auth, number)
    assert auth.terms_of_service is None
    assert client.signed_in == tgauth.SignedIn(user_id=int(digits(number)), bot=False)
    # The hash died with the successful sign-in.
    with pytest.raises(errors.PhoneCodeExpired) as info:
        client.sign_in(number, sent.phone_code_hash, code)
    assert (info.value.code, info.value.name) == (400, "PHONE_CODE_EXPIRED")


def test_wrong_and_empty_codes(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999661")
    sent = client.send_code(number, dc.api_id, dc.api_hash)
    assert isinstance(sent, tgauth.SentCode)
    with pytest.raises(errors.PhoneCodeInvalid) as info:
        client.sign_in(number, sent.phone_code_hash, "00000")
    assert isinstance(info.value, tgauth.RpcError)
    assert (info.value.code, info.value.name, info.value.value) == (400, "PHONE_CODE_INVALID", None)
    with pytest.raises(errors.PhoneCodeEmpty):
        client.sign_in(number, sent.phone_code_hash, "")
    assert client.signed_in is None
    # A wrong code loses nothing: the right one still works.
    assert_test_user(client.sign_in(number, sent.phone_code_hash, dc.last_code(number)), number)


def test_a_hash_from_another_client_is_expired(
    dc: tgauth.TestDC, client: tgauth.Client, other: tgauth.Client, phone: Phone
) -> None:
    number = phone("999661")
    sent = client.send_code(number, dc.api_id, dc.api_hash)
    assert isinstance(sent, tgauth.SentCode)
    with pytest.raises(errors.PhoneCodeExpired):
        other.sign_in(number, sent.phone_code_hash, dc.last_code(number))


def test_two_factor_wrong_then_right_password(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999673")
    sent = client.send_code(number, dc.api_id, dc.api_hash)
    assert isinstance(sent, tgauth.SentCode)
    with pytest.raises(errors.SessionPasswordNeeded) as info:
        client.sign_in(number, sent.phone_code_hash, dc.last_code(number))
    assert (info.value.code, info.value.name) == (401, "SESSION_PASSWORD_NEEDED")
    assert client.signed_in is None
    assert client.password_info() == tgauth.PasswordInfo(has_password=True, hint="the usual one", has_recovery=False)
    with pytest.raises(errors.PasswordHashInvalid) as wrong:
        client.check_password("not the password")
    assert wrong.value.code == 400
    assert client.signed_in is None
    assert dc.password == "secret"
    auth = client.check_password(dc.password)
    assert_test_user(auth, number)
    assert client.signed_in == tgauth.SignedIn(user_id=int(digits(number)), bot=False)


def test_sign_up_a_new_number(dc: tgauth.TestDC, client: tgauth.Client, other: tgauth.Client, phone: Phone) -> None:
    number = phone("999682")
    sent = client.send_code(number, dc.api_id, dc.api_hash)
    assert isinstance(sent, tgauth.SentCode)
    assert sent.type.kind == "sms"  # no app is logged in to a number without an account
    with pytest.raises(tgauth.SignUpRequired) as info:
        client.sign_in(number, sent.phone_code_hash, dc.last_code(number))
    required = info.value
    assert isinstance(required, tgauth.Error) and not isinstance(required, tgauth.RpcError)
    assert isinstance(required.terms_of_service, str) and required.terms_of_service
    assert (required.phone_number, required.phone_code_hash) == (number, sent.phone_code_hash)
    assert client.signed_in is None
    with pytest.raises(errors.FirstnameInvalid):
        client.sign_up(number, sent.phone_code_hash, "")
    with pytest.raises(errors.FirstnameInvalid):
        client.sign_up(number, sent.phone_code_hash, "x" * 65)
    auth = client.sign_up(number, sent.phone_code_hash, "Ada", "Lovelace")
    assert_test_user(auth, number, first_name="Ada")
    assert auth.user is not None and auth.user.last_name == "Lovelace"
    # The account exists now: another device signs in without a sign-up.
    assert_test_user(signed_in_client(dc, other, number), number, first_name="Ada")


def test_bot_sign_in(dc: tgauth.TestDC, client: tgauth.Client) -> None:
    assert re.fullmatch(r"\d+:\S+", dc.bot_token)
    auth = client.sign_in_bot(dc.bot_token, dc.api_id, dc.api_hash)
    assert auth.user is not None and auth.user.bot is True
    assert auth.user.id == int(dc.bot_token.split(":")[0])
    assert client.signed_in == tgauth.SignedIn(user_id=auth.user.id, bot=True)


def test_bot_sign_in_with_the_clients_app_and_a_wrong_token(dc: tgauth.TestDC) -> None:
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], api_id=dc.api_id, api_hash=dc.api_hash) as c:
        with pytest.raises(errors.AccessTokenInvalid) as info:
            c.sign_in_bot("123456:not-the-token")
        assert (info.value.code, info.value.name) == (400, "ACCESS_TOKEN_INVALID")
        assert c.signed_in is None
        auth = c.sign_in_bot(dc.bot_token)
        assert auth.user is not None and auth.user.bot


def test_resend_then_cancel(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999661")
    sent = client.send_code(number, dc.api_id, dc.api_hash)
    assert isinstance(sent, tgauth.SentCode)
    assert (sent.type.kind, sent.next_type) == ("app", "sms")
    again = client.resend_code(number, sent.phone_code_hash)
    assert isinstance(again, tgauth.SentCode)
    assert again.type.kind == "sms"
    assert again.phone_code_hash == sent.phone_code_hash
    # Resend by each next type until there is none left.
    last: tgauth.SentCodeResult = again
    with pytest.raises(errors.SendCodeUnavailable) as info:
        for _ in range(10):
            last = client.resend_code(number, sent.phone_code_hash, reason="the code never arrived")
    assert isinstance(last, tgauth.SentCode) and last.next_type is None
    assert info.value.name == "SEND_CODE_UNAVAILABLE"
    assert client.cancel_code(number, sent.phone_code_hash) is None  # type: ignore[func-returns-value]
    with pytest.raises(errors.PhoneCodeExpired):
        client.sign_in(number, sent.phone_code_hash, dc.last_code(number))


def test_log_out_and_back_in_without_a_code(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999662")
    auth = signed_in_client(dc, client, number)
    assert auth.user is not None
    token = client.log_out()
    assert isinstance(token, bytes) and token
    assert client.signed_in is None
    codes_before = len(dc.codes(number))
    # The session kept the token: the next send_code logs straight back in.
    back = client.send_code(number, dc.api_id, dc.api_hash)
    assert isinstance(back, tgauth.SentCodeSuccess)
    assert back.user_id == auth.user.id and not back.sign_up_required
    assert client.signed_in == tgauth.SignedIn(user_id=auth.user.id, bot=False)
    assert len(dc.codes(number)) == codes_before  # no code was sent


def test_the_future_auth_token_on_another_device(
    dc: tgauth.TestDC, client: tgauth.Client, other: tgauth.Client, phone: Phone
) -> None:
    number = phone("999661")
    auth = signed_in_client(dc, client, number)
    token = client.log_out()
    assert token
    back = other.send_code(number, dc.api_id, dc.api_hash, tgauth.CodeSettings(logout_tokens=[token]))
    assert isinstance(back, tgauth.SentCodeSuccess)
    assert auth.user is not None and back.user_id == auth.user.id
    assert other.signed_in is not None and other.signed_in.user_id == auth.user.id


def test_a_logged_out_client_cannot_accept_a_login(
    dc: tgauth.TestDC, client: tgauth.Client, other: tgauth.Client, phone: Phone
) -> None:
    signed_in_client(dc, client, phone("999661"))
    client.log_out()
    qr = other.qr_login(dc.api_id, dc.api_hash)
    try:
        with pytest.raises(errors.AuthKeyUnregistered) as info:
            client.accept_login_token(qr.url)
        assert info.value.code == 401
    finally:
        qr.cancel()
    with pytest.raises(tgauth.CancelledError):
        qr.wait()


# --- QR login -----------------------------------------------------------------------------


def test_qr_login_approved_by_another_signed_in_client(
    dc: tgauth.TestDC, client: tgauth.Client, other: tgauth.Client, phone: Phone
) -> None:
    number = phone("999662")  # the approving account lives on DC 2: the import migrates
    approver = signed_in_client(dc, other, number)
    urls: List[str] = []
    threads: List[threading.Thread] = []

    def on_token(url: str) -> None:
        urls.append(url)
        threads.append(threading.current_thread())

    qr = client.qr_login(dc.api_id, dc.api_hash, on_token=on_token)
    assert qr.url.startswith("tg://login?token=")
    assert urls == [qr.url] and threads == [threading.current_thread()]
    assert qr.expires is not None and qr.expires > datetime.now(timezone.utc)
    assert not qr.done
    other.accept_login_token(qr.url)
    auth = qr.wait(timeout=10)
    assert qr.done
    assert_test_user(auth, number)
    assert approver.user is not None and auth.user is not None and auth.user.id == approver.user.id
    assert client.signed_in == tgauth.SignedIn(user_id=int(digits(number)), bot=False)
    # The same token again: already accepted.
    with pytest.raises(errors.AuthTokenAlreadyAccepted):
        other.accept_login_token(qr.url)


def test_qr_login_approved_through_the_test_dc(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999661")
    qr = client.qr_login(dc.api_id, dc.api_hash)
    dc.accept_login_token(qr.url, number)
    auth = qr.wait(timeout=10)
    assert_test_user(auth, number)
    assert client.signed_in == tgauth.SignedIn(user_id=int(digits(number)), bot=False)
    assert qr.wait() == auth  # the outcome stays


def test_qr_login_of_a_two_factor_account(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999672")
    with client.qr_login(dc.api_id, dc.api_hash) as qr:
        dc.accept_login_token(qr.url, number)
        with pytest.raises(errors.SessionPasswordNeeded):
            qr.wait(timeout=10)
    assert client.signed_in is None
    assert_test_user(client.check_password(dc.password), number)


def test_qr_login_times_out(dc: tgauth.TestDC, client: tgauth.Client) -> None:
    qr = client.qr_login(dc.api_id, dc.api_hash)
    started = time.monotonic()
    with pytest.raises(tgauth.TimeoutError) as info:
        qr.wait(timeout=1.0)
    assert isinstance(info.value, builtins.TimeoutError)
    assert 0.9 <= time.monotonic() - started < 5
    assert qr.done
    with pytest.raises(tgauth.TimeoutError):
        qr.wait()
    assert client.signed_in is None


def test_accepting_bad_tokens(dc: tgauth.TestDC, client: tgauth.Client, other: tgauth.Client, phone: Phone) -> None:
    signed_in_client(dc, other, phone("999661"))
    with pytest.raises(errors.AuthTokenInvalid) as info:
        other.accept_login_token("tg://login?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert info.value.code == 400
    with pytest.raises(tgauth.InvalidArgumentError):
        other.accept_login_token("not a token!")
    qr = client.qr_login(dc.api_id, dc.api_hash)
    other.accept_login_token(qr.url)
    with pytest.raises(errors.AuthTokenAlreadyAccepted) as info:
        other.accept_login_token(qr.url)
    assert (info.value.code, info.value.name) == (400, "AUTH_TOKEN_ALREADY_ACCEPTED")
    qr.wait(timeout=10)
    with pytest.raises(tgauth.InvalidArgumentError):
        dc.accept_login_token("tg://login?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", phone("999661"))


# --- sessions -----------------------------------------------------------------------------


def test_export_session(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    with pytest.raises(tgauth.SessionError):
        client.export_session("telethon")  # no auth key yet
    with pytest.raises(tgauth.SessionError):
        client.export_session("pyrogram")
    number = phone("999662")
    signed_in_client(dc, client, number)
    telethon = client.export_session("telethon")
    assert telethon.startswith("1") and len(telethon) > 300
    gramjs = client.export_session("gramjs")
    assert gramjs.startswith("1") and gramjs != telethon
    assert client.export_session() == telethon
    # Pyrogram's string carries the user and the app, mtcute's the user: they differ.
    pyrogram = client.export_session("pyrogram")
    mtcute = client.export_session("mtcute")
    assert len(pyrogram) > 300 and len(mtcute) > 300 and pyrogram != mtcute
    with pytest.raises(ValueError, match="format"):
        client.export_session("tdlib")  # type: ignore[arg-type]
    # Another client starts from the string: same DC and key, so no new handshake is needed.
    created = dc.stats()["auth_keys_created"]
    with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], session_string=telethon) as again:
        assert isinstance(again.send_code(phone("999662"), dc.api_id, dc.api_hash), tgauth.SentCode)
    assert dc.stats()["auth_keys_created"] == created


def test_checked_arguments_and_a_closed_client(dc: tgauth.TestDC, phone: Phone) -> None:
    client = tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key])
    with pytest.raises(TypeError):
        client.sign_in(12345, "hash", "11111")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.check_password("a\0b")
    with pytest.raises(ValueError, match="no app"):
        client.sign_in_bot(dc.bot_token)
    with pytest.raises(ValueError, match="together"):
        client.qr_login(dc.api_id)
    with pytest.raises(TypeError):
        client.qr_login(dc.api_id, dc.api_hash, on_token="nope")  # type: ignore[arg-type]
    client.close()
    with pytest.raises(ValueError, match="closed"):
        client.sign_in(phone("999661"), "hash", "11111")
    with pytest.raises(ValueError, match="closed"):
        client.signed_in
    with pytest.raises(ValueError, match="closed"):
        client.export_session()


def test_closing_the_client_cancels_a_qr_login(dc: tgauth.TestDC) -> None:
    client = tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key])
    qr = client.qr_login(dc.api_id, dc.api_hash)
    client.close()
    with pytest.raises(tgauth.CancelledError):
        qr.wait(timeout=10)


# --- asyncio ------------------------------------------------------------------------------


def test_async_two_factor_sign_in(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999673")

    async def main() -> tgauth.Authorization:
        sent = await client.send_code_async(number, dc.api_id, dc.api_hash)
        assert isinstance(sent, tgauth.SentCode)
        with pytest.raises(errors.PhoneCodeInvalid):
            await client.sign_in_async(number, sent.phone_code_hash, "00000")
        with pytest.raises(errors.SessionPasswordNeeded):
            await client.sign_in_async(number, sent.phone_code_hash, dc.last_code(number))
        info = await client.password_info_async()
        assert info.hint == "the usual one"
        with pytest.raises(errors.PasswordHashInvalid):
            await client.check_password_async("wrong")
        return await client.check_password_async(dc.password)

    assert_test_user(asyncio.run(main()), number)


def test_async_sign_up_bot_resend_cancel_and_log_out(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999681")
    other_number = phone("999661")

    async def main() -> None:
        sent = await client.send_code_async(number, dc.api_id, dc.api_hash)
        assert isinstance(sent, tgauth.SentCode)
        with pytest.raises(tgauth.SignUpRequired):
            await client.sign_in_async(number, sent.phone_code_hash, dc.last_code(number))
        auth = await client.sign_up_async(number, sent.phone_code_hash, "Grace")
        assert_test_user(auth, number, first_name="Grace")
        token = await client.log_out_async()
        assert token
        assert client.signed_in is None

        sent = await client.send_code_async(other_number, dc.api_id, dc.api_hash)
        assert isinstance(sent, tgauth.SentCode)
        again = await client.resend_code_async(other_number, sent.phone_code_hash)
        assert isinstance(again, tgauth.SentCode) and again.type.kind == "sms"
        await client.cancel_code_async(other_number, sent.phone_code_hash)
        with pytest.raises(errors.PhoneCodeExpired):
            await client.sign_in_async(other_number, sent.phone_code_hash, dc.last_code(other_number))

        bot = await client.sign_in_bot_async(dc.bot_token, dc.api_id, dc.api_hash)
        assert bot.user is not None and bot.user.bot

    asyncio.run(main())


def test_async_qr_login_approved(dc: tgauth.TestDC, client: tgauth.Client, other: tgauth.Client, phone: Phone) -> None:
    number = phone("999661")
    signed_in_client(dc, other, number)

    async def main() -> tgauth.Authorization:
        loop_thread = threading.current_thread()
        seen: List[str] = []

        async def on_token(url: str) -> None:
            assert threading.current_thread() is loop_thread
            seen.append(url)

        qr = await client.qr_login_async(dc.api_id, dc.api_hash, on_token=on_token)
        assert qr.url.startswith("tg://login?token=")
        await asyncio.sleep(0)  # the on_token task runs
        assert seen == [qr.url]
        await other.accept_login_token_async(qr.url)
        return await qr.wait(timeout=10)

    assert_test_user(asyncio.run(main()), number)


def test_cancelling_a_pending_qr_wait_cancels_the_login(dc: tgauth.TestDC, client: tgauth.Client) -> None:
    async def main() -> None:
        qr = await client.qr_login_async(dc.api_id, dc.api_hash)
        task = asyncio.ensure_future(qr.wait(timeout=30))
        await asyncio.sleep(0.2)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The library answers the cancellation: the login is over.
        for _ in range(100):
            if qr.done:
                break
            await asyncio.sleep(0.02)
        assert qr.done
        with pytest.raises(tgauth.CancelledError):
            await qr.wait()

    asyncio.run(main())


def test_async_qr_timeout_and_two_factor(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999671")

    async def main() -> tgauth.Authorization:
        qr = await client.qr_login_async(dc.api_id, dc.api_hash)
        with pytest.raises(tgauth.TimeoutError):
            await qr.wait(timeout=0.5)
        qr = await client.qr_login_async(dc.api_id, dc.api_hash)
        dc.accept_login_token(qr.url, number)
        with pytest.raises(errors.SessionPasswordNeeded):
            await qr.wait(timeout=10)
        return await client.check_password_async(dc.password)

    assert_test_user(asyncio.run(main()), number)


# --- login() ------------------------------------------------------------------------------


def test_login_with_a_first_wrong_code(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999662")
    asked: List[tgauth.SentCode] = []

    def code(sent: tgauth.SentCode) -> str:
        asked.append(sent)
        return "00000" if len(asked) == 1 else dc.last_code(number)

    auth = client.login(number, dc.api_id, dc.api_hash, code=code, password=lambda hint: pytest.fail("no 2FA"))
    assert_test_user(auth, number)
    assert len(asked) == 2 and asked[0] is asked[1] and asked[0].type.kind == "app"


def test_login_gives_up_after_three_wrong_codes(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999661")
    asked: List[tgauth.SentCode] = []

    def code(sent: tgauth.SentCode) -> str:
        asked.append(sent)
        return "00000"

    with pytest.raises(errors.PhoneCodeInvalid):
        client.login(number, dc.api_id, dc.api_hash, code=code)
    assert len(asked) == 3
    assert client.signed_in is None


def test_login_two_factor_with_a_wrong_password_first(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999672")
    hints: List[Optional[str]] = []

    def password(hint: Optional[str]) -> str:
        hints.append(hint)
        return "wrong" if len(hints) == 1 else dc.password

    auth = client.login(number, dc.api_id, dc.api_hash, code=lambda sent: dc.last_code(number), password=password)
    assert_test_user(auth, number)
    assert hints == ["the usual one", "the usual one"]


def test_login_two_factor_without_a_password_function(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999672")
    with pytest.raises(errors.SessionPasswordNeeded):
        client.login(number, dc.api_id, dc.api_hash, code=lambda sent: dc.last_code(number))


def test_login_signs_up_with_names_or_raises(
    dc: tgauth.TestDC, client: tgauth.Client, other: tgauth.Client, phone: Phone
) -> None:
    number = phone("999683")
    with pytest.raises(tgauth.SignUpRequired) as info:
        client.login(number, dc.api_id, dc.api_hash, code=lambda sent: dc.last_code(number))
    assert info.value.terms_of_service
    auth = other.login(
        number, dc.api_id, dc.api_hash, code=lambda sent: dc.last_code(number), first_name="Alan", last_name="Turing"
    )
    assert_test_user(auth, number, first_name="Alan")
    assert auth.user is not None and auth.user.last_name == "Turing"


def test_login_with_coroutine_functions_in_sync_code(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999671")

    async def code(sent: tgauth.SentCode) -> str:
        await asyncio.sleep(0)
        return dc.last_code(number)

    async def password(hint: Optional[str]) -> str:
        return dc.password

    assert_test_user(client.login(number, dc.api_id, dc.api_hash, code=code, password=password), number)


def test_login_async_with_plain_and_coroutine_functions(dc: tgauth.TestDC, phone: Phone) -> None:
    first, second = phone("999662"), phone("999673")
    asked: List[str] = []

    async def code(sent: tgauth.SentCode) -> str:
        asked.append("code")
        return "00000" if len(asked) == 1 else dc.last_code(second)

    async def main() -> None:
        with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], api_id=dc.api_id, api_hash=dc.api_hash) as c:
            auth = await c.login_async(first, code=lambda sent: dc.last_code(first))
            assert_test_user(auth, first)
        with tgauth.Client(dcs=dc.dcs, rsa_keys=[dc.rsa_public_key]) as c:
            auth = await c.login_async(second, dc.api_id, dc.api_hash, code=code, password=lambda hint: dc.password)
            assert_test_user(auth, second)

    asyncio.run(main())
    assert asked == ["code", "code"]


def test_login_after_log_out_needs_no_code(dc: tgauth.TestDC, client: tgauth.Client, phone: Phone) -> None:
    number = phone("999661")
    auth = client.login(number, dc.api_id, dc.api_hash, code=lambda sent: dc.last_code(number))
    client.log_out()

    def no_code(sent: Any) -> str:
        raise AssertionError("a code was asked for")

    back = client.login(number, dc.api_id, dc.api_hash, code=no_code)
    assert auth.user is not None and back.user is not None and back.user.id == auth.user.id
    assert back.future_auth_token is None or isinstance(back.future_auth_token, bytes)
    assert client.signed_in is not None
