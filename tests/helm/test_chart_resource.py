"""A helm.v4.Chart in a real program run offline: the provider's options and CRD cache end to end.

Follows pulumi-kubernetes ``provider/pkg/provider/helm/v4/chart.go`` (Construct, preregister),
``provider/pkg/provider/yaml/v2/yaml.go`` (Normalize, register) and ``provider.go:1368-1375``
(Check adds each CRD to the cache the Chart's scope lookup reads).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aksflow.errors import RenderError
from aksflow.preview import run_preview
from tests.helm.conftest import write

CRD = """
        widgets = k8s.apiextensions.v1.CustomResourceDefinition(
            "widgets",
            metadata={"name": "widgets.example.com"},
            spec={
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgets"},
                "versions": [{"name": "v1", "served": True, "storage": True}],
            },
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
"""


def _program(project: Path, chart_options: str) -> None:
    workloads = project / "infra" / "components" / "workloads.py"
    text = workloads.read_text()
    text = text.replace(
        "        namespaces: dict[str, Namespace] = {}\n",
        CRD + "        namespaces: dict[str, Namespace] = {}\n",
        1,
    )
    text = text.replace(
        "                    values=dict(release.values),\n",
        "                    values=dict(release.values),\n" + chart_options,
        1,
    )
    text = text.replace("depends_on=[namespace]", "depends_on=[namespace, widgets]")
    workloads.write_text(text)


def _templates(project: Path) -> None:
    write(
        project / "apps" / "web" / "chart" / "templates" / "extras.yaml",
        """
        apiVersion: example.com/v1
        kind: Widget
        metadata:
          name: gadget
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: kept
          annotations:
            helm.sh/resource-policy: keep
        data:
          a: b
        ---
        apiVersion: core/v1
        kind: Secret
        metadata:
          name: creds
        stringData:
          password: hunter2
        ---
        apiVersion: coordination.k8s.io/v1alpha2
        kind: LeaseCandidate
        metadata:
          name: candidate
        """,
    )


def _children(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    chart = next(
        r
        for r in state["deployment"]["resources"]
        if r["type"] == "kubernetes:helm.sh/v4:Chart" and r["urn"].endswith("::web")
    )
    return {
        r["urn"].rsplit("::", 1)[-1] + " " + r["type"].rsplit(":", 1)[-1]: r
        for r in state["deployment"]["resources"]
        if r.get("parent") == chart["urn"]
    }


def test_chart_options_and_crd_cache_end_to_end(project_copy: Path, tmp_path: Path) -> None:
    _program(project_copy, "                    skip_await=True,\n")
    _templates(project_copy)
    chart_yaml = project_copy / "apps" / "web" / "chart" / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text() + "deprecated: true\n")
    (result,) = run_preview(project_copy, ["dev"], tmp_path / "out")
    state = json.loads((tmp_path / "out" / "dev" / "state.json").read_text())
    children = _children(state)
    # The program's CRD says Widget is namespaced: the CR gets the Chart's namespace.
    assert "web:web/gadget Widget" in children
    assert children["web:web/gadget Widget"]["type"] == "kubernetes:example.com/v1:Widget"
    # skipAwait annotates every child (yaml.go:354-381).
    assert all(
        c["inputs"]["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"
        for c in children.values()
    )
    # helm.sh/resource-policy: keep -> retainOnDelete (chart.go:321-344).
    assert children["web:web/kept ConfigMap"].get("retainOnDelete") is True
    assert "retainOnDelete" not in children["web:web/web Deployment"]
    # core/v1 is canonicalised, so the Secret's data is secret, never plaintext in state.
    secret = children["web:web/creds Secret"]
    assert secret["inputs"]["apiVersion"] == "v1"
    assert "hunter2" not in json.dumps(state)
    # An unresolved kind: no namespace, and the provider's warning in the diagnostics.
    assert "web:candidate LeaseCandidate" in children
    assert any(
        "app web (dev)" in d and "coordination.k8s.io/v1alpha2, Kind=LeaseCandidate" in d
        for d in result.preview.diagnostics
    )
    # chart.go:249-253: a deprecated chart is reported.
    assert (
        "warning: app web (dev): Using a deprecated Helm chart (web)" in result.preview.diagnostics
    )


def test_unmodelled_chart_option_fails_the_preview(project_copy: Path, tmp_path: Path) -> None:
    _program(project_copy, '                    post_renderer={"command": "kustomize"},\n')
    with pytest.raises(
        RenderError, match=r"app [a-z-]+ \(dev\): helm.v4.Chart input 'postRenderer'"
    ) as caught:
        run_preview(project_copy, ["dev"], tmp_path / "out")
    assert caught.value.exit_code == 2


def test_chart_metadata_from_a_directory_or_an_archive(tmp_path: Path) -> None:
    from aksflow.helm.render import chart_metadata
    from tests.helm.conftest import make_chart, package_chart

    chart = make_chart(tmp_path / "demo", name="demo", version="1.2.3")
    assert chart_metadata(chart)["version"] == "1.2.3"
    archive = tmp_path / "demo-1.2.3.tgz"
    archive.write_bytes(package_chart(chart, "demo", "1.2.3"))
    assert chart_metadata(archive)["name"] == "demo"
    assert chart_metadata(tmp_path / "missing") == {}
