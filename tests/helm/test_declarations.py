"""App declarations: validation messages, enabled environments, values merging, vendored charts."""

from __future__ import annotations

from pathlib import Path

import pytest

from aksflow.errors import ConfigError, RenderError
from aksflow.helm import declarations
from aksflow.helm.lock import ChartLock, sha256_digest, write_lock
from infra.apps import load_releases
from tests.helm.conftest import ROOT, make_chart, package_chart, write, write_yaml


def declare(project: Path, app: str, **fields: object) -> Path:
    data: dict[str, object] = {
        "chart": {"path": "chart"},
        "namespace": app,
        "environments": ["dev", "prod"],
    }
    data.update(fields)
    app_dir = project / "apps" / app
    write_yaml(app_dir / "app.yaml", data)
    return app_dir


def test_app_environments_come_from_environments_yaml(project: Path) -> None:
    """A new environment in environments.yaml is valid in app.yaml with no other edit."""
    (project / "environments.yaml").write_text(
        "environments:\n  - name: dev\n  - name: qa\n  - name: prod\n"
    )
    app = project / "apps" / "web"
    app.mkdir()
    (app / "app.yaml").write_text("chart: {path: chart}\nnamespace: web\nenvironments: [qa]\n")
    (app / "values-qa.yaml").write_text("{}\n")
    (declaration,) = declarations.load_declarations(project)
    assert declaration.environments == ("qa",)


@pytest.mark.parametrize(
    ("environment", "apps"),
    [
        ("dev", ["platform-baseline", "web"]),
        ("staging", ["batch-worker", "platform-baseline", "web"]),
        ("prod", ["batch-worker", "platform-baseline", "web"]),
    ],
)
def test_shipped_apps_enabled_per_environment(environment: str, apps: list[str]) -> None:
    releases = load_releases(ROOT, environment)
    assert [r.app for r in releases] == apps
    web = next(r for r in releases if r.app == "web")
    assert (web.chart, web.namespace, web.release_name, web.chart_version) == (
        "apps/web/chart",
        "web",
        "web",
        None,
    )


def test_disabled_app_is_absent(project: Path) -> None:
    make_chart(declare(project, "only-prod", environments=["prod"]) / "chart")
    assert load_releases(project, "dev") == []
    assert [r.app for r in load_releases(project, "prod")] == ["only-prod"]


def test_values_deep_merged_per_environment(project: Path) -> None:
    app_dir = declare(project, "svc")
    make_chart(app_dir / "chart")
    write_yaml(app_dir / "values.yaml", {"image": {"repository": "r", "tag": "1"}, "ports": [80]})
    write_yaml(app_dir / "values-prod.yaml", {"image": {"tag": "2"}, "ports": [443], "gone": None})
    (prod,) = load_releases(project, "prod")
    assert prod.values == {"image": {"repository": "r", "tag": "2"}, "ports": [443], "gone": None}
    (dev,) = load_releases(project, "dev")
    assert dev.values == {"image": {"repository": "r", "tag": "1"}, "ports": [80]}


def test_shipped_prod_values_override_the_chart() -> None:
    prod = {r.app: r for r in load_releases(ROOT, "prod")}
    dev = {r.app: r for r in load_releases(ROOT, "dev")}
    assert prod["web"].values["image"]["digest"].startswith("sha256:")
    assert prod["web"].values["image"]["requireDigest"] is True
    assert dev["web"].values["replicaCount"] == 1
    assert dev["web"].values["autoscaling"] == {"enabled": False}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"environments": ["dev", "staging", "qa"]},
            "apps/bad/app.yaml: environments[2]: 'qa' is not one of dev, staging, prod",
        ),
        ({"namespace": "default"}, "apps/bad/app.yaml: namespace: 'default' is reserved"),
        ({"namespace": "Web_1"}, "apps/bad/app.yaml: namespace: 'Web_1' is not a DNS label"),
        (
            {"colour": "red"},
            "apps/bad/app.yaml: colour: unknown key (allowed: appNamespacesValue, chart, description",
        ),
        (
            {"chart": {"repository": "https://charts.example.com", "name": "x", "version": "^1.2"}},
            "apps/bad/app.yaml: chart.version: '^1.2' is not an exact chart version",
        ),
        (
            {"chart": {"repository": "https://charts.example.com", "name": "x"}},
            "apps/bad/app.yaml: chart.version: required for a remote chart",
        ),
        (
            {"chart": {"path": "chart", "version": "1.0.0"}},
            "apps/bad/app.yaml: chart.version: a local chart (chart.path) takes no version",
        ),
        ({"chart": {}}, "apps/bad/app.yaml: chart: give either path"),
    ],
)
def test_bad_declaration_names_file_and_key(
    project: Path, fields: dict[str, object], message: str
) -> None:
    declare(project, "bad", **fields)
    with pytest.raises(ConfigError) as excinfo:
        load_releases(project, "dev")
    assert message in str(excinfo.value)


