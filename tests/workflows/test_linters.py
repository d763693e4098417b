"""The workflow linters that `make lint` runs, run here too so a failure names the test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflows.conftest import REPO, SCRIPTS, WORKFLOWS, load_workflow

VENV_BIN = Path(sys.executable).parent


def run_tool(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run a linter from the virtualenv at the repository root."""
    tool = VENV_BIN / argv[0]
    if not tool.exists():
        pytest.fail(f"{tool} is missing: install the dev dependencies (make test does)")
    return subprocess.run(
        [str(tool), *argv[1:]], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


def test_zizmor_has_no_findings() -> None:
    result = run_tool("zizmor", "--offline", "--no-progress", str(WORKFLOWS.relative_to(REPO)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_match_the_github_schema() -> None:
    files = [str(p.relative_to(REPO)) for p in sorted(WORKFLOWS.glob("*.yml"))]
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_scripts_are_shellcheck_clean() -> None:
    scripts = sorted(SCRIPTS.glob("*.sh"))
    assert scripts
    result = run_tool("shellcheck", *(str(p.relative_to(REPO)) for p in scripts))
    assert result.returncode == 0, result.stdout + result.stderr


def test_scripts_are_strict_and_executable() -> None:
    for path in sorted(SCRIPTS.glob("*.sh")):
        text = path.read_text(encoding="utf-8")
        if path.name == "lib.sh":  # sourced, inherits the caller's options
            continue
        assert "set -euo pipefail" in text, path.name
        assert path.stat().st_mode & 0o111, f"{path.name} is not executable"


def test_run_blocks_are_shellcheck_clean(tmp_path: Path) -> None:
    """What actionlint does in CI: shellcheck every run: block as the bash script it becomes."""
    scripts = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job_id, job in load_workflow(path)["jobs"].items():
            for index, step in enumerate(job.get("steps", [])):
                if "run" in step:
                    target = tmp_path / f"{path.stem}-{job_id}-{index}.sh"
                    target.write_text("#!/usr/bin/env bash\nset -e\n" + str(step["run"]))
                    scripts.append(str(target))
    assert scripts
    result = run_tool("shellcheck", "--shell=bash", *scripts)
    assert result.returncode == 0, result.stdout + result.stderr
