"""A User node pool as its own ``AgentPool`` resource."""

from __future__ import annotations

import pulumi
import pulumi_azure_native.containerservice as cs

from infra.config import StackConfig, UserPool


class NodePool(pulumi.ComponentResource):
    """An autoscaled pool on the node subnet, zonal when the pool says so.

    Taints and labels are the pool's own; on spot pools AKS adds
    ``kubernetes.azure.com/scalesetpriority=spot:NoSchedule`` itself.
    """

    pool_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        pool: UserPool,
        *,
        resource_group_name: pulumi.Input[str],
        cluster_name: pulumi.Input[str],
        node_subnet_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("aksflow:nodepool:NodePool", name, None, opts)
        spot = pool.spot_policy
        agent_pool = cs.AgentPool(
            pool.name,
            resource_group_name=resource_group_name,
            resource_name_=cluster_name,
            agent_pool_name=pool.name,
            mode=pool.mode,
            vm_size=pool.vm_size,
            count=pool.min_count,
            enable_auto_scaling=True,
            min_count=pool.min_count,
            max_count=pool.max_count,
            availability_zones=list(pool.zones) or None,
            os_type="Linux",
            os_sku=pool.os_sku,
            os_disk_type=pool.os_disk_type,
            max_pods=pool.max_pods,
            vnet_subnet_id=node_subnet_id,
            enable_node_public_ip=False,
            enable_encryption_at_host=cfg.encryption_at_host,
            node_taints=list(pool.taints) or None,
            node_labels=dict(pool.labels) or None,
            scale_set_priority="Spot" if spot else None,
            scale_set_eviction_policy=spot.eviction_policy if spot else None,
            spot_max_price=spot.max_price if spot else None,
            upgrade_settings=None
            if pool.spot
            else cs.AgentPoolUpgradeSettingsArgs(max_surge="33%"),
            security_profile=cs.AgentPoolSecurityProfileArgs(ssh_access="Disabled"),
            # The autoscaler owns the node count once the pool exists.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["count"]),
        )
        self.pool_name = agent_pool.name
        self.register_outputs({"name": agent_pool.name, "id": agent_pool.id})
