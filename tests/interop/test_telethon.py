"""Interoperability: an unmodified Telethon (from PyPI) against tgauth-testdc.

The test DC claims to speak MTProto 2.0 the way Telegram's own data centers do. These tests
hold it to that with an independent client that is known to work against Telegram: Telethon
is used as published, through its public API only, given nothing but the addresses and the
RSA public key that the test DC prints on its ready line.

The test DC binary is `$TGAUTH_TESTDC`, or `target/debug/tgauth-testdc` under the repository
root. `tests/interop/run.sh` sets everything up and runs these tests.
"""

import asyncio
import hashlib
import itertools
import json
import os
import queue
import re
import signal
import struct
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
import rsa
from telethon import TelegramClient, errors, functions, types
from telethon.crypto import rsa as telethon_rsa
from telethon.network import (
    ConnectionTcpAbridged,
    ConnectionTcpFull,
    ConnectionTcpIntermediate,
    ConnectionTcpObfuscated,
)
from telethon.network.connection.connection import ObfuscatedConnection
from telethon.network.connection.tcpintermediate import IntermediatePacketCodec
from telethon.network.connection.tcpobfuscated import ObfuscatedIO
from telethon.sessions import StringSession

REPO = Path(__file__).resolve().parents[2]
DCS = 3
# A debug build makes its RSA-2048 key at start; give it time on a busy machine.
READY_TIMEOUT = 120
STOP_TIMEOUT = 20
# Each test's whole client conversation (handshake included) must fit in this.
CALL_TIMEOUT = 30

# Every test uses numbers of its own, so the code limit (5 per number per hour, across DCs,
# for the life of one test DC) is never reached by accident.
_serial = itertools.count(1)


def home_number(dc_id):
    """A fresh `99966XYYYY` number: it belongs to DC `dc_id`."""
    return f"+99966{dc_id}{next(_serial):04d}"


def reserved_number(prefix):
    """A fresh number in a reserved block such as `9997701...`."""
    return f"+{prefix}{next(_serial):04d}"


def find_testdc_binary():
    configured = os.environ.get("TGAUTH_TESTDC")
    path = Path(configured) if configured else REPO / "target" / "debug" / "tgauth-testdc"
    if not path.is_absolute():
        path = REPO / path
    if not path.is_file():
        pytest.fail(
            f"tgauth-testdc not found at {path}: build it (cargo build --bin tgauth-testdc) "
            "or set TGAUTH_TESTDC"
        )
    return path


class LocalDC:
    """One `tgauth-testdc` process: started, its ready line read, stopped with SIGTERM."""

    def __init__(self, *args):
        self.args = [str(find_testdc_binary()), "--dcs", str(DCS), *args]
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        lines = queue.Queue()
        threading.Thread(
            target=lambda: lines.put(self.proc.stdout.readline()), daemon=True
        ).start()
        try:
            line = lines.get(timeout=READY_TIMEOUT)
        except queue.Empty:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"no ready line within {READY_TIMEOUT} s{self.log()}")
        if not line:
            self.proc.wait()
            pytest.fail(f"exited ({self.proc.returncode}) before its ready line{self.log()}")
        self.ready_line = line
        self.info = json.loads(line)
        self.api_id = self.info["api_id"]
        self.api_hash = self.info["api_hash"]
        self.dcs = {dc["id"]: (dc["host"], dc["port"]) for dc in self.info["dcs"]}
        # The key exactly as Telethon takes a key it was not shipped with. `old=False`: the
        # RSA_PAD scheme of current Telegram servers.
        telethon_rsa.add_key(self.info["rsa_public_key"], old=False)

    def log(self):
        self.stderr.seek(0)
        text = self.stderr.read().decode(errors="replace")
        return f"\n--- tgauth-testdc stderr ---\n{text[-4000:]}" if text else ""

    def stop(self):
        """SIGTERM; the process must exit 0 and have printed nothing after its ready line."""
        assert self.proc.poll() is None, (
            f"tgauth-testdc died early with {self.proc.returncode}{self.log()}"
        )
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"tgauth-testdc ignored SIGTERM for {STOP_TIMEOUT} s{self.log()}")
        rest = self.proc.stdout.read()
        self.proc.stdout.close()
        assert rc == 0, f"tgauth-testdc exited {rc} on SIGTERM{self.log()}"
        assert rest == b"", f"more than one line on stdout: {rest[:200]!r}"

    def client(self, dc_id, connection=ConnectionTcpFull, *, api_id=None, api_hash=None, **kw):
        """A Telethon client with an empty session pointed at DC `dc_id` of this test DC."""
        kw.setdefault("timeout", 10)
        # Raise FLOOD_WAIT instead of sleeping through it.
        kw.setdefault("flood_sleep_threshold", 0)
        client = TelegramClient(
            StringSession(),
            api_id if api_id is not None else self.api_id,
            api_hash if api_hash is not None else self.api_hash,
            connection=connection,
            **kw,
        )
        host, port = self.dcs[dc_id]
        client.session.set_dc(dc_id, host, port)
        return client


