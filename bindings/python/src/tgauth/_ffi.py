"""ctypes declarations of the tgauth C ABI (include/tgauth.h).

Every symbol used gets its argtypes and restype here, and nowhere else. The library is the copy
bundled in the package, or the file named by the environment variable ``TGAUTH_LIBRARY``.
"""

from __future__ import annotations

import ctypes
import os
import struct
import threading
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
from typing import Callable, Dict, List, Optional, Tuple

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

tg_transport = c_uint32
#: tg_transport values by the names Client(transport=...) takes.
TRANSPORTS = {"abridged": 0, "intermediate": 1, "padded": 2, "full": 3}

tg_sent_code_kind = c_uint32
SENT_CODE_KIND_CODE = 0
SENT_CODE_KIND_SUCCESS = 1
SENT_CODE_KIND_PAYMENT_REQUIRED = 2

tg_session_format = c_uint32
#: tg_session_format values by the names Client.export_session takes.
SESSION_FORMATS = {"telethon": 0, "gramjs": 1, "pyrogram": 2, "mtcute": 3}

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


class tg_user(Structure):
    _fields_ = [
        ("id", c_int64),
        ("access_hash", c_int64),
        ("first_name", c_char_p),
        ("last_name", c_char_p),
        ("username", c_char_p),
        ("phone", c_char_p),
        ("bot", c_bool),
    ]


class tg_authorization(Structure):
    _fields_ = [
        ("user", POINTER(tg_user)),
        ("sign_up_required", c_bool),
        ("terms_of_service", c_char_p),
        ("terms_of_service_id", c_char_p),
        ("future_auth_token", tg_bytes),
        ("setup_password_required", c_bool),
        ("otherwise_relogin_days", c_int32),
    ]


class tg_cloud_password(Structure):
    _fields_ = [("has_password", c_bool), ("hint", c_char_p), ("has_recovery", c_bool)]


# Opaque handles travel as plain pointers.
tg_config_p = c_void_p
tg_client_p = c_void_p
tg_testdc_p = c_void_p

# --- callback types --------------------------------------------------------------------------

# tg_send_code_callback receives its two struct pointers as plain addresses (the same ABI as
# `const tg_sent_code *` / `const tg_error *`): ctypes then hands Python two ints, not two pointer
# objects, and the answer is read in one go (``SENT_CODE`` below).
tg_send_code_callback = CFUNCTYPE(None, c_void_p, c_void_p, c_void_p)
tg_log_callback = CFUNCTYPE(None, c_void_p, c_int32, c_char_p, c_char_p)
# The login's callbacks, with their struct pointers as addresses for the same reason:
# (user_data, const tg_authorization *, const tg_error *)
tg_authorization_callback = CFUNCTYPE(None, c_void_p, c_void_p, c_void_p)
# (user_data, const tg_error *): NULL error means done.
tg_done_callback = CFUNCTYPE(None, c_void_p, c_void_p)
# (user_data, const tg_bytes *future_auth_token, const tg_error *)
tg_log_out_callback = CFUNCTYPE(None, c_void_p, c_void_p, c_void_p)
# (user_data, const tg_cloud_password *, const tg_error *)
tg_password_info_callback = CFUNCTYPE(None, c_void_p, c_void_p, c_void_p)
# (user_data, const char *url, int64_t expires_unix): each new QR login URL.
tg_login_token_callback = CFUNCTYPE(None, c_void_p, c_char_p, c_int64)

# --- library threads -------------------------------------------------------------------------

# A ctypes callback running on a thread that Python did not start gets a Python thread state
# for that one call (PyGILState_Ensure) and loses it on return (PyGILState_Release): an
# allocation and a fresh frame stack (mmap, page faults, munmap) for every answer. One more
# PyGILState_Ensure, never released, keeps the thread's state from one callback to the next.
_library_thread = threading.local()
_gil_state_ensure: Optional[Callable[[], int]] = None
try:
    _gil_state_ensure = ctypes.pythonapi.PyGILState_Ensure
    _gil_state_ensure.restype = ctypes.c_int
    _gil_state_ensure.argtypes = []
except AttributeError:  # not CPython: no thread states to keep
    pass


def keep_thread_state() -> None:
    """Keep the calling thread's Python thread state after the running callback returns.

    Only for callbacks that run on the library's runtime threads, which live as long as the
    process (tg_send_code's callback): a thread state kept on a thread that then ends would
    stay behind. None of these threads calls into Python after exit: the clients are closed
    by then, and a closed client has no callback left to make.
    """
    if _gil_state_ensure is not None and not getattr(_library_thread, "kept", False):
        _library_thread.kept = True
        _gil_state_ensure()


# --- functions -------------------------------------------------------------------------------


#: Every tg_* function given its types below (tests check that the header has no other).
DECLARED: List[str] = []


def _declare(name: str, restype: object, *argtypes: object) -> None:
    fn = getattr(lib, name)
    DECLARED.append(name)
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
_declare("tg_config_set_session_string", tg_result, tg_config_p, c_char_p)
_declare("tg_config_set_transport", tg_result, tg_config_p, tg_transport, c_bool)
_declare("tg_config_set_app", tg_result, tg_config_p, c_int32, c_char_p)
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

