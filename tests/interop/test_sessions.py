"""Sessions that travel: tgauth signs in and hands the session to another library, and takes
one back.

Against tgauth-testdc, with each library as published and through its public API:

- a session tgauth signed in, exported as Telethon's StringSession, is used by Telethon;
- the same as Kurigram's (Pyrogram's) session string is used by Kurigram, whose table of
  Telegram's DCs is pointed at the test DC (its string holds no address);
- a session Telethon signed in is imported by tgauth, which asks the test DC who it is;
- an IPv6 StringSession from Telethon survives tgauth's import and export byte for byte.

tgauth's side is the `sessions` example (examples/rust/sessions.rs): `$TGAUTH_SESSIONS`, or
`target/debug/examples/sessions` under the repository root (run.sh builds it).
"""

import asyncio
import json
import os
import subprocess
from pathlib import Path

import pytest
from telethon import TelegramClient, functions
from telethon.crypto import AuthKey
from telethon.sessions import StringSession

from test_telethon import CALL_TIMEOUT, REPO, LocalDC, home_number, invoke, run

# Each DC on a loopback address of its own, as Telegram lays its DCs out (--dc).
PLACES = ["--dc", "1=127.0.0.1:0", "--dc", "2=127.0.0.2:0", "--dc", "3=127.0.0.3:0"]


def sessions_tool():
    configured = os.environ.get("TGAUTH_SESSIONS")
    path = Path(configured) if configured else REPO / "target" / "debug" / "examples" / "sessions"
    if not path.is_absolute():
        path = REPO / path
    if not path.is_file():
        pytest.fail(
            f"the sessions example is not at {path}: build it (cargo build --example "
            "sessions) or set TGAUTH_SESSIONS"
        )
    return path


def tgauth(*args):
    """Runs the sessions example; returns its one line of output."""
    done = subprocess.run(
        [str(sessions_tool()), *args],
        capture_output=True,
        text=True,
        timeout=CALL_TIMEOUT,
    )
    assert done.returncode == 0, f"sessions {args[0]} failed: {done.stderr}"
    return done.stdout.strip()


def digits(phone):
    return int("".join(c for c in phone if c.isdigit()))


@pytest.fixture(scope="module")
def testdc():
    dc = LocalDC(*PLACES)
    try:
        yield dc
    finally:
        dc.stop()


def ready(dc):
    return dc.ready_line.decode()


def test_the_dcs_listen_where_placed_and_get_config_says_so(testdc):
    hosts = {dc_id: host for dc_id, (host, _) in testdc.dcs.items()}
    assert hosts == {1: "127.0.0.1", 2: "127.0.0.2", 3: "127.0.0.3"}
    [config] = invoke(testdc.client(1), functions.help.GetConfigRequest())
    listed = {o.id: (o.ip_address, o.port) for o in config.dc_options if not o.ipv6}
    assert listed == testdc.dcs


def test_a_session_tgauth_signed_in_is_used_by_telethon(testdc):
    phone = home_number(2)
    session = tgauth("login", ready(testdc), phone, "telethon")
    client = TelegramClient(StringSession(session), testdc.api_id, testdc.api_hash, timeout=10)
    # Telethon reads the DC and its address from the string itself.
    assert client.session.dc_id == 2
    assert (client.session.server_address, client.session.port) == testdc.dcs[2]

    async def conversation():
        await client.connect()
        try:
            assert await client.is_user_authorized()
            return await client.get_me()
        finally:
            await client.disconnect()

    me = run(conversation)
    assert me.id == digits(phone)
    assert me.phone == str(digits(phone))


def test_a_session_tgauth_signed_in_is_used_by_kurigram(testdc, monkeypatch):
    from pyrogram import Client
    from pyrogram.storage import sqlite_storage

    phone = home_number(3)
    session = tgauth("login", ready(testdc), phone, "pyrogram")
    # Kurigram's string holds no address: it takes the DC's from its own table of Telegram's
    # DCs, with a fixed port. Point that table (addresses and port) at the test DC.
    prod = {dc_id: host for dc_id, (host, _) in testdc.dcs.items()}
    monkeypatch.setattr(sqlite_storage, "PROD", prod)
    opened = sqlite_storage.SQLiteStorage.open

    async def open_at_the_test_dc(self):
        await opened(self)
        dc_id = await self.dc_id()
        assert await self.server_address() == prod[dc_id]
        await self.port(testdc.dcs[dc_id][1])

    monkeypatch.setattr(sqlite_storage.SQLiteStorage, "open", open_at_the_test_dc)
    # No api_id or api_hash given: the string carries the api_id.
    client = Client("tgauth", session_string=session, in_memory=True, no_updates=True)

    async def conversation():
        await client.connect()
        try:
            assert await client.storage.user_id() == digits(phone)
            assert await client.storage.api_id() == testdc.api_id
            return await client.get_me()
        finally:
            await client.disconnect()

    me = run(conversation)
    assert me.id == digits(phone)
    assert not me.is_bot


def test_a_session_telethon_signed_in_is_imported_by_tgauth(testdc):
    phone = home_number(2)
    client = testdc.client(2)

    async def conversation():
        await client.connect()
        try:
            sent = await client.send_code_request(phone)
            # The test DC's code for 99966X...: X five times.
            await client.sign_in(phone, "2" * 5, phone_code_hash=sent.phone_code_hash)
            return client.session.save()
        finally:
            await client.disconnect()

    session = run(conversation)
    me = json.loads(tgauth("me", ready(testdc), session))
    assert me == {"id": digits(phone), "bot": False, "phone": str(digits(phone))}


def test_an_mtcute_session_tgauth_exported_is_imported_by_tgauth(testdc):
    # mtcute's string carries the address and the user; a new tgauth client goes on with it.
    phone = home_number(1)
    mtcute = tgauth("login", ready(testdc), phone, "mtcute")
    me = json.loads(tgauth("me", ready(testdc), mtcute))
    assert me["id"] == digits(phone)


def test_telethon_ipv6_string_session_round_trips_through_tgauth():
    # Telethon writes an IPv6 address as 16 bytes (">B16sH256s"); tgauth reads it and writes
    # the same string back, and Telethon reads that.
    key = bytes(range(256))
    original = StringSession()
    original.set_dc(2, "::1", 4430)
    original.auth_key = AuthKey(key)
    text = original.save()
    back = tgauth("convert", text, "telethon")
    assert back == text
    again = StringSession(back)
    assert (again.dc_id, again.server_address, again.port) == (2, "::1", 4430)
    assert again.auth_key.key == key
