"""Typed stack configuration, parsed once and validated before any resource is declared.

A stack's config is three layers, merged key by key (a later layer replaces a key's whole value):
the base defaults in code (:mod:`infra.defaults`, the secure, production shape), the profile of
the stack's environment (``config:`` in ``environments.yaml``) and the stack file
``Pulumi.<stack>.yaml`` (what differs for that one stack). :func:`load` merges them and turns the
result into frozen dataclasses; every rule raises :class:`StackConfigError` whose message names
the file and the key path, e.g. ``Pulumi.prod.yaml: aksflow:nodePools[1].maxCount: must be >=
minCount (2)``. A profile must be valid over the base by itself, and is checked first, so a bad
profile value is reported at ``environments.yaml: environments[0].config.aksflow:<key>``.

``Pulumi.yaml`` declares only ``aksflow:environment`` (required, no default): the CLI merges
declared defaults into the stack config before the program runs (pulumi
``pkg/workspace/config.go`` ``mergeConfig``), which would hide the profile; and it does not check
keys it does not declare, so names, types and values of every ``aksflow:*`` key are checked here.
User node pools are YAML objects (a stack file may hold objects: pulumi
``sdk/go/common/workspace/project.go`` ``ValidateConfigValue``); every field is checked here.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from aksflow.environments import ENVIRONMENTS_FILE, Environment, Environments, load_environments
from aksflow.errors import ConfigError
from aksflow.project import encode_config_value
from aksflow.yamlio import read_yaml
from infra.defaults import BASE, DEFAULTS_FILE

NAMESPACE = "aksflow"
PROJECT_DIR = Path(__file__).resolve().parent.parent
VM_SIZES_FILE = Path(__file__).resolve().parent / "data" / "vm_sizes.json"
# Azure CNI Overlay ranges: never routed outside the cluster, so identical in every stack. The
# VNet must not overlap them, or nodes could not reach pods or services on those addresses.
POD_CIDR = "192.168.0.0/16"
SERVICE_CIDR = "172.16.0.0/16"
DNS_SERVICE_IP = "172.16.0.10"
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
POOL_MODES = ("User", "System")
# Linux OS SKUs of azure-native 3.29.0 containerservice OSSKU (Windows pools are not modelled).
OS_SKUS = ("AzureLinux", "AzureLinux3", "Ubuntu", "Ubuntu2204")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
SPOT_EVICTION_POLICIES = ("Delete", "Deallocate")
# Label/taint keys: Kubernetes qualified names (optional DNS-subdomain prefix, 63-char name).
_LABEL_NAME = r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)"
QUALIFIED_NAME = re.compile(
    rf"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?{_LABEL_NAME}$"
)
LABEL_VALUE = re.compile(rf"^{_LABEL_NAME}?$")
# AKS reserves kubernetes.azure.com/ for its own labels and taints; kubelet may not set
# kubernetes.io/ or k8s.io/ labels (NodeRestriction).
RESERVED_LABEL_PREFIXES = ("kubernetes.azure.com/", "kubernetes.io/", "k8s.io/")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ZONES = ("1", "2", "3")
# PSRule Azure.AKS.SystemPoolNaming / AKS: 1-12 lowercase alphanumerics, not starting with a digit.
POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
K8S_VERSION = re.compile(r"^1\.\d{2}(\.\d+)?$")
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
class SpotPolicy:
    """Spot VMs: what happens on eviction and the most the pool pays (-1: up to on-demand)."""

    eviction_policy: str
    max_price: float


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
    mode: str = "User"
    os_sku: str = "AzureLinux"
    taints: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    spot_policy: SpotPolicy | None = None

    @property
    def spot(self) -> bool:
        """Runs on spot VMs (evictable, discounted)."""
        return self.spot_policy is not None


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
    pod_security: str
    """Pod Security admission ``enforce`` level of the app namespaces (environment profile)."""
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


@dataclass(frozen=True)
class _Layer:
    """One config layer: the file its values are written in and the key path prefix there."""

    file: str
    prefix: str = ""
    """``environments[0].config.`` for a profile; empty for a stack file or the base."""
    label: str = ""
    """How an error's detail names it, e.g. ``the dev profile (environments.yaml: ...)``."""

    def key(self, key: str) -> str:
        """The key path of ``aksflow:<key>`` in this layer's file."""
        return f"{self.prefix}{NAMESPACE}:{key}"


