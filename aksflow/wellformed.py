"""Fail closed on Kubernetes objects whose security-relevant fields have the wrong type.

The policy pack reads fields leniently (a wrong type reads as absent), so ``privileged: 7`` or
``spec.containers: 5`` would pass every policy, while the Kubernetes API server rejects such an
object when it decodes it into the Go types (and so does a real ``pulumi preview`` at server-side
dry-run). This check runs where objects enter the gate (manifest files, stack exports, a Helm
chart's children) and turns such an object into an input error naming the key path.

Only types, never semantics; fields not in the table are not this check's business. ``null`` is
always accepted (JSON null is "unset" for every Kubernetes field). The table follows the Go
field types of k8s.io/api (``core/v1/types.go``: ObjectMeta in apimachinery
``pkg/apis/meta/v1/types.go``, PodSpec, Container, SecurityContext, PodSecurityContext,
Capabilities, ...; ``apps/v1``, ``batch/v1``, ``rbac/v1``, ``networking/v1`` ``types.go``),
spelled as Go spells them: ``[]Container``, ``map[string]string``, ``*bool`` -> ``bool``.
One walk per object over the fields in the table: linear in the object count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aksflow.errors import ConfigError

# A Pulumi secret in a stack export: opaque here, its content is not the object's field.
_SECRET_SIG = "4dabf18193072939515e22adb298388d"
# A value unknown during a preview (pulumi sdk/go/common/resource/plugin/rpc.go UnknownStringValue):
# it stands for a value of any type.
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

_LABEL_SELECTOR = {
    "matchLabels": "map[string]string",
    "matchExpressions": "[]LabelSelectorRequirement",
}
_SECURITY_CONTEXT_COMMON = {
    "runAsUser": "int",
    "runAsGroup": "int",
    "runAsNonRoot": "bool",
    "seccompProfile": "SeccompProfile",
    "seLinuxOptions": "object",
    "appArmorProfile": "object",
    "windowsOptions": "object",
}
_WORKLOAD_SPEC = {"template": "PodTemplateSpec", "replicas": "int", "selector": "LabelSelector"}

TYPES: dict[str, dict[str, str]] = {
    # apimachinery pkg/apis/meta/v1/types.go
    "ObjectMeta": {
        "name": "string",
        "namespace": "string",
        "generateName": "string",
        "labels": "map[string]string",
        "annotations": "map[string]string",
    },
    "LabelSelector": _LABEL_SELECTOR,
    "LabelSelectorRequirement": {"key": "string", "operator": "string", "values": "[]string"},
    # core/v1/types.go
    "PodTemplateSpec": {"metadata": "ObjectMeta", "spec": "PodSpec"},
    "PodSpec": {
        "containers": "[]Container",
        "initContainers": "[]Container",
        "ephemeralContainers": "[]Container",  # EphemeralContainerCommon: Container's fields
        "volumes": "[]Volume",
        "hostNetwork": "bool",
        "hostPID": "bool",
        "hostIPC": "bool",
        "hostUsers": "bool",
        "shareProcessNamespace": "bool",
        "securityContext": "PodSecurityContext",
        "automountServiceAccountToken": "bool",
        "serviceAccountName": "string",
        "serviceAccount": "string",
        "restartPolicy": "string",
        "nodeSelector": "map[string]string",
    },
    "Container": {
        "name": "string",
        "image": "string",
        "imagePullPolicy": "string",
        "command": "[]string",
        "args": "[]string",
        "securityContext": "SecurityContext",
        "env": "[]EnvVar",
        "envFrom": "[]object",
        "ports": "[]ContainerPort",
        "resources": "ResourceRequirements",
        "volumeMounts": "[]VolumeMount",
        "livenessProbe": "object",
        "readinessProbe": "object",
        "startupProbe": "object",
    },
    "EnvVar": {"name": "string", "value": "string", "valueFrom": "object"},
    "ContainerPort": {
        "name": "string",
        "containerPort": "int",
        "hostPort": "int",
        "hostIP": "string",
        "protocol": "string",
    },
    "ResourceRequirements": {"limits": "object", "requests": "object"},
    "VolumeMount": {"name": "string", "mountPath": "string", "readOnly": "bool"},
    "Volume": {"name": "string", "hostPath": "HostPathVolumeSource"},
    "HostPathVolumeSource": {"path": "string", "type": "string"},
    "SecurityContext": {
        **_SECURITY_CONTEXT_COMMON,
        "privileged": "bool",
        "allowPrivilegeEscalation": "bool",
        "readOnlyRootFilesystem": "bool",
        "capabilities": "Capabilities",
        "procMount": "string",
    },
    "PodSecurityContext": {
        **_SECURITY_CONTEXT_COMMON,
        "fsGroup": "int",
        "supplementalGroups": "[]int",
        "sysctls": "[]Sysctl",
    },
    "Capabilities": {"add": "[]string", "drop": "[]string"},
    "SeccompProfile": {"type": "string", "localhostProfile": "string"},
    "Sysctl": {"name": "string", "value": "string"},
    "ServiceAccount": {"automountServiceAccountToken": "bool"},
    "Service": {"spec": "ServiceSpec"},
    "ServiceSpec": {
        "type": "string",
        "ports": "[]object",
        "externalIPs": "[]string",
        "loadBalancerSourceRanges": "[]string",
    },
    "Pod": {"spec": "PodSpec"},
    "PodTemplate": {"template": "PodTemplateSpec"},
    "ReplicationController": {"spec": "ReplicationControllerSpec"},
    "ReplicationControllerSpec": {"template": "PodTemplateSpec", "replicas": "int"},
    # apps/v1/types.go
    "Workload": {"spec": "WorkloadSpec"},
    "WorkloadSpec": _WORKLOAD_SPEC,
    # batch/v1/types.go
    "Job": {"spec": "JobSpec"},
    "JobSpec": {"template": "PodTemplateSpec"},
    "CronJob": {"spec": "CronJobSpec"},
    "CronJobSpec": {"jobTemplate": "JobTemplateSpec"},
    "JobTemplateSpec": {"metadata": "ObjectMeta", "spec": "JobSpec"},
    # autoscaling/v2/types.go, policy/v1/types.go (minAvailable is IntOrString: not checked)
    "HorizontalPodAutoscaler": {"spec": "HorizontalPodAutoscalerSpec"},
    "HorizontalPodAutoscalerSpec": {
        "scaleTargetRef": "object",
        "minReplicas": "int",
        "maxReplicas": "int",
    },
    "PodDisruptionBudget": {"spec": "PodDisruptionBudgetSpec"},
    "PodDisruptionBudgetSpec": {"selector": "LabelSelector"},
    # rbac/v1/types.go
    "Role": {"rules": "[]PolicyRule"},
    "PolicyRule": {
        "verbs": "[]string",
        "apiGroups": "[]string",
        "resources": "[]string",
        "resourceNames": "[]string",
        "nonResourceURLs": "[]string",
    },
    "RoleBinding": {"roleRef": "RoleRef", "subjects": "[]Subject"},
    "RoleRef": {"apiGroup": "string", "kind": "string", "name": "string"},
    "Subject": {"kind": "string", "apiGroup": "string", "name": "string", "namespace": "string"},
    # networking/v1/types.go
    "Ingress": {"spec": "IngressSpec"},
    "IngressSpec": {"ingressClassName": "string", "tls": "[]IngressTLS", "rules": "[]object"},
    "IngressTLS": {"hosts": "[]string", "secretName": "string"},
    "NetworkPolicy": {"spec": "NetworkPolicySpec"},
    "NetworkPolicySpec": {
        "podSelector": "LabelSelector",
        "policyTypes": "[]string",
        "ingress": "[]object",
        "egress": "[]object",
    },
}

_WORKLOAD_GROUPS = ("apps", "extensions")
KINDS: dict[tuple[str, str], str] = {
    ("", "Pod"): "Pod",
    ("", "PodTemplate"): "PodTemplate",
    ("", "ReplicationController"): "ReplicationController",
    ("", "ServiceAccount"): "ServiceAccount",
    ("", "Service"): "Service",
    ("autoscaling", "HorizontalPodAutoscaler"): "HorizontalPodAutoscaler",
    ("policy", "PodDisruptionBudget"): "PodDisruptionBudget",
    **{
        (group, kind): "Workload"
        for group in _WORKLOAD_GROUPS
        for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
    },
    ("batch", "Job"): "Job",
    ("batch", "CronJob"): "CronJob",
    ("rbac.authorization.k8s.io", "Role"): "Role",
    ("rbac.authorization.k8s.io", "ClusterRole"): "Role",
    ("rbac.authorization.k8s.io", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): "RoleBinding",
    ("networking.k8s.io", "Ingress"): "Ingress",
    ("extensions", "Ingress"): "Ingress",
    ("networking.k8s.io", "NetworkPolicy"): "NetworkPolicy",
    ("extensions", "NetworkPolicy"): "NetworkPolicy",
}
"""(API group, kind) -> the type of the object's body; every object also has ``metadata``."""

