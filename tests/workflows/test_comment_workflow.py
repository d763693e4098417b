"""Runs pr-comment.yml's shell step against a stub `gh`: the artifact is data, never trusted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.workflows.conftest import REPO, WORKFLOWS, Sandbox, load_workflow

RUN_SHA = "c" * 40
MARKER = "<!-- aksflow:preview -->"
MDSAFE = REPO / "aksflow" / "mdsafe.py"


def comment_script() -> str:
    """The run: block of the comment step."""
    job = load_workflow(WORKFLOWS / "pr-comment.yml")["jobs"]["comment"]
    (script,) = [step["run"] for step in job["steps"] if "run" in step]
    return str(script)


def setup(sandbox: Sandbox, pr_number: str, *, head: str = RUN_SHA, existing: str = "") -> Path:
    """An artifact directory plus a stub gh answering the PR head and the comment lookup."""
    artifact = sandbox.root / "artifact"
    artifact.mkdir()
    (artifact / "pr-number").write_text(pr_number)
    (artifact / "comment.md").write_text(f"{MARKER}\n# Preview\n`dev`: +1 ~0 -0\n")
    payloads = sandbox.root / "payloads"
    payloads.mkdir()
    sandbox.stub(
        "gh",
        'args="$*"\n'
        f'if [[ "$args" == *"/contents/aksflow/mdsafe.py?ref=main"* ]]; then cat "{MDSAFE}"; exit 0; fi\n'
        f'if [[ "$args" == *"/pulls/"* ]]; then echo "{head}"; exit 0; fi\n'
        f'if [[ "$args" == *"--paginate"* ]]; then printf "%s" "{existing}"; exit 0; fi\n'
        'if [[ "$args" == *"--input"* ]]; then\n'
        '  while (($#)); do if [[ "$1" == --input ]]; then '
        f'cp "$2" "{payloads}/$(date +%s%N).json"; fi; shift; done\n'
        "fi\n",
    )
    return artifact


def run(sandbox: Sandbox, artifact: Path) -> tuple[int, list[str], list[dict[str, str]]]:
    """Run the step; return its exit code, the gh calls and the JSON payloads sent."""
    env = {
        "GH_TOKEN": "t",
        "GITHUB_REPOSITORY": "acme/platform",
        "RUN_HEAD_SHA": RUN_SHA,
        "RUN_URL": "https://github.com/acme/platform/actions/runs/9",
        "ARTIFACT_DIR": str(artifact),
        "DEFAULT_BRANCH": "main",
    }
    result = sandbox.run(["bash", "-c", comment_script()], env)
    payloads = [
        json.loads(p.read_text()) for p in sorted((sandbox.root / "payloads").glob("*.json"))
    ]
    return result.returncode, sandbox.logged(), payloads


def test_creates_the_sticky_comment(sandbox: Sandbox) -> None:
    rc, calls, payloads = run(sandbox, setup(sandbox, "12\n"))
    assert rc == 0
    assert calls[0] == "gh api repos/acme/platform/pulls/12 --jq .head.sha"
    assert "contents/aksflow/mdsafe.py?ref=main" in calls[1]
    assert "--paginate repos/acme/platform/issues/12/comments" in calls[2]
    assert calls[3].startswith("gh api --method POST repos/acme/platform/issues/12/comments")
    (payload,) = payloads
    assert payload["body"].startswith(MARKER)
    assert payload["body"].count(MARKER) == 1
    assert "`dev`: +1 ~0 -0" in payload["body"]


def test_adds_the_marker_when_the_comment_lacks_it(sandbox: Sandbox) -> None:
    artifact = setup(sandbox, "12")
    (artifact / "comment.md").write_text("# Preview\n")
    rc, _, payloads = run(sandbox, artifact)
    assert rc == 0
    assert payloads[0]["body"].startswith(f"{MARKER}\n# Preview")


def test_updates_the_existing_comment(sandbox: Sandbox) -> None:
    rc, calls, payloads = run(sandbox, setup(sandbox, "12", existing="555"))
    assert rc == 0
    assert calls[-1].startswith("gh api --method PATCH repos/acme/platform/issues/comments/555")
    assert len(payloads) == 1


@pytest.mark.parametrize(
    "bad",
    ["12; rm -rf ~", "-1", "0", "1e3", "../13", "$(id)", "", "12 13", "12\n13", "\uff11\uff12"],
)
def test_rejects_a_pr_number_that_is_not_an_integer(sandbox: Sandbox, bad: str) -> None:
    rc, calls, payloads = run(sandbox, setup(sandbox, bad))
    assert rc != 0
    assert calls == [] and payloads == []


def test_does_not_comment_when_the_pr_is_not_the_runs_pr(sandbox: Sandbox) -> None:
    rc, calls, payloads = run(sandbox, setup(sandbox, "12", head="d" * 40))
    assert rc == 0
    assert len(calls) == 1 and payloads == []


def test_never_follows_a_symlinked_artifact_file(sandbox: Sandbox) -> None:
    artifact = setup(sandbox, "12")
    secret = sandbox.root / "elsewhere.txt"
    secret.write_text("not for the comment")
    (artifact / "comment.md").unlink()
    (artifact / "comment.md").symlink_to(secret)
    rc, _, payloads = run(sandbox, artifact)
    assert rc == 0
    (payload,) = payloads
    assert "not for the comment" not in payload["body"]
    assert "no report" in payload["body"]


def test_refuses_a_symlinked_pr_number(sandbox: Sandbox) -> None:
    artifact = setup(sandbox, "12")
    number = sandbox.root / "number.txt"
    number.write_text("12")
    (artifact / "pr-number").unlink()
    (artifact / "pr-number").symlink_to(number)
    rc, calls, payloads = run(sandbox, artifact)
    assert rc != 0 and calls == [] and payloads == []


def test_reports_a_missing_comment(sandbox: Sandbox) -> None:
    artifact = setup(sandbox, "12")
    (artifact / "comment.md").unlink()
    rc, _, payloads = run(sandbox, artifact)
    assert rc == 0
    assert payloads[0]["body"].startswith(MARKER)
    assert "actions/runs/9" in payloads[0]["body"]


def test_replaces_an_oversized_comment_with_a_link(sandbox: Sandbox) -> None:
    artifact = setup(sandbox, "12")
    (artifact / "comment.md").write_text("x" * 70_000)
    rc, _, payloads = run(sandbox, artifact)
    assert rc == 0
    (payload,) = payloads
    assert len(payload["body"]) < 1_000
    assert "too long" in payload["body"] and "actions/runs/9" in payload["body"]


def test_fork_controlled_markdown_is_neutralised_before_posting(sandbox: Sandbox) -> None:
    """Mentions, external images and raw HTML in the artifact's comment are made inert."""
    artifact = setup(sandbox, "12")
    (artifact / "comment.md").write_text(
        f"{MARKER}\nping @octocat ![x](https://evil.example/p.png) <img src=x onerror=alert(1)>\n"
    )
    rc, _, payloads = run(sandbox, artifact)
    assert rc == 0
    body = payloads[0]["body"]
    assert "@octocat" not in body and "@\u200boctocat" in body
    assert "\\![x](" in body and " ![x](" not in body  # an escaped "!" is no image
    assert "<img" not in body


def test_no_neutraliser_means_no_comment(sandbox: Sandbox) -> None:
    """If the default branch's neutraliser cannot be fetched, nothing is posted."""
    artifact = setup(sandbox, "12")
    env_script = comment_script().replace("ref=${DEFAULT_BRANCH}", "ref=missing")
    result = sandbox.run(
        ["bash", "-c", env_script],
        {
            "GH_TOKEN": "t",
            "GITHUB_REPOSITORY": "acme/platform",
            "RUN_HEAD_SHA": RUN_SHA,
            "RUN_URL": "https://github.com/acme/platform/actions/runs/9",
            "ARTIFACT_DIR": str(artifact),
            "DEFAULT_BRANCH": "main",
        },
    )
    assert result.returncode == 1
    assert not list((sandbox.root / "payloads").glob("*.json"))
