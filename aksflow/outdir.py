"""Replace an output directory as a whole: stage the new tree beside it, swap with one rename.

``out/`` is never seen half-written or mixed from two runs, whatever interrupts the writer:

- the complete new tree is written to ``.<out>.aksflow-<pid>-*`` beside ``out`` (same file
  system), then exchanged with ``out`` in one ``renameat2(RENAME_EXCHANGE)``; where the file
  system cannot exchange, ``out`` is renamed away and the new tree renamed in (``out`` is then
  briefly absent, never mixed);
- the swap runs under an exclusive ``flock`` on ``.<out>.aksflow-lock`` beside ``out``, so two
  previews into the same directory cannot collide: the later one wins, whole;
- a staging folder left by a killed process is removed by the next writer.

``out`` holds a marker file; a directory with files aksflow did not write is never replaced
(``--out .`` must not delete a project).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from aksflow.errors import ConfigError

MARKER = ".aksflow-out"
# What older aksflow versions wrote into out/<stack>/ and out/pr/: still replaceable.
_KNOWN_FILES = frozenset(
    ("state.json", "policy.json", "policy.sarif", "comment.md", "diff.json", "pr-number")
) | {"exit-code", "charts.json"}
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def check_target(out_dir: Path) -> None:
    """Refuse an ``out_dir`` that is a file, or a directory holding files aksflow did not write."""
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        kind = "a symlink" if out_dir.is_symlink() else "a file"
        raise ConfigError(f"--out {out_dir}: is {kind}, not a directory")
    if not out_dir.is_dir() or (out_dir / MARKER).is_file():
        return
    for entry in out_dir.iterdir():
        foreign = not entry.is_dir() or entry.is_symlink()
        if not foreign:
            foreign = any(
                not child.is_file() or child.name not in _KNOWN_FILES for child in entry.iterdir()
            )
        if foreign:
            raise ConfigError(
                f"--out {out_dir}: holds {entry.name}, which aksflow did not write; the output "
                "directory is replaced as a whole, so give a new or empty directory"
            )


def publish(out_dir: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(staging)`` to build the new tree, then make it ``out_dir`` in one step."""
    check_target(out_dir)
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _signals_deferred():
        staging = Path(
            tempfile.mkdtemp(prefix=f".{out_dir.name}.aksflow-{os.getpid()}-", dir=parent)
        )
        try:
            write(staging)
            (staging / MARKER).write_text(
                "Written by aksflow; the whole directory is replaced on every run.\n",
                encoding="utf-8",
            )
            with _locked(parent / f".{out_dir.name}.aksflow-lock"):
                _remove_stale(parent, out_dir.name)
                check_target(out_dir)
                _swap(staging, out_dir)  # staging now holds the previous tree, if any
        finally:
            shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the staging folder exists in no half state.

    An interrupt raised between ``mkdtemp`` and its ``try``, or in the middle of removing the
    staging folder, would leave a stray ``.<out>.aksflow-*`` beside ``out``. Blocked here, the
    signal is delivered the moment the swap and its cleanup are done, and the run ends then.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _remove_stale(parent: Path, name: str) -> None:
    """Staging folders of writers that no longer run (killed before their cleanup)."""
    prefix = f".{name}.aksflow-"
    for entry in parent.glob(f"{prefix}*"):
        pid = entry.name[len(prefix) :].split("-", 1)[0]
        if entry.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> None:
    """renameat2(a, b, RENAME_EXCHANGE): both paths swap atomically (Linux >= 3.15)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _swap(new: Path, target: Path) -> None:
    if not target.exists():
        new.rename(target)
        return
    try:
        _exchange(new, target)
        return
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
            raise
    old = new.with_name(new.name + "-old")
    target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        with suppress(OSError):
            old.rename(target)
        raise
    old.rename(new)
