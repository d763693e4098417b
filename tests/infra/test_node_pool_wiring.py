"""Node-pool objects reach the AgentPool inputs (azure-native 3.29.0 AgentPoolArgs names)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from aksflow.preview import run_preview
from tests.conftest import by_type

POOL = "azure-native:containerservice:AgentPool"


def test_taints_labels_spot_and_the_rest_reach_the_agent_pool(
    project_copy: Path, tmp_path: Path
) -> None:
    stack_file = project_copy / "Pulumi.dev.yaml"
    document = yaml.safe_load(stack_file.read_text())
    document["config"]["aksflow:nodePools"] = [
        {
            "name": "npspot01",
            "vmSize": "Standard_D4ds_v5",
            "minCount": 0,
            "maxCount": 4,
            "zones": ["1", "2"],
            "osSku": "Ubuntu",
            "osDiskType": "Ephemeral",
            "maxPods": 60,
            "taints": ["workload=batch:NoSchedule"],
            "labels": {"workload": "batch"},
            "spot": {"evictionPolicy": "Deallocate", "maxPrice": 0.12},
        },
        {"name": "npuser01", "vmSize": "Standard_D2ds_v5", "osDiskType": "Managed"},
    ]
    stack_file.write_text(yaml.safe_dump(document))
    run_preview(project_copy, ["dev"], tmp_path / "out")
    state = json.loads((tmp_path / "out" / "dev" / "state.json").read_text())
    pools = {p["inputs"]["agentPoolName"]: p["inputs"] for p in by_type(state, POOL)}
    spot = pools["npspot01"]
    assert spot["nodeTaints"] == ["workload=batch:NoSchedule"]
    assert spot["nodeLabels"] == {"workload": "batch"}
    assert spot["scaleSetPriority"] == "Spot"
    assert spot["scaleSetEvictionPolicy"] == "Deallocate"
    assert spot["spotMaxPrice"] == 0.12
    assert "upgradeSettings" not in spot  # AKS takes no surge settings on spot pools
    assert (spot["osSKU"], spot["osDiskType"], spot["maxPods"]) == ("Ubuntu", "Ephemeral", 60)
    assert spot["availabilityZones"] == ["1", "2"]
    assert (spot["minCount"], spot["maxCount"], spot["mode"]) == (0, 4, "User")
    plain = pools["npuser01"]
    for absent in ("nodeTaints", "nodeLabels", "scaleSetPriority", "spotMaxPrice"):
        assert absent not in plain, absent
    assert plain["upgradeSettings"] == {"maxSurge": "33%"}
