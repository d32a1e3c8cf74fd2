"""The ctypes declarations agree with include/tgauth.h (struct layouts and enum values)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import pytest

from tgauth import _ffi

HEADER = Path(__file__).resolve().parents[3] / "include" / "tgauth.h"
STRUCTS = [_ffi.tg_bytes, _ffi.tg_code_settings, _ffi.tg_error, _ffi.tg_sent_code]
ENUMS = {
    "TG_RESULT_OK": _ffi.RESULT_OK,
    "TG_RESULT_INVALID_ARGUMENT": _ffi.RESULT_INVALID_ARGUMENT,
    "TG_RESULT_RPC": _ffi.RESULT_RPC,
    "TG_RESULT_NETWORK": _ffi.RESULT_NETWORK,
    "TG_RESULT_TIMEOUT": _ffi.RESULT_TIMEOUT,
    "TG_RESULT_CANCELLED": _ffi.RESULT_CANCELLED,
    "TG_RESULT_SECURITY": _ffi.RESULT_SECURITY,
    "TG_RESULT_SESSION": _ffi.RESULT_SESSION,
    "TG_RESULT_INTERNAL": _ffi.RESULT_INTERNAL,
    "TG_RESULT_NOT_FOUND": _ffi.RESULT_NOT_FOUND,
    "TG_RESULT_PROTOCOL": _ffi.RESULT_PROTOCOL,
    "TG_RESULT_IO": _ffi.RESULT_IO,
    "TG_CODE_TYPE_NONE": _ffi.CODE_TYPE_NONE,
    "TG_SENT_CODE_KIND_CODE": _ffi.SENT_CODE_KIND_CODE,
    "TG_SENT_CODE_KIND_SUCCESS": _ffi.SENT_CODE_KIND_SUCCESS,
    "TG_SENT_CODE_KIND_PAYMENT_REQUIRED": _ffi.SENT_CODE_KIND_PAYMENT_REQUIRED,
}


def _expected_lines() -> list:
    lines = []
    for struct in STRUCTS:
        lines.append(f"sizeof {struct.__name__} {ctypes.sizeof(struct)}")
        for field in struct._fields_:
            name = field[0]
            lines.append(f"{struct.__name__}.{name} {getattr(struct, name).offset}")
    lines += [f"{name} {value}" for name, value in ENUMS.items()]
    return lines


def test_layout_matches_header(tmp_path: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None or not HEADER.is_file():
        pytest.skip("needs a C compiler and the repository's include/tgauth.h")
    body = []
    for struct in STRUCTS:
        s = struct.__name__
        body.append(f'printf("sizeof {s} %zu\\n", sizeof({s}));')
        for field in struct._fields_:
            name = field[0]
            body.append(f'printf("{s}.{name} %zu\\n", offsetof({s}, {name}));')
    body += [f'printf("{name} %u\\n", (unsigned){name});' for name in ENUMS]
    source = tmp_path / "layout.c"
    source.write_text(
        "#include <stddef.h>\n#include <stdio.h>\n#include \"tgauth.h\"\n"
        "int main(void) {\n" + "\n".join(body) + "\nreturn 0;\n}\n"
    )
    exe = tmp_path / "layout"
    subprocess.run([cc, "-Wall", "-Werror", "-I", str(HEADER.parent), str(source), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.splitlines()
    assert out == _expected_lines()


def test_code_type_names() -> None:
    names = [_ffi.code_type_str(i) for i in range(12)]
    assert names == [
        "",
        "app",
        "sms",
        "call",
        "flash_call",
        "missed_call",
        "email_code",
        "set_up_email_required",
        "fragment_sms",
        "firebase_sms",
        "sms_word",
        "sms_phrase",
    ]
    assert _ffi.result_str(_ffi.RESULT_TIMEOUT)
