"""The child processes of ``aksflow diff``: how they start, report and end.

:func:`start_server` gives the diff's :class:`ChildServer`: the :class:`ForkServer` (the client
of :mod:`aksflow.diff.zygote`, which forks each child after the third-party floor), or, where
that cannot run (it needs Linux), the :class:`SpawnServer`, a fresh ``python -m aksflow`` per
child. Either way a child is a :class:`ForkedChild`: its stderr and a status pipe that says
``pid N`` once it runs and ``exit C`` when it ends. Live children are registered, so an
interrupt of the diff ends them and the workers they forked.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Protocol

from aksflow import interrupts
from aksflow.errors import EXIT_BUG

ZYGOTE = Path(__file__).with_name("zygote.py")


@contextmanager
def closing(server: ChildServer) -> Iterator[ChildServer]:
    try:
        yield server
    finally:
        server.close()


class ChildServer(Protocol):
    """Starts the diff's children: :class:`ForkServer`, or :class:`SpawnServer` elsewhere."""

    def start(
        self, argv: list[str], *, cwd: Path, path: list[str], pythonpath: str
    ) -> ForkedChild: ...

    def failure(self) -> tuple[int, str]: ...

    def close(self) -> None: ...


# The fork server needs Linux: pidfd_open to wait for its children, SOCK_SEQPACKET for requests.
FORK_SERVER = sys.platform == "linux" and hasattr(os, "pidfd_open")


def start_server(python: str, workdir: Path) -> ChildServer:
    """The fork server where the platform has one, else a fresh interpreter per child."""
    return ForkServer(python, workdir) if FORK_SERVER else SpawnServer(python)


class SpawnServer:
    """Each child a fresh ``python -m aksflow``: the same command, environment and reports
    (``pid N``, ``exit C`` on its status pipe) as a forked one, without the shared floor."""

    def __init__(self, python: str) -> None:
        self.python = python

    def start(self, argv: list[str], *, cwd: Path, path: list[str], pythonpath: str) -> ForkedChild:
        """Start ``python -m aksflow ARGV`` in ``cwd``; ``path`` leads ``pythonpath`` already."""
        del path  # `python -m` in ``cwd`` with PYTHONPATH puts it where the fork server would
        stderr_r, stderr_w = os.pipe()
        status_r, status_w = os.pipe()
        try:
            process = subprocess.Popen(
                [self.python, "-m", "aksflow", *argv],
                cwd=cwd,
                env={**os.environ, "PYTHONPATH": pythonpath},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr_w,
                start_new_session=True,  # its own group: ended with its workers
            )
        except OSError as exc:
            os.write(status_w, f"error could not start a child: {exc}\n".encode())
            os.close(status_w)
        else:
            os.write(status_w, f"pid {process.pid}\n".encode())
            threading.Thread(target=_report_exit, args=(process, status_w), daemon=True).start()
        finally:
            os.close(stderr_w)
        return ForkedChild(stderr_r, status_r)

    def failure(self) -> tuple[int, str]:
        """Never reached: every child's exit is reported (there is no server to die)."""
        return EXIT_BUG, "error: a child ended without an exit status"

    def close(self) -> None:
        """Nothing runs between children."""


def _report_exit(process: subprocess.Popen[bytes], status: int) -> None:
    code = process.wait()
    with suppress(OSError):
        os.write(status, f"exit {code}\n".encode())
    os.close(status)


class ForkServer:
    """The diff's fork server (:mod:`aksflow.diff.zygote`): one per diff, in ``workdir``.

    It imports the third-party floor while the caller sets up the worktrees; each child is
    then forked from it rather than started as a fresh interpreter.
    """

    def __init__(self, python: str, workdir: Path) -> None:
        self._lock = threading.Lock()
        # Its own stderr goes to an unnamed file, read only if it fails.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self._process = subprocess.Popen(
                [python, "-P", str(ZYGOTE), str(workdir)],
                cwd=workdir,
                stdin=theirs.fileno(),
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                start_new_session=True,  # an interrupt is for the parent to pass on
            )

    def start(self, argv: list[str], *, cwd: Path, path: list[str], pythonpath: str) -> ForkedChild:
        """Start ``python -m aksflow ARGV`` in ``cwd`` with ``path`` first on ``sys.path``."""
        request = {"argv": argv, "cwd": str(cwd), "path": path, "env": {"PYTHONPATH": pythonpath}}
        stderr_r, stderr_w = os.pipe()
        status_r, status_w = os.pipe()
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            # OSError: it is gone, and the status pipe's end of file will say so.
            with self._lock, suppress(OSError):
                socket.send_fds(
                    self._channel,
                    [json.dumps(request).encode()],
                    [devnull, devnull, stderr_w, status_w],
                )
        finally:
            for fd in (devnull, stderr_w, status_w):
                os.close(fd)
        return ForkedChild(stderr_r, status_r)

    def failure(self) -> tuple[int, str]:
        """The fork server's own exit status and stderr, once it has ended.

        Only a child's status pipe closing without an exit status gets here: the server died.
        A 0 or 1 from it would read as a preview's verdict, so it becomes an internal error.
        """
        try:
            code = self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        self._log.seek(0)
        stderr = self._log.read().decode(errors="replace")
        if code in (0, 1):
            return (
                EXIT_BUG,
                f"error: the fork server ended (exit {code}) before the child\n{stderr}",
            )
        return code, stderr

    def close(self) -> None:
        """End of file on its socket ends it (and any child still running, with SIGTERM)."""
        self._channel.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