_TOP_KEY = re.compile(r"^[A-Za-z]\w*")


class _Reader:
    """Reads typed values from the raw config bag, naming file and key in every error.

    Errors are headed by ``blame``, the layer being checked; when the failing key's value came
    from a lower layer (``origins``), a second line says where, so the reader knows which file
    to edit.
    """

    def __init__(
        self,
        stack: str,
        raw: Mapping[str, str],
        secret_keys: frozenset[str],
        blame: _Layer | None = None,
        origins: Mapping[str, _Layer] | None = None,
    ) -> None:
        self.stack = stack
        self.blame = blame or _Layer(f"Pulumi.{stack}.yaml")
        self.file = self.blame.file
        self.raw = raw
        self.secret_keys = secret_keys
        self.origins = origins or {}

    def shown(self, key: str, value: object) -> str:
        """A value for an error message: secrets are never echoed."""
        return "[secret]" if f"{NAMESPACE}:{key}" in self.secret_keys else repr(value)

    def fail(self, key: str, message: str) -> StackConfigError:
        text = f"{self.file}: {self.blame.key(key)}: {message}"
        top = _TOP_KEY.match(key)
        origin = self.origins.get(f"{NAMESPACE}:{top.group(0)}") if top else None
        if origin is not None and origin != self.blame:
            text += (
                f"\n{NAMESPACE}:{top.group(0) if top else key} comes from {origin.label}; "
                f"set it in {self.file} to change it for this stack only"
            )
        return StackConfigError(text)

    def _get(self, key: str) -> str:
        full = f"{NAMESPACE}:{key}"
        if full not in self.raw:
            raise self.fail(key, f"missing (every setting needs a base value in {DEFAULTS_FILE})")
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


_POOL_FIELDS = (
    "name",
    "vmSize",
    "minCount",
    "maxCount",
    "zones",
    "mode",
    "osDiskType",
    "osSku",
    "maxPods",
    "taints",
    "labels",
    "spot",
)
_SPOT_FIELDS = ("evictionPolicy", "maxPrice")


@cache
def vm_sizes() -> Mapping[str, Mapping[str, Any]]:
    """The shipped table of AKS node VM sizes (``infra/data/vm_sizes.json``: source and date)."""
    doc = json.loads(VM_SIZES_FILE.read_text(encoding="utf-8"))
    sizes: Mapping[str, Mapping[str, Any]] = doc["sizes"]
    return sizes


