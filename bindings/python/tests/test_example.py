"""examples/python/send_code.py runs against a test DC it starts itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "python" / "send_code.py"


def test_example_sends_a_code() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TG_API_ID", "TG_API_HASH")}
    proc = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "code sent by app (length 5)" in proc.stdout
    assert "'code': '22222'" in proc.stdout


def test_example_reports_an_rpc_error() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TG_API_ID", "TG_API_HASH")}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "+99977011234"], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 1
    assert "400 PHONE_NUMBER_BANNED" in proc.stderr


LOGIN_EXAMPLE = EXAMPLE.with_name("login.py")


def _run_login(*args: str) -> "subprocess.CompletedProcess[str]":
    env = {k: v for k, v in os.environ.items() if k not in ("TG_API_ID", "TG_API_HASH")}
    return subprocess.run(
        [sys.executable, str(LOGIN_EXAMPLE), *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_login_example_signs_in_a_two_factor_account() -> None:
    proc = _run_login()
    assert proc.returncode == 0, proc.stderr
    assert "the test DC says it is 22222" in proc.stdout
    assert "hint: 'the usual one'" in proc.stdout
    assert "signed in as Test (id 9996721234, phone 9996721234" in proc.stdout


def test_login_example_signs_up_a_new_number() -> None:
    proc = _run_login("+9996831234")
    assert proc.returncode == 0, proc.stderr
    assert "signed in as Example User (id 9996831234" in proc.stdout


def test_login_example_by_qr_code() -> None:
    proc = _run_login("+9996611234", "--qr")
    assert proc.returncode == 0, proc.stderr
    assert "scan this: tg://login?token=" in proc.stdout
    assert "signed in as Test (id 9996611234" in proc.stdout
