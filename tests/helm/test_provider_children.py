"""Edge cases of a v4 Chart's children, each following the pulumi-kubernetes or cli-utils source.

pulumi/pulumi-kubernetes at 94977969 (the 4.3x provider): ``provider/pkg/provider/yaml/v2/
yaml.go``, ``provider/pkg/provider/helm/v4/chart.go``, ``provider/pkg/clients/clients.go``,
``provider/pkg/kinds/kinds.go``, ``sdk/go/kubernetes/yaml/v2/kinds.go``; kubernetes-sigs/cli-utils
v0.37.2: ``pkg/object/graph/depends.go``, ``graph.go``, ``pkg/object/dependson/strings.go``,
``pkg/ordering/sort.go``.
"""

from __future__ import annotations

from typing import Any

import pytest

from aksflow.errors import RenderError
from aksflow.helm.children import ChartChildren, chart_children
from aksflow.helm.kinds import builtin_scope, type_token
from aksflow.helm.render import RenderedObject

DEPENDS_ON = "config.kubernetes.io/depends-on"


def obj(
    api_version: str, kind: str, name: str, namespace: str | None = None, **extra: Any
) -> RenderedObject:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata.update(extra.pop("metadata", {}))
    return RenderedObject(
        manifest={"apiVersion": api_version, "kind": kind, "metadata": metadata, **extra},
        template=f"apps/x/chart/templates/{kind.lower()}.yaml",
    )


def depends(value: str) -> dict[str, Any]:
    return {"metadata": {"annotations": {DEPENDS_ON: value}}}


def render(*objects: RenderedObject, **kwargs: Any) -> ChartChildren:
    kwargs.setdefault("resource_prefix", "app")
    kwargs.setdefault("namespace", "web")
    return chart_children(list(objects), **kwargs)


def names(result: ChartChildren) -> list[str]:
    return [f"{c.type_token.rsplit(':', 1)[-1]} {c.name}" for c in result.children]


# --- Namespaces and scope -------------------------------------------------------------------


def test_cluster_scoped_object_keeps_its_namespace() -> None:
    """yaml.go:180-183: a namespace already set is never removed, whatever the kind's scope."""
    result = render(obj("rbac.authorization.k8s.io/v1", "ClusterRole", "reader", "web"))
    (child,) = result.children
    assert child.name == "app:web/reader"
    assert child.manifest["metadata"]["namespace"] == "web"


@pytest.mark.parametrize(
    ("group", "version", "kind", "scope"),
    [
        ("", "v1", "ConfigMap", True),
        ("", "v1", "ConfigMapList", True),  # kinds.go:189 trims "List"
        ("", "v1", "ConfigMapPatch", True),  # clients.go:200 trims "Patch"
        ("apps", "v1", "Secret", True),  # matched by kind name within any known group version
        ("rbac.authorization.k8s.io", "v1", "ClusterRole", False),
        ("coordination.k8s.io", "v1alpha2", "LeaseCandidate", None),  # not in the table
        ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", None),
        ("networking.k8s.io", "v1", "ServiceCIDR", None),
        ("", "v1", "ComponentStatus", None),
        ("example.com", "v1", "Deployment", None),  # not a KnownGroupVersion
    ],
)
def test_builtin_scope_table(group: str, version: str, kind: str, scope: bool | None) -> None:
    """kinds.go:188-250 Namespaced(), matched in clients.go:199-204 within KnownGroupVersions."""
    assert builtin_scope(group, version, kind) is scope


def test_unresolved_scope_leaves_no_namespace_and_warns_once_per_kind() -> None:
    """yaml.go:187-199 and :206-225 WarnUnresolvedNamespaceScope (clients.go:222 offline)."""
    result = render(
        obj("coordination.k8s.io/v1alpha2", "LeaseCandidate", "lc"),
        obj("coordination.k8s.io/v1alpha2", "LeaseCandidate", "lc2"),
        obj("example.com/v1", "Widget", "w"),
        obj("example.com/v1", "Widget", "w2", "explicit"),  # has a namespace: no lookup
    )
    assert sorted(c.name for c in result.children) == [
        "app:explicit/w2",
        "app:lc",
        "app:lc2",
        "app:w",
    ]
    assert all(
        "namespace" not in c.manifest["metadata"]
        for c in result.children
        if c.name != "app:explicit/w2"
    )
    (warning,) = result.warnings
    assert warning.startswith(
        "Unable to determine whether the following kinds are namespaced without a reachable cluster"
    )
    assert (
        "coordination.k8s.io/v1alpha2, Kind=LeaseCandidate, example.com/v1, Kind=Widget." in warning
    )


def crd(group: str, kind: str, scope: str | None, name: str | None = None) -> RenderedObject:
    spec: dict[str, Any] = {"group": group, "names": {"kind": kind}}
    if scope is not None:
        spec["scope"] = scope
    return obj(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        name or f"{kind.lower()}s.{group}",
        spec=spec,
    )


