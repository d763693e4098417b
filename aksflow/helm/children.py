"""How pulumi-kubernetes v4 ``helm.v4.Chart`` registers rendered objects as child resources.

Mirrors ``provider/pkg/provider/helm/v4/chart.go`` and ``provider/pkg/provider/yaml/v2/yaml.go``
(see shared/reference/offline-engine.md, "Children of helm.v4.Chart"):

- ``List`` kinds are expanded into their items;
- namespaced kinds without a namespace get the Chart's namespace; cluster-scoped kinds have none;
  a kind's scope comes from the built-in table below, else from a CRD in the same render, else
  it is unknown and the object is left without a namespace (the provider logs a warning);
- name ``<prefix>:<namespace>/<name>`` or ``<prefix>:<name>`` (``<name>`` alone for prefix "");
- type token ``kubernetes:<group or core>/<version>:<Kind>`` for built-in kinds and
  ``kubernetes:<apiVersion>:<Kind>`` for everything else;
- ``v1`` Secret ``data`` and ``stringData`` are secret;
- dependencies: an object depends on its Namespace and on the CRD defining its kind when they are
  in the same render, and on the objects its ``config.kubernetes.io/depends-on`` annotation names;
  children are returned in an order where dependencies come first.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aksflow.errors import RenderError
from aksflow.helm.render import RenderedObject

DEPENDS_ON = "config.kubernetes.io/depends-on"
CRD_GROUP = "apiextensions.k8s.io"

# Built-in kinds by API group: (namespaced, cluster-scoped). "" is the core group.
_BUILTIN: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "": (
        frozenset(
            {
                "Binding", "ConfigMap", "Endpoints", "Event", "LimitRange",
                "PersistentVolumeClaim", "Pod", "PodTemplate", "ReplicationController",
                "ResourceQuota", "Secret", "Service", "ServiceAccount",
            }
        ),
        frozenset({"ComponentStatus", "Namespace", "Node", "PersistentVolume"}),
    ),
    "apps": (
        frozenset({"ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"}),
        frozenset(),
    ),
    "batch": (frozenset({"CronJob", "Job"}), frozenset()),
    "autoscaling": (frozenset({"HorizontalPodAutoscaler"}), frozenset()),
    "policy": (frozenset({"PodDisruptionBudget"}), frozenset({"PodSecurityPolicy"})),
    "networking.k8s.io": (
        frozenset({"Ingress", "NetworkPolicy"}),
        frozenset({"IngressClass", "IPAddress", "ServiceCIDR"}),
    ),
    "extensions": (
        frozenset({"DaemonSet", "Deployment", "Ingress", "NetworkPolicy", "ReplicaSet"}),
        frozenset({"PodSecurityPolicy"}),
    ),
    "rbac.authorization.k8s.io": (
        frozenset({"Role", "RoleBinding"}),
        frozenset({"ClusterRole", "ClusterRoleBinding"}),
    ),
    "storage.k8s.io": (
        frozenset({"CSIStorageCapacity"}),
        frozenset(
            {"CSIDriver", "CSINode", "StorageClass", "VolumeAttachment", "VolumeAttributesClass"}
        ),
    ),
    "apiextensions.k8s.io": (frozenset(), frozenset({"CustomResourceDefinition"})),
    "admissionregistration.k8s.io": (
        frozenset(),
        frozenset(
            {
                "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
                "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
                "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
            }
        ),
    ),
    "apiregistration.k8s.io": (frozenset(), frozenset({"APIService"})),
    "scheduling.k8s.io": (frozenset(), frozenset({"PriorityClass"})),
    "node.k8s.io": (frozenset(), frozenset({"RuntimeClass"})),
    "certificates.k8s.io": (
        frozenset(),
        frozenset({"CertificateSigningRequest", "ClusterTrustBundle"}),
    ),
    "coordination.k8s.io": (frozenset({"Lease", "LeaseCandidate"}), frozenset()),
    "discovery.k8s.io": (frozenset({"EndpointSlice"}), frozenset()),
    "events.k8s.io": (frozenset({"Event"}), frozenset()),
    "flowcontrol.apiserver.k8s.io": (
        frozenset(),
        frozenset({"FlowSchema", "PriorityLevelConfiguration"}),
    ),
    "authentication.k8s.io": (frozenset(), frozenset({"SelfSubjectReview", "TokenReview"})),
    "authorization.k8s.io": (
        frozenset({"LocalSubjectAccessReview"}),
        frozenset({"SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview"}),
    ),
    "resource.k8s.io": (
        frozenset({"ResourceClaim", "ResourceClaimTemplate", "PodSchedulingContext"}),
        frozenset({"DeviceClass", "ResourceSlice"}),
    ),
    "internal.apiserver.k8s.io": (frozenset(), frozenset({"StorageVersion"})),
    "storagemigration.k8s.io": (frozenset(), frozenset({"StorageVersionMigration"})),
}  # fmt: skip


@dataclass(frozen=True)
class ChartChild:
    """One child resource of a v4 Chart, as the provider would register it."""

    type_token: str  # "kubernetes:apps/v1:Deployment", CR -> "kubernetes:<apiVersion>:<kind>"
    name: str  # "<prefix>:<ns>/<name>" or "<prefix>:<name>" for cluster-scoped
    manifest: dict[str, Any]  # namespace-defaulted object
    depends_on: tuple[str, ...]  # names of sibling children it depends on
    secret_paths: tuple[str, ...]  # e.g. ("data", "stringData") for v1 Secret
    template: str
    # The same edges as (type_token, name): names alone repeat across kinds (a Service and a
    # Deployment both named "web:web/web"), so this is the unambiguous form.
    dependencies: tuple[tuple[str, str], ...] = ()


def chart_children(
    objects: Sequence[RenderedObject], *, resource_prefix: str, namespace: str
) -> list[ChartChild]:
    """The children a v4 Chart named ``resource_prefix`` in ``namespace`` registers."""
    expanded = list(_expand_lists(objects))
    crd_scopes = _crd_scopes(obj.manifest for obj in expanded)
    children: list[ChartChild] = []
    keys: list[tuple[str, str, str, str]] = []  # (group, kind, namespace, name) per child
    for obj in expanded:
        manifest = copy.deepcopy(obj.manifest)
        api_version, kind = str(manifest["apiVersion"]), str(manifest["kind"])
        group = _group(api_version)
        metadata = manifest.setdefault("metadata", {})
        if not isinstance(metadata, dict) or not metadata.get("name"):
            raise RenderError(f"{obj.template}: a {kind} has no metadata.name")
        scope = _namespaced(group, kind, crd_scopes)
        if scope is True and not metadata.get("namespace"):
            metadata["namespace"] = namespace or "default"
        elif scope is False:
            metadata.pop("namespace", None)
        object_ns = str(metadata.get("namespace") or "")
        base = f"{object_ns}/{metadata['name']}" if object_ns else str(metadata["name"])
        children.append(
            ChartChild(
                type_token=type_token(api_version, kind),
                name=f"{resource_prefix}:{base}" if resource_prefix else base,
                manifest=manifest,
                depends_on=(),
                secret_paths=("data", "stringData") if (group, kind) == ("", "Secret") else (),
                template=obj.template,
            )
        )
        keys.append((group, kind, object_ns, str(metadata["name"])))
    edges = _edges(children, keys)
    return _ordered(children, edges)


def type_token(api_version: str, kind: str) -> str:
    """Pulumi type token of an object (built-in kinds use the SDK's token, others are CRs)."""
    group = _group(api_version)
    version = api_version.rsplit("/", 1)[-1]
    if _builtin_kind(group, kind.removesuffix("List")):
        return f"kubernetes:{group or 'core'}/{version}:{kind}"
    return f"kubernetes:{api_version}:{kind}"


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def _builtin_kind(group: str, kind: str) -> bool:
    kinds = _BUILTIN.get(group)
    return kinds is not None and (kind in kinds[0] or kind in kinds[1])


def _namespaced(group: str, kind: str, crd_scopes: dict[tuple[str, str], bool]) -> bool | None:
    """True/False for a known scope, None when it cannot be known offline."""
    kinds = _BUILTIN.get(group)
    if kinds is not None and kind in kinds[0]:
        return True
    if kinds is not None and kind in kinds[1]:
        return False
    return crd_scopes.get((group, kind))


def _expand_lists(objects: Iterable[RenderedObject]) -> Iterable[RenderedObject]:
    for obj in objects:
        kind = str(obj.manifest.get("kind", ""))
        items = obj.manifest.get("items")
        if kind.endswith("List") and isinstance(items, list):
            for item in items:
                if not isinstance(item, dict) or not item.get("apiVersion") or not item.get("kind"):
                    raise RenderError(f"{obj.template}: a {kind} item has no apiVersion or kind")
                yield from _expand_lists([RenderedObject(manifest=item, template=obj.template)])
        else:
            yield obj


def _crd_scopes(manifests: Iterable[dict[str, Any]]) -> dict[tuple[str, str], bool]:
    scopes: dict[tuple[str, str], bool] = {}
    for manifest in manifests:
        if manifest.get("kind") != "CustomResourceDefinition":
            continue
        if _group(str(manifest.get("apiVersion"))) != CRD_GROUP:
            continue
        spec = manifest.get("spec") or {}
        kind = (spec.get("names") or {}).get("kind")
        if spec.get("group") and kind:
            scopes[(str(spec["group"]), str(kind))] = spec.get("scope", "Namespaced") != "Cluster"
    return scopes


def _edges(children: list[ChartChild], keys: list[tuple[str, str, str, str]]) -> list[list[int]]:
    """For each child, the indexes of the siblings it depends on."""
    namespaces = {key[3]: i for i, key in enumerate(keys) if key[:2] == ("", "Namespace")}
    crds = {}
    for i, child in enumerate(children):
        if keys[i][:2] == (CRD_GROUP, "CustomResourceDefinition"):
            spec = child.manifest.get("spec") or {}
            crds[(str(spec.get("group")), str((spec.get("names") or {}).get("kind")))] = i
    by_key = {key: i for i, key in enumerate(keys)}
    edges: list[list[int]] = []
    for i, (group, kind, object_ns, _name) in enumerate(keys):
        deps = []
        if object_ns in namespaces:
            deps.append(namespaces[object_ns])
        if (group, kind) in crds:
            deps.append(crds[(group, kind)])
        annotations = children[i].manifest["metadata"].get("annotations") or {}
        for ref in _depends_on_refs(str(annotations.get(DEPENDS_ON) or "")):
            if ref in by_key:
                deps.append(by_key[ref])
        edges.append(sorted({d for d in deps if d != i}))
    return edges


def _depends_on_refs(annotation: str) -> list[tuple[str, str, str, str]]:
    """``group/namespaces/ns/Kind/name`` or ``group/Kind/name`` (kpt/kustomize syntax)."""
    refs = []
    for entry in filter(None, (part.strip() for part in annotation.split(","))):
        parts = entry.split("/")
        if len(parts) == 5 and parts[1] == "namespaces":
            refs.append((parts[0], parts[3], parts[2], parts[4]))
        elif len(parts) == 3:
            refs.append((parts[0], parts[1], "", parts[2]))
        else:
            raise RenderError(
                f"{DEPENDS_ON}: {entry!r} is not group/namespaces/<ns>/<Kind>/<name> "
                "or group/<Kind>/<name>"
            )
    return refs


def _ordered(children: list[ChartChild], edges: list[list[int]]) -> list[ChartChild]:
    """Dependencies first, otherwise the render order; cycles are an error, as in the provider."""
    state = [0] * len(children)  # 0 new, 1 visiting, 2 done
    order: list[int] = []

    def visit(i: int) -> None:
        if state[i] == 2:
            return
        if state[i] == 1:
            raise RenderError(f"dependency cycle through {children[i].name} ({DEPENDS_ON})")
        state[i] = 1
        for dep in edges[i]:
            visit(dep)
        state[i] = 2
        order.append(i)

    for i in range(len(children)):
        visit(i)
    result = []
    for i in order:
        child = children[i]
        result.append(
            ChartChild(
                type_token=child.type_token,
                name=child.name,
                manifest=child.manifest,
                depends_on=tuple(children[d].name for d in edges[i]),
                secret_paths=child.secret_paths,
                template=child.template,
                dependencies=tuple((children[d].type_token, children[d].name) for d in edges[i]),
            )
        )
    return result
