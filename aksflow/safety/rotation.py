"""Node-pool rotation plans: the zero-downtime alternative to replacing a pool in place.

Replacing an ``AgentPool`` in place (a ``vmSize``, zones, OS disk or other property AKS cannot
change on an existing pool) deletes the old pool before the new one exists: every pod on it is
evicted at once, PodDisruptionBudgets cannot hold anything because there is nowhere to move to.
The plan instead:

1. adds a new pool with the new settings under the next name of the pool's convention
   (``npuser01`` → ``npuser02``: the trailing number counts up, width kept, 12 characters max),
   keeping the old pool exactly as it is;
2. cordons and drains the old pool (``kubectl drain`` honours PodDisruptionBudgets);
3. removes the old pool in a later PR.

The inline System pool cannot be rotated through config at all: the cluster ignores
``agentPoolProfiles`` after creation (``ignoreChanges``), so a ``systemPool*`` edit never reaches
Azure. Its plan adds a System-mode pool with ``az aks nodepool add`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aksflow.diff.model import ResourceChange, Risk, StackPlan
from aksflow.diff.replace import ReplaceTable
from aksflow.environments import ENVIRONMENTS_FILE, load_environments
from aksflow.errors import AksflowError, YamlError
from aksflow.safety import inventory
from aksflow.safety.inventory import Pool
from aksflow.stacks import declared_environment
from aksflow.yamlio import read_yaml

POOL_NAME_MAX = 12  # AKS: 1-12 lowercase alphanumerics (Linux pools), starting with a letter
WHY = (
    "Replacing a node pool in place deletes the old pool before the new one is created: every "
    "pod on it is evicted at once and PodDisruptionBudgets cannot help, because no other node "
    "with these settings exists yet."
)


@dataclass(frozen=True)
class RotationPlan:
    """How to roll one pool onto new settings without downtime."""

    pool: str
    new_name: str
    urn: str
    system: bool
    reasons: tuple[str, ...]
    stack_file: str
    config: str  # step 1 as it goes in the stack file (or the az commands for the System pool)
    config_lang: str  # "yaml" or "shell"
    steps: tuple[str, ...]
    commands: tuple[str, ...] = ()  # step 2: cordon and drain

    def risk(self, stack: str) -> Risk:
        """The System pool's silent no-op is high risk; AgentPool replaces are already flagged."""
        if self.system:
            return Risk(
                "high",
                stack,
                "rotation",
                f"System pool {self.pool}: {'; '.join(self.reasons)}. The cluster ignores "
                "agentPoolProfiles after creation, so this edit never reaches Azure; rotate "
                f"to a new System pool {self.new_name} instead (rotation plan in the PR comment "
                "and diff.json)",
                self.urn,
            )
        return Risk(
            "high",
            stack,
            "rotation",
            f"node pool {self.pool} is replaced in place ({'; '.join(self.reasons)}): add "
            f"{self.new_name} beside it, drain {self.pool}, remove it in a later PR (rotation "
            "plan in the PR comment and diff.json)",
            self.urn,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "pool": self.pool,
            "newPool": self.new_name,
            "system": self.system,
            "reasons": list(self.reasons),
            "why": WHY,
            "stackFile": self.stack_file,
            "config": self.config,
            "steps": list(self.steps),
            "commands": list(self.commands),
        }


def next_name(name: str, taken: Sequence[str]) -> str:
    """The pool's next name by convention: trailing number + 1 (width kept), else ``2``."""
    match = re.match(r"^(.*?)(\d+)$", name)
    stem, number, width = (
        (match.group(1), int(match.group(2)), len(match.group(2))) if match else (name, 1, 1)
    )
    while True:
        number += 1
        digits = f"{number:0{width}d}"
        candidate = stem[: POOL_NAME_MAX - len(digits)] + digits
        if candidate not in taken:
            return candidate


def _entry_string(pool: Pool) -> str:
    parts = [pool.name, f"vmSize={pool.vm_size}", f"minCount={pool.min_count}"]
    parts.append(f"maxCount={pool.max_count}")
    parts.append(f"zones={','.join(pool.zones)}")
    if pool.os_disk_type != "Ephemeral":
        parts.append(f"osDiskType={pool.os_disk_type}")
    if pool.max_pods != 30:
        parts.append(f"maxPods={pool.max_pods}")
    if pool.spot:
        parts.append("spot=true")
    return " ".join(parts)