# Values echoed in an error only where they cannot be a credential.
_NOT_ECHOED = frozenset({"value"})


class Malformed(Exception):  # noqa: N818 - internal signal, always re-raised as ConfigError
    """A field whose value does not have its Kubernetes type."""

    def __init__(self, path: str, expected: str, value: Any, field: str) -> None:
        super().__init__(path)
        self.path = path
        self.expected = expected
        self.value = value
        self.field = field

    def problem(self) -> str:
        """``must be a list (got int 5)``."""
        got = _describe(self.value, self.field)
        return f"must be {_EXPECTED[_base(self.expected)]} (got {got})"


_EXPECTED = {
    "string": "a string",
    "bool": "a boolean",
    "int": "an integer",
    "object": "an object",
    "map": "a map of strings",
    "list": "a list",
}


def _base(spec: str) -> str:
    if spec.startswith("[]"):
        return "list"
    if spec.startswith("map["):
        return "map"
    if spec in ("string", "bool", "int"):
        return spec
    return "object"


def _describe(value: Any, field: str) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    kind = type(value).__name__
    if field in _NOT_ECHOED:
        return kind
    shown = repr(value)
    return f"{kind} {shown if len(shown) <= 40 else shown[:37] + '...'}"


def _is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and _SECRET_SIG in value


