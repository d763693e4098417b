"""AKS hardening on ``azure-native:containerservice:ManagedCluster`` and ``AgentPool``.

Props are camelCase wire inputs with ARM's irregular capitals (aks.md §5.5); numbers may be
floats and provider-defaulted fields may be absent, so every rule treats "absent" explicitly.
Inline pools live in ``agentPoolProfiles[*]``; separate pools are ``AgentPool`` resources whose
props are the pool fields themselves.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .model import Finding, Rule, Subject, get, is_list, is_map, items, resource_rule

MC = "azure-native:containerservice:ManagedCluster"
AP = "azure-native:containerservice:AgentPool"
CLUSTER = frozenset({MC})
POOLS = frozenset({MC, AP})
_TAGS = ("security", "azure", "aks")


def _pools(subject: Subject) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path prefix, pool props) for inline pools or the AgentPool itself."""
    if subject.type == AP:
        yield "", subject.props
        return
    for i, pool in items(subject.props.get("agentPoolProfiles")):
        if is_map(pool):
            yield f"agentPoolProfiles[{i}].", pool


def _pool_name(prefix: str, pool: Mapping[str, Any], subject: Subject) -> str:
    name = pool.get("name") if prefix else pool.get("agentPoolName")
    return str(name) if isinstance(name, str) else subject.name


