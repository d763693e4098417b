"""Stack policies: PodDisruptionBudget and NetworkPolicy coverage, deprecated/removed APIs."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .aks import MC
from .model import Finding, Rule, StackResource, get, is_map, items, stack_rule
from .podspec import LONG_RUNNING_TYPES, WORKLOAD_TYPES, pod_of

PDB_TYPES = frozenset({"kubernetes:policy/v1:PodDisruptionBudget"})
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
_PDB_KINDS = {"Deployment", "StatefulSet"}


def selector_matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Kubernetes LabelSelector semantics (matchLabels and matchExpressions)."""
    if not is_map(selector):
        return False
    match_labels = selector.get("matchLabels")
    if is_map(match_labels):
        for k in match_labels:
            if labels.get(k) != match_labels[k]:
                return False
    for _, expr in items(selector.get("matchExpressions")):
        key, op = get(expr, "key"), get(expr, "operator")
        values = [v for _, v in items(get(expr, "values"))]
        present = key in labels
        if op == "In" and not (present and labels.get(key) in values):
            return False
        if op == "NotIn" and present and labels.get(key) in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _ns(r: StackResource) -> Any:
    return get(r.props, "metadata", "namespace")


def _by_namespace(resources: Iterable[StackResource]) -> dict[Any, list[StackResource]]:
    """Index resources by namespace: coverage checks stay linear in the stack size."""
    index: dict[Any, list[StackResource]] = {}
    for r in resources:
        index.setdefault(_ns(r), []).append(r)
    return index


def _pod_labels(r: StackResource) -> Mapping[str, Any]:
    pod = pod_of(r.type, r.props)
    labels = pod.meta.get("labels") if pod else None
    if is_map(labels):
        return labels
    return {}


def _labels_path(r: StackResource) -> str:
    pod = pod_of(r.type, r.props)
    return f"{pod.meta_path}.labels" if pod else "metadata.labels"


def _kind(r: StackResource) -> str:
    return r.type.rsplit(":", 1)[-1]