def _vm_size(reader: _Reader, key: str, value: str, os_disk_type: str) -> str:
    """A size from the table, able to hold an Ephemeral OS disk when one is asked for."""
    sizes = vm_sizes()
    if value not in sizes:
        close = difflib.get_close_matches(value, list(sizes), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise reader.fail(
            key,
            f"{reader.shown(key.split('[')[0], value)} is not a known AKS VM size "
            f"(infra/data/vm_sizes.json lists the supported ones){hint}",
        )
    if os_disk_type == "Ephemeral" and not sizes[value]["localDisk"]:
        raise reader.fail(
            key,
            f"{value} has no local disk for an Ephemeral OS disk "
            "(use a size with a d, e.g. Standard_D4ds_v5, or osDiskType: Managed)",
        )
    return value


def legacy_pool_example(spec: str) -> str:
    """The object form of an old ``"<name> field=value ..."`` pool string, as YAML flow."""
    name, *pairs = spec.split()
    fields: dict[str, object] = {"name": name}
    for pair in pairs:
        field, _, value = pair.partition("=")
        if field in ("minCount", "maxCount", "maxPods") and value.isdigit():
            fields[field] = int(value)
        elif field == "zones":
            fields[field] = [z for z in value.split(",") if z]
        elif field == "spot":
            if value == "true":
                fields[field] = {"evictionPolicy": "Delete", "maxPrice": -1}
        else:
            fields[field] = value
    return "- " + json.dumps(fields).replace('"', "")


class _PoolReader:
    """Reads one pool object, naming ``nodePools[i].<field>`` in every error."""

    def __init__(self, reader: _Reader, index: int, spec: Mapping[str, Any]) -> None:
        self.reader = reader
        self.key = f"nodePools[{index}]"
        self.spec = spec

    def fail(self, field: str, message: str) -> StackConfigError:
        return self.reader.fail(f"{self.key}.{field}", message)

    def shown(self, value: object) -> str:
        return self.reader.shown("nodePools", value)

    def string(self, field: str, default: str | None, choices: tuple[str, ...] = ()) -> str:
        value = self.spec.get(field, default)
        if value is None:
            raise self.fail(field, "is required")
        if not isinstance(value, str):
            raise self.fail(field, f"must be a string (got {self.shown(value)})")
        if choices and value not in choices:
            raise self.fail(field, f"must be one of {', '.join(choices)} (got {self.shown(value)})")
        return value

    def integer(self, field: str, default: int, minimum: int, maximum: int) -> int:
        value = self.spec.get(field, default)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field, f"must be an integer (got {self.shown(value)})")
        if not minimum <= value <= maximum:
            raise self.fail(field, f"must be between {minimum} and {maximum} (got {value})")
        return value

    def zones(self, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.spec.get("zones")
        if value is None:
            return default
        if not isinstance(value, list):
            raise self.fail("zones", 'must be a list of zones, e.g. ["1", "2", "3"]')
        zones = []
        for index, zone in enumerate(value):
            text = str(zone) if isinstance(zone, int) and not isinstance(zone, bool) else zone
            if text not in ZONES:
                raise self.fail(f"zones[{index}]", f"must be one of {', '.join(ZONES)}")
            zones.append(text)
        return _zones(self.reader, f"{self.key}.zones", tuple(zones))

    def taints(self) -> tuple[str, ...]:
        value = self.spec.get("taints", [])
        if not isinstance(value, list):
            raise self.fail("taints", 'must be a list such as ["workload=batch:NoSchedule"]')
        taints = []
        for index, taint in enumerate(value):
            field = f"taints[{index}]"
            if not isinstance(taint, str):
                raise self.fail(field, f"must be a string (got {self.shown(taint)})")
            body, sep, effect = taint.rpartition(":")
            key, _, taint_value = body.partition("=")
            if not sep or effect not in TAINT_EFFECTS:
                raise self.fail(
                    field,
                    f"{self.shown(taint)} must be key=value:Effect with Effect one of "
                    f"{', '.join(TAINT_EFFECTS)}",
                )
            self._label_key(field, key)
            if not LABEL_VALUE.match(taint_value):
                raise self.fail(field, f"{self.shown(taint_value)} is not a valid taint value")
            taints.append(taint)
        if len(set(taints)) != len(taints):
            raise self.fail("taints", "must not repeat a taint")
        return tuple(taints)

    def labels(self) -> tuple[tuple[str, str], ...]:
        value = self.spec.get("labels", {})
        if not isinstance(value, dict):
            raise self.fail("labels", "must be a mapping of label: value")
        labels = []
        for key, label_value in value.items():
            self._label_key(f"labels.{key}", key)
            if not isinstance(label_value, str) or not LABEL_VALUE.match(label_value):
                raise self.fail(
                    f"labels.{key}",
                    f"must be a label value: a string of at most 63 letters, digits, '-', '_' "
                    f"or '.' (got {self.shown(label_value)})",
                )
            labels.append((key, label_value))
        return tuple(sorted(labels))

    def _label_key(self, field: str, key: str) -> None:
        if not QUALIFIED_NAME.match(key):
            raise self.fail(field, f"{self.shown(key)} is not a valid label or taint key")
        reserved = next((p for p in RESERVED_LABEL_PREFIXES if key.startswith(p)), None)
        if reserved:
            raise self.fail(field, f"the {reserved} prefix is reserved for AKS and Kubernetes")

    def spot(self) -> SpotPolicy | None:
        value = self.spec.get("spot")
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(
                "spot", "must be a mapping: {evictionPolicy: Delete, maxPrice: -1} (or omit it)"
            )
        unknown = sorted(k for k in value if k not in _SPOT_FIELDS)
        if unknown:
            raise self.fail(
                f"spot.{unknown[0]}", f"unknown field (fields: {', '.join(_SPOT_FIELDS)})"
            )
        policy = value.get("evictionPolicy", "Delete")
        if policy not in SPOT_EVICTION_POLICIES:
            raise self.fail(
                "spot.evictionPolicy", f"must be one of {', '.join(SPOT_EVICTION_POLICIES)}"
            )
        price = value.get("maxPrice", -1)
        if (
            isinstance(price, bool)
            or not isinstance(price, int | float)
            or not math.isfinite(price)
        ):
            raise self.fail("spot.maxPrice", f"must be a number (got {self.shown(price)})")
        if price != -1 and price <= 0:
            raise self.fail(
                "spot.maxPrice", "must be -1 (pay up to the on-demand price) or a positive price"
            )
        return SpotPolicy(eviction_policy=policy, max_price=float(price))


def _user_pool(reader: _Reader, index: int, spec: Any, default_zones: tuple[str, ...]) -> UserPool:
    key = f"nodePools[{index}]"
    if isinstance(spec, str):
        raise reader.fail(
            key,
            "node pools are objects now, not strings; write this one as\n"
            f"  aksflow:nodePools:\n    {legacy_pool_example(spec)}",
        )
    if not isinstance(spec, dict):
        raise reader.fail(key, "must be an object with at least name and vmSize")
    unknown = sorted(str(k) for k in spec if k not in _POOL_FIELDS)
    if unknown:
        raise reader.fail(
            f"{key}.{unknown[0]}", f"unknown field (fields: {', '.join(_POOL_FIELDS)})"
        )
    pool = _PoolReader(reader, index, spec)
    name = pool.string("name", None)
    if not POOL_NAME.match(name):
        raise pool.fail(
            "name",
            f"{pool.shown(name)} must be 1-12 lowercase letters or digits, starting with a letter",
        )
    os_disk_type = pool.string("osDiskType", "Ephemeral", OS_DISK_TYPES)
    vm_size = _vm_size(reader, f"{key}.vmSize", pool.string("vmSize", None), os_disk_type)
    min_count = pool.integer("minCount", 1, 0, 1000)
    max_count = pool.integer("maxCount", max(min_count, 3), 1, 1000)
    if max_count < min_count:
        raise pool.fail("maxCount", f"must be >= minCount ({min_count})")
    mode = pool.string("mode", "User", POOL_MODES)
    spot = pool.spot()
    if spot is not None and mode == "System":
        raise pool.fail("spot", "a System pool cannot run on spot VMs")
    return UserPool(
        name=name,
        vm_size=vm_size,
        min_count=min_count,
        max_count=max_count,
        zones=pool.zones(default_zones),
        os_disk_type=os_disk_type,
        max_pods=pool.integer("maxPods", 30, 10, 250),
        mode=mode,
        os_sku=pool.string("osSku", "AzureLinux", OS_SKUS),
        taints=pool.taints(),
        labels=pool.labels(),
        spot_policy=spot,
    )


def _pool_specs(reader: _Reader) -> list[Any]:
    text = reader._get("nodePools")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise reader.fail("nodePools", "must be a list of node-pool objects") from None
    if not isinstance(value, list):
        raise reader.fail("nodePools", "must be a list of node-pool objects")
    return value


def _vnet_clear_of_overlay(reader: _Reader, vnet: str) -> None:
    network = ipaddress.ip_network(vnet)
    for label, cidr in (("pod CIDR", POD_CIDR), ("service CIDR", SERVICE_CIDR)):
        if network.overlaps(ipaddress.ip_network(cidr)):
            raise reader.fail(
                "vnetAddressSpace",
                f"{vnet} overlaps the {label} {cidr}; choose an address space outside "
                f"{POD_CIDR} and {SERVICE_CIDR}",
            )


def _check_names(layer: _Layer, keys: Iterable[str], *, profile: bool) -> None:
    """Every ``aksflow:*`` key of a layer is a setting of the program (a typo fails here).

    The CLI does not check keys ``Pulumi.yaml`` does not declare (pulumi
    ``pkg/workspace/config.go`` ``mergeConfig`` walks the declared keys only), so this is the
    one check of the names. A profile holds only the program's settings: provider config
    (``azure-native:location``) reaches a provider only from the stack file.
    """
    for full in sorted(keys):
        namespace, _, name = full.partition(":")
        if namespace != NAMESPACE:
            if profile:
                raise StackConfigError(
                    f"{layer.file}: {layer.prefix}{full}: a profile holds only {NAMESPACE}:* "
                    "settings; provider config belongs in the stack file, where Pulumi reads it"
                )
            continue
        if full in BASE or (name == "environment" and not profile):
            continue
        close = difflib.get_close_matches(full, list(BASE), n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise StackConfigError(
            f"{layer.file}: {layer.prefix}{full}: not a setting of this program "
            f"({hint}every setting and its base value is listed in {DEFAULTS_FILE})"
        )


def _profile_layer(profile: Environment) -> _Layer:
    return _Layer(
        ENVIRONMENTS_FILE,
        f"{profile.config_key_path}.",
        f"the {profile.name} profile ({ENVIRONMENTS_FILE}: {profile.config_key_path})",
    )


def load(
    stack: str,
    raw: Mapping[str, str],
    secret_keys: frozenset[str] = frozenset(),
    environments: Environments | None = None,
) -> StackConfig:
    """Parse and validate the ``aksflow:*`` config of ``stack``: base <- profile <- stack file.

    ``raw`` is the stack's own config: full keys (``aksflow:skuTier``) to Pulumi's string
    encoding (structured values as JSON), exactly as ``pulumi.Config`` stores them.
    ``environments`` defaults to the project's ``environments.yaml``, whose profile for the
    stack's environment lies between the base defaults (:mod:`infra.defaults`) and ``raw``.
    """
    r = _Reader(stack, raw, secret_keys)
    envs = environments if environments is not None else load_environments(PROJECT_DIR)
    if f"{NAMESPACE}:environment" not in raw or not raw[f"{NAMESPACE}:environment"]:
        raise r.fail(
            "environment",
            f"missing: every stack names its environment (one of {', '.join(envs.names)})",
        )
    environment = r.string("environment")
    profile = envs.get(environment)
    if profile is None:
        raise r.fail(
            "environment",
            f"must be one of {', '.join(envs.names)} (got {r.shown('environment', environment)}; "
            "environments are defined in environments.yaml)",
        )
    stack_layer = r.blame
    profile_layer = _profile_layer(profile)
    _check_names(stack_layer, raw, profile=False)
    _check_names(profile_layer, profile.config, profile=True)

    base = {key: encode_config_value(value) for key, value in BASE.items()}
    profiled = {key: encode_config_value(value) for key, value in profile.config.items()}
    # The profile over the base must hold by itself: a bad profile value is reported in
    # environments.yaml, whichever stack found it.
    _settings(_Reader(stack, {**base, **profiled}, frozenset(), profile_layer), profile)

    own = {k: v for k, v in raw.items() if k.startswith(f"{NAMESPACE}:") and k in BASE}
    base_layer = _Layer(DEFAULTS_FILE, label=f"the base defaults ({DEFAULTS_FILE})")
    origins = {
        **dict.fromkeys(base, base_layer),
        **dict.fromkeys(profiled, profile_layer),
        **dict.fromkeys(own, stack_layer),
    }
    merged = _Reader(stack, {**base, **profiled, **own}, secret_keys, stack_layer, origins)
    return _settings(merged, profile)


def _settings(r: _Reader, profile: Environment) -> StackConfig:
    """The typed config from one merged bag; errors are headed by ``r.blame``."""
    environment = profile.name
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
    system_disk = r.string("systemPoolOsDiskType", OS_DISK_TYPES)
    system = SystemPool(
        vm_size=_vm_size(r, "systemPoolVmSize", r.string("systemPoolVmSize"), system_disk),
        min_count=system_min,
        max_count=system_max,
        os_disk_type=system_disk,
    )
    pools = tuple(_user_pool(r, i, spec, zones) for i, spec in enumerate(_pool_specs(r)))
    seen: set[str] = {"npsystem"}
    for index, pool in enumerate(pools):
        if pool.name in seen:
            raise r.fail(
                f"nodePools[{index}].name",
                f"{r.shown('nodePools', pool.name)} is used by another pool",
            )
        seen.add(pool.name)
    if not profile.spot_pools:
        for index, pool in enumerate(pools):
            if pool.spot:
                raise r.fail(
                    f"nodePools[{index}].spot",
                    f"spot pools are not allowed in {environment} (environments.yaml: spotPools)",
                )
    vnet = _cidr(r, "vnetAddressSpace", r.string("vnetAddressSpace"))
    _vnet_clear_of_overlay(r, vnet)

    return StackConfig(
        stack=r.stack,
        environment=environment,
        pod_security=profile.pod_security,
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
        vnet_cidr=vnet,
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


def check_project_declarations(project_dir: Path = PROJECT_DIR) -> None:
    """Refuse a ``default:`` (or ``value:``) in ``Pulumi.yaml`` for any setting of the program.

    The CLI merges such a value into the stack's config before the program runs (pulumi
    ``pkg/workspace/config.go`` ``mergeConfig``), where it is indistinguishable from a value the
    stack file sets: it would silently beat every environment profile. Declaring a setting
    without a default is allowed (every stack must then set it). A scalar or list written in
    place of a declaration is Pulumi's shorthand for a default (pulumi
    ``sdk/go/common/workspace/project.go`` ``RewriteShorthandConfigValues``: a key of the
    project's namespace becomes ``{default: value}``), so it is refused as well; so is
    ``value:``, which ``mergeConfig`` applies the same way. ``aksflow:environment`` may not
    have one either: each stack file names its environment.
    """
    doc = read_yaml(project_dir / "Pulumi.yaml", source="Pulumi.yaml")
    project = doc.get("name") if isinstance(doc, dict) else None
    declared = doc.get("config") if isinstance(doc, dict) else None
    if not isinstance(declared, dict):
        return
    for key, declaration in declared.items():
        full = key if ":" in str(key) else f"{project}:{key}"
        environment = full == f"{NAMESPACE}:environment"
        if full not in BASE and not environment:
            continue
        if isinstance(declaration, dict):
            attribute = next(
                (a for a in ("default", "value") if declaration.get(a) is not None), None
            )
            where = f"config.{key}.{attribute}" if attribute else ""
        else:  # shorthand: the CLI reads the bare value as the declaration's default
            where = f"config.{key}" if declaration is not None else ""
        if where and environment:
            raise StackConfigError(
                f"Pulumi.yaml: {where}: the CLI merges it into every stack that does not name "
                "its environment, so a new stack would silently get this one's profile, "
                "policies and deploy gates; remove it (each stack file names its environment)"
            )
        if where:
            raise StackConfigError(
                f"Pulumi.yaml: {where}: the CLI merges it into every stack before "
                "the program runs, so no environment profile could change it; put the base "
                f"value in {DEFAULTS_FILE} and remove this default"
            )


def from_pulumi() -> StackConfig:
    """Load the running stack's config through ``pulumi.Config`` (real CLI or offline engine)."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    check_project_declarations()

    raw = {k: v for k, v in runtime_config.CONFIG.get().items() if k.startswith(f"{NAMESPACE}:")}
    # A real CLI run passes config through the environment rather than set_all_config.
    for key, value in runtime_config.get_config_env().items():
        if key.startswith(f"{NAMESPACE}:"):
            raw.setdefault(key, value)
    secret_keys = frozenset(runtime_config._SECRET_KEYS.get())
    return load(pulumi.get_stack(), raw, secret_keys)


__all__ = [
    "SpotPolicy",
    "StackConfig",
    "StackConfigError",
    "SystemPool",
    "UserPool",
    "check_project_declarations",
    "from_pulumi",
    "load",
    "vm_sizes",
]
