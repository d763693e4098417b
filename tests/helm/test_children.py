"""v4 Chart child rules: names, namespaces, type tokens, Lists, secrets, dependency order."""

from __future__ import annotations

from typing import Any

import pytest

from aksflow.errors import RenderError
from aksflow.helm.children import ChartChild, chart_children
from aksflow.helm.kinds import type_token
from aksflow.helm.render import RenderedObject


def obj(
    api_version: str, kind: str, name: str, namespace: str | None = None, **extra: Any
) -> RenderedObject:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    metadata.update(extra.pop("metadata", {}))
    return RenderedObject(
        manifest={"apiVersion": api_version, "kind": kind, "metadata": metadata, **extra},
        template=f"apps/x/chart/templates/{kind.lower()}.yaml",
    )


def children(
    *objects: RenderedObject, prefix: str = "app", namespace: str = "team"
) -> dict[str, ChartChild]:
    result = chart_children(list(objects), resource_prefix=prefix, namespace=namespace).children
    return {f"{c.type_token}|{c.name}": c for c in result}


@pytest.mark.parametrize(
    ("api_version", "kind", "token"),
    [
        ("v1", "Service", "kubernetes:core/v1:Service"),
        ("v1", "Namespace", "kubernetes:core/v1:Namespace"),
        ("apps/v1", "Deployment", "kubernetes:apps/v1:Deployment"),
        ("batch/v1", "CronJob", "kubernetes:batch/v1:CronJob"),
        ("policy/v1", "PodDisruptionBudget", "kubernetes:policy/v1:PodDisruptionBudget"),
        (
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        ),
        ("networking.k8s.io/v1", "NetworkPolicy", "kubernetes:networking.k8s.io/v1:NetworkPolicy"),
        (
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        ),
        (
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
        ),
        ("cert-manager.io/v1", "Certificate", "kubernetes:cert-manager.io/v1:Certificate"),
        ("v1", "Gadget", "kubernetes:v1:Gadget"),
    ],
)
def test_type_tokens(api_version: str, kind: str, token: str) -> None:
    """The SDK's switch in sdk/go/kubernetes/yaml/v2/kinds.go RegisterResource, else a CR."""
    assert type_token(api_version, kind) == token


def test_names_and_namespace_defaulting() -> None:
    """yaml.go:180-199 (Normalize) and :346-352 (register): defaults only an unset namespace."""
    result = children(
        obj("v1", "Service", "web"),
        obj("apps/v1", "Deployment", "web", "explicit"),
        obj("rbac.authorization.k8s.io/v1", "ClusterRole", "reader"),
        obj("v1", "Namespace", "other"),
    )
    assert set(result) == {
        "kubernetes:core/v1:Service|app:team/web",
        "kubernetes:apps/v1:Deployment|app:explicit/web",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole|app:reader",
        "kubernetes:core/v1:Namespace|app:other",
    }
    assert (
        result["kubernetes:core/v1:Service|app:team/web"].manifest["metadata"]["namespace"]
        == "team"
    )
    assert "namespace" not in result["kubernetes:core/v1:Namespace|app:other"].manifest["metadata"]


def test_empty_prefix_drops_the_colon() -> None:
    (child,) = chart_children(
        [obj("v1", "ConfigMap", "cm")], resource_prefix="", namespace="ns"
    ).children
    assert child.name == "ns/cm"


def test_input_objects_are_not_mutated() -> None:
    source = obj("v1", "ConfigMap", "cm")
    chart_children([source], resource_prefix="p", namespace="ns")
    assert "namespace" not in source.manifest["metadata"]