def _entry_object(pool: Pool) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": pool.name, "vmSize": pool.vm_size}
    entry.update(minCount=pool.min_count, maxCount=pool.max_count, zones=list(pool.zones))
    if pool.os_disk_type != "Ephemeral":
        entry["osDiskType"] = pool.os_disk_type
    if pool.max_pods != 30:
        entry["maxPods"] = pool.max_pods
    if pool.spot:
        entry["spot"] = True
    if pool.taints:  # declared ones only: AKS adds the Spot taint itself
        entry["taints"] = [str(t) for t in pool.taints]
    if pool.labels:
        entry["labels"] = dict(pool.labels)
    return entry


def _declared_pools(project_dir: Path | None, stack: str) -> tuple[list[Any], str | None]:
    """The ``aksflow:nodePools`` entries the stack gets, as written, and the environment whose
    profile they come from: the stack file's pools (None), else its environment's profile's in
    environments.yaml; ``([], None)`` for the base default, which is the program's."""
    if project_dir is None:
        return [], None
    try:
        doc = read_yaml(project_dir / f"Pulumi.{stack}.yaml")  # the one reader, as the CLI's
    except (OSError, YamlError):
        doc = None
    config = doc.get("config") if isinstance(doc, Mapping) else None
    pools = config.get("aksflow:nodePools") if isinstance(config, Mapping) else None
    if isinstance(pools, list) and pools:
        return pools, None
    environment = declared_environment(project_dir, stack)
    try:
        profile = load_environments(project_dir).get(environment) if environment else None
    except AksflowError:
        profile = None
    pools = profile.config.get("aksflow:nodePools") if profile is not None else None
    if profile is None or not isinstance(pools, list):
        return [], None
    return list(pools), profile.name


def _entry_name(entry: Any) -> str:
    if isinstance(entry, Mapping):
        return str(entry.get("name", ""))
    return str(entry).split()[0] if str(entry).split() else ""


def _stack_config(
    pools: Sequence[tuple[Pool, str]], objects: bool, profile: str | None = None
) -> str:
    """The ``aksflow:nodePools`` block with a comment per entry: in the stack file, or in the
    environment's entry of environments.yaml when the pools come from its profile."""
    if profile is None:
        lines, indent = ["config:", "  aksflow:nodePools:"], "    "
    else:
        lines = [
            "environments:",
            f"  - name: {profile}  # the rest of this entry as it is",
            "    config:",
            "      aksflow:nodePools:",
        ]
        indent = "        "
    for pool, comment in pools:
        if objects:
            body = yaml.safe_dump([_entry_object(pool)], default_flow_style=None, sort_keys=False)
            entry = [f"{indent}{ln}" for ln in body.rstrip().splitlines()]
            if comment:
                entry[0] += f"  # {comment}"
            lines += entry
        else:
            lines.append(f"{indent}- {_entry_string(pool)}" + (f"  # {comment}" if comment else ""))
    return "\n".join(lines)


def _agent_pool_plan(
    change: ResourceChange,
    old: Pool,
    new: Pool,
    head_pools: Mapping[str, Pool],
    project_dir: Path | None,
    stack: str,
) -> RotationPlan:
    taken = [*head_pools, old.name]
    name = next_name(old.name, taken)
    rotated = Pool(**{**new.__dict__, "name": name})
    declared, profile = _declared_pools(project_dir, stack)
    order = {_entry_name(e): i for i, e in enumerate(declared)}
    user = sorted(
        (p for p in head_pools.values() if not p.inline), key=lambda p: order.get(p.name, 1000)
    )
    listed: list[tuple[Pool, str]] = []
    for pool in user:
        if pool.name == old.name:
            listed.append((old, "unchanged until drained; remove in a later PR"))
            listed.append((rotated, "new pool with the new settings"))
        else:
            listed.append((pool, ""))
    drain = (
        f"kubectl cordon -l kubernetes.azure.com/agentpool={old.name}",
        f"kubectl drain -l kubernetes.azure.com/agentpool={old.name} --ignore-daemonsets "
        "--delete-emptydir-data",
    )
    where = "stack file below"
    if profile is not None:
        where = f"the {profile} profile below: every {profile} stack gets both pools"
    steps = (
        f"This PR: keep {old.name} as it is and add {name} with the new settings ({where}). "
        f"Pulumi creates {name}; nothing is deleted.",
        f"After it is deployed: cordon and drain {old.name} (commands below). kubectl drain "
        "evicts through the Eviction API, so PodDisruptionBudgets are respected; wait until "
        f"every evicted pod runs on {name} or another pool.",
        f"A later PR: remove {old.name} from aksflow:nodePools; Pulumi deletes the empty pool.",
    )
    reasons = change.replace_reasons or change.warnings
    return RotationPlan(
        pool=old.name,
        new_name=name,
        urn=change.urn,
        system=False,
        reasons=tuple(reasons),
        stack_file=f"Pulumi.{stack}.yaml" if profile is None else ENVIRONMENTS_FILE,
        config=_stack_config(listed, not declared or isinstance(declared[0], Mapping), profile),
        config_lang="yaml",
        steps=steps,
        commands=drain,
    )


