"""The fork server of ``aksflow diff``: the import floor once, then each child forked from it.

Every child of a diff (the head's preview, the base's preview, the base's policy gate) starts
by importing the same third-party modules: the Pulumi SDKs, grpc, pulumi_policy, jsonschema,
yaml, click, rich. This process imports them once and forks each child from there, so a child
starts with them loaded, copy-on-write.

It runs as a script, ``python -P aksflow/diff/zygote.py WORKDIR`` (never ``-m``), and imports
nothing from ``aksflow``, ``infra`` or ``policies``: every child imports those itself, from its
own revision's path, exactly as ``python -m aksflow`` would there. The gate must run the BASE
revision's aksflow and pack; a module of any revision loaded before the fork would be inherited
by all children. :func:`fork_hazard` checks that, and two more conditions, before every fork;
when one fails, the child is a fresh ``python -m aksflow`` instead, the same command with the
same environment, only slower.

Protocol, over the ``AF_UNIX`` ``SOCK_SEQPACKET`` socket on stdin: one packet per child, a JSON
request (``argv`` after ``-m aksflow``, ``cwd``, ``path`` to put first on ``sys.path``, ``env``
to set) carrying four file descriptors (the child's stdin, stdout, stderr, and a status pipe).
On the status pipe this process writes ``pid N`` once the child runs and ``exit C`` when it
ends (``C`` as :attr:`subprocess.Popen.returncode`: negative for a signal), or ``error ...``
when it could not start it. End of file on the
socket ends this process; children still running are sent SIGTERM first.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import runpy
import selectors
import signal
import socket
import subprocess
import sys
import traceback
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

# Third-party only. Measured (``python -X importtime -m aksflow preview``): these pull in
# nearly every third-party module a preview or a gate loads, about 0.25 s of a child's start.
FLOOR = (
    "pulumi",
    "pulumi.runtime",
    "pulumi_azure_native",
    "pulumi_kubernetes.helm.v4",
    "pulumi_kubernetes.provider",
    "pulumi_policy",
    "grpc",
    "jsonschema",
    "yaml",
    "click",
    "rich.console",
    "rich.table",
)
# Each revision's own code: never imported here, so each child imports its revision's.
REVISION_PACKAGES = ("aksflow", "infra", "policies")
MAX_REQUEST = 1 << 20


def revision_modules(names: Iterable[str]) -> list[str]:
    """Loaded modules that belong to a revision (``aksflow*``, ``infra*``, ``policies*``)."""
    return sorted(name for name in names if name.startswith(REVISION_PACKAGES))


def _third_party_tops() -> set[str]:
    builtin = set(sys.stdlib_module_names) | set(sys.builtin_module_names)
    return {name.partition(".")[0] for name in sys.modules} - builtin - {"__main__"}


def shadowed(entries: Sequence[str], loaded: set[str]) -> list[str]:
    """Loaded top-level modules that a directory in ``entries`` would provide instead.

    ``python -m aksflow`` with ``entries`` first on ``sys.path`` would import such a module
    from there; a forked child already holds the venv's.
    """
    found = []
    for entry in entries:
        try:
            names = os.listdir(entry)  # noqa: PTH208 - names only, one call
        except OSError:
            continue
        found += [f"{entry}/{name}" for name in names if name.partition(".")[0] in loaded]
    return sorted(found)


def fork_hazard(entries: Sequence[str]) -> str | None:
    """Why forking a child with ``entries`` first on its path would not be faithful, if it
    would not: a revision's module already loaded, a second thread (``fork`` copies only the
    calling one: a lock another thread holds stays locked in the child), or a loaded
    third-party module that the child's path would shadow."""
    loaded = revision_modules(sys.modules)
    if loaded:
        return f"revision code loaded before the fork: {', '.join(loaded)}"
    try:
        threads = len(os.listdir("/proc/self/task"))  # noqa: PTH208 - a count
    except OSError:
        return "no /proc/self/task to count threads"
    if threads != 1:
        return f"{threads} threads"
    hidden = shadowed(entries, _third_party_tops())
    return f"shadowed by the child's path: {', '.join(hidden)}" if hidden else None


