"""Synthetic stack-export documents for the diff tests (shape per contracts.md)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SECRET = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    "ciphertext": "[secret]",
}
CLUSTER_T = "azure-native:containerservice:ManagedCluster"
POOL_T = "azure-native:containerservice:AgentPool"
K8S_PROVIDER_T = "pulumi:providers:kubernetes"


def urn(type_: str, name: str, stack: str = "dev", parents: Sequence[str] = ()) -> str:
    chain = "$".join([*parents, type_])
    return f"urn:pulumi:{stack}::aksflow::{chain}::{name}"


def res(
    type_: str,
    name: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    stack: str = "dev",
    parents: Sequence[str] = (),
    parent: str | None = None,
    provider: str | None = None,
    deps: Iterable[str] = (),
    prop_deps: Mapping[str, list[str]] | None = None,
    outputs: Mapping[str, Any] | None = None,
    ignore: Sequence[str] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "urn": urn(type_, name, stack, parents),
        "custom": True,
        "id": f"id-{name}",
        "type": type_,
        "inputs": copy.deepcopy(dict(inputs or {})),
        "outputs": copy.deepcopy(dict(outputs if outputs is not None else inputs or {})),
        "dependencies": list(deps),
    }
    if parent:
        doc["parent"] = parent
    if prop_deps:
        doc["propertyDependencies"] = dict(prop_deps)
    if provider:
        doc["provider"] = f"{provider}::00000000-0000-0000-0000-000000000000"
    if ignore:
        doc["ignoreChanges"] = list(ignore)
    return doc


def state(*resources: Mapping[str, Any], stack: str = "dev") -> dict[str, Any]:
    root = {
        "urn": f"urn:pulumi:{stack}::aksflow::pulumi:pulumi:Stack::aksflow-{stack}",
        "custom": False,
        "type": "pulumi:pulumi:Stack",
        "inputs": {},
        "outputs": {},
        "dependencies": [],
    }
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": "2026-11-23T00:00:00+00:00", "magic": "", "version": "3.272.0"},
            "resources": [root, *(copy.deepcopy(dict(r)) for r in resources)],
        },
    }


def pool(name: str = "npuser01", **overrides: Any) -> dict[str, Any]:
    inputs = {
        "resourceGroupName": "rg-aksflow-dev",
        "resourceName": "aks-aksflow-dev",
        "agentPoolName": name,
        "vmSize": "Standard_D2ds_v5",
        "osType": "Linux",
        "mode": "User",
        "count": 1,
        "minCount": 1,
        "maxCount": 3,
        "availabilityZones": ["1", "2", "3"],
    }
    inputs.update(overrides)
    return inputs


def cluster(**overrides: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "resourceGroupName": "rg-aksflow-dev",
        "resourceName": "aks-aksflow-dev",
        "location": "westeurope",
        "dnsPrefix": "aks-aksflow-dev",
        "kubernetesVersion": "1.34",
        "agentPoolProfiles": [
            {
                "name": "npsystem",
                "vmSize": "Standard_D2ds_v5",
                "count": 1,
                "minCount": 1,
                "maxCount": 2,
            }
        ],
        "networkProfile": {
            "networkPlugin": "azure",
            "serviceCidr": "172.16.0.0/16",
            "dnsServiceIP": "172.16.0.10",
            "advancedNetworking": {"enabled": False},
        },
    }
    inputs.update(overrides)
    return inputs


def deployment(name: str = "web", ns: str = "web", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "replicas": 2,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": name, "image": f"{name}:1.0"}]},
        },
    }
    body.update(spec)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": body,
    }