def _system_keys() -> frozenset[str]:
    """Pool properties AKS cannot change on an existing pool (from replace_on_change.json)."""
    rules = ReplaceTable.load().rules(inventory.AGENT_POOL)
    keys = {p[0] for p in (*rules.replace_on, *rules.recreated_by_aks) if isinstance(p[0], str)}
    return frozenset(keys - {"resourceGroupName", "resourceName", "agentPoolName"})


_INLINE_FIELDS = {
    "vmSize": "vm_size",
    "availabilityZones": "zones",
    "osDiskType": "os_disk_type",
    "maxPods": "max_pods",
    "osSKU": "os_sku",
}


def _system_plan(
    cluster_urn: str, old: Pool, new: Pool, head_pools: Mapping[str, Pool], rg: str, name: str
) -> RotationPlan | None:
    keys = _system_keys()
    reasons = tuple(
        f"{key} {getattr(old, attr)} → {getattr(new, attr)}"
        for key, attr in _INLINE_FIELDS.items()
        if key in keys and getattr(old, attr) != getattr(new, attr)
    )
    if not reasons:
        return None
    new_name = next_name(old.name, [*head_pools])
    zones = f" --zones {' '.join(new.zones)}" if new.zones else ""
    taints = ",".join(str(t) for t in new.taints)
    add = (
        f"az aks nodepool add --resource-group {rg} --cluster-name {name} --name {new_name} "
        f"--mode System --node-vm-size {new.vm_size}{zones} --os-sku {new.os_sku} "
        f"--node-osdisk-type {new.os_disk_type} --max-pods {new.max_pods} "
        f"--enable-cluster-autoscaler --min-count {new.min_count} --max-count {new.max_count}"
        + (f" --node-taints {taints}" if taints else "")
    )
    commands = "\n".join(
        [
            add,
            f"kubectl cordon -l kubernetes.azure.com/agentpool={old.name}",
            f"kubectl drain -l kubernetes.azure.com/agentpool={old.name} --ignore-daemonsets "
            "--delete-emptydir-data",
            f"az aks nodepool delete --resource-group {rg} --cluster-name {name} --name {old.name}",
        ]
    )
    steps = (
        "Step 1: revert the systemPool* edit in this PR: it changes nothing in Azure "
        "(the cluster ignores agentPoolProfiles) and only hides the drift.",
        f"Step 2: add System pool {new_name} with the new settings, then cordon and drain "
        f"{old.name} (drain honours PodDisruptionBudgets); commands below.",
        f"Step 3: delete {old.name} once its pods run on {new_name}, then rename the inline "
        f"pool in infra/components/cluster.py to {new_name} with the new systemPool* values in "
        "the same PR, so the program matches the cluster again.",
    )
    return RotationPlan(
        pool=old.name,
        new_name=new_name,
        urn=cluster_urn,
        system=True,
        reasons=reasons,
        stack_file="",
        config=commands,
        config_lang="shell",
        steps=steps,
    )


def plans(
    plan: StackPlan,
    base_state: Mapping[str, Any] | None,
    head_state: Mapping[str, Any],
    project_dir: Path | None,
    stack: str,
) -> list[RotationPlan]:
    """A rotation plan for every pool this change would replace (or silently cannot change)."""
    if base_state is None:
        return []
    base_pools, head_pools = inventory.pools(base_state), inventory.pools(head_state)
    by_urn_base = {p.urn: p for p in base_pools.values() if not p.inline}
    by_urn_head = {p.urn: p for p in head_pools.values() if not p.inline}
    out: list[RotationPlan] = []
    for change in plan.changes:
        if change.type == inventory.AGENT_POOL and (
            change.op == "replace" or (change.op == "update" and change.warnings)
        ):
            old, new = by_urn_base.get(change.urn), by_urn_head.get(change.urn)
            if old and new:
                out.append(_agent_pool_plan(change, old, new, head_pools, project_dir, stack))
    # The cluster ignores agentPoolProfiles, so an inline pool edit is no change in the plan:
    # compare the pools themselves.
    facts = inventory.cluster(head_state)
    if facts is not None:
        rg = next(
            (
                str((r.get("inputs") or {}).get("resourceGroupName") or "")
                for r in inventory.resources(head_state)
                if r.get("urn") == facts.urn
            ),
            "",
        )
        for old in (p for p in base_pools.values() if p.inline):
            new = head_pools.get(old.name)
            if new is not None and new.inline:
                system = _system_plan(facts.urn, old, new, head_pools, rg, facts.name)
                if system:
                    out.append(system)
    return out
