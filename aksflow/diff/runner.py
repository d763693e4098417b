"""Child processes of ``aksflow diff`` (the seam tests can replace).

``run``: ``aksflow preview`` of one revision. A subprocess keeps the two revisions' Pulumi
programs (both import ``infra``) apart and lets base and head run in parallel on two cores. The
child runs from a neutral directory with the revision's own ``aksflow`` on ``PYTHONPATH``
(``code_root``) when the revision carries one, else this aksflow: the program imports
``aksflow`` (its chart declarations, environments, YAML reader), so a real ``pulumi preview`` of
that revision would run that revision's copy, and a change to it belongs in the diff.

``judge``: ``aksflow policy verdict``, the trusted gate, with the BASE revision's aksflow on
``PYTHONPATH`` (``code_root``) when the base carries one, else this aksflow.

Each child is ``python -m aksflow ...`` with that ``PYTHONPATH``, but forked from the diff's
fork server (:mod:`aksflow.diff.zygote`, started by :meth:`SubprocessPreviewRunner.session`),
which has imported the third-party floor once and no revision's code: the children skip the
floor's imports, and each still imports its own revision's ``aksflow``, ``infra`` and pack.
Where the fork server cannot run (it needs Linux), each child is that ``python -m aksflow`` in
a fresh interpreter. How children start, report and end: :mod:`aksflow.diff.children`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aksflow
from aksflow.diff.children import CHILDREN, ChildServer, closing, start_server
from aksflow.errors import EXIT_BUG, EXIT_INPUT, AksflowError
from aksflow.parallel import available_cpus


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

    def run(
        self,
        project_dir: Path,
        stacks: Sequence[str],
        out_dir: Path,
        code_root: Path | None = None,
    ) -> PreviewOutcome:
        """Preview with ``code_root``'s aksflow (the revision's own), else this aksflow."""
        ...

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

    def run(
        self,
        project_dir: Path,
        stacks: Sequence[str],
        out_dir: Path,
        code_root: Path | None = None,
    ) -> PreviewOutcome:
        command = self.command(project_dir, stacks, out_dir)
        return self._child(command, code_root, out_dir, _which(stacks))

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
        CHILDREN.reset()
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
                closing(start_server(self.python, out_dir.parent))
            )
            # `python -m aksflow ARGS` from a neutral directory: neither checkout, so the
            # tool is the one on PYTHONPATH (``package_root``).
            child = server.start(
                command[3:], cwd=out_dir.parent, path=[package_root], pythonpath=pythonpath
            )
            CHILDREN.add(child)
            try:
                code, stderr = child.communicate(self.timeout)
            except subprocess.TimeoutExpired:
                if child.pid is not None:
                    child.signal(signal.SIGKILL)
                    child.communicate(None)
                return PreviewOutcome(2, out_dir, f"{what}: timed out after {self.timeout:.0f} s")
            finally:
                CHILDREN.discard(child)
            if child.error:
                code, stderr = EXIT_BUG, f"error: the fork server {child.error}"
            elif code is None:  # the fork server itself failed: its status stands for the child
                code, stderr = server.failure()
        message = "" if code in (0, 1) else f"{what}: {_failure(code, stderr)}"
        return PreviewOutcome(code, out_dir, message)


def _which(stacks: Sequence[str]) -> str:
    return f"preview of stack{'s' if len(stacks) != 1 else ''} {', '.join(stacks) or '(all)'}"


def _signal_name(number: int) -> str:
    """``SIGKILL``; a number Python has no name for (a real-time signal) as ``signal 40``."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _failure(code: int, stderr: str) -> str:
    """Why a child preview failed: its error, and what its exit status means."""
    message = error_message(stderr)
    if code < 0:
        return f"killed by {_signal_name(-code)}: {message}"
    if code == EXIT_BUG:
        return f"internal error (exit 3): {message}"
    if code > 128 and code - 128 in signal.Signals.__members__.values():
        return f"interrupted by {signal.Signals(code - 128).name} (exit {code}): {message}"
    return message if code == EXIT_INPUT else f"exit {code}: {message}"