def addon(props: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """An addon profile looked up case-insensitively (``azurepolicy`` vs ``azurePolicy``)."""
    profiles = props.get("addonProfiles")
    if not is_map(profiles):
        return None
    for k in profiles:
        if str(k).lower() == key.lower():
            value = profiles[k]
            return value if is_map(value) else None
    return None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# --- checks ---------------------------------------------------------------------------------


# "Too wide": the union of the authorized ranges may hold at most as many addresses as one
# network of this prefix length. The list is meant for CI runners' and offices' egress (a few
# /24s, a /16 at most); anything wider admits a large share of the internet (a /1 is half of it).
WIDEST_IPV4_PREFIX = 16
WIDEST_IPV6_PREFIX = 48
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def authorized_union(
    ranges: Sequence[str],
) -> tuple[list[ipaddress.IPv4Network], list[ipaddress.IPv6Network], list[int]]:
    """The collapsed union per IP version, plus the indexes of entries that are not CIDRs.

    A bare address counts as a /32 (or /128), as ARM accepts it; host bits are ignored
    (``10.0.0.1/8`` is ``10.0.0.0/8``); IPv4-mapped IPv6 ranges (``::ffff:0:0/96``) count as
    the IPv4 ranges they are. Overlaps are counted once.
    """
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    invalid: list[int] = []
    for i, text in enumerate(ranges):
        try:
            net = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            invalid.append(i)
            continue
        if isinstance(net, ipaddress.IPv6Network) and net.subnet_of(_IPV4_MAPPED):
            # ::ffff:a.b.c.d/96+n is the IPv4 network a.b.c.d/n written in IPv6.
            mapped = net.network_address.ipv4_mapped
            assert mapped is not None
            v4.append(ipaddress.IPv4Network((mapped, net.prefixlen - 96)))
        elif isinstance(net, ipaddress.IPv4Network):
            v4.append(net)
        else:
            v6.append(net)
    return (
        list(ipaddress.collapse_addresses(v4)),
        list(ipaddress.collapse_addresses(v6)),
        invalid,
    )


def _size(nets: Sequence[ipaddress.IPv4Network] | Sequence[ipaddress.IPv6Network]) -> int:
    return sum(n.num_addresses for n in nets)


def api_server_restricted(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Private cluster, or authorized IP ranges whose union is no wider than the threshold."""
    prof = s.props.get("apiServerAccessProfile")
    if get(prof, "enablePrivateCluster") is True:
        return
    ranges = [r for _, r in items(get(prof, "authorizedIPRanges"))]
    path = "apiServerAccessProfile.authorizedIPRanges"
    fix = (
        "set apiServerAccessProfile.enablePrivateCluster: true, or list only the CI/office "
        "egress CIDRs in apiServerAccessProfile.authorizedIPRanges "
        "(aksflow:privateCluster / authorizedIpRanges)."
    )
    if not ranges:
        yield Finding(
            "apiServerAccessProfile",
            "the API server is public and reachable from any address.",
            fix,
        )
        return
    texts = [r if isinstance(r, str) else "" for r in ranges]
    v4, v6, invalid = authorized_union(texts)
    for i in invalid:
        yield Finding(
            f"{path}[{i}]",
            f"{texts[i]!r} is not an IP address or CIDR range (fails closed).",
            "write each range as a CIDR such as 203.0.113.0/24.",
        )
    for version, nets, widest, bits in (
        ("IPv4", v4, int(cfg.get("widestIpv4Prefix", WIDEST_IPV4_PREFIX)), 32),
        ("IPv6", v6, int(cfg.get("widestIpv6Prefix", WIDEST_IPV6_PREFIX)), 128),
    ):
        size = _size(nets)
        if size > 2 ** (bits - widest):
            share = (
                f" ({size / 2**bits:.2%} of the {version} space)" if size * 1000 >= 2**bits else ""
            )
            yield Finding(
                path,
                f"the {version} ranges together admit {size:,} addresses{share}, more than one "
                f"/{widest} ({2 ** (bits - widest):,}).",
                fix,
            )


def rbac_entra(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Kubernetes RBAC on, managed Entra ID with Azure RBAC."""
    if s.props.get("enableRBAC") is not True:
        yield Finding(
            "enableRBAC", "Kubernetes RBAC is not explicitly enabled.", "set enableRBAC: true."
        )
    aad = s.props.get("aadProfile")
    if get(aad, "managed") is not True:
        yield Finding(
            "aadProfile.managed",
            "managed Entra ID integration is off.",
            "set aadProfile.managed: true with the tenant id.",
        )
    if cfg.get("requireAzureRbac", True) and get(aad, "enableAzureRBAC") is not True:
        yield Finding(
            "aadProfile.enableAzureRBAC",
            "Azure RBAC for Kubernetes authorization is off.",
            "set aadProfile.enableAzureRBAC: true and grant AKS RBAC roles.",
        )


def local_accounts_disabled(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """No static admin kubeconfig."""
    if s.props.get("disableLocalAccounts") is not True:
        yield Finding(
            "disableLocalAccounts",
            "local accounts (static admin kubeconfig) are enabled.",
            "set disableLocalAccounts: true (requires managed Entra ID).",
        )


def network_policy(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """A network-policy engine is configured (absent networkProfile fails)."""
    allowed = [str(x) for _, x in items(cfg.get("allowed"))]
    engine = get(s.props, "networkProfile", "networkPolicy")
    if engine not in allowed:
        yield Finding(
            "networkProfile.networkPolicy",
            f"no allowed network-policy engine is configured (got {engine!r}).",
            f"set networkProfile.networkPolicy to one of {allowed}.",
        )


def no_node_public_ip(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """No pool gives nodes public IPs."""
    for prefix, pool in _pools(s):
        if pool.get("enableNodePublicIP") is True:
            yield Finding(
                f"{prefix}enableNodePublicIP",
                f"node pool {_pool_name(prefix, pool, s)!r} gives nodes public IPs.",
                "remove enableNodePublicIP or set it to false; egress via the load balancer/NAT.",
            )


_CRITICAL_TAINT = "CriticalAddonsOnly=true:NoSchedule"


def system_pool_isolation(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """System pools carry the CriticalAddonsOnly taint."""
    for prefix, pool in _pools(s):
        if pool.get("mode") != "System":
            continue
        taints = [str(t) for _, t in items(pool.get("nodeTaints"))]
        if _CRITICAL_TAINT not in taints:
            yield Finding(
                f"{prefix}nodeTaints",
                f"system pool {_pool_name(prefix, pool, s)!r} is not tainted for system pods only.",
                f'add "{_CRITICAL_TAINT}" to nodeTaints and run workloads on user pools.',
            )


def autoscaling_bounds(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Autoscaled pools have sane min/max; system pools meet the configured minimum."""
    max_nodes = _num(cfg.get("maxNodes")) or 100.0
    min_system = _num(cfg.get("minSystemNodes")) or 1.0
    require = cfg.get("requireAutoscaling") is True
    for prefix, pool in _pools(s):
        name = _pool_name(prefix, pool, s)
        if pool.get("enableAutoScaling") is not True:
            if require:
                yield Finding(
                    f"{prefix}enableAutoScaling",
                    f"node pool {name!r} does not autoscale.",
                    "set enableAutoScaling: true with minCount and maxCount.",
                )
            count = _num(pool.get("count"))
            if pool.get("mode") == "System" and count is not None and count < min_system:
                yield Finding(
                    f"{prefix}count",
                    f"system pool {name!r} has {count:g} nodes, fewer than {min_system:g}.",
                    f"set count to at least {min_system:g}.",
                )
            continue
        lo, hi = _num(pool.get("minCount")), _num(pool.get("maxCount"))
        if lo is None or hi is None:
            yield Finding(
                f"{prefix}minCount",
                f"autoscaled pool {name!r} lacks minCount or maxCount.",
                "set both minCount and maxCount.",
            )
            continue
        if lo > hi:
            yield Finding(
                f"{prefix}minCount",
                f"pool {name!r} has minCount {lo:g} above maxCount {hi:g}.",
                "make minCount <= maxCount.",
            )
        if hi > max_nodes:
            yield Finding(
                f"{prefix}maxCount",
                f"pool {name!r} may scale to {hi:g} nodes, above the cap of {max_nodes:g}.",
                f"lower maxCount to at most {max_nodes:g} (or raise maxNodes in the config).",
            )
        if pool.get("mode") == "System" and lo < min_system:
            yield Finding(
                f"{prefix}minCount",
                f"system pool {name!r} may shrink to {lo:g} nodes, fewer than {min_system:g}.",
                f"set minCount to at least {min_system:g}.",
            )
        count = _num(pool.get("count"))
        if count is not None and not lo <= count <= hi:
            yield Finding(
                f"{prefix}count",
                f"pool {name!r} count {count:g} is outside [{lo:g}, {hi:g}].",
                "set count within the autoscaler bounds.",
            )


def availability_zones(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Every pool spans the configured number of zones."""
    need = int(_num(cfg.get("minZones")) or 3)
    for prefix, pool in _pools(s):
        zones = {str(z) for _, z in items(pool.get("availabilityZones"))}
        if len(zones) < need:
            yield Finding(
                f"{prefix}availabilityZones",
                f"node pool {_pool_name(prefix, pool, s)!r} spans {len(zones)} zone(s), "
                f"fewer than {need}.",
                'set availabilityZones: ["1", "2", "3"].',
            )


def auto_upgrade(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """An allowed upgrade channel and node-OS channel are chosen."""
    prof = s.props.get("autoUpgradeProfile")
    channels = [str(x) for _, x in items(cfg.get("upgradeChannels"))]
    node_channels = [str(x) for _, x in items(cfg.get("nodeOsUpgradeChannels"))]
    channel = get(prof, "upgradeChannel")
    if channel not in channels:
        yield Finding(
            "autoUpgradeProfile.upgradeChannel",
            f"upgrade channel {channel!r} is not one of {channels}.",
            f"set autoUpgradeProfile.upgradeChannel to one of {channels}.",
        )
    node = get(prof, "nodeOSUpgradeChannel")
    if node not in node_channels:
        yield Finding(
            "autoUpgradeProfile.nodeOSUpgradeChannel",
            f"node OS upgrade channel {node!r} is not one of {node_channels}.",
            f"set autoUpgradeProfile.nodeOSUpgradeChannel to one of {node_channels}.",
        )


def azure_policy_addon(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """The Azure Policy add-on is on."""
    if get(addon(s.props, "azurepolicy"), "enabled") is not True:
        yield Finding(
            "addonProfiles.azurepolicy.enabled",
            "the Azure Policy add-on is off.",
            'set addonProfiles.azurepolicy: {enabled: true, config: {version: "v2"}}.',
        )


def monitoring_defender(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Container Insights (omsagent or managed Prometheus) and, if configured, Defender."""
    oms = get(addon(s.props, "omsagent"), "enabled") is True
    metrics = get(s.props, "azureMonitorProfile", "metrics", "enabled") is True
    if not (oms or metrics):
        yield Finding(
            "addonProfiles.omsagent.enabled",
            "Container Insights monitoring is off.",
            "enable addonProfiles.omsagent with a Log Analytics workspace "
            "(or azureMonitorProfile.metrics.enabled).",
        )
    if cfg.get("requireDefender", True) is True:
        defender = get(s.props, "securityProfile", "defender")
        if get(defender, "securityMonitoring", "enabled") is not True:
            yield Finding(
                "securityProfile.defender.securityMonitoring.enabled",
                "Microsoft Defender for Containers is off.",
                "set securityProfile.defender.securityMonitoring.enabled: true with "
                "logAnalyticsWorkspaceResourceId.",
            )


def host_encryption(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Encryption at host on every pool (when the config requires it)."""
    if cfg.get("required") is not True:
        return
    for prefix, pool in _pools(s):
        if pool.get("enableEncryptionAtHost") is not True:
            yield Finding(
                f"{prefix}enableEncryptionAtHost",
                f"node pool {_pool_name(prefix, pool, s)!r} does not encrypt at host.",
                "set enableEncryptionAtHost: true (the subscription feature must be registered).",
            )


def workload_identity(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """OIDC issuer and workload identity are on."""
    if get(s.props, "oidcIssuerProfile", "enabled") is not True:
        yield Finding(
            "oidcIssuerProfile.enabled",
            "the OIDC issuer is off.",
            "set oidcIssuerProfile.enabled: true.",
        )
    if get(s.props, "securityProfile", "workloadIdentity", "enabled") is not True:
        yield Finding(
            "securityProfile.workloadIdentity.enabled",
            "workload identity is off.",
            "set securityProfile.workloadIdentity.enabled: true.",
        )


def no_legacy_addons(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """HTTP application routing and the dashboard are off."""
    for key in ("httpApplicationRouting", "kubeDashboard"):
        if get(addon(s.props, key), "enabled") is True:
            yield Finding(
                f"addonProfiles.{key}.enabled",
                f"the legacy {key} add-on is on.",
                f"remove addonProfiles.{key} or set enabled: false.",
            )


def kv_secret_rotation(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Key Vault CSI provider on with secret rotation (config values are strings)."""
    kv = addon(s.props, "azureKeyvaultSecretsProvider")
    if get(kv, "enabled") is not True or get(kv, "config", "enableSecretRotation") != "true":
        yield Finding(
            "addonProfiles.azureKeyvaultSecretsProvider",
            "the Key Vault CSI provider is off or does not rotate secrets.",
            'enable it with config {enableSecretRotation: "true"}.',
        )


def sku_tier(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Control-plane tier is one of the allowed tiers."""
    allowed = [str(x) for _, x in items(cfg.get("allowedTiers"))]
    tier = get(s.props, "sku", "tier")
    if tier not in allowed:
        yield Finding(
            "sku.tier",
            f"control-plane tier {tier!r} is not one of {allowed}.",
            f"set sku.tier to one of {allowed} (aksflow:skuTier).",
        )


_rule = functools.partial(resource_rule, _TAGS, types=CLUSTER)


def _strings(default: Sequence[str], description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string"},
        "default": list(default),
        "description": description,
    }


RULES: Sequence[Rule] = (
    _rule(
        "aks-api-server-restricted",
        "The AKS API server must be private or limited to authorized IP ranges.",
        "high",
        1,
        "Enable a private cluster or set authorizedIPRanges.",
        api_server_restricted,
        config={
            "widestIpv4Prefix": {
                "type": "integer",
                "minimum": 0,
                "maximum": 32,
                "default": WIDEST_IPV4_PREFIX,
                "description": "The union of the IPv4 ranges may hold at most as many "
                "addresses as one network of this prefix length.",
            },
            "widestIpv6Prefix": {
                "type": "integer",
                "minimum": 0,
                "maximum": 128,
                "default": WIDEST_IPV6_PREFIX,
                "description": "The same bound for IPv6.",
            },
        },
    ),
    _rule(
        "aks-rbac-entra",
        "Kubernetes RBAC with managed Entra ID and Azure RBAC must be enabled.",
        "high",
        1,
        "Set enableRBAC, aadProfile.managed and aadProfile.enableAzureRBAC.",
        rbac_entra,
        config={"requireAzureRbac": {"type": "boolean", "default": True}},
    ),
    _rule(
        "aks-local-accounts-disabled",
        "Local (static admin) accounts must be disabled.",
        "high",
        1,
        "Set disableLocalAccounts: true.",
        local_accounts_disabled,
    ),
    _rule(
        "aks-network-policy",
        "A network-policy engine must be configured.",
        "high",
        1,
        "Set networkProfile.networkPolicy.",
        network_policy,
        config={"allowed": _strings(["azure", "calico", "cilium"], "Allowed engines.")},
    ),
    _rule(
        "aks-no-node-public-ip",
        "Nodes must not get public IP addresses.",
        "high",
        1,
        "Remove enableNodePublicIP.",
        no_node_public_ip,
        types=POOLS,
    ),
    _rule(
        "aks-system-pool-isolation",
        "System node pools must be tainted CriticalAddonsOnly=true:NoSchedule.",
        "medium",
        2,
        "Taint the system pool and schedule workloads on user pools.",
        system_pool_isolation,
        types=POOLS,
    ),
    _rule(
        "aks-autoscaling-bounds",
        "Node pools must autoscale within sane bounds.",
        "medium",
        2,
        "Set enableAutoScaling with minCount <= count <= maxCount.",
        autoscaling_bounds,
        types=POOLS,
        config={
            "requireAutoscaling": {"type": "boolean", "default": False},
            "minSystemNodes": {"type": "number", "minimum": 1, "default": 1},
            "maxNodes": {"type": "number", "minimum": 1, "default": 100},
        },
    ),
    _rule(
        "aks-availability-zones",
        "Node pools must span availability zones.",
        "medium",
        2,
        'Set availabilityZones: ["1", "2", "3"].',
        availability_zones,
        types=POOLS,
        config={"minZones": {"type": "number", "minimum": 1, "maximum": 3, "default": 3}},
    ),
    _rule(
        "aks-auto-upgrade",
        "An automatic upgrade channel and node OS upgrade channel must be chosen.",
        "medium",
        2,
        "Set autoUpgradeProfile.upgradeChannel and nodeOSUpgradeChannel.",
        auto_upgrade,
        config={
            "upgradeChannels": _strings(
                ["patch", "stable", "rapid", "node-image"], "Allowed cluster upgrade channels."
            ),
            "nodeOsUpgradeChannels": _strings(
                ["NodeImage", "SecurityPatch"], "Allowed node OS upgrade channels."
            ),
        },
    ),
    _rule(
        "aks-azure-policy-addon",
        "The Azure Policy add-on must be enabled.",
        "medium",
        2,
        "Enable addonProfiles.azurepolicy.",
        azure_policy_addon,
    ),
    _rule(
        "aks-monitoring-defender",
        "Container Insights and Microsoft Defender must be enabled.",
        "medium",
        2,
        "Enable addonProfiles.omsagent and securityProfile.defender.",
        monitoring_defender,
        config={"requireDefender": {"type": "boolean", "default": True}},
    ),
    _rule(
        "aks-host-encryption",
        "Node pools must use encryption at host where configured.",
        "medium",
        2,
        "Set enableEncryptionAtHost: true on every pool.",
        host_encryption,
        types=POOLS,
        config={"required": {"type": "boolean", "default": False}},
    ),
    _rule(
        "aks-workload-identity",
        "The OIDC issuer and workload identity must be enabled.",
        "low",
        3,
        "Enable oidcIssuerProfile and securityProfile.workloadIdentity.",
        workload_identity,
    ),
    _rule(
        "aks-no-legacy-addons",
        "Legacy add-ons (HTTP application routing, dashboard) must be off.",
        "low",
        3,
        "Disable httpApplicationRouting and kubeDashboard.",
        no_legacy_addons,
    ),
    _rule(
        "aks-kv-secret-rotation",
        "The Key Vault CSI provider must be enabled with secret rotation.",
        "low",
        3,
        "Enable azureKeyvaultSecretsProvider with enableSecretRotation.",
        kv_secret_rotation,
    ),
    _rule(
        "aks-sku-tier",
        "The control plane must use an allowed SKU tier.",
        "low",
        3,
        "Set sku.tier (Standard for an SLA).",
        sku_tier,
        config={"allowedTiers": _strings(["Free", "Standard", "Premium"], "Allowed tiers.")},
    ),
)

__all__ = ["AP", "MC", "RULES", "addon", "is_list"]
