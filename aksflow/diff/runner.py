"""Child processes of ``aksflow diff`` (the seam tests can replace).

``run``: ``aksflow preview`` of one revision. A subprocess keeps the two revisions' Pulumi
programs (both import ``infra``) apart and lets base and head run in parallel on two cores. The
child runs from a neutral directory with this aksflow on ``PYTHONPATH``, so the tool is the
current one, only the project is the revision's.

``judge``: ``aksflow policy verdict``, the trusted gate, with the BASE revision's aksflow on
``PYTHONPATH`` (``code_root``) when the base carries one, else this aksflow.

Each child is ``python -m aksflow ...`` with that ``PYTHONPATH``, but forked from the diff's
fork server (:mod:`aksflow.diff.zygote`, started by :meth:`SubprocessPreviewRunner.session`),
which has imported the third-party floor once and no revision's code: the children skip the
floor's imports, and each still imports its own revision's ``aksflow``, ``infra`` and pack.
Where the fork server cannot run (it needs Linux), :class:`SpawnServer` starts each child as
that fresh ``python -m aksflow``, reporting through the same status pipe.
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
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aksflow
from aksflow import interrupts
from aksflow.errors import EXIT_BUG, EXIT_INPUT, AksflowError
from aksflow.parallel import available_cpus

ZYGOTE = Path(__file__).with_name("zygote.py")


class PreviewFailed(AksflowError):  # noqa: N818 - reads as what happened
    """A revision's preview exited with anything but 0 or 1: its stack(s) and original message."""


@dataclass(frozen=True)
class PreviewOutcome:
    """What one preview run left behind: ``out_dir/<stack>/{state,policy}.json``."""

    returncode: int
    out_dir: Path
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.returncode not in (0, 1)


class PreviewRunner(Protocol):
    """Previews ``stacks`` of the project at ``project_dir`` into ``out_dir``."""

    def run(self, project_dir: Path, stacks: Sequence[str], out_dir: Path) -> PreviewOutcome: ...

    def judge(self, code_root: Path | None, request: Path, out_dir: Path) -> PreviewOutcome:
        """Run the trusted gate on ``request`` with ``code_root``'s aksflow; 0/1 like preview."""
        ...

    def session(self) -> AbstractContextManager[None]:
        """The span of one diff, entered as early as possible: runs inside share set-up.
        Re-entering an open session is a no-op."""
        ...


def error_message(stderr: str, max_lines: int = 200) -> str:
    """The useful part of a failed preview's stderr: its whole ``error:`` message, else the tail.

    The error is everything from the first ``error:`` line on: a Helm or schema error spans
    several lines and its detail is what the user needs.
    """
    lines = [line.rstrip() for line in stderr.splitlines()]
    start = next((i for i, line in enumerate(lines) if "error:" in line), None)
    if start is None:
        tail = [line for line in lines if line.strip()][-15:]
        return "\n".join(tail) or "the preview failed without a message"
    body = [lines[start].split("error:", 1)[1].strip(), *lines[start + 1 :]]
    while body and not body[-1].strip():
        body.pop()
    if len(body) > max_lines:
        body = [*body[:max_lines], f"… {len(body) - max_lines} more lines"]
    return "\n".join(body)


