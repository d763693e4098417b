"""Mock answers that look like Azure's: ARM ids, identities, a cluster with a kubeconfig.

Everything here runs in the SDK's executor threads, so it keeps no mutable state.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import pulumi
import yaml

from aksflow.engine.azure_ids import (
    CLIENT_OBJECT_ID,
    SUBSCRIPTION_ID,
    TENANT_ID,
    arm_id,
    stable_guid,
)
from aksflow.errors import ProgramError

CLUSTER = "azure-native:containerservice:ManagedCluster"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
# The Entra ID application every AKS cluster's API server accepts tokens for.
AKS_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"


class UnexpectedInvokeError(ProgramError):
    """The program called a function the offline engine cannot answer faithfully."""


def kubeconfig_for(cluster: str, fqdn: str) -> str:
    """An Entra ID (kubelogin) kubeconfig, as AKS returns for a cluster without local accounts."""
    user = f"clusterUser_{cluster}"
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster,
                    "cluster": {
                        "server": f"https://{fqdn}:443",
                        "certificate-authority-data": base64.b64encode(b"offline-ca").decode(),
                    },
                }
            ],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": user}}],
            "current-context": cluster,
            "users": [
                {
                    "name": user,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "kubelogin",
                            "args": [
                                "get-token",
                                "--login",
                                "azurecli",
                                "--server-id",
                                AKS_SERVER_ID,
                            ],
                        }
                    },
                }
            ],
        },
        sort_keys=False,
    )


def _cluster_outputs(name: str, state: dict[str, Any]) -> None:
    cluster = str(state.get("resourceName") or name)
    location = str(state.get("location") or "westeurope")
    identity = state.get("identity") or {}
    listed = identity.get("userAssignedIdentities")
    if isinstance(listed, list):
        # Input is a list of ids, output a map keyed by id: echoing the list crashes the SDK.
        identity["userAssignedIdentities"] = {
            uai: {
                "principalId": stable_guid(uai, "principal"),
                "clientId": stable_guid(uai, "client"),
            }
            for uai in listed
        }
    private = (state.get("apiServerAccessProfile") or {}).get("enablePrivateCluster")
    fqdn = f"{state.get('dnsPrefix', cluster)}-{stable_guid(cluster)[:8]}.hcp.{location}.azmk8s.io"
    state["fqdn"] = fqdn
    if private:
        state["privateFQDN"] = fqdn.replace(".hcp.", ".privatelink.")
    state["oidcIssuerProfile"] = {
        **(state.get("oidcIssuerProfile") or {}),
        "issuerURL": f"https://{location}.oic.prod-aks.azure.com/{TENANT_ID}/{stable_guid(cluster)}/",
    }
    state["currentKubernetesVersion"] = f"{state.get('kubernetesVersion', '1.34')}.0"
    state["powerState"] = {"code": "Running"}


class OfflineMocks(pulumi.runtime.Mocks):
    """Answers for every resource and invoke the platform program uses; anything else fails."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state: dict[str, Any] = copy.deepcopy(dict(args.inputs))
        typ = args.typ
        if typ.startswith("pulumi:providers:"):
            return stable_guid(typ, args.name), state
        if typ.startswith("azure-native:"):
            resource_id = arm_id(typ, args.name, state)
            state["name"] = resource_id.rsplit("/", 1)[-1]
            state["provisioningState"] = "Succeeded"
            if typ == CLUSTER:
                _cluster_outputs(args.name, state)
            elif typ == IDENTITY:
                state["principalId"] = stable_guid(resource_id, "principal")
                state["clientId"] = stable_guid(resource_id, "client")
                state["tenantId"] = TENANT_ID
            elif typ == "azure-native:operationalinsights:Workspace":
                state["customerId"] = stable_guid(resource_id, "customer")
            return resource_id, state
        if typ.startswith("kubernetes:"):
            metadata = state.get("metadata") or {}
            name = metadata.get("name") or args.name
            namespace = metadata.get("namespace")
            return (f"{namespace}/{name}" if namespace else str(name)), state
        return stable_guid(typ, args.name), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        token = args.token
        if token == "azure-native:containerservice:listManagedClusterUserCredentials":
            cluster = str(args.args.get("resourceName"))
            location = "westeurope"
            fqdn = f"aks-{cluster}-{stable_guid(cluster)[:8]}.hcp.{location}.azmk8s.io"
            encoded = base64.b64encode(kubeconfig_for(cluster, fqdn).encode()).decode()
            return {"kubeconfigs": [{"name": "clusterUser", "value": encoded}]}
        if token == "azure-native:authorization:getClientConfig":
            return {
                "clientId": stable_guid("client"),
                "objectId": CLIENT_OBJECT_ID,
                "subscriptionId": SUBSCRIPTION_ID,
                "tenantId": TENANT_ID,
            }
        raise UnexpectedInvokeError(
            f"the program called {token!r}, which the offline engine does not answer; "
            "add it to aksflow/engine/mocks.py"
        )
