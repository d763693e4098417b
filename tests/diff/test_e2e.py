"""``aksflow diff`` end to end: real git histories, the real ``aksflow preview`` subprocess.

One temporary repository holds the project (Pulumi.yaml, Pulumi.*.yaml, infra/, apps/,
policies/ copied from this checkout) and a linear history with one commit per scenario; each
test diffs a scenario's commit against its parent. Previews are limited with --stack where the
scenario allows, so the whole module costs a few dozen seconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aksflow.diff import children
from aksflow.diff.cli import diff as diff_command
from aksflow.stacks import affected_names
from tests.diff import gitrepo

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("Pulumi.yaml", "environments.yaml", "infra", "apps", "policies")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: {old!r} not found (the project changed; update the scenario)"
    path.write_text(text.replace(old, new, 1))


def _pool_size(repo: Path) -> None:
    # The dev profile's pool: every dev stack starts from it.
    _edit(
        repo / "environments.yaml",
        "          minCount: 1\n          maxCount: 3\n",
        "          minCount: 2\n          maxCount: 4\n",
    )


def _vm_size(repo: Path) -> None:
    _edit(
        repo / "environments.yaml",
        "          vmSize: Standard_D2ds_v5\n",
        "          vmSize: Standard_D4ds_v5\n",
    )


def _new_app(repo: Path) -> None:
    shutil.copytree(repo / "apps" / "web", repo / "apps" / "shop")
    app = repo / "apps" / "shop" / "app.yaml"
    app.write_text(re.sub(r"(?m)^namespace: .*$", "namespace: shop", app.read_text()))
    app.write_text(re.sub(r"(?m)^releaseName: .*$", "releaseName: shop", app.read_text()))


def _delete_app(repo: Path) -> None:
    shutil.rmtree(repo / "apps" / "batch-worker")


def _prod_config(repo: Path) -> None:
    stack_file = repo / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text() + "  aksflow:logRetentionDays: 180\n")


def _shared_code(repo: Path) -> None:
    _edit(
        repo / "infra" / "components" / "cluster.py", 'scan_interval="10s"', 'scan_interval="20s"'
    )


def _loosen_policy(repo: Path) -> None:
    path = repo / "policies" / "config" / "prod.json"
    config = json.loads(path.read_text())
    config["k8s-pdb-coverage"]["enforcementLevel"] = "advisory"
    path.write_text(json.dumps(config, indent=2) + "\n")


def _nothing(repo: Path) -> None:
    pass


def _prod_pool_replace(repo: Path) -> None:
    _edit(
        repo / "environments.yaml",
        "        - name: npuser01\n          vmSize: Standard_D4ds_v5\n          minCount: 3\n",
        "        - name: npuser01\n          vmSize: Standard_D8ds_v5\n          minCount: 3\n",
    )


def _new_pool(repo: Path) -> None:
    _edit(
        repo / "environments.yaml",
        "        - name: npuser01\n",
        "        - name: npbatch02\n          vmSize: Standard_E4ds_v5\n          minCount: 0\n"
        "          maxCount: 2\n        - name: npuser01\n",
    )


def _dev_fleet(repo: Path) -> None:
    # A second dev cluster: a stack file with only its environment and VNet range.
    (repo / "Pulumi.dev-neu.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:vnetAddressSpace: 10.11.0.0/16\n"
    )


def _dev_profile(repo: Path) -> None:
    # Only the dev profile changes: no stack file, no code.
    _edit(
        repo / "environments.yaml",
        "      aksflow:logRetentionDays: 30\n",
        "      aksflow:logRetentionDays: 60\n",
    )


def _base_default(repo: Path) -> None:
    # Only the base changes: every stack whose profile and file leave the key unset follows it.
    _edit(
        repo / "infra" / "defaults.py",
        '"aksflow:logRetentionDays": 90,',
        '"aksflow:logRetentionDays": 120,',
    )


def _remove_dev_neu(repo: Path) -> None:
    (repo / "Pulumi.dev-neu.yaml").unlink()


def _single_zone(repo: Path) -> None:
    # This one stack overrides the prod profile's pools (a stack value replaces the whole list).
    stack_file = repo / "Pulumi.prod.yaml"
    stack_file.write_text(
        stack_file.read_text()
        + "  aksflow:nodePools:\n"
        + '    - name: npuser01\n      vmSize: Standard_D8ds_v5\n      zones: ["1"]\n'
        + "      minCount: 3\n      maxCount: 10\n"
        + "    - name: npbatch01\n      vmSize: Standard_D8ds_v5\n"
        + "      minCount: 0\n      maxCount: 6\n"
    )


def _schema_error(repo: Path) -> None:
    values = repo / "apps" / "web" / "values-dev.yaml"
    values.write_text(values.read_text() + "bogus: 1\n")
    _edit(values, "replicaCount: 1", "replicaCount: 0")


def _broken_config(repo: Path) -> None:
    _edit(repo / "environments.yaml", "          minCount: 2\n", "          minCount: 5\n")


def _public_node_ip(repo: Path) -> None:
    _edit(
        repo / "infra" / "components" / "node_pool.py",
        "enable_node_public_ip=False",
        "enable_node_public_ip=True",
    )


SCENARIOS: list[tuple[str, Callable[[Path], None]]] = [
    ("pool-size", _pool_size),
    ("vm-size", _vm_size),
    ("new-app", _new_app),
    ("delete-app", _delete_app),
    ("prod-config", _prod_config),
    ("shared-code", _shared_code),
    ("loosen-policy", _loosen_policy),
    ("no-change", _nothing),
    ("prod-pool-replace", _prod_pool_replace),
    ("new-pool", _new_pool),
    ("dev-fleet", _dev_fleet),  # from here on dev has two stacks
    ("dev-profile", _dev_profile),
    ("base-default", _base_default),
    ("remove-dev-neu", _remove_dev_neu),
    ("public-ip", _public_node_ip),  # late: every later head carries the violation
    ("single-zone", _single_zone),  # prod: a stack-file value breaks a policy
    ("schema-error", _schema_error),  # dev's web values break the chart's schema
    ("broken", _broken_config),  # last: nothing after it can be previewed
]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("e2e") / "repo"
    gitrepo.init(repo)
    gitrepo.copy_project(ROOT, repo, COPIED)
    gitrepo.commit(repo, "base")
    gitrepo.commit_scenarios(repo, SCENARIOS)
    return repo


def run_diff(repo: Path, scenario: str, *stacks: str) -> tuple[Any, dict[str, Any], str]:
    out = repo.parent / f"out-{scenario}"
    args = [
        "--project-dir",
        str(repo),
        "--out",
        str(out),
        "--base",
        f"{scenario}~1",
        "--head",
        scenario,
    ]
    for stack in stacks:
        args += ["--stack", stack]
    result = CliRunner().invoke(diff_command, args)
    doc = json.loads((out / "pr" / "diff.json").read_text())
    comment = (out / "pr" / "comment.md").read_text()
    assert result.exit_code == doc["exitStatus"], (result.output, result.exception)
    return result, doc, comment


def stack(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in doc["stacks"] if s["stack"] == name)


def changes(doc: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    return {
        c["urn"].rsplit("::", 1)[-1] + "|" + c["type"].rsplit(":", 1)[-1]: c
        for c in stack(doc, name)["changes"]
    }


def test_user_pool_size(history: Path) -> None:
    result, doc, comment = run_diff(history, "pool-size", "dev")
    assert result.exit_code == 0
    pool = changes(doc, "dev")["npuser01|AgentPool"]
    assert pool["op"] == "update"
    assert {p["path"]: (p["old"], p["new"]) for p in pool["properties"]} == {
        "minCount": (1, 2),
        "maxCount": (3, 4),
    }
    assert stack(doc, "dev")["counts"] == {"create": 0, "update": 1, "replace": 0, "delete": 0}
    assert {r["category"] for r in doc["risks"]} == {"nodeCount"}
    assert "~ minCount: 1 → 2" in comment


def test_vm_size_is_a_replace_and_high_risk(history: Path) -> None:
    result, doc, comment = run_diff(history, "vm-size", "dev")
    assert result.exit_code == 0
    pool = changes(doc, "dev")["npuser01|AgentPool"]
    assert pool["op"] == "replace"
    assert any("vmSize" in r for r in pool["replaceReasons"])
    assert doc["risks"][0]["level"] == "high" and "node pool npuser01" in doc["risks"][0]["message"]
    high = comment.index("#### ⚠️ Risks")
    assert comment.index("replaces node pool npuser01", high) < comment.index("#### Details")


def test_new_app_creates_its_namespace_chart_and_objects(history: Path) -> None:
    _, doc, comment = run_diff(history, "new-app", "dev")
    created = {k for k, c in changes(doc, "dev").items() if c["op"] == "create"}
    assert "shop|Namespace" in created and "shop|Chart" in created
    assert any(k.startswith("shop:shop/") and k.endswith("|Deployment") for k in created)
    assert stack(doc, "dev")["counts"]["delete"] == 0
    assert "flowchart LR" in comment


def test_deleted_app_deletes_its_objects_in_prod(history: Path) -> None:
    _, doc, _ = run_diff(history, "delete-app", "prod")
    deleted = changes(doc, "prod")
    # platform-baseline derives its namespaces from the app declarations: its values lose
    # "batch" (an update) and its guard rails there go with the app.
    ops = {key: c["op"] for key, c in deleted.items()}
    assert {k for k, op in ops.items() if op != "delete"} == {"platform-baseline|Chart"}
    assert ops["platform-baseline|Chart"] == "update"
    assert ops["platform-baseline:batch/baseline-quota|ResourceQuota"] == "delete"
    assert "batch|Namespace" in deleted and "batch-worker|Chart" in deleted
    assert any(r["level"] == "high" and "namespace batch" in r["message"] for r in doc["risks"])


def test_prod_only_config_change_leaves_the_other_stacks_unchanged(history: Path) -> None:
    _, doc, comment = run_diff(history, "prod-config")
    assert [(s["stack"], s["status"]) for s in doc["stacks"]] == [
        ("dev", "no changes"),
        ("staging", "no changes"),
        ("prod", "changed"),
    ]
    workspace = next(c for c in stack(doc, "prod")["changes"] if c["type"].endswith(":Workspace"))
    assert workspace["op"] == "update"
    assert workspace["properties"] == [
        {"path": "retentionInDays", "kind": "update", "old": 90, "new": 180}
    ]
    assert "| `dev` | ✅ no changes | 0 | 0 | 0 | 0 |" in comment


def test_shared_code_change_shows_in_every_stack(history: Path) -> None:
    _, doc, _ = run_diff(history, "shared-code")
    for name in ("dev", "staging", "prod"):
        aks = changes(doc, name)["aks|ManagedCluster"]
        assert aks["op"] == "update"
        assert {
            "path": "autoScalerProfile.scanInterval",
            "kind": "update",
            "old": "10s",
            "new": "20s",
        } in aks["properties"]


def test_loosened_enforcement_in_prod_is_a_high_risk(history: Path) -> None:
    _, doc, comment = run_diff(history, "loosen-policy", "prod")
    prod = stack(doc, "prod")
    assert prod["status"] == "no changes"  # same resources; only the gate changed
    assert prod["enforcementChanges"] == [
        {
            "environment": "prod",
            "policy": "k8s-pdb-coverage",
            "old": "mandatory",
            "new": "advisory",
            "loosened": True,
        }
    ]
    assert doc["risks"][0]["level"] == "high" and doc["risks"][0]["category"] == "enforcement"
    assert "loosens policy enforcement for k8s-pdb-coverage" in comment


def test_no_change_previews_once_and_says_so(history: Path) -> None:
    result, doc, comment = run_diff(history, "no-change", "dev", "staging")
    assert result.exit_code == 0
    assert doc["reusedBasePreview"] and not doc["hasChanges"]
    assert all(s["status"] == "no changes" for s in doc["stacks"])
    assert doc["outcome"] == "no changes"
    assert comment.splitlines()[1].startswith("**aksflow preview: ✅ no changes**")
    assert len(comment.splitlines()) == 2


def test_a_new_mandatory_violation_exits_1_and_is_in_the_comment(history: Path) -> None:
    result, doc, comment = run_diff(history, "public-ip", "dev")
    assert result.exit_code == 1
    dev = stack(doc, "dev")
    assert changes(doc, "dev")["npuser01|AgentPool"]["properties"] == [
        {"path": "enableNodePublicIP", "kind": "update", "old": False, "new": True}
    ]
    mandatory = [v for v in dev["policy"]["head"]["violations"] if v["level"] == "mandatory"]
    assert mandatory and all(v["new"] for v in mandatory)
    assert any(v["urn"].endswith("::npuser01") for v in mandatory)
    assert dev["policy"]["base"]["mandatory"] == 0
    assert "### aksflow preview: ❌ blocked: mandatory policy violations in dev" in comment
    blocking = result.output[result.output.index("Blocking violations") :]
    for v in mandatory:
        resource = v["urn"].rsplit("::", 1)[-1]
        assert f"  {v['policy']}  dev  {resource}" in blocking
        assert v["message"].strip().splitlines()[0] in blocking
    new_section = comment[comment.index("#### New policy findings") :]
    assert f"❌ **mandatory** `{mandatory[0]['policy']}`" in new_section


def test_without_a_fork_server_the_diff_and_its_gate_are_the_same(
    history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the fork server cannot run (not Linux), every child is a fresh interpreter."""
    _, forked, _ = run_diff(history, "public-ip", "dev")
    monkeypatch.setattr(children, "FORK_SERVER", False)
    result, spawned, comment = run_diff(history, "public-ip", "dev")
    assert result.exit_code == 1
    assert stack(spawned, "dev")["policy"] == stack(forked, "dev")["policy"]
    assert stack(spawned, "dev")["changes"] == stack(forked, "dev")["changes"]
    assert "❌ blocked: mandatory policy violations in dev" in comment


