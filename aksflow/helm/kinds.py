"""Kubernetes kind facts as pulumi-kubernetes has them: one place, ported as data.

Sources (pulumi/pulumi-kubernetes at 94977969, after v4.32.0; the provider 4.34 line):

- :data:`NAMESPACED_KINDS` / :data:`CLUSTER_SCOPED_KINDS`: ``Kind.Namespaced()`` in
  ``provider/pkg/kinds/kinds.go:188-250``. The provider matches a kind by *name* (``List`` and
  ``Patch`` suffixes trimmed) whenever the object's apiVersion is one of
  :data:`KNOWN_GROUP_VERSIONS` (``kinds.go:335-401``, matched in ``provider/pkg/clients/clients.go:
  189-204`` ``IsNamespacedKind``); any other kind falls through to CRDs, then to the cluster.
- :data:`SDK_KINDS`: the ``apiVersion/kind`` pairs of the generated switch in
  ``sdk/go/kubernetes/yaml/v2/kinds.go`` ``RegisterResource`` (172 cases). Those get the SDK's
  token ``kubernetes:<group or core>/<version>:<Kind>``; every other object is a CustomResource
  typed ``kubernetes:<apiVersion>:<Kind>``.
"""

from __future__ import annotations

NAMESPACED_KINDS = frozenset(
    {
        "Binding", "ConfigMap", "ControllerRevision", "CronJob", "CSIStorageCapacity",
        "DaemonSet", "Deployment", "Endpoints", "EndpointSlice", "Event",
        "HorizontalPodAutoscaler", "Ingress", "Job", "Lease", "LimitRange", "NetworkPolicy",
        "PersistentVolumeClaim", "Pod", "PodDisruptionBudget", "PodTemplate", "ReplicaSet",
        "ReplicationController", "ResourceQuota", "Role", "RoleBinding", "Secret", "Service",
        "ServiceAccount", "StatefulSet",
    }
)  # fmt: skip
"""The 29 kinds ``Kind.Namespaced()`` calls namespaced (``kinds.go:194-223``)."""

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService", "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding",
        "CSIDriver", "CSINode", "CustomResourceDefinition", "FlowSchema", "IngressClass",
        "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume",
        "PodSecurityPolicy", "PriorityClass", "PriorityLevelConfiguration", "RuntimeClass",
        "StorageClass", "ValidatingWebhookConfiguration", "VolumeAttachment",
    }
)  # fmt: skip
"""The 20 kinds ``Kind.Namespaced()`` calls cluster-scoped (``kinds.go:226-246``)."""

KNOWN_GROUP_VERSIONS = frozenset(
    {
        "admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1alpha1",
        "admissionregistration.k8s.io/v1beta1", "apiextensions.k8s.io/v1",
        "apiextensions.k8s.io/v1beta1", "apiregistration.k8s.io/v1",
        "apiregistration.k8s.io/v1beta1", "apps/v1", "apps/v1beta1", "apps/v1beta2",
        "auditregistration.k8s.io/v1alpha1", "autoscaling/v1", "autoscaling/v2",
        "autoscaling/v2beta1", "autoscaling/v2beta2", "batch/v1", "batch/v1beta1",
        "batch/v2alpha1", "certificates.k8s.io/v1", "certificates.k8s.io/v1alpha1",
        "certificates.k8s.io/v1beta1", "coordination.k8s.io/v1", "coordination.k8s.io/v1alpha1",
        "coordination.k8s.io/v1alpha2", "coordination.k8s.io/v1beta1", "core/v1",
        "discovery.k8s.io/v1", "discovery.k8s.io/v1beta1", "events.k8s.io/v1",
        "events.k8s.io/v1beta1", "extensions/v1beta1", "flowcontrol.apiserver.k8s.io/v1",
        "flowcontrol.apiserver.k8s.io/v1alpha1", "flowcontrol.apiserver.k8s.io/v1beta1",
        "flowcontrol.apiserver.k8s.io/v1beta2", "flowcontrol.apiserver.k8s.io/v1beta3",
        "meta/v1", "networking.k8s.io/v1", "networking.k8s.io/v1alpha1",
        "networking.k8s.io/v1beta1", "node.k8s.io/v1", "node.k8s.io/v1alpha1",
        "node.k8s.io/v1beta1", "policy/v1", "policy/v1beta1", "rbac.authorization.k8s.io/v1",
        "rbac.authorization.k8s.io/v1alpha1", "rbac.authorization.k8s.io/v1beta1",
        "resource.k8s.io/v1", "resource.k8s.io/v1alpha1", "resource.k8s.io/v1alpha2",
        "resource.k8s.io/v1alpha3", "resource.k8s.io/v1beta1", "resource.k8s.io/v1beta2",
        "scheduling.k8s.io/v1", "scheduling.k8s.io/v1alpha1", "scheduling.k8s.io/v1alpha2",
        "scheduling.k8s.io/v1beta1", "settings.k8s.io/v1alpha1", "storage.k8s.io/v1",
        "storage.k8s.io/v1alpha1", "storage.k8s.io/v1beta1", "storagemigration.k8s.io/v1alpha1",
        "storagemigration.k8s.io/v1beta1",
        "v1",  # alias for "core/v1"
    }
)  # fmt: skip
"""``KnownGroupVersions`` (``kinds.go:335-401``): the built-in apiVersions."""

