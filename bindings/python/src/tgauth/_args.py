"""Argument checks done in Python, before anything reaches the library.

Wrong types raise TypeError; wrong values (a NUL inside a string, a string over 64 KiB, a
number out of range) raise ValueError.
"""

from __future__ import annotations

import math
from typing import Any, Optional

#: The longest string (UTF-8 bytes) passed to the library.
MAX_STRING_BYTES = 64 * 1024

INT32_MAX = 2**31 - 1
UINT32_MAX = 2**32 - 1


def c_string(value: Any, what: str) -> bytes:
    """``value`` as NUL-terminated-safe UTF-8 bytes."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{what} must not contain NUL characters")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"{what} is not valid Unicode: {e}") from None
    if len(data) > MAX_STRING_BYTES:
        raise ValueError(f"{what} is {len(data)} bytes long; the limit is {MAX_STRING_BYTES}")
    return data


def optional_c_string(value: Any, what: str) -> Optional[bytes]:
    """Like c_string, with None passed through (NULL: absent / default)."""
    return None if value is None else c_string(value, what)


def c_bytes(value: Any, what: str) -> bytes:
    """Bytes-like ``value`` as bytes, at most MAX_STRING_BYTES long."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
    data = bytes(value)
    if len(data) > MAX_STRING_BYTES:
        raise ValueError(f"{what} is {len(data)} bytes long; the limit is {MAX_STRING_BYTES}")
    return data


def c_int(value: Any, what: str, low: int, high: int) -> int:
    """An int (not a bool) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{what} must be between {low} and {high}, not {value}")
    return int(value)


def c_bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be bool, not {type(value).__name__}")
    return value


def milliseconds(seconds: Any, what: str) -> int:
    """A positive duration in seconds as whole milliseconds (uint32)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, not {type(seconds).__name__}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{what} must be a positive number of seconds, not {seconds}")
    ms = math.ceil(seconds * 1000)
    if ms > UINT32_MAX:
        raise ValueError(f"{what} is too long: {seconds} s")
    return ms
