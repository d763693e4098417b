"""SIGINT and SIGTERM end a run the same way: cleanups run, children end, the exit code says so.

:func:`handled` installs one handler for both signals while a command runs. The first signal
runs the registered :func:`on_interrupt` callbacks (e.g. terminate child previews) and raises
:class:`~aksflow.errors.Interrupted` in the main thread, so every ``finally`` and context
manager (worktrees, temporary folders, staged output) unwinds as for KeyboardInterrupt. A
second signal is ignored while that cleanup runs; a third ends the process at once.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType

from aksflow.errors import Interrupted

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_callbacks: list[Callable[[], None]] = []
_received: list[int] = []


def on_interrupt(callback: Callable[[], None]) -> Callable[[], None]:
    """Run ``callback`` (quickly, from the signal handler) when an interrupt arrives."""
    _callbacks.append(callback)
    return callback


def _handler(signum: int, _frame: FrameType | None) -> None:
    _received.append(signum)
    if len(_received) >= 3:
        os._exit(128 + signum)
    if len(_received) > 1:
        return  # already unwinding: let the cleanup finish
    for callback in list(_callbacks):
        with suppress(Exception):
            callback()
    raise Interrupted(signum)


@contextmanager
def handled() -> Iterator[None]:
    """Handle SIGINT and SIGTERM as described above; restores the previous handlers after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    _received.clear()
    for sig in _SIGNALS:
        signal.signal(sig, _handler)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _received.clear()
