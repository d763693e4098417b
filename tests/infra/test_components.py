"""The resources each stack declares, their key inputs, and the secure defaults."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import by_type, one

CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
ENVS = ("dev", "staging", "prod")


def cluster(states: dict[str, Any], stack: str) -> dict[str, Any]:
    inputs: dict[str, Any] = one(states[stack], CLUSTER)["inputs"]
    return inputs


@pytest.mark.parametrize("stack", ENVS)
def test_secure_defaults_hold_in_every_environment(states: dict[str, Any], stack: str) -> None:
    c = cluster(states, stack)
    assert c["aadProfile"] == {"managed": True, "enableAzureRBAC": True}
    assert c["disableLocalAccounts"] is True and c["enableRBAC"] is True
    assert c["oidcIssuerProfile"] == {"enabled": True}
    assert c["securityProfile"]["workloadIdentity"] == {"enabled": True}
    assert c["securityProfile"]["imageCleaner"]["enabled"] is True
    network = c["networkProfile"]
    assert (network["networkPlugin"], network["networkPluginMode"]) == ("azure", "overlay")
    assert network["networkPolicy"] == "cilium"
    assert c["addonProfiles"]["azurepolicy"] == {"enabled": True, "config": {"version": "v2"}}
    assert c["addonProfiles"]["azureKeyvaultSecretsProvider"]["enabled"] is True
    oms = c["addonProfiles"]["omsagent"]
    assert oms["enabled"] is True and oms["config"]["useAADAuth"] == "true"
    assert oms["config"]["logAnalyticsWorkspaceResourceID"].endswith(
        f"/workspaces/log-aksflow-{stack}"
    )
    assert c["autoUpgradeProfile"]["upgradeChannel"] in ("stable", "patch")
    assert c["autoUpgradeProfile"]["nodeOSUpgradeChannel"] == "NodeImage"
    assert c["identity"]["type"] == "UserAssigned"
    assert c["identityProfile"]["kubeletidentity"]["resourceId"].endswith(
        f"id-aksflow-{stack}-kubelet"
    )
    access = c["apiServerAccessProfile"]
    assert access["enablePrivateCluster"] or access["authorizedIPRanges"]
    maintenance = by_type(states[stack], "azure-native:containerservice:MaintenanceConfiguration")
    assert sorted(m["inputs"]["configName"] for m in maintenance) == [
        "aksManagedAutoUpgradeSchedule",
        "aksManagedNodeOSUpgradeSchedule",
    ]


@pytest.mark.parametrize("stack", ENVS)
def test_system_pool_is_inline_tainted_and_ignored(states: dict[str, Any], stack: str) -> None:
    resource = one(states[stack], CLUSTER)
    (system,) = resource["inputs"]["agentPoolProfiles"]
    assert system["mode"] == "System" and system["name"] == "npsystem"
    assert system["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert system["enableNodePublicIP"] is False
    assert resource["ignoreChanges"] == ["agentPoolProfiles"]


@pytest.mark.parametrize("stack", ENVS)
def test_user_pools_are_separate_autoscaled_agent_pools(states: dict[str, Any], stack: str) -> None:
    pools = by_type(states[stack], POOL)
    assert pools
    for pool in pools:
        inputs = pool["inputs"]
        assert inputs["mode"] == "User" and inputs["enableAutoScaling"] is True
        assert inputs["minCount"] <= inputs["maxCount"]
        assert inputs["resourceName"] == f"aks-aksflow-{stack}"
        assert inputs["enableNodePublicIP"] is False
        assert pool["parent"].endswith(f"aksflow:nodepool:NodePool::{inputs['agentPoolName']}")
        assert pool["ignoreChanges"] == ["count"]


def test_dev_is_cheap_and_public_behind_authorized_ranges(states: dict[str, Any]) -> None:
    c = cluster(states, "dev")
    assert c["sku"]["tier"] == "Free"
    assert c["apiServerAccessProfile"]["enablePrivateCluster"] is False
    assert c["apiServerAccessProfile"]["authorizedIPRanges"] == [
        "203.0.113.0/24",
        "198.51.100.0/24",
    ]
    assert "availabilityZones" not in c["agentPoolProfiles"][0]
    assert "defender" not in c["securityProfile"]


def test_prod_is_zonal_standard_and_private(states: dict[str, Any]) -> None:
    c = cluster(states, "prod")
    assert c["sku"]["tier"] == "Standard"
    access = c["apiServerAccessProfile"]
    assert access["enablePrivateCluster"] is True and access["disableRunCommand"] is True
    assert "authorizedIPRanges" not in access
    assert c["agentPoolProfiles"][0]["availabilityZones"] == ["1", "2", "3"]
    assert c["agentPoolProfiles"][0]["enableEncryptionAtHost"] is True
    assert c["securityProfile"]["defender"]["securityMonitoring"] == {"enabled": True}
    for pool in by_type(states["prod"], POOL):
        assert pool["inputs"]["availabilityZones"] == ["1", "2", "3"]
        assert pool["inputs"]["enableEncryptionAtHost"] is True


def test_components_have_stable_tokens_and_real_outputs(states: dict[str, Any]) -> None:
    state = states["prod"]
    tokens = {r["type"] for r in state["deployment"]["resources"] if not r["custom"]}
    assert {
        "aksflow:network:Network",
        "aksflow:identity:Identities",
        "aksflow:cluster:Cluster",
        "aksflow:nodepool:NodePool",
        "aksflow:monitoring:Monitoring",
        "aksflow:apps:Workloads",
    } <= tokens
    network = one(state, "aksflow:network:Network")
    assert network["outputs"]["nodeSubnetId"].endswith("/subnets/snet-nodes")
    cluster_component = one(state, "aksflow:cluster:Cluster")
    assert cluster_component["outputs"]["name"] == "aks-aksflow-prod"


def test_subnets_are_carved_from_the_vnet(states: dict[str, Any]) -> None:
    subnets = {
        s["inputs"]["subnetName"]: s["inputs"]
        for s in by_type(states["prod"], "azure-native:network:Subnet")
    }
    assert subnets["snet-nodes"]["addressPrefix"] == "10.30.0.0/22"
    assert subnets["snet-apiserver"]["addressPrefix"] == "10.30.4.0/28"
    delegation = subnets["snet-apiserver"]["delegations"][0]
    assert delegation["serviceName"] == "Microsoft.ContainerService/managedClusters"


def test_control_plane_gets_only_the_roles_aks_needs(states: dict[str, Any]) -> None:
    grants = by_type(states["prod"], "azure-native:authorization:RoleAssignment")
    roles = sorted(g["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1] for g in grants)
    assert roles == ["4d97b98b-1d4f-4787-a291-c67834d212e7", "f1a07417-d97a-45cb-824c-7a7467783830"]
    for grant in grants:
        assert grant["inputs"]["principalType"] == "ServicePrincipal"
