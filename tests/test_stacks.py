"""environments.yaml, ``aksflow stacks`` and ``aksflow plan`` (the pipeline's data commands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aksflow.approval import compare, parse_preview, summary
from aksflow.cli import main
from aksflow.environments import ENVIRONMENTS_FILE, load_environments, parse
from aksflow.errors import ConfigError
from tests.conftest import copy_project

ROOT = Path(__file__).resolve().parents[1]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def listed(*args: str) -> list[str]:
    code, out, err = invoke("stacks", "--json", "--project-dir", str(ROOT), *args)
    assert code == 0, err
    return [entry["stack"] for entry in json.loads(out)]


def test_shipped_environments_in_promotion_order() -> None:
    envs = load_environments(ROOT)
    assert envs.names == ("dev", "staging", "prod")
    prod = envs.require("prod", "test")
    assert (prod.policy_config, prod.pod_security, prod.spot_pools) == (
        "policies/config/prod.json",
        "restricted",
        False,
    )
    assert prod.runner_variable == "AKSFLOW_RUNS_ON_PROD"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, "environments: must be a list"),
        ({"environments": []}, "environments: must name at least one"),
        ({"environments": [{"name": "Prod"}]}, "environments[0].name: must be 1-31 lowercase"),
        ({"environments": [{"name": "a"}, {"name": "a"}]}, "environments[1].name: 'a' is defined"),
        ({"environments": [{"name": "a", "color": 1}]}, "environments[0].color: unknown field"),
        ({"environments": [{"name": "a", "podSecurity": "x"}]}, "environments[0].podSecurity"),
        ({"environments": [{"name": "a", "spotPools": "no"}]}, "environments[0].spotPools"),
        (
            {"environments": [{"name": "a", "policyConfig": "../x.json"}]},
            "environments[0].policyConfig: must stay inside the project",
        ),
    ],
)
def test_environments_file_errors_name_the_key(doc: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(Path(ENVIRONMENTS_FILE), doc)
    assert str(caught.value).startswith(f"{ENVIRONMENTS_FILE}: {message}")


def test_stacks_table_and_filters() -> None:
    code, out, _ = invoke("stacks", "--project-dir", str(ROOT))
    assert code == 0
    assert out.splitlines()[0].split() == ["STACK", "ENVIRONMENT", "LOCATION", "POLICY", "CONFIG"]
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["dev", "staging", "prod"]
    assert listed() == ["dev", "staging", "prod"]
    assert listed("--environment", "staging") == ["staging"]
    assert listed("--only", "prod") == ["prod"]
    assert listed("--environment", "dev", "--only", "prod") == []


def test_stacks_group_has_every_environment() -> None:
    code, out, _ = invoke(
        "stacks", "--json", "--group", "--only", "staging", "--project-dir", str(ROOT)
    )
    assert code == 0
    grouped = json.loads(out)
    assert list(grouped) == ["dev", "staging", "prod"]
    assert [e["stack"] for e in grouped["staging"]] == ["staging"] and grouped["prod"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--only", "qa"), "--only: 'qa' is neither an environment nor a stack"),
        (("--environment", "qa"), "--environment: 'qa' is not an environment"),
    ],
)
def test_stacks_unknown_names_exit_2(args: tuple[str, ...], message: str) -> None:
    code, _, err = invoke("stacks", "--project-dir", str(ROOT), *args)
    assert code == 2 and message in err


def test_a_stack_with_an_unknown_environment_fails_the_listing(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    (project / "Pulumi.qa.yaml").write_text("config:\n  aksflow:environment: qa\n")
    code, _, err = invoke("stacks", "--project-dir", str(project))
    assert code == 2
    assert "Pulumi.qa.yaml: aksflow:environment: 'qa' is not an environment" in err


def test_a_stack_without_an_environment_fails_the_listing(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    (project / "Pulumi.qa.yaml").write_text("config:\n  aksflow:skuTier: Free\n")
    code, _, err = invoke("stacks", "--project-dir", str(project))
    assert code == 2 and "Pulumi.qa.yaml: aksflow:environment: missing" in err


def test_a_stack_whose_policy_config_is_missing_fails_the_listing(tmp_path: Path) -> None:
    """A listed stack must be gateable; the headline names the key that points at the file."""
    project = copy_project(tmp_path / "p")
    (project / "policies" / "config" / "staging.json").unlink()
    code, _, err = invoke("stacks", "--project-dir", str(project))
    assert code == 2
    assert err.splitlines()[0] == (
        "error: environments.yaml: environments[1].policyConfig: policies/config/staging.json "
        "not found (the policy config of environment staging; the default is "
        "policies/config/staging.json)"
    )


def test_the_listed_location_is_the_effective_one_and_never_a_placeholder(tmp_path: Path) -> None:
    """Base default, else the stack file's value; a secure one is listed as [secret]."""
    project = copy_project(tmp_path / "p")
    (project / "Pulumi.dev-neu.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:location: northeurope\n"
    )
    (project / "Pulumi.qa.yaml").write_text(
        "config:\n  aksflow:environment: dev\n"
        "  aksflow:location:\n    secure: v1:c2VjcmV0Y2lwaGVydGV4dA==\n"
    )
    code, out, err = invoke("stacks", "--project-dir", str(project), "--json")
    assert code == 0, err
    locations = {e["stack"]: e["location"] for e in json.loads(out)}
    assert locations["dev"] == "westeurope"  # infra/defaults.py
    assert locations["dev-neu"] == "northeurope"
    assert locations["qa"] == "[secret]"


