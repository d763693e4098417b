"""Typed stack configuration, parsed once and validated before any resource is declared.

Pulumi hands the program every ``aksflow:*`` key already merged from ``Pulumi.yaml`` (the
declared defaults: the secure, production shape) and ``Pulumi.<stack>.yaml`` (the deltas).
:func:`load` turns that bag into frozen dataclasses; every rule raises :class:`StackConfigError`
whose message names the stack file and the key path, e.g.
``Pulumi.prod.yaml: aksflow:nodePools[1].maxCount: must be >= minCount (2)``.

User node pools are declared as strings (``"npuser01 vmSize=Standard_D4ds_v5 minCount=2
maxCount=5"``) because Pulumi's project config schema types only strings, integers, booleans
and arrays of those: an array of objects cannot be declared in ``Pulumi.yaml``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from aksflow.errors import ConfigError

NAMESPACE = "aksflow"
ENVIRONMENTS = ("dev", "staging", "prod")
SKU_TIERS = ("Free", "Standard", "Premium")
UPGRADE_CHANNELS = ("rapid", "stable", "patch", "node-image", "none")
NODE_OS_CHANNELS = ("None", "Unmanaged", "NodeImage", "SecurityPatch")
NETWORK_POLICIES = ("cilium", "azure", "calico")
OUTBOUND_TYPES = (
    "loadBalancer",
    "userDefinedRouting",
    "managedNATGateway",
    "userAssignedNATGateway",
)
OS_DISK_TYPES = ("Ephemeral", "Managed")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ZONES = ("1", "2", "3")
# PSRule Azure.AKS.SystemPoolNaming / AKS: 1-12 lowercase alphanumerics, not starting with a digit.
POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
K8S_VERSION = re.compile(r"^1\.\d{2}(\.\d+)?$")
VM_SIZE = re.compile(r"^Standard_[A-Za-z0-9_]+$")
REGION = re.compile(r"^[a-z0-9]+$")
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class StackConfigError(ConfigError):
    """A config value broke a rule; the message names the stack file and the key path."""


@dataclass(frozen=True)
class SystemPool:
    """The inline System pool: tainted ``CriticalAddonsOnly`` so workloads land on user pools."""

    vm_size: str
    min_count: int
    max_count: int
    os_disk_type: str


@dataclass(frozen=True)
class UserPool:
    """A User pool, declared as its own ``AgentPool`` resource so it can change independently."""

    name: str
    vm_size: str
    min_count: int
    max_count: int
    zones: tuple[str, ...]
    os_disk_type: str
    max_pods: int
    spot: bool


@dataclass(frozen=True)
class Maintenance:
    """Planned maintenance windows for control-plane and node-OS upgrades."""

    day: str
    start_time: str
    duration_hours: int


@dataclass(frozen=True)
class StackConfig:
    """Everything the program needs to know about one stack."""

    stack: str
    environment: str
    location: str
    kubernetes_version: str
    sku_tier: str
    upgrade_channel: str
    node_os_upgrade_channel: str
    private_cluster: bool
    authorized_ip_ranges: tuple[str, ...]
    disable_run_command: bool
    network_policy: str
    outbound_type: str
    vnet_cidr: str
    availability_zones: tuple[str, ...]
    system_pool: SystemPool
    user_pools: tuple[UserPool, ...]
    defender: bool
    encryption_at_host: bool
    log_retention_days: int
    maintenance: Maintenance

    @property
    def name(self) -> str:
        """Base name for the stack's Azure resources."""
        return f"aksflow-{self.stack}"


T = TypeVar("T")


class _Reader:
    """Reads typed values from the raw config bag, naming file and key in every error."""

    def __init__(self, stack: str, raw: Mapping[str, str], secret_keys: frozenset[str]) -> None:
        self.stack = stack
        self.file = f"Pulumi.{stack}.yaml"
        self.raw = raw
        self.secret_keys = secret_keys

    def shown(self, key: str, value: object) -> str:
        """A value for an error message: secrets are never echoed."""
        return "[secret]" if f"{NAMESPACE}:{key}" in self.secret_keys else repr(value)

    def fail(self, key: str, message: str) -> StackConfigError:
        return StackConfigError(f"{self.file}: {NAMESPACE}:{key}: {message}")

    def _get(self, key: str) -> str:
        full = f"{NAMESPACE}:{key}"
        if full not in self.raw:
            raise self.fail(key, "missing (declare it in Pulumi.yaml with a default)")
        return self.raw[full]

    def string(self, key: str, choices: tuple[str, ...] = ()) -> str:
        value = self._get(key)
        if choices and value not in choices:
            raise self.fail(
                key, f"must be one of {', '.join(choices)} (got {self.shown(key, value)})"
            )
        return value

    def integer(self, key: str, minimum: int, maximum: int) -> int:
        text = self._get(key)
        try:
            value = int(text)
        except ValueError:
            raise self.fail(key, f"must be an integer (got {self.shown(key, text)})") from None
        if not minimum <= value <= maximum:
            raise self.fail(key, f"must be between {minimum} and {maximum} (got {value})")
        return value

    def boolean(self, key: str) -> bool:
        text = self._get(key)
        if text not in ("true", "false"):
            raise self.fail(key, f"must be true or false (got {self.shown(key, text)})")
        return text == "true"

    def strings(self, key: str) -> tuple[str, ...]:
        text = self._get(key)
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise self.fail(key, "must be a list of strings") from None
        if not isinstance(value, list):
            raise self.fail(key, "must be a list of strings")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(
                    f"{key}[{index}]", f"must be a string (got {self.shown(key, item)})"
                )
        return tuple(value)

    def checked(self, key: str, value: T, ok: Callable[[T], object], message: str) -> T:
        if not ok(value):
            raise self.fail(key, message)
        return value


