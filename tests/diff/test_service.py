"""``aksflow diff`` orchestration on real git histories with a fake preview (the seam).

The fake previews a project by reading ``fake.json`` from the revision's checkout, so these
tests exercise git resolution, worktrees, parallelism, reuse, outputs and exit codes quickly;
tests/diff/test_e2e.py runs the same command with the real ``aksflow preview``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aksflow.diff.cli import diff as diff_command
from aksflow.diff.runner import (
    PreviewFailed,
    PreviewOutcome,
    SubprocessPreviewRunner,
    error_message,
)
from aksflow.errors import GitError
from aksflow.parallel import available_cpus
from tests.diff import gitrepo
from tests.diff.builders import POOL_T, pool, res, state


class FakeRunner:
    """Writes state.json/policy.json from the checkout's fake.json; fails on a BROKEN file."""

    def __init__(self, barrier: threading.Barrier | None = None) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.judged: list[tuple[Path | None, Any]] = []
        self.code_roots: list[tuple[str, Path | None]] = []
        self.aksflows: dict[str, str] = {}
        self.barrier = barrier
        self._lock = threading.Lock()

    def run(
        self,
        project_dir: Path,
        stacks: Sequence[str],
        out_dir: Path,
        code_root: Path | None = None,
    ) -> PreviewOutcome:
        with self._lock:
            self.calls.append((out_dir.name.removeprefix("out-"), tuple(stacks)))
            self.code_roots.append((out_dir.name.removeprefix("out-"), code_root))
            if code_root is not None:  # what the child would import, while the worktree exists
                self.aksflows[out_dir.name.removeprefix("out-")] = (
                    code_root / "aksflow" / "__init__.py"
                ).read_text()
        if self.barrier is not None:
            self.barrier.wait(timeout=10)  # both previews must be running at the same time
        if (project_dir / "BROKEN").exists():
            return PreviewOutcome(
                2, out_dir, "Pulumi.dev.yaml: aksflow:nodePools[0].vmSize: required"
            )
        spec = json.loads((project_dir / "fake.json").read_text())
        worst = 0
        for stack in stacks:
            pools = [
                res(POOL_T, n, pool(n, **kw), stack=stack)
                for n, kw in spec["pools"].get(stack, {}).items()
            ]
            violations = spec.get("violations", {}).get(stack, [])
            (out_dir / stack).mkdir(parents=True)
            (out_dir / stack / "state.json").write_text(json.dumps(state(*pools, stack=stack)))
            (out_dir / stack / "policy.json").write_text(
                json.dumps({"evaluated": len(pools), "violations": violations})
            )
            worst = max(worst, 1 if any(v["level"] == "mandatory" for v in violations) else 0)
        return PreviewOutcome(worst, out_dir)

    def session(self) -> AbstractContextManager[None]:
        return nullcontext()

    def judge(self, code_root: Path | None, request: Path, out_dir: Path) -> PreviewOutcome:
        """Stands in for the base's gate: the head's own reports are the verdict."""
        self.judged.append((code_root, json.loads(request.read_text())))
        worst = 0
        for entry in self.judged[-1][1]["stacks"]:
            report = json.loads(Path(entry["headReport"]).read_text())
            (out_dir / entry["stack"]).mkdir(parents=True)
            (out_dir / entry["stack"] / "policy.json").write_text(json.dumps(report))
            if any(v["level"] == "mandatory" for v in report["violations"]):
                worst = 1
        return PreviewOutcome(worst, out_dir)


def write_project(
    repo: Path, spec: dict[str, Any], stacks: Sequence[str] = ("dev", "prod")
) -> None:
    (repo / "Pulumi.yaml").write_text("name: aksflow\nruntime: python\nmain: infra/\n")
    for stack in stacks:
        (repo / f"Pulumi.{stack}.yaml").write_text(
            spec.get("stackfiles", {}).get(stack, "config: {}\n")
        )
    (repo / "fake.json").write_text(
        json.dumps({k: v for k, v in spec.items() if k != "stackfiles"})
    )
    (repo / "policies" / "config").mkdir(parents=True, exist_ok=True)
    for env, levels in spec.get("levels", {}).items():
        (repo / "policies" / "config" / f"{env}.json").write_text(json.dumps(levels))