class SubprocessPreviewRunner:
    """``python -m aksflow preview --quiet`` (and the gate) in child processes, forked from
    the session's fork server; a call outside a session starts a fork server of its own."""

    def __init__(
        self, helm: str | None = None, python: str = sys.executable, timeout: float = 1800.0
    ) -> None:
        self.helm = helm
        self.python = python
        self.timeout = timeout
        self._server: ChildServer | None = None
        # Base and head preview side by side: each gets its share of the CPUs, so neither
        # forks workers that only compete with the other's (and pay the imports again).
        self.jobs = max(1, available_cpus() // 2)

    def command(self, project_dir: Path, stacks: Sequence[str], out_dir: Path) -> list[str]:
        """The child's command line (``--stack`` once per stack): what a forked child is
        equivalent to, and what runs when the fork server starts a fresh interpreter."""
        cmd = [self.python, "-m", "aksflow", "preview", "--project-dir", str(project_dir)]
        cmd += ["--out", str(out_dir), "--quiet", "--jobs", str(self.jobs)]
        for stack in stacks:
            cmd += ["--stack", stack]
        if self.helm:
            cmd += ["--helm", self.helm]
        return cmd

    def run(self, project_dir: Path, stacks: Sequence[str], out_dir: Path) -> PreviewOutcome:
        command = self.command(project_dir, stacks, out_dir)
        return self._child(command, None, out_dir, _which(stacks))

    def judge_command(self, request: Path, out_dir: Path) -> list[str]:
        """The trusted gate's command line."""
        cmd = [self.python, "-m", "aksflow", "policy", "verdict", "--request", str(request)]
        return [*cmd, "--out", str(out_dir)]

    def judge(self, code_root: Path | None, request: Path, out_dir: Path) -> PreviewOutcome:
        command = self.judge_command(request, out_dir)
        return self._child(command, code_root, out_dir, "the base's policy gate")

    @contextmanager
    def session(self) -> Iterator[None]:
        """Children started inside fork from one fork server (in the temporary directory),
        which imports the floor meanwhile; a session already open is simply used."""
        if self._server is not None:
            yield
            return
        _CHILDREN.reset()
        server = start_server(self.python, Path(tempfile.gettempdir()))
        self._server = server
        try:
            yield
        finally:
            self._server = None
            server.close()

    def _child(
        self, command: list[str], code_root: Path | None, out_dir: Path, what: str
    ) -> PreviewOutcome:
        package_root = str(code_root or Path(aksflow.__file__).resolve().parent.parent)
        pythonpath = os.pathsep.join(
            p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p
        )
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        with ExitStack() as stack:
            server = self._server or stack.enter_context(
                _closing(start_server(self.python, out_dir.parent))
            )
            # `python -m aksflow ARGS` from a neutral directory: neither checkout, so the
            # tool is the one on PYTHONPATH (``package_root``).
            child = server.start(
                command[3:], cwd=out_dir.parent, path=[package_root], pythonpath=pythonpath
            )
            _CHILDREN.add(child)
            try:
                code, stderr = child.communicate(self.timeout)
            except subprocess.TimeoutExpired:
                if child.pid is not None:
                    child.signal(signal.SIGKILL)
                    child.communicate(None)
                return PreviewOutcome(2, out_dir, f"{what}: timed out after {self.timeout:.0f} s")
            finally:
                _CHILDREN.discard(child)
            if child.error:
                code, stderr = EXIT_BUG, f"error: the fork server {child.error}"
            elif code is None:  # the fork server itself failed: its status stands for the child
                code, stderr = server.failure()
        message = "" if code in (0, 1) else f"{what}: {_failure(code, stderr)}"
        return PreviewOutcome(code, out_dir, message)


@contextmanager
def _closing(server: ChildServer) -> Iterator[ChildServer]:
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
                _CHILDREN.started(self)
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


def _which(stacks: Sequence[str]) -> str:
    return f"preview of stack{'s' if len(stacks) != 1 else ''} {', '.join(stacks) or '(all)'}"


def _failure(code: int, stderr: str) -> str:
    """Why a child preview failed: its error, and what its exit status means."""
    message = error_message(stderr)
    if code < 0:
        return f"killed by {signal.Signals(-code).name}: {message}"
    if code == EXIT_BUG:
        return f"internal error (exit 3): {message}"
    if code > 128 and code - 128 in signal.Signals.__members__.values():
        return f"interrupted by {signal.Signals(code - 128).name} (exit {code}): {message}"
    return message if code == EXIT_INPUT else f"exit {code}: {message}"


class _Children:
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


_CHILDREN = _Children()
interrupts.on_interrupt(_CHILDREN.terminate)