def _zones(reader: _Reader, key: str, zones: tuple[str, ...]) -> tuple[str, ...]:
    for index, zone in enumerate(zones):
        if zone not in ZONES:
            raise reader.fail(f"{key}[{index}]", f"must be one of {', '.join(ZONES)}")
    if len(set(zones)) != len(zones):
        raise reader.fail(key, "must not repeat a zone")
    return zones


def _cidr(reader: _Reader, key: str, text: str) -> str:
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        raise reader.fail(
            key, f"must be a CIDR block such as 10.240.0.0/16 (got {reader.shown(key, text)})"
        ) from None
    if network.version != 4 or network.prefixlen > 20:
        raise reader.fail(key, "must be an IPv4 block of /20 or larger")
    return text


_POOL_FIELDS = ("vmSize", "minCount", "maxCount", "zones", "osDiskType", "maxPods", "spot")


def _user_pool(reader: _Reader, index: int, spec: str, default_zones: tuple[str, ...]) -> UserPool:
    key = f"nodePools[{index}]"
    name, *pairs = spec.split()
    if not POOL_NAME.match(name):
        raise reader.fail(
            f"{key}.name",
            f"{reader.shown('nodePools', name)} must be 1-12 lowercase letters or digits, "
            "starting with a letter",
        )
    fields: dict[str, str] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or field not in _POOL_FIELDS:
            raise reader.fail(
                key,
                f"{reader.shown('nodePools', pair)} is not <field>=<value> "
                f"with a field in {', '.join(_POOL_FIELDS)}",
            )
        fields[field] = value

    def integer(field: str, default: int, minimum: int, maximum: int) -> int:
        text = fields.get(field, str(default))
        if not text.isdigit():
            raise reader.fail(
                f"{key}.{field}", f"must be an integer (got {reader.shown('nodePools', text)})"
            )
        value = int(text)
        if not minimum <= value <= maximum:
            raise reader.fail(f"{key}.{field}", f"must be between {minimum} and {maximum}")
        return value

    if "vmSize" not in fields:
        raise reader.fail(f"{key}.vmSize", "is required")
    vm_size = reader.checked(
        f"{key}.vmSize", fields["vmSize"], VM_SIZE.fullmatch, "must look like Standard_D4ds_v5"
    )
    min_count = integer("minCount", 1, 0, 1000)
    max_count = integer("maxCount", max(min_count, 3), 1, 1000)
    if max_count < min_count:
        raise reader.fail(f"{key}.maxCount", f"must be >= minCount ({min_count})")
    zones_text = fields.get("zones")
    zones = default_zones if zones_text is None else tuple(z for z in zones_text.split(",") if z)
    disk = fields.get("osDiskType", "Ephemeral")
    if disk not in OS_DISK_TYPES:
        raise reader.fail(f"{key}.osDiskType", f"must be one of {', '.join(OS_DISK_TYPES)}")
    spot = fields.get("spot", "false")
    if spot not in ("true", "false"):
        raise reader.fail(f"{key}.spot", "must be true or false")
    return UserPool(
        name=name,
        vm_size=vm_size,
        min_count=min_count,
        max_count=max_count,
        zones=_zones(reader, f"{key}.zones", zones),
        os_disk_type=disk,
        max_pods=integer("maxPods", 30, 10, 250),
        spot=spot == "true",
    )