def entry(name: str, status: str = "no changes", **extra: object) -> dict[str, object]:
    """One stack of diff.json as aksflow diff writes it (aksflow/diff/model.py)."""
    counts = {"create": 0, "update": 0, "replace": 0, "delete": 0}
    return {"stack": name, "status": status, "counts": counts, "enforcementChanges": [], **extra}


@pytest.mark.parametrize(
    ("diff", "expected"),
    [
        (
            {
                "stacks": [
                    entry("dev"),
                    entry("staging", "changed", counts={"create": 0, "update": 2}),
                    entry("prod"),
                ]
            },
            ["staging"],
        ),
        ({"stacks": [entry("prod", "new stack"), entry("dev", "changed")]}, ["dev", "prod"]),
        ({"stacks": [entry("prod", enforcementChanges=[{"policy": "x"}])]}, ["prod"]),
        ({"stacks": [entry("dev", counts={"delete": 1})]}, ["dev"]),
        ({"stacks": [entry("$(id)", "changed"), entry("qa", "changed")]}, []),
        ({"stacks": {"staging": {"counts": {"create": 1}}, "dev": {"counts": {}}}}, ["staging"]),
        ({"stacks": []}, []),
        ({"other": 1}, ["dev", "staging", "prod"]),  # unknown shape: every stack (fail closed)
        ({"stacks": [1]}, ["dev", "staging", "prod"]),
    ],
)
def test_affected_stacks(tmp_path: Path, diff: object, expected: list[str]) -> None:
    path = tmp_path / "diff.json"
    path.write_text(json.dumps(diff))
    assert listed("--affected", str(path)) == expected


def test_affected_fails_closed_without_a_readable_file(tmp_path: Path) -> None:
    assert listed("--affected", str(tmp_path / "missing.json")) == ["dev", "staging", "prod"]
    (tmp_path / "bad.json").write_text("{not json")
    assert listed("--affected", str(tmp_path / "bad.json")) == ["dev", "staging", "prod"]


# --- aksflow plan: plan-bound approval (pkg/display/json.go PreviewDigest) -------------------

URN = "urn:pulumi:prod::aksflow::azure-native:containerservice:AgentPool::"


def plan(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"steps": [{"op": "same", "urn": URN + "npsystem"}, *steps], "diagnostics": []}


def step(op: str, name: str, *keys: str) -> dict[str, Any]:
    return {"op": op, "urn": URN + name, "diffReasons": list(keys), "detailedDiff": None}


def test_same_operations_in_another_order_match() -> None:
    a = parse_preview("a", plan(step("update", "p1", "maxCount"), step("create", "p2")))
    b = parse_preview(
        "b",
        plan(step("create", "p2"), step("refresh", "p3"), step("update", "p1", "maxCount")),
    )
    assert compare(a, b) == []


def test_differences_are_listed_both_ways() -> None:
    approved = parse_preview("a", plan(step("update", "p1", "maxCount")))
    current = parse_preview("b", plan(step("replace", "p1", "vmSize"), step("delete", "p9")))
    assert compare(approved, current) == [
        "+ not approved: replace azure-native:containerservice:AgentPool p1 (vmSize)",
        "+ not approved: delete azure-native:containerservice:AgentPool p9",
        "- approved, no longer planned: update azure-native:containerservice:AgentPool p1 "
        "(maxCount)",
    ]


def test_plan_check_cli_exit_codes(tmp_path: Path) -> None:
    approved = tmp_path / "approved.json"
    same = tmp_path / "same.json"
    changed = tmp_path / "changed.json"
    approved.write_text(json.dumps(plan(step("update", "p1", "maxCount"))))
    same.write_text(json.dumps(plan(step("update", "p1", "maxCount"))))
    changed.write_text(json.dumps(plan(step("delete", "p1"))))
    assert invoke("plan", "check", str(approved), str(same))[0] == 0
    code, out, _ = invoke("plan", "check", str(approved), str(changed))
    assert code == 1 and "changed since it was approved" in out and "delete" in out
    (tmp_path / "bad.json").write_text("[]")
    code, _, err = invoke("plan", "check", str(approved), str(tmp_path / "bad.json"))
    assert code == 2 and "not a pulumi preview --json document" in err


def test_summary_lists_operations_without_values_and_escapes_markup() -> None:
    text = summary(parse_preview("p", plan(step("create", "a|b[x]"))), "Plan for prod")
    assert text.startswith("## Plan for prod\n")
    assert "| create | azure-native:containerservice:AgentPool | a\\|b\\[x\\] |  |" in text
    assert "**No changes.**" in summary(parse_preview("p", plan()), "t")
