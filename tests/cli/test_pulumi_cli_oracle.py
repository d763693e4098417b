"""Cross-check with the real Pulumi CLI, where one is installed (a user's CI has it).

``pulumi policy analyze --file`` (CLI >= 3.249) runs a policy pack on a stack-export file with
no backend login: it must read our state files and reach the same verdict as our gate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

PULUMI = shutil.which("pulumi")
pytestmark = pytest.mark.skipif(
    PULUMI is None, reason="the Pulumi CLI is not installed (it is a separate download)"
)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_pulumi_policy_analyze_agrees_with_the_gate(previewed: dict[str, Any], stack: str) -> None:
    assert PULUMI is not None
    state: Path = previewed["out"] / stack / "state.json"
    result = subprocess.run(
        [
            PULUMI,
            "policy",
            "analyze",
            "--file",
            str(state),
            "--policy-pack",
            str(ROOT / "policies"),
            "--policy-pack-config",
            str(ROOT / "policies" / "config" / f"{stack}.json"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        timeout=300,
    )
    ours_fail = bool(previewed[stack].report.mandatory)
    assert (result.returncode != 0) == ours_fail, result.stdout + result.stderr
