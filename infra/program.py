"""The Pulumi program: read config once, then declare the platform component by component."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_azure_native.resources as resources

from infra import apps, config
from infra.components.cluster import Cluster
from infra.components.identity import Identities
from infra.components.monitoring import Monitoring
from infra.components.network import Network
from infra.components.node_pool import NodePool
from infra.components.workloads import Workloads

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main() -> None:
    """Declare every resource of the current stack."""
    # Validate everything before the first resource exists: a bad value declares nothing.
    cfg = config.from_pulumi()
    releases = apps.load_releases(PROJECT_DIR, cfg.environment)

    group = resources.ResourceGroup(
        "rg", resource_group_name=f"rg-{cfg.name}", location=cfg.location
    )
    monitoring = Monitoring("monitoring", cfg, group.name)
    net = Network("network", cfg, group.name)
    identities = Identities("identities", cfg, group.name, net.vnet_id)
    cluster = Cluster(
        "cluster",
        cfg,
        resource_group_name=group.name,
        node_subnet_id=net.node_subnet_id,
        api_server_subnet_id=net.api_server_subnet_id,
        control_plane_identity_id=identities.control_plane_id,
        kubelet_identity_id=identities.kubelet_id,
        kubelet_client_id=identities.kubelet_client_id,
        kubelet_object_id=identities.kubelet_object_id,
        workspace_id=monitoring.workspace_id,
        # AKS checks the control plane's rights on the subnet and kubelet identity at create.
        opts=pulumi.ResourceOptions(depends_on=[identities]),
    )
    pools = [
        NodePool(
            pool.name,
            cfg,
            pool,
            resource_group_name=group.name,
            cluster_name=cluster.name,
            node_subnet_id=net.node_subnet_id,
        )
        for pool in cfg.user_pools
    ]
    Workloads(
        "workloads",
        cfg,
        releases,
        kubeconfig=cluster.kubeconfig,
        # Workloads must not land on the tainted System pool alone.
        opts=pulumi.ResourceOptions(depends_on=list(pools)),
    )

    pulumi.export("resourceGroup", group.name)
    pulumi.export("clusterName", cluster.name)
    pulumi.export("oidcIssuerUrl", cluster.oidc_issuer_url)
    pulumi.export("kubeconfig", cluster.kubeconfig)
    pulumi.export("userPools", [pool.name for pool in cfg.user_pools])
