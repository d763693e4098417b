"""The recorded graph and the stack-export file it becomes."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import by_type, one

RESOURCE_KEYS = {"urn", "custom", "type", "inputs", "outputs", "dependencies"}


def test_state_has_the_stack_export_shape(states: dict[str, Any]) -> None:
    for stack, state in states.items():
        assert state["version"] == 3
        manifest = state["deployment"]["manifest"]
        assert {"time", "magic", "version"} <= set(manifest)
        resources = state["deployment"]["resources"]
        assert (
            resources[0]["urn"]
            == f"urn:pulumi:{stack}::aksflow::pulumi:pulumi:Stack::aksflow-{stack}"
        )
        for resource in resources:
            assert set(resource) >= RESOURCE_KEYS, resource["urn"]
            assert resource["urn"].startswith(f"urn:pulumi:{stack}::aksflow::")
            if resource["custom"] and not resource["type"].startswith("pulumi:providers:"):
                assert "provider" in resource and "::" in resource["provider"]
                assert "id" in resource


def test_state_round_trips_through_json(states: dict[str, Any]) -> None:
    for state in states.values():
        assert json.loads(json.dumps(state)) == state


def test_dependencies_come_before_dependents(states: dict[str, Any]) -> None:
    for state in states.values():
        seen: set[str] = set()
        for resource in state["deployment"]["resources"]:
            for urn in [*resource["dependencies"], resource.get("parent")]:
                if urn:
                    assert urn in seen, f"{resource['urn']} listed before {urn}"
            seen.add(resource["urn"])


def test_graph_records_parents_and_dependencies(states: dict[str, Any]) -> None:
    state = states["prod"]
    stack_urn = state["deployment"]["resources"][0]["urn"]
    cluster = one(state, "azure-native:containerservice:ManagedCluster")
    assert cluster["parent"].endswith("::aksflow:cluster:Cluster::cluster")
    identities = {
        r["urn"] for r in by_type(state, "azure-native:managedidentity:UserAssignedIdentity")
    }
    assert identities <= set(cluster["dependencies"])  # depends_on the Identities component
    assert cluster["urn"] == (
        "urn:pulumi:prod::aksflow::aksflow:cluster:Cluster$"
        "azure-native:containerservice:ManagedCluster::aks"
    )
    pool = one(
        state,
        "azure-native:containerservice:AgentPool",
        lambda r: r["inputs"]["agentPoolName"] == "npuser01",
    )
    assert cluster["urn"] in pool["propertyDependencies"]["resourceName"]
    group = one(state, "azure-native:resources:ResourceGroup")
    assert group["parent"] == stack_urn
    assert (
        group["id"]
        == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aksflow-prod"
    )


def test_outputs_are_realistic(states: dict[str, Any]) -> None:
    state = states["prod"]
    cluster = one(state, "azure-native:containerservice:ManagedCluster")
    assert cluster["id"].endswith(
        "/providers/Microsoft.ContainerService/managedClusters/aks-aksflow-prod"
    )
    assert cluster["outputs"]["fqdn"].endswith(".hcp.westeurope.azmk8s.io")
    assert cluster["outputs"]["oidcIssuerProfile"]["issuerURL"].startswith(
        "https://westeurope.oic."
    )
    identities = cluster["outputs"]["identity"]["userAssignedIdentities"]
    assert isinstance(identities, dict) and len(identities) == 1
    stack_outputs = state["deployment"]["resources"][0]["outputs"]
    assert stack_outputs["clusterName"] == "aks-aksflow-prod"


def test_source_positions_are_in_the_engines_form(states: dict[str, Any]) -> None:
    """source_eval.go parseSourcePosition: project-relative, ``#line`` (Python sends no column)."""
    cluster = one(states["prod"], "azure-native:containerservice:ManagedCluster")
    assert re.fullmatch(r"project:///infra/components/cluster\.py#\d+", cluster["sourcePosition"])
    for resource in states["prod"]["deployment"]["resources"]:
        if "sourcePosition" in resource:
            assert re.fullmatch(r"project:///[^#]+#\d+", resource["sourcePosition"]), resource


def test_default_providers_are_recorded(states: dict[str, Any]) -> None:
    (azure,) = by_type(states["dev"], "pulumi:providers:azure-native")
    assert azure["urn"].endswith("::pulumi:providers:azure-native::default_3_29_0")


def test_the_diff_gets_chart_inputs_back_from_charts_json(previewed: dict[str, Any]) -> None:
    from aksflow.engine.state import with_chart_inputs

    out = previewed["out"] / "dev"
    state = json.loads((out / "state.json").read_text())
    charts = json.loads((out / "charts.json").read_text())
    merged = with_chart_inputs(state, charts)
    for resource in merged["deployment"]["resources"]:
        if resource["type"] == "kubernetes:helm.sh/v4:Chart":
            assert resource["inputs"] == charts["charts"][resource["urn"]]
    assert [r["urn"] for r in merged["deployment"]["resources"]] == [
        r["urn"] for r in state["deployment"]["resources"]
    ]
    assert not one(state, "kubernetes:helm.sh/v4:Chart", lambda r: r["urn"].endswith("::web"))[
        "inputs"
    ]  # the file itself is untouched
