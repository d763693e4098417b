"""The properties a reviewer checks on a created resource, as short ``label: value`` pairs.

A created resource has no old values to diff against, so the plan shows what it will be:
node pools their VM size, scaling, zones, mode and taints; workloads their images, replicas and
requests; PVCs their size and storage class; Services their type. Values are read from the
resource's inputs as recorded in the head's stack export.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aksflow.diff.model import SECRET_TEXT
from aksflow.diff.paths import is_secret

# pulumi/sdk/go/common/resource/plugin/rpc.go: UnknownStringValue, the preview's "computed".
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
INTERNAL_LB = "service.beta.kubernetes.io/azure-load-balancer-internal"

KeyProperties = tuple[tuple[str, str], ...]
Reader = Callable[[Mapping[str, Any]], list[tuple[str, str]]]


def _text(value: Any) -> str:
    if is_secret(value):
        return SECRET_TEXT
    if value == UNKNOWN:
        return "(known after apply)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items()) if value else "none"
    return "none" if value is None else str(value)


def _dig(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, Mapping):
            return None
        doc = doc.get(key)
    return doc


def _pool(profile: Mapping[str, Any]) -> list[tuple[str, str]]:
    """vmSize, scaling, zones, mode, taints of an AgentPool or an agentPoolProfiles entry."""
    out = [("vmSize", _text(profile.get("vmSize")))]
    if profile.get("enableAutoScaling"):
        out.append(
            ("min/max", f"{_text(profile.get('minCount'))}/{_text(profile.get('maxCount'))}")
        )
    else:
        out.append(("count", _text(profile.get("count"))))
    out += [
        ("zones", _text(profile.get("availabilityZones") or [])),
        ("mode", _text(profile.get("mode") or "User")),
        ("taints", _text(profile.get("nodeTaints") or [])),
    ]
    return out


def _agent_pool(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    return _pool(inputs)


def _cluster(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = [("kubernetesVersion", _text(inputs.get("kubernetesVersion") or "AKS default"))]
    out.append(("sku", _text(_dig(inputs, "sku", "tier") or "Free")))
    for profile in inputs.get("agentPoolProfiles") or ():
        if isinstance(profile, Mapping):
            pool = "; ".join(f"{k} {v}" for k, v in _pool(profile))
            out.append((f"pool {_text(profile.get('name'))}", pool))
    return out


def _containers(pod: Any) -> list[tuple[str, str]]:
    containers = [c for c in (_dig(pod, "containers") or ()) if isinstance(c, Mapping)]
    single = len(containers) == 1
    images, requests = [], []
    for container in containers:
        prefix = "" if single else f"{_text(container.get('name'))}="
        images.append(prefix + _text(container.get("image")))
        wanted = _dig(container, "resources", "requests")
        requests.append(prefix + (_text(wanted) if wanted else "none"))
    return [("image", "; ".join(images) or "none"), ("requests", "; ".join(requests) or "none")]


def _workload(pod_path: Sequence[str], replicas: bool) -> Reader:
    def read(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
        out = _containers(_dig(inputs, *pod_path))
        if replicas:
            count = _dig(inputs, "spec", "replicas")
            out.insert(1, ("replicas", _text(1 if count is None else count)))
        return out

    return read


def _pvc(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("size", _text(_dig(inputs, "spec", "resources", "requests", "storage"))),
        ("storageClass", _text(_dig(inputs, "spec", "storageClassName") or "cluster default")),
    ]


def _service(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    kind = _dig(inputs, "spec", "type") or "ClusterIP"
    out = [("type", _text(kind))]
    if kind == "LoadBalancer":
        internal = _dig(inputs, "metadata", "annotations", INTERNAL_LB) == "true"
        out.append(("exposure", "internal" if internal else "public"))
    return out


def _hpa(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    low = _dig(inputs, "spec", "minReplicas")
    target = _dig(inputs, "spec", "scaleTargetRef") or {}
    return [
        (
            "replicas",
            f"{_text(1 if low is None else low)}-{_text(_dig(inputs, 'spec', 'maxReplicas'))}",
        ),
        ("target", f"{_text(target.get('kind'))} {_text(target.get('name'))}"),
    ]


POD = ("spec", "template", "spec")
READERS: Mapping[str, Reader] = {
    "azure-native:containerservice:AgentPool": _agent_pool,
    "azure-native:containerservice:ManagedCluster": _cluster,
    "kubernetes:apps/v1:Deployment": _workload(POD, replicas=True),
    "kubernetes:apps/v1:StatefulSet": _workload(POD, replicas=True),
    "kubernetes:apps/v1:ReplicaSet": _workload(POD, replicas=True),
    "kubernetes:apps/v1:DaemonSet": _workload(POD, replicas=False),
    "kubernetes:batch/v1:Job": _workload(POD, replicas=False),
    "kubernetes:batch/v1:CronJob": _workload(("spec", "jobTemplate", *POD), replicas=False),
    "kubernetes:core/v1:PersistentVolumeClaim": _pvc,
    "kubernetes:core/v1:Service": _service,
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": _hpa,
}


def key_properties(type_token: str, inputs: Mapping[str, Any]) -> KeyProperties:
    """The reviewer-facing properties of a resource of ``type_token`` (empty for other types)."""
    reader = READERS.get(type_token)
    if reader is None or not isinstance(inputs, Mapping):
        return ()
    return tuple(reader(inputs))
