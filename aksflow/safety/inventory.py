"""What a stack export says about the cluster, its node pools and the workloads on them.

Pure functions over a Pulumi stack export (``state.json`` as ``aksflow preview`` writes it, or a
real ``pulumi stack export``): the inline System pool and every ``AgentPool`` become a
:class:`Pool` with the node labels and taints AKS gives its nodes; every rendered workload
becomes a :class:`Workload` with its scheduling constraints, replica floor and requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CLUSTER = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"
WORKSPACE = "azure-native:operationalinsights:Workspace"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
HPA_SUFFIX = ":HorizontalPodAutoscaler"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")
SPOT_TAINT = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"


@dataclass(frozen=True)
class Taint:
    """``key=value:Effect`` as AKS ``nodeTaints`` spell it."""

    key: str
    value: str
    effect: str

    @classmethod
    def parse(cls, text: str) -> Taint:
        spec, _, effect = text.partition(":")
        key, _, value = spec.partition("=")
        return cls(key, value, effect or "NoSchedule")

    def __str__(self) -> str:
        return f"{self.key}{'=' + self.value if self.value else ''}:{self.effect}"


@dataclass(frozen=True)
class Pool:
    """One node pool as declared (inline System pool or ``AgentPool``)."""

    name: str
    mode: str
    vm_size: str
    min_count: int
    max_count: int
    zones: tuple[str, ...]
    taints: tuple[Taint, ...]
    labels: Mapping[str, str]
    spot: bool
    os_disk_type: str
    os_sku: str
    max_pods: int
    max_surge: str
    orchestrator_version: str
    inline: bool
    urn: str

    def node_labels(self, location: str) -> dict[str, frozenset[str]]:
        """Labels every node of the pool carries; the zone label differs per node (a set)."""
        zones = frozenset(f"{location}-{z}" for z in self.zones) or frozenset({"0"})
        labels: dict[str, frozenset[str]] = {k: frozenset({v}) for k, v in self.labels.items()}
        labels.update(
            {
                "agentpool": frozenset({self.name}),
                "kubernetes.azure.com/agentpool": frozenset({self.name}),
                "kubernetes.azure.com/mode": frozenset({self.mode.lower()}),
                "kubernetes.io/os": frozenset({"linux"}),
                "node.kubernetes.io/instance-type": frozenset({self.vm_size}),
                "beta.kubernetes.io/instance-type": frozenset({self.vm_size}),
                "topology.kubernetes.io/zone": zones,
                "failure-domain.beta.kubernetes.io/zone": zones,
            }
        )
        if self.spot:
            labels["kubernetes.azure.com/scalesetpriority"] = frozenset({"spot"})
        return labels

    @property
    def node_taints(self) -> tuple[Taint, ...]:
        """Declared taints plus the one AKS adds to every Spot node."""
        if self.spot and not any(
            t.key == "kubernetes.azure.com/scalesetpriority" for t in self.taints
        ):
            return (*self.taints, Taint.parse(SPOT_TAINT))
        return self.taints


@dataclass(frozen=True)
class ClusterFacts:
    """The cluster-level inputs change safety looks at."""

    name: str
    urn: str
    location: str
    kubernetes_version: str
    sku_tier: str
    defender: bool


@dataclass(frozen=True)
class Requests:
    """Requested CPU (millicores) and memory (bytes) of one pod."""

    cpu_m: int
    memory: int

    def times(self, n: int) -> Requests:
        return Requests(self.cpu_m * n, self.memory * n)

    def __add__(self, other: Requests) -> Requests:
        return Requests(self.cpu_m + other.cpu_m, self.memory + other.memory)

    def shown(self) -> str:
        return f"cpu {self.cpu_m}m, memory {self.memory // 2**20}Mi"


@dataclass(frozen=True)
class Workload:
    """A rendered workload: where its pods may run and what they ask for."""

    kind: str
    namespace: str
    name: str
    urn: str
    replicas: int  # the floor: an HPA's minReplicas when one targets it; DaemonSet: 0
    pod_labels: Mapping[str, str]
    node_selector: Mapping[str, str]
    required_terms: tuple[tuple[Mapping[str, Any], ...], ...]  # OR of (AND of expressions)
    tolerations: tuple[Mapping[str, Any], ...]
    requests: Requests  # per pod

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


def resources(state: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The live resources of a stack export (pending deletes left out)."""
    deployment = state.get("deployment") or {}
    return [
        r
        for r in deployment.get("resources") or ()
        if isinstance(r, Mapping) and isinstance(r.get("urn"), str) and not r.get("delete")
    ]


def _inputs(r: Mapping[str, Any]) -> Mapping[str, Any]:
    value = r.get("inputs") or {}
    return value if isinstance(value, Mapping) else {}


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _strings(value: Any) -> tuple[str, ...]:
    return (
        tuple(str(v) for v in value)
        if isinstance(value, Sequence) and not isinstance(value, str)
        else ()
    )


