"""SARIF 2.1.0 output validates against the (vendored subset of the) schema and GitHub's rules."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from aksflow.policy.gate import evaluate_state
from aksflow.policy.render import render_markdown, render_sarif, to_sarif

from . import fixtures as fx
from .conftest import CONFIGS, DATA, PACK, REPO


def _bad_report() -> Any:
    state = fx.good_state()
    state["deployment"]["resources"][3]["inputs"]["disableLocalAccounts"] = False
    spec = state["deployment"]["resources"][5]["inputs"]["spec"]["template"]["spec"]
    spec["containers"][0]["securityContext"]["privileged"] = True
    state["deployment"]["resources"] = state["deployment"]["resources"][:6]  # stack findings too
    return evaluate_state(
        state, policy_config=CONFIGS / "prod.json", pack_dir=PACK, project_dir=REPO
    )


def test_sarif_validates_and_meets_github_requirements() -> None:
    report = _bad_report()
    sarif = json.loads(render_sarif(report))
    schema = json.loads((DATA / "sarif-2.1.0-subset.schema.json").read_text())
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert 0.1 <= float(rule["properties"]["security-severity"]) <= 10.0
    assert run["results"], "expected findings"
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] and not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1
        assert result["partialFingerprints"]["primaryLocationLineHash"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["aks-local-accounts-disabled"]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "infra/components/cluster.py"},
        "region": {"startLine": 42},
    }
    assert by_rule["pss-privileged"]["level"] == "error"
    assert run["automationDetails"]["id"] == "policy-gate/prod/"


def test_fingerprints_are_stable_when_lines_move() -> None:
    first = to_sarif(_bad_report())
    state = fx.good_state()
    assert state  # a second, independent run with different source lines
    report = _bad_report()
    moved = [type(v)(**{**v.__dict__, "line": v.line + 10}) for v in report.violations]
    second = to_sarif(type(report)(**{**report.__dict__, "violations": tuple(moved)}))
    fp = [r["partialFingerprints"] for r in first["runs"][0]["results"]]
    assert fp == [r["partialFingerprints"] for r in second["runs"][0]["results"]]
    assert len({f["primaryLocationLineHash"] for f in fp}) == len(fp)


def test_markdown_summary_lists_mandatory_findings() -> None:
    text = render_markdown(_bad_report())
    assert text.startswith("### ❌") and "`aks-local-accounts-disabled`" in text
