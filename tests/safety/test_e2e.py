"""Change safety end to end: real git histories through ``aksflow diff`` (the CLI command).

One temporary repository holds this checkout's project and a linear history, one commit per
scenario; each test diffs a scenario's commit against its parent, previewing one stack.
Stack files are edited as YAML (node pools as strings or objects), so the scenarios survive
the node-pool syntax of either form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from aksflow.diff.cli import diff as diff_command
from tests.diff import gitrepo

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("Pulumi.yaml", "environments.yaml", "infra", "apps", "policies", "safety.yaml")


def _stack_config(repo: Path, stack: str) -> tuple[Path, dict[str, Any]]:
    path = repo / f"Pulumi.{stack}.yaml"
    doc = yaml.safe_load(path.read_text()) or {}
    doc.setdefault("config", {})
    return path, doc


def _set(repo: Path, stack: str, key: str, value: Any) -> None:
    path, doc = _stack_config(repo, stack)
    doc["config"][f"aksflow:{key}"] = value
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _profile_pools(repo: Path, environment: str, change: Callable[[list[Any]], None]) -> None:
    """Change the node pools of ``environment``'s profile (environments.yaml), its stacks' pools."""
    path = repo / "environments.yaml"
    doc = yaml.safe_load(path.read_text())
    (entry,) = [e for e in doc["environments"] if e["name"] == environment]
    change(entry["config"]["aksflow:nodePools"])
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _edit_pool(repo: Path, environment: str, name: str, **fields: Any) -> None:
    def edit(pools: list[Any]) -> None:
        next(pool for pool in pools if pool["name"] == name).update(fields)

    _profile_pools(repo, environment, edit)


def _add_pool(repo: Path, environment: str, name: str, **fields: Any) -> None:
    _profile_pools(repo, environment, lambda pools: pools.append({"name": name, **fields}))


def _prod_vm_size(repo: Path) -> None:
    _edit_pool(repo, "prod", "npuser01", vmSize="Standard_D8ds_v5")


def _prod_upgrade(repo: Path) -> None:
    _set(repo, "prod", "kubernetesVersion", "1.36")


FLOW_SCHEMA = """\
apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
kind: FlowSchema
metadata:
  name: {{ .Release.Name }}-controllers
spec:
  priorityLevelConfiguration:
    name: workload-high
  matchingPrecedence: 1000
  rules:
    - subjects:
        - kind: ServiceAccount
          serviceAccount:
            name: controller
            namespace: {{ .Release.Namespace }}
      resourceRules:
        - verbs: ["*"]
          apiGroups: ["*"]
          resources: ["*"]
          clusterScope: true
          namespaces: ["*"]
"""


def _flow_schema_app(repo: Path) -> None:
    """dev at 1.31 with an app whose FlowSchema uses flowcontrol v1beta3 (removed in 1.32)."""
    app = repo / "apps" / "apf"
    (app / "chart" / "templates").mkdir(parents=True)
    (app / "app.yaml").write_text(
        "description: API priority and fairness for the platform controllers.\n"
        "chart:\n  path: chart\nnamespace: apf\nreleaseName: apf\nenvironments: [dev]\n"
    )
    (app / "chart" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: apf\nversion: 1.0.0\nappVersion: 1.0.0\n"
    )
    (app / "chart" / "values.yaml").write_text("{}\n")
    (app / "chart" / "templates" / "flowschema.yaml").write_text(FLOW_SCHEMA)
    _set(repo, "dev", "kubernetesVersion", "1.31")


def _dev_upgrade_132(repo: Path) -> None:
    _set(repo, "dev", "kubernetesVersion", "1.32")


def _gpu_pool(repo: Path) -> None:
    """A T4 pool in dev: its size first joins the program's VM size table, as a user would."""
    table = repo / "infra" / "data" / "vm_sizes.json"
    doc = json.loads(table.read_text())
    doc["sizes"]["Standard_NC4as_T4_v3"] = {
        "vcpus": 4,
        "memoryGiB": 28,
        "localDisk": True,
        "arch": "x64",
        "series": "ncast4v3-series",
    }
    table.write_text(json.dumps(doc, indent=1) + "\n")
    _add_pool(repo, "dev", "npgpu01", vmSize="Standard_NC4as_T4_v3", minCount=0, maxCount=2)