def _pool(profile: Mapping[str, Any], *, name: str, inline: bool, urn: str) -> Pool:
    count = _int(profile.get("count"), 1)
    autoscaled = bool(profile.get("enableAutoScaling"))
    labels = profile.get("nodeLabels")
    upgrade = profile.get("upgradeSettings")
    return Pool(
        name=name,
        mode=str(profile.get("mode") or "User"),
        vm_size=str(profile.get("vmSize") or ""),
        min_count=_int(profile.get("minCount"), count) if autoscaled else count,
        max_count=_int(profile.get("maxCount"), count) if autoscaled else count,
        zones=_strings(profile.get("availabilityZones")),
        taints=tuple(Taint.parse(t) for t in _strings(profile.get("nodeTaints"))),
        labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {},
        spot=str(profile.get("scaleSetPriority") or "") == "Spot",
        os_disk_type=str(profile.get("osDiskType") or "Managed"),
        os_sku=str(profile.get("osSKU") or "Ubuntu"),
        max_pods=_int(profile.get("maxPods"), 30),
        max_surge=str(upgrade.get("maxSurge") or "10%") if isinstance(upgrade, Mapping) else "10%",
        orchestrator_version=str(profile.get("orchestratorVersion") or ""),
        inline=inline,
        urn=urn,
    )


def pools(state: Mapping[str, Any]) -> dict[str, Pool]:
    """Every node pool of the stack by pool name: inline profiles first, then ``AgentPool``s."""
    found: dict[str, Pool] = {}
    for r in resources(state):
        inputs = _inputs(r)
        if r.get("type") == CLUSTER:
            for profile in inputs.get("agentPoolProfiles") or ():
                if isinstance(profile, Mapping) and profile.get("name"):
                    name = str(profile["name"])
                    found[name] = _pool(profile, name=name, inline=True, urn=str(r["urn"]))
        elif r.get("type") == AGENT_POOL:
            name = str(inputs.get("agentPoolName") or str(r["urn"]).rsplit("::", 1)[-1])
            found[name] = _pool(inputs, name=name, inline=False, urn=str(r["urn"]))
    return found


def cluster(state: Mapping[str, Any]) -> ClusterFacts | None:
    """The stack's (first) ManagedCluster, or None when it declares none."""
    for r in resources(state):
        if r.get("type") != CLUSTER:
            continue
        inputs = _inputs(r)
        sku = _map(inputs.get("sku"))
        security = inputs.get("securityProfile")
        defender = security.get("defender") if isinstance(security, Mapping) else None
        monitoring = defender.get("securityMonitoring") if isinstance(defender, Mapping) else None
        return ClusterFacts(
            name=str(inputs.get("resourceName") or str(r["urn"]).rsplit("::", 1)[-1]),
            urn=str(r["urn"]),
            location=str(inputs.get("location") or ""),
            kubernetes_version=str(inputs.get("kubernetesVersion") or ""),
            sku_tier=str(sku.get("tier") or "Free") if isinstance(sku, Mapping) else "Free",
            defender=bool(isinstance(monitoring, Mapping) and monitoring.get("enabled")),
        )
    return None


def log_retention_days(state: Mapping[str, Any]) -> list[tuple[str, int]]:
    """``(workspace name, retentionInDays)`` of every Log Analytics workspace."""
    out = []
    for r in resources(state):
        if r.get("type") == WORKSPACE:
            inputs = _inputs(r)
            name = str(inputs.get("workspaceName") or str(r["urn"]).rsplit("::", 1)[-1])
            out.append((name, _int(inputs.get("retentionInDays"), 30)))
    return out


