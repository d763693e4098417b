"""Rank a stack's changes: what a reviewer has to see before anything else.

High: deleting or replacing stateful or foundational resources (cluster, node pools,
identities, namespaces, PVCs, StatefulSets, the resource group), any Kubernetes version change
(an upgrade drains and re-images every node; AKS cannot downgrade), and a policy enforcement level
loosened. Medium: node-pool size changes, other replaces and deletes, changes AKS refuses at apply
time, tightened enforcement levels.
"""

from __future__ import annotations

from collections.abc import Sequence

from aksflow.diff.model import EnforcementChange, ResourceChange, Risk, StackPlan

HIGH_RISK_TYPES: dict[str, str] = {
    "azure-native:containerservice:ManagedCluster": "cluster",
    "azure-native:containerservice:AgentPool": "node pool",
    "azure-native:managedidentity:UserAssignedIdentity": "identity",
    "azure-native:resources:ResourceGroup": "resource group",
    "kubernetes:core/v1:Namespace": "namespace",
    "kubernetes:core/v1:PersistentVolumeClaim": "persistent volume claim",
    "kubernetes:apps/v1:StatefulSet": "StatefulSet",
}
CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
NODE_COUNTS = ("count", "minCount", "maxCount")
VERSION_PATHS = ("kubernetesVersion", "orchestratorVersion", "currentOrchestratorVersion")


def _version_tuple(value: object) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in str(value).split("."))
    except ValueError:
        return ()


def _op_risk(stack: str, change: ResourceChange) -> Risk | None:
    if change.op not in ("delete", "replace"):
        return None
    label = HIGH_RISK_TYPES.get(change.type)
    if label is None and not change.custom:
        return None  # a component: its children carry the real risk
    what = label or change.kind
    if change.op == "delete":
        message = f"deletes {what} {change.name}"
    else:
        reasons = "; ".join(change.replace_reasons) or "a replace-on-change property changed"
        message = f"replaces {what} {change.name}: {reasons}"
        if change.type.startswith("azure-native:"):
            message += "; it is deleted before it is re-created"
    if change.hint:
        message += f". {change.hint}"
    return Risk("high" if label else "medium", stack, change.op, message, change.urn)


def _property_risks(stack: str, change: ResourceChange) -> list[Risk]:
    risks: list[Risk] = []
    if change.type not in (CLUSTER, POOL):
        return risks
    for prop in change.properties:
        leaf = prop.path.rsplit(".", 1)[-1]
        if leaf in VERSION_PATHS:
            old, new = _version_tuple(prop.old), _version_tuple(prop.new)
            down = bool(old and new and new < old)
            verb = "downgrades (AKS does not support downgrades)" if down else "changes"
            risks.append(
                Risk(
                    "high",
                    stack,
                    "kubernetesVersion",
                    f"{verb} Kubernetes version of {change.kind} {change.name}: "
                    f"{prop.path} {prop.old} → {prop.new}",
                    change.urn,
                )
            )
        elif leaf in NODE_COUNTS and (change.type == POOL or "agentPoolProfiles" in prop.path):
            risks.append(
                Risk(
                    "medium",
                    stack,
                    "nodeCount",
                    f"changes node count of {change.kind} {change.name}: "
                    f"{prop.path} {prop.old} → {prop.new}",
                    change.urn,
                )
            )
    return risks


def stack_risks(
    stack: str, plan: StackPlan, enforcement: Sequence[EnforcementChange] = ()
) -> tuple[Risk, ...]:
    """Every risk of one stack, high first, then in plan order."""
    risks: list[Risk] = []
    for change in plan.changes:
        op = _op_risk(stack, change)
        if op is not None:
            risks.append(op)
        risks += _property_risks(stack, change)
        risks += [
            Risk("medium", stack, "applyTime", f"{change.kind} {change.name}: {w}", change.urn)
            for w in change.warnings
        ]
    for level in enforcement:
        old, new = level.old or "pack default", level.new or "pack default"
        verb = "loosens" if level.loosened else "changes"
        risks.append(
            Risk(
                "high" if level.loosened else "medium",
                stack,
                "enforcement",
                f"{verb} policy enforcement for {level.policy} in "
                f"policies/config/{level.environment}.json: {old} → {new}",
            )
        )
    order = {"high": 0, "medium": 1}
    return tuple(sorted(risks, key=lambda r: order[r.level]))
