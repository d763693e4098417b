"""Helm v4 Charts expand into their rendered objects, as the real provider registers them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import by_type, one

CHART = "kubernetes:helm.sh/v4:Chart"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_web_chart_children_are_resources_parented_to_the_chart(
    states: dict[str, Any], stack: str
) -> None:
    state = states[stack]
    chart = one(state, CHART, lambda r: r["urn"].endswith("::web"))
    children = [r for r in state["deployment"]["resources"] if r.get("parent") == chart["urn"]]
    kinds = sorted(r["type"] for r in children)
    autoscaled = ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler"] if stack != "dev" else []
    assert kinds == sorted(
        [
            "kubernetes:apps/v1:Deployment",
            *autoscaled,  # dev runs one replica without an HPA (apps/web/values-dev.yaml)
            "kubernetes:core/v1:Service",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "kubernetes:policy/v1:PodDisruptionBudget",
        ]
    )
    for child in children:
        # Same name for every kind (the provider's "<chart>:<namespace>/<name>"), distinct URNs.
        assert child["urn"].endswith("$" + child["type"] + "::web:web/web")
        # The Chart's providers map (the cluster's provider, not a default) reaches its children.
        assert child["provider"].split("::")[-2] == "aks"
        assert child["inputs"]["metadata"]["namespace"] == "web"
        assert child["sourcePosition"].startswith("project:///apps/web/chart/templates/")


def test_chart_depends_on_its_namespace(states: dict[str, Any]) -> None:
    state = states["prod"]
    chart = one(state, CHART, lambda r: r["urn"].endswith("::web"))
    namespace = one(state, "kubernetes:core/v1:Namespace", lambda r: r["urn"].endswith("::web"))
    assert namespace["urn"] in chart["dependencies"]
    assert (
        namespace["inputs"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        == "restricted"
    )


def test_disabled_app_is_absent(states: dict[str, Any]) -> None:
    assert not [r for r in by_type(states["dev"], CHART) if r["urn"].endswith("::batch-worker")]
    assert [r for r in by_type(states["prod"], CHART) if r["urn"].endswith("::batch-worker")]


def test_prod_deployment_uses_an_image_digest(states: dict[str, Any]) -> None:
    deployment = one(states["prod"], "kubernetes:apps/v1:Deployment")
    (container,) = deployment["inputs"]["spec"]["template"]["spec"]["containers"]
    assert "@sha256:" in container["image"]