def test_a_prod_pool_replace_has_a_risk_first_title(history: Path) -> None:
    result, doc, comment = run_diff(history, "prod-pool-replace", "prod")
    assert result.exit_code == 0
    assert changes(doc, "prod")["npuser01|AgentPool"]["op"] == "replace"
    assert doc["outcome"] == "high risk" and stack(doc, "prod")["outcome"] == "high risk"
    title = comment.splitlines()[2]
    assert title.startswith("### aksflow preview: 🔴 high risk in prod: replaces node pool")
    assert "✅" not in title and "policies pass" not in title
    assert "| `prod` | 🔴 high risk |" in comment
    assert comment.index("#### ⚠️ Risks") < comment.index("#### Details")


def test_a_new_pool_shows_its_vm_size(history: Path) -> None:
    _, doc, comment = run_diff(history, "new-pool", "dev")
    pool = changes(doc, "dev")["npbatch02|AgentPool"]
    assert pool["op"] == "create"
    assert pool["keyProperties"]["vmSize"] == "Standard_E4ds_v5"
    assert pool["keyProperties"]["min/max"] == "0/2"
    block = comment[comment.index("AgentPool npbatch02 (create)") :]
    assert block.splitlines()[1] == "      = vmSize: Standard_E4ds_v5"
    assert "      = min/max: 0/2" in block