def test_crd_without_scope_is_not_namespaced() -> None:
    """clients.go:207-211: namespaced only when spec.scope == "Namespaced"."""
    result = render(crd("example.com", "Widget", None), obj("example.com/v1", "Widget", "w"))
    assert "CustomResourceDefinition app:widgets.example.com" in names(result)
    assert "Widget app:w" in names(result)
    assert result.warnings == []


def test_crds_registered_earlier_in_the_program_give_the_scope() -> None:
    """clients.go:213-218 CRDCache (filled by Check, provider.go:1368-1375); the last one wins."""
    earlier = [
        crd("example.com", "Widget", "Cluster").manifest,
        crd("example.com", "Widget", "Namespaced").manifest,
        crd("example.com", "Gadget", "Cluster").manifest,
    ]
    result = render(
        obj("example.com/v1", "Widget", "w"),
        obj("example.com/v1", "Gadget", "g"),
        known_crds=earlier,
    )
    assert sorted(c.name for c in result.children) == ["app:g", "app:web/w"]
    assert result.warnings == []


def test_a_crd_in_the_render_wins_over_the_cache() -> None:
    """clients.go:206-218: the objects are searched before the CRD cache."""
    result = render(
        crd("example.com", "Widget", "Cluster"),
        obj("example.com/v1", "Widget", "w"),
        known_crds=[crd("example.com", "Widget", "Namespaced").manifest],
    )
    assert "Widget app:w" in names(result)


def test_core_v1_is_canonicalised_before_anything_else() -> None:
    """yaml.go:174-178: core/v1 -> v1; so scope, token and Secret secrecy (yaml.go:390-397)."""
    result = render(
        obj("core/v1", "ConfigMap", "cm"),
        obj("core/v1", "Secret", "creds", data={"password": "c2VjcmV0"}),
    )
    by_name = {c.name: c for c in result.children}
    assert by_name["app:web/cm"].manifest["apiVersion"] == "v1"
    assert by_name["app:web/cm"].type_token == "kubernetes:core/v1:ConfigMap"
    secret = by_name["app:web/creds"]
    assert secret.type_token == "kubernetes:core/v1:Secret"
    assert secret.secret_paths == ("data", "stringData")
    assert secret.manifest["apiVersion"] == "v1"


@pytest.mark.parametrize(
    ("api_version", "kind", "token"),
    [
        ("v1", "ComponentStatus", "kubernetes:v1:ComponentStatus"),  # not in the SDK switch
        ("v1", "ConfigMapList", "kubernetes:v1:ConfigMapList"),  # Lists are not in the switch
        ("extensions/v1beta1", "Ingress", "kubernetes:extensions/v1beta1:Ingress"),
        (
            "networking.k8s.io/v1alpha1",
            "ClusterCIDR",
            "kubernetes:networking.k8s.io/v1alpha1:ClusterCIDR",
        ),
        ("resource.k8s.io/v1", "ResourceClaim", "kubernetes:resource.k8s.io/v1:ResourceClaim"),
        ("apps/v1", "Widget", "kubernetes:apps/v1:Widget"),
    ],
)
def test_type_token_switch(api_version: str, kind: str, token: str) -> None:
    """sdk/go/kubernetes/yaml/v2/kinds.go RegisterResource: exact apiVersion/kind cases only."""
    assert type_token(api_version, kind) == token


def test_any_object_with_an_items_array_is_a_list() -> None:
    """yaml.go:248 obj.IsList() (apimachinery: an "items" array), whatever the kind."""
    listed = RenderedObject(
        manifest={
            "apiVersion": "example.com/v1",
            "kind": "Bundle",
            "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one"}}],
        },
        template="apps/x/chart/templates/bundle.yaml",
    )
    assert names(render(listed)) == ["ConfigMap app:web/one"]
    broken = RenderedObject(
        manifest={"apiVersion": "v1", "kind": "List", "items": ["nope"]}, template="t.yaml"
    )
    with pytest.raises(RenderError, match="items member is not an object"):
        render(broken)


def test_kind_and_api_version_are_required() -> None:
    """yaml.go:164-167."""
    with pytest.raises(RenderError, match="require a kind and apiVersion"):
        render(obj("a/b/c", "ConfigMap", "cm"))


# --- depends-on and the dependency graph ------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ("/namespaces/web/ConfigMap/missing", "external dependency"),  # depends.go:242-256
        (
            "/namespaces/web/ConfigMap/a, /namespaces/web/ConfigMap/a",
            "duplicate dependency",
        ),  # :224-239
        ("/namespaces/web/ConfigMap/a,", "expected 3 or 5 fields, found 1"),  # strings.go:118-121
        ("", "expected 3 or 5 fields, found 1"),
        ("apps/Deployment", "expected 3 or 5 fields, found 2"),
        ("/ns/web/ConfigMap/a", 'missing "namespaces" field'),  # strings.go:128-130
    ],
)
def test_depends_on_errors_fail_the_chart(annotation: str, message: str) -> None:
    """yaml.go:283-286: any DependencyGraph error fails the Chart."""
    with pytest.raises(RenderError, match=message):
        render(obj("v1", "ConfigMap", "a"), obj("v1", "ConfigMap", "b", **depends(annotation)))


