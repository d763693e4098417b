"""Run one task per item in forked worker processes, results in the items' order.

A preview's fixed cost is importing the Pulumi SDKs; each stack then costs a fraction of that.
Forking the workers *after* those imports shares them copy-on-write, so a fleet of stacks uses
every core without paying the import floor once per worker.

What is never loaded before the fork: Helm's Go library (a Go runtime does not survive
``fork``) and anything holding threads or sockets. Callers warm only pure-Python imports.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
import signal
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from aksflow.errors import AksflowError, Interrupted, ProgramError, escaped_base_exception

T = TypeVar("T")
R = TypeVar("R")


class WorkerCrashError(Exception):
    """A task raised something other than :class:`AksflowError`: a bug, with its traceback."""

    def __init__(self, summary: str, remote_traceback: str) -> None:
        super().__init__(summary)
        self.remote_traceback = remote_traceback

    def __reduce__(self) -> tuple[type[WorkerCrashError], tuple[str, str]]:
        return (WorkerCrashError, (str(self), self.remote_traceback))


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _Task(Generic[T, R]):
    """The per-item call inside a worker; errors come back picklable and classified."""

    def __init__(self, items: Sequence[T], run: Callable[[T], R]) -> None:
        self.items = items
        self.run = run

    def __call__(self, index: int) -> R:
        try:
            return self.run(self.items[index])
        except (AksflowError, Interrupted):
            raise  # an interrupt stays an interrupt (exit 128 + signal), never a "bug"
        except BaseException as exc:
            if escaped_base_exception(exc):  # sys.exit() in the program or a policy: exit 2
                from aksflow.failures import describe

                raise ProgramError("\n".join(describe(exc)[1])) from None
            raise WorkerCrashError(f"{type(exc).__name__}: {exc}", traceback.format_exc()) from None


_current: _Task[Any, Any] | None = None


def _run_current(index: int) -> Any:
    assert _current is not None, "worker forked without a task"
    return _current(index)


def fork_is_safe() -> bool:
    """True while this process has a single OS thread.

    ``fork`` copies only the calling thread: a lock held by any other thread (a thread pool's,
    or the Go runtime's that Helm's library starts) stays locked forever in the child. The
    kernel's task list counts every thread, Python's or not.
    """
    try:
        return sum(1 for _ in Path("/proc/self/task").iterdir()) == 1
    except OSError:  # pragma: no cover - no procfs: assume the worst
        return False


def _worker_signals() -> None:
    """In a worker: the parent alone decides about interrupts.

    Ctrl-C reaches the whole process group; the parent turns it into a clean stop and ends
    the pool, so workers ignore SIGINT. SIGTERM (how the pool ends a worker) just ends it,
    without running the parent's interrupt handler a second time in the child.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def ordered_map(
    run: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int,
    warm: Callable[[], None] | None = None,
) -> Iterator[R]:
    """``run(item)`` for each item, yielded in order as soon as each and its predecessors finish.

    With ``workers <= 1``, a single item, or a process that already runs other threads (see
    :func:`fork_is_safe`), everything runs in this process. Otherwise ``warm`` runs once here,
    then ``workers`` processes are forked *before this function returns*, so a caller may start
    threads of its own (a progress spinner) afterwards. The first failing item's error is raised
    in item order, and the remaining workers are terminated.
    """
    global _current
    workers = min(workers, len(items))
    if workers > 1 and warm is not None and fork_is_safe():
        warm()
    if workers <= 1 or not fork_is_safe():
        return (run(item) for item in items)
    _current = _Task(items, run)
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals)
    return _results(pool, len(items))


def _results(pool: multiprocessing.pool.Pool, count: int) -> Iterator[Any]:
    global _current
    finished = False
    try:
        # chunksize 1: one stack per task, so a slow stack never holds others back.
        yield from pool.imap(_run_current, range(count), chunksize=1)
        finished = True
    finally:
        if finished:
            pool.close()  # every worker is idle: let them exit on their own
        else:
            pool.terminate()
        pool.join()
        _current = None  # kept until now: the pool re-forks a worker that dies
