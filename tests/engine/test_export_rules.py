"""State files follow the Pulumi CLI's own rules (ported in ``tests/export_rules.py``).

Every ``state.json`` an aksflow preview writes during the test session is also checked at the end
of the session (``tests/conftest.py``); here are the shipped stacks, each rule shown to catch what
it is for, and the engine's naming rules with the upstream test cases.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from aksflow.engine.naming import default_provider_name, provider_request_key, source_position
from aksflow.engine.runner import preview_stack
from aksflow.engine.state import SECRET_MARKER, new_magic
from aksflow.preview import _ChartExpander, _RendererFactory
from aksflow.project import load_project, load_stack_config
from tests.conftest import by_type, one
from tests.export_rules import SECRET_SIG, SIG_KEY, problems

CHART = "kubernetes:helm.sh/v4:Chart"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_shipped_stacks_pass_the_cli_rules(states: dict[str, Any], stack: str) -> None:
    assert problems(states[stack]) == []


def test_manifest_is_what_the_cli_writes(states: dict[str, Any]) -> None:
    manifest = states["dev"]["deployment"]["manifest"]
    # goreleaser: version.Version = v{{.Version}}; the CLI is pinned to the SDK's version.
    assert manifest["version"] == "v" + metadata.version("pulumi") == "v3.272.0"
    # core.go NewMagic: sha256 of the version.
    assert manifest["magic"] == hashlib.sha256(b"v3.272.0").hexdigest() == new_magic("v3.272.0")
    assert new_magic("") == ""


def test_every_resource_has_created_and_modified(states: dict[str, Any]) -> None:
    for resource in states["prod"]["deployment"]["resources"]:
        assert resource["created"] == resource["modified"]
        assert resource["created"].endswith("Z")


def test_secrets_are_plaintext_markers_the_cli_reads_without_a_secrets_manager(
    states: dict[str, Any],
) -> None:
    """SecretV1 with ``plaintext`` = the JSON of "[secret]"; no ``ciphertext`` anywhere."""
    assert SECRET_MARKER == {SIG_KEY: SECRET_SIG, "plaintext": '"[secret]"'}
    for state in states.values():
        text = json.dumps(state)
        assert "ciphertext" not in text and "secrets_providers" not in text
        provider = one(state, "pulumi:providers:kubernetes")
        assert provider["inputs"]["kubeconfig"] == SECRET_MARKER


def test_explicit_provider_records_the_sdk_version(states: dict[str, Any]) -> None:
    """source_eval.go SetProviderVersion: the SDK's version lands in the provider's inputs."""
    provider = one(states["dev"], "pulumi:providers:kubernetes")
    assert provider["inputs"]["version"] == metadata.version("pulumi-kubernetes")


def test_chart_is_recorded_as_the_provider_registers_it(
    previewed: dict[str, Any], states: dict[str, Any]
) -> None:
    """chart.go Construct: RegisterComponentResource with no props; no provider on a component."""
    for stack, state in states.items():
        charts = json.loads((previewed["out"] / stack / "charts.json").read_text())["charts"]
        for chart in by_type(state, CHART):
            assert chart["inputs"] == {} and chart["custom"] is False
            assert "provider" not in chart and "propertyDependencies" not in chart
            assert chart["dependencies"]  # depends_on (its namespace) is an option, kept
            kept = charts[chart["urn"]]
            assert kept["chart"].startswith("../apps/") and "values" in kept


DEMO_PROGRAM = """
import pulumi_kubernetes as k8s

k8s.helm.v4.Chart(
    "demo",
    chart="chart",
    namespace="apps",
    values={"password": "zz-secret-source-42", "unused": "zz-chart-value-43"},
)
"""
DEMO_SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: {{ .Values.password | quote }}
"""


