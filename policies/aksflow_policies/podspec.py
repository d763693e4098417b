"""One PodSpec extractor for every workload kind (policies.md §2.1, like Checkov/Kyverno).

Maps a pulumi-kubernetes type token to the location of its PodSpec (**P**) and pod metadata
(**M**), and enumerates containers, initContainers and ephemeralContainers (**C[*]**) with
their field paths, so every pod-level policy is written once against the Pod.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .model import get, items

_TEMPLATE = ("spec", "template")
_CRONJOB = ("spec", "jobTemplate", "spec", "template")

# Type token -> path of the pod template (spec + metadata). The Pod itself is the template.
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": (),
    "kubernetes:core/v1:PodTemplate": ("template",),
    "kubernetes:core/v1:ReplicationController": _TEMPLATE,
    "kubernetes:apps/v1:Deployment": _TEMPLATE,
    "kubernetes:apps/v1:StatefulSet": _TEMPLATE,
    "kubernetes:apps/v1:DaemonSet": _TEMPLATE,
    "kubernetes:apps/v1:ReplicaSet": _TEMPLATE,
    "kubernetes:batch/v1:Job": _TEMPLATE,
    "kubernetes:batch/v1:CronJob": _CRONJOB,
    # Removed API versions still carry pods: check them too (k8s-deprecated-apis flags them).
    "kubernetes:apps/v1beta1:Deployment": _TEMPLATE,
    "kubernetes:apps/v1beta2:Deployment": _TEMPLATE,
    "kubernetes:apps/v1beta1:StatefulSet": _TEMPLATE,
    "kubernetes:apps/v1beta2:StatefulSet": _TEMPLATE,
    "kubernetes:apps/v1beta2:DaemonSet": _TEMPLATE,
    "kubernetes:apps/v1beta2:ReplicaSet": _TEMPLATE,
    "kubernetes:extensions/v1beta1:Deployment": _TEMPLATE,
    "kubernetes:extensions/v1beta1:DaemonSet": _TEMPLATE,
    "kubernetes:extensions/v1beta1:ReplicaSet": _TEMPLATE,
    "kubernetes:batch/v1beta1:CronJob": _CRONJOB,
}
WORKLOAD_TYPES = frozenset(POD_TEMPLATE_PATHS)
# Long-running controllers (probes, replicas, PDBs make sense for these).
LONG_RUNNING_TYPES = frozenset(
    t
    for t in WORKLOAD_TYPES
    if t.rsplit(":", 1)[-1]
    in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}
)
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


@dataclass(frozen=True)
class Pod:
    """The PodSpec and pod metadata of a workload, with their field paths."""

    spec: Mapping[str, Any]
    meta: Mapping[str, Any]
    spec_path: str
    meta_path: str

    @property
    def is_windows(self) -> bool:
        """``spec.os.name == windows``: exempt from several restricted controls."""
        return bool(get(self.spec, "os", "name") == "windows")

    @property
    def host_users_false(self) -> bool:
        """``spec.hostUsers`` explicitly false (a user-namespaced pod)."""
        return get(self.spec, "hostUsers") is False

    def containers(self, lists: tuple[str, ...] = CONTAINER_LISTS) -> Iterator[Container]:
        """Every container of the given lists, in PSA's visiting order."""
        for list_name in lists:
            for index, c in items(self.spec.get(list_name)):
                if isinstance(c, Mapping):
                    yield Container(c, f"{self.spec_path}.{list_name}[{index}]", list_name)


@dataclass(frozen=True)
class Container:
    """One container with its field path (``spec.template.spec.containers[0]``)."""

    body: Mapping[str, Any]
    path: str
    list_name: str

    @property
    def name(self) -> str:
        """The container's name (for messages)."""
        value = self.body.get("name")
        return value if isinstance(value, str) else "?"

    @property
    def security_context(self) -> Mapping[str, Any]:
        """``securityContext`` or an empty mapping."""
        sc = self.body.get("securityContext")
        return sc if isinstance(sc, Mapping) else {}


def _join(base: str, *parts: str) -> str:
    return ".".join(p for p in (base, *parts) if p)


def pod_of(type_token: str, props: Mapping[str, Any]) -> Pod | None:
    """The Pod view of a workload, or None if the type has no pod template or it is absent."""
    path = POD_TEMPLATE_PATHS.get(type_token)
    if path is None:
        return None
    template = get(props, *path) if path else props
    if not isinstance(template, Mapping):
        return None
    spec = template.get("spec")
    if not isinstance(spec, Mapping):
        return None
    meta = template.get("metadata")
    base = ".".join(path)
    return Pod(
        spec=spec,
        meta=meta if isinstance(meta, Mapping) else {},
        spec_path=_join(base, "spec"),
        meta_path=_join(base, "metadata"),
    )
