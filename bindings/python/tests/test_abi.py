"""The ctypes declarations agree with include/tgauth.h (struct layouts and enum values)."""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import tgauth
from tgauth import _ffi

HEADER = Path(__file__).resolve().parents[3] / "include" / "tgauth.h"
STRUCTS = [
    _ffi.tg_bytes,
    _ffi.tg_code_settings,
    _ffi.tg_error,
    _ffi.tg_sent_code,
    _ffi.tg_user,
    _ffi.tg_authorization,
    _ffi.tg_cloud_password,
]
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
    "TG_TRANSPORT_ABRIDGED": _ffi.TRANSPORTS["abridged"],
    "TG_TRANSPORT_INTERMEDIATE": _ffi.TRANSPORTS["intermediate"],
    "TG_TRANSPORT_PADDED": _ffi.TRANSPORTS["padded"],
    "TG_TRANSPORT_FULL": _ffi.TRANSPORTS["full"],
    "TG_SESSION_FORMAT_TELETHON": _ffi.SESSION_FORMATS["telethon"],
    "TG_SESSION_FORMAT_GRAMJS": _ffi.SESSION_FORMATS["gramjs"],
    "TG_SESSION_FORMAT_PYROGRAM": _ffi.SESSION_FORMATS["pyrogram"],
    "TG_SESSION_FORMAT_MTCUTE": _ffi.SESSION_FORMATS["mtcute"],
}

#: tg_* functions of the header that the package deliberately leaves unbound, and why.
SKIPPED: dict = {}


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


def _header_functions() -> set:
    # Every declaration "<type> tg_name(" at the start of a line (cbindgen puts each one there);
    # function pointer typedefs ("typedef void (*tg_..._callback)") do not match.
    text = HEADER.read_text()
    return set(re.findall(r"^[A-Za-z_][\w \t\*]*?\b(tg_\w+)\(", text, flags=re.MULTILINE))


def test_every_header_function_is_bound_or_skipped() -> None:
    if not HEADER.is_file():
        pytest.skip("needs the repository's include/tgauth.h")
    functions = _header_functions()
    assert {"tg_send_code", "tg_sign_in", "tg_qr_login", "tg_testdc_start"} <= functions
    declared = set(_ffi.DECLARED)
    assert len(declared) == len(_ffi.DECLARED), "a function is declared twice"
    unbound = functions - declared - set(SKIPPED)
    assert not unbound, f"tg_* functions neither bound in _ffi.py nor listed in SKIPPED: {sorted(unbound)}"
    # And nothing bound or skipped that the header does not have.
    assert not (declared | set(SKIPPED)) - functions


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


def _bytes(buffers: list, data: bytes) -> _ffi.tg_bytes:
    buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    buffers.append(buffer)
    return _ffi.tg_bytes(ctypes.cast(buffer, ctypes.POINTER(ctypes.c_uint8)), len(data))


def _decode(c: _ffi.tg_sent_code) -> object:
    from tgauth import client as client_module

    return client_module._sent_code_from_c(ctypes.addressof(c))


def test_sent_code_is_read_field_by_field() -> None:
    # Every field set, to values no other field has: each must land where it belongs.
    buffers: list = []
    c = _ffi.tg_sent_code(
        kind=_ffi.SENT_CODE_KIND_CODE,
        phone_code_hash=b"hash",
        type=9,
        length=6,
        next_type=3,
        timeout=77,
        pattern=b"pattern",
        prefix=b"prefix",
        url=b"https://fragment.example/x",
        email_pattern=b"e***@example.com",
        beginning=b"beginning",
        receipt=b"receipt \xe2\x9c\x93",
        firebase_nonce=_bytes(buffers, b"firebase"),
        play_integrity_nonce=_bytes(buffers, b"\x00play"),
        play_integrity_project_id=2**40,
        push_timeout=31,
        reset_available_period=604800,
        reset_pending_date=1700000000,
        apple_signin_allowed=True,
        google_signin_allowed=True,
    )
    sent = _decode(c)
    expected = tgauth.SentCode(
        type=tgauth.CodeType(
            kind="firebase_sms",
            length=6,
            pattern="pattern",
            prefix="prefix",
            url="https://fragment.example/x",
            email_pattern="e***@example.com",
            beginning="beginning",
            receipt="receipt \u2713",
            firebase_nonce=b"firebase",
            play_integrity_nonce=b"\x00play",
            play_integrity_project_id=2**40,
            push_timeout=31,
            reset_available_period=604800,
            reset_pending_date=1700000000,
            apple_signin_allowed=True,
            google_signin_allowed=True,
        ),
        phone_code_hash="hash",
        next_type="call",
        timeout=77,
    )
    assert sent == expected
    assert repr(sent) == repr(expected)
    assert hash(sent) == hash(expected)

    # The absent values: -1 (and 0 for the project id), NULL, and no next type.
    absent = dict(length=-1, timeout=-1, push_timeout=-1, reset_available_period=-1, reset_pending_date=-1)
    bare = _ffi.tg_sent_code(kind=_ffi.SENT_CODE_KIND_CODE, phone_code_hash=b"h", type=1, next_type=0, **absent)
    expected_bare = tgauth.SentCode(type=tgauth.CodeType(kind="app"), phone_code_hash="h", next_type=None, timeout=None)
    assert _decode(bare) == expected_bare
    # A type this library does not know: named as tg_code_type_str names it.
    decoded = _decode(_ffi.tg_sent_code(kind=_ffi.SENT_CODE_KIND_CODE, type=99, next_type=98, **absent))
    assert isinstance(decoded, tgauth.SentCode)
    assert (decoded.type.kind, decoded.next_type) == (_ffi.code_type_str(99), _ffi.code_type_str(98))
    assert decoded.type.kind and decoded.phone_code_hash == ""


