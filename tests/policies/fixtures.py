"""Compliant baselines and stack-export builders shared by the policy tests."""

from __future__ import annotations

import copy
from typing import Any

MC = "azure-native:containerservice:ManagedCluster"
AP = "azure-native:containerservice:AgentPool"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "x"}
DIGEST = "@sha256:" + "a" * 64


def container(name: str = "app") -> dict[str, Any]:
    """A restricted-compliant, well-behaved container."""
    return {
        "name": name,
        "image": f"myacr.azurecr.io/web:1.2.3{DIGEST}",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
        "livenessProbe": {"httpGet": {"path": "/live", "port": 8080}},
    }


def deployment(name: str = "web", ns: str = "apps", replicas: float = 3.0) -> dict[str, Any]:
    """A Deployment that passes every resource policy at the restricted level."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container()],
                },
            },
        },
    }


def pdb(name: str = "web", ns: str = "apps") -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": name}}},
    }


def netpol(ns: str = "apps") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": ns},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def quota(ns: str = "apps") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "baseline-quota", "namespace": ns},
        "spec": {"hard": {"requests.cpu": "4", "pods": "50"}},
    }


def limit_range(ns: str = "apps") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "baseline-limits", "namespace": ns},
        "spec": {"limits": [{"type": "Container", "default": {"memory": "512Mi"}}]},
    }


def pool(name: str = "npsystem", mode: str = "System") -> dict[str, Any]:
    return {
        "name": name,
        "mode": mode,
        "vmSize": "Standard_D4ds_v5",
        "count": 3.0,
        "enableAutoScaling": True,
        "minCount": 3.0,
        "maxCount": 5.0,
        "availabilityZones": ["1", "2", "3"],
        "enableEncryptionAtHost": True,
        "nodeTaints": ["CriticalAddonsOnly=true:NoSchedule"] if mode == "System" else [],
    }


def cluster() -> dict[str, Any]:
    """ManagedCluster inputs (camelCase wire props, floats) that pass every AKS policy in prod."""
    return {
        "resourceName": "aks-prod",
        "kubernetesVersion": "1.34",
        "sku": {"name": "Base", "tier": "Standard"},
        "enableRBAC": True,
        "disableLocalAccounts": True,
        "aadProfile": {"managed": True, "enableAzureRBAC": True, "tenantID": "t"},
        "apiServerAccessProfile": {"enablePrivateCluster": True, "privateDNSZone": "system"},
        "networkProfile": {"networkPlugin": "azure", "networkPolicy": "cilium"},
        "agentPoolProfiles": [pool()],
        "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"},
        "oidcIssuerProfile": {"enabled": True},
        "securityProfile": {
            "workloadIdentity": {"enabled": True},
            "defender": {
                "logAnalyticsWorkspaceResourceId": "/subscriptions/x",
                "securityMonitoring": {"enabled": True},
            },
        },
        "addonProfiles": {
            "azurepolicy": {"enabled": True, "config": {"version": "v2"}},
            "omsagent": {"enabled": True, "config": {"logAnalyticsWorkspaceResourceID": "x"}},
            "azureKeyvaultSecretsProvider": {
                "enabled": True,
                "config": {"enableSecretRotation": "true"},
            },
        },
    }


def agent_pool() -> dict[str, Any]:
    p = pool("npuser01", "User")
    del p["name"]
    p["agentPoolName"] = "npuser01"
    p["resourceName"] = "aks-prod"
    return p


def state(
    resources: list[tuple[str, str, dict[str, Any], str | None]], stack: str = "prod"
) -> dict[str, Any]:
    """A stack export v3: (type, name, inputs, sourcePosition) per resource, chart children
    parented to a v4 Chart when their name contains ':'."""
    stack_urn = f"urn:pulumi:{stack}::aksflow::pulumi:pulumi:Stack::aksflow-{stack}"
    chart_urn = f"urn:pulumi:{stack}::aksflow::kubernetes:helm.sh/v4:Chart::web"
    out: list[dict[str, Any]] = [
        {
            "urn": stack_urn,
            "custom": False,
            "type": "pulumi:pulumi:Stack",
            "inputs": {},
            "outputs": {},
        },
        {
            "urn": f"urn:pulumi:{stack}::aksflow::pulumi:providers:kubernetes::k8s",
            "custom": True,
            "id": "p1",
            "type": "pulumi:providers:kubernetes",
            "inputs": {"kubeconfig": SECRET},
            "outputs": {},
        },
        {
            "urn": chart_urn,
            "custom": False,
            "type": "kubernetes:helm.sh/v4:Chart",
            "inputs": {"chart": "apps/web/chart"},
            "outputs": {},
            "parent": stack_urn,
            "sourcePosition": "project:///infra/components/workloads.py#30,5",
        },
    ]
    for rtype, name, inputs, pos in resources:
        child = ":" in name
        parent = chart_urn if child else stack_urn
        prefix = "kubernetes:helm.sh/v4:Chart$" if child else ""
        res: dict[str, Any] = {
            "urn": f"urn:pulumi:{stack}::aksflow::{prefix}{rtype}::{name}",
            "custom": True,
            "id": name,
            "type": rtype,
            "inputs": copy.deepcopy(inputs),
            "outputs": copy.deepcopy(inputs),
            "parent": parent,
            "dependencies": [],
            "propertyDependencies": {},
        }
        if rtype.startswith("kubernetes:"):
            res["provider"] = f"urn:pulumi:{stack}::aksflow::pulumi:providers:kubernetes::k8s::p1"
        if pos:
            res["sourcePosition"] = pos
        out.append(res)
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": "2026-01-01T00:00:00Z", "magic": "m", "version": "v3.272.0"},
            "resources": out,
        },
    }


def good_state(stack: str = "prod") -> dict[str, Any]:
    """A stack that passes every policy of the prod config."""
    return state(
        [
            (MC, "aks", cluster(), "project:///infra/components/cluster.py#42,9"),
            (AP, "npuser01", agent_pool(), "project:///infra/components/node_pool.py#12,5"),
            (
                DEPLOYMENT,
                "web:apps/web",
                deployment(),
                "project:///apps/web/chart/templates/deployment.yaml#1,1",
            ),
            (
                "kubernetes:policy/v1:PodDisruptionBudget",
                "web:apps/web",
                pdb(),
                "project:///apps/web/chart/templates/pdb.yaml#1,1",
            ),
            (
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                "web:apps/default-deny",
                netpol(),
                "project:///apps/web/chart/templates/netpol.yaml#1,1",
            ),
            ("kubernetes:core/v1:ResourceQuota", "baseline:apps/baseline-quota", quota(), None),
            ("kubernetes:core/v1:LimitRange", "baseline:apps/baseline-limits", limit_range(), None),
        ],
        stack,
    )