class ForkedChild:
    """One child of the fork server: its stderr, and its status pipe (``pid N``, ``exit C``)."""

    def __init__(self, stderr: int, status: int) -> None:
        self._stderr = stderr
        self._status = status
        self._buffers: dict[int, bytearray] = {stderr: bytearray(), status: bytearray()}
        self._open = {stderr, status}
        self.pid: int | None = None
        self.spawned = ""  # why it is a fresh interpreter rather than a fork, if it is
        self.error = ""  # why the fork server could not start it, if it could not
        self.exited = threading.Event()
        self.code: int | None = None

    def communicate(self, timeout: float | None) -> tuple[int | None, str]:
        """Read its stderr and status until both end; ``None`` as the code when the fork
        server never reported an exit (it failed). TimeoutExpired after ``timeout`` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            for fd in self._open:
                selector.register(fd, selectors.EVENT_READ)
            while self._open:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired("aksflow", timeout or 0)
                for key, _ in selector.select(left):
                    self._read(key.fd, selector)
        self.exited.set()
        return self.code, self._buffers[self._stderr].decode(errors="replace")

    def _read(self, fd: int, selector: selectors.BaseSelector) -> None:
        chunk = os.read(fd, 65536)
        if chunk:
            self._buffers[fd] += chunk
        else:
            selector.unregister(fd)
            os.close(fd)
            self._open.discard(fd)
        if fd == self._status:
            self._parse_status()

    def _parse_status(self) -> None:
        for line in self._buffers[self._status].decode().splitlines():
            word, _, value = line.partition(" ")
            if word == "pid" and self.pid is None:
                pid, _, self.spawned = value.partition(" spawned: ")
                self.pid = int(pid)
                CHILDREN.started(self)
            elif word == "exit":
                self.code = int(value)
                self.exited.set()
            elif word == "error":
                self.error = value

    def signal(self, sig: signal.Signals) -> None:
        """Signal its whole process group (the child and the workers it forked)."""
        if self.pid is not None:
            with suppress(OSError):
                os.killpg(self.pid, sig)

    def __del__(self) -> None:
        for fd in self._open:
            with suppress(OSError):
                os.close(fd)


class Children:
    """Children still running, so an interrupt can end them (SIGTERM, SIGKILL after 10 s)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[ForkedChild] = set()
        self._ending = False

    def add(self, child: ForkedChild) -> None:
        with self._lock:
            self._live.add(child)

    def discard(self, child: ForkedChild) -> None:
        with self._lock:
            self._live.discard(child)

    def reset(self) -> None:
        """A new diff: an earlier interrupt (same process, e.g. in tests) is over."""
        self._ending = False

    def started(self, child: ForkedChild) -> None:
        """Its pid is known: a child that starts after an interrupt is ended at once."""
        if self._ending:
            self._end([child])

    def terminate(self) -> None:
        self._ending = True
        with self._lock:
            live = list(self._live)
        self._end(live)

    def _end(self, children: list[ForkedChild]) -> None:
        for child in children:  # the child cleans up its staged output and exits 143
            child.signal(signal.SIGTERM)
        if children:
            threading.Thread(target=self._kill_later, args=(children,), daemon=True).start()

    @staticmethod
    def _kill_later(children: list[ForkedChild]) -> None:
        for child in children:
            child.exited.wait(timeout=10)
            # Also the workers a preview forked: they hold its stderr pipe open.
            child.signal(signal.SIGKILL)


CHILDREN = Children()
interrupts.on_interrupt(CHILDREN.terminate)
