"""Log Analytics workspace that receives Container Insights and Defender data."""

from __future__ import annotations

import pulumi
import pulumi_azure_native.operationalinsights as operationalinsights

from infra.config import StackConfig


class Monitoring(pulumi.ComponentResource):
    """A Log Analytics workspace with the stack's retention."""

    workspace_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        resource_group_name: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("aksflow:monitoring:Monitoring", name, None, opts)
        workspace = operationalinsights.Workspace(
            "logs",
            resource_group_name=resource_group_name,
            workspace_name=f"log-{cfg.name}",
            location=cfg.location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=cfg.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.workspace_id = workspace.id
        self.register_outputs({"workspaceId": workspace.id})
