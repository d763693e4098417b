"""A v4 Chart's inputs as pulumi-kubernetes reads them (provider/pkg/provider/helm/v4/chart.go)."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from aksflow.errors import RenderError
from aksflow.helm.options import INCLUDE_HOOKS_WARNING, chart_options, merge_maps


def test_defaults_follow_construct() -> None:
    """chart.go:180-187: release name and resource prefix default to the Chart's name."""
    result = chart_options("web", {"chart": "c"}, Path(), label="x")
    assert (result.release_name, result.resource_prefix, result.namespace) == (
        "web",
        "web",
        "default",
    )
    assert result.include_crds and not result.skip_await
    explicit = chart_options(
        "web",
        {"chart": "c", "name": "rel", "resourcePrefix": "", "namespace": "team"},
        Path(),
        label="x",
    )
    assert (explicit.release_name, explicit.resource_prefix, explicit.namespace) == (
        "rel",
        "",
        "team",
    )


def test_skip_crds_and_skip_await() -> None:
    """chart.go:229 IncludeCRDs = !SkipCrds; chart.go:301 SkipAwait."""
    result = chart_options(
        "web", {"chart": "c", "skipCrds": True, "skipAwait": True}, Path(), label="x"
    )
    assert not result.include_crds and result.skip_await


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("postRenderer", {"command": "kustomize"}),
        ("repositoryOpts", {"repo": "https://charts.example.com"}),
        ("dependencyUpdate", True),
        ("verify", True),
        ("devel", True),
        ("plainHttp", True),
        ("somethingNew", "x"),
    ],
)
def test_options_not_modelled_offline_are_refused(key: str, value: object) -> None:
    """chart.go:208-241: these change the render in ways that need the network or a program."""
    with pytest.raises(
        RenderError, match=rf"app web \(dev\): helm.v4.Chart input '{key}' is set"
    ) as caught:
        chart_options("web", {"chart": "c", key: value}, Path(), label="app web (dev)")
    assert caught.value.exit_code == 2


def test_unset_options_are_fine() -> None:
    """unwrapChartArgs (chart.go:92-133): zero values change nothing."""
    chart_options(
        "web",
        {"chart": "c", "verify": False, "repositoryOpts": {}, "postRenderer": None},
        Path(),
        label="x",
    )


def test_include_hooks_warns_as_the_provider_does() -> None:
    """chart.go:270-277: without renderYamlToDirectory, includeHooks is ignored with a warning."""
    result = chart_options("web", {"chart": "c", "includeHooks": True}, Path(), label="x")
    assert result.warnings == (INCLUDE_HOOKS_WARNING,)


def test_value_yaml_files_then_values(tmp_path: Path) -> None:
    """values.go:37-65 MergeValues: files in order, then the literal values, merged by MergeMaps."""
    (tmp_path / "base.yaml").write_text("image: {repo: a, tag: '1'}\nreplicas: 1\nlist: [1, 2]\n")
    result = chart_options(
        "web",
        {
            "chart": "c",
            "valueYamlFiles": [
                pulumi.FileAsset("base.yaml"),
                pulumi.StringAsset("image: {tag: '2'}\nlist: [3]\n"),
            ],
            "values": {"replicas": 3, "config": pulumi.StringAsset("inline text")},
        },
        tmp_path,
        label="x",
    )
    assert result.values == {
        "image": {"repo": "a", "tag": "2"},
        "replicas": 3,
        "list": [3],
        "config": "inline text",  # values.go:120-125: an asset value becomes its text
    }


def test_value_yaml_files_errors(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"valueYamlFiles\[0\]: failed to read file"):
        chart_options(
            "web", {"valueYamlFiles": [pulumi.FileAsset("missing.yaml")]}, tmp_path, label="x"
        )
    with pytest.raises(RenderError, match="reads local files only"):
        chart_options(
            "web",
            {"valueYamlFiles": [pulumi.RemoteAsset("https://example.com/v.yaml")]},
            tmp_path,
            label="x",
        )
    with pytest.raises(RenderError, match="must hold a mapping"):
        chart_options("web", {"valueYamlFiles": [pulumi.StringAsset("- a\n")]}, tmp_path, label="x")


def test_merge_maps_replaces_non_maps() -> None:
    """upstream.go:21-38 MergeMaps: only map into map merges."""
    assert merge_maps({"a": {"b": 1}, "c": {"d": 1}}, {"a": {"e": 2}, "c": 5}) == {
        "a": {"b": 1, "e": 2},
        "c": 5,
    }


def test_unknown_inputs_register_no_children() -> None:
    """chart.go:169-179: unknown inputs at preview -> no children and a warning."""
    from pulumi.output import Unknown

    from aksflow.preview import _ChartExpander, _RendererFactory
    from aksflow.project import load_project
    from tests.helm.conftest import ROOT

    expander = _ChartExpander(load_project(ROOT), _RendererFactory(None), "dev", "1.34")
    inputs = {"chart": "../apps/web/chart", "values": {"image": {"tag": Unknown()}}}  # type: ignore[no-untyped-call]
    assert expander("web", inputs) == []
    assert expander.warnings == [
        "warning: app web (dev): Input properties have unknown values. Preview is incomplete."
    ]
    assert expander.error is None