def _dev_taint(repo: Path) -> None:
    _edit_pool(repo, "dev", "npuser01", taints=["dedicated=batch:NoSchedule"])


def _prod_system_pool(repo: Path) -> None:
    _set(repo, "prod", "systemPoolVmSize", "Standard_D8ds_v5")


SCENARIOS: list[tuple[str, Callable[[Path], None]]] = [
    ("prod-vm-size", _prod_vm_size),
    ("prod-upgrade", _prod_upgrade),
    ("apf-app", _flow_schema_app),
    ("dev-upgrade", _dev_upgrade_132),
    ("dev-taint", _dev_taint),
    ("gpu-pool", _gpu_pool),
    ("prod-system-pool", _prod_system_pool),
]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("safety") / "repo"
    gitrepo.init(repo)
    gitrepo.copy_project(ROOT, repo, COPIED)
    gitrepo.commit(repo, "base")
    gitrepo.commit_scenarios(repo, SCENARIOS)
    return repo


def run_diff(repo: Path, scenario: str, stack: str) -> tuple[dict[str, Any], str]:
    out = repo.parent / f"out-{scenario}"
    args = ["--project-dir", str(repo), "--out", str(out), "--base", f"{scenario}~1"]
    args += ["--head", scenario, "--stack", stack]
    result = CliRunner().invoke(diff_command, args)
    doc = json.loads((out / "pr" / "diff.json").read_text())
    assert doc["error"] is None, doc["error"]
    assert result.exit_code == doc["exitStatus"], (result.output, result.exception)
    return doc, (out / "pr" / "comment.md").read_text()


def _section(comment: str, title: str) -> str:
    """From the ``#### <title>`` heading to the next heading."""
    start = comment.index(f"#### {title}")
    end = comment.find("\n#### ", start + 1)
    return comment[start : end if end != -1 else len(comment)]


def _safety(doc: dict[str, Any], stack: str) -> dict[str, Any]:
    found = next(s for s in doc["stacks"] if s["stack"] == stack)
    safety: dict[str, Any] = found["safety"]
    return safety


def test_prod_vm_size_change_gets_a_rotation_plan_naming_the_web_deployment(
    history: Path,
) -> None:
    doc, comment = run_diff(history, "prod-vm-size", "prod")
    safety = _safety(doc, "prod")
    (plan,) = safety["rotations"]
    assert (plan["pool"], plan["newPool"], plan["system"]) == ("npuser01", "npuser02", False)
    assert any("vmSize" in r for r in plan["reasons"])
    # Step 1 in the stack file's syntax: the old pool unchanged, the new one with the new size.
    assert "npuser01" in plan["config"] and "Standard_D4ds_v5" in plan["config"]
    assert "npuser02" in plan["config"] and "Standard_D8ds_v5" in plan["config"]
    # prod's pools come from its profile: the rotation goes there, for every prod stack.
    assert plan["stackFile"] == "environments.yaml"
    assert plan["config"].startswith("environments:\n  - name: prod")
    assert "every prod stack gets both pools" in plan["steps"][0]
    assert "deletes the old pool before the new one is created" in plan["why"]
    assert any("drain" in step and "PodDisruptionBudget" in step for step in plan["steps"]) or (
        "PodDisruptionBudgets hold" in " ".join(plan["steps"])
    )
    (impact,) = [b for b in safety["blastRadius"] if b["pool"] == "npuser01"]
    assert impact["change"] == "replaced"
    web = next(w for w in impact["workloads"] if w["workload"] == "Deployment web/web")
    assert web["replicas"] == 3 and web["pdb"] == "web/web"  # prod: HPA minReplicas 3
    assert web["requests"] == {"cpu": "250m", "memory": "256Mi"}
    assert "npbatch01" in web["elsewhere"] and not web["nowhereToSchedule"]
    assert any(r["category"] == "rotation" and r["level"] == "high" for r in doc["risks"])
    # In the comment: right under the risks.
    assert comment.index("Risks") < comment.index("#### 🛟 Change safety")
    section = _section(comment, "🛟 Change safety")
    assert "Rotate node pool `npuser01` → `npuser02`" in section
    assert "`Deployment web/web`" in section
    assert "npuser02 vmSize=Standard_D8ds_v5" in section or "name: npuser02" in section


