"""Every config rule, with the message a user sees (file and key path first)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aksflow.project import load_project, load_stack_config
from infra.config import StackConfigError, load, vm_sizes

ROOT = Path(__file__).resolve().parents[2]
PROJECT = load_project(ROOT)


def raw(stack: str = "prod", /, **overrides: object) -> dict[str, str]:
    """A shipped stack's config as the CLI hands it over, with ``overrides`` (unprefixed keys)
    set in the stack file; :func:`load` puts it over the profile and the base."""
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


def pool(**fields: object) -> dict[str, object]:
    """A valid User pool object with ``fields`` on top."""
    return {"name": "npuser01", "vmSize": "Standard_D4ds_v5", **fields}


def test_max_count_below_min_count_names_file_and_key() -> None:
    message = error(
        nodePools=[
            pool(minCount=2, maxCount=5),
            pool(name="npbatch01", minCount=2, maxCount=1),
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
        (
            {"environment": "qa"},
            "aksflow:environment: must be one of dev, staging, prod (got 'qa'; environments are "
            "defined in environments.yaml)",
        ),
        ({"environment": ""}, "aksflow:environment: missing: every stack names its environment"),
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
        (
            {"systemPoolVmSize": "Standard_D4dsv5"},
            "aksflow:systemPoolVmSize: 'Standard_D4dsv5' is not a known AKS VM size "
            "(infra/data/vm_sizes.json lists the supported ones); did you mean Standard_D4ds_v5?",
        ),
        (
            {"systemPoolVmSize": "Standard_D4s_v5"},
            "aksflow:systemPoolVmSize: Standard_D4s_v5 has no local disk for an Ephemeral OS disk",
        ),
        (
            {"vnetAddressSpace": "192.168.0.0/20"},
            "aksflow:vnetAddressSpace: 192.168.0.0/20 overlaps the pod CIDR 192.168.0.0/16",
        ),
        (
            {"vnetAddressSpace": "172.16.0.0/12"},
            "aksflow:vnetAddressSpace: 172.16.0.0/12 overlaps the service CIDR 172.16.0.0/16",
        ),
        (
            {"vnetAddressSpace": "128.0.0.0/1"},
            "aksflow:vnetAddressSpace: 128.0.0.0/1 overlaps the pod CIDR",
        ),
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
    ("spec", "expected"),
    [
        (pool(name="NPUser"), "nodePools[0].name: 'NPUser' must be 1-12 lowercase"),
        ({"name": "npuser01"}, "nodePools[0].vmSize: is required"),
        ({"vmSize": "Standard_D4ds_v5"}, "nodePools[0].name: is required"),
        (pool(vmSize="big"), "nodePools[0].vmSize: 'big' is not a known AKS VM size"),
        (pool(vmSize=4), "nodePools[0].vmSize: must be a string (got 4)"),
        (pool(color="blue"), "nodePools[0].color: unknown field (fields: name, vmSize,"),
        (pool(minCount="2"), "nodePools[0].minCount: must be an integer (got '2')"),
        (pool(minCount=True), "nodePools[0].minCount: must be an integer (got True)"),
        (pool(maxPods=500), "nodePools[0].maxPods: must be between 10 and 250 (got 500)"),
        (pool(zones=["1", "5"]), "nodePools[0].zones[1]: must be one of 1, 2, 3"),
        (pool(zones="1,2"), "nodePools[0].zones: must be a list of zones"),
        (pool(zones=["1", 1]), "nodePools[0].zones: must not repeat a zone"),
        (pool(osDiskType="Ultra"), "nodePools[0].osDiskType: must be one of Ephemeral, Managed"),
        (pool(osSku="Windows2022"), "nodePools[0].osSku: must be one of AzureLinux,"),
        (pool(mode="Gateway"), "nodePools[0].mode: must be one of User, System"),
        (pool(taints="a=b:NoSchedule"), "nodePools[0].taints: must be a list"),
        (pool(taints=["a=b"]), "nodePools[0].taints[0]: 'a=b' must be key=value:Effect"),
        (pool(taints=["a=b:Sometimes"]), "nodePools[0].taints[0]: 'a=b:Sometimes' must be"),
        (pool(taints=["-a=b:NoSchedule"]), "nodePools[0].taints[0]: '-a' is not a valid label"),
        (
            pool(taints=["kubernetes.azure.com/x=y:NoSchedule"]),
            "nodePools[0].taints[0]: the kubernetes.azure.com/ prefix is reserved",
        ),
        (pool(taints=["a=b:NoSchedule"] * 2), "nodePools[0].taints: must not repeat a taint"),
        (pool(labels=["a"]), "nodePools[0].labels: must be a mapping"),
        (pool(labels={"team": 3}), "nodePools[0].labels.team: must be a label value"),
        (pool(labels={"team": "a b"}), "nodePools[0].labels.team: must be a label value"),
        (pool(labels={"kubernetes.io/role": "x"}), "nodePools[0].labels.kubernetes.io/role: the"),
        (pool(spot=True), "nodePools[0].spot: must be a mapping"),
        (pool(spot={"price": 1}), "nodePools[0].spot.price: unknown field"),
        (pool(spot={"evictionPolicy": "Stop"}), "nodePools[0].spot.evictionPolicy: must be one"),
        (pool(spot={"maxPrice": "cheap"}), "nodePools[0].spot.maxPrice: must be a number"),
        (pool(spot={"maxPrice": 0}), "nodePools[0].spot.maxPrice: must be -1"),
        (
            pool(spot={}),
            "nodePools[0].spot: spot pools are not allowed in prod (environments.yaml: spotPools)",
        ),
        (pool(name="npsystem"), "nodePools[0].name: 'npsystem' is used by another pool"),
        (["npuser01"], "nodePools[0]: must be an object"),
    ],
)
def test_node_pool_rules(spec: object, expected: str) -> None:
    assert error(nodePools=[spec]).startswith(f"Pulumi.prod.yaml: aksflow:{expected}")


def test_spot_system_pool_is_refused_outside_prod_too() -> None:
    message = error("dev", nodePools=[pool(vmSize="Standard_D2ds_v5", mode="System", spot={})])
    assert message.startswith(
        "Pulumi.dev.yaml: aksflow:nodePools[0].spot: a System pool cannot run on spot VMs"
    )


def test_the_old_string_form_is_an_error_that_shows_the_new_form() -> None:
    message = error(nodePools=["npuser01 vmSize=Standard_D4ds_v5 minCount=2 zones=1,2 spot=true"])
    headline, example = message.split("\n", 1)
    assert headline == (
        "Pulumi.prod.yaml: aksflow:nodePools[0]: node pools are objects now, not strings; "
        "write this one as"
    )
    assert example.splitlines() == [
        "  aksflow:nodePools:",
        "    - {name: npuser01, vmSize: Standard_D4ds_v5, minCount: 2, zones: [1, 2], "
        "spot: {evictionPolicy: Delete, maxPrice: -1}}",
    ]


def test_duplicate_pool_names() -> None:
    message = error(nodePools=[pool(name="npa"), pool(name="npa")])
    assert message.startswith("Pulumi.prod.yaml: aksflow:nodePools[1].name: 'npa' is used")


def test_spot_taints_labels_and_the_rest_of_the_fields() -> None:
    cfg = load(
        "dev",
        raw(
            "dev",
            nodePools=[
                {
                    "name": "npspot",
                    "vmSize": "Standard_D2ds_v5",
                    "zones": [1, 2],
                    "mode": "User",
                    "osSku": "Ubuntu",
                    "osDiskType": "Managed",
                    "maxPods": 50,
                    "taints": ["workload=batch:NoSchedule", "dedicated:NoExecute"],
                    "labels": {"workload": "batch", "example.com/team": "data"},
                    "spot": {"evictionPolicy": "Deallocate", "maxPrice": 0.05},
                }
            ],
        ),
    )
    (spot,) = cfg.user_pools
    assert spot.spot and spot.spot_policy is not None
    assert (spot.spot_policy.eviction_policy, spot.spot_policy.max_price) == ("Deallocate", 0.05)
    assert spot.zones == ("1", "2")
    assert (spot.os_sku, spot.os_disk_type, spot.max_pods) == ("Ubuntu", "Managed", 50)
    assert spot.taints == ("workload=batch:NoSchedule", "dedicated:NoExecute")
    assert spot.labels == (("example.com/team", "data"), ("workload", "batch"))


def test_pool_defaults() -> None:
    cfg = load("prod", raw("prod", nodePools=[pool(name="npuser02", zones=["1"])]))
    (only,) = cfg.user_pools
    assert (
        only.min_count,
        only.max_count,
        only.zones,
        only.os_disk_type,
        only.max_pods,
        only.mode,
        only.os_sku,
        only.taints,
        only.labels,
        only.spot_policy,
    ) == (1, 3, ("1",), "Ephemeral", 30, "User", "AzureLinux", (), (), None)


def test_every_shipped_size_is_in_the_vm_size_table() -> None:
    sizes = vm_sizes()
    assert {"Standard_D2ds_v5", "Standard_D4ds_v5", "Standard_D8ds_v5"} <= set(sizes)
    assert all(size["vcpus"] >= 2 for size in sizes.values())  # AKS refuses smaller nodes
    doc = json.loads((ROOT / "infra" / "data" / "vm_sizes.json").read_text())
    assert doc["sources"] and doc["retrieved"]


def test_environment_profile_reaches_the_config() -> None:
    assert load("dev", raw("dev")).pod_security == "baseline"
    assert load("prod", raw("prod")).pod_security == "restricted"
