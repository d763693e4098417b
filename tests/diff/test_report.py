"""Outputs: both files or neither, the step summary, the run link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aksflow.diff.model import DiffReport, Revision
from aksflow.diff.report import run_link, write_outputs

REPORT = DiffReport(Revision("main", "a" * 40), Revision("HEAD", "b" * 40), ())


def test_writes_both_files_and_appends_the_step_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    comment, diff_json = write_outputs(
        tmp_path / "out", REPORT, "body", env={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert comment.read_text() == "body"
    assert json.loads(diff_json.read_text())["exitStatus"] == 0
    assert summary.read_text() == "earlier step\nbody\n"
    assert sorted(p.name for p in (tmp_path / "out" / "pr").iterdir()) == [
        "comment.md",
        "diff.json",
    ]


def test_a_failure_leaves_the_previous_outputs_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_outputs(tmp_path, REPORT, "old", env={})

    def boom(self: DiffReport) -> dict[str, object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(DiffReport, "to_json", boom)
    with pytest.raises(RuntimeError):
        write_outputs(tmp_path, REPORT, "new", env={})
    assert (tmp_path / "pr" / "comment.md").read_text() == "old"
    assert sorted(p.name for p in (tmp_path / "pr").iterdir()) == ["comment.md", "diff.json"]


def test_run_link_only_inside_actions() -> None:
    assert run_link({}) == {}
    env = {
        "GITHUB_SERVER_URL": "https://github.com/",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_RUN_ID": "42",
    }
    assert run_link(env) == {"run": "https://github.com/o/r/actions/runs/42"}
