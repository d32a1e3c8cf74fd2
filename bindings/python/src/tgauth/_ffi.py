"""ctypes declarations of the tgauth C ABI (include/tgauth.h).

Every symbol used gets its argtypes and restype here, and nowhere else. The library is the copy
bundled in the package, or the file named by the environment variable ``TGAUTH_LIBRARY``.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import List

LIBRARY_ENV = "TGAUTH_LIBRARY"
_LIBRARY_SUFFIXES = (".so", ".dylib", ".pyd", ".dll")


def _bundled_library() -> Path:
    here = Path(__file__).resolve().parent
    found: List[Path] = sorted(
        p for p in here.glob("_libtgauth*") if p.suffix in _LIBRARY_SUFFIXES and p.is_file()
    )
    if not found:
        raise ImportError(
            f"tgauth: no bundled library in {here}. Install the package with "
            f"`pip install ./bindings/python`, or set {LIBRARY_ENV} to a built libtgauth "
            "(e.g. target/release/libtgauth.so)."
        )
    return found[0]


def library_path() -> Path:
    """The path of the native library this process loads (``TGAUTH_LIBRARY`` first)."""
    override = os.environ.get(LIBRARY_ENV)
    if override:
        return Path(override)
    return _bundled_library()


def _load() -> ctypes.CDLL:
    path = library_path()
    try:
        # CDLL (not PyDLL): the GIL is released during every call, so blocking calls
        # (tg_client_free waits for callbacks, which need the GIL) cannot deadlock.
        return ctypes.CDLL(str(path))
    except OSError as e:
        raise ImportError(f"tgauth: cannot load the native library {path}: {e}") from e


lib = _load()

# --- enums (values fixed by the C ABI, never renumbered) -------------------------------------

tg_result = c_uint32
RESULT_OK = 0
RESULT_INVALID_ARGUMENT = 1
RESULT_RPC = 2
RESULT_NETWORK = 3
RESULT_TIMEOUT = 4
RESULT_CANCELLED = 5
RESULT_SECURITY = 6
RESULT_SESSION = 7
RESULT_INTERNAL = 8
RESULT_NOT_FOUND = 9
RESULT_PROTOCOL = 10
RESULT_IO = 11

tg_code_type = c_uint32
CODE_TYPE_NONE = 0

tg_sent_code_kind = c_uint32
SENT_CODE_KIND_CODE = 0
SENT_CODE_KIND_SUCCESS = 1
SENT_CODE_KIND_PAYMENT_REQUIRED = 2

# --- structs ---------------------------------------------------------------------------------


class tg_bytes(Structure):
    _fields_ = [("data", POINTER(c_uint8)), ("len", c_size_t)]


class tg_code_settings(Structure):
    _fields_ = [
        ("allow_flashcall", c_bool),
        ("current_number", c_bool),
        ("allow_app_hash", c_bool),
        ("allow_missed_call", c_bool),
        ("allow_firebase", c_bool),
        ("unknown_number", c_bool),
        ("logout_tokens", POINTER(tg_bytes)),
        ("logout_tokens_len", c_size_t),
        ("token", c_char_p),
        ("app_sandbox", c_int32),
    ]


class tg_error(Structure):
    _fields_ = [
        ("result", tg_result),
        ("code", c_int32),
        ("name", c_char_p),
        ("value", c_int64),
        ("message", c_char_p),
    ]


class tg_sent_code(Structure):
    _fields_ = [
        ("kind", tg_sent_code_kind),
        ("phone_code_hash", c_char_p),
        ("type", tg_code_type),
        ("length", c_int32),
        ("next_type", tg_code_type),
        ("timeout", c_int32),
        ("pattern", c_char_p),
        ("prefix", c_char_p),
        ("url", c_char_p),
        ("email_pattern", c_char_p),
        ("beginning", c_char_p),
        ("receipt", c_char_p),
        ("firebase_nonce", tg_bytes),
        ("play_integrity_nonce", tg_bytes),
        ("play_integrity_project_id", c_int64),
        ("push_timeout", c_int32),
        ("reset_available_period", c_int32),
        ("reset_pending_date", c_int32),
        ("apple_signin_allowed", c_bool),
        ("google_signin_allowed", c_bool),
        ("sign_up_required", c_bool),
        ("user_id", c_int64),
        ("future_auth_token", tg_bytes),
        ("store_product", c_char_p),
        ("support_email_address", c_char_p),
        ("support_email_subject", c_char_p),
        ("currency", c_char_p),
        ("amount", c_int64),
        ("premium_days", c_int32),
    ]


# Opaque handles travel as plain pointers.
tg_config_p = c_void_p
tg_client_p = c_void_p
tg_testdc_p = c_void_p

# --- callback types --------------------------------------------------------------------------

tg_send_code_callback = CFUNCTYPE(None, c_void_p, POINTER(tg_sent_code), POINTER(tg_error))
tg_log_callback = CFUNCTYPE(None, c_void_p, c_int32, c_char_p, c_char_p)

# --- functions -------------------------------------------------------------------------------


def _declare(name: str, restype: object, *argtypes: object) -> None:
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


_declare("tg_result_str", c_char_p, tg_result)
_declare("tg_code_type_str", c_char_p, tg_code_type)
_declare("tg_version", c_char_p)
_declare("tg_set_log_callback", tg_result, tg_log_callback, c_void_p, c_int32)

_declare("tg_config_new", tg_result, POINTER(tg_config_p))
_declare("tg_config_add_dc", tg_result, tg_config_p, c_int32, c_char_p, c_uint16)
_declare("tg_config_add_rsa_key", tg_result, tg_config_p, c_char_p)
_declare("tg_config_use_test_servers", tg_result, tg_config_p)
_declare("tg_config_set_session_path", tg_result, tg_config_p, c_char_p)
_declare("tg_config_set_timeout_ms", tg_result, tg_config_p, c_uint32)
_declare("tg_config_set_flood_sleep_threshold", tg_result, tg_config_p, c_uint32)
_declare("tg_config_set_device", tg_result, tg_config_p, c_char_p, c_char_p, c_char_p)
_declare("tg_config_set_lang", tg_result, tg_config_p, c_char_p, c_char_p, c_char_p)
_declare("tg_config_free", None, tg_config_p)

_declare("tg_client_new", tg_result, tg_config_p, POINTER(tg_client_p))
_declare("tg_client_free", None, tg_client_p)
_declare(
    "tg_send_code",
    tg_result,
    tg_client_p,
    c_char_p,
    c_int32,
    c_char_p,
    POINTER(tg_code_settings),
    tg_send_code_callback,
    c_void_p,
    POINTER(c_uint64),
)
_declare("tg_cancel", tg_result, tg_client_p, c_uint64)

_declare("tg_testdc_start", tg_result, c_char_p, POINTER(tg_testdc_p))
_declare("tg_testdc_info_json", c_char_p, tg_testdc_p)
# Returns an owned string: declared as a raw pointer so it can be handed back to tg_string_free.
_declare("tg_testdc_codes_json", tg_result, tg_testdc_p, c_char_p, POINTER(c_void_p))
_declare("tg_testdc_stats_json", tg_result, tg_testdc_p, POINTER(c_void_p))
_declare("tg_testdc_stop", None, tg_testdc_p)
_declare("tg_string_free", None, c_void_p)


def result_str(result: int) -> str:
    """The library's static description of a tg_result value."""
    text = lib.tg_result_str(result)
    return text.decode("utf-8", "replace") if text else f"tg_result {result}"


def code_type_str(code_type: int) -> str:
    """The name of a tg_code_type value ("app", "sms", ...); "" for NONE."""
    text = lib.tg_code_type_str(code_type)
    return text.decode("utf-8", "replace") if text else ""


def version() -> str:
    """The native library's version string."""
    text = lib.tg_version()
    return text.decode("utf-8", "replace") if text else ""
