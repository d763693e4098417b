"""Helm ``.Capabilities.APIVersions`` as a real cluster of a Kubernetes minor reports them.

With a reachable cluster the provider renders a v4 Chart with the server's version and its
discovered API versions (pulumi-kubernetes ``provider/pkg/provider/helm/v4/chart.go:372-401``
``setKubeVersionAndAPIVersions``, calling Helm's ``action.GetVersionSet``): every served
``group/version`` and every ``group/version/Kind``. Charts gate templates on these
(``.Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget"``); ``helm template`` alone
answers false for every ``group/version/Kind``.

:data:`BUILTIN_APIS` is the data: the built-in API group versions a cluster serves *by default*
(GA, and the betas that were on by default), with the top-level kinds of each and the minors in
which they are served, from the Kubernetes deprecation guide and release notes. Not listed:
alpha and off-by-default beta APIs, subresource kinds (``Scale``, ``Eviction``, ...), CRDs, and the
aggregated APIs AKS adds (``metrics.k8s.io/v1beta1``); docs/offline-preview.md says so.
"""

from __future__ import annotations

from aksflow.errors import RenderError

FIRST_MINOR = 25
LAST_MINOR = 36

# group version -> kind -> (first minor served, last minor served or None for "still served").
BUILTIN_APIS: dict[str, dict[str, tuple[int, int | None]]] = {
    "v1": {
        kind: (25, None)
        for kind in (
            "Binding", "ComponentStatus", "ConfigMap", "Endpoints", "Event", "LimitRange",
            "Namespace", "Node", "PersistentVolume", "PersistentVolumeClaim", "Pod",
            "PodTemplate", "ReplicationController", "ResourceQuota", "Secret", "Service",
            "ServiceAccount",
        )
    },
    "admissionregistration.k8s.io/v1": {
        "MutatingWebhookConfiguration": (25, None),
        "ValidatingWebhookConfiguration": (25, None),
        "ValidatingAdmissionPolicy": (30, None),
        "ValidatingAdmissionPolicyBinding": (30, None),
    },
    "apiextensions.k8s.io/v1": {"CustomResourceDefinition": (25, None)},
    "apiregistration.k8s.io/v1": {"APIService": (25, None)},
    "apps/v1": {
        kind: (25, None)
        for kind in ("ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet")
    },
    "authentication.k8s.io/v1": {"TokenReview": (25, None), "SelfSubjectReview": (28, None)},
    "authorization.k8s.io/v1": {
        kind: (25, None)
        for kind in (
            "LocalSubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview",
            "SubjectAccessReview",
        )
    },
    "autoscaling/v1": {"HorizontalPodAutoscaler": (25, None)},
    "autoscaling/v2": {"HorizontalPodAutoscaler": (25, None)},
    "autoscaling/v2beta2": {"HorizontalPodAutoscaler": (25, 25)},
    "batch/v1": {"CronJob": (25, None), "Job": (25, None)},
    "certificates.k8s.io/v1": {"CertificateSigningRequest": (25, None)},
    "coordination.k8s.io/v1": {"Lease": (25, None)},
    "discovery.k8s.io/v1": {"EndpointSlice": (25, None)},
    "events.k8s.io/v1": {"Event": (25, None)},
    "flowcontrol.apiserver.k8s.io/v1": {
        "FlowSchema": (29, None),
        "PriorityLevelConfiguration": (29, None),
    },
    "flowcontrol.apiserver.k8s.io/v1beta2": {
        "FlowSchema": (25, 28),
        "PriorityLevelConfiguration": (25, 28),
    },
    "flowcontrol.apiserver.k8s.io/v1beta3": {
        "FlowSchema": (26, 31),
        "PriorityLevelConfiguration": (26, 31),
    },
    "networking.k8s.io/v1": {
        "Ingress": (25, None),
        "IngressClass": (25, None),
        "NetworkPolicy": (25, None),
        "IPAddress": (33, None),
        "ServiceCIDR": (33, None),
    },
    "node.k8s.io/v1": {"RuntimeClass": (25, None)},
    "policy/v1": {"PodDisruptionBudget": (25, None)},
    "rbac.authorization.k8s.io/v1": {
        kind: (25, None) for kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
    },
    "resource.k8s.io/v1": {
        kind: (34, None)
        for kind in ("DeviceClass", "ResourceClaim", "ResourceClaimTemplate", "ResourceSlice")
    },
    "scheduling.k8s.io/v1": {"PriorityClass": (25, None)},
    "storage.k8s.io/v1": {
        "CSIDriver": (25, None),
        "CSINode": (25, None),
        "CSIStorageCapacity": (25, None),
        "StorageClass": (25, None),
        "VolumeAttachment": (25, None),
        "VolumeAttributesClass": (34, None),
    },
    "storage.k8s.io/v1beta1": {"CSIStorageCapacity": (25, 26)},
}  # fmt: skip


def api_versions(major: int, minor: int) -> list[str]:
    """Every ``group/version`` and ``group/version/Kind`` a default cluster of ``major.minor``
    serves (``action.GetVersionSet``'s form), sorted. RenderError outside the known minors.
    """
    if major != 1 or not FIRST_MINOR <= minor <= LAST_MINOR:
        raise RenderError(
            f"no built-in API table for Kubernetes {major}.{minor} (aksflow knows "
            f"1.{FIRST_MINOR} to 1.{LAST_MINOR}; see aksflow/helm/capabilities.py)"
        )
    served: set[str] = set()
    for group_version, kinds in BUILTIN_APIS.items():
        for kind, (first, last) in kinds.items():
            if first <= minor and (last is None or minor <= last):
                served.update((group_version, f"{group_version}/{kind}"))
    return sorted(served)