def load(
    stack: str, raw: Mapping[str, str], secret_keys: frozenset[str] = frozenset()
) -> StackConfig:
    """Parse and validate the ``aksflow:*`` config of ``stack``.

    ``raw`` maps full keys (``aksflow:skuTier``) to Pulumi's string encoding (structured
    values as JSON), exactly as ``pulumi.Config`` stores them.
    """
    r = _Reader(stack, raw, secret_keys)
    environment = r.string("environment") or stack
    if environment not in ENVIRONMENTS:
        raise r.fail(
            "environment",
            f"must be one of {', '.join(ENVIRONMENTS)} (got {r.shown('environment', environment)})",
        )
    zones = _zones(r, "availabilityZones", r.strings("availabilityZones"))
    private = r.boolean("privateCluster")
    ranges = r.strings("authorizedIpRanges")
    for index, cidr in enumerate(ranges):
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise r.fail(
                f"authorizedIpRanges[{index}]",
                f"{r.shown('authorizedIpRanges', cidr)} is not a CIDR block",
            ) from None
    if not private and not ranges:
        raise r.fail(
            "authorizedIpRanges",
            "a public API server must be limited to authorized ranges "
            "(or set privateCluster: true)",
        )
    if private and ranges:
        raise r.fail("authorizedIpRanges", "must be empty when privateCluster is true")

    system_min = r.integer("systemPoolMinCount", 1, 100)
    system_max = r.integer("systemPoolMaxCount", 1, 100)
    if system_max < system_min:
        raise r.fail("systemPoolMaxCount", f"must be >= systemPoolMinCount ({system_min})")
    system = SystemPool(
        vm_size=r.checked(
            "systemPoolVmSize",
            r.string("systemPoolVmSize"),
            VM_SIZE.fullmatch,
            "must look like Standard_D4ds_v5",
        ),
        min_count=system_min,
        max_count=system_max,
        os_disk_type=r.string("systemPoolOsDiskType", OS_DISK_TYPES),
    )
    pool_specs = r.strings("nodePools")
    pools = tuple(_user_pool(r, i, spec, zones) for i, spec in enumerate(pool_specs))
    seen: set[str] = {"npsystem"}
    for index, pool in enumerate(pools):
        if pool.name in seen:
            raise r.fail(
                f"nodePools[{index}].name",
                f"{r.shown('nodePools', pool.name)} is used by another pool",
            )
        seen.add(pool.name)
    if environment == "prod":
        for index, pool in enumerate(pools):
            if pool.spot:
                raise r.fail(f"nodePools[{index}].spot", "spot pools are not allowed in prod")

    return StackConfig(
        stack=stack,
        environment=environment,
        location=r.checked(
            "location",
            r.string("location"),
            REGION.fullmatch,
            "must be an Azure region name such as westeurope",
        ),
        kubernetes_version=r.checked(
            "kubernetesVersion",
            r.string("kubernetesVersion"),
            K8S_VERSION.fullmatch,
            "must be major.minor or major.minor.patch, e.g. 1.34",
        ),
        sku_tier=r.string("skuTier", SKU_TIERS),
        upgrade_channel=r.string("upgradeChannel", UPGRADE_CHANNELS),
        node_os_upgrade_channel=r.string("nodeOsUpgradeChannel", NODE_OS_CHANNELS),
        private_cluster=private,
        authorized_ip_ranges=ranges,
        disable_run_command=r.boolean("disableRunCommand"),
        network_policy=r.string("networkPolicy", NETWORK_POLICIES),
        outbound_type=r.string("outboundType", OUTBOUND_TYPES),
        vnet_cidr=_cidr(r, "vnetAddressSpace", r.string("vnetAddressSpace")),
        availability_zones=zones,
        system_pool=system,
        user_pools=pools,
        defender=r.boolean("defender"),
        encryption_at_host=r.boolean("encryptionAtHost"),
        log_retention_days=r.integer("logRetentionDays", 30, 730),
        maintenance=Maintenance(
            day=r.string("maintenanceDay", WEEKDAYS),
            start_time=r.checked(
                "maintenanceStartTime",
                r.string("maintenanceStartTime"),
                TIME_OF_DAY.fullmatch,
                "must be HH:MM (24h, UTC)",
            ),
            duration_hours=r.integer("maintenanceDurationHours", 4, 24),
        ),
    )


def from_pulumi() -> StackConfig:
    """Load the running stack's config through ``pulumi.Config`` (real CLI or offline engine)."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    raw = {k: v for k, v in runtime_config.CONFIG.get().items() if k.startswith(f"{NAMESPACE}:")}
    # A real CLI run passes config through the environment rather than set_all_config.
    for key, value in runtime_config.get_config_env().items():
        if key.startswith(f"{NAMESPACE}:"):
            raw.setdefault(key, value)
    secret_keys = frozenset(runtime_config._SECRET_KEYS.get())
    return load(pulumi.get_stack(), raw, secret_keys)


__all__ = ["StackConfig", "StackConfigError", "SystemPool", "UserPool", "from_pulumi", "load"]