def warm(modules: Iterable[str]) -> None:
    """Import ``modules``; one that fails is left to the child, which reports it itself."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # the child imports it again and says why
            continue


def _exit_code(exc: SystemExit) -> int:
    """What the interpreter makes of an uncaught SystemExit."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _run_child(request: Mapping[str, Any]) -> NoReturn:
    """In the forked child: become ``python -m aksflow ARGV`` run in ``cwd``, then exit."""
    for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request["cwd"])
    os.environ.update(request["env"])
    # `python -m` puts the working directory first, then PYTHONPATH (``path`` leads it).
    sys.path[:0] = [request["cwd"], *request["path"]]
    importlib.invalidate_caches()
    sys.argv = ["-m", *request["argv"]]
    if "random" in sys.modules:  # a fresh interpreter seeds itself; forks would share a seed
        sys.modules["random"].seed()
    gc.enable()
    try:
        runpy.run_module("aksflow", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc)
    except KeyboardInterrupt as exc:
        # aksflow's Interrupted (a KeyboardInterrupt) carries the signal that raised it: a
        # SIGTERM must end the child as SIGTERM, as it would a fresh interpreter.
        sig = signal.Signals(getattr(exc, "signum", signal.SIGINT))
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        code = 128 + sig
    except BaseException:  # reported as the interpreter reports one
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


class Server:
    """The request loop: one child per packet, its exit status back on its status pipe."""

    def __init__(self, channel: socket.socket) -> None:
        self.channel = channel
        self.selector = selectors.DefaultSelector()
        self.selector.register(channel, selectors.EVENT_READ, None)
        self.live: dict[int, tuple[int, int, subprocess.Popen[bytes] | None]] = {}

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select():
                if key.data is None:
                    if not self._accept():
                        self._shutdown()
                        return
                else:
                    self._reap(key.fd)

    def _accept(self) -> bool:
        try:
            message, fds, _, _ = socket.recv_fds(self.channel, MAX_REQUEST, 4)
        except OSError:
            return False
        if not message:
            for fd in fds:
                os.close(fd)
            return False
        try:
            stdin, stdout, stderr, status = fds
        except ValueError:  # pragma: no cover - the parent always sends four
            for fd in fds:
                os.close(fd)
            return True
        request = json.loads(message)
        try:
            pid, popen, hazard = self._start(request, stdin, stdout, stderr, status)
        except OSError as exc:  # fork or exec refused (no memory, too many processes)
            _say(status, f"error cannot start it: {exc}")
            os.close(status)
            return True
        finally:
            for fd in (stdin, stdout, stderr):
                os.close(fd)
        pidfd = os.pidfd_open(pid)
        self.live[pidfd] = (pid, status, popen)
        self.selector.register(pidfd, selectors.EVENT_READ, pid)
        note = f" spawned: {hazard}".replace("\n", " ") if hazard else ""
        _say(status, f"pid {pid}{note}")
        return True

    def _start(
        self, request: Mapping[str, Any], stdin: int, stdout: int, stderr: int, status: int
    ) -> tuple[int, subprocess.Popen[bytes] | None, str | None]:
        """Fork the child, or spawn a fresh interpreter when a fork would not be faithful."""
        hazard = fork_hazard([request["cwd"], *request["path"]])
        if hazard is None:
            pid = os.fork()
            if pid == 0:
                self._become_child(stdin, stdout, stderr, status)
                _run_child(request)
            return pid, None, None
        popen = subprocess.Popen(
            [sys.executable, "-m", "aksflow", *request["argv"]],
            cwd=request["cwd"],
            env={**os.environ, **request["env"]},
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        return popen.pid, popen, hazard

    def _become_child(self, stdin: int, stdout: int, stderr: int, status: int) -> None:
        os.setsid()  # its own process group: the parent ends it and its workers together
        for target, fd in enumerate((stdin, stdout, stderr)):
            os.dup2(fd, target)
        self.selector.close()
        os.close(self.channel.detach())
        for fd, (_, other_status, _) in self.live.items():
            os.close(fd)
            os.close(other_status)
        for fd in {stdin, stdout, stderr, status}:
            if fd > 2:
                os.close(fd)

    def _reap(self, pidfd: int) -> None:
        pid, status, popen = self.live.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        if popen is not None:
            code = popen.wait()
        else:
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        _say(status, f"exit {code}")
        os.close(status)

    def _shutdown(self) -> None:
        for pid, _, _ in self.live.values():
            try:
                os.killpg(pid, signal.SIGTERM)
            except OSError:
                continue
        while self.live:
            for key, _ in self.selector.select():
                if key.data is not None:
                    self._reap(key.fd)


def _say(status: int, line: str) -> None:
    with contextlib.suppress(OSError):  # the parent stopped listening: nothing to tell
        os.write(status, f"{line}\n".encode())


def main() -> None:
    """Warm the floor, then serve the socket on stdin until it closes; exit at once after."""
    gc.disable()  # the floor's objects stay for good; children re-enable it as fresh ones
    warm(FLOOR)
    gc.freeze()  # keep the collector in children off the floor's pages (copy-on-write)
    channel = socket.socket(fileno=os.dup(0))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # children inherit no end of the socket as their stdin
    os.close(devnull)
    Server(channel).serve()
    os._exit(0)  # tearing the floor's modules down is pure cost; the parent is waiting


if __name__ == "__main__":
    main()
