"""Shared fixtures for the workflow tests: parsed workflows and a sandbox for the scripts."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
SCRIPTS = REPO / ".github" / "scripts"


def load_workflow(path: Path) -> dict[str, Any]:
    """Parse a workflow; PyYAML reads the `on:` key as True, so it is renamed back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.fixture(scope="session")
def workflows() -> dict[str, dict[str, Any]]:
    """Every workflow file by file name."""
    found = {p.name: load_workflow(p) for p in sorted(WORKFLOWS.glob("*.yml"))}
    assert found, "no workflows found"
    return found


def make_executable(path: Path, text: str) -> Path:
    """Write a stub program and make it executable."""
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@dataclass
class Sandbox:
    """A working directory with a bin/ of stubs in front of PATH, for running the scripts."""

    root: Path
    bin: Path
    calls: Path  # every stub appends "<name> <args...>" here

    def stub(self, name: str, body: str) -> Path:
        """Install a bash stub that logs its arguments, then runs `body`."""
        text = (
            "#!/usr/bin/env bash\nset -euo pipefail\n"
            f'printf "%s\\n" "{name} $*" >> "{self.calls}"\n{body}\n'
        )
        return make_executable(self.bin / name, text)

    def run(
        self, argv: list[str], env: Mapping[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the sandbox with a minimal, explicit environment."""
        full_env = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.root),
            "GITHUB_OUTPUT": str(self.root / "github_output"),
            "GITHUB_STEP_SUMMARY": str(self.root / "step_summary"),
            **(env or {}),
        }
        return subprocess.run(
            argv,
            cwd=self.root,
            env=full_env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def outputs(self) -> dict[str, str]:
        """The step outputs written to $GITHUB_OUTPUT."""
        path = self.root / "github_output"
        if not path.exists():
            return {}
        pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        return dict(pairs)

    def summary(self) -> str:
        """The job summary written to $GITHUB_STEP_SUMMARY."""
        path = self.root / "step_summary"
        return path.read_text() if path.exists() else ""

    def logged(self) -> list[str]:
        """The stub invocations, in order."""
        return self.calls.read_text().splitlines() if self.calls.exists() else []


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    """A fresh sandbox per test. The scripts need bash and jq, as on GitHub's runners."""
    for tool in ("bash", "jq"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required by the workflow scripts: apt-get install {tool}")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    return Sandbox(root=work, bin=bin_dir, calls=tmp_path / "calls.log")
