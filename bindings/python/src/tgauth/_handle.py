"""The base class of objects that own a native handle."""

from __future__ import annotations

import atexit
import threading
import weakref
from types import TracebackType
from typing import ClassVar, Optional, Type, TypeVar

from . import _log  # noqa: F401 - imported first: its atexit hook must run after ours

_Self = TypeVar("_Self", bound="Handle")

# Every open handle, so that the interpreter can close them before it exits: a library
# thread must not call back into a Python that is being torn down.
_open: "weakref.WeakSet[Handle]" = weakref.WeakSet()


class Handle:
    """Owns one native object. ``close()`` frees it; it is idempotent and thread-safe, and also
    runs on leaving a ``with`` block, when the object is collected, and at interpreter exit."""

    _ptr: Optional[int] = None
    #: At exit, handles close in this order (clients before the test DCs they talk to).
    _close_order: ClassVar[int] = 0

    def __init__(self, ptr: int) -> None:
        # Held while the pointer is used, so that close() on another thread never frees it
        # under a running call. Calls made under it never wait for a callback.
        self._lock = threading.Lock()
        self._ptr = ptr
        _open.add(self)

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._ptr is None

    def close(self) -> None:
        """Free the native object. Calling it again does nothing."""
        lock = self.__dict__.get("_lock")
        if lock is None:  # __init__ never ran to the end
            return
        with lock:
            ptr, self._ptr = self._ptr, None
        if ptr:
            _open.discard(self)
            self._free(ptr)

    def _free(self, ptr: int) -> None:
        raise NotImplementedError

    def _closed_error(self) -> ValueError:
        return ValueError(f"{type(self).__name__} is closed")

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except BaseException:  # noqa: BLE001 - never raise from a finalizer
            pass


def _close_all() -> None:
    for handle in sorted(list(_open), key=lambda h: h._close_order):
        try:
            handle.close()
        except BaseException:  # noqa: BLE001
            pass


atexit.register(_close_all)
