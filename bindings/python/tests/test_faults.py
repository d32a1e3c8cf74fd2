"""Faults injected by the test DC (TESTDC.md, --faults): every request ends exactly once
(the autouse fixture checks no callback is missing), with the answer or a classified error."""

from __future__ import annotations

import asyncio
from typing import List, Union

import pytest

import tgauth

Outcome = Union[tgauth.SentCodeResult, BaseException]

# A 500 INTERNAL_SERVER_ERROR is Telegram's to report: a request may end with it.
MAY_FAIL = ["rpc-500=0.2"]
# Faults a client absorbs (it reconnects, resends, re-keys): every request must succeed.
ABSORBED = [
    "drop=0.1",
    "delay=0.3",
    "bad-salt=0.3",
    "new-session=0.3",
    "time-skew=0.3",
    "corrupt=0.1",
    "forget-key=0.1",
    "container=0.5",
    "gzip=0.5",
    "drop=0.05,delay=0.1,bad-salt=0.1,new-session=0.1,container=0.2,gzip=0.2",
]


def _send_many(faults: str) -> List[Outcome]:
    with tgauth.TestDC(code_limit=0, faults=faults) as dc, tgauth.Client(
        dcs=dc.dcs, rsa_keys=[dc.rsa_public_key], timeout=8
    ) as client:

        async def main() -> List[Outcome]:
            return await asyncio.gather(
                *(client.send_code_async(f"+99966{1 + i % 3}{i:04d}", dc.api_id, dc.api_hash) for i in range(12)),
                return_exceptions=True,
            )

        return asyncio.run(main())


@pytest.mark.parametrize("faults", MAY_FAIL)
def test_requests_end_with_an_answer_or_a_classified_error(faults: str) -> None:
    for r in _send_many(faults):
        if not isinstance(r, tgauth.SentCode):
            assert isinstance(r, tgauth.RpcError) and (r.code, r.name) == (500, "INTERNAL_SERVER_ERROR"), repr(r)


@pytest.mark.parametrize("faults", ABSORBED)
def test_absorbed_faults_cost_nothing(faults: str) -> None:
    results = _send_many(faults)
    assert all(isinstance(r, tgauth.SentCode) for r in results), results
