"""Reading stack exports as the CLI does: secrets, versions, and what stack policies see.

Upstream (pulumi/pulumi): ``pkg/resource/stack/deployment.go`` (``UnmarshalUntypedDeployment``,
``DeserializePropertyValue``, ``secretPropertyValueFromPlaintext``),
``pkg/cmd/pulumi/policy/policy_analyze.go`` (undecryptable secrets become "[secret]") and
``pkg/resource/deploy/analyze_snapshot.go`` (``AnalyzeSnapshot``: resource policies on
``res.Inputs``, stack policies on ``res.Outputs``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from aksflow.errors import PolicyError
from aksflow.policy.cli import policy
from aksflow.policy.config import PolicySettings
from aksflow.policy.engine import Analyzer, FastAnalyzer, Outcome, Resource, unwrap_secrets
from aksflow.policy.gate import resources_from_state
from aksflow.policy.loader import LoadedPack
from tests.conftest import ROOT
from tests.export_rules import SECRET_SIG, SIG_KEY


def _secret(**form: str) -> dict[str, str]:
    return {SIG_KEY: SECRET_SIG, **form}


def test_plaintext_secrets_are_decoded_as_the_cli_decodes_them() -> None:
    """``pulumi stack export --show-secrets`` writes the JSON text of the value."""
    value = {"a": _secret(plaintext=json.dumps({"user": "x", "n": 2}))}
    assert unwrap_secrets(value) == {"a": {"user": "x", "n": 2}}
    assert unwrap_secrets(_secret(plaintext='"[secret]"')) == "[secret]"
    assert unwrap_secrets(_secret(ciphertext="AAAA")) == "[secret]"  # blinded, as --file does


def _export(states: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(states["dev"])


@pytest.mark.parametrize("version", [1, 2, 4, "3", None])
def test_only_deployment_version_3_is_read(states: dict[str, Any], version: object) -> None:
    doc = _export(states)
    doc["version"] = version
    with pytest.raises(PolicyError, match=r"^exported\.json: version: deployment version"):
        resources_from_state(doc, source="exported.json")


@pytest.mark.parametrize(
    "secret",
    [_secret(), _secret(ciphertext="x", plaintext='"y"'), _secret(plaintext="not json")],
)
def test_a_malformed_secret_is_refused(states: dict[str, Any], secret: dict[str, Any]) -> None:
    doc = _export(states)
    resources = doc["deployment"]["resources"]
    provider = next(r for r in resources if r["type"] == "pulumi:providers:kubernetes")
    provider["inputs"]["kubeconfig"] = secret
    with pytest.raises(PolicyError, match=r"inputs\.kubeconfig: malformed secret value"):
        resources_from_state(doc, source="exported.json")


def test_policy_analyze_names_the_file_and_exits_2(states: dict[str, Any], tmp_path: Path) -> None:
    doc = _export(states)
    doc["version"] = 4
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(
        policy,
        [
            "analyze",
            "--state",
            str(path),
            "--config",
            str(ROOT / "policies" / "config" / "dev.json"),
            "--pack",
            str(ROOT / "policies"),
        ],
    )
    assert isinstance(result.exception, PolicyError) and result.exception.exit_code == 2
    assert str(result.exception).startswith(f"{path}: version: deployment version 4")


def _stack_probe() -> tuple[LoadedPack, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def validate(args: Any, report: Any) -> None:
        seen.extend({"urn": r.urn, "props": dict(r.props)} for r in args.resources)

    probe = StackValidationPolicy(name="probe", description="records", validate=validate)
    pack = LoadedPack("p", "1", (probe,), EnforcementLevel.ADVISORY, None, Path())
    return pack, seen


@pytest.mark.parametrize("analyzer_type", [Analyzer, FastAnalyzer])
def test_stack_policies_see_outputs_only(analyzer_type: type[Analyzer]) -> None:
    pack, seen = _stack_probe()
    analyzer = analyzer_type(pack, {"probe": PolicySettings("advisory", {})})
    component = Resource("urn:pulumi:s::p::c:d:E::x", "c:d:E", "x", inputs={"chart": "../c"})
    custom = Resource("urn:pulumi:s::p::c:d:F::y", "c:d:F", "y", {"a": 1}, outputs={"a": 2})
    analyzer.analyze_stack([component, custom], Outcome())
    assert [s["props"] for s in seen] == [{}, {"a": 2.0}]
