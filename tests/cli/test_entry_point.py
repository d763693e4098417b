"""The console entry point (``aksflow.cli.run``) keeps exit codes and output intact.

``run`` ends the process with ``os._exit`` after flushing, skipping interpreter shutdown; these
tests run real processes so that a lost exit code or unflushed output would show.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _aksflow(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aksflow", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_success_exits_0_with_its_output_flushed() -> None:
    """Output written to a pipe before ``os._exit`` reaches the reader."""
    result = _aksflow("--version")
    assert result.returncode == 0, result.stderr
    assert "version" in result.stdout


def test_an_input_error_keeps_exit_code_2_and_its_message() -> None:
    """An unknown stack is exit 2 with its message on stderr, not lost at exit."""
    result = _aksflow("preview", "--stack", "no-such-stack", "--out", "/dev/null/x")
    assert result.returncode == 2
    assert "no-such-stack" in result.stderr


def test_a_full_preview_writes_every_stack_and_exits_0(tmp_path: Path) -> None:
    """The shipped stacks preview in one process; files are complete when it exits."""
    out = tmp_path / "out"
    result = _aksflow("preview", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Wrote" in result.stdout
    for stack in ("dev", "staging", "prod"):
        assert (out / stack / "state.json").read_text().rstrip().endswith("}")
