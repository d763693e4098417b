"""Risk ranking: stateful deletes/replaces first, then versions, node counts, enforcement."""

from __future__ import annotations

import pytest

from aksflow.diff.model import EnforcementChange
from aksflow.diff.plan import diff_states
from aksflow.diff.policyconfig import compare_enforcement, enforcement_levels
from aksflow.diff.risk import stack_risks
from tests.diff.builders import CLUSTER_T, POOL_T, cluster, pool, res, state


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        (CLUSTER_T, cluster()),
        (POOL_T, pool()),
        ("azure-native:managedidentity:UserAssignedIdentity", {"resourceName": "id"}),
        ("kubernetes:core/v1:Namespace", {"metadata": {"name": "web"}}),
        ("kubernetes:core/v1:PersistentVolumeClaim", {"metadata": {"name": "data"}}),
        ("kubernetes:apps/v1:StatefulSet", {"metadata": {"name": "db"}}),
    ],
)
def test_deleting_stateful_resources_is_high_risk(type_: str, inputs: dict[str, object]) -> None:
    plan = diff_states("prod", state(res(type_, "x", inputs)), state())
    risks = stack_risks("prod", plan)
    assert [(r.level, r.category) for r in risks] == [("high", "delete")]


def test_replacing_a_pool_is_high_and_says_delete_before_create() -> None:
    before = state(res(POOL_T, "np", pool()))
    after = state(res(POOL_T, "np", pool(vmSize="Standard_D8ds_v5")))
    (risk,) = stack_risks("prod", diff_states("prod", before, after))
    assert risk.level == "high" and "vmSize" in risk.message and "deleted before" in risk.message


def test_other_deletes_are_medium_and_high_sorts_first() -> None:
    cm = res("kubernetes:core/v1:ConfigMap", "cm", {"metadata": {"name": "cm"}})
    ns = res("kubernetes:core/v1:Namespace", "ns", {"metadata": {"name": "ns"}})
    risks = stack_risks("dev", diff_states("dev", state(cm, ns), state()))
    assert [r.level for r in risks] == ["high", "medium"]


def test_version_and_node_count_call_outs() -> None:
    new = cluster(kubernetesVersion="1.35")
    new["agentPoolProfiles"][0]["maxCount"] = 4
    before = state(res(CLUSTER_T, "aks", cluster()), res(POOL_T, "np", pool()))
    after = state(res(CLUSTER_T, "aks", new), res(POOL_T, "np", pool(minCount=2)))
    risks = stack_risks("dev", diff_states("dev", before, after))
    messages = sorted(r.message for r in risks)
    assert [r.category for r in risks].count("nodeCount") == 2
    assert any("kubernetesVersion 1.34 → 1.35" in m for m in messages)
    assert any("agentPoolProfiles[0].maxCount 2 → 4" in m for m in messages)
    assert any("minCount 1 → 2" in m for m in messages)
    levels = {r.category: r.level for r in risks}
    assert levels == {"kubernetesVersion": "high", "nodeCount": "medium"}


def test_a_kubernetes_downgrade_is_high() -> None:
    before = state(res(CLUSTER_T, "aks", cluster(kubernetesVersion="1.34")))
    after = state(res(CLUSTER_T, "aks", cluster(kubernetesVersion="1.33")))
    (risk,) = stack_risks("dev", diff_states("dev", before, after))
    assert risk.level == "high" and "downgrade" in risk.message


def test_enforcement_levels_compared_and_loosening_is_high() -> None:
    base = enforcement_levels(
        {"all": "advisory", "no-privileged": "mandatory", "x": {"enforcementLevel": "advisory"}}
    )
    head = enforcement_levels(
        {
            "all": "mandatory",
            "no-privileged": {"enforcementLevel": "advisory"},
            "limits": "mandatory",
        }
    )
    changes = compare_enforcement("prod", base, head)
    assert [(c.policy, c.old, c.new, c.loosened) for c in changes] == [
        ("all", "advisory", "mandatory", False),
        ("limits", None, "mandatory", False),
        ("no-privileged", "mandatory", "advisory", True),
        ("x", "advisory", None, False),
    ]
    plan = diff_states("prod", state(), state())
    risks = stack_risks("prod", plan, changes)
    assert risks[0].level == "high" and "no-privileged" in risks[0].message
    assert EnforcementChange("prod", "p", "mandatory", "disabled").loosened


def test_component_deletes_are_not_risks_their_children_are() -> None:
    chart = res("kubernetes:helm.sh/v4:Chart", "web", {"chart": "apps/web/chart"})
    chart["custom"] = False
    deploy = res("kubernetes:apps/v1:Deployment", "web:web/web", {"metadata": {"name": "web"}})
    risks = stack_risks("dev", diff_states("dev", state(chart, deploy), state()))
    assert [r.message for r in risks] == ["deletes Deployment web:web/web"]