BASE_SPEC: dict[str, Any] = {
    "pools": {"dev": {"npuser01": {}}, "prod": {"npuser01": {"minCount": 3}}},
    "levels": {"dev": {"all": "advisory"}, "prod": {"all": "mandatory"}},
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    gitrepo.init(path)
    write_project(path, BASE_SPEC)
    gitrepo.commit(path, "base")
    return path


def run(repo: Path, runner: Any, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(
        diff_command,
        ["--project-dir", str(repo), "--out", str(repo.parent / "out"), *args],
        obj={"diff_runner": runner},
        env=env,
    )


def change(repo: Path, **updates: Any) -> None:
    spec = json.loads(json.dumps(BASE_SPEC))
    for key, value in updates.items():
        spec[key] = value
    write_project(repo, spec)
    gitrepo.commit(repo, "change")


def test_base_and_head_are_previewed_in_parallel_worktrees_and_removed(repo: Path) -> None:
    change(
        repo,
        pools={
            "dev": {"npuser01": {"vmSize": "Standard_D4ds_v5"}},
            "prod": {"npuser01": {"minCount": 3}},
        },
    )
    (repo / "scratch.txt").write_text("uncommitted work")  # must survive untouched
    runner = FakeRunner(threading.Barrier(2))
    result = run(repo, runner, "--base", "HEAD~1", "--head", "HEAD")
    assert result.exit_code == 0, result.output
    assert sorted(runner.calls) == [("base", ("dev", "prod")), ("head", ("dev", "prod"))]
    doc = json.loads((repo.parent / "out" / "pr" / "diff.json").read_text())
    dev, prod = doc["stacks"]
    assert (dev["status"], dev["counts"]["replace"]) == ("changed", 1)
    assert prod["status"] == "no changes"
    assert doc["risks"][0]["level"] == "high" and "vmSize" in doc["risks"][0]["message"]
    assert gitrepo.git(repo, "worktree", "list").count("\n") == 1
    assert (repo / "scratch.txt").read_text() == "uncommitted work"
    assert "dev" in result.output and "Wrote" in result.output


def test_identical_project_trees_are_previewed_once(repo: Path) -> None:
    gitrepo.commit(repo, "empty change")  # same tree, different commit
    runner = FakeRunner()
    result = run(repo, runner, "--base", "HEAD~1", "--head", "HEAD")
    assert result.exit_code == 0, result.output
    assert runner.calls == [("head", ("dev", "prod"))]
    doc = json.loads((repo.parent / "out" / "pr" / "diff.json").read_text())
    assert doc["reusedBasePreview"] and not doc["hasChanges"]
    assert "no changes" in (repo.parent / "out" / "pr" / "comment.md").read_text()


def test_a_stack_file_only_change_previews_only_that_stack_at_the_base(repo: Path) -> None:
    spec = json.loads(json.dumps(BASE_SPEC))
    spec["stackfiles"] = {"prod": "config:\n  aksflow:x: 2\n"}
    write_project(repo, spec)
    gitrepo.commit(repo, "prod only")
    runner = FakeRunner()
    result = run(
        repo, runner, "--base", "HEAD~1", "--head", "HEAD", "--stack", "dev", "--stack", "prod"
    )
    assert result.exit_code == 0, result.output
    assert sorted(runner.calls) == [("base", ("prod",)), ("head", ("dev", "prod"))]


def test_policy_enforcement_changes_are_called_out(repo: Path) -> None:
    change(repo, levels={"dev": {"all": "advisory"}, "prod": {"all": "advisory"}})
    result = run(repo, FakeRunner(), "--base", "HEAD~1", "--head", "HEAD")
    assert result.exit_code == 0, result.output
    doc = json.loads((repo.parent / "out" / "pr" / "diff.json").read_text())
    prod = doc["stacks"][1]
    assert prod["enforcementChanges"] == [
        {
            "environment": "prod",
            "policy": "all",
            "old": "mandatory",
            "new": "advisory",
            "loosened": True,
        }
    ]
    assert doc["risks"][0]["category"] == "enforcement"


def test_a_new_stack_joins_its_environments_levels_without_an_enforcement_change(
    repo: Path,
) -> None:
    """Adding a second prod stack changes no policy level: prod's config is the base's."""
    spec = json.loads(json.dumps(BASE_SPEC))
    spec["stackfiles"] = {"prod-neu": "config:\n  aksflow:environment: prod\n"}
    spec["pools"]["prod-neu"] = {"npuser01": {"minCount": 3}}
    write_project(repo, spec, stacks=("dev", "prod", "prod-neu"))
    gitrepo.commit(repo, "a second prod stack")
    result = run(repo, FakeRunner(), "--base", "HEAD~1", "--head", "HEAD")
    assert result.exit_code == 0, result.output
    doc = json.loads((repo.parent / "out" / "pr" / "diff.json").read_text())
    neu = next(s for s in doc["stacks"] if s["stack"] == "prod-neu")
    assert neu["environment"] == "prod"
    assert neu["enforcementChanges"] == []
    assert not [r for r in doc["risks"] if r["category"] == "enforcement"]


def test_a_mandatory_violation_at_the_head_exits_1_and_is_in_the_comment(
    repo: Path, tmp_path: Path
) -> None:
    violation = {
        "policy": "aks-no-public-ip",
        "level": "mandatory",
        "severity": "high",
        "urn": "urn:x::np",
        "file": "infra/x.py",
        "line": 4,
        "message": "desc\nnode public IPs are forbidden",
    }
    change(repo, violations={"prod": [violation]})
    summary = tmp_path / "summary.md"
    result = run(
        repo,
        FakeRunner(),
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 1, result.output
    text = (repo.parent / "out" / "pr" / "comment.md").read_text()
    assert (
        "`aks-no-public-ip`" in text
        and text.index("#### New policy findings (1)") < text.index("`aks-no-public-ip`")
        and "node public IPs are forbidden" in text
    )
    assert summary.read_text() == text


def test_unknown_revision_is_a_git_error_and_writes_nothing(repo: Path) -> None:
    result = run(repo, FakeRunner(), "--base", "no-such-branch", "--head", "HEAD")
    assert isinstance(result.exception, GitError) and result.exception.exit_code == 2
    assert "no-such-branch" in str(result.exception)
    assert not (repo.parent / "out").exists()


def test_a_broken_head_fails_with_its_message_and_still_writes_an_error_comment(repo: Path) -> None:
    (repo / "BROKEN").write_text("")
    gitrepo.commit(repo, "break")
    result = run(repo, FakeRunner(), "--base", "HEAD~1", "--head", "HEAD")
    assert isinstance(result.exception, PreviewFailed) and result.exception.exit_code == 2
    assert "head HEAD" in str(result.exception) and "aksflow:nodePools[0].vmSize" in str(
        result.exception
    )
    text = (repo.parent / "out" / "pr" / "comment.md").read_text()
    assert "the preview failed" in text
    assert json.loads((repo.parent / "out" / "pr" / "diff.json").read_text())["exitStatus"] == 2
    assert gitrepo.git(repo, "worktree", "list").count("\n") == 1


def test_a_broken_base_is_a_clear_error(repo: Path) -> None:
    (repo / "BROKEN").write_text("")
    gitrepo.commit(repo, "break")
    (repo / "BROKEN").unlink()
    gitrepo.commit(repo, "fix")
    result = run(repo, FakeRunner(), "--base", "HEAD~1", "--head", "HEAD")
    assert isinstance(result.exception, PreviewFailed)
    assert "base HEAD~1" in str(result.exception) and "nothing to compare against" in str(
        result.exception
    )


def test_subprocess_runner_command_and_error_extraction(tmp_path: Path) -> None:
    runner = SubprocessPreviewRunner(helm="/usr/bin/helm", python="py")
    assert runner.command(tmp_path / "p", ["dev", "prod"], tmp_path / "o") == [
        "py",
        "-m",
        "aksflow",
        "preview",
        "--project-dir",
        str(tmp_path / "p"),
        "--out",
        str(tmp_path / "o"),
        "--quiet",
        "--jobs",
        str(runner.jobs),
        "--stack",
        "dev",
        "--stack",
        "prod",
        "--helm",
        "/usr/bin/helm",
    ]
    assert (
        error_message("warning: x\nerror: Pulumi.dev.yaml: aksflow:foo: bad\n")
        == "Pulumi.dev.yaml: aksflow:foo: bad"
    )
    # Base and head previews run side by side: each takes half the CPUs, at least one.
    assert runner.jobs == max(1, available_cpus() // 2)
    assert error_message("Traceback\n  boom\n") == "Traceback\n  boom"


def test_the_working_tree_is_the_default_head_uncommitted_changes_included(repo: Path) -> None:
    spec = json.loads(json.dumps(BASE_SPEC))
    spec["pools"]["dev"]["npuser01"] = {"vmSize": "Standard_D8ds_v5"}
    write_project(repo, spec)  # edited, not committed
    (repo / "untracked-notes.txt").write_text("new file\n")
    before = gitrepo.git(repo, "status", "--porcelain")
    result = run(repo, FakeRunner(), "--base", "HEAD", "--stack", "dev")
    assert result.exit_code == 0, result.output
    doc = json.loads((repo.parent / "out" / "pr" / "diff.json").read_text())
    assert doc["head"]["ref"] == "working tree" and doc["head"]["uncommitted"] is True
    pool_change = doc["stacks"][0]["changes"][0]
    assert pool_change["op"] == "replace"
    assert "working tree (uncommitted changes included)" in result.output
    comment = (repo.parent / "out" / "pr" / "comment.md").read_text()
    assert "`working tree` (uncommitted changes included)" in comment
    assert gitrepo.git(repo, "status", "--porcelain") == before  # index and files untouched
    assert gitrepo.git(repo, "log", "--oneline").count("\n") == 1  # no commit on the branch


def test_a_clean_working_tree_is_head_itself(repo: Path) -> None:
    result = run(repo, FakeRunner(), "--base", "HEAD", "--quiet")
    assert result.exit_code == 0 and result.output == ""  # --quiet: nothing but errors
    doc = json.loads((repo.parent / "out" / "pr" / "diff.json").read_text())
    assert doc["head"]["sha"] == gitrepo.git(repo, "rev-parse", "HEAD").strip()
    assert "uncommitted" not in doc["head"] and doc["reusedBasePreview"]


def test_a_same_size_edit_within_the_second_of_the_commit_is_in_the_snapshot(
    tmp_path: Path,
) -> None:
    from aksflow.diff import git

    repo = tmp_path / "racy"
    gitrepo.init(repo)
    (repo / "Pulumi.prod.yaml").write_text("vmSize: Standard_D4ds_v5\n")
    gitrepo.commit(repo, "base")
    gitrepo.git(repo, "status")  # the user's index now holds the file's stat data
    (repo / "Pulumi.prod.yaml").write_text("vmSize: Standard_D8ds_v5\n")  # same size, same second
    time.sleep(1.1)  # a copy of the index made now would be newer than its entries: not racy
    revision = git.snapshot(repo)
    assert revision.uncommitted
    shown = gitrepo.git(repo, "show", f"{revision.sha}:Pulumi.prod.yaml")
    assert shown == "vmSize: Standard_D8ds_v5\n"


def test_the_gate_judges_the_head_as_the_base_environment_with_the_base_code(repo: Path) -> None:
    spec = json.loads(json.dumps(BASE_SPEC))
    spec["stackfiles"] = {"prod": "config:\n  aksflow:environment: dev\n"}  # prod judged as dev?
    (repo / "aksflow").mkdir()
    (repo / "aksflow" / "__init__.py").write_text("")
    gitrepo.commit(repo, "the base carries its own aksflow")
    write_project(repo, spec)
    gitrepo.commit(repo, "prod moves to the dev environment")
    runner = FakeRunner()
    result = run(repo, runner, "--base", "HEAD~1", "--head", "HEAD")
    assert result.exit_code == 0, result.output
    ((code_root, request),) = runner.judged
    # The base's checkout (removed after the run), not the working tree or the head's.
    assert code_root is not None and code_root.name == "base" and code_root != repo
    assert Path(request["project"]) == code_root
    assert {s["stack"]: s["environment"] for s in request["stacks"]} == {
        "dev": "dev",
        "prod": "prod",  # the base's environment: the PR cannot pick a laxer config
    }
    assert all(s["state"].endswith(f"{s['stack']}/state.json") for s in request["stacks"])


def test_each_revision_is_previewed_with_its_own_aksflow(repo: Path) -> None:
    """The program imports aksflow (chart declarations, environments, the YAML reader): a
    real `pulumi preview` of a revision runs that revision's copy, so a PR's change to it
    shows in its own plan, and the base's plan is the base's."""
    (repo / "aksflow").mkdir()
    (repo / "aksflow" / "__init__.py").write_text("# the base's aksflow\n")
    gitrepo.commit(repo, "the base carries its own aksflow")
    (repo / "aksflow" / "__init__.py").write_text("# the head's aksflow\n")
    gitrepo.commit(repo, "the PR changes it")
    runner = FakeRunner()
    result = run(repo, runner, "--base", "HEAD~1", "--head", "HEAD")
    assert result.exit_code == 0, result.output
    assert runner.aksflows == {"base": "# the base's aksflow\n", "head": "# the head's aksflow\n"}
    ((code_root, _),) = runner.judged
    assert code_root == dict(runner.code_roots)["base"]  # the base's code judges


def test_a_revision_without_aksflow_is_previewed_with_this_one(repo: Path) -> None:
    change(repo, pools={"dev": {"npuser01": {"minCount": 2}}, "prod": {"npuser01": {}}})
    runner = FakeRunner()
    result = run(repo, runner, "--base", "HEAD~1", "--head", "HEAD")
    assert result.exit_code == 0, result.output
    assert sorted(runner.code_roots) == [("base", None), ("head", None)]


def test_a_working_tree_without_any_commit_is_a_clear_error(tmp_path: Path) -> None:
    from aksflow.diff import git

    repo = tmp_path / "empty"
    gitrepo.init(repo)
    with pytest.raises(GitError, match="no commit yet"):
        git.snapshot(repo)


def test_a_child_killed_by_a_signal_python_cannot_name_is_still_reported() -> None:
    """A real-time signal (SIGRTMIN+6) has no ``signal.Signals`` member: no ValueError."""
    from aksflow.diff.runner import _failure

    assert _failure(-9, "").startswith("killed by SIGKILL: ")
    assert _failure(-40, "error: boom").startswith("killed by signal 40: boom")
