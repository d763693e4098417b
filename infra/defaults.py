"""The base layer of every stack's config: the secure, production-shaped platform.

A stack's config is three layers, each defined in one place and merged key by key (a later
layer replaces a key's whole value, lists and pool lists included):

1. ``BASE`` here: what every environment starts from, private, zonal, Standard tier;
2. the environment's profile: ``config:`` of its entry in ``environments.yaml``;
3. the stack file ``Pulumi.<stack>.yaml``: only what differs for that one stack.

Loosening a secure default takes an explicit value in a profile or a stack file.
:func:`infra.config.load` merges and validates the layers. The defaults cannot live in
``Pulumi.yaml``: the CLI merges its ``default:`` values into the stack config before the
program starts (pulumi ``pkg/workspace/config.go`` ``mergeConfig``), so the program could not
tell an unset key from one set to the default, and a profile could never apply.

``BASE`` is a plain literal on purpose: the aksflow tool reads it without running the program
(``aksflow.profiles``), from whichever revision it looks at. Keys are written as in stack files.
"""

from __future__ import annotations

from typing import Any, Final

BASE: Final[dict[str, Any]] = {
    # Azure region of every resource.
    "aksflow:location": "westeurope",
    # Kubernetes major.minor (AKS picks the latest patch). Promote dev -> staging -> prod.
    "aksflow:kubernetesVersion": "1.34",
    # AKS control-plane tier (Free, Standard or Premium). Standard carries the uptime SLA.
    "aksflow:skuTier": "Standard",
    # Cluster auto-upgrade channel (rapid, stable, patch, node-image, none).
    "aksflow:upgradeChannel": "patch",
    # Node OS upgrade channel (None, Unmanaged, NodeImage, SecurityPatch).
    "aksflow:nodeOsUpgradeChannel": "NodeImage",
    # Private API server. false requires authorizedIpRanges.
    "aksflow:privateCluster": True,
    # CIDRs allowed to reach a public API server (only when privateCluster is false).
    "aksflow:authorizedIpRanges": [],
    # Block `az aks command invoke` (break-glass access).
    "aksflow:disableRunCommand": True,
    # Network policy engine (cilium, azure or calico); cilium also selects the Cilium dataplane.
    "aksflow:networkPolicy": "cilium",
    # Egress (loadBalancer, userDefinedRouting, managedNATGateway, userAssignedNATGateway).
    "aksflow:outboundType": "loadBalancer",
    # VNet CIDR (/20 or larger); node and API-server subnets are carved from it.
    "aksflow:vnetAddressSpace": "10.240.0.0/16",
    # Zones for the System pool and the default for User pools. Empty means no zones.
    "aksflow:availabilityZones": ["1", "2", "3"],
    # The inline System pool: VM size, autoscaler bounds (max >= min), OS disk.
    "aksflow:systemPoolVmSize": "Standard_D4ds_v5",
    "aksflow:systemPoolMinCount": 3,
    "aksflow:systemPoolMaxCount": 4,
    "aksflow:systemPoolOsDiskType": "Ephemeral",
    # User pools, one object each: name, vmSize (required), minCount (1), maxCount
    # (max(minCount, 3)), zones (availabilityZones), mode (User), osDiskType (Ephemeral),
    # osSku (AzureLinux), maxPods (30), taints ["key=value:NoSchedule"], labels {key: value},
    # spot {evictionPolicy: Delete, maxPrice: -1}.
    "aksflow:nodePools": [
        {"name": "npuser01", "vmSize": "Standard_D4ds_v5", "minCount": 2, "maxCount": 5},
    ],
    # Microsoft Defender for Containers security monitoring.
    "aksflow:defender": True,
    # Encryption at host on every pool (needs the subscription feature EncryptionAtHost).
    "aksflow:encryptionAtHost": False,
    # Log Analytics retention in days.
    "aksflow:logRetentionDays": 90,
    # Upgrade maintenance windows: weekday, start (HH:MM UTC), length in hours (>= 4).
    "aksflow:maintenanceDay": "Sunday",
    "aksflow:maintenanceStartTime": "00:00",
    "aksflow:maintenanceDurationHours": 4,
}
"""Every setting of the program with its base value; a key not here is not a setting."""

DEFAULTS_FILE: Final = "infra/defaults.py"
"""Where error messages say a base value comes from."""

__all__ = ["BASE", "DEFAULTS_FILE"]