# apiVersion -> the kinds the SDK's RegisterResource switch knows at that apiVersion.
_SDK_KINDS_BY_API_VERSION: dict[str, tuple[str, ...]] = {
    "admissionregistration.k8s.io/v1": (
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
    ),
    "admissionregistration.k8s.io/v1alpha1": (
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    ),
    "admissionregistration.k8s.io/v1beta1": (
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
    ),
    "apiextensions.k8s.io/v1": ("CustomResourceDefinition",),
    "apiextensions.k8s.io/v1beta1": ("CustomResourceDefinition",),
    "apiregistration.k8s.io/v1": ("APIService",),
    "apiregistration.k8s.io/v1beta1": ("APIService",),
    "apps/v1": ("ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"),
    "apps/v1beta1": ("ControllerRevision", "Deployment", "StatefulSet"),
    "apps/v1beta2": ("ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"),
    "auditregistration.k8s.io/v1alpha1": ("AuditSink",),
    "autoscaling/v1": ("HorizontalPodAutoscaler",),
    "autoscaling/v2": ("HorizontalPodAutoscaler",),
    "autoscaling/v2beta1": ("HorizontalPodAutoscaler",),
    "autoscaling/v2beta2": ("HorizontalPodAutoscaler",),
    "batch/v1": ("CronJob", "Job"),
    "batch/v1beta1": ("CronJob",),
    "batch/v2alpha1": ("CronJob",),
    "certificates.k8s.io/v1": ("CertificateSigningRequest",),
    "certificates.k8s.io/v1alpha1": ("ClusterTrustBundle",),
    "certificates.k8s.io/v1beta1": (
        "CertificateSigningRequest",
        "ClusterTrustBundle",
        "PodCertificateRequest",
    ),
    "coordination.k8s.io/v1": ("Lease",),
    "coordination.k8s.io/v1alpha1": ("LeaseCandidate",),
    "coordination.k8s.io/v1alpha2": ("LeaseCandidate",),
    "coordination.k8s.io/v1beta1": ("Lease", "LeaseCandidate"),
    "discovery.k8s.io/v1": ("EndpointSlice",),
    "discovery.k8s.io/v1beta1": ("EndpointSlice",),
    "events.k8s.io/v1": ("Event",),
    "events.k8s.io/v1beta1": ("Event",),
    "extensions/v1beta1": (
        "DaemonSet",
        "Deployment",
        "Ingress",
        "NetworkPolicy",
        "PodSecurityPolicy",
        "ReplicaSet",
    ),
    "flowcontrol.apiserver.k8s.io/v1": ("FlowSchema", "PriorityLevelConfiguration"),
    "flowcontrol.apiserver.k8s.io/v1alpha1": ("FlowSchema", "PriorityLevelConfiguration"),
    "flowcontrol.apiserver.k8s.io/v1beta1": ("FlowSchema", "PriorityLevelConfiguration"),
    "flowcontrol.apiserver.k8s.io/v1beta2": ("FlowSchema", "PriorityLevelConfiguration"),
    "flowcontrol.apiserver.k8s.io/v1beta3": ("FlowSchema", "PriorityLevelConfiguration"),
    "meta/v1": ("Status",),
    "networking.k8s.io/v1": (
        "IPAddress",
        "Ingress",
        "IngressClass",
        "NetworkPolicy",
        "ServiceCIDR",
    ),
    "networking.k8s.io/v1alpha1": ("ClusterCIDR", "IPAddress", "ServiceCIDR"),
    "networking.k8s.io/v1beta1": ("IPAddress", "Ingress", "IngressClass", "ServiceCIDR"),
    "node.k8s.io/v1": ("RuntimeClass",),
    "node.k8s.io/v1alpha1": ("RuntimeClass",),
    "node.k8s.io/v1beta1": ("RuntimeClass",),
    "policy/v1": ("PodDisruptionBudget",),
    "policy/v1beta1": ("PodDisruptionBudget", "PodSecurityPolicy"),
    "rbac.authorization.k8s.io/v1": ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
    "rbac.authorization.k8s.io/v1alpha1": (
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
    ),
    "rbac.authorization.k8s.io/v1beta1": (
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
    ),
    "resource.k8s.io/v1": (
        "DeviceClass",
        "ResourceClaim",
        "ResourceClaimTemplate",
        "ResourceSlice",
    ),
    "resource.k8s.io/v1alpha1": (
        "PodScheduling",
        "ResourceClaim",
        "ResourceClaimTemplate",
        "ResourceClass",
    ),
    "resource.k8s.io/v1alpha2": (
        "PodSchedulingContext",
        "ResourceClaim",
        "ResourceClaimParameters",
        "ResourceClaimTemplate",
        "ResourceClass",
        "ResourceClassParameters",
        "ResourceSlice",
    ),
    "resource.k8s.io/v1alpha3": (
        "DeviceClass",
        "DeviceTaintRule",
        "PodSchedulingContext",
        "ResourceClaim",
        "ResourceClaimTemplate",
        "ResourcePoolStatusRequest",
        "ResourceSlice",
    ),
    "resource.k8s.io/v1beta1": (
        "DeviceClass",
        "ResourceClaim",
        "ResourceClaimTemplate",
        "ResourceSlice",
    ),
    "resource.k8s.io/v1beta2": (
        "DeviceClass",
        "DeviceTaintRule",
        "ResourceClaim",
        "ResourceClaimTemplate",
        "ResourceSlice",
    ),
    "scheduling.k8s.io/v1": ("PriorityClass",),
    "scheduling.k8s.io/v1alpha1": ("PriorityClass",),
    "scheduling.k8s.io/v1alpha2": ("PodGroup", "Workload"),
    "scheduling.k8s.io/v1beta1": ("PriorityClass",),
    "settings.k8s.io/v1alpha1": ("PodPreset",),
    "storage.k8s.io/v1": (
        "CSIDriver",
        "CSINode",
        "CSIStorageCapacity",
        "StorageClass",
        "VolumeAttachment",
        "VolumeAttributesClass",
    ),
    "storage.k8s.io/v1alpha1": ("VolumeAttachment", "VolumeAttributesClass"),
    "storage.k8s.io/v1beta1": (
        "CSIDriver",
        "CSINode",
        "CSIStorageCapacity",
        "StorageClass",
        "VolumeAttachment",
        "VolumeAttributesClass",
    ),
    "storagemigration.k8s.io/v1alpha1": ("StorageVersionMigration",),
    "storagemigration.k8s.io/v1beta1": ("StorageVersionMigration",),
    "v1": (
        "Binding",
        "ConfigMap",
        "Endpoints",
        "Event",
        "LimitRange",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "Pod",
        "PodTemplate",
        "ReplicationController",
        "ResourceQuota",
        "Secret",
        "Service",
        "ServiceAccount",
    ),
}

