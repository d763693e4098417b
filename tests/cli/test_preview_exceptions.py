"""``aksflow preview`` applies the project's policies/exceptions.yaml (real preview, prod)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.diff.test_e2e import COPIED, ROOT
from tests.diff.test_gate_e2e import EXCEPTION, OWNER, _privileged_web


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("preview-exceptions") / "project"
    root.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / name)
    for stack_file in ROOT.glob("Pulumi.*.yaml"):
        shutil.copy2(stack_file, root / stack_file.name)
    _privileged_web(root)
    return root


def _preview(project: Path, exceptions: str, out: Path) -> subprocess.CompletedProcess[str]:
    (project / "policies" / "exceptions.yaml").write_text(exceptions)
    command = [sys.executable, "-m", "aksflow", "preview", "--project-dir", str(project)]
    return subprocess.run(
        [*command, "--stack", "prod", "--out", str(out), "--quiet"],
        cwd=project.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_preview_excepts_a_finding_and_fails_on_an_expired_exception(project: Path) -> None:
    out = project.parent / "out"
    done = _preview(project, EXCEPTION, out)
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "prod" / "policy.json").read_text())
    (excepted,) = [v for v in report["excepted"] if v["policy"] == "pss-privileged"]
    assert excepted["exception"]["owner"] == OWNER
    assert not [v for v in report["violations"] if v["policy"] == "pss-privileged"]

    done = _preview(project, EXCEPTION.replace("2099-12-31", "2020-01-31"), out)
    assert done.returncode == 1, done.stderr
    report = json.loads((out / "prod" / "policy.json").read_text())
    policies = {v["policy"] for v in report["violations"] if v["level"] == "mandatory"}
    assert {"pss-privileged", "aksflow-exception-expired"} <= policies
    assert report["excepted"] == []