_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)([EPTGMK]i?|e\d+|m)?$")
_MEMORY_UNITS: dict[str, float] = {
    "": 1,
    "m": 0.001,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def cpu_millis(value: Any) -> int:
    """A Kubernetes CPU quantity (``250m``, ``0.5``, ``2``) in millicores; 0 when unreadable."""
    match = _CPU.match(str(value).strip()) if value is not None else None
    if not match:
        return 0
    number = float(match.group(1))
    return round(number if match.group(2) else number * 1000)


def memory_bytes(value: Any) -> int:
    """A Kubernetes memory quantity (``256Mi``, ``1G``, ``1e9``) in bytes; 0 when unreadable."""
    match = _MEMORY.match(str(value).strip()) if value is not None else None
    if not match:
        return 0
    number, unit = float(match.group(1)), match.group(2) or ""
    if unit.startswith("e"):
        return round(number * float(10 ** int(unit[1:])))
    return round(number * _MEMORY_UNITS[unit])


def _container_requests(containers: Any) -> list[Requests]:
    out = []
    for c in containers or ():
        if not isinstance(c, Mapping):
            continue
        res = _map(c.get("resources"))
        req = _map(res.get("requests"))
        lim = _map(res.get("limits"))
        # An unset request defaults to the limit (core/v1 defaulting).
        out.append(
            Requests(
                cpu_millis(req.get("cpu", lim.get("cpu"))),
                memory_bytes(req.get("memory", lim.get("memory"))),
            )
        )
    return out


def pod_requests(spec: Mapping[str, Any]) -> Requests:
    """Effective pod requests: the sum over containers, at least the largest init container."""
    total = Requests(0, 0)
    for r in _container_requests(spec.get("containers")):
        total = total + r
    init = _container_requests(spec.get("initContainers"))
    return Requests(
        max([total.cpu_m, *(r.cpu_m for r in init)]),
        max([total.memory, *(r.memory for r in init)]),
    )


def _pod_template(kind: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    spec = props.get("spec")
    if not isinstance(spec, Mapping):
        return None
    if kind == "CronJob":
        job = spec.get("jobTemplate")
        spec = job.get("spec") if isinstance(job, Mapping) else None
        if not isinstance(spec, Mapping):
            return None
    template = spec.get("template")
    return template if isinstance(template, Mapping) else None


def _hpa_floors(items: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], int]:
    floors = {}
    for r in items:
        if not str(r.get("type", "")).endswith(HPA_SUFFIX):
            continue
        props = _inputs(r)
        meta = _map(props.get("metadata"))
        spec = _map(props.get("spec"))
        ref = _map(spec.get("scaleTargetRef"))
        key = (str(meta.get("namespace") or "default"), str(ref.get("kind")), str(ref.get("name")))
        floors[key] = _int(spec.get("minReplicas"), 1)
    return floors


def workloads(state: Mapping[str, Any]) -> list[Workload]:
    """Every rendered workload with a pod template, in state order."""
    items = resources(state)
    floors = _hpa_floors(items)
    out = []
    for r in items:
        type_token = str(r.get("type", ""))
        kind = type_token.rsplit(":", 1)[-1]
        if not type_token.startswith("kubernetes:") or kind not in WORKLOAD_KINDS:
            continue
        props = _inputs(r)
        template = _pod_template(kind, props)
        if template is None:
            continue
        meta = _map(props.get("metadata"))
        namespace = str(meta.get("namespace") or "default")
        name = str(meta.get("name") or str(r["urn"]).rsplit("::", 1)[-1])
        spec = _map(template.get("spec"))
        tmeta = _map(template.get("metadata"))
        labels = _map(tmeta.get("labels"))
        selector = _map(spec.get("nodeSelector"))
        body = _map(props.get("spec"))
        if kind == "DaemonSet":
            replicas = 0
        elif kind in ("Job", "CronJob"):
            replicas = _int(body.get("parallelism"), 1) if kind == "Job" else 1
        else:
            replicas = floors.get((namespace, kind, name), _int(body.get("replicas"), 1))
        out.append(
            Workload(
                kind=kind,
                namespace=namespace,
                name=name,
                urn=str(r["urn"]),
                replicas=replicas,
                pod_labels={str(k): str(v) for k, v in labels.items()},
                node_selector={str(k): str(v) for k, v in selector.items()},
                required_terms=_required_terms(spec),
                tolerations=tuple(
                    t for t in spec.get("tolerations") or () if isinstance(t, Mapping)
                ),
                requests=pod_requests(spec),
            )
        )
    return out


def _required_terms(spec: Mapping[str, Any]) -> tuple[tuple[Mapping[str, Any], ...], ...]:
    affinity = spec.get("affinity")
    node = affinity.get("nodeAffinity") if isinstance(affinity, Mapping) else None
    required = (
        node.get("requiredDuringSchedulingIgnoredDuringExecution")
        if isinstance(node, Mapping)
        else None
    )
    terms = required.get("nodeSelectorTerms") if isinstance(required, Mapping) else None
    out = []
    for term in terms or ():
        if isinstance(term, Mapping):
            exprs = term.get("matchExpressions") or ()
            out.append(tuple(e for e in exprs if isinstance(e, Mapping)))
    return tuple(out)


@dataclass(frozen=True)
class Budget:
    """A PodDisruptionBudget: its namespace, name and selector."""

    namespace: str
    name: str
    selector: Mapping[str, Any]
    max_unavailable: Any
    min_available: Any


def budgets(state: Mapping[str, Any]) -> list[Budget]:
    """Every rendered PodDisruptionBudget."""
    out = []
    for r in resources(state):
        if r.get("type") != PDB:
            continue
        props = _inputs(r)
        meta = _map(props.get("metadata"))
        spec = _map(props.get("spec"))
        selector = _map(spec.get("selector"))
        out.append(
            Budget(
                namespace=str(meta.get("namespace") or "default"),
                name=str(meta.get("name") or ""),
                selector=selector,
                max_unavailable=spec.get("maxUnavailable"),
                min_available=spec.get("minAvailable"),
            )
        )
    return out


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """metav1.LabelSelector semantics (k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go).

    An empty selector matches everything (as a PDB's does in policy/v1).
    """
    match_labels = selector.get("matchLabels")
    if isinstance(match_labels, Mapping) and any(
        labels.get(str(k)) != str(v) for k, v in match_labels.items()
    ):
        return False
    for expr in selector.get("matchExpressions") or ():
        if not isinstance(expr, Mapping):
            continue
        key, op = str(expr.get("key")), expr.get("operator")
        values = [str(v) for v in expr.get("values") or ()]
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True