def test_custom_resource_scope_from_crds_in_the_render() -> None:
    crd = obj(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "widgets.example.com",
        spec={"group": "example.com", "names": {"kind": "Widget"}, "scope": "Namespaced"},
    )
    cluster_crd = obj(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "realms.example.com",
        spec={"group": "example.com", "names": {"kind": "Realm"}, "scope": "Cluster"},
    )
    result = chart_children(
        [
            obj("example.com/v1", "Widget", "w1"),
            obj("example.com/v1", "Realm", "r1"),
            obj("unknown.io/v1", "Mystery", "m1"),
            crd,
            cluster_crd,
        ],
        resource_prefix="app",
        namespace="team",
    ).children
    by_name = {c.name: c for c in result}
    assert by_name["app:team/w1"].type_token == "kubernetes:example.com/v1:Widget"
    assert by_name["app:r1"].type_token == "kubernetes:example.com/v1:Realm"
    # Unknown scope offline: left without a namespace, named like a cluster-scoped object.
    assert "namespace" not in by_name["app:m1"].manifest["metadata"]
    # CRDs come before the custom resources they define.
    names = [c.name for c in result]
    assert names.index("app:widgets.example.com") < names.index("app:team/w1")
    assert names.index("app:realms.example.com") < names.index("app:r1")
    assert by_name["app:team/w1"].depends_on == ("app:widgets.example.com",)
    assert by_name["app:team/w1"].dependencies == (
        ("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "app:widgets.example.com"),
    )


def test_namespaces_first_and_depends_on_annotation() -> None:
    result = chart_children(
        [
            obj(
                "apps/v1",
                "Deployment",
                "api",
                metadata={
                    "annotations": {
                        "config.kubernetes.io/depends-on": "/namespaces/apps/ConfigMap/settings, rbac.authorization.k8s.io/ClusterRole/reader"
                    }
                },
            ),
            obj("v1", "ConfigMap", "settings"),
            obj("rbac.authorization.k8s.io/v1", "ClusterRole", "reader"),
            obj("v1", "Namespace", "apps"),
        ],
        resource_prefix="app",
        namespace="apps",
    ).children
    names = [c.name for c in result]
    assert names[0] == "app:apps"
    deployment = next(c for c in result if c.type_token.endswith("Deployment"))
    assert set(deployment.depends_on) == {"app:apps", "app:apps/settings", "app:reader"}
    for dep in deployment.depends_on:
        assert names.index(dep) < names.index(deployment.name)


def test_dependency_cycle_is_an_error() -> None:
    a = obj(
        "v1",
        "ConfigMap",
        "a",
        metadata={"annotations": {"config.kubernetes.io/depends-on": "/namespaces/ns/ConfigMap/b"}},
    )
    b = obj(
        "v1",
        "ConfigMap",
        "b",
        metadata={"annotations": {"config.kubernetes.io/depends-on": "/namespaces/ns/ConfigMap/a"}},
    )
    with pytest.raises(RenderError, match="cyclic dependency"):  # cli-utils graph.go:170-174
        chart_children([a, b], resource_prefix="p", namespace="ns")


def test_lists_are_expanded() -> None:
    listed = RenderedObject(
        manifest={
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one"}},
                {"apiVersion": "v1", "kind": "ConfigMapList", "items": [
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "two"}},
                ]},
            ],
        },
        template="apps/x/chart/templates/list.yaml",
    )  # fmt: skip
    result = chart_children([listed], resource_prefix="p", namespace="ns").children
    assert [(c.type_token, c.name, c.template) for c in result] == [
        ("kubernetes:core/v1:ConfigMap", "p:ns/one", "apps/x/chart/templates/list.yaml"),
        ("kubernetes:core/v1:ConfigMap", "p:ns/two", "apps/x/chart/templates/list.yaml"),
    ]


def test_secret_paths_only_for_core_secrets() -> None:
    result = children(
        obj("v1", "Secret", "creds", data={"password": "c2VjcmV0"}),
        obj("v1", "ConfigMap", "plain", data={"a": "b"}),
        obj("example.com/v1", "Secret", "not-core"),
    )
    assert result["kubernetes:core/v1:Secret|app:team/creds"].secret_paths == ("data", "stringData")
    assert result["kubernetes:core/v1:ConfigMap|app:team/plain"].secret_paths == ()
    assert result["kubernetes:example.com/v1:Secret|app:not-core"].secret_paths == ()


def test_missing_name_is_an_error() -> None:
    with pytest.raises(
        RenderError,
        match=r"apps/x/chart/templates/configmap.yaml: a ConfigMap: Kubernetes resources require a "
        r"\.metadata\.name",
    ):
        chart_children([obj("v1", "ConfigMap", "")], resource_prefix="p", namespace="ns")


def test_shipped_web_chart_children() -> None:
    from aksflow.helm.render import HelmPythonRenderer, RenderRequest
    from infra.apps import load_releases
    from tests.helm.conftest import ROOT

    release = next(r for r in load_releases(ROOT, "prod") if r.app == "web")
    objects = HelmPythonRenderer().render(
        RenderRequest(chart=ROOT / release.chart, release_name=release.release_name,
                      namespace=release.namespace, values=release.values, kube_version="1.34",
                      app="web", environment="prod")
    )  # fmt: skip
    result = chart_children(objects, resource_prefix="web", namespace="web").children
    assert sorted((c.type_token, c.name) for c in result) == [
        ("kubernetes:apps/v1:Deployment", "web:web/web"),
        ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "web:web/web"),
        ("kubernetes:core/v1:Service", "web:web/web"),
        ("kubernetes:core/v1:ServiceAccount", "web:web/web"),
        ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "web:web/web"),
        ("kubernetes:policy/v1:PodDisruptionBudget", "web:web/web"),
    ]
    assert all(c.manifest["metadata"]["namespace"] == "web" for c in result)
    assert {c.template for c in result} == {
        f"apps/web/chart/templates/{name}.yaml"
        for name in ("deployment", "hpa", "service", "serviceaccount", "networkpolicy", "pdb")
    }