SDK_KINDS = frozenset(
    f"{api_version}/{kind}"
    for api_version, kinds in _SDK_KINDS_BY_API_VERSION.items()
    for kind in kinds
)
"""``"<apiVersion>/<Kind>"`` cases of the SDK's ``yaml/v2/kinds.go`` ``RegisterResource``."""


def builtin_scope(group: str, version: str, kind: str) -> bool | None:
    """The provider's table answer: True namespaced, False cluster-scoped, None not in the table.

    ``group`` is already canonical ("" for core). As ``IsNamespacedKind`` does, the kind is looked
    up by name only, and only when ``<group>/<version>`` is a known group version.
    """
    group_version = f"{group}/{version}" if group else version
    if group_version not in KNOWN_GROUP_VERSIONS:
        return None
    base = kind.removesuffix(
        "Patch",
    ).removesuffix(
        "List",
    )
    if base in NAMESPACED_KINDS:
        return True
    if base in CLUSTER_SCOPED_KINDS:
        return False
    return None


def type_token(api_version: str, kind: str) -> str:
    """The Pulumi type token the provider registers an object with (``kinds.go`` switch)."""
    if f"{api_version}/{kind}" in SDK_KINDS:
        group, _, version = api_version.rpartition("/")
        return f"kubernetes:{group or 'core'}/{version}:{kind}"
    return f"kubernetes:{api_version}:{kind}"