def _check(value: Any, spec: str, path: str, field: str) -> None:
    if value is None or value == _UNKNOWN or _is_secret(value):
        return
    if spec == "string":
        if not isinstance(value, str):
            raise Malformed(path, spec, value, field)
    elif spec == "bool":
        if not isinstance(value, bool):
            raise Malformed(path, spec, value, field)
    elif spec == "int":
        integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not integral:  # Pulumi numbers are float64
            raise Malformed(path, spec, value, field)
    elif spec == "object":
        if not isinstance(value, Mapping):
            raise Malformed(path, spec, value, field)
    elif spec.startswith("[]"):
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise Malformed(path, spec, value, field)
        element = spec[2:]
        for index, item in enumerate(value):
            _check(item, element, f"{path}[{index}]", field)
    elif spec.startswith("map["):
        if not isinstance(value, Mapping):
            raise Malformed(path, spec, value, field)
        for key, item in value.items():
            # null decodes as "" into a Go map[string]string; a number or bool does not decode.
            if item is not None and not isinstance(item, str) and not _is_secret(item):
                raise Malformed(f"{path}.{key}", "string", item, str(key))
    else:
        if not isinstance(value, Mapping):
            raise Malformed(path, spec, value, field)
        for key, child in TYPES[spec].items():
            if key in value:
                _check(value[key], child, f"{path}.{key}" if path else key, key)


def problem(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """(key path, problem) for the first malformed field of a Kubernetes object, or None."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    body = KINDS.get((group, kind)) if isinstance(kind, str) else None
    try:
        _check(obj.get("metadata"), "ObjectMeta", "metadata", "metadata")
        if body is not None:
            _check(obj, body, "", "")
    except Malformed as bad:
        return bad.path, bad.problem()
    return None


def label(obj: Mapping[str, Any], position: str) -> str:
    """``Pod web/api``; ``Pod <position>`` when the name is missing or not a string."""
    kind = obj.get("kind")
    kind_text = kind if isinstance(kind, str) and kind else "object"
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    namespace = meta.get("namespace") if isinstance(meta, Mapping) else None
    if not isinstance(name, str) or not name:
        return f"{kind_text} {position}"
    if isinstance(namespace, str) and namespace:
        return f"{kind_text} {namespace}/{name}"
    return f"{kind_text} {name}"


DETAIL = (
    "  the Kubernetes API server rejects an object whose field does not decode into its "
    "k8s.io/api type, so the offline gate refuses it too (a policy would read it as absent)"
)


def check_object(obj: Mapping[str, Any], *, where: str, position: str) -> None:
    """Raise ConfigError ``<where>: <Kind ns/name>: <key path>: <problem>`` then the detail."""
    found = problem(obj)
    if found is not None:
        path, text = found
        raise ConfigError(f"{where}: {label(obj, position)}: {path}: {text}\n{DETAIL}")


def check_resource(token: str, props: Mapping[str, Any], *, where: str, name: str) -> None:
    """Check the inputs (or outputs) of a ``kubernetes:<group>/<version>:<Kind>`` resource.

    The kind comes from the type token (``kubernetes:core/v1:Pod`` is core/v1 Pod); component
    tokens (``helm.sh/v4:Chart``, ``yaml/v2:ConfigGroup``) and other packages are not objects and
    are left alone, as is a custom resource's body beyond its ``metadata``. ``name`` (the
    resource's Pulumi name) names the object when its ``metadata.name`` is not set (auto-naming).
    """
    package, _, rest = token.partition(":")
    module, _, kind = rest.partition(":")
    if package != "kubernetes" or not kind:
        return
    group, _, _ = module.rpartition("/")
    group = "" if group == "core" else group
    is_object = isinstance(props.get("apiVersion"), str) and isinstance(props.get("kind"), str)
    if (group, kind) not in KINDS and not is_object:
        return
    version = module.rpartition("/")[2]
    obj = {**props, "apiVersion": f"{group}/{version}" if group else version, "kind": kind}
    check_object(obj, where=where, position=name)
