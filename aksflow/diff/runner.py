"""Child processes of ``aksflow diff`` (the seam tests can replace).

``run``: ``aksflow preview`` of one revision. A subprocess keeps the two revisions' Pulumi
programs (both import ``infra``) apart and lets base and head run in parallel on two cores. The
child runs from a neutral directory with this aksflow on ``PYTHONPATH``, so the tool is the
current one, only the project is the revision's.

``judge``: ``aksflow policy verdict``, the trusted gate, with the BASE revision's aksflow on
``PYTHONPATH`` (``code_root``) when the base carries one, else this aksflow.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aksflow
from aksflow import interrupts
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

    def run(self, project_dir: Path, stacks: Sequence[str], out_dir: Path) -> PreviewOutcome: ...

    def judge(self, code_root: Path | None, request: Path, out_dir: Path) -> PreviewOutcome:
        """Run the trusted gate on ``request`` with ``code_root``'s aksflow; 0/1 like preview."""
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
    """``python -m aksflow preview --quiet`` in a child process."""

    def __init__(
        self, helm: str | None = None, python: str = sys.executable, timeout: float = 1800.0
    ) -> None:
        self.helm = helm
        self.python = python
        self.timeout = timeout
        # Base and head preview side by side: each gets its share of the CPUs, so neither
        # forks workers that only compete with the other's (and pay the imports again).
        self.jobs = max(1, available_cpus() // 2)

    def command(self, project_dir: Path, stacks: Sequence[str], out_dir: Path) -> list[str]:
        """The exact command line (``--stack`` once per stack)."""
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

    def _child(
        self, command: list[str], code_root: Path | None, out_dir: Path, what: str
    ) -> PreviewOutcome:
        package_root = str(code_root or Path(aksflow.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        with subprocess.Popen(
            command,
            cwd=out_dir.parent,  # neither checkout: `-m aksflow` must not pick a revision's
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group: an interrupt ends its workers too
        ) as child:
            _CHILDREN.add(child)
            try:
                _, stderr = child.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.communicate()
                return PreviewOutcome(2, out_dir, f"{what}: timed out after {self.timeout:.0f} s")
            finally:
                _CHILDREN.discard(child)
        code = child.returncode
        message = "" if code in (0, 1) else f"{what}: {_failure(code, stderr)}"
        return PreviewOutcome(code, out_dir, message)


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
    """Child previews still running, so an interrupt can end them (SIGTERM, SIGKILL after 10 s)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen[str]] = set()

    def add(self, child: subprocess.Popen[str]) -> None:
        with self._lock:
            self._live.add(child)

    def discard(self, child: subprocess.Popen[str]) -> None:
        with self._lock:
            self._live.discard(child)

    def terminate(self) -> None:
        with self._lock:
            live = list(self._live)
        for child in live:  # the child cleans up its staged output and exits 143
            _signal_group(child, signal.SIGTERM)
        if live:
            threading.Thread(target=self._kill_later, args=(live,), daemon=True).start()

    @staticmethod
    def _kill_later(children: list[subprocess.Popen[str]]) -> None:
        for child in children:
            with suppress(subprocess.TimeoutExpired):
                child.wait(timeout=10)
            # Also the workers a preview forked: they hold its stderr pipe open.
            _signal_group(child, signal.SIGKILL)


def _signal_group(child: subprocess.Popen[str], sig: signal.Signals) -> None:
    """Signal the child's whole process group (the child and the workers it forked)."""
    with suppress(OSError):
        os.killpg(child.pid, sig)


_CHILDREN = _Children()
interrupts.on_interrupt(_CHILDREN.terminate)
