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
