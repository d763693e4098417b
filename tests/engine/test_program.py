"""The offline engine runs the program as Pulumi's Python language host does.

Upstream (pulumi/pulumi): ``pkg/engine/project.go`` getPwdMain (working directory = ``main``),
``sdk/python/cmd/pulumi-language-python/main.go`` (``constructArguments``: ``--pwd`` and the
entry point ``"."``; ``Run``: ``PULUMI_CONFIG``/``PULUMI_CONFIG_SECRET_KEYS`` in the environment),
``sdk/python/cmd/pulumi-language-python-exec`` (``set_all_config(get_config_env(), ...)``,
``sys.argv = [PROGRAM]``, ``os.chdir(pwd)``, ``runpy.run_path(PROGRAM)``) and
``pkg/resource/plugin/provider_plugin.go`` / ``plugin.go`` (providers start with
``cmd.Dir = pwd``).
Chart lookup: helm v3 ``pkg/action/install.go`` ``LocateChart``, called by pulumi-kubernetes
``provider/pkg/helm/tool.go`` from ``provider/pkg/provider/helm/v4/chart.go``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aksflow.engine.charts import locate_chart
from aksflow.engine.program import ProgramLocation, config_environment, locate_program
from aksflow.errors import ProjectError, RenderError
from aksflow.preview import run_preview
from tests.conftest import ROOT

PROBE = """
import json as _json, os as _os, sys as _sys
_HOST = {
    "cwd": _os.getcwd(),
    "argv": list(_sys.argv),
    "path0": _sys.path[0],
    "config": _json.loads(_os.environ.get("PULUMI_CONFIG", "{}")),
    "secretKeys": _json.loads(_os.environ.get("PULUMI_CONFIG_SECRET_KEYS", "null")),
}
"""


def _stack_outputs(state: dict[str, Any]) -> dict[str, Any]:
    (stack,) = [r for r in state["deployment"]["resources"] if r["type"] == "pulumi:pulumi:Stack"]
    return dict(stack.get("outputs") or {})


def test_the_program_runs_in_main_with_the_hosts_argv_path_and_config(
    project_copy: Path, tmp_path: Path
) -> None:
    entry = project_copy / "infra" / "__main__.py"
    text = entry.read_text()
    entry.write_text(PROBE + text + '\nimport pulumi\npulumi.export("host", _json.dumps(_HOST))\n')
    project_file = project_copy / "Pulumi.yaml"
    project_file.write_text(
        project_file.read_text()
        # Another namespace's keys carry a value, never a type or default (Project.Validate),
        # in full or shorthand form (RewriteShorthandConfigValues).
        + "  probe:retries:\n    value: 3\n"
        + "  probe:mode: fast\n"
    )
    (result,) = run_preview(project_copy, ["dev"], tmp_path / "out")
    host = json.loads(_stack_outputs(result.preview.state)["host"])
    assert Path(host["cwd"]) == (project_copy / "infra").resolve()
    assert host["argv"] == ["."]
    assert host["path0"] == "."  # runpy.run_path(".") puts the entry point first
    # Pulumi.yaml defaults merged with the stack file, every value Pulumi's string encoding;
    # the environment's profile is not the host's: the program merges it (infra/config.py).
    assert host["config"] == {
        "aksflow:environment": "dev",  # every stack names its environment
        "aksflow:vnetAddressSpace": "10.10.0.0/16",
        "probe:retries": "3",
        "probe:mode": "fast",
    }
    assert host["secretKeys"] == []


def test_the_program_leaves_no_trace_in_the_process(tmp_path: Path) -> None:
    import os
    import sys

    cwd, argv, path = Path.cwd(), list(sys.argv), list(sys.path)
    run_preview(ROOT, ["dev"], tmp_path / "out")
    assert (Path.cwd(), sys.argv, sys.path) == (cwd, argv, path)
    assert "PULUMI_CONFIG" not in os.environ


def test_chart_paths_in_the_program_resolve_from_main(previewed: dict[str, Any]) -> None:
    for stack in ("dev", "staging", "prod"):
        charts = json.loads((previewed["out"] / stack / "charts.json").read_text())["charts"]
        assert charts
        for inputs in charts.values():
            chart = inputs["chart"]
            assert not Path(chart).is_absolute()
            assert (ROOT / "infra" / chart / "Chart.yaml").is_file(), chart


def test_a_project_relative_chart_path_fails_as_under_the_real_provider(
    project_copy: Path, tmp_path: Path
) -> None:
    """``helm template web apps/web/chart`` run in ``infra/`` fails: ``repo apps not found``."""
    workloads = project_copy / "infra" / "components" / "workloads.py"
    workloads.write_text(workloads.read_text().replace("release.chart_ref", "release.chart"))
    with pytest.raises(RenderError, match=r"Helm repository named 'apps'"):
        run_preview(project_copy, ["dev"], tmp_path / "out")


def test_locate_program_follows_get_pwd_main(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "__main__.py").write_text("")
    (tmp_path / "prog.py").write_text("")
    assert locate_program(tmp_path, tmp_path) == ProgramLocation(tmp_path, ".")
    assert locate_program(tmp_path, tmp_path / "infra") == ProgramLocation(tmp_path / "infra", ".")
    assert locate_program(tmp_path, tmp_path / "prog.py") == ProgramLocation(tmp_path, "prog.py")
    with pytest.raises(ProjectError, match="project 'main' could not be read"):
        locate_program(tmp_path, tmp_path / "missing")


def test_config_environment_is_what_the_host_marshals() -> None:
    env = config_environment({"p:a": "1", "p:b": '["x"]'}, [])
    assert json.loads(env["PULUMI_CONFIG"]) == {"p:a": "1", "p:b": '["x"]'}
    assert env["PULUMI_CONFIG_SECRET_KEYS"] == "[]"  # constructConfigSecretKeys: never empty


class TestLocateChart:
    """helm ``LocateChart``: stat first, then ``.``/absolute fail, then a repository lookup."""

    @pytest.fixture
    def main(self, tmp_path: Path) -> Path:
        (tmp_path / "apps" / "web" / "chart").mkdir(parents=True)
        (tmp_path / "infra").mkdir()
        return tmp_path / "infra"

    def test_a_relative_path_resolves_from_the_working_directory(self, main: Path) -> None:
        found = locate_chart({"chart": " ../apps/web/chart "}, main, label="app web")
        assert found == (main.parent / "apps" / "web" / "chart").resolve()

    def test_an_absolute_path_is_taken_as_is(self, main: Path) -> None:
        chart = main.parent / "apps" / "web" / "chart"
        assert locate_chart({"chart": str(chart)}, main, label="app web") == chart.resolve()

    @pytest.mark.parametrize("name", ["./chart", "../nowhere", "/abs/nowhere"])
    def test_a_missing_dot_or_absolute_path_is_not_found(self, main: Path, name: str) -> None:
        with pytest.raises(RenderError, match=r"path .* not found"):
            locate_chart({"chart": name}, main, label="app web")

    @pytest.mark.parametrize(
        ("inputs", "expected"),
        [
            ({"chart": "apps/web/chart"}, "Helm repository named 'apps'"),
            ({"chart": "oci://registry.example/charts/web"}, "OCI registry chart"),
            (
                {"chart": "web", "repositoryOpts": {"repo": "https://charts.example"}},
                "from repository https://charts.example",
            ),
        ],
    )
    def test_remote_charts_are_recognised_and_refused_offline(
        self, main: Path, inputs: dict[str, Any], expected: str
    ) -> None:
        with pytest.raises(RenderError, match=expected):
            locate_chart(inputs, main, label="app web")