def test_prod_upgrade_skipping_a_minor_ahead_of_staging_is_high_risk(history: Path) -> None:
    doc, comment = run_diff(history, "prod-upgrade", "prod")
    risks = {(r["category"], r["level"]) for r in doc["risks"] if r["stack"] == "prod"}
    assert ("skippedMinor", "high") in risks
    assert ("promotionOrder", "high") in risks
    upgrade = _safety(doc, "prod")["upgrade"]
    assert (upgrade["from"], upgrade["to"]) == ("1.34", "1.36")
    skipped = next(c for c in upgrade["checks"] if c["check"] == "skippedMinor")
    assert "1.35" in skipped["message"]
    assert "surgeQuota" in {c["check"] for c in upgrade["checks"]}
    assert "skips Kubernetes 1.35" in comment
    assert "ahead of staging" in comment


def test_deprecated_api_at_the_target_version_is_flagged(history: Path) -> None:
    doc, comment = run_diff(history, "dev-upgrade", "dev")
    checks = _safety(doc, "dev")["upgrade"]["checks"]
    apis = [c for c in checks if c["check"] == "deprecatedApis"]
    assert apis and apis[0]["level"] == "high"
    assert "flowcontrol.apiserver.k8s.io/v1beta3" in apis[0]["message"]
    assert "removed at Kubernetes 1.32" in apis[0]["message"]
    assert "FlowSchema" in apis[0]["urn"]
    assert any(r["category"] == "deprecatedApis" for r in doc["risks"])
    assert "deprecatedApis" in comment


def test_new_gpu_pool_shows_its_monthly_cost_delta(history: Path) -> None:
    doc, comment = run_diff(history, "gpu-pool", "dev")
    cost = _safety(doc, "dev")["cost"]
    hourly = 0.605  # Standard_NC4as_T4_v3 in the shipped price table
    assert cost["delta"] == {"min": 0.0, "max": round(2 * hourly * 730, 2)}
    (line,) = [c for c in cost["changes"] if "npgpu01" in c["item"]]
    assert line["max"] == round(2 * hourly * 730, 2)
    assert cost["overLimit"] is True  # dev's limit is 150 a month
    assert any(r["category"] == "cost" and r["level"] == "high" for r in doc["risks"])
    summary = comment[: comment.index("#### ⚠️ Risks")]
    assert "Cost/month" in summary and "(0 to +883 USD)" in summary
    assert "node pool npgpu01: 0-2 x Standard\\_NC4as\\_T4\\_v3" in comment


def test_retainting_the_only_user_pool_leaves_web_nowhere_to_schedule(history: Path) -> None:
    doc, comment = run_diff(history, "dev-taint", "dev")
    (impact,) = _safety(doc, "dev")["blastRadius"]
    assert (impact["pool"], impact["change"]) == ("npuser01", "re-tainted")
    web = next(w for w in impact["workloads"] if w["workload"] == "Deployment web/web")
    assert web["nowhereToSchedule"] is True and web["elsewhere"] == []
    risk = next(r for r in doc["risks"] if r["category"] == "blastRadius")
    assert risk["level"] == "high" and "Deployment web/web" in risk["message"]
    assert "❌ **nowhere**" in comment


def test_system_pool_vm_size_change_gets_an_out_of_band_rotation_plan(history: Path) -> None:
    doc, comment = run_diff(history, "prod-system-pool", "prod")
    (plan,) = _safety(doc, "prod")["rotations"]
    assert (plan["pool"], plan["newPool"], plan["system"]) == ("npsystem", "npsystem2", True)
    assert "az aks nodepool add" in plan["config"] and "--mode System" in plan["config"]
    assert "--node-vm-size Standard_D8ds_v5" in plan["config"]
    assert "--node-taints CriticalAddonsOnly=true:NoSchedule" in plan["config"]
    risk = next(r for r in doc["risks"] if r["category"] == "rotation")
    assert risk["level"] == "high" and "never reaches Azure" in risk["message"]
    assert "Rotate System pool `npsystem` → `npsystem2`" in comment
