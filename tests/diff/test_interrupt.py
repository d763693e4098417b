"""SIGTERM during ``aksflow diff``: worktrees and the temporary folder removed, children ended."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_project

from .gitrepo import GIT_ENV, commit, git, init


def _worktrees(repo: Path) -> list[str]:
    return [
        line.split(" ", 1)[1]
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


def _worktrees_while_set_up(repo: Path) -> list[str]:
    """Worktrees while the diff may be adding one: `git worktree list` fails on a worktree
    whose ``.git`` file `git worktree add` has not written yet; that is "not there yet"."""
    try:
        return _worktrees(repo)
    except subprocess.CalledProcessError:
        return []


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


def _forked_children(pids: list[int]) -> list[int]:
    """Those of ``pids`` whose parent is the diff's fork server (aksflow/diff/zygote.py)."""
    servers = set()
    for pid in pids:
        try:
            if b"zygote.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                servers.add(pid)
        except OSError:
            continue
    return [pid for pid in pids if _parent(pid) in servers]


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_diff_cleans_up(tmp_path: Path, sig: signal.Signals) -> None:
    repo = tmp_path / "repo"
    init(repo)
    copy_project(repo)
    commit(repo, "base")
    stack = repo / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text() + "  aksflow:skuTier: Standard\n")
    commit(repo, "head")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, **GIT_ENV, "HOME": str(tmp_path), "TMPDIR": str(temp)}
    env["PYTHONPATH"] = str(ROOT)
    diff = subprocess.Popen(
        [
            *(sys.executable, "-m", "aksflow", "diff", "--base", "HEAD~1", "--head", "HEAD"),
            *("--project-dir", str(repo), "--out", str(tmp_path / "out")),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # both previews forked and running in their worktrees
        if (
            len(_worktrees_while_set_up(repo)) == 3
            and len(_forked_children(_processes_mentioning(str(temp)))) >= 2
        ):
            break
        assert diff.poll() is None, diff.communicate()[1]
        time.sleep(0.05)
    else:
        pytest.fail("the diff never started both previews")
    time.sleep(0.5)
    children = _processes_mentioning(str(temp))
    diff.send_signal(sig)
    _, stderr = diff.communicate(timeout=60)
    assert diff.returncode == 128 + sig, stderr
    assert f"interrupted by {sig.name}" in stderr
    assert "Traceback" not in stderr
    assert _worktrees(repo) == [str(repo)]
    assert list(temp.iterdir()) == []
    assert _processes_mentioning(str(temp)) == []
    assert all(not Path(f"/proc/{pid}").exists() for pid in children)
    assert not (tmp_path / "out").exists()