_REQUEST_TAIL = (c_void_p, POINTER(c_uint64))  # user_data, request_id_out
_declare(
    "tg_sign_in", tg_result, tg_client_p, c_char_p, c_char_p, c_char_p, tg_authorization_callback, *_REQUEST_TAIL
)
_declare(
    "tg_sign_up",
    tg_result,
    tg_client_p,
    c_char_p,
    c_char_p,
    c_char_p,
    c_char_p,
    tg_authorization_callback,
    *_REQUEST_TAIL,
)
_declare("tg_check_password", tg_result, tg_client_p, c_char_p, tg_authorization_callback, *_REQUEST_TAIL)
_declare("tg_password_info", tg_result, tg_client_p, tg_password_info_callback, *_REQUEST_TAIL)
_declare(
    "tg_sign_in_bot", tg_result, tg_client_p, c_char_p, c_int32, c_char_p, tg_authorization_callback, *_REQUEST_TAIL
)
_declare(
    "tg_resend_code", tg_result, tg_client_p, c_char_p, c_char_p, c_char_p, tg_send_code_callback, *_REQUEST_TAIL
)
_declare("tg_cancel_code", tg_result, tg_client_p, c_char_p, c_char_p, tg_done_callback, *_REQUEST_TAIL)
_declare("tg_log_out", tg_result, tg_client_p, tg_log_out_callback, *_REQUEST_TAIL)
_declare(
    "tg_qr_login",
    tg_result,
    tg_client_p,
    c_int32,
    c_char_p,
    c_uint32,
    tg_login_token_callback,
    tg_authorization_callback,
    *_REQUEST_TAIL,
)
_declare("tg_accept_login_token", tg_result, tg_client_p, c_char_p, tg_done_callback, *_REQUEST_TAIL)
# Returns an owned string: declared as a raw pointer so it can be handed back to tg_string_free.
_declare("tg_client_export_session", tg_result, tg_client_p, tg_session_format, POINTER(c_void_p))
_declare("tg_client_signed_in", tg_result, tg_client_p, POINTER(c_int64), POINTER(c_bool))
# Returns an owned string: declared as a raw pointer so it can be handed back to tg_string_free.
_declare("tg_client_export_session_string", tg_result, tg_client_p, POINTER(c_void_p))

_declare("tg_testdc_start", tg_result, c_char_p, POINTER(tg_testdc_p))
_declare("tg_testdc_info_json", c_char_p, tg_testdc_p)
# Returns an owned string: declared as a raw pointer so it can be handed back to tg_string_free.
_declare("tg_testdc_codes_json", tg_result, tg_testdc_p, c_char_p, POINTER(c_void_p))
_declare("tg_testdc_stats_json", tg_result, tg_testdc_p, POINTER(c_void_p))
_declare("tg_testdc_accept_login_token", tg_result, tg_testdc_p, c_char_p, c_char_p)
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


_code_type_names: Dict[int, str] = {}


def code_type_name(code_type: int) -> str:
    """``code_type_str``, remembered: the names are static, and every answer needs one or two
    (a call into the library would also release the GIL on the library's own thread)."""
    name = _code_type_names.get(code_type)
    if name is None:
        name = _code_type_names[code_type] = code_type_str(code_type)
    return name


# --- reading a struct in one go --------------------------------------------------------------

_FLAT_CODES = {
    c_bool: "?",
    c_int32: "i",
    c_int64: "q",
    c_uint32: "I",
    c_char_p: "P",
    c_void_p: "P",
    c_size_t: "N",
    POINTER(c_uint8): "P",
}


def _flat_layout(cls: type, prefix: str = "") -> Tuple[str, List[str]]:
    """A struct-module format (native layout, explicit padding) and the field names that reads
    ``cls`` as one flat tuple: strings and pointers as addresses, nested structs field by field
    (``firebase_nonce.data``, ``firebase_nonce.len``)."""
    codes: List[str] = []
    names: List[str] = []
    position = 0
    for field in cls._fields_:  # type: ignore[attr-defined]
        name, ctype = field[0], field[1]
        offset = getattr(cls, name).offset
        if offset > position:
            codes.append(f"{offset - position}x")
        if ctype in _FLAT_CODES:
            codes.append(_FLAT_CODES[ctype])
            names.append(prefix + name)
        else:
            inner_codes, inner_names = _flat_layout(ctype, f"{prefix}{name}.")
            codes.append(inner_codes)
            names.extend(inner_names)
        position = offset + ctypes.sizeof(ctype)
    size = ctypes.sizeof(cls)
    if size > position:
        codes.append(f"{size - position}x")
    return "".join(codes), names


def flat_struct(cls: type) -> Tuple[struct.Struct, List[str]]:
    """``struct.Struct`` reading one ``cls`` as a flat tuple, and the names of its items."""
    fmt, names = _flat_layout(cls)
    reader = struct.Struct("@" + fmt)
    if reader.size != ctypes.sizeof(cls):
        raise ImportError(f"tgauth: cannot mirror the layout of {cls.__name__}")
    return reader, names


#: Reads a whole tg_sent_code (``SENT_CODE.unpack(bytes(sent_code))``) in one call: far cheaper
#: than one ctypes attribute read per field. SENT_CODE_FIELDS names the items.
SENT_CODE, SENT_CODE_FIELDS = flat_struct(tg_sent_code)


def version() -> str:
    """The native library's version string."""
    text = lib.tg_version()
    return text.decode("utf-8", "replace") if text else ""
