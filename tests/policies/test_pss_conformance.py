"""PSA's own v1.37 fixtures: 100% agreement at baseline and at restricted.

Restricted pass pods must also pass baseline, and baseline fail pods must also fail restricted.
Each pod is also wrapped in other workload kinds to exercise the PodSpec extractor.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO, pm

CORPUS = REPO.parent / "shared" / "conformance" / "pss"
VERSION = "v1.37"


def _files(level: str, outcome: str) -> list[Path]:
    return sorted((CORPUS / level / VERSION / outcome).glob("*.yaml"))


def _cases() -> list[tuple[str, Path, bool]]:
    cases = []
    for level in ("baseline", "restricted"):
        cases += [(level, f, False) for f in _files(level, "pass")]
        cases += [(level, f, True) for f in _files(level, "fail")]
    cases += [("baseline", f, False) for f in _files("restricted", "pass")]
    cases += [("restricted", f, True) for f in _files("baseline", "fail")]
    return cases


def test_corpus_is_present_and_complete() -> None:
    # Fail (never skip) when CI lacks ../shared beside the clone.
    assert CORPUS.is_dir(), f"PSS conformance corpus missing at {CORPUS}"
    counts = {
        (lv, o): len(_files(lv, o)) for lv in ("baseline", "restricted") for o in ("pass", "fail")
    }
    assert counts == {
        ("baseline", "pass"): 15,
        ("baseline", "fail"): 34,
        ("restricted", "pass"): 23,
        ("restricted", "fail"): 76,
    }


def _pss_findings(type_token: str, obj: dict[str, Any], level: str) -> list[str]:
    model = pm("model")
    found = []
    for rule in pm("pss").RULES:
        try:
            subject = model.Subject(type_token, "x", obj)
            found += [rule.name for _ in rule.run(subject, {"level": level})]
        except model.NotApplicable:
            continue
    return found


def _wrap(pod: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    template = {"metadata": pod.get("metadata", {}), "spec": pod["spec"]}
    if kind == "CronJob":
        return "kubernetes:batch/v1:CronJob", {
            "kind": kind,
            "spec": {"jobTemplate": {"spec": {"template": template}}},
        }
    if kind == "PodTemplate":
        return "kubernetes:core/v1:PodTemplate", {"kind": kind, "template": template}
    group = {"Deployment": "apps/v1", "Job": "batch/v1", "ReplicationController": "core/v1"}[kind]
    return f"kubernetes:{group}:{kind}", {"kind": kind, "spec": {"template": template}}


@pytest.mark.parametrize(
    ("level", "path", "should_fail"),
    _cases(),
    ids=[
        f"{lv}-{'fail' if bad else 'pass'}-{p.parent.parent.parent.name}-{p.stem}"
        for lv, p, bad in _cases()
    ],
)
def test_pss_agrees_with_psa(level: str, path: Path, should_fail: bool) -> None:
    pod = yaml.safe_load(path.read_text(encoding="utf-8"))
    for kind in ("Pod", "Deployment", "CronJob", "PodTemplate", "Job", "ReplicationController"):
        if kind == "Pod":
            token, obj = "kubernetes:core/v1:Pod", copy.deepcopy(pod)
        else:
            token, obj = _wrap(copy.deepcopy(pod), kind)
        found = _pss_findings(token, obj, level)
        assert bool(found) == should_fail, f"{kind} {path.name} at {level}: {found}"
