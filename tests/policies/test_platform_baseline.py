"""platform-baseline guards every app namespace, derived from the app declarations.

A new app needs no second edit: ``apps/platform-baseline/app.yaml`` sets
``appNamespacesValue: namespaces`` and ``infra/apps.py`` hands the chart the namespaces of every
other app enabled in the environment; ``k8s-namespace-baseline`` then finds each namespace with
workloads guarded by a ResourceQuota, a LimitRange and default-deny NetworkPolicies.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from aksflow.errors import ConfigError, RenderError
from aksflow.helm.render import RenderRequest, make_renderer
from aksflow.preview import run_preview
from infra.apps import AppRelease, load_releases
from tests.conftest import ROOT, copy_project

BASELINE = "platform-baseline"


def _baseline(project: Path, environment: str) -> AppRelease:
    return next(r for r in load_releases(project, environment) if r.app == BASELINE)


def _render(project: Path, release: AppRelease, environment: str) -> list[dict[str, object]]:
    request = RenderRequest(
        chart=project / release.chart,
        release_name=release.release_name,
        namespace=release.namespace,
        values=release.values,
        kube_version="1.34",
        app=release.app,
        environment=environment,
    )
    return [o.manifest for o in make_renderer().render(request)]


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_namespaces_are_those_of_the_other_enabled_apps(environment: str) -> None:
    releases = load_releases(ROOT, environment)
    others = sorted({r.namespace for r in releases if r.app != BASELINE})
    assert _baseline(ROOT, environment).values["namespaces"] == others
    assert others  # web everywhere, batch outside dev


def _add_app(project: Path, name: str) -> None:
    shutil.copytree(project / "apps" / "web", project / "apps" / name)
    app = project / "apps" / name / "app.yaml"
    text = re.sub(r"(?m)^namespace: .*$", f"namespace: {name}", app.read_text())
    app.write_text(re.sub(r"(?m)^releaseName: .*$", f"releaseName: {name}", text))


def _namespace_findings(project: Path, out: Path) -> tuple[list[str], set[str]]:
    (result,) = run_preview(project, ["staging"], out)
    findings = [v.message for v in result.report.violations if v.policy == "k8s-namespace-baseline"]
    quotas = {
        r["inputs"]["metadata"]["namespace"]
        for r in result.preview.state["deployment"]["resources"]
        if r["type"] == "kubernetes:core/v1:ResourceQuota"
    }
    return findings, quotas


def test_a_new_app_is_guarded_without_a_second_edit(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    _add_app(project, "shop")
    findings, quotas = _namespace_findings(project, tmp_path / "out")
    assert findings == []
    assert quotas == {"web", "batch", "shop"}


def test_without_the_derivation_the_policy_catches_the_unguarded_namespace(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    _add_app(project, "shop")
    app = project / "apps" / BASELINE / "app.yaml"
    app.write_text(app.read_text().replace("appNamespacesValue: namespaces", ""))
    values = project / "apps" / BASELINE / "values-staging.yaml"
    values.write_text("namespaces: [web, batch]\n")
    findings, quotas = _namespace_findings(project, tmp_path / "out")
    assert quotas == {"web", "batch"}
    assert len(findings) == 1 and "namespace 'shop' runs workloads" in findings[0]


def test_values_may_not_set_the_derived_key(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "apps" / BASELINE / "values-staging.yaml").write_text("namespaces: [web]\n")
    with pytest.raises(ConfigError, match=r"^apps/platform-baseline/app.yaml: appNamespacesValue"):
        load_releases(project, "staging")


def test_overrides_apply_per_namespace_and_a_typo_fails_the_render(tmp_path: Path) -> None:
    quotas = {
        m["metadata"]["namespace"]: m["spec"]["hard"]  # type: ignore[index]
        for m in _render(ROOT, _baseline(ROOT, "prod"), "prod")
        if m["kind"] == "ResourceQuota"
    }
    assert quotas["web"]["requests.cpu"] == "8" and quotas["batch"]["requests.cpu"] == "4"
    project = copy_project(tmp_path / "project")
    (project / "apps" / BASELINE / "values-dev.yaml").write_text(
        "namespaceOverrides:\n  batch:\n    quota:\n      pods: '5'\n"
    )
    with pytest.raises(RenderError, match=r"namespaceOverrides\.batch: no app enabled"):
        _render(project, _baseline(project, "dev"), "dev")  # batch-worker is not in dev
