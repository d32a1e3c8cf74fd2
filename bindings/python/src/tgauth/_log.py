"""The library's log lines, sent to ``logging.getLogger("tgauth")``.

The sink is installed once, at import. The library is asked only for the levels the logger
would show; that level is read again whenever a Client or TestDC is made, so configuring
logging after ``import tgauth`` works. Library levels 1..5 (error .. trace) map to
ERROR, WARNING, INFO, DEBUG, DEBUG; trace lines are requested only when the logger's level is
below DEBUG (``logging.getLogger("tgauth").setLevel(5)``).
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Optional

from . import _ffi

logger = logging.getLogger("tgauth")

_PYTHON_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG, 5: logging.DEBUG}

_lock = threading.Lock()
_installed_level: Optional[int] = None


def _on_log(_user_data: Optional[int], level: int, target: Optional[bytes], message: Optional[bytes]) -> None:
    # Runs on library threads: it must never raise.
    try:
        py_level = _PYTHON_LEVELS.get(level, logging.DEBUG)
        if logger.isEnabledFor(py_level):
            logger.log(
                py_level,
                "%s: %s",
                (target or b"").decode("utf-8", "replace"),
                (message or b"").decode("utf-8", "replace"),
            )
    except BaseException:  # noqa: BLE001 - nothing may escape into a library thread
        pass


# Module level: the C function pointer must outlive every call the library makes.
_log_callback = _ffi.tg_log_callback(_on_log)


def _library_level() -> int:
    """The highest library level the logger would show (0: none)."""
    effective = logger.getEffectiveLevel()
    if effective < logging.DEBUG:
        return 5
    for library_level in (4, 3, 2, 1):
        if effective <= _PYTHON_LEVELS[library_level]:
            return library_level
    return 0


def sync_log_level() -> None:
    """Ask the library for the levels that ``logging.getLogger("tgauth")`` shows now."""
    global _installed_level
    level = _library_level()
    with _lock:
        if level != _installed_level:
            _ffi.lib.tg_set_log_callback(_log_callback, None, level)
            _installed_level = level


def _uninstall() -> None:
    # At exit, before the interpreter goes away: no library thread may call into Python later.
    global _installed_level
    with _lock:
        _ffi.lib.tg_set_log_callback(_ffi.tg_log_callback(), None, 0)
        _installed_level = None


sync_log_level()
# Registered before any handle's cleanup (atexit runs last-in first-out), so it runs after them.
atexit.register(_uninstall)
