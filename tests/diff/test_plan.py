"""The URN-keyed plan: creates, deletes, updates, replacement cascades, redaction."""

from __future__ import annotations

import json

from aksflow.diff.plan import diff_states
from tests.diff.builders import (
    CLUSTER_T,
    K8S_PROVIDER_T,
    POOL_T,
    SECRET,
    cluster,
    deployment,
    pool,
    res,
    state,
)

DEPLOY = "kubernetes:apps/v1:Deployment"


def test_create_delete_update_and_unchanged_counts() -> None:
    a = res(POOL_T, "a", pool("a"))
    b = res(POOL_T, "b", pool("b"))
    c = res(POOL_T, "c", pool("c"))
    b2 = res(POOL_T, "b", pool("b", maxCount=9))
    plan = diff_states("dev", state(a, b), state(b2, c))
    assert plan.counts() == {"create": 1, "update": 1, "replace": 0, "delete": 1}
    assert [(ch.name, ch.op) for ch in plan.changes] == [
        ("b", "update"),
        ("c", "create"),
        ("a", "delete"),
    ]
    assert plan.unchanged == 1  # the stack resource
    update = plan.changes[0].properties[0]
    assert (update.path, update.kind, update.old, update.new) == ("maxCount", "update", 3, 9)


def test_identical_states_have_no_changes() -> None:
    doc = state(res(POOL_T, "a", pool("a")))
    plan = diff_states("dev", doc, doc)
    assert not plan.has_changes and plan.counts() == dict.fromkeys(plan.counts(), 0)


def test_new_stack_is_all_creates() -> None:
    plan = diff_states("dev", None, state(res(POOL_T, "a", pool("a"))))
    assert plan.counts()["create"] == 2  # the stack and the pool


def test_a_changed_urn_is_delete_plus_create_with_an_alias_hint() -> None:
    old = res(POOL_T, "npuser01", pool(), parents=["aksflow:nodepool:NodePool"])
    new = res(POOL_T, "npuser01", pool())
    plan = diff_states("dev", state(old), state(new))
    assert sorted(ch.op for ch in plan.changes) == ["create", "delete"]
    assert all(ch.hint and "alias" in ch.hint for ch in plan.changes)


def test_ignore_changes_are_not_changes() -> None:
    old = res(POOL_T, "a", pool("a", count=1), ignore=["count"])
    new = res(POOL_T, "a", pool("a", count=4), ignore=["count"])
    assert not diff_states("dev", state(old), state(new)).has_changes
    newer = res(POOL_T, "a", pool("a", count=4, minCount=2), ignore=["count"])
    change = diff_states("dev", state(old), state(newer)).changes[0]
    assert [p.path for p in change.properties] == ["minCount"]
    assert change.ignored == ("count",)


def test_array_element_paths() -> None:
    old = res(CLUSTER_T, "aks", cluster())
    profile = cluster()
    profile["agentPoolProfiles"][0]["count"] = 2
    change = diff_states("dev", state(old), state(res(CLUSTER_T, "aks", profile))).changes[0]
    assert [(p.path, p.old, p.new) for p in change.properties] == [
        ("agentPoolProfiles[0].count", 1, 2)
    ]


def test_values_of_secrets_and_secret_looking_keys_never_reach_the_plan() -> None:
    secret_t = "kubernetes:core/v1:Secret"
    old = res(
        secret_t,
        "s",
        {"metadata": {"name": "s", "namespace": "n"}, "stringData": {"pw": "hunter2"}},
    )
    new = res(
        secret_t,
        "s",
        {"metadata": {"name": "s", "namespace": "n"}, "stringData": {"pw": "swordfish"}},
    )
    chart = "kubernetes:helm.sh/v4:Chart"
    c_old = res(
        chart, "web", {"values": {"db": {"password": "p1"}, "replicas": 1}, "apiToken": SECRET}
    )
    c_new = res(
        chart,
        "web",
        {"values": {"db": {"password": "p2"}, "replicas": 2}, "apiToken": "plain-leak"},
    )
    plan = diff_states("dev", state(old, c_old), state(new, c_new))
    text = json.dumps([ch.to_json() for ch in plan.changes])
    for leaked in ("hunter2", "swordfish", "p1", "p2", "plain-leak", "ciphertext"):
        assert leaked not in text
    assert "[secret]" in text and '"new": 2' in text  # ordinary values still shown


def test_unchanged_secret_markers_are_not_a_change() -> None:
    provider = res(K8S_PROVIDER_T, "aks", {"kubeconfig": SECRET})
    assert not diff_states("dev", state(provider), state(provider)).has_changes


def _platform(cluster_inputs: dict[str, object]) -> dict[str, object]:
    aks = res(CLUSTER_T, "aks", cluster_inputs)
    provider = res(
        K8S_PROVIDER_T,
        "k8s",
        {"kubeconfig": SECRET},
        deps=[aks["urn"]],
        prop_deps={"kubeconfig": [aks["urn"]]},
    )
    ns = res(
        "kubernetes:core/v1:Namespace",
        "web",
        {"metadata": {"name": "web"}},
        provider=provider["urn"],
    )
    web = res(DEPLOY, "web:web/web", deployment(), provider=provider["urn"])
    npool = res(
        POOL_T,
        "np",
        pool("np"),
        deps=[aks["urn"]],
        prop_deps={"resourceName": [aks["urn"]], "count": []},
    )
    return state(aks, provider, ns, web, npool)


def test_a_replaced_cluster_replaces_the_kubernetes_provider_and_everything_it_manages() -> None:
    plan = diff_states("dev", _platform(cluster()), _platform(cluster(dnsPrefix="other")))
    ops = {ch.name: (ch.op, ch.replace_reasons[-1]) for ch in plan.changes}
    assert ops["aks"][0] == "replace"
    assert ops["k8s"] == ("replace", "kubeconfig is unknown at preview (aks is replaced)")
    assert ops["web"] == ("replace", "its provider k8s is replaced")
    assert ops["web:web/web"][0] == "replace"
    assert ops["np"] == ("replace", "resourceName is unknown at preview (aks is replaced)")


def test_an_in_place_cluster_update_does_not_cascade() -> None:
    plan = diff_states("dev", _platform(cluster()), _platform(cluster(kubernetesVersion="1.35")))
    assert [(ch.name, ch.op) for ch in plan.changes] == [("aks", "update")]
