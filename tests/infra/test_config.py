"""Every config rule, with the message a user sees (file and key path first)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aksflow.project import load_project, load_stack_config
from infra.config import StackConfigError, load

ROOT = Path(__file__).resolve().parents[2]
PROJECT = load_project(ROOT)


def raw(stack: str = "prod", /, **overrides: object) -> dict[str, str]:
    """The merged config of a shipped stack, with ``overrides`` (unprefixed keys) applied."""
    values = dict(load_stack_config(PROJECT, stack).values)
    for key, value in overrides.items():
        values[f"aksflow:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return values


def error(stack: str = "prod", /, **overrides: object) -> str:
    with pytest.raises(StackConfigError) as caught:
        load(stack, raw(stack, **overrides))
    return str(caught.value)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_shipped_stacks_are_valid(stack: str) -> None:
    cfg = load(stack, raw(stack))
    assert cfg.environment == stack
    assert cfg.name == f"aksflow-{stack}"


def test_prod_is_private_zonal_standard() -> None:
    cfg = load("prod", raw("prod"))
    assert cfg.private_cluster and not cfg.authorized_ip_ranges
    assert cfg.availability_zones == ("1", "2", "3")
    assert cfg.sku_tier == "Standard"
    assert all(pool.zones == ("1", "2", "3") for pool in cfg.user_pools)
    assert cfg.system_pool.min_count >= 3


def test_dev_loosens_only_explicitly() -> None:
    cfg = load("dev", raw("dev"))
    assert cfg.sku_tier == "Free"
    assert not cfg.private_cluster
    assert cfg.authorized_ip_ranges  # a public API server is never open to the world
    assert cfg.availability_zones == ()


def test_max_count_below_min_count_names_file_and_key() -> None:
    message = error(
        nodePools=[
            "npuser01 vmSize=Standard_D4ds_v5 minCount=2 maxCount=5",
            "npbatch01 vmSize=Standard_D4ds_v5 minCount=2 maxCount=1",
        ]
    )
    assert message == "Pulumi.prod.yaml: aksflow:nodePools[1].maxCount: must be >= minCount (2)"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"skuTier": "Gold"},
            "aksflow:skuTier: must be one of Free, Standard, Premium (got 'Gold')",
        ),
        ({"environment": "qa"}, "aksflow:environment: must be one of dev, staging, prod"),
        ({"kubernetesVersion": "latest"}, "aksflow:kubernetesVersion: must be major.minor"),
        ({"upgradeChannel": "weekly"}, "aksflow:upgradeChannel: must be one of"),
        ({"nodeOsUpgradeChannel": "Daily"}, "aksflow:nodeOsUpgradeChannel: must be one of"),
        ({"networkPolicy": "none"}, "aksflow:networkPolicy: must be one of"),
        ({"outboundType": "none"}, "aksflow:outboundType: must be one of"),
        ({"privateCluster": "yes"}, "aksflow:privateCluster: must be true or false (got 'yes')"),
        (
            {"privateCluster": False},
            "aksflow:authorizedIpRanges: a public API server must be limited",
        ),
        (
            {"authorizedIpRanges": ["10.0.0.0/8"]},
            "aksflow:authorizedIpRanges: must be empty when privateCluster",
        ),
        (
            {"privateCluster": False, "authorizedIpRanges": ["not-a-cidr"]},
            "aksflow:authorizedIpRanges[0]: 'not-a-cidr' is not a CIDR",
        ),
        ({"availabilityZones": ["1", "4"]}, "aksflow:availabilityZones[1]: must be one of 1, 2, 3"),
        ({"availabilityZones": ["1", "1"]}, "aksflow:availabilityZones: must not repeat a zone"),
        ({"availabilityZones": "1,2"}, "aksflow:availabilityZones: must be a list of strings"),
        ({"availabilityZones": [1]}, "aksflow:availabilityZones[0]: must be a string"),
        (
            {"vnetAddressSpace": "10.0.0.0/24"},
            "aksflow:vnetAddressSpace: must be an IPv4 block of /20 or larger",
        ),
        ({"vnetAddressSpace": "10.0.0.1/16"}, "aksflow:vnetAddressSpace: must be a CIDR block"),
        ({"systemPoolVmSize": "D4"}, "aksflow:systemPoolVmSize: must look like Standard_D4ds_v5"),
        (
            {"systemPoolMinCount": "three"},
            "aksflow:systemPoolMinCount: must be an integer (got 'three')",
        ),
        (
            {"systemPoolMinCount": "0"},
            "aksflow:systemPoolMinCount: must be between 1 and 100 (got 0)",
        ),
        (
            {"systemPoolMinCount": "3", "systemPoolMaxCount": "2"},
            "aksflow:systemPoolMaxCount: must be >= systemPoolMinCount (3)",
        ),
        (
            {"systemPoolOsDiskType": "Premium"},
            "aksflow:systemPoolOsDiskType: must be one of Ephemeral, Managed",
        ),
        ({"logRetentionDays": "7"}, "aksflow:logRetentionDays: must be between 30 and 730 (got 7)"),
        ({"maintenanceDay": "Funday"}, "aksflow:maintenanceDay: must be one of"),
        ({"maintenanceStartTime": "25:00"}, "aksflow:maintenanceStartTime: must be HH:MM"),
        (
            {"maintenanceDurationHours": "2"},
            "aksflow:maintenanceDurationHours: must be between 4 and 24",
        ),
        ({"location": "West Europe"}, "aksflow:location: must be an Azure region name"),
        ({"defender": "on"}, "aksflow:defender: must be true or false"),
    ],
)
def test_rule_messages(overrides: dict[str, object], expected: str) -> None:
    assert error(**overrides).startswith("Pulumi.prod.yaml: " + expected)


@pytest.mark.parametrize(
    ("pool", "expected"),
    [
        ("NPUser vmSize=Standard_D4ds_v5", "nodePools[0].name: 'NPUser' must be 1-12 lowercase"),
        ("npuser01 minCount=1", "nodePools[0].vmSize: is required"),
        ("npuser01 vmSize=big", "nodePools[0].vmSize: must look like Standard_D4ds_v5"),
        (
            "npuser01 vmSize=Standard_D4ds_v5 color=blue",
            "nodePools[0]: 'color=blue' is not <field>=<value>",
        ),
        (
            "npuser01 vmSize=Standard_D4ds_v5 minCount=x",
            "nodePools[0].minCount: must be an integer (got 'x')",
        ),
        (
            "npuser01 vmSize=Standard_D4ds_v5 maxPods=500",
            "nodePools[0].maxPods: must be between 10 and 250",
        ),
        (
            "npuser01 vmSize=Standard_D4ds_v5 zones=1,5",
            "nodePools[0].zones[1]: must be one of 1, 2, 3",
        ),
        (
            "npuser01 vmSize=Standard_D4ds_v5 osDiskType=Ultra",
            "nodePools[0].osDiskType: must be one of",
        ),
        ("npuser01 vmSize=Standard_D4ds_v5 spot=maybe", "nodePools[0].spot: must be true or false"),
        (
            "npuser01 vmSize=Standard_D4ds_v5 spot=true",
            "nodePools[0].spot: spot pools are not allowed in prod",
        ),
        (
            "npsystem vmSize=Standard_D4ds_v5",
            "nodePools[0].name: 'npsystem' is used by another pool",
        ),
    ],
)
def test_node_pool_rules(pool: str, expected: str) -> None:
    assert error(nodePools=[pool]).startswith(f"Pulumi.prod.yaml: aksflow:{expected}")


def test_duplicate_pool_names() -> None:
    message = error(nodePools=["npa vmSize=Standard_D4ds_v5", "npa vmSize=Standard_D4ds_v5"])
    assert message.startswith("Pulumi.prod.yaml: aksflow:nodePools[1].name: 'npa' is used")


def test_spot_allowed_outside_prod() -> None:
    cfg = load("dev", raw("dev", nodePools=["npspot vmSize=Standard_D2ds_v5 spot=true"]))
    assert cfg.user_pools[0].spot


def test_pool_defaults() -> None:
    cfg = load("prod", raw("prod", nodePools=["npuser02 vmSize=Standard_D4ds_v5 zones=1"]))
    (pool,) = cfg.user_pools
    assert (pool.min_count, pool.max_count, pool.zones, pool.os_disk_type, pool.max_pods) == (
        1,
        3,
        ("1",),
        "Ephemeral",
        30,
    )
