#!/usr/bin/env python3
"""Log in to Telegram from a phone number, all the way: code, cloud password, sign-up.

    python examples/python/login.py [PHONE] [--qr]

With TG_API_ID and TG_API_HASH set, it logs in to Telegram itself (production DCs; set
TG_TEST_SERVERS=1 for Telegram's test DCs): it asks for the code on the terminal and for the
cloud password without echoing it, and keeps the session in TG_SESSION (default
login.session). Without them, it starts a local test DC in-process and needs no typing: the
test DC tells the code, and knows the password of its 2FA accounts (PHONE defaults to
+9996721234, an account with a cloud password on DC 2). --qr logs in by QR code instead: the
URL to scan is printed (against the test DC, the test DC approves it as PHONE's account).
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
from contextlib import ExitStack
from typing import Callable, List, Optional

import tgauth


def main(argv: List[str]) -> int:
    logging.basicConfig(level=os.environ.get("TG_LOG_LEVEL", "WARNING").upper())
    qr = "--qr" in argv
    args = [a for a in argv if a != "--qr"]
    phone = args[0] if args else None
    test_dc: Optional[tgauth.TestDC] = None

    with ExitStack() as stack:
        code: Callable[[tgauth.SentCode], str]
        password: Callable[[Optional[str]], str]
        if os.environ.get("TG_API_ID") and os.environ.get("TG_API_HASH"):
            api_id, api_hash = int(os.environ["TG_API_ID"]), os.environ["TG_API_HASH"]
            client = stack.enter_context(
                tgauth.Client(
                    test_servers=os.environ.get("TG_TEST_SERVERS") == "1",
                    session=os.environ.get("TG_SESSION", "login.session"),
                )
            )
            if phone is None and not qr:
                phone = input("Phone number (international format): ").strip()

            def code(sent: tgauth.SentCode) -> str:
                return input(f"The code Telegram sent ({sent.type.kind}, {sent.type.length} digits): ").strip()

            def password(hint: Optional[str]) -> str:
                return getpass.getpass(f"Cloud password{f' (hint: {hint})' if hint else ''}: ")

        else:
            test_dc = stack.enter_context(tgauth.TestDC())
            print(f"started a local test DC: {test_dc.dcs}")
            api_id, api_hash = test_dc.api_id, test_dc.api_hash
            phone = phone or "+9996721234"
            client = stack.enter_context(tgauth.Client(dcs=test_dc.dcs, rsa_keys=[test_dc.rsa_public_key]))
            dc, number = test_dc, phone

            def code(sent: tgauth.SentCode) -> str:
                value = dc.last_code(number)
                print(f"code sent by {sent.type.kind}; the test DC says it is {value}")
                return value

            def password(hint: Optional[str]) -> str:
                print(f"the account has a cloud password (hint: {hint!r}); the test DC knows it")
                return dc.password

        try:
            if qr:
                auth = qr_login(client, api_id, api_hash, test_dc, phone, password)
            else:
                assert phone is not None
                auth = client.login(
                    phone, api_id, api_hash, code=code, password=password, first_name="Example", last_name="User"
                )
        except tgauth.SignUpRequired as e:
            print(f"{phone} has no account yet; terms of service: {e.terms_of_service}", file=sys.stderr)
            return 1
        except tgauth.RpcError as e:
            print(f"Telegram refused: {e.code} {e.rpc_message}: {e.message}", file=sys.stderr)
            return 1
        except tgauth.Error as e:
            print(f"failed: {type(e).__name__}: {e}", file=sys.stderr)
            return 1

        user = auth.user
        assert user is not None
        name = " ".join(part for part in (user.first_name, user.last_name) if part)
        print(f"signed in as {name or '(no name)'} (id {user.id}, phone {user.phone}, "
              f"username {user.username}, bot {user.bot})")
        print(f"session for Telethon: {client.export_session('telethon')[:24]}...")
    return 0


def qr_login(
    client: tgauth.Client,
    api_id: int,
    api_hash: str,
    test_dc: Optional[tgauth.TestDC],
    phone: Optional[str],
    password: Callable[[Optional[str]], str],
) -> tgauth.Authorization:
    with client.qr_login(api_id, api_hash, on_token=lambda url: print(f"scan this: {url}")) as qr:
        if test_dc is not None and phone is not None:
            test_dc.accept_login_token(qr.url, phone)  # as if PHONE's app scanned it
        try:
            return qr.wait(timeout=120)
        except tgauth.errors.SessionPasswordNeeded:
            pass
    # A 2FA account: the QR code was accepted; the password finishes the login.
    for attempt in range(3):
        try:
            return client.check_password(password(client.password_info().hint))
        except tgauth.errors.PasswordHashInvalid:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
