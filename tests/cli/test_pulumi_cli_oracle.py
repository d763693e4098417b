"""Cross-check with the real Pulumi CLI, where one is installed (a user's CI has it).

``pulumi policy analyze --file`` (CLI >= 3.249) runs a policy pack on a stack-export file with
no backend login. With ``--json`` it prints one ``apitype.EngineEvent`` per line
(pulumi ``pkg/cmd/pulumi/policy/policy_analyze.go`` ``newAnalyzeEvents``/``writeEvent``;
``sdk/go/common/apitype/events.go`` ``PolicyEvent``): every violation as a ``policyEvent`` with
``policyName``, ``resourceUrn`` and ``enforcementLevel``. The CLI must read our state files and
find exactly the violations our gate finds. Stack-policy violations without a URN of the
snapshot are attributed to the root stack (``analyze_snapshot.go``
``resolveStackPolicyViolationURN``); ours are compared the same way.

The event parsing and the comparison run without the CLI, on a canned event stream; only the
CLI run itself skips when ``pulumi`` is not on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from aksflow.policy.report import PolicyReport
from tests.conftest import ROOT

PULUMI = shutil.which("pulumi")

ViolationKey = tuple[str, str, str]  # (policy, urn, level)


def cli_violations(stdout: str) -> set[ViolationKey]:
    """The violation set of ``pulumi policy analyze --json`` output (JSON lines)."""
    found: set[ViolationKey] = set()
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue  # e.g. "Installing policy pack ..." (pulumi/pulumi#19775)
        event = json.loads(line).get("policyEvent")
        if event:
            found.add((event["policyName"], event["resourceUrn"], event["enforcementLevel"]))
    return found


def our_violations(report: PolicyReport, state: Mapping[str, Any]) -> set[ViolationKey]:
    """The gate's violations, keyed as the CLI reports them."""
    resources = state["deployment"]["resources"]
    urns = {r["urn"] for r in resources}
    root = next(r["urn"] for r in resources if r["type"] == "pulumi:pulumi:Stack")
    return {(v.policy, v.urn if v.urn in urns else root, v.level) for v in report.violations}


def _events(*payloads: Mapping[str, Any]) -> str:
    return "\n".join(
        json.dumps({"sequence": i, "timestamp": 0, **p}) for i, p in enumerate(payloads)
    )


def test_the_comparison_reads_the_cli_event_stream(previewed: dict[str, Any]) -> None:
    stack = "prod"
    state = json.loads((previewed["out"] / stack / "state.json").read_text())
    root = state["deployment"]["resources"][0]["urn"]
    deployment = next(
        r["urn"] for r in state["deployment"]["resources"] if "Deployment" in r["type"]
    )
    stdout = "Installing policy pack...\n" + _events(
        {"policyEvent": {"resourceUrn": deployment, "policyName": "p1", "message": "m",
                         "color": "never", "policyPackName": "aksflow", "policyPackVersion": "0.1.0",
                         "policyPackVersionTag": "0.1.0", "enforcementLevel": "mandatory"}},
        {"policyEvent": {"resourceUrn": root, "policyName": "p2", "message": "m", "color": "never",
                         "policyPackName": "aksflow", "policyPackVersion": "0.1.0",
                         "policyPackVersionTag": "0.1.0", "enforcementLevel": "advisory"}},
        {"policyAnalyzeSummaryEvent": {"resourceUrn": deployment, "passed": ["p3"], "failed": ["p1"]}},
        {"summaryEvent": {"maybeCorrupt": False, "durationSeconds": 0, "resourceChanges": None,
                          "PolicyPacks": {"aksflow": "0.1.0"}}},
    )  # fmt: skip
    assert cli_violations(stdout) == {("p1", deployment, "mandatory"), ("p2", root, "advisory")}
    ours = our_violations(previewed[stack].report, state)
    assert all(urn in {r["urn"] for r in state["deployment"]["resources"]} for _, urn, _ in ours)


def _analyze(state: Path, config: Path) -> subprocess.CompletedProcess[str]:
    assert PULUMI is not None
    return subprocess.run(
        [
            PULUMI,
            "policy",
            "analyze",
            "--file",
            str(state),
            "--policy-pack",
            str(ROOT / "policies"),
            "--policy-pack-config",
            str(config),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        timeout=300,
    )


@pytest.mark.skipif(
    PULUMI is None, reason="the Pulumi CLI is not installed (it is a separate download)"
)
@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_pulumi_policy_analyze_finds_the_same_violations(
    previewed: dict[str, Any], stack: str
) -> None:
    result = previewed[stack]
    state_file: Path = previewed["out"] / stack / "state.json"
    config = ROOT / "policies" / "config" / f"{result.preview.environment}.json"
    run = _analyze(state_file, config)
    state = json.loads(state_file.read_text())
    assert cli_violations(run.stdout) == our_violations(result.report, state), run.stderr
    assert (run.returncode != 0) == bool(result.report.mandatory), run.stdout + run.stderr
