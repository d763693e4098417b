"""The AKS cluster: secure by default, following the AKS baseline shape (``reference/aks.md``)."""

from __future__ import annotations

import base64

import pulumi
import pulumi_azure_native.containerservice as cs

from infra.config import DNS_SERVICE_IP, POD_CIDR, SERVICE_CIDR, StackConfig

SYSTEM_POOL = "npsystem"
SYSTEM_TAINT = "CriticalAddonsOnly=true:NoSchedule"


def _decode_kubeconfig(encoded: str) -> str:
    return base64.b64decode(encoded).decode()


class Cluster(pulumi.ComponentResource):
    """A ``ManagedCluster`` with its inline System pool and maintenance windows.

    Secure defaults hold in every environment: Entra ID with Azure RBAC, local accounts
    disabled, Kubernetes RBAC, OIDC issuer and workload identity, Azure CNI Overlay with a
    network policy engine, Azure Policy and Key Vault CSI add-ons, image cleaner, Container
    Insights. What varies (tier, zones, private API server, sizes) comes from the stack config.
    """

    name: pulumi.Output[str]
    id: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        *,
        resource_group_name: pulumi.Input[str],
        node_subnet_id: pulumi.Input[str],
        api_server_subnet_id: pulumi.Input[str],
        control_plane_identity_id: pulumi.Input[str],
        kubelet_identity_id: pulumi.Input[str],
        kubelet_client_id: pulumi.Input[str],
        kubelet_object_id: pulumi.Input[str],
        workspace_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("aksflow:cluster:Cluster", name, None, opts)
        system = cfg.system_pool
        zones = list(cfg.availability_zones) or None

        cluster = cs.ManagedCluster(
            "aks",
            resource_group_name=resource_group_name,
            resource_name_=f"aks-{cfg.name}",
            location=cfg.location,
            dns_prefix=f"aks-{cfg.name}",
            kubernetes_version=cfg.kubernetes_version,
            sku=cs.ManagedClusterSKUArgs(name="Base", tier=cfg.sku_tier),
            support_plan="KubernetesOfficial",
            identity=cs.ManagedClusterIdentityArgs(
                type=cs.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[control_plane_identity_id],
            ),
            identity_profile={
                "kubeletidentity": cs.UserAssignedIdentityArgs(
                    resource_id=kubelet_identity_id,
                    client_id=kubelet_client_id,
                    object_id=kubelet_object_id,
                )
            },
            aad_profile=cs.ManagedClusterAADProfileArgs(managed=True, enable_azure_rbac=True),
            enable_rbac=True,
            disable_local_accounts=True,
            api_server_access_profile=cs.ManagedClusterAPIServerAccessProfileArgs(
                enable_private_cluster=cfg.private_cluster,
                private_dns_zone="system" if cfg.private_cluster else None,
                authorized_ip_ranges=list(cfg.authorized_ip_ranges) or None,
                enable_vnet_integration=True,
                subnet_id=api_server_subnet_id,
                disable_run_command=cfg.disable_run_command,
            ),
            network_profile=cs.ContainerServiceNetworkProfileArgs(
                network_plugin="azure",
                network_plugin_mode="overlay",
                network_dataplane="cilium" if cfg.network_policy == "cilium" else "azure",
                network_policy=cfg.network_policy,
                pod_cidr=POD_CIDR,
                service_cidr=SERVICE_CIDR,
                dns_service_ip=DNS_SERVICE_IP,
                outbound_type=cfg.outbound_type,
                load_balancer_sku="standard",
            ),
            agent_pool_profiles=[
                cs.ManagedClusterAgentPoolProfileArgs(
                    name=SYSTEM_POOL,
                    mode="System",
                    vm_size=system.vm_size,
                    count=system.min_count,
                    enable_auto_scaling=True,
                    min_count=system.min_count,
                    max_count=system.max_count,
                    availability_zones=zones,
                    os_type="Linux",
                    os_sku="AzureLinux",
                    os_disk_type=system.os_disk_type,
                    max_pods=30,
                    vnet_subnet_id=node_subnet_id,
                    node_taints=[SYSTEM_TAINT],
                    enable_node_public_ip=False,
                    enable_encryption_at_host=cfg.encryption_at_host,
                    upgrade_settings=cs.AgentPoolUpgradeSettingsArgs(max_surge="33%"),
                    security_profile=cs.AgentPoolSecurityProfileArgs(ssh_access="Disabled"),
                )
            ],
            auto_scaler_profile=cs.ManagedClusterPropertiesAutoScalerProfileArgs(
                expander="random",
                scan_interval="10s",
                scale_down_unneeded_time="10m",
                scale_down_delay_after_add="10m",
                skip_nodes_with_system_pods="true",
                max_node_provision_time="15m",
            ),
            auto_upgrade_profile=cs.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel=cfg.upgrade_channel,
                node_os_upgrade_channel=cfg.node_os_upgrade_channel,
            ),
            oidc_issuer_profile=cs.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=cs.ManagedClusterSecurityProfileArgs(
                workload_identity=cs.ManagedClusterSecurityProfileWorkloadIdentityArgs(
                    enabled=True
                ),
                image_cleaner=cs.ManagedClusterSecurityProfileImageCleanerArgs(
                    enabled=True, interval_hours=120
                ),
                defender=cs.ManagedClusterSecurityProfileDefenderArgs(
                    log_analytics_workspace_resource_id=workspace_id,
                    security_monitoring=cs.ManagedClusterSecurityProfileDefenderSecurityMonitoringArgs(
                        enabled=True
                    ),
                )
                if cfg.defender
                else None,
            ),
            addon_profiles={
                "azurepolicy": cs.ManagedClusterAddonProfileArgs(
                    enabled=True, config={"version": "v2"}
                ),
                "azureKeyvaultSecretsProvider": cs.ManagedClusterAddonProfileArgs(
                    enabled=True,
                    config={"enableSecretRotation": "true", "rotationPollInterval": "2m"},
                ),
                "omsagent": cs.ManagedClusterAddonProfileArgs(
                    enabled=True,
                    config={"logAnalyticsWorkspaceResourceID": workspace_id, "useAADAuth": "true"},
                ),
            },
            azure_monitor_profile=cs.ManagedClusterAzureMonitorProfileArgs(
                metrics=cs.ManagedClusterAzureMonitorProfileMetricsArgs(enabled=True)
            ),
            node_resource_group=f"rg-{cfg.name}-nodes",
            node_resource_group_profile=cs.ManagedClusterNodeResourceGroupProfileArgs(
                restriction_level="ReadOnly"
            ),
            # The inline array holds only the System pool; AKS rejects re-sent pool lists, and
            # user pools are their own AgentPool resources (reference/aks.md section 5.6).
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["agentPoolProfiles"]),
        )

        window = cfg.maintenance
        for config_name in ("aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"):
            cs.MaintenanceConfiguration(
                config_name,
                resource_group_name=resource_group_name,
                resource_name_=cluster.name,
                config_name=config_name,
                maintenance_window=cs.MaintenanceWindowArgs(
                    schedule=cs.ScheduleArgs(
                        weekly=cs.WeeklyScheduleArgs(day_of_week=window.day, interval_weeks=1)
                    ),
                    duration_hours=window.duration_hours,
                    start_time=window.start_time,
                    utc_offset="+00:00",
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

        credentials = cs.list_managed_cluster_user_credentials_output(
            resource_group_name=resource_group_name,
            resource_name=cluster.name,
            opts=pulumi.InvokeOptions(parent=self),
        )
        self.name = cluster.name
        self.id = cluster.id
        self.kubeconfig = pulumi.Output.secret(
            credentials.kubeconfigs[0].value.apply(_decode_kubeconfig)
        )
        self.oidc_issuer_url = cluster.oidc_issuer_profile.apply(
            lambda profile: profile.issuer_url if profile else ""
        )
        self.register_outputs(
            {
                "name": cluster.name,
                "id": cluster.id,
                "kubeconfig": self.kubeconfig,
                "oidcIssuerUrl": self.oidc_issuer_url,
            }
        )