@pytest.fixture(scope="module")
def testdc():
    dc = LocalDC()
    try:
        yield dc
    finally:
        dc.stop()


def run(conversation):
    """Runs one client conversation (a coroutine function) with an overall time limit."""

    async def main():
        return await asyncio.wait_for(conversation(), CALL_TIMEOUT)

    return asyncio.run(main())


def send_code(client, phone):
    """connect, auth.sendCode through Telethon's own send_code_request, disconnect."""

    async def conversation():
        await client.connect()
        try:
            return await client.send_code_request(phone)
        finally:
            await client.disconnect()

    return run(conversation)


def invoke(client, *requests):
    """connect, the raw requests one after another, disconnect; returns their results."""

    async def conversation():
        await client.connect()
        try:
            return [await client(request) for request in requests]
        finally:
            await client.disconnect()

    return run(conversation)


def assert_default_sent_code(sent):
    """The documented default answer for a `99966XYYYY` number on its own DC."""
    assert isinstance(sent, types.auth.SentCode), sent
    assert isinstance(sent.type, types.auth.SentCodeTypeApp), sent.type
    assert sent.type.length == 5
    assert isinstance(sent.next_type, types.auth.CodeTypeSms), sent.next_type
    assert sent.timeout == 60
    assert sent.phone_code_hash
    assert re.fullmatch(r"[0-9a-f]{32}", sent.phone_code_hash), sent.phone_code_hash


# Obfuscated2 over intermediate framing (as tdlib connects), put together from Telethon's own
# public classes exactly as its ConnectionTcpObfuscated puts together obfuscation and abridged
# framing.
#
# Obfuscated padded intermediate (0xdddddddd) is not tested with Telethon: its
# RandomizedIntermediatePacketCodec exists for MTProto proxies and strips only `len % 4`
# bytes of padding from what it receives, while the transport allows 0 to 15 bytes of padding
# (tdlib sends and accepts 0 to 15, and so does the test DC).
class ObfuscatedIntermediate(ObfuscatedConnection):
    obfuscated_io = ObfuscatedIO
    packet_codec = IntermediatePacketCodec


CONNECTIONS = [
    ConnectionTcpFull,
    ConnectionTcpIntermediate,
    ConnectionTcpAbridged,
    ConnectionTcpObfuscated,
]


# --- the ready line ---------------------------------------------------------------------


def tl_bytes(data):
    """TL `bytes` serialisation (as the key fingerprint is defined over)."""
    if len(data) < 254:
        out = bytes([len(data)]) + data
    else:
        out = b"\xfe" + len(data).to_bytes(3, "little") + data
    return out + b"\0" * (-len(out) % 4)