def test_no_chart_value_and_no_secret_source_in_state(tmp_path: Path) -> None:
    project = tmp_path / "demo"
    chart = project / "program" / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "templates" / "secret.yaml").write_text(DEMO_SECRET)
    (project / "program" / "__main__.py").write_text(DEMO_PROGRAM)
    (project / "Pulumi.yaml").write_text("name: demo\nruntime: python\nmain: program/\n")
    (project / "Pulumi.dev.yaml").write_text("config: {}\n")
    loaded = load_project(project)
    expander = _ChartExpander(loaded, _RendererFactory(None), "dev", "1.34")
    preview = preview_stack(loaded, load_stack_config(loaded, "dev"), expand_chart=expander)
    text = json.dumps(preview.state)
    assert "zz-secret-source-42" not in text and "zz-chart-value-43" not in text
    assert one(preview.state, "kubernetes:core/v1:Secret")["inputs"]["stringData"] == (
        SECRET_MARKER
    )
    # The Chart runs on the default kubernetes provider, and its children inherit it.
    (default,) = by_type(preview.state, "pulumi:providers:kubernetes")
    assert default["urn"].endswith(
        "::default_" + metadata.version("pulumi-kubernetes").replace(".", "_")
    )
    assert one(preview.state, "kubernetes:core/v1:Secret")["provider"].startswith(default["urn"])
    assert problems(preview.state) == []
    (inputs,) = preview.charts["charts"].values()
    assert inputs["values"]["unused"] == "zz-chart-value-43"  # kept for the diff, beside it


