"""The manifest fast path reports exactly what pulumi_policy's servicer reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from aksflow.policy.gate import Location, analyze_manifests, prepare, resources_from_state, run

from . import fixtures as fx
from .conftest import CONFIGS, PACK, REPO

CORPUS = REPO.parent / "shared" / "conformance" / "pss"


def _both(paths: list[Path], config: Path, level: str | None) -> tuple[Any, Any]:
    kw: dict[str, Any] = {"policy_config": config, "pack_dir": PACK, "pss_level": level}
    return analyze_manifests(paths, fast=True, **kw), analyze_manifests(paths, fast=False, **kw)


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_fast_equals_servicer_on_the_pss_corpus(level: str) -> None:
    fast, slow = _both([CORPUS / level / "v1.37"], CONFIGS / "prod.json", level)
    assert fast == slow and fast.violations


def test_fast_equals_servicer_with_unknowns_secrets_and_stack_findings() -> None:
    state = fx.good_state("dev")
    res = state["deployment"]["resources"]
    res[3]["inputs"]["disableLocalAccounts"] = UNKNOWN_BOOLEAN_VALUE
    res[3]["inputs"]["aadProfile"]["tenantID"] = fx.SECRET
    spec = res[5]["inputs"]["spec"]["template"]["spec"]
    spec["containers"][0]["image"] = UNKNOWN_STRING_VALUE
    spec["containers"][0]["securityContext"]["privileged"] = True
    del res[6:]
    resources, locations, stack = resources_from_state(state)
    reports = []
    for fast in (True, False):
        _, analyzer = prepare(PACK, CONFIGS / "dev.json", None, fast=fast)
        reports.append(
            run(analyzer, resources, locations, fallback=Location("Pulumi.yaml", 1), stack=stack)
        )
    assert reports[0] == reports[1]
    assert reports[0].unknown_skips >= 2 and reports[0].mandatory


@pytest.mark.parametrize("config", ["dev.json", "prod.json"])
def test_fast_equals_servicer_on_the_real_chart_models(config: str) -> None:
    """RBAC, hardening, Ingress, one-shot probes (not applicable) and namespace coverage."""
    charts = Path(__file__).resolve().parent / "charts"
    fast, slow = _both(sorted(charts.glob("*.yaml")), CONFIGS / config, None)
    assert fast == slow and fast.violations and fast.not_applicable
