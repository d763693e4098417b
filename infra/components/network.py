"""The cluster's virtual network: one subnet for nodes, one delegated to the API server."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_azure_native.network as network

from infra.config import StackConfig


def carve(vnet_cidr: str) -> tuple[str, str]:
    """Split the VNet into the node subnet (first /22) and the API server subnet (a /28 after it).

    With Azure CNI Overlay pods take addresses from the overlay ``podCidr``, so nodes need
    only a /22 (1,019 nodes) whatever the pod count.
    """
    vnet = ipaddress.IPv4Network(vnet_cidr)
    nodes = next(vnet.subnets(new_prefix=22))
    api = ipaddress.IPv4Network(f"{nodes.broadcast_address + 1}/28")
    return str(nodes), str(api)


class Network(pulumi.ComponentResource):
    """VNet with a node subnet and an API-server VNet-integration subnet."""

    vnet_id: pulumi.Output[str]
    node_subnet_id: pulumi.Output[str]
    api_server_subnet_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        resource_group_name: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("aksflow:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        nodes_cidr, api_cidr = carve(cfg.vnet_cidr)

        vnet = network.VirtualNetwork(
            "vnet",
            resource_group_name=resource_group_name,
            virtual_network_name=f"vnet-{cfg.name}",
            location=cfg.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[cfg.vnet_cidr]),
            # Subnets are separate resources; an inline list would fight them on every update.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets"]),
        )
        node_subnet = network.Subnet(
            "snet-nodes",
            resource_group_name=resource_group_name,
            virtual_network_name=vnet.name,
            subnet_name="snet-nodes",
            address_prefix=nodes_cidr,
            private_endpoint_network_policies="Enabled",
            opts=child,
        )
        api_subnet = network.Subnet(
            "snet-apiserver",
            resource_group_name=resource_group_name,
            virtual_network_name=vnet.name,
            subnet_name="snet-apiserver",
            address_prefix=api_cidr,
            delegations=[
                network.DelegationArgs(
                    name="aks-apiserver", service_name="Microsoft.ContainerService/managedClusters"
                )
            ],
            # Azure serialises writes to subnets of one VNet; ordering them avoids a conflict.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[node_subnet]),
        )
        self.vnet_id = vnet.id
        self.node_subnet_id = node_subnet.id
        self.api_server_subnet_id = api_subnet.id
        self.register_outputs(
            {
                "vnetId": vnet.id,
                "nodeSubnetId": node_subnet.id,
                "apiServerSubnetId": api_subnet.id,
            }
        )
