"""Workload blast radius: which rendered workloads a node-pool change hits.

For every pool that is replaced, deleted, shrunk (its new maximum below what the workloads that
can only run there request) or re-tainted, list the workloads whose pods can land on it, with
replicas, requests and PodDisruptionBudget coverage, and flag those left with nowhere to
schedule. Scheduling follows kube-scheduler's filters that config decides: ``nodeSelector``,
required node affinity (``NodeAffinity`` plugin), taints vs tolerations (``TaintToleration``;
``NoSchedule`` and ``NoExecute`` only) and the zone label AKS puts on each node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aksflow.diff.model import ResourceChange, Risk, StackPlan
from aksflow.safety import inventory
from aksflow.safety.inventory import Pool, Requests, Taint, Workload
from aksflow.safety.prices import PriceTable

# AKS node resource reservations (learn.microsoft.com/azure/aks/node-resource-reservations):
# kube-reserved CPU by core count, memory min(20 MiB x maxPods + 50 MiB, 25%) + 100 Mi eviction.
_CPU_RESERVED_M = ((1, 60), (2, 100), (4, 140), (8, 180), (16, 260), (32, 420), (64, 740))
_EVICTION = 100 * 2**20


def allocatable(vcpus: int, memory_gib: float, max_pods: int) -> Requests:
    """What one node leaves for pods under AKS's reservations."""
    reserved_cpu = next((m for cores, m in _CPU_RESERVED_M if vcpus <= cores), 740)
    memory = int(memory_gib * 2**30)
    kube = min((20 * max_pods + 50) * 2**20, memory // 4)
    return Requests(vcpus * 1000 - reserved_cpu, memory - kube - _EVICTION)


def _matches_expression(expr: Mapping[str, Any], labels: Mapping[str, frozenset[str]]) -> bool:
    key, op = str(expr.get("key")), expr.get("operator")
    values = {str(v) for v in expr.get("values") or ()}
    have = labels.get(key)
    if op == "In":
        return bool(have and have & values)
    if op == "NotIn":
        return not have or bool(have - values)
    if op == "Exists":
        return have is not None
    if op == "DoesNotExist":
        return have is None
    if op in ("Gt", "Lt") and have and len(values) == 1:
        bound = int(next(iter(values)))
        nums = [int(v) for v in have if v.lstrip("-").isdigit()]
        return any(n > bound if op == "Gt" else n < bound for n in nums)
    return False


def _tolerates(tolerations: Sequence[Mapping[str, Any]], taint: Taint) -> bool:
    for t in tolerations:
        op = t.get("operator") or "Equal"
        key = t.get("key") or ""
        if key and key != taint.key:
            continue
        if not key and op != "Exists":
            continue
        if op == "Equal" and str(t.get("value") or "") != taint.value:
            continue
        effect = t.get("effect") or ""
        if effect and effect != taint.effect:
            continue
        return True
    return False


def can_schedule(workload: Workload, pool: Pool, location: str) -> bool:
    """Whether some node of ``pool`` passes the workload's node filters."""
    labels = pool.node_labels(location)
    for key, value in workload.node_selector.items():
        if value not in labels.get(key, frozenset()):
            return False
    if workload.required_terms and not any(
        all(_matches_expression(e, labels) for e in term) for term in workload.required_terms
    ):
        return False
    return all(
        _tolerates(workload.tolerations, taint)
        for taint in pool.node_taints
        if taint.effect in ("NoSchedule", "NoExecute")
    )


@dataclass(frozen=True)
class Placement:
    """One workload that can land on an affected pool."""

    workload: Workload
    budget: str | None  # namespace/name of a covering PDB
    elsewhere: tuple[str, ...]  # other pools (after the change) it can land on
    stranded: bool

    def to_json(self) -> dict[str, Any]:
        w = self.workload
        return {
            "workload": w.label,
            "urn": w.urn,
            "replicas": w.replicas if w.kind != "DaemonSet" else "one per node",
            "requests": {
                "cpu": f"{w.requests.cpu_m}m",
                "memory": f"{w.requests.memory // 2**20}Mi",
            },
            "pdb": self.budget,
            "elsewhere": list(self.elsewhere),
            "nowhereToSchedule": self.stranded,
        }


@dataclass(frozen=True)
class PoolImpact:
    """A pool change and the workloads it hits."""

    pool: str
    change: str  # replaced | deleted | shrunk | re-tainted
    detail: str
    urn: str
    placements: tuple[Placement, ...]
    capacity: str = ""
    over_capacity: bool = False

    @property
    def stranded(self) -> list[Placement]:
        return [p for p in self.placements if p.stranded]

    def risk(self, stack: str) -> Risk | None:
        """High when a workload would have nowhere to schedule."""
        if not self.stranded and not self.over_capacity:
            return None
        names = ", ".join(p.workload.label for p in self.stranded)
        parts = []
        if names:
            when = "while it is replaced" if self.change == "replaced" else "after this change"
            parts.append(f"{names} would have nowhere to schedule {when}")
        if self.over_capacity:
            parts.append(self.capacity)
        return Risk(
            "high",
            stack,
            "blastRadius",
            f"node pool {self.pool} is {self.change}: {'; '.join(parts)}",
            self.urn,
        )

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "pool": self.pool,
            "change": self.change,
            "detail": self.detail,
            "workloads": [p.to_json() for p in self.placements],
        }
        if self.capacity:
            doc["capacity"] = self.capacity
            doc["overCapacity"] = self.over_capacity
        return doc


