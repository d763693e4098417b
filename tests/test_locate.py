"""Violations point at the stack or values file line that sets the value, in its syntax."""

from __future__ import annotations

from pathlib import Path

from aksflow.locate import Locator, find_line, with_hint
from tests.diff.builders import CLUSTER_T, POOL_T, cluster, pool, res, state

OBJECT_FORM = """\
config:
  aksflow:environment: prod
  aksflow:nodePools:
    - name: npuser01
      vmSize: Standard_D4ds_v5
      zones: ["1"]
    - name: npbatch01
      vmSize: Standard_D8ds_v5
  aksflow:authorizedIpRanges:
    - 10.0.0.0/8
"""
STRING_FORM = """\
config:
  aksflow:nodePools:
    - npbatch01 vmSize=Standard_D8ds_v5
    - npuser01 vmSize=Standard_D4ds_v5 zones=1
"""


def _locator(root: Path, *resources: dict[str, object]) -> Locator:
    return Locator.for_state(
        state(*resources, stack="prod"),
        root=root,
        main=root / "infra",
        stack="prod",
        environment="prod",
    )


def _pool_violation(field: str) -> str:
    return f"Zones.\nAgentPool npuser01: {field}: too few zones. Fix: set {field}: [1, 2, 3]."


def test_a_pool_field_points_at_the_pool_entry_in_either_form(tmp_path: Path) -> None:
    np = res(POOL_T, "npuser01", pool(), stack="prod")
    (tmp_path / "Pulumi.prod.yaml").write_text(OBJECT_FORM)
    found = _locator(tmp_path, np).source(np["urn"], _pool_violation("availabilityZones"))
    assert found is not None
    assert (found.file, found.line) == ("Pulumi.prod.yaml", 6)
    assert found.key == "aksflow:nodePools[0].zones"
    assert found.hint == "change `aksflow:nodePools[0].zones` in Pulumi.prod.yaml"
    (tmp_path / "Pulumi.prod.yaml").write_text(STRING_FORM)
    found = _locator(tmp_path, np).source(np["urn"], _pool_violation("availabilityZones"))
    assert found is not None and (found.file, found.line) == ("Pulumi.prod.yaml", 4)