def pdb_coverage(resources: Sequence[StackResource], cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Deployments/StatefulSets have enough replicas and a PDB that allows disruptions."""
    min_replicas = float(cfg.get("minReplicas") or 0)
    pdbs = _by_namespace(r for r in resources if r.type in PDB_TYPES)
    hpas = {
        (
            _ns(h),
            get(h.props, "spec", "scaleTargetRef", "kind"),
            get(h.props, "spec", "scaleTargetRef", "name"),
        ): h
        for h in resources
        if h.type.endswith(":HorizontalPodAutoscaler")
    }
    for r in resources:
        if r.type not in LONG_RUNNING_TYPES or _kind(r) not in _PDB_KINDS:
            continue
        hpa = hpas.get((_ns(r), _kind(r), get(r.props, "metadata", "name")))
        if hpa is not None:  # an HPA owns the replica count: its floor is what matters
            floor = get(hpa.props, "spec", "minReplicas")
            replicas_n = float(floor) if isinstance(floor, int | float) else 1.0
            where = f"{hpa.label} spec.minReplicas"
        else:
            replicas = get(r.props, "spec", "replicas")
            replicas_n = float(replicas) if isinstance(replicas, int | float) else 1.0
            where = "spec.replicas"
        if min_replicas and replicas_n < min_replicas:
            yield Finding(
                where,
                f"runs {replicas_n:g} replica(s), fewer than {min_replicas:g}.",
                f"set spec.replicas >= {min_replicas:g} (or an HPA minReplicas).",
                urn=r.urn,
                subject=r.label,
            )
        labels = _pod_labels(r)
        covering = [
            p
            for p in pdbs.get(_ns(r), ())
            if selector_matches(get(p.props, "spec", "selector"), labels)
        ]
        if not covering:
            yield Finding(
                _labels_path(r),
                "no PodDisruptionBudget selects this workload.",
                "add a policy/v1 PodDisruptionBudget (maxUnavailable: 1) selecting its pod labels.",
                urn=r.urn,
                subject=r.label,
            )
            continue
        for p in covering:
            if get(p.props, "spec", "maxUnavailable") in (0, "0", "0%"):
                yield Finding(
                    "spec.maxUnavailable",
                    "the PodDisruptionBudget allows no voluntary disruption (node drains hang).",
                    "set maxUnavailable to at least 1.",
                    urn=p.urn,
                    subject=p.label,
                )


def networkpolicy_coverage(
    resources: Sequence[StackResource], cfg: Mapping[str, Any]
) -> Iterable[Finding]:
    """Every workload's pods are selected by some NetworkPolicy in their namespace."""
    policies = _by_namespace(r for r in resources if r.type == NETPOL)
    for r in resources:
        if r.type not in WORKLOAD_TYPES:
            continue
        labels = _pod_labels(r)
        covered = any(
            not get(p.props, "spec", "podSelector")  # {} (or absent) selects every pod
            or selector_matches(get(p.props, "spec", "podSelector"), labels)
            for p in policies.get(_ns(r), ())
        )
        if not covered:
            yield Finding(
                _labels_path(r),
                "no NetworkPolicy selects this workload's pods.",
                "add a default-deny NetworkPolicy (podSelector: {}) plus allow rules to the chart.",
                urn=r.urn,
                subject=r.label,
            )


RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
_DIRECTIONS = ("Ingress", "Egress")


def denied_directions(netpol: Mapping[str, Any]) -> set[str]:
    """The directions a NetworkPolicy denies by default for every pod of its namespace.

    It must select every pod (``podSelector: {}``), list the direction in ``policyTypes`` and
    allow nothing in it. Without ``policyTypes`` the API server assumes Ingress, plus Egress
    when egress rules are present (networking/v1 NetworkPolicySpec).
    """
    spec = get(netpol, "spec")
    if get(spec, "podSelector"):
        return set()
    types = {t for _, t in items(get(spec, "policyTypes")) if isinstance(t, str)}
    if not types:
        types = {"Ingress"} | ({"Egress"} if list(items(get(spec, "egress"))) else set())
    return {d for d in types if d in _DIRECTIONS and not list(items(get(spec, d.lower())))}


def namespace_baseline(
    resources: Sequence[StackResource], cfg: Mapping[str, Any]
) -> Iterable[Finding]:
    """Every namespace with workloads has a ResourceQuota, a LimitRange and default-deny
    NetworkPolicies for the configured directions (one pass to index, one per namespace)."""
    wanted = [d for _, d in items(cfg.get("denyDirections")) if d in _DIRECTIONS]
    first_workload: dict[str, StackResource] = {}
    quotas: set[str] = set()
    limits: set[str] = set()
    denied: dict[str, set[str]] = {}
    for r in resources:
        raw_ns = _ns(r)
        ns = raw_ns if isinstance(raw_ns, str) and raw_ns else "default"
        if r.type in WORKLOAD_TYPES:
            first_workload.setdefault(ns, r)
        elif r.type == RESOURCE_QUOTA:
            quotas.add(ns)
        elif r.type == LIMIT_RANGE:
            limits.add(ns)
        elif r.type == NETPOL:
            denied.setdefault(ns, set()).update(denied_directions(r.props))
    for ns, workload in sorted(first_workload.items()):
        missing = []
        if ns not in quotas:
            missing.append("a ResourceQuota")
        if ns not in limits:
            missing.append("a LimitRange")
        open_directions = [d for d in wanted if d not in denied.get(ns, set())]
        if open_directions:
            missing.append(f"a default-deny NetworkPolicy for {'/'.join(open_directions)}")
        if missing:
            yield Finding(
                "metadata.namespace",
                f"namespace {ns!r} runs workloads but has no {', no '.join(missing)}.",
                "enable the app in an environment of apps/platform-baseline (it derives its "
                "namespaces from apps/*/app.yaml) or ship these objects with the chart.",
                urn=workload.urn,
                subject=f"namespace {ns} ({workload.label})",
            )


# (group/version, kind or "*", deprecated in, removed in, replacement)
DEPRECATED_APIS: tuple[tuple[str, str, tuple[int, int], tuple[int, int], str], ...] = (
    ("extensions/v1beta1", "*", (1, 8), (1, 22), "apps/v1 or networking.k8s.io/v1"),
    ("apps/v1beta1", "*", (1, 9), (1, 16), "apps/v1"),
    ("apps/v1beta2", "*", (1, 9), (1, 16), "apps/v1"),
    ("networking.k8s.io/v1beta1", "*", (1, 19), (1, 22), "networking.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "*", (1, 17), (1, 22), "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1alpha1", "*", (1, 17), (1, 22), "rbac.authorization.k8s.io/v1"),
    (
        "admissionregistration.k8s.io/v1beta1",
        "*",
        (1, 16),
        (1, 22),
        "admissionregistration.k8s.io/v1",
    ),
    ("apiextensions.k8s.io/v1beta1", "*", (1, 16), (1, 22), "apiextensions.k8s.io/v1"),
    ("apiregistration.k8s.io/v1beta1", "*", (1, 19), (1, 22), "apiregistration.k8s.io/v1"),
    ("certificates.k8s.io/v1beta1", "*", (1, 19), (1, 22), "certificates.k8s.io/v1"),
    ("coordination.k8s.io/v1beta1", "*", (1, 19), (1, 22), "coordination.k8s.io/v1"),
    ("scheduling.k8s.io/v1beta1", "*", (1, 14), (1, 22), "scheduling.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "StorageClass", (1, 19), (1, 22), "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSIDriver", (1, 19), (1, 22), "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSINode", (1, 17), (1, 22), "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "VolumeAttachment", (1, 19), (1, 22), "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity", (1, 24), (1, 27), "storage.k8s.io/v1"),
    ("batch/v1beta1", "CronJob", (1, 21), (1, 25), "batch/v1"),
    ("policy/v1beta1", "*", (1, 21), (1, 25), "policy/v1"),
    ("autoscaling/v2beta1", "*", (1, 22), (1, 25), "autoscaling/v2"),
    ("autoscaling/v2beta2", "*", (1, 23), (1, 26), "autoscaling/v2"),
    ("discovery.k8s.io/v1beta1", "*", (1, 21), (1, 25), "discovery.k8s.io/v1"),
    ("events.k8s.io/v1beta1", "*", (1, 22), (1, 25), "events.k8s.io/v1"),
    ("node.k8s.io/v1beta1", "*", (1, 22), (1, 25), "node.k8s.io/v1"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "*",
        (1, 23),
        (1, 26),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "*",
        (1, 26),
        (1, 29),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "*",
        (1, 29),
        (1, 32),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
)
_K8S_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)")
FALLBACK_VERSION = (1, 37)


def _parse_k8s(value: Any) -> tuple[int, int] | None:
    m = _K8S_VERSION_RE.match(value) if isinstance(value, str) else None
    return (int(m.group(1)), int(m.group(2))) if m else None


def cluster_version(resources: Sequence[StackResource], cfg: Mapping[str, Any]) -> tuple[int, int]:
    """Config ``kubernetesVersion``, else the lowest ManagedCluster version, else latest."""
    configured = _parse_k8s(cfg.get("kubernetesVersion"))
    if configured:
        return configured
    found = [
        v for r in resources if r.type == MC if (v := _parse_k8s(r.props.get("kubernetesVersion")))
    ]
    return min(found) if found else FALLBACK_VERSION


def api_version_of(r: StackResource) -> tuple[str, str] | None:
    """(group/version, kind) of a Kubernetes resource from its type token."""
    if not r.type.startswith("kubernetes:"):
        return None
    parts = r.type.split(":")
    if len(parts) != 3:
        return None
    gv = parts[1]
    return (gv[len("core/") :] if gv.startswith("core/") else gv), parts[2]


def deprecated_apis(
    resources: Sequence[StackResource], cfg: Mapping[str, Any]
) -> Iterable[Finding]:
    """No API version that is deprecated or removed at the cluster's Kubernetes version."""
    version = cluster_version(resources, cfg)
    shown = f"{version[0]}.{version[1]}"
    for r in resources:
        gvk = api_version_of(r)
        if gvk is None:
            continue
        gv, kind = gvk
        for api, api_kind, deprecated, removed, replacement in DEPRECATED_APIS:
            if gv != api or api_kind not in ("*", kind) or version < deprecated:
                continue
            state = "removed" if version >= removed else "deprecated"
            yield Finding(
                "apiVersion",
                f"{gv} {kind} is {state} at Kubernetes {shown} "
                f"(removed in {removed[0]}.{removed[1]}).",
                f"migrate the manifest to {replacement}.",
                urn=r.urn,
                subject=r.label,
            )
            break


_rule = functools.partial(stack_rule, ("kubernetes", "hygiene", "stack"))


RULES: Sequence[Rule] = (
    _rule(
        "k8s-pdb-coverage",
        "Deployments and StatefulSets must have enough replicas and a PodDisruptionBudget.",
        "low",
        3,
        "Add a PodDisruptionBudget and raise replicas.",
        pdb_coverage,
        {"minReplicas": {"type": "number", "minimum": 0, "default": 0}},
    ),
    _rule(
        "k8s-networkpolicy-coverage",
        "Every workload must be selected by a NetworkPolicy.",
        "medium",
        3,
        "Add a default-deny NetworkPolicy.",
        networkpolicy_coverage,
    ),
    _rule(
        "k8s-namespace-baseline",
        "Every namespace with workloads must have a ResourceQuota, a LimitRange and a "
        "default-deny NetworkPolicy.",
        "medium",
        2,
        "Guard the namespace with apps/platform-baseline.",
        namespace_baseline,
        {
            "denyDirections": {
                "type": "array",
                "items": {"enum": list(_DIRECTIONS)},
                "default": list(_DIRECTIONS),
                "description": "Directions a default-deny NetworkPolicy must cover.",
            }
        },
    ),
    _rule(
        "k8s-deprecated-apis",
        "Kubernetes objects must not use API versions deprecated or removed for the cluster.",
        "medium",
        3,
        "Migrate manifests to current API versions.",
        deprecated_apis,
        {"kubernetesVersion": {"type": "string", "default": ""}},
    ),
)