def _retention(doc: dict[str, Any], name: str) -> list[list[dict[str, Any]]]:
    """The Log Analytics workspace's property changes in one stack."""
    return [
        c["properties"] for c in stack(doc, name)["changes"] if c["type"].endswith(":Workspace")
    ]


def test_a_profile_only_change_re_previews_and_changes_every_stack_of_its_environment(
    history: Path,
) -> None:
    """environments.yaml is an input of every stack: the base is previewed again, not reused,
    and the change shows in each stack of the edited environment and in no other."""
    _, doc, comment = run_diff(history, "dev-profile")
    assert not doc["reusedBasePreview"]
    assert [(s["stack"], s["status"]) for s in doc["stacks"]] == [
        ("dev", "changed"),
        ("dev-neu", "changed"),
        ("staging", "no changes"),
        ("prod", "no changes"),
    ]
    update = [{"path": "retentionInDays", "kind": "update", "old": 30, "new": 60}]
    assert _retention(doc, "dev") == _retention(doc, "dev-neu") == [update]
    assert "| `staging` | ✅ no changes | 0 | 0 | 0 | 0 |" in comment
    # The credentialed cloud preview then runs for exactly those stacks.
    assert affected_names(history.parent / "out-dev-profile" / "pr" / "diff.json") == {
        "dev",
        "dev-neu",
    }