def _budget(workload: Workload, budgets: Sequence[inventory.Budget]) -> str | None:
    for b in budgets:
        if b.namespace == workload.namespace and inventory.selector_matches(
            b.selector, workload.pod_labels
        ):
            return f"{b.namespace}/{b.name}"
    return None


def _location(state: Mapping[str, Any] | None) -> str:
    facts = inventory.cluster(state) if state else None
    return facts.location if facts else ""


def _placements(
    pool: Pool,
    workloads: Sequence[Workload],
    budgets: Sequence[inventory.Budget],
    others: Mapping[str, Pool],
    location: str,
    *,
    on: Pool | None = None,
) -> list[Placement]:
    """Workloads that can land on ``on`` (default ``pool``), and where else they could go."""
    target = on or pool
    out = []
    for w in workloads:
        if not can_schedule(w, target, location):
            continue
        elsewhere = tuple(
            name for name, p in others.items() if name != pool.name and can_schedule(w, p, location)
        )
        out.append(
            Placement(w, _budget(w, budgets), elsewhere, not elsewhere and w.kind != "DaemonSet")
        )
    return out


def _taints(pool: Pool) -> str:
    return ", ".join(str(t) for t in pool.node_taints) or "none"


def _pool_name(change: ResourceChange, state: Mapping[str, Any] | None) -> str | None:
    for name, pool in inventory.pools(state or {}).items():
        if pool.urn == change.urn and not pool.inline:
            return name
    return None


def impacts(
    plan: StackPlan,
    base_state: Mapping[str, Any] | None,
    head_state: Mapping[str, Any],
    table: PriceTable,
) -> list[PoolImpact]:
    """Every affected pool of one stack's change, in plan order."""
    if base_state is None:
        return []
    base_pools, head_pools = inventory.pools(base_state), inventory.pools(head_state)
    base_work, head_work = inventory.workloads(base_state), inventory.workloads(head_state)
    budgets = inventory.budgets(head_state) or inventory.budgets(base_state)
    location = _location(head_state) or _location(base_state)
    out: list[PoolImpact] = []
    for change in plan.changes:
        if change.type != inventory.AGENT_POOL or change.op not in ("replace", "delete", "update"):
            continue
        name = _pool_name(change, base_state)
        if name is None:
            continue
        old = base_pools[name]
        if change.op == "replace" or (change.op == "update" and change.warnings):
            reasons = "; ".join(change.replace_reasons or change.warnings)
            out.append(
                PoolImpact(
                    name,
                    "replaced",
                    reasons,
                    change.urn,
                    tuple(_placements(old, base_work, budgets, head_pools, location)),
                )
            )
            continue
        if change.op == "delete":
            out.append(
                PoolImpact(
                    name,
                    "deleted",
                    "removed from the stack",
                    change.urn,
                    tuple(_placements(old, base_work, budgets, head_pools, location)),
                )
            )
            continue
        new = head_pools.get(name)
        if new is None:
            continue
        if set(map(str, new.node_taints)) != set(map(str, old.node_taints)):
            before = {w.urn for w in base_work if can_schedule(w, old, location)}
            lost = [w for w in head_work if w.urn in before and not can_schedule(w, new, location)]
            out.append(
                PoolImpact(
                    name,
                    "re-tainted",
                    f"taints {_taints(old)} → {_taints(new)}",
                    change.urn,
                    tuple(_placements(old, lost, budgets, head_pools, location)),
                )
            )
        if new.max_count < old.max_count:
            impact = _shrunk(old, new, head_work, budgets, head_pools, location, table, change)
            out.append(impact)
    return out


def _shrunk(
    old: Pool,
    new: Pool,
    workloads: Sequence[Workload],
    budgets: Sequence[inventory.Budget],
    pools: Mapping[str, Pool],
    location: str,
    table: PriceTable,
    change: ResourceChange,
) -> PoolImpact:
    placements = [
        Placement(w, _budget(w, budgets), p.elsewhere, False)
        for p in _placements(new, workloads, budgets, pools, location)
        for w in [p.workload]
    ]
    only_here = [
        p.workload for p in placements if not p.elsewhere and p.workload.kind != "DaemonSet"
    ]
    need = Requests(0, 0)
    for w in only_here:
        need = need + w.requests.times(w.replicas)
    size = table.vm_sizes.get(new.vm_size)
    capacity, over = "", False
    if size is None:
        capacity = f"{new.vm_size} is not in the price table: capacity not checked"
    else:
        per_node = allocatable(size.vcpus, size.memory_gib, new.max_pods)
        have = per_node.times(new.max_count)
        over = need.cpu_m > have.cpu_m or need.memory > have.memory
        capacity = (
            f"workloads that can run only here request {need.shown()} at their replica floor; "
            f"{new.max_count} x {new.vm_size} allocate {have.shown()}"
        )
    if over:
        only = {w.urn for w in only_here}
        placements = [dc_stranded(p) if p.workload.urn in only else p for p in placements]
    return PoolImpact(
        new.name,
        "shrunk",
        f"maxCount {old.max_count} → {new.max_count}",
        change.urn,
        tuple(placements),
        capacity,
        over,
    )


def dc_stranded(placement: Placement) -> Placement:
    """The same placement, flagged as left without room."""
    return Placement(placement.workload, placement.budget, placement.elsewhere, True)
