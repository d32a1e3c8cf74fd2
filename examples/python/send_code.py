#!/usr/bin/env python3
"""Send a Telegram login code and print what Telegram answered.

    python examples/python/send_code.py [PHONE]

With TG_API_ID and TG_API_HASH set, the code goes through Telegram itself (production DCs; set
TG_TEST_SERVERS=1 for Telegram's test DCs) to PHONE. Without them, a local test DC is started
in-process and the code goes to it (PHONE defaults to +9996621234, a number of its DC 2).
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import ExitStack
from typing import Optional

import tgauth


def main() -> int:
    logging.basicConfig(level=os.environ.get("TG_LOG_LEVEL", "WARNING").upper())
    phone = sys.argv[1] if len(sys.argv) > 1 else None
    test_dc: Optional[tgauth.TestDC] = None

    with ExitStack() as stack:
        if os.environ.get("TG_API_ID") and os.environ.get("TG_API_HASH"):
            if phone is None:
                print("usage: send_code.py PHONE (required with TG_API_ID / TG_API_HASH)", file=sys.stderr)
                return 2
            api_id, api_hash = int(os.environ["TG_API_ID"]), os.environ["TG_API_HASH"]
            client = stack.enter_context(tgauth.Client(test_servers=os.environ.get("TG_TEST_SERVERS") == "1"))
        else:
            test_dc = stack.enter_context(tgauth.TestDC())
            print(f"started a local test DC: {test_dc.dcs}")
            api_id, api_hash = test_dc.api_id, test_dc.api_hash
            phone = phone or "+9996621234"
            client = stack.enter_context(tgauth.Client(dcs=test_dc.dcs, rsa_keys=[test_dc.rsa_public_key]))

        try:
            sent = client.send_code(phone, api_id, api_hash, tgauth.CodeSettings(allow_app_hash=True))
        except tgauth.RpcError as e:
            print(f"Telegram refused: {e.code} {e.name} (value {e.value}): {e.message}", file=sys.stderr)
            return 1
        except tgauth.Error as e:
            print(f"failed: {type(e).__name__}: {e}", file=sys.stderr)
            return 1

        if isinstance(sent, tgauth.SentCode):
            print(f"code sent by {sent.type.kind} (length {sent.type.length}); next: {sent.next_type}, "
                  f"resend after {sent.timeout} s; phone_code_hash {sent.phone_code_hash}")
            if test_dc is not None:
                print(f"the test DC kept: {test_dc.codes(phone)}")
        elif isinstance(sent, tgauth.SentCodeSuccess):
            print(f"logged in straight away (user {sent.user_id}, sign-up required: {sent.sign_up_required})")
        else:
            print(f"payment required first: {sent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
