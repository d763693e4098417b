"""Deterministic, ARM-shaped identifiers for resources that exist only in a preview."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
TENANT_ID = "11111111-1111-1111-1111-111111111111"
CLIENT_OBJECT_ID = "22222222-2222-2222-2222-222222222222"

# type token -> (ARM provider/type path, input naming the resource, parent path inputs)
_ARM: Mapping[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "azure-native:network:VirtualNetwork": (
        "Microsoft.Network/virtualNetworks",
        "virtualNetworkName",
        (),
    ),
    "azure-native:network:Subnet": (
        "Microsoft.Network/virtualNetworks",
        "virtualNetworkName",
        (("subnets", "subnetName"),),
    ),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "resourceName",
        (),
    ),
    "azure-native:operationalinsights:Workspace": (
        "Microsoft.OperationalInsights/workspaces",
        "workspaceName",
        (),
    ),
    "azure-native:containerservice:ManagedCluster": (
        "Microsoft.ContainerService/managedClusters",
        "resourceName",
        (),
    ),
    "azure-native:containerservice:AgentPool": (
        "Microsoft.ContainerService/managedClusters",
        "resourceName",
        (("agentPools", "agentPoolName"),),
    ),
    "azure-native:containerservice:MaintenanceConfiguration": (
        "Microsoft.ContainerService/managedClusters",
        "resourceName",
        (("maintenanceConfigurations", "configName"),),
    ),
}


def stable_guid(*parts: str) -> str:
    """A GUID derived from ``parts``: the same resource gets the same id on every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "aksflow:" + "/".join(parts)))


def arm_id(type_token: str, name: str, inputs: Mapping[str, Any]) -> str:
    """The ARM resource id Azure would assign, or a GUID for non-ARM resources."""
    group = inputs.get("resourceGroupName")
    if type_token == "azure-native:resources:ResourceGroup":
        group_name = inputs.get("resourceGroupName", name)
        return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group_name}"
    if type_token == "azure-native:authorization:RoleAssignment":
        assignment = inputs.get("roleAssignmentName") or stable_guid(type_token, name)
        scope = inputs.get("scope", "")
        return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{assignment}"
    spec = _ARM.get(type_token)
    if spec is None or not isinstance(group, str):
        return stable_guid(type_token, name)
    path, name_input, children = spec
    parts = [
        f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/{path}",
        str(inputs.get(name_input) or name),
    ]
    for segment, child_input in children:
        parts += [segment, str(inputs.get(child_input) or name)]
    return "/".join(parts)