class TestPortedRulesCatchWhatTheyAreFor:
    """Each rule fails a crafted export as the CLI would (messages from the upstream files)."""

    @pytest.fixture
    def good(self, states: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(states["dev"])

    @staticmethod
    def _resources(doc: dict[str, Any]) -> list[dict[str, Any]]:
        resources: list[dict[str, Any]] = doc["deployment"]["resources"]
        return resources

    def test_magic_mismatch(self, good: dict[str, Any]) -> None:
        good["deployment"]["manifest"]["magic"] = ""
        assert problems(good) == ["magic cookie mismatch: possible tampering/corruption detected"]

    def test_ciphertext_needs_a_secrets_manager(self, good: dict[str, Any]) -> None:
        provider = one(good, "pulumi:providers:kubernetes")
        provider["inputs"]["kubeconfig"] = {SIG_KEY: SECRET_SIG, "ciphertext": "[secret]"}
        assert any("no secrets manager" in p for p in problems(good))

    @pytest.mark.parametrize(
        "secret",
        [
            {SIG_KEY: SECRET_SIG},
            {SIG_KEY: SECRET_SIG, "ciphertext": "x", "plaintext": '"y"'},
            {SIG_KEY: SECRET_SIG, "plaintext": ""},
        ],
    )
    def test_a_secret_has_exactly_one_form(
        self, good: dict[str, Any], secret: dict[str, Any]
    ) -> None:
        one(good, "pulumi:providers:kubernetes")["inputs"]["kubeconfig"] = secret
        assert any("exactly one of `ciphertext` or `plaintext`" in p for p in problems(good))

    def test_plaintext_must_be_json(self, good: dict[str, Any]) -> None:
        one(good, "pulumi:providers:kubernetes")["inputs"]["kubeconfig"] = {
            SIG_KEY: SECRET_SIG,
            "plaintext": "[secret]",
        }
        assert any("plaintext is not JSON" in p for p in problems(good))

    def test_unknown_signature(self, good: dict[str, Any]) -> None:
        one(good, "azure-native:resources:ResourceGroup")["inputs"]["x"] = {SIG_KEY: "nope"}
        assert any("unrecognized signature 'nope'" in p for p in problems(good))

    def test_provider_must_come_before_its_users(self, good: dict[str, Any]) -> None:
        resources = self._resources(good)
        index = next(i for i, r in enumerate(resources) if r["type"].startswith("pulumi:prov"))
        resources.append(resources.pop(index))
        assert (
            problems(good)[0].endswith(resources[-1]["urn"] + "::" + resources[-1]["id"])
            and "refers to unknown provider" in problems(good)[0]
        )

    def test_provider_reference_must_parse(self, good: dict[str, Any]) -> None:
        one(good, "azure-native:resources:ResourceGroup")["provider"] = "not-a-reference"
        assert "failed to parse provider reference" in problems(good)[0]

    def test_parent_must_come_first(self, good: dict[str, Any]) -> None:
        resources = self._resources(good)
        chart = next(r for r in resources if r["type"] == CHART)
        resources.remove(chart)
        resources.append(chart)
        assert "'s parent " in problems(good)[0] and "comes after it" in problems(good)[0]

    def test_missing_dependency(self, good: dict[str, Any]) -> None:
        one(good, "azure-native:resources:ResourceGroup")["dependencies"] = [
            "urn:pulumi:x::y::t::n"
        ]
        assert "refers to missing dependency" in problems(good)[0]

    def test_component_with_an_id(self, good: dict[str, Any]) -> None:
        self._resources(good)[1]["custom"] = False
        assert any("'custom' false but non-empty ID" in p for p in problems(good))

    def test_invalid_urn(self, good: dict[str, Any]) -> None:
        self._resources(good)[-1]["urn"] = "urn:pulumi:dev::aksflow"
        assert any("invalid URN" in p for p in problems(good))

    def test_duplicate_urn(self, good: dict[str, Any]) -> None:
        resources = self._resources(good)
        resources.append(copy.deepcopy(resources[-1]))
        assert any("duplicate resource" in p for p in problems(good))

    def test_one_stack(self, good: dict[str, Any]) -> None:
        resource = self._resources(good)[-1]
        resource["urn"] = resource["urn"].replace("urn:pulumi:dev::", "urn:pulumi:prod::")
        assert any("from different stacks (dev, prod)" in p for p in problems(good))

    def test_unsupported_version(self, good: dict[str, Any]) -> None:
        good["version"] = 5
        assert any("versions 1 to 4" in p for p in problems(good))


@pytest.mark.parametrize(
    ("version", "url", "name", "key"),
    [  # pulumi pkg/resource/deploy/providers/provider_test.go
        (None, "", "default", "pkg"),
        ("0.18.1", "", "default_0_18_1", "pkg-0.18.1"),
        (
            "0.17.7-dev.1555435978+gb7030aa4.dirty",
            "",
            "default_0_17_7_dev_1555435978_gb7030aa4_dirty",
            "pkg-0.17.7-dev.1555435978+gb7030aa4.dirty",
        ),
        ("0.18.1", "pulumi.com/pkg", "default_0_18_1_pulumi.com/pkg", "pkg-0.18.1-pulumi.com/pkg"),
        (None, "company.com/", "default_company.com", "pkg-company.com"),
        ("1.0.0-alpha.1", "", "default_1_0_0_alpha_1", "pkg-1.0.0-alpha.1"),
        ("1.0.0", "https://get.example/x", "default_1_0_0_https_/get.example/x", None),
    ],
)
def test_default_provider_names_follow_default_name(
    version: str | None, url: str, name: str, key: str | None
) -> None:
    assert default_provider_name(version, url) == name
    if key is not None:
        assert provider_request_key("pkg", version, url) == key


@pytest.mark.parametrize(
    ("uri", "line", "column", "expected"),
    [  # pulumi pkg/resource/deploy/source_eval.go parseSourcePosition
        ("file:///p/infra/program.py", 27, 0, "project:///infra/program.py#27"),
        ("file:///p/infra/x.py", 3, 9, "project:///infra/x.py#3,9"),
        ("file:///elsewhere/lib.py", 1, 0, "project:///../elsewhere/lib.py#1"),
        ("file:///p/a%20b.py", 2, 0, "project:///a%20b.py#2"),
        ("http://p/x.py", 1, 0, None),
        ("file:///p/x.py", -1, 0, None),
        ("", 1, 0, None),
    ],
)
def test_source_positions_follow_the_engine(
    uri: str, line: int, column: int, expected: str | None
) -> None:
    assert source_position(uri, line, column, Path("/p")) == expected