def test_a_cluster_field_maps_to_its_stack_key_or_says_to_set_it(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.prod.yaml").write_text(OBJECT_FORM)
    aks = res(CLUSTER_T, "aks", cluster(), stack="prod")
    message = "ManagedCluster aks: apiServerAccessProfile.authorizedIPRanges[0]: wide. Fix: x."
    found = _locator(tmp_path, aks).source(aks["urn"], message)
    assert found is not None and (found.line, found.key) == (10, "aksflow:authorizedIpRanges[0]")
    unset = "ManagedCluster aks: apiServerAccessProfile.enablePrivateCluster: public. Fix: x."
    found = _locator(tmp_path, aks).source(aks["urn"], unset)
    assert found is not None and found.line == 1
    assert found.hint.startswith("set `aksflow:privateCluster` in Pulumi.prod.yaml")


def test_a_chart_object_points_at_the_values_key(tmp_path: Path) -> None:
    app = tmp_path / "apps" / "web"
    (app / "chart").mkdir(parents=True)
    (app / "chart" / "values.yaml").write_text(
        "image:\n  repository: nginx\n  tag: '1'\nsecurityContext:\n  privileged: false\n"
    )
    (app / "values-prod.yaml").write_text("replicaCount: 2\nsecurityContext:\n  privileged: true\n")
    chart = res("kubernetes:helm.sh/v4:Chart", "web", {"chart": "../apps/web/chart"}, stack="prod")
    deploy = res(
        "kubernetes:apps/v1:Deployment", "web:web/web", {}, stack="prod", parent=chart["urn"]
    )
    locator = _locator(tmp_path, chart, deploy)
    priv = "Deployment web/web: spec.template.spec.containers[0].securityContext.privileged: on."
    found = locator.source(deploy["urn"], priv)
    assert found is not None
    assert (found.file, found.line) == ("apps/web/values-prod.yaml", 3)
    assert found.hint == "change `securityContext.privileged` in apps/web/values-prod.yaml"
    image = "Deployment web/web: spec.template.spec.containers[0].image: no digest. Fix: pin."
    found = locator.source(deploy["urn"], image)
    assert found is not None and (found.file, found.line) == ("apps/web/chart/values.yaml", 1)
    assert found.hint == "override `image` in apps/web/values-prod.yaml"


def test_find_line_walks_as_far_as_the_keys_go(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(OBJECT_FORM)
    assert find_line(path, ["config", "aksflow:nodePools", 1, "vmSize"]) == (8, 4)
    assert find_line(path, ["config", "aksflow:nodePools", 1, "zones"]) == (7, 3)
    assert find_line(path, ["nope"]) is None


def test_the_hint_replaces_the_arm_fix_and_keeps_its_value() -> None:
    text = with_hint(
        "AgentPool np: availabilityZones: 1 zone. Fix: set availabilityZones: [1].",
        "change `aksflow:nodePools[0].zones` in Pulumi.prod.yaml",
    )
    assert text == (
        "AgentPool np: availabilityZones: 1 zone. Fix: change `aksflow:nodePools[0].zones` in "
        "Pulumi.prod.yaml (the policy: set availabilityZones: [1])."
    )


def test_a_component_chart_without_inputs_is_found_by_its_app_name(tmp_path: Path) -> None:
    app = tmp_path / "apps" / "web"
    app.mkdir(parents=True)
    (app / "values-prod.yaml").write_text("securityContext:\n  privileged: true\n")
    chart = res("kubernetes:helm.sh/v4:Chart", "web", {}, stack="prod")  # as a stack export has it
    chart["custom"] = False
    deploy = res(
        "kubernetes:apps/v1:Deployment", "web:web/web", {}, stack="prod", parent=chart["urn"]
    )
    priv = "Deployment web/web: spec.template.spec.containers[0].securityContext.privileged: on."
    found = _locator(tmp_path, chart, deploy).source(deploy["urn"], priv)
    assert found is not None and (found.file, found.line) == ("apps/web/values-prod.yaml", 2)


ENVIRONMENTS = """\
environments:
  - name: dev
  - name: prod
    config:
      aksflow:privateCluster: false
      aksflow:nodePools:
        - name: npbatch01
          vmSize: Standard_D8ds_v5
        - name: npuser01
          vmSize: Standard_D4ds_v5
"""


def test_a_value_the_stack_file_does_not_set_is_found_in_the_profile(tmp_path: Path) -> None:
    (tmp_path / "environments.yaml").write_text(ENVIRONMENTS)
    (tmp_path / "Pulumi.prod.yaml").write_text(
        "config:\n  aksflow:environment: prod\n  aksflow:availabilityZones: ['1']\n"
    )
    aks = res(CLUSTER_T, "aks", cluster(), stack="prod")
    public = "ManagedCluster aks: apiServerAccessProfile.enablePrivateCluster: public. Fix: x."
    found = _locator(tmp_path, aks).source(aks["urn"], public)
    assert found is not None
    assert (found.file, found.line, found.key) == ("environments.yaml", 5, "aksflow:privateCluster")
    assert found.hint == (
        "change `aksflow:privateCluster` in the prod profile in environments.yaml "
        "(every prod stack), or set it in Pulumi.prod.yaml"
    )
    # The pool is the profile's second entry; its zones come from the stack's availabilityZones.
    np = res(POOL_T, "npuser01", pool(), stack="prod")
    found = _locator(tmp_path, np).source(np["urn"], _pool_violation("availabilityZones"))
    assert found is not None
    assert (found.file, found.line, found.key) == (
        "Pulumi.prod.yaml",
        3,
        "aksflow:availabilityZones",
    )
    found = _locator(tmp_path, np).source(np["urn"], _pool_violation("vmSize"))
    assert found is not None
    assert (found.file, found.line) == ("environments.yaml", 10)
    assert found.key == "aksflow:nodePools[1].vmSize"


def test_a_stack_list_hides_the_profile_list(tmp_path: Path) -> None:
    """Keys merge whole: with nodePools in the stack file, the profile's pools do not count."""
    (tmp_path / "environments.yaml").write_text(ENVIRONMENTS)
    (tmp_path / "Pulumi.prod.yaml").write_text(OBJECT_FORM)
    np = res(POOL_T, "npuser01", pool(), stack="prod")
    found = _locator(tmp_path, np).source(np["urn"], _pool_violation("vmSize"))
    assert found is not None
    assert (found.file, found.line, found.key) == (
        "Pulumi.prod.yaml",
        5,
        "aksflow:nodePools[0].vmSize",
    )
    # A pool field neither sets (a default in code): set it where the pool is declared.
    found = _locator(tmp_path, np).source(np["urn"], _pool_violation("maxPods"))
    assert found is not None and found.file == "Pulumi.prod.yaml"
    assert found.hint == "set `aksflow:nodePools[0].maxPods` in Pulumi.prod.yaml"


def test_a_value_no_file_sets_is_the_base_default(tmp_path: Path) -> None:
    (tmp_path / "environments.yaml").write_text(ENVIRONMENTS)
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  aksflow:environment: prod\n")
    aks = res(CLUSTER_T, "aks", cluster(), stack="prod")
    tier = "ManagedCluster aks: sku.tier: Free. Fix: x."
    found = _locator(tmp_path, aks).source(aks["urn"], tier)
    assert found is not None and (found.file, found.line) == ("Pulumi.prod.yaml", 1)
    assert found.hint == (
        "set `aksflow:skuTier` in Pulumi.prod.yaml or in the prod profile in environments.yaml "
        "(it is the base default now)"
    )
