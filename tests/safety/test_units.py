"""Change safety's pure parts: version rules, scheduling filters, naming, cost, settings."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from aksflow.errors import ConfigError
from aksflow.safety import blast, inventory, rotation, settings, upgrade
from aksflow.safety.cost import estimate
from aksflow.safety.prices import parse_prices, price_table, release_calendar

CAL = release_calendar()


def _levels(checks: list[upgrade.Check]) -> set[tuple[str, str]]:
    return {(c.check, c.level) for c in checks}


def test_skipping_a_minor_and_downgrading_are_high() -> None:
    assert _levels(upgrade.step_checks("1.34", "1.36")) == {("skippedMinor", "high")}
    assert "1.34 → 1.35 → 1.36" in upgrade.step_checks("1.34", "1.36")[0].message
    assert _levels(upgrade.step_checks("1.35", "1.34")) == {("downgrade", "high")}
    assert _levels(upgrade.step_checks("1.34.2", "1.34.1")) == {("downgrade", "high")}
    assert upgrade.step_checks("1.34", "1.35") == []
    assert upgrade.step_checks(None, "1.35") == []


def test_support_window_follows_the_shipped_calendar() -> None:
    # 1.34: GA 2025-11, end of life 2026-11 (the last day of the month).
    (ok,) = upgrade.window_checks("1.34", CAL, date(2026, 11, 30))
    assert ok.level == "info" and "until the end of 2026-11" in ok.message
    assert _levels(upgrade.window_checks("1.34", CAL, date(2026, 12, 1))) == {
        ("supportWindow", "high")
    }
    assert "not GA" in upgrade.window_checks("1.37", CAL, date(2026, 9, 15))[0].message
    assert "not on AKS" in upgrade.window_checks("1.29", CAL, date(2026, 1, 1))[0].message


def test_promotion_order_flags_the_later_environment_only_when_changed() -> None:
    stacks = [
        upgrade.StackVersion("dev", "dev", "1.35", False),
        upgrade.StackVersion("staging", "staging", "1.34", False),
        upgrade.StackVersion("prod", "prod", "1.35", True),
    ]
    found = upgrade.promotion_checks(stacks, ("dev", "staging", "prod"))
    assert list(found) == ["prod"]
    (check,) = found["prod"]
    assert "prod would run Kubernetes 1.35, ahead of staging at 1.34:" in check.message
    assert "upgrade staging first" in check.message
    unchanged = [upgrade.StackVersion(s.stack, s.environment, s.version, False) for s in stacks]
    assert upgrade.promotion_checks(unchanged, ("dev", "staging", "prod")) == {}


def test_surge_nodes_rounds_up_percentages() -> None:
    assert upgrade.surge_nodes("33%", 10) == 4
    assert upgrade.surge_nodes("33%", 1) == 1
    assert upgrade.surge_nodes("33%", 0) == 0
    assert upgrade.surge_nodes("2", 10) == 2


def _pool(name: str = "npuser01", **kw: Any) -> inventory.Pool:
    fields: dict[str, Any] = dict(
        name=name,
        mode="User",
        vm_size="Standard_D4ds_v5",
        min_count=2,
        max_count=5,
        zones=("1", "2", "3"),
        taints=(),
        labels={},
        spot=False,
        os_disk_type="Ephemeral",
        os_sku="AzureLinux",
        max_pods=30,
        max_surge="33%",
        orchestrator_version="",
        inline=False,
        urn=f"urn:{name}",
    )
    fields.update(kw)
    return inventory.Pool(**fields)


def test_surge_over_quota_is_high() -> None:
    pools = {"a": _pool("a", max_count=10)}  # 40 vCPUs + 4 surge nodes x 4 = 56
    env = settings.EnvironmentSafety(vcpu_quota={"standardDDSv5Family": 50})
    (check,) = upgrade.surge_checks(pools, price_table(), env, "prod")
    assert check.level == "high" and "56 > quota 50" in check.message
    roomy = settings.EnvironmentSafety(vcpu_quota={"standardDDSv5Family": 56})
    assert upgrade.surge_checks(pools, price_table(), roomy, "prod")[0].level == "info"


def test_node_pool_newer_than_control_plane_is_high() -> None:
    pools = {
        "a": _pool("a", orchestrator_version="1.35"),
        "b": _pool("b", orchestrator_version="1.32"),
    }
    levels = {(c.urn, c.level) for c in upgrade.skew_checks(pools, "1.34", "1.33")}
    assert levels == {("urn:a", "high"), ("urn:b", "medium")}
    later = {(c.urn, c.level) for c in upgrade.skew_checks(pools, "1.36", "1.35")}
    assert later == {("urn:a", "medium"), ("urn:b", "high")}  # b: four minors behind


def _workload(**kw: Any) -> inventory.Workload:
    fields: dict[str, Any] = dict(
        kind="Deployment",
        namespace="web",
        name="web",
        urn="urn:web",
        replicas=2,
        pod_labels={"app": "web"},
        node_selector={},
        required_terms=(),
        tolerations=(),
        requests=inventory.Requests(250, 256 * 2**20),
    )
    fields.update(kw)
    return inventory.Workload(**fields)


def test_scheduling_filters_taints_selectors_affinity_and_zones() -> None:
    tainted = _pool(taints=(inventory.Taint.parse("sku=gpu:NoSchedule"),))
    assert not blast.can_schedule(_workload(), tainted, "westeurope")
    gpu = _workload(tolerations=({"key": "sku", "operator": "Equal", "value": "gpu"},))
    assert blast.can_schedule(gpu, tainted, "westeurope")
    assert not blast.can_schedule(_workload(), _pool(spot=True), "westeurope")  # AKS spot taint
    pinned = _workload(node_selector={"agentpool": "npother"})
    assert not blast.can_schedule(pinned, _pool(), "westeurope")
    zone = {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["westeurope-2"]}
    assert blast.can_schedule(_workload(required_terms=((zone,),)), _pool(), "westeurope")
    assert not blast.can_schedule(
        _workload(required_terms=((zone,),)), _pool(zones=("1",)), "westeurope"
    )


def test_next_pool_name_keeps_the_convention_and_the_length_limit() -> None:
    assert rotation.next_name("npuser01", ["npuser01"]) == "npuser02"
    assert rotation.next_name("npuser01", ["npuser01", "npuser02"]) == "npuser03"
    assert rotation.next_name("npsystem", []) == "npsystem2"
    assert rotation.next_name("npverylong99", []) == "npverylon100"
    assert len(rotation.next_name("abcdefghijkl", [])) <= rotation.POOL_NAME_MAX


def test_quantities() -> None:
    assert inventory.cpu_millis("250m") == 250 and inventory.cpu_millis("1.5") == 1500
    assert inventory.memory_bytes("256Mi") == 256 * 2**20
    assert inventory.memory_bytes("1G") == 10**9 and inventory.memory_bytes("1e3") == 1000


def _state(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"deployment": {"resources": list(resources)}}


def test_cost_prices_pools_tier_defender_and_retention_and_lists_unpriced() -> None:
    cluster = {
        "urn": "urn:aks",
        "type": inventory.CLUSTER,
        "inputs": {
            "sku": {"tier": "Standard"},
            "securityProfile": {"defender": {"securityMonitoring": {"enabled": True}}},
            "agentPoolProfiles": [
                {
                    "name": "npsystem",
                    "vmSize": "Standard_D4ds_v5",
                    "count": 3,
                    "enableAutoScaling": True,
                    "minCount": 3,
                    "maxCount": 4,
                },
            ],
        },
    }
    spot = {
        "urn": "urn:spot",
        "type": inventory.AGENT_POOL,
        "inputs": {
            "agentPoolName": "npspot",
            "vmSize": "Standard_D8ds_v5",
            "count": 0,
            "enableAutoScaling": True,
            "minCount": 0,
            "maxCount": 2,
            "scaleSetPriority": "Spot",
        },
    }
    odd = {
        "urn": "urn:odd",
        "type": inventory.AGENT_POOL,
        "inputs": {"agentPoolName": "npodd", "vmSize": "Standard_X1", "count": 1},
    }
    logs = {"urn": "urn:p::logs", "type": inventory.WORKSPACE, "inputs": {"retentionInDays": 91}}
    env = settings.EnvironmentSafety(log_ingestion_gb_per_day=10)
    cost = estimate(_state(cluster, spot, odd, logs), price_table(), env)
    assert cost is not None
    lines = {line.key: line for line in cost.lines}
    assert lines["pool:npsystem"].low == pytest.approx(3 * 0.262 * 730)
    assert lines["pool:npspot"].high == pytest.approx(2 * 0.1048 * 730)
    assert "spot" in lines["pool:npspot"].note
    assert lines["tier"].low == pytest.approx(73.0)
    assert lines["defender"].high == pytest.approx((4 * 4 + 2 * 8) * 6.8693)
    assert lines["logs:logs"].low == pytest.approx(10 * 60 * 0.13)
    assert cost.unpriced == ("node pool npodd: Standard_X1 is not in the price table",)


def test_price_table_and_settings_fail_closed_naming_the_key() -> None:
    with pytest.raises(Exception, match="malformed price table"):
        parse_prices({"region": "westeurope"})
    with pytest.raises(ConfigError, match=r"environments.prod.costIncreaseLimit"):
        settings.parse({"environments": {"prod": {"costIncreaseLimit": "lots"}}})
    with pytest.raises(ConfigError, match="unknown key"):
        settings.parse({"environments": {"prod": {"costLimit": 5}}})
    assert settings.parse(None) == {}


def test_refresh_takes_linux_payg_and_spot_prices_from_api_pages() -> None:
    from aksflow.safety import refresh

    pages = {
        "first": {
            "Items": [
                {
                    "productName": "Virtual Machines Ddsv5 Series Windows",
                    "skuName": "D4ds v5",
                    "type": "Consumption",
                    "unitOfMeasure": "1 Hour",
                    "retailPrice": 0.45,
                },
                {
                    "productName": "Virtual Machines Ddsv5 Series",
                    "skuName": "D4ds v5",
                    "type": "Consumption",
                    "unitOfMeasure": "1 Hour",
                    "retailPrice": 0.25,
                },
                {
                    "productName": "Virtual Machines Ddsv5 Series",
                    "skuName": "D4ds v5",
                    "type": "Reservation",
                    "unitOfMeasure": "1 Hour",
                    "retailPrice": 0.1,
                },
            ],
            "NextPageLink": "second",
        },
        "second": {
            "Items": [
                {
                    "productName": "Virtual Machines Ddsv5 Series",
                    "skuName": "D4ds v5 Spot",
                    "type": "Consumption",
                    "unitOfMeasure": "1 Hour",
                    "retailPrice": 0.05,
                },
            ]
        },
    }
    queries: list[str] = []

    def fetch(url: str, params: Any) -> Any:
        if url == refresh.API:
            queries.append(params["$filter"])
            return pages["first"] if "Standard_D4ds_v5" in params["$filter"] else {"Items": []}
        return pages[url]

    doc = {
        "region": "westeurope",
        "currency": "USD",
        "vmSizes": {
            "Standard_D4ds_v5": {"hourly": 0.2, "spotHourly": 0.04},
            "Standard_X9": {"hourly": 1.0, "spotHourly": 0.2},
        },
    }
    new, notes = refresh.refresh(doc, fetch, date(2027, 1, 2))
    assert new["vmSizes"]["Standard_D4ds_v5"] == {"hourly": 0.25, "spotHourly": 0.05}
    assert new["vmSizes"]["Standard_X9"] == {"hourly": 1.0, "spotHourly": 0.2}  # kept
    assert (new["date"], new["refreshed"]) == ("2027-01-02", True)
    assert "Standard_X9 hourly: no Linux consumption price in westeurope; kept" in notes
    assert "armRegionName eq 'westeurope'" in queries[0]


def test_price_table_vm_facts_agree_with_the_programs_vm_size_table() -> None:
    from infra.config import vm_sizes

    program = vm_sizes()
    shared = [name for name in price_table().vm_sizes if name in program]
    assert shared  # the tables overlap on the sizes the stacks use
    for name in shared:
        size = price_table().vm_sizes[name]
        assert (size.vcpus, size.memory_gib) == (
            program[name]["vcpus"],
            program[name]["memoryGiB"],
        ), name


def test_unpinned_separate_pools_stay_behind_the_control_plane() -> None:
    pools = {"u": _pool("u"), "s": _pool("s", inline=True)}
    (check,) = upgrade.skew_checks(pools, "1.36", "1.34")
    assert (check.urn, check.level) == ("urn:u", "info")
    assert "stays at 1.34 (2 minors behind 1.36" in check.message
    assert upgrade.skew_checks(pools, "1.38", "1.34")[0].level == "high"
    assert upgrade.skew_checks(pools, "1.34", None) == []


def _pool_resource(name: str, **inputs: Any) -> dict[str, Any]:
    base = {
        "agentPoolName": name,
        "vmSize": "Standard_D4ds_v5",
        "count": 1,
        "enableAutoScaling": True,
        "minCount": 1,
        "maxCount": 3,
    }
    return {"urn": f"urn:p::{name}", "type": inventory.AGENT_POOL, "inputs": {**base, **inputs}}


def _deployment(name: str, replicas: int, cpu: str, **spec: Any) -> dict[str, Any]:
    pod = {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}]}
    pod.update(spec)
    return {
        "urn": f"urn:p::{name}",
        "type": "kubernetes:apps/v1:Deployment",
        "inputs": {
            "metadata": {"name": name, "namespace": "ns"},
            "spec": {
                "replicas": replicas,
                "template": {"metadata": {"labels": {"app": name}}, "spec": pod},
            },
        },
    }


def _plan(*changes: tuple[str, str]) -> Any:
    from aksflow.diff.model import ResourceChange, StackPlan

    return StackPlan(
        "s",
        tuple(ResourceChange(urn, inventory.AGENT_POOL, op) for urn, op in changes),  # type: ignore[arg-type]
        0,
    )


def test_shrinking_below_requested_capacity_strands_what_can_only_run_there() -> None:
    pinned = {"agentpool": "npbig"}
    base = _state(
        _pool_resource("npbig", maxCount=4), _deployment("api", 6, "3", nodeSelector=pinned)
    )
    head = _state(
        _pool_resource("npbig", maxCount=2), _deployment("api", 6, "3", nodeSelector=pinned)
    )
    (impact,) = blast.impacts(_plan(("urn:p::npbig", "update")), base, head, price_table())
    assert (impact.change, impact.over_capacity) == ("shrunk", True)
    assert "cpu 18000m" in impact.capacity and "2 x Standard_D4ds_v5" in impact.capacity
    risk = impact.risk("s")
    assert risk is not None and risk.level == "high" and "Deployment ns/api" in risk.message
    roomy = _state(
        _pool_resource("npbig", maxCount=6), _deployment("api", 6, "3", nodeSelector=pinned)
    )
    assert blast.impacts(_plan(("urn:p::npbig", "update")), base, roomy, price_table()) == []


def test_deleting_a_pool_lists_workloads_and_where_they_can_go() -> None:
    base = _state(_pool_resource("npa"), _pool_resource("npb"), _deployment("web", 2, "100m"))
    head = _state(_pool_resource("npb"), _deployment("web", 2, "100m"))
    (impact,) = blast.impacts(_plan(("urn:p::npa", "delete")), base, head, price_table())
    (placement,) = impact.placements
    assert (impact.change, placement.elsewhere, placement.stranded) == ("deleted", ("npb",), False)
    assert impact.risk("s") is None


def test_safety_yaml_names_only_defined_environments(tmp_path: Any) -> None:
    (tmp_path / "environments.yaml").write_text("environments:\n  - name: dev\n  - name: prod\n")
    (tmp_path / "safety.yaml").write_text("environments:\n  prd:\n    costIncreaseLimit: 5\n")
    with pytest.raises(ConfigError, match=r"safety.yaml: environments.prd: not an environment"):
        settings.load(tmp_path)
    (tmp_path / "safety.yaml").write_text("environments:\n  prod:\n    costIncreaseLimit: 5\n")
    assert settings.load(tmp_path)["prod"].cost_increase_limit == 5


def test_a_stack_outside_the_price_tables_region_says_so() -> None:
    cluster = {
        "urn": "urn:aks",
        "type": inventory.CLUSTER,
        "inputs": {"location": "eastus", "sku": {"tier": "Free"}},
    }
    cost = estimate(_state(cluster), price_table())
    assert cost is not None
    assert any("priced at westeurope rates, the stack runs in eastus" in u for u in cost.unpriced)


def test_a_rotation_goes_where_the_stack_gets_its_pools(tmp_path: Any) -> None:
    """The stack file when it sets aksflow:nodePools, else its environment's profile."""
    (tmp_path / "Pulumi.yaml").write_text("name: aksflow\nruntime: python\n")
    (tmp_path / "environments.yaml").write_text(
        "environments:\n  - name: prod\n    config:\n      aksflow:nodePools:\n"
        "        - {name: npa, vmSize: Standard_D4ds_v5}\n"
    )
    stack_file = tmp_path / "Pulumi.prod-neu.yaml"
    stack_file.write_text("config:\n  aksflow:environment: prod\n")
    assert rotation._declared_pools(tmp_path, "prod-neu") == (
        [{"name": "npa", "vmSize": "Standard_D4ds_v5"}],
        "prod",
    )
    stack_file.write_text(
        "config:\n  aksflow:environment: prod\n  aksflow:nodePools:\n    - {name: npb}\n"
    )
    assert rotation._declared_pools(tmp_path, "prod-neu") == ([{"name": "npb"}], None)
    (tmp_path / "environments.yaml").write_text("environments:\n  - name: prod\n")
    stack_file.write_text("config:\n  aksflow:environment: prod\n")
    assert rotation._declared_pools(tmp_path, "prod-neu") == ([], None)  # the base default
