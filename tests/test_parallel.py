"""Forked workers: results in item order, errors classified, the same output as one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from aksflow.errors import ConfigError
from aksflow.parallel import fork_is_safe, ordered_map

ROOT = Path(__file__).resolve().parents[1]


def _slow_first(item: int) -> tuple[int, int]:
    """Item 0 finishes last; the results must still come back in item order."""
    time.sleep(0.3 if item == 0 else 0.0)
    return item, os.getpid()


def _fail_on_two(item: int) -> int:
    if item == 2:
        raise ConfigError(f"Pulumi.stack{item}.yaml: aksflow:vmSize: bad value")
    return item


def _bug(item: int) -> int:
    return {"a": 1}[str(item)]


# The test process itself has threads by the time these run (earlier tests ran previews), so it
# would rightly never fork: each forking case runs in a fresh, single-threaded interpreter.
_FRESH = """
import json, os, sys
from aksflow.errors import ConfigError
from aksflow.parallel import WorkerCrashError, ordered_map
from tests.test_parallel import _bug, _fail_on_two, _slow_first

report = {"parent": os.getpid()}
if sys.argv[1] == "order":
    report["order"] = list(ordered_map(_slow_first, [0, 1, 2, 3], workers=2))
elif sys.argv[1] == "config_error":
    seen = []
    try:
        seen.extend(ordered_map(_fail_on_two, [0, 1, 2, 3], workers=2))
    except ConfigError as exc:
        report["config_error"] = [str(exc), seen]
else:
    try:
        list(ordered_map(_bug, [0, 1], workers=2))
    except WorkerCrashError as exc:
        report["crash"] = [str(exc), exc.remote_traceback]
json.dump(report, sys.stdout)
"""


def fresh(scenario: str) -> dict[str, Any]:
    """What ``ordered_map`` did for ``scenario`` in a fresh interpreter (see ``_FRESH``)."""
    result = subprocess.run(
        [sys.executable, "-c", _FRESH, scenario],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_results_come_back_in_item_order_from_other_processes() -> None:
    """Every item runs in a forked worker, and the order is the items' order."""
    report = fresh("order")
    assert [item for item, _ in report["order"]] == [0, 1, 2, 3]
    assert report["parent"] not in {pid for _, pid in report["order"]}


def test_one_worker_runs_in_this_process() -> None:
    """``workers=1`` (or one item) forks nothing."""
    results = list(ordered_map(_slow_first, [1, 2], workers=1))
    assert {pid for _, pid in results} == {os.getpid()}


def test_an_input_error_in_a_worker_keeps_its_type_and_message() -> None:
    """An AksflowError crosses the process boundary as itself (exit 2 upstream)."""
    message, seen = fresh("config_error")["config_error"]
    assert message == "Pulumi.stack2.yaml: aksflow:vmSize: bad value"
    assert seen == [0, 1]


def test_a_bug_in_a_worker_is_a_worker_crash_with_its_traceback() -> None:
    """Anything else is reported as a bug, with the worker's traceback kept."""
    message, remote_traceback = fresh("crash")["crash"]
    assert message.startswith("KeyError")
    assert "_bug" in remote_traceback


def test_a_process_with_other_threads_never_forks() -> None:
    """A thread (a pool's, or Helm's Go runtime) makes fork unsafe: run in this process."""
    started = threading.Event()
    stop = threading.Event()

    def idle() -> None:
        started.set()
        stop.wait(10)

    thread = threading.Thread(target=idle, daemon=True)
    thread.start()
    started.wait(5)
    try:
        assert not fork_is_safe()
        results = list(ordered_map(_slow_first, [1, 2, 3], workers=2))
    finally:
        stop.set()
        thread.join()
    assert {pid for _, pid in results} == {os.getpid()}


def _preview(out: Path, jobs: int) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aksflow",
            "preview",
            "--quiet",
            "--out",
            str(out),
            "--jobs",
            str(jobs),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _state(out: Path, stack: str) -> dict[str, object]:
    document = json.loads((out / stack / "state.json").read_text())
    document["deployment"]["manifest"].pop("time", None)
    for resource in document["deployment"]["resources"]:
        for stamp in ("created", "modified"):
            resource.pop(stamp, None)
    return dict(document)


def test_workers_write_what_one_process_writes(tmp_path: Path) -> None:
    """``--jobs 2`` and ``--jobs 1`` (fresh processes) write the same states and verdicts."""
    _preview(tmp_path / "one", jobs=1)
    _preview(tmp_path / "two", jobs=2)
    stacks = sorted(p.name for p in (tmp_path / "one").iterdir() if p.is_dir())
    assert stacks and stacks == sorted(p.name for p in (tmp_path / "two").iterdir() if p.is_dir())
    for stack in stacks:
        assert _state(tmp_path / "two", stack) == _state(tmp_path / "one", stack)
        assert (tmp_path / "two" / stack / "policy.json").read_text() == (
            tmp_path / "one" / stack / "policy.json"
        ).read_text()