def test_missing_required_key_is_named(project: Path) -> None:
    write_yaml(
        project / "apps" / "bad" / "app.yaml", {"chart": {"path": "chart"}, "namespace": "x"}
    )
    with pytest.raises(
        ConfigError, match=r"apps/bad/app.yaml: environments: required key is missing"
    ):
        load_releases(project, "dev")


def test_values_file_for_unknown_environment(project: Path) -> None:
    app_dir = declare(project, "svc")
    make_chart(app_dir / "chart")
    write(app_dir / "values-qa.yaml", "a: 1\n")
    with pytest.raises(ConfigError, match=r"apps/svc/values-qa.yaml: 'qa' is not an environment"):
        load_releases(project, "dev")


def test_values_file_must_be_a_mapping(project: Path) -> None:
    app_dir = declare(project, "svc")
    make_chart(app_dir / "chart")
    write(app_dir / "values-dev.yaml", "- a\n")
    with pytest.raises(ConfigError, match=r"apps/svc/values-dev.yaml: expected a mapping"):
        load_releases(project, "dev")


def test_duplicate_release_in_namespace(project: Path) -> None:
    make_chart(declare(project, "one", namespace="shared", releaseName="same") / "chart")
    make_chart(declare(project, "two", namespace="shared", releaseName="same") / "chart")
    with pytest.raises(ConfigError, match=r"apps/two/app.yaml: releaseName: 'same'.*app one"):
        load_releases(project, "dev")


def test_missing_local_chart(project: Path) -> None:
    declare(project, "svc")
    with pytest.raises(
        RenderError, match=r"app svc \(dev\): missing chart: .*apps/svc/chart has no Chart.yaml"
    ):
        load_releases(project, "dev")


def test_local_chart_outside_the_project(project: Path) -> None:
    declare(project, "svc", chart={"path": "../../../elsewhere"})
    with pytest.raises(
        ConfigError,
        match=r"apps/svc/app.yaml: chart.path: '../../../elsewhere' points outside the project",
    ):
        load_releases(project, "dev")


def _remote(project: Path, tmp_path: Path) -> tuple[Path, bytes]:
    app_dir = declare(
        project,
        "ext",
        chart={
            "repository": "https://charts.example.com/stable",
            "name": "ext",
            "version": "1.2.3",
        },
    )
    data = package_chart(make_chart(tmp_path / "src", "ext", "1.2.3"), "ext", "1.2.3")
    return app_dir, data


def test_remote_chart_not_vendored(project: Path, tmp_path: Path) -> None:
    _remote(project, tmp_path)
    with pytest.raises(
        RenderError, match=r"missing chart: apps/ext/app.yaml: chart: ext 1.2.3 is not vendored"
    ):
        load_releases(project, "dev")


def test_vendored_chart_resolves_to_verified_archive(project: Path, tmp_path: Path) -> None:
    app_dir, data = _remote(project, tmp_path)
    write(app_dir / "charts" / "placeholder", "")
    (app_dir / "charts" / "ext-1.2.3.tgz").write_bytes(data)
    lock = ChartLock(
        "https://charts.example.com/stable",
        "ext",
        "1.2.3",
        "charts/ext-1.2.3.tgz",
        sha256_digest(data),
    )
    write_lock(app_dir, lock)
    (release,) = load_releases(project, "dev")
    assert (release.chart, release.chart_version) == ("apps/ext/charts/ext-1.2.3.tgz", "1.2.3")


def test_vendored_chart_digest_mismatch(project: Path, tmp_path: Path) -> None:
    app_dir, data = _remote(project, tmp_path)
    (app_dir / "charts").mkdir()
    (app_dir / "charts" / "ext-1.2.3.tgz").write_bytes(data + b"tampered")
    lock = ChartLock(
        "https://charts.example.com/stable",
        "ext",
        "1.2.3",
        "charts/ext-1.2.3.tgz",
        sha256_digest(data),
    )
    write_lock(app_dir, lock)
    with pytest.raises(
        RenderError,
        match=r"app ext \(dev\): digest mismatch for chart .*ext-1.2.3.tgz: .*chart.lock.yaml records sha256:",
    ):
        load_releases(project, "dev")


def test_lock_for_another_version_is_stale(project: Path, tmp_path: Path) -> None:
    app_dir, data = _remote(project, tmp_path)
    (app_dir / "charts").mkdir()
    (app_dir / "charts" / "ext-1.2.2.tgz").write_bytes(data)
    lock = ChartLock(
        "https://charts.example.com/stable",
        "ext",
        "1.2.2",
        "charts/ext-1.2.2.tgz",
        sha256_digest(data),
    )
    write_lock(app_dir, lock)
    with pytest.raises(RenderError, match=r"pins ext 1.2.3 .* but the lock has ext 1.2.2"):
        load_releases(project, "dev")


def test_unknown_environment(project: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"'qa' is not an environment \(one of dev, staging, prod"
    ):
        load_releases(project, "qa")
