"""The docs describe the deploy as the workflows run it, and the runbook covers its failures."""

from __future__ import annotations

import re

from tests.workflows.conftest import REPO, WORKFLOWS, load_workflow

PIPELINE = (REPO / "docs" / "pipeline.md").read_text(encoding="utf-8")
RUNBOOK = (REPO / "docs" / "runbook.md").read_text(encoding="utf-8")


def test_every_script_the_deploy_runs_is_documented() -> None:
    scripts: set[str] = set()
    for name in ("deploy.yml", "deploy-environment.yml"):
        for job in load_workflow(WORKFLOWS / name)["jobs"].values():
            for step in job.get("steps", []):
                scripts.update(
                    re.findall(r"\.github/scripts/([\w-]+\.sh)", str(step.get("run", "")))
                )
    assert {"resolve-deploy.sh", "plan-stack.sh", "apply-stack.sh", "policy-gate.sh"} <= scripts
    deploys = PIPELINE[PIPELINE.index("### Deploys") : PIPELINE.index("### Drift")]
    for script in scripts - {"setup-venv.sh"}:
        assert script in deploys, f"docs/pipeline.md's Deploys section does not mention {script}"
    for fact in (
        "aksflow stacks --json --group",
        "aksflow plan check",
        "git merge-base --is-ancestor",
        "plan-<stack>",
        "AKSFLOW_RUNS_ON_<ENVIRONMENT>",
        '"ubuntu-24.04"',
    ):
        assert fact in PIPELINE, fact


def test_runner_and_kubelogin_setup_is_documented() -> None:
    runners = PIPELINE[PIPELINE.index("### Runners for private API servers") :]
    assert "Self-hosted runners in the VNet" in runners
    assert "GitHub-hosted runners with Azure private networking" in runners
    assert "KUBELOGIN_SHA256" in runners and "install-kubelogin.sh" in runners


def test_the_runbook_covers_every_failure() -> None:
    headings = re.findall(r"(?m)^## (.+)$", RUNBOOK)
    assert headings == [
        "A `pulumi up` that failed halfway",
        "A stuck lock (`pulumi cancel`)",
        "Restoring state from blob versioning",
        "Rolling back an app vs the cluster",
        "Decommissioning a stack",
    ]