def test_ready_line_describes_the_dcs_and_the_key(testdc):
    info = testdc.info
    assert testdc.ready_line.endswith(b"\n") and testdc.ready_line.count(b"\n") == 1
    assert sorted(testdc.dcs) == list(range(1, DCS + 1))
    assert all(host == "127.0.0.1" and 0 < port < 65536 for host, port in testdc.dcs.values())
    assert len(set(testdc.dcs.values())) == DCS
    assert isinstance(info["api_id"], int) and info["api_id"] > 0
    assert re.fullmatch(r"[0-9a-f]{32}", info["api_hash"])
    # PKCS#1 PEM, as Telegram publishes its keys; the fingerprint is the lower 64 bits of
    # SHA1(n as TL bytes + e as TL bytes), read as a signed little-endian integer.
    pem = info["rsa_public_key"]
    assert pem.startswith("-----BEGIN RSA PUBLIC KEY-----\n")
    assert pem.endswith("-----END RSA PUBLIC KEY-----\n")
    key = rsa.PublicKey.load_pkcs1(pem.encode())
    assert key.n.bit_length() == 2048
    n = key.n.to_bytes(256, "big")
    e = key.e.to_bytes((key.e.bit_length() + 7) // 8, "big")
    digest = hashlib.sha1(tl_bytes(n) + tl_bytes(e)).digest()
    assert struct.unpack("<q", digest[-8:])[0] == info["fingerprint"]


# --- every transport: a login code on each DC -------------------------------------------


@pytest.mark.parametrize("dc_id", range(1, DCS + 1))
@pytest.mark.parametrize("connection", CONNECTIONS, ids=lambda c: c.__name__)
def test_send_code_over_each_transport(testdc, connection, dc_id):
    client = testdc.client(dc_id, connection)
    sent = send_code(client, home_number(dc_id))
    assert_default_sent_code(sent)
    assert client.session.dc_id == dc_id  # no migration for a number on its own DC


@pytest.mark.parametrize("dc_id", range(1, DCS + 1))
def test_send_code_over_obfuscated_intermediate(testdc, dc_id):
    client = testdc.client(dc_id, ObfuscatedIntermediate)
    assert_default_sent_code(send_code(client, home_number(dc_id)))


def test_send_code_without_updates(testdc):
    # receive_updates=False wraps every call in invokeWithoutUpdates.
    client = testdc.client(1, receive_updates=False)
    assert_default_sent_code(send_code(client, home_number(1)))


def test_several_calls_on_one_connection(testdc):
    client = testdc.client(3, ConnectionTcpAbridged)

    async def conversation():
        await client.connect()
        try:
            first = await client.send_code_request(home_number(3))
            second = await client.send_code_request(home_number(3))
            return first, second
        finally:
            await client.disconnect()

    first, second = run(conversation)
    assert_default_sent_code(first)
    assert_default_sent_code(second)
    assert first.phone_code_hash != second.phone_code_hash


# --- service messages and help.getConfig ------------------------------------------------


def test_help_get_config_lists_this_servers_dcs(testdc):
    client = testdc.client(3)
    (config,) = invoke(client, functions.help.GetConfigRequest())
    assert isinstance(config, types.Config)
    assert config.this_dc == 3
    options = {
        (o.id, o.ip_address, o.port)
        for o in config.dc_options
        if not o.ipv6 and not o.cdn and not o.media_only
    }
    assert options == {(dc_id, host, port) for dc_id, (host, port) in testdc.dcs.items()}


def test_ping_and_future_salts(testdc):
    client = testdc.client(1, ConnectionTcpIntermediate)
    pong, salts = invoke(
        client,
        functions.PingRequest(ping_id=0x1234_5678_9ABC),
        functions.GetFutureSaltsRequest(num=3),
    )
    assert isinstance(pong, types.Pong) and pong.ping_id == 0x1234_5678_9ABC
    assert isinstance(salts, types.FutureSalts)
    assert len(salts.salts) == 3
    assert all(s.valid_since < s.valid_until for s in salts.salts)


# --- migration --------------------------------------------------------------------------


@pytest.mark.parametrize("start, home", [(1, 2), (3, 1), (2, 3)])
def test_phone_migrate_is_followed(testdc, start, home):
    # Telethon's send_code_request gets 303 PHONE_MIGRATE_<home>, looks the DC up with
    # help.getConfig, makes a new auth key there and asks again.
    client = testdc.client(start)
    sent = send_code(client, home_number(home))
    assert_default_sent_code(sent)
    assert client.session.dc_id == home
    assert (client.session.server_address, client.session.port) == testdc.dcs[home]


def test_any_other_number_is_homed_on_dc_2(testdc):
    client = testdc.client(1, ConnectionTcpObfuscated)
    sent = send_code(client, f"+1 (555) 01{next(_serial):05d}")
    assert_default_sent_code(sent)
    assert client.session.dc_id == 2


def test_network_migrate_is_followed(testdc):
    client = testdc.client(1)
    sent = send_code(client, reserved_number("9997710"))
    assert isinstance(sent, types.auth.SentCode)
    assert client.session.dc_id == DCS  # the last DC


# --- reserved numbers: Telethon's documented error classes ------------------------------


@pytest.mark.parametrize(
    "prefix, error",
    [
        ("9997701", errors.PhoneNumberBannedError),
        ("9997702", errors.PhoneNumberFloodError),
        ("9997703", errors.PhonePasswordFloodError),
        ("9997704", errors.PhoneNumberAppSignupForbiddenError),
        ("9997705", errors.SmsCodeCreateFailedError),
        ("9997706", errors.PhonePasswordProtectedError),
        ("9997708", errors.UpdateAppToLoginError),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_reserved_number_errors(testdc, prefix, error):
    # Reserved numbers fail the same way on every DC; ask a DC other than DC 2 (where an
    # unknown number would be homed) so a migration instead of the error would show.
    client = testdc.client(1)
    with pytest.raises(error) as raised:
        send_code(client, reserved_number(prefix))
    assert type(raised.value) is error  # found by its exact message, not a fallback class
    assert client.session.dc_id == 1


def test_flood_wait(testdc):
    client = testdc.client(3)
    with pytest.raises(errors.FloodWaitError) as raised:
        send_code(client, reserved_number("9997707"))
    assert raised.value.seconds == 2


def test_auth_restart_is_retried_by_telethon(testdc):
    # 500 AUTH_RESTART the first time in a session; Telethon asks again in the same session
    # and gets the code.
    client = testdc.client(2)
    sent = send_code(client, reserved_number("9997709"))
    assert isinstance(sent, types.auth.SentCode)
    assert isinstance(sent.type, types.auth.SentCodeTypeApp)


def test_auth_key_duplicated(testdc):
    client = testdc.client(2)
    with pytest.raises(errors.AuthKeyDuplicatedError):
        send_code(client, reserved_number("9997711"))
    # The DC forgot that key; a new client (new key) is served as before.
    assert_default_sent_code(send_code(testdc.client(2), home_number(2)))


@pytest.mark.parametrize(
    "phone", ["+123456", "+1234567890123456"], ids=["6 digits", "16 digits"]
)
def test_invalid_number_through_send_code_request(testdc, phone):
    client = testdc.client(2)
    with pytest.raises(errors.PhoneNumberInvalidError):
        send_code(client, phone)


@pytest.mark.parametrize(
    "phone", ["+12ab", "+99966\t21234", "+９９９６６２１２３４"], ids=["letters", "tab", "fullwidth"]
)
def test_invalid_number_raw(testdc, phone):
    # Telethon's send_code_request cleans the number itself (it drops whitespace and refuses
    # letters), so these go as a raw auth.sendCode.
    client = testdc.client(2)
    request = functions.auth.SendCodeRequest(
        phone, testdc.api_id, testdc.api_hash, types.CodeSettings()
    )
    with pytest.raises(errors.PhoneNumberInvalidError):
        invoke(client, request)


# --- the app ----------------------------------------------------------------------------


def test_wrong_api_hash(testdc):
    wrong = "0" * 32 if testdc.api_hash != "0" * 32 else "1" * 32
    client = testdc.client(2, api_hash=wrong)
    with pytest.raises(errors.ApiIdInvalidError):
        send_code(client, home_number(2))


def test_unregistered_api_id(testdc):
    client = testdc.client(2, api_id=testdc.api_id + 1)
    with pytest.raises(errors.ApiIdInvalidError):
        send_code(client, home_number(2))


def test_app_is_checked_before_the_number(testdc):
    client = testdc.client(2, api_hash="f" * 32 if testdc.api_hash != "f" * 32 else "e" * 32)
    with pytest.raises(errors.ApiIdInvalidError):
        send_code(client, "+123")


def test_published_app():
    api_id, api_hash = 424242, "0123456789abcdef0123456789abcdef"
    dc = LocalDC("--published-app", f"{api_id}:{api_hash}")
    try:
        client = dc.client(2, api_id=api_id, api_hash=api_hash)
        with pytest.raises(errors.ApiIdPublishedFloodError):
            send_code(client, home_number(2))
        # The default app of the same server still works.
        assert_default_sent_code(send_code(dc.client(2), home_number(2)))
    finally:
        dc.stop()


# The rest of the login: accounts, sign-in, two-step verification, bots, log-out and QR login
# (the table "Accounts and the rest of the login" of the test DC's behaviour).


def password_number(dc_id):
    """A fresh `99967XYYYY` number: an account on DC `dc_id` with the cloud password."""
    return f"+99967{dc_id}{next(_serial):04d}"


def digits(phone):
    return re.sub(r"\D", "", phone)


def code_for(phone):
    """The login code of a 99966X/99967X number: X five times."""
    return digits(phone)[5] * 5


def test_ready_line_has_the_password_and_the_bot_token(testdc):
    assert testdc.info["password"] == "secret"
    bot_id, _, secret = testdc.info["bot_token"].partition(":")
    assert bot_id.isdigit() and secret


def test_sign_in_with_the_code(testdc):
    phone = home_number(2)
    client = testdc.client(1)

    async def conversation():
        await client.connect()
        try:
            assert not await client.is_user_authorized()
            await client.send_code_request(phone)
            with pytest.raises(errors.PhoneCodeInvalidError):
                await client.sign_in(phone, "00000")
            user = await client.sign_in(phone, code_for(phone))
            me = await client.get_me()
            authorized = await client.is_user_authorized()
            return user, me, authorized
        finally:
            await client.disconnect()

    user, me, authorized = run(conversation)
    assert client.session.dc_id == 2  # followed PHONE_MIGRATE_2
    assert authorized
    for u in (user, me):
        assert (u.id, u.phone, u.first_name, u.is_self, u.bot) == (
            int(digits(phone)), digits(phone), "Test", True, False,
        )


def test_sign_in_with_the_password_after_a_migration(testdc):
    phone = password_number(3)
    client = testdc.client(1)

    async def conversation():
        await client.connect()
        try:
            await client.send_code_request(phone)
            with pytest.raises(errors.SessionPasswordNeededError):
                await client.sign_in(phone, code_for(phone))
            with pytest.raises(errors.PasswordHashInvalidError):
                await client.sign_in(password="not the password")
            user = await client.sign_in(password=testdc.info["password"])
            return user, await client.get_me()
        finally:
            await client.disconnect()

    user, me = run(conversation)
    assert client.session.dc_id == 3
    assert user.id == me.id == int(digits(phone))


def test_sign_in_with_the_bot_token(testdc):
    client = testdc.client(1)

    async def conversation():
        await client.start(bot_token=testdc.info["bot_token"])
        try:
            return await client.get_me()
        finally:
            await client.disconnect()

    me = run(conversation)
    assert me.bot and me.is_self
    assert me.id == int(testdc.info["bot_token"].split(":")[0])
    assert client.session.dc_id == DCS  # the bot lives on the last DC


def test_wrong_bot_token(testdc):
    client = testdc.client(DCS)

    async def conversation():
        await client.connect()
        try:
            await client.sign_in(bot_token="1:wrong")
        finally:
            await client.disconnect()

    with pytest.raises(errors.AccessTokenInvalidError):
        run(conversation)


def test_log_out(testdc):
    phone = home_number(2)
    client = testdc.client(2)

    async def conversation():
        await client.connect()
        await client.send_code_request(phone)
        await client.sign_in(phone, code_for(phone))
        key = client.session.auth_key
        assert await client.log_out()
        # The same auth key afterwards: signed out.
        again = TelegramClient(StringSession(), testdc.api_id, testdc.api_hash, timeout=10)
        again.session.set_dc(2, *testdc.dcs[2])
        again.session.auth_key = key
        await again.connect()
        try:
            return await again.is_user_authorized()
        finally:
            await again.disconnect()

    assert run(conversation) is False


async def signed_in_client(testdc, phone, password=None):
    """A connected Telethon client signed in to `phone`'s account."""
    client = testdc.client(int(digits(phone)[5]))
    await client.connect()
    await client.send_code_request(phone)
    try:
        await client.sign_in(phone, code_for(phone))
    except errors.SessionPasswordNeededError:
        await client.sign_in(password=password)
    return client


def test_qr_login(testdc):
    phone = home_number(2)
    client = testdc.client(2)

    async def conversation():
        phone_client = await signed_in_client(testdc, phone)
        await client.connect()
        try:
            qr = await client.qr_login()
            assert qr.url.startswith("tg://login?token=")
            waiting = asyncio.ensure_future(qr.wait(20))
            await asyncio.sleep(0.2)
            await phone_client(functions.auth.AcceptLoginTokenRequest(qr.token))
            user = await waiting
            with pytest.raises(errors.AuthTokenAlreadyAcceptedError):
                await phone_client(functions.auth.AcceptLoginTokenRequest(qr.token))
            return user, await client.get_me()
        finally:
            await client.disconnect()
            await phone_client.disconnect()

    user, me = run(conversation)
    assert user.id == me.id == int(digits(phone))


def test_qr_login_with_the_password_after_a_migration(testdc):
    phone = password_number(3)
    client = testdc.client(1)

    async def conversation():
        phone_client = await signed_in_client(testdc, phone, testdc.info["password"])
        await client.connect()
        try:
            qr = await client.qr_login()
            waiting = asyncio.ensure_future(qr.wait(20))
            await asyncio.sleep(0.2)
            await phone_client(functions.auth.AcceptLoginTokenRequest(qr.token))
            with pytest.raises(errors.SessionPasswordNeededError):
                await waiting
            user = await client.sign_in(password=testdc.info["password"])
            return user, await client.get_me()
        finally:
            await client.disconnect()
            await phone_client.disconnect()

    user, me = run(conversation)
    assert client.session.dc_id == 3
    assert user.id == me.id == int(digits(phone))


def test_unknown_login_token(testdc):
    phone = home_number(2)

    async def conversation():
        phone_client = await signed_in_client(testdc, phone)
        try:
            await phone_client(functions.auth.AcceptLoginTokenRequest(b"\x00" * 32))
        finally:
            await phone_client.disconnect()

    with pytest.raises(errors.AuthTokenInvalidError):
        run(conversation)
