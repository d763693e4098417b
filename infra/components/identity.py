"""User-assigned identities for the control plane and the kubelet, and the roles AKS needs."""

from __future__ import annotations

import uuid

import pulumi
import pulumi_azure_native.authorization as authorization
import pulumi_azure_native.managedidentity as managedidentity

from infra.config import StackConfig

# Built-in role definition ids (stable across tenants).
MANAGED_IDENTITY_OPERATOR = "f1a07417-d97a-45cb-824c-7a7467783830"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"


def assignment_name(key: str) -> str:
    """Deterministic GUID name (from scope/role/principal): a re-run never duplicates a grant."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key))


class Identities(pulumi.ComponentResource):
    """Control-plane and kubelet identities, with the role assignments a BYO setup needs.

    A user-assigned control-plane identity exists before the cluster, so its rights on the
    subnet can be granted first; a bring-your-own kubelet identity keeps a stable principal
    across cluster rebuilds (AcrPull and Key Vault grants survive).
    """

    control_plane_id: pulumi.Output[str]
    kubelet_id: pulumi.Output[str]
    kubelet_client_id: pulumi.Output[str]
    kubelet_object_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        resource_group_name: pulumi.Input[str],
        vnet_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("aksflow:identity:Identities", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        client = authorization.get_client_config_output(opts=pulumi.InvokeOptions(parent=self))

        control_plane = managedidentity.UserAssignedIdentity(
            "controlplane",
            resource_group_name=resource_group_name,
            resource_name_=f"id-{cfg.name}-controlplane",
            location=cfg.location,
            opts=child,
        )
        kubelet = managedidentity.UserAssignedIdentity(
            "kubelet",
            resource_group_name=resource_group_name,
            resource_name_=f"id-{cfg.name}-kubelet",
            location=cfg.location,
            opts=child,
        )
        grants = (
            ("kubelet-operator", kubelet.id, MANAGED_IDENTITY_OPERATOR),
            ("network-contributor", vnet_id, NETWORK_CONTRIBUTOR),
        )
        for grant, scope, role in grants:
            authorization.RoleAssignment(
                grant,
                scope=scope,
                role_assignment_name=pulumi.Output.format(
                    "{0}/{1}/{2}", scope, role, control_plane.principal_id
                ).apply(assignment_name),
                role_definition_id=pulumi.Output.format(
                    "/subscriptions/{0}/providers/Microsoft.Authorization/roleDefinitions/{1}",
                    client.subscription_id,
                    role,
                ),
                principal_id=control_plane.principal_id,
                principal_type="ServicePrincipal",
                opts=child,
            )

        self.control_plane_id = control_plane.id
        self.kubelet_id = kubelet.id
        self.kubelet_client_id = kubelet.client_id
        self.kubelet_object_id = kubelet.principal_id
        self.register_outputs(
            {
                "controlPlaneIdentityId": control_plane.id,
                "kubeletIdentityId": kubelet.id,
                "kubeletClientId": kubelet.client_id,
            }
        )