def test_depends_on_itself_is_a_cycle() -> None:
    """graph.go:170-174: a self edge leaves no leaf vertex."""
    with pytest.raises(RenderError, match="cyclic dependency"):
        render(obj("v1", "ConfigMap", "a", **depends("/namespaces/web/ConfigMap/a")))


def test_apply_time_mutation_edges() -> None:
    """depends.go:152-203: apply-time-mutation sourceRefs are edges; external ones fail."""
    mutation = "- sourceRef: {kind: ConfigMap, apiVersion: v1, name: a, namespace: web}\n  sourcePath: $.data.x\n  targetPath: $.data.y\n"
    result = render(
        obj(
            "v1",
            "ConfigMap",
            "b",
            metadata={"annotations": {"config.kubernetes.io/apply-time-mutation": mutation}},
        ),
        obj("v1", "ConfigMap", "a"),
    )
    assert names(result) == ["ConfigMap app:web/a", "ConfigMap app:web/b"]
    assert result.children[1].depends_on == ("app:web/a",)
    external = mutation.replace("name: a", "name: zzz")
    with pytest.raises(RenderError, match="external dependency"):
        render(
            obj(
                "v1",
                "ConfigMap",
                "b",
                metadata={"annotations": {"config.kubernetes.io/apply-time-mutation": external}},
            )
        )


def test_registration_order_is_levels_then_cli_utils_kind_order() -> None:
    """yaml.go:283-326: Sort() levels (graph.go:150-183), each sorted by ordering.less (sort.go)."""
    result = render(
        obj("apps/v1", "Deployment", "web"),
        obj("v1", "Service", "web"),
        obj("v1", "ServiceAccount", "web"),
        obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "hook"),
        obj("example.com/v1", "Widget", "w", "web"),
        obj("v1", "ConfigMap", "b"),
        obj("v1", "ConfigMap", "a"),
        obj("v1", "Namespace", "web"),
    )
    assert names(result) == [
        "Namespace app:web",  # level 1
        "ValidatingWebhookConfiguration app:hook",  # level 1, ordered last in its level
        "ServiceAccount app:web/web",  # level 2: everything in namespace web
        "ConfigMap app:web/a",
        "ConfigMap app:web/b",
        "Service app:web/web",
        "Deployment app:web/web",
        "Widget app:web/w",  # unlisted kinds after the listed ones
    ]
    deployment = result.children[6]
    assert deployment.depends_on == ("app:web",)


def test_objects_with_the_same_identity_register_once() -> None:
    """depends.go:57-85 HydrateSetList: one vertex per ObjMetadata, the last object wins."""
    result = render(
        obj("v1", "ConfigMap", "cm", data={"v": "first"}),
        obj("v1", "ConfigMap", "cm", data={"v": "second"}),
    )
    (child,) = result.children
    assert child.manifest["data"] == {"v": "second"}


# --- per-object registration options ----------------------------------------------------------


def test_skip_await_annotation() -> None:
    """yaml.go:354-381: pulumi.com/skipAwait "true", also where annotations were null."""
    result = render(
        obj("v1", "ConfigMap", "a", metadata={"annotations": None}),
        obj("v1", "ConfigMap", "b", metadata={"annotations": {"keep": "me"}}),
        skip_await=True,
    )
    annotations = [c.manifest["metadata"]["annotations"] for c in result.children]
    assert annotations == [
        {"pulumi.com/skipAwait": "true"},
        {"keep": "me", "pulumi.com/skipAwait": "true"},
    ]
    assert "annotations" not in render(obj("v1", "ConfigMap", "a")).children[0].manifest["metadata"]


def test_helm_resource_policy_keep_retains_on_delete() -> None:
    """chart.go:321-344 preregister: "keep" -> RetainOnDelete, any other value warns."""
    result = render(
        obj(
            "v1", "ConfigMap", "kept", metadata={"annotations": {"helm.sh/resource-policy": "keep"}}
        ),
        obj(
            "v1", "ConfigMap", "odd", metadata={"annotations": {"helm.sh/resource-policy": "Keep"}}
        ),
        obj("v1", "ConfigMap", "plain"),
    )
    retained = {c.name: c.retain_on_delete for c in result.children}
    assert retained == {"app:web/kept": True, "app:web/odd": False, "app:web/plain": False}
    assert result.warnings == ['Unsupported Helm resource policy "Keep"']
