"""Replace-or-update decisions, one provider rule at a time (offline-engine.md)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from aksflow.diff.plan import diff_states
from aksflow.diff.replace import ReplaceTable
from tests.diff.builders import CLUSTER_T, POOL_T, cluster, deployment, pool, res, state


def plan_one(type_: str, old: dict[str, Any], new: dict[str, Any], **kw: Any) -> Any:
    before = state(res(type_, "r", old, **kw))
    after = state(res(type_, "r", new, **kw))
    changes = diff_states("dev", before, after).changes
    return changes[0] if changes else None


def test_table_records_its_provenance_and_respects_the_diff_depth() -> None:
    table = ReplaceTable.load()
    assert table.provenance() == (
        "pulumi-azure-native 3.29.0 / API 2025-09-01, pulumi-kubernetes 4.34.2"
    )
    data = copy.deepcopy(table.data)
    data["types"][POOL_T]["replaceOnChanges"].append("a.b.c")
    with pytest.raises(ValueError, match="deeper"):
        ReplaceTable(data)


def test_vm_size_replaces_a_pool_but_counts_update_in_place() -> None:
    change = plan_one(POOL_T, pool(), pool(vmSize="Standard_D4ds_v5", maxCount=5))
    assert change.op == "replace"
    forced = {p.path: p.replaces for p in change.properties}
    assert forced == {"maxCount": False, "vmSize": True}
    assert "vmSize changed" in change.replace_reasons[0]
    assert plan_one(POOL_T, pool(), pool(maxCount=5)).op == "update"


@pytest.mark.parametrize(
    "changed", [{"availabilityZones": ["1"]}, {"osType": "Windows"}, {"maxPods": 50}]
)
def test_pool_properties_aks_cannot_change_in_place_are_replaces(
    changed: dict[str, Any],
) -> None:
    change = plan_one(POOL_T, pool(), pool(**changed))
    assert change.op == "replace"
    (path,) = changed
    assert change.replace_reasons == (f"{path} changed: AKS cannot change it on an existing pool",)
    assert change.properties and all(p.replaces for p in change.properties)


def test_location_compares_ignoring_case_and_spaces() -> None:
    assert plan_one(CLUSTER_T, cluster(), cluster(location="West Europe")) is None
    assert plan_one(CLUSTER_T, cluster(), cluster(location="northeurope")).op == "replace"


def test_resource_group_name_ignores_case_and_path_params_replace() -> None:
    assert plan_one(POOL_T, pool(), pool(resourceGroupName="RG-AKSFLOW-DEV")) is None
    assert plan_one(POOL_T, pool(), pool(agentPoolName="npuser02")).op == "replace"


def test_network_profile_leaves_only() -> None:
    new = cluster()
    new["networkProfile"]["advancedNetworking"] = {"enabled": True}
    assert plan_one(CLUSTER_T, cluster(), new).op == "update"
    new["networkProfile"]["dnsServiceIP"] = "172.16.0.11"
    assert plan_one(CLUSTER_T, cluster(), new).op == "replace"


def test_forced_array_replaces_only_when_it_appears_or_disappears() -> None:
    old = cluster()
    old["networkProfile"]["serviceCidrs"] = ["172.16.0.0/16"]
    changed = copy.deepcopy(old)
    changed["networkProfile"]["serviceCidrs"] = ["172.16.0.0/16", "fd00::/108"]
    assert plan_one(CLUSTER_T, old, changed).op == "update"
    assert plan_one(CLUSTER_T, cluster(), old).op == "replace"


def test_forced_object_replaces_on_leaf_updates_not_on_added_keys() -> None:
    old = cluster(linuxProfile={"adminUsername": "azureuser"})
    added_key = cluster(linuxProfile={"adminUsername": "azureuser", "ssh": {"x": 1}})
    leaf = cluster(linuxProfile={"adminUsername": "root"})
    assert plan_one(CLUSTER_T, old, added_key).op == "update"
    assert plan_one(CLUSTER_T, old, leaf).op == "replace"
    assert plan_one(CLUSTER_T, cluster(), old).op == "replace"


def test_inline_pool_vm_size_is_in_place_for_the_provider() -> None:
    new = cluster()
    new["agentPoolProfiles"][0]["vmSize"] = "Standard_D4ds_v5"
    change = plan_one(CLUSTER_T, cluster(), new)
    assert change.op == "update"
    assert change.warnings  # AKS will not resize the inline System pool in place


def test_added_forced_property_equal_to_the_old_output_is_not_a_replacement() -> None:
    old = pool()
    del old["vmSize"]
    outputs = {**old, "vmSize": "Standard_D2ds_v5"}  # the provider filled it in
    before = state(res(POOL_T, "r", old, outputs=outputs))
    same = state(res(POOL_T, "r", {**old, "vmSize": "Standard_D2ds_v5"}))
    other = state(res(POOL_T, "r", {**old, "vmSize": "Standard_D4ds_v5"}))
    assert diff_states("dev", before, same).changes[0].op == "update"
    assert diff_states("dev", before, other).changes[0].op == "replace"


def test_managed_cluster_sku_aliases() -> None:
    old = cluster(sku={"name": "Basic", "tier": "Paid"})
    assert plan_one(CLUSTER_T, old, cluster(sku={"name": "Base", "tier": "Standard"})) is None


DEPLOY = "kubernetes:apps/v1:Deployment"


def test_deployment_selector_replaces_template_updates() -> None:
    old = deployment()
    image = deployment()
    image["spec"]["template"]["spec"]["containers"][0]["image"] = "web:2.0"
    assert plan_one(DEPLOY, old, image).op == "update"
    selector = deployment()
    selector["spec"]["selector"]["matchLabels"]["tier"] = "front"
    assert plan_one(DEPLOY, old, selector).op == "replace"


def test_unset_namespace_equals_default() -> None:
    old = deployment(ns="default")
    new = deployment(ns="default")
    del new["metadata"]["namespace"]
    assert plan_one(DEPLOY, old, new) is None
    assert plan_one(DEPLOY, old, deployment(ns="other")).op == "replace"


@pytest.mark.parametrize(
    ("type_", "path", "op"),
    [
        ("kubernetes:core/v1:Service", ("spec", "clusterIP"), "replace"),
        ("kubernetes:core/v1:Service", ("spec", "type"), "update"),
        ("kubernetes:batch/v1:Job", ("spec", "template"), "replace"),
        ("kubernetes:batch/v1:CronJob", ("spec", "schedule"), "update"),
        ("kubernetes:core/v1:PersistentVolumeClaim", ("spec", "storageClassName"), "replace"),
        ("kubernetes:apps/v1:StatefulSet", ("spec", "serviceName"), "replace"),
        ("kubernetes:example.com/v1:Widget", ("spec", "anything"), "update"),
    ],
)
def test_kubernetes_immutable_fields(type_: str, path: tuple[str, str], op: str) -> None:
    old = {"metadata": {"name": "x", "namespace": "n"}, "spec": {path[1]: "a"}}
    new = copy.deepcopy(old)
    new["spec"][path[1]] = "b"
    assert plan_one(type_, old, new).op == op


def test_namespace_is_cluster_scoped() -> None:
    ns = "kubernetes:core/v1:Namespace"
    old = {"metadata": {"name": "web", "labels": {"a": "1"}}}
    new = {"metadata": {"name": "web", "labels": {"a": "2"}}}
    assert plan_one(ns, old, new).op == "update"
    assert plan_one(ns, old, {"metadata": {"name": "web2", "labels": {"a": "1"}}}).op == "replace"


def test_configmap_data_replaces_unless_the_provider_makes_it_mutable() -> None:
    cm = "kubernetes:core/v1:ConfigMap"
    old = {"metadata": {"name": "c", "namespace": "n"}, "data": {"k": "1"}}
    new = {"metadata": {"name": "c", "namespace": "n"}, "data": {"k": "2"}}
    provider = res("pulumi:providers:kubernetes", "aks", {"enableConfigMapMutable": "true"})
    pinned = res(cm, "c", old, provider=provider["urn"])
    assert (
        diff_states("dev", state(res(cm, "c", old)), state(res(cm, "c", new))).changes[0].op
        == "replace"
    )
    after = state(provider, res(cm, "c", new, provider=provider["urn"]))
    assert diff_states("dev", state(provider, pinned), after).changes[0].op == "update"
    frozen = {**new, "immutable": True}
    after = state(provider, res(cm, "c", frozen, provider=provider["urn"]))
    assert diff_states("dev", state(provider, pinned), after).changes[0].op == "replace"
