"""The gate end to end through pulumi_policy's servicer: state files, manifests, fail closed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from aksflow.errors import ConfigError, PolicyError
from aksflow.policy.gate import analyze_manifests, evaluate_state
from aksflow.policy.loader import load_pack

from . import fixtures as fx
from .conftest import CONFIGS, PACK, REPO, pm

PROD = CONFIGS / "prod.json"
CORPUS = REPO.parent / "shared" / "conformance" / "pss"


def _eval(state: dict[str, Any], config: Path = PROD, **kw: Any) -> Any:
    return evaluate_state(state, policy_config=config, pack_dir=PACK, project_dir=REPO, **kw)


def test_compliant_prod_state_is_clean() -> None:
    report = _eval(fx.good_state())
    assert report.violations == (), [v.message for v in report.violations]
    assert report.evaluated == 5
    assert report.stack == "prod"
    assert dict(report.resources_by_type)[fx.MC] == 1


def test_violations_carry_level_severity_location_and_message() -> None:
    state = fx.good_state()
    mc = state["deployment"]["resources"][3]
    mc["inputs"]["disableLocalAccounts"] = False
    dep = state["deployment"]["resources"][5]
    dep["inputs"]["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = (
        True
    )
    report = _eval(state)
    by_policy = {v.policy: v for v in report.violations}
    local = by_policy["aks-local-accounts-disabled"]
    assert (local.level, local.severity) == ("mandatory", "high")
    assert (local.file, local.line) == ("infra/components/cluster.py", 42)
    assert "ManagedCluster aks: disableLocalAccounts" in local.message and "Fix:" in local.message
    priv = by_policy["pss-privileged"]
    assert priv.file == "apps/web/chart/templates/deployment.yaml" and priv.severity == "critical"
    assert (
        "Deployment apps/web: spec.template.spec.containers[0].securityContext.privileged"
        in priv.message
    )
    assert report.mandatory and report.to_json()["violations"][0]["policy"] == "pss-privileged"
    assert set(report.to_json()["violations"][0]) >= {
        "policy",
        "level",
        "severity",
        "urn",
        "file",
        "line",
        "message",
    }


def test_dev_config_downgrades_tier2_to_advisory_and_baseline() -> None:
    state = fx.good_state("dev")
    dep = state["deployment"]["resources"][5]
    spec = dep["inputs"]["spec"]["template"]["spec"]
    spec["securityContext"] = {}  # restricted-only failures
    spec["containers"][0].pop("readinessProbe")
    report = _eval(state, CONFIGS / "dev.json")
    assert not any(v.policy.startswith("pss-") for v in report.violations)  # baseline level
    probes = [v for v in report.violations if v.policy == "k8s-probes"]
    assert probes and probes[0].level == "advisory"
    prod = _eval(state, PROD)
    assert {"pss-run-as-non-root", "pss-seccomp-profile-restricted"} <= {
        v.policy for v in prod.mandatory
    }
    restricted = _eval(state, CONFIGS / "dev.json", pss_level="restricted")
    assert any(v.policy == "pss-run-as-non-root" for v in restricted.violations)


def test_stack_policies_report_against_the_offending_resource() -> None:
    state = fx.good_state()
    state["deployment"]["resources"] = state["deployment"]["resources"][:6]  # drop PDB + netpol
    report = _eval(state)
    pdb = [v for v in report.violations if v.policy == "k8s-pdb-coverage"]
    assert pdb and pdb[0].urn.endswith("::web:apps/web") and pdb[0].level == "mandatory"
    assert pdb[0].file == "apps/web/chart/templates/deployment.yaml"


def test_secret_markers_are_unwrapped_and_never_echoed() -> None:
    state = fx.good_state()
    state["deployment"]["resources"][3]["inputs"]["aadProfile"]["tenantID"] = fx.SECRET
    state["deployment"]["resources"][3]["inputs"]["disableLocalAccounts"] = fx.SECRET
    report = _eval(state)
    local = [v for v in report.violations if v.policy == "aks-local-accounts-disabled"]
    assert local and "[secret]" not in local[0].message and "ciphertext" not in local[0].message


def test_unknown_values_become_advisory_like_the_cli() -> None:
    from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

    state = fx.good_state()
    state["deployment"]["resources"][3]["inputs"]["disableLocalAccounts"] = UNKNOWN_BOOLEAN_VALUE
    report = _eval(state)
    skipped = [v for v in report.violations if v.unknown]
    assert [v.policy for v in skipped] == ["aks-local-accounts-disabled"]
    assert skipped[0].level == "advisory" and "can't run policy" in skipped[0].message
    assert report.unknown_skips == 1 and not report.mandatory


def test_not_applicable_is_counted() -> None:
    report = _eval(fx.good_state("dev"), CONFIGS / "dev.json")
    assert dict(report.not_applicable)["pss-run-as-non-root"] == 1  # restricted-only at baseline


def test_manifests_get_file_and_line(tmp_path: Path) -> None:
    import yaml

    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "lb", "namespace": "apps"},
        "spec": {"type": "LoadBalancer"},
    }
    text = "# header\n" + yaml.safe_dump(fx.deployment()) + "---\n# comment\n" + yaml.safe_dump(svc)
    (tmp_path / "all.yaml").write_text(text)
    report = analyze_manifests([tmp_path], policy_config=PROD, pack_dir=PACK, root=tmp_path)
    exposure = [v for v in report.violations if v.policy == "k8s-service-exposure"]
    assert exposure[0].file == "all.yaml"
    assert exposure[0].line == text.splitlines().index("apiVersion: v1") + 1
    assert report.evaluated == 2


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_conformance_through_the_servicer(level: str) -> None:
    for outcome in ("pass", "fail"):
        report = analyze_manifests(
            [CORPUS / level / "v1.37" / outcome], policy_config=PROD, pack_dir=PACK, pss_level=level
        )
        flagged = {v.urn for v in report.violations if v.policy.startswith("pss-")}
        files = sorted((CORPUS / level / "v1.37" / outcome).glob("*.yaml"))
        assert len(flagged) == (len(files) if outcome == "fail" else 0)


# --- fail closed -----------------------------------------------------------------------------


def test_nothing_evaluated_fails_closed() -> None:
    state = fx.state([("random:index:RandomPet", "pet", {"length": 2.0}, None)])
    with pytest.raises(PolicyError, match="no resource was evaluated"):
        _eval(state)


def test_not_a_stack_export_fails() -> None:
    with pytest.raises(PolicyError, match=r"deployment\.resources"):
        _eval({"version": 3})


def _copy_pack(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(PACK, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_pack_without_policies_fails_closed(tmp_path: Path) -> None:
    pack = _copy_pack(tmp_path)
    (pack / "__main__.py").write_text(
        "from pulumi_policy import PolicyPack\nPolicyPack(name='empty', policies=[])\n"
    )
    with pytest.raises(PolicyError, match="loads no policy"):
        load_pack(pack)


def test_missing_pack_fails(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="entry point is missing"):
        load_pack(tmp_path)


def test_raising_policy_fails_closed_naming_it(tmp_path: Path) -> None:
    pack = _copy_pack(tmp_path)
    (pack / "__main__.py").write_text(
        "from pulumi_policy import PolicyPack, ResourceValidationPolicy, EnforcementLevel\n"
        "def boom(args, report):\n    raise KeyError('oops')\n"
        "PolicyPack(name='broken', policies=[ResourceValidationPolicy(name='boom', "
        "description='d', validate=boom, enforcement_level=EnforcementLevel.MANDATORY)])\n"
    )
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"boom": "mandatory"}))
    with pytest.raises(PolicyError, match=r"policy 'boom' raised"):
        evaluate_state(fx.good_state(), policy_config=config, pack_dir=pack)


def test_all_disabled_fails_closed(tmp_path: Path) -> None:
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"all": "disabled"}))
    with pytest.raises(PolicyError, match="disabled"):
        _eval(fx.good_state(), config)


def test_loader_is_repeatable_and_restores_policy_pack(tmp_path: Path) -> None:
    import pulumi_policy
    import pulumi_policy.policy

    original = pulumi_policy.PolicyPack
    first = load_pack(PACK)
    other = _copy_pack(tmp_path)
    main = other / "__main__.py"
    main.write_text(main.read_text().replace("name=PACK_NAME", "name='other-pack'"))
    second = load_pack(other)
    third = load_pack(PACK)
    assert (first.name, second.name, third.name) == ("aksflow", "other-pack", "aksflow")
    every = len(pm("pack").ALL_RULES)
    assert len(first.policies) == len(third.policies) == every and first.version == "0.1.0"
    assert pulumi_policy.PolicyPack is original and pulumi_policy.policy.PolicyPack is original


def test_bad_config_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "c.json"
    config.write_text("{not json")
    with pytest.raises(ConfigError, match=r"c\.json"):
        _eval(fx.good_state(), config)