def test_a_base_default_change_shows_where_no_profile_or_stack_file_overrides_it(
    history: Path,
) -> None:
    """infra/defaults.py is an input of every stack. Only staging follows the new base: dev's
    profile sets its own retention, and Pulumi.prod.yaml its own (the prod-config scenario)."""
    _, doc, _ = run_diff(history, "base-default")
    assert not doc["reusedBasePreview"]
    assert [(s["stack"], s["status"]) for s in doc["stacks"]] == [
        ("dev", "no changes"),
        ("dev-neu", "no changes"),
        ("staging", "changed"),
        ("prod", "no changes"),
    ]
    update = [{"path": "retentionInDays", "kind": "update", "old": 90, "new": 120}]
    assert _retention(doc, "staging") == [update]


def test_a_removed_stack_file_is_a_high_risk_never_no_changes(history: Path) -> None:
    """Deleting a stack file deletes nothing, and stops every deploy and drift check of it."""
    result, doc, comment = run_diff(history, "remove-dev-neu")
    assert result.exit_code == 0
    assert [s["stack"] for s in doc["stacks"]] == ["dev", "staging", "prod"]
    assert all(s["status"] == "no changes" for s in doc["stacks"])
    assert doc["removedStacks"] == ["dev-neu"]
    assert doc["outcome"] == "high risk"
    assert doc["risks"][0]["stack"] == "dev-neu"
    assert doc["risks"][0]["category"] == "stack-removed"
    assert "pulumi destroy --stack dev-neu" in doc["risks"][0]["message"]
    title = comment.splitlines()[2]
    assert title.startswith("### aksflow preview: 🔴 high risk: removes stack file ")
    assert "Pulumi.dev-neu.yaml in dev-neu" in title