def test_other_sent_code_kinds_are_read_field_by_field() -> None:
    buffers: list = []
    success = _ffi.tg_sent_code(
        kind=_ffi.SENT_CODE_KIND_SUCCESS,
        sign_up_required=True,
        user_id=2**40 + 5,
        future_auth_token=_bytes(buffers, b"future"),
    )
    expected_success = tgauth.SentCodeSuccess(sign_up_required=True, user_id=2**40 + 5, future_auth_token=b"future")
    assert _decode(success) == expected_success
    assert _decode(_ffi.tg_sent_code(kind=_ffi.SENT_CODE_KIND_SUCCESS)) == tgauth.SentCodeSuccess(
        sign_up_required=False, user_id=0, future_auth_token=None
    )
    payment = _ffi.tg_sent_code(
        kind=_ffi.SENT_CODE_KIND_PAYMENT_REQUIRED,
        phone_code_hash=b"hash",
        store_product=b"product",
        support_email_address=b"support@example.com",
        support_email_subject=b"subject",
        currency=b"EUR",
        amount=-3,
        premium_days=90,
    )
    assert _decode(payment) == tgauth.SentCodePaymentRequired(
        phone_code_hash="hash",
        store_product="product",
        support_email_address="support@example.com",
        support_email_subject="subject",
        currency="EUR",
        amount=-3,
        premium_days=90,
    )
    with pytest.raises(ValueError, match="kind"):
        _decode(_ffi.tg_sent_code(kind=7))


def test_flat_layout_names_every_field() -> None:
    names = [f[0] for f in _ffi.tg_sent_code._fields_]
    flat = [n.split(".")[0] for n in _ffi.SENT_CODE_FIELDS]
    assert sorted(set(flat), key=flat.index) == names
    assert _ffi.SENT_CODE.size == ctypes.sizeof(_ffi.tg_sent_code)


def test_authorization_is_read_field_by_field() -> None:
    from tgauth import _login

    buffers: list = []
    user = _ffi.tg_user(
        id=2**40 + 1,
        access_hash=-(2**50),
        first_name=b"Ada",
        last_name=b"Lovelace \xe2\x9c\x93",
        username=b"ada",
        phone=b"9996612345",
        bot=True,
    )
    c = _ffi.tg_authorization(
        user=ctypes.pointer(user),
        sign_up_required=False,
        future_auth_token=_bytes(buffers, b"\x00future"),
        setup_password_required=True,
        otherwise_relogin_days=7,
    )
    assert _login._authorization_from_c(ctypes.addressof(c)) == tgauth.Authorization(
        user=tgauth.User(
            id=2**40 + 1,
            access_hash=-(2**50),
            first_name="Ada",
            last_name="Lovelace \u2713",
            username="ada",
            phone="9996612345",
            bot=True,
        ),
        future_auth_token=b"\x00future",
        setup_password_required=True,
        otherwise_relogin_days=7,
    )
    required = _ffi.tg_authorization(
        sign_up_required=True, terms_of_service=b"terms", terms_of_service_id=b"id-1", otherwise_relogin_days=-1
    )
    assert _login._authorization_from_c(ctypes.addressof(required)) == tgauth.Authorization(
        user=None, sign_up_required=True, terms_of_service="terms", terms_of_service_id="id-1"
    )
    info = _ffi.tg_cloud_password(has_password=True, hint=b"hint", has_recovery=True)
    assert _login._read_password_info(ctypes.addressof(info), None) == tgauth.PasswordInfo(True, "hint", True)
