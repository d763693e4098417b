"""``aksflow preview`` exit codes, messages and the never-half-written guarantee."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aksflow.cli import main


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_unknown_stack_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    code, out, err = invoke("preview", "--stack", "nope", "--out", str(tmp_path / "out"))
    assert code == 2
    assert (
        "unknown stack 'nope': Pulumi.nope.yaml not found (known stacks: dev, prod, staging)" in err
    )
    assert "Traceback" not in out + err
    assert not (tmp_path / "out").exists()


def test_success_writes_state_and_policy_files(tmp_path: Path) -> None:
    code, out, _ = invoke("preview", "--stack", "dev", "--out", str(tmp_path / "out"))
    assert code == 0, out
    state = json.loads((tmp_path / "out" / "dev" / "state.json").read_text())
    assert state["version"] == 3
    assert json.loads((tmp_path / "out" / "dev" / "policy.json").read_text())["evaluated"] > 0
    assert "Previewing update (dev):" in out
    assert "azure-native:containerservice:ManagedCluster" in out
    assert "to create" in out
    # no temp dirs left, inside or beside out/; the marker says aksflow owns the directory
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".aksflow-out", "dev"]
    assert not [p for p in tmp_path.iterdir() if p.is_dir() and p.name.startswith(".out.")]


def test_malformed_stack_file_exits_2_and_leaves_out_untouched(
    project_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert (
        invoke("preview", "--project-dir", str(project_copy), "--stack", "dev", "--out", str(out))[
            0
        ]
        == 0
    )
    before = (out / "dev" / "state.json").read_bytes()
    (project_copy / "Pulumi.prod.yaml").write_text("config:\n  aksflow:skuTier: [Free\n")
    code, _, err = invoke(
        "preview",
        "--project-dir",
        str(project_copy),
        "--stack",
        "dev",
        "--stack",
        "prod",
        "--out",
        str(out),
    )
    assert code == 2
    assert "Pulumi.prod.yaml:3: config.aksflow:skuTier[1]: invalid YAML" in err
    assert (out / "dev" / "state.json").read_bytes() == before
    assert not (out / "prod").exists()


def test_wrong_type_exits_2_naming_file_and_key(project_copy: Path, tmp_path: Path) -> None:
    (project_copy / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:privateCluster: maybe\n"
    )
    code, _, err = invoke(
        "preview",
        "--project-dir",
        str(project_copy),
        "--stack",
        "dev",
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 2
    # Pulumi.yaml declares no setting (a default there would hide the profile): the program
    # checks the type, under the CLI as offline.
    assert "Pulumi.dev.yaml: aksflow:privateCluster: must be true or false (got 'maybe')" in err


def test_invalid_value_exits_2_with_the_key_path(project_copy: Path, tmp_path: Path) -> None:
    stack = project_copy / "Pulumi.prod.yaml"
    stack.write_text(
        stack.read_text()
        + "  aksflow:nodePools:\n"
        + "    - {name: npuser01, vmSize: Standard_D4ds_v5}\n"
        + "    - name: npbatch01\n      vmSize: Standard_D8ds_v5\n"
        + "      minCount: 2\n      maxCount: 1\n"
    )
    code, _, err = invoke(
        "preview",
        "--project-dir",
        str(project_copy),
        "--stack",
        "prod",
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 2
    assert "Pulumi.prod.yaml: aksflow:nodePools[1].maxCount: must be >= minCount (2)" in err


def test_program_exception_exits_2_without_traceback(project_copy: Path, tmp_path: Path) -> None:
    program = project_copy / "infra" / "program.py"
    program.write_text(
        program.read_text().replace(
            "    cfg = config.from_pulumi()",
            "    cfg = config.from_pulumi()\n    raise KeyError('boom')",
        )
    )
    code, out, err = invoke(
        "preview",
        "--project-dir",
        str(project_copy),
        "--stack",
        "dev",
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 2
    assert "Pulumi.dev.yaml: the program failed: KeyError: 'boom'" in err
    assert "Traceback" not in out + err


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["--debug", "preview", "--stack", "nope", "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert result.exception is not None


@pytest.mark.parametrize("args", [["--help"], ["preview", "--help"]])
def test_help(args: list[str]) -> None:
    assert invoke(*args)[0] == 0


def test_chart_render_failure_exits_2_naming_app_environment_and_template(
    project_copy: Path, tmp_path: Path
) -> None:
    template = project_copy / "apps" / "web" / "chart" / "templates" / "service.yaml"
    template.write_text(template.read_text() + "\n{{ .Values.missing.field }}\n")
    out = tmp_path / "out"
    code, _, err = invoke(
        "preview", "--project-dir", str(project_copy), "--stack", "dev", "--out", str(out)
    )
    assert code == 2
    assert "app web (dev)" in err and "templates/service.yaml" in err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_values_breaking_the_chart_schema_exit_2(project_copy: Path, tmp_path: Path) -> None:
    values = project_copy / "apps" / "web" / "values-prod.yaml"
    values.write_text(values.read_text() + "\nreplicaCount: lots\n")
    code, _, err = invoke(
        "preview",
        "--project-dir",
        str(project_copy),
        "--stack",
        "prod",
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 2
    assert "app web (prod)" in err and "values.schema.json" in err