def _aksflow(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, as CI runs it (the top-level CLI maps errors to exit codes)."""
    return subprocess.run(
        [sys.executable, "-m", "aksflow", "diff", "--project-dir", str(repo), *args],
        cwd=repo.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_broken_config_at_the_head_exits_2_naming_file_and_key(history: Path) -> None:
    out = history.parent / "out-broken"
    done = _aksflow(
        history, "--out", str(out), "--base", "broken~1", "--head", "broken", "--stack", "dev"
    )
    assert done.returncode == 2, done.stderr
    # The bad value is in the dev profile: the error names that file and the key path there.
    assert (
        "head broken" in done.stderr
        and "environments.yaml: environments[0].config.aksflow:nodePools[1].maxCount: "
        "must be >= minCount (5)"
        in done.stderr
        and "Traceback" not in done.stderr
    )
    assert "the preview failed" in (out / "pr" / "comment.md").read_text()
    assert gitrepo.git(history, "worktree", "list").count("\n") == 1


def test_a_multi_line_chart_error_survives_whole_into_terminal_and_comment(
    history: Path,
) -> None:
    out = history.parent / "out-schema"
    done = _aksflow(
        history,
        "--out",
        str(out),
        "--base",
        "schema-error~1",
        "--head",
        "schema-error",
        "--stack",
        "dev",
    )
    assert done.returncode == 2, done.stderr
    comment = (out / "pr" / "comment.md").read_text()
    for text in (done.stderr, comment):
        assert "values.schema.json" in text
        # Every violation survives, each naming its key (the first one in the headline).
        assert "bogus: additional properties 'bogus' not allowed" in text
        assert "replicaCount: minimum: got 0, want 1" in text
    # The headline names the values file and line that set the first failing key.
    assert "app web (dev): apps/web/values-dev.yaml:" in done.stderr.splitlines()[0]
    assert "Traceback" not in done.stderr


def test_a_stack_file_value_is_located_in_the_stack_file_with_a_config_hint(
    history: Path,
) -> None:
    _, doc, comment = run_diff(history, "single-zone", "prod")
    stack_file = (history / "Pulumi.prod.yaml").read_text().splitlines()
    line = stack_file.index('      zones: ["1"]') + 1
    prod = stack(doc, "prod")
    zones = [v for v in prod["policy"]["head"]["violations"] if v["new"]]
    assert zones and all(v["file"] == "Pulumi.prod.yaml" and v["line"] == line for v in zones)
    assert zones[0]["hint"] == "change `aksflow:nodePools[0].zones` in Pulumi.prod.yaml"
    new = comment[comment.index("#### New policy findings") : comment.index("<summary>")]
    assert f"at `Pulumi.prod.yaml:{line}`" in new
    assert "Fix: change `aksflow:nodePools[0].zones` in Pulumi.prod.yaml" in new
    assert "already on the base</summary>" in comment  # public-ip: folded, not new
    # SARIF from the policy CLI points at the same line.
    out = history.parent / "out-single-zone-sarif"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "aksflow",
            "preview",
            "--stack",
            "prod",
            "--out",
            str(out),
            "--quiet",
        ],
        cwd=history,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "aksflow",
            "policy",
            "analyze",
            "--state",
            str(out / "prod" / "state.json"),
            "--stack",
            "prod",
            "--format",
            "sarif",
        ],
        cwd=history,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    sarif = json.loads(done.stdout)
    spots = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == zones[0]["policy"]
    }
    assert spots == {("Pulumi.prod.yaml", line)}


def test_unknown_revision_exits_2(history: Path) -> None:
    done = _aksflow(history, "--base", "does-not-exist", "--head", "HEAD")
    assert done.returncode == 2
    assert "unknown git revision 'does-not-exist'" in done.stderr
