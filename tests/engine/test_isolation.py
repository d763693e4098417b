"""Several previews in one process (as the test suite and a diff's base/head do) stay isolated."""

from __future__ import annotations

from pathlib import Path

import pytest

from aksflow.errors import RenderError
from aksflow.preview import run_preview
from tests.conftest import ROOT


def test_a_failed_stack_does_not_fail_the_next_preview(project_copy: Path, tmp_path: Path) -> None:
    values = project_copy / "apps" / "web" / "values-dev.yaml"
    text = values.read_text()
    assert "\nreplicaCount: 1\n" in text
    values.write_text(text.replace("\nreplicaCount: 1\n", "\nreplicaCount: lots\n"))
    with pytest.raises(RenderError, match=r"app web \(dev\)"):
        run_preview(project_copy, ["dev"], tmp_path / "broken")
    (result,) = run_preview(ROOT, ["dev"], tmp_path / "fine")
    assert result.report.evaluated > 0
    assert (tmp_path / "fine" / "dev" / "state.json").is_file()


def test_each_project_runs_its_own_program(project_copy: Path, tmp_path: Path) -> None:
    program = project_copy / "infra" / "program.py"
    program.write_text(
        program.read_text().replace('"rg", resource_group_name', '"rg2", resource_group_name')
    )
    (copy,) = run_preview(project_copy, ["dev"], tmp_path / "copy")
    (root,) = run_preview(ROOT, ["dev"], tmp_path / "root")
    urns = {r.urn.rsplit("::", 1)[-1] for r in copy.preview.records}
    assert "rg2" in urns and "rg" not in urns
    assert "rg" in {r.urn.rsplit("::", 1)[-1] for r in root.preview.records}
