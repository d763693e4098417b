"""Behaviour of the workflow shell scripts, run against stub `aksflow`, `pulumi` and `gh`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.workflows.conftest import SCRIPTS, Sandbox, make_executable

BASE = "a" * 40
HEAD = "b" * 40


def script(name: str) -> str:
    """Absolute path of a script under .github/scripts."""
    return str(SCRIPTS / name)


# --- affected-stacks.sh -------------------------------------------------------------------


def stack_entry(name: str, status: str = "no changes", **extra: object) -> dict[str, object]:
    """One stack of diff.json as aksflow diff writes it (aksflow/diff/model.py)."""
    counts = {"create": 0, "update": 0, "replace": 0, "delete": 0}
    entry: dict[str, object] = {
        "stack": name,
        "environment": name,
        "status": status,
        "counts": counts,
        "unchanged": 12,
        "changes": [],
        "enforcementChanges": [],
    }
    entry.update(extra)
    return entry


@pytest.mark.parametrize(
    ("diff", "expected"),
    [
        (
            {
                "version": 1,
                "stacks": [
                    stack_entry("dev"),
                    stack_entry("staging", "changed", counts={"create": 0, "update": 2}),
                    stack_entry("prod"),
                ],
            },
            ["staging"],
        ),
        (
            {"stacks": [stack_entry("prod", "new stack"), stack_entry("dev", "changed")]},
            ["dev", "prod"],
        ),
        (
            {"stacks": [stack_entry("prod", enforcementChanges=[{"policy": "x"}])]},
            ["prod"],
        ),
        ({"stacks": [stack_entry("dev", counts={"delete": 1})]}, ["dev"]),
        ({"stacks": [stack_entry("$(id)", "changed"), stack_entry("qa", "changed")]}, []),
        ({"stacks": {"staging": {"counts": {"create": 1}}, "dev": {"counts": {}}}}, ["staging"]),
        ({"stacks": []}, []),
        ({"other": 1}, ["dev", "staging", "prod"]),
    ],
)
def test_affected_stacks(sandbox: Sandbox, diff: object, expected: list[str]) -> None:
    path = sandbox.root / "diff.json"
    path.write_text(json.dumps(diff))
    result = sandbox.run([script("affected-stacks.sh"), str(path)])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_affected_stacks_fails_closed_without_a_file(sandbox: Sandbox) -> None:
    result = sandbox.run([script("affected-stacks.sh"), str(sandbox.root / "missing.json")])
    assert result.returncode == 0
    assert json.loads(result.stdout) == ["dev", "staging", "prod"]


# --- run-diff.sh ---------------------------------------------------------------------------


def fake_aksflow(sandbox: Sandbox, exit_code: int, stacks: object) -> None:
    """A .venv/bin/aksflow that writes out/pr like the real one and exits with exit_code."""
    venv_bin = sandbox.root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    diff = json.dumps({"stacks": stacks})
    make_executable(
        venv_bin / "aksflow",
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "aksflow $*" >> "{sandbox.calls}"\n'
        "mkdir -p out/pr\n"
        "printf '<!-- aksflow -->\\n# Preview\\n' > out/pr/comment.md\n"
        f"printf '%s' '{diff}' > out/pr/diff.json\n"
        f"exit {exit_code}\n",
    )


@pytest.mark.parametrize("exit_code", [0, 1, 2])
def test_run_diff_records_data_and_never_fails_before_upload(
    sandbox: Sandbox, exit_code: int
) -> None:
    fake_aksflow(sandbox, exit_code, [{"stack": "staging", "changed": True}])
    env = {"BASE_SHA": BASE, "HEAD_SHA": HEAD, "PR_NUMBER": "42"}
    result = sandbox.run([script("run-diff.sh")], env)
    assert result.returncode == 0, result.stderr
    out = sandbox.root / "out" / "pr"
    assert (out / "pr-number").read_text().strip() == "42"
    assert (out / "exit-code").read_text().strip() == str(exit_code)
    assert sandbox.outputs() == {"exit-code": str(exit_code), "stacks": '["staging"]'}
    assert f"aksflow diff --base {BASE} --head {HEAD}" in sandbox.logged()
    # The verdict only: aksflow diff writes the comment to the summary itself.
    assert "Result:" in sandbox.summary()
    assert "# Preview" not in sandbox.summary()


def test_run_diff_writes_a_comment_when_aksflow_wrote_none(sandbox: Sandbox) -> None:
    venv_bin = sandbox.root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    make_executable(venv_bin / "aksflow", "#!/usr/bin/env bash\necho 'error: boom' >&2\nexit 2\n")
    env = {"BASE_SHA": BASE, "HEAD_SHA": HEAD, "PR_NUMBER": "42"}
    result = sandbox.run([script("run-diff.sh")], env)
    assert result.returncode == 0, result.stderr
    comment = (sandbox.root / "out" / "pr" / "comment.md").read_text()
    assert comment.startswith("<!-- aksflow:preview -->") and "exited 2" in comment
    outputs = sandbox.outputs()
    assert outputs["exit-code"] == "2"
    assert json.loads(outputs["stacks"]) == ["dev", "staging", "prod"]  # fails closed


@pytest.mark.parametrize(
    "env",
    [
        {"BASE_SHA": BASE, "HEAD_SHA": HEAD, "PR_NUMBER": "4 2"},
        {"BASE_SHA": BASE, "HEAD_SHA": HEAD, "PR_NUMBER": "0"},
        {"BASE_SHA": "main; rm -rf /", "HEAD_SHA": HEAD, "PR_NUMBER": "7"},
        {"BASE_SHA": BASE, "HEAD_SHA": "HEAD", "PR_NUMBER": "7"},
    ],
)
def test_run_diff_rejects_bad_inputs(sandbox: Sandbox, env: dict[str, str]) -> None:
    fake_aksflow(sandbox, 0, [])
    result = sandbox.run([script("run-diff.sh")], env)
    assert result.returncode != 0
    assert sandbox.logged() == []


# --- policy-gate.sh ------------------------------------------------------------------------


def gate_sandbox(sandbox: Sandbox, analyze_exit: int) -> None:
    """Policy config plus a fake aksflow whose `policy analyze` exits with analyze_exit."""
    (sandbox.root / "policies" / "config").mkdir(parents=True)
    for env in ("dev", "staging", "prod"):
        (sandbox.root / "policies" / "config" / f"{env}.json").write_text("{}")
    venv_bin = sandbox.root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    make_executable(
        venv_bin / "aksflow",
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "aksflow $*" >> "{sandbox.calls}"\n'
        'if [[ "$1" == preview ]]; then mkdir -p "out/$3"; echo "{}" > "out/$3/state.json"; exit 0; fi\n'
        'if [[ "$*" == *"--format sarif"* ]]; then echo "{\\"version\\": \\"2.1.0\\"}"; '
        f"exit {analyze_exit}; fi\n"
        'echo "| policy | level |"\n',
    )


@pytest.mark.parametrize(("analyze_exit", "expected"), [(0, 0), (1, 1)])
def test_policy_gate_uses_the_stack_config(
    sandbox: Sandbox, analyze_exit: int, expected: int
) -> None:
    gate_sandbox(sandbox, analyze_exit)
    result = sandbox.run([script("policy-gate.sh"), "staging"])
    assert result.returncode == expected, result.stderr
    calls = sandbox.logged()
    assert calls[0] == "aksflow preview --stack staging --quiet"
    assert (
        "aksflow policy analyze --state out/staging/state.json --stack staging --format sarif"
        in calls
    )
    assert (sandbox.root / "out" / "staging" / "policy.sarif").read_text().startswith("{")
    assert "policies/config/staging.json" in sandbox.summary()
    assert ("Gate failed" in sandbox.summary()) == bool(expected)


def test_policy_gate_refuses_unknown_stacks(sandbox: Sandbox) -> None:
    gate_sandbox(sandbox, 0)
    result = sandbox.run([script("policy-gate.sh"), "qa"])
    assert result.returncode != 0
    assert "unknown stack" in result.stderr
    assert sandbox.logged() == []


# --- deploy-stack.sh, cloud-preview.sh, drift-check.sh -----------------------------------

AZBLOB = {"PULUMI_BACKEND_URL": "azblob://state?storage_account=st"}


def pulumi_sandbox(sandbox: Sandbox, preview_exit: int, preview_text: str = "") -> None:
    """Policy config plus a stub pulumi: `preview` prints preview_text and exits preview_exit."""
    (sandbox.root / "policies" / "config").mkdir(parents=True)
    (sandbox.root / "policies" / "config" / "prod.json").write_text("{}")
    text_file = sandbox.bin / "preview.txt"
    text_file.write_text(preview_text + "\n")
    sandbox.stub(
        "pulumi",
        f'if [[ "$1" == preview ]]; then cat "{text_file}"; exit {preview_exit}; fi\n'
        "echo 'Resources: 3 unchanged'",
    )


def test_deploy_previews_then_applies_with_the_policy_pack(sandbox: Sandbox) -> None:
    pulumi_sandbox(sandbox, 0, "\x1b[32m+ create\x1b[0m")
    result = sandbox.run([script("deploy-stack.sh"), "prod"], AZBLOB)
    assert result.returncode == 0, result.stderr
    calls = sandbox.logged()
    assert [c.split()[1] for c in calls] == ["preview", "up"]
    policy = "--policy-pack policies --policy-pack-config policies/config/prod.json"
    assert all(policy in c and "--stack prod" in c for c in calls)
    summary = sandbox.summary()
    assert "prod deployed" in summary and "\x1b[" not in summary


def test_deploy_stops_when_the_preview_fails(sandbox: Sandbox) -> None:
    pulumi_sandbox(sandbox, 255, "mandatory policy violation")
    result = sandbox.run([script("deploy-stack.sh"), "prod"], AZBLOB)
    assert result.returncode == 255
    assert [c.split()[1] for c in sandbox.logged()] == ["preview"]
    assert "was not run" in sandbox.summary()


def test_pulumi_scripts_refuse_a_missing_backend(sandbox: Sandbox) -> None:
    pulumi_sandbox(sandbox, 0)
    for name in ("deploy-stack.sh", "cloud-preview.sh"):
        result = sandbox.run([script(name), "prod"], {"PULUMI_BACKEND_URL": ""})
        assert result.returncode != 0
        assert "azblob" in result.stderr
    assert sandbox.logged() == []


def test_cloud_preview_fences_output_safely(sandbox: Sandbox) -> None:
    pulumi_sandbox(sandbox, 0, "value with ```` backticks")
    result = sandbox.run([script("cloud-preview.sh"), "prod"], AZBLOB)
    assert result.returncode == 0, result.stderr
    assert "`````\n" in sandbox.summary()  # a fence longer than the output's longest run


@pytest.mark.parametrize(
    ("exit_code", "text", "expected_rc", "drift"),
    [
        (0, "Resources: 12 unchanged", 0, "false"),
        (255, "error: no changes were expected but changes were proposed", 0, "true"),
        (255, "error: no changes were expected for preview but changes were proposed", 0, "true"),
        (255, "error: failed to refresh: AuthorizationFailed", 255, None),
    ],
)
def test_drift_check(
    sandbox: Sandbox, exit_code: int, text: str, expected_rc: int, drift: str | None
) -> None:
    pulumi_sandbox(sandbox, exit_code, text)
    report = sandbox.root / "report.txt"
    result = sandbox.run([script("drift-check.sh"), "prod", str(report)], AZBLOB)
    assert result.returncode == expected_rc, result.stderr
    assert sandbox.outputs().get("drift") == drift
    assert "--refresh --expect-no-changes" in sandbox.logged()[0]
    assert text in report.read_text()


# --- drift-issue.sh ------------------------------------------------------------------------

GH_ENV = {"GITHUB_REPOSITORY": "acme/platform", "GH_TOKEN": "t", "RUN_URL": "https://run/1"}


def gh_with_open_issue(sandbox: Sandbox, number: str) -> None:
    """A stub gh whose `issue list` answers with `number` (or nothing)."""
    sandbox.stub("gh", f'if [[ "$1 $2" == "issue list" ]]; then printf "%s" "{number}"; fi')


def report(sandbox: Sandbox) -> Path:
    path = sandbox.root / "report.txt"
    path.write_text("~ azure-native:containerservice:ManagedCluster aks update\n")
    return path


def test_drift_opens_one_issue(sandbox: Sandbox) -> None:
    gh_with_open_issue(sandbox, "")
    result = sandbox.run([script("drift-issue.sh"), "prod", "true", str(report(sandbox))], GH_ENV)
    assert result.returncode == 0, result.stderr
    calls = sandbox.logged()
    assert calls[0].startswith("gh issue list --repo acme/platform --state open --label drift")
    creates = [c for c in calls if c.startswith("gh issue create")]
    assert len(creates) == 1
    assert "--title Drift detected: prod --label drift" in creates[0]


def test_drift_updates_the_open_issue(sandbox: Sandbox) -> None:
    gh_with_open_issue(sandbox, "17")
    result = sandbox.run([script("drift-issue.sh"), "prod", "true", str(report(sandbox))], GH_ENV)
    assert result.returncode == 0, result.stderr
    calls = sandbox.logged()
    assert any(c.startswith("gh issue edit 17 --repo acme/platform --body-file") for c in calls)
    assert not any(c.startswith("gh issue create") for c in calls)


def test_no_drift_closes_the_issue(sandbox: Sandbox) -> None:
    gh_with_open_issue(sandbox, "17")
    result = sandbox.run([script("drift-issue.sh"), "dev", "false", str(report(sandbox))], GH_ENV)
    assert result.returncode == 0, result.stderr
    assert any(c.startswith("gh issue close 17") for c in sandbox.logged())


def test_no_drift_and_no_issue_does_nothing(sandbox: Sandbox) -> None:
    gh_with_open_issue(sandbox, "")
    result = sandbox.run([script("drift-issue.sh"), "dev", "false", str(report(sandbox))], GH_ENV)
    assert result.returncode == 0, result.stderr
    assert [c.split()[:3] for c in sandbox.logged()] == [["gh", "issue", "list"]]


@pytest.mark.parametrize("args", [["prod", "maybe"], ["qa", "true"]])
def test_drift_issue_rejects_bad_arguments(sandbox: Sandbox, args: list[str]) -> None:
    gh_with_open_issue(sandbox, "")
    result = sandbox.run([script("drift-issue.sh"), *args, str(report(sandbox))], GH_ENV)
    assert result.returncode != 0
    assert sandbox.logged() == []


# --- helm-lint.sh --------------------------------------------------------------------------


def chart(sandbox: Sandbox, app: str, envs: tuple[str, ...]) -> None:
    """A chart directory with per-environment values files."""
    chart_dir = sandbox.root / "apps" / app / "chart"
    chart_dir.mkdir(parents=True)
    (chart_dir / "Chart.yaml").write_text(f"apiVersion: v2\nname: {app}\nversion: 0.1.0\n")
    for env in envs:
        (sandbox.root / "apps" / app / f"values-{env}.yaml").write_text("{}\n")


def test_helm_lint_covers_every_chart_and_environment(sandbox: Sandbox) -> None:
    chart(sandbox, "web", ("dev", "prod"))
    chart(sandbox, "batch", ())
    (sandbox.root / "apps" / "vendored").mkdir()
    (sandbox.root / "apps" / "vendored" / "ingress-1.2.3.tgz").write_bytes(b"")
    sandbox.stub("helm", "exit 0")
    result = sandbox.run([script("helm-lint.sh")])
    assert result.returncode == 0, result.stderr
    assert sandbox.logged() == [
        "helm lint apps/batch/chart",
        "helm lint apps/web/chart",
        "helm lint apps/web/chart --values apps/web/values-dev.yaml",
        "helm lint apps/web/chart --values apps/web/values-prod.yaml",
        "helm lint apps/vendored/ingress-1.2.3.tgz",
    ]


def test_helm_lint_fails_when_one_environment_fails(sandbox: Sandbox) -> None:
    chart(sandbox, "web", ("dev", "staging"))
    sandbox.stub("helm", '[[ "$*" != *values-staging* ]]')
    result = sandbox.run([script("helm-lint.sh")])
    assert result.returncode == 1
    assert len(sandbox.logged()) == 3  # keeps going to report every failure


def test_helm_lint_without_charts_passes(sandbox: Sandbox) -> None:
    sandbox.stub("helm", "exit 1")
    result = sandbox.run([script("helm-lint.sh")])
    assert result.returncode == 0
    assert sandbox.logged() == []


# --- setup-venv.sh -------------------------------------------------------------------------


def fake_venv(sandbox: Sandbox, importable: bool) -> None:
    """A restored .venv whose python can (or cannot) import aksflow."""
    venv_bin = sandbox.root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (sandbox.root / ".venv" / ".installed").write_text("")
    make_executable(venv_bin / "python", f"#!/usr/bin/env bash\nexit {0 if importable else 1}\n")


def test_setup_venv_reuses_a_cache_hit(sandbox: Sandbox) -> None:
    fake_venv(sandbox, importable=True)
    sandbox.stub("make", "exit 0")
    result = sandbox.run([script("setup-venv.sh")], {"CACHE_HIT": "true"})
    assert result.returncode == 0, result.stderr
    assert sandbox.logged() == []


@pytest.mark.parametrize(
    ("cache_hit", "importable"), [("false", True), ("true", False), ("", True)]
)
def test_setup_venv_rebuilds_otherwise(sandbox: Sandbox, cache_hit: str, importable: bool) -> None:
    fake_venv(sandbox, importable)
    # The real make recreates .venv; the stub recreates a working one.
    sandbox.stub(
        "make",
        'mkdir -p .venv/bin && printf "#!/usr/bin/env bash\\nexit 0\\n" > .venv/bin/python'
        " && chmod +x .venv/bin/python",
    )
    result = sandbox.run([script("setup-venv.sh")], {"CACHE_HIT": cache_hit})
    assert result.returncode == 0, result.stderr
    assert sandbox.logged() == ["make .venv/.installed"]


def test_setup_venv_dev_set_installs_the_dev_lock(sandbox: Sandbox) -> None:
    """VENV_SET=dev builds the dev stamp (runtime lock first, then requirements-dev.lock)."""
    sandbox.stub("make", "exit 0")
    result = sandbox.run([script("setup-venv.sh")], {"VENV_SET": "dev"})
    assert sandbox.logged() == ["make .venv/.dev-installed"]
    assert result.returncode != 0  # the stub made no python; the script must not pretend


def test_setup_venv_reuses_a_dev_cache_only_with_its_stamp(sandbox: Sandbox) -> None:
    """A cached runtime .venv is not reused for a job that needs the dev tools."""
    fake_venv(sandbox, importable=True)
    sandbox.stub("make", "exit 0")
    sandbox.run([script("setup-venv.sh")], {"CACHE_HIT": "true", "VENV_SET": "dev"})
    assert sandbox.logged() == ["make .venv/.dev-installed"]


def test_setup_venv_refuses_an_unknown_set(sandbox: Sandbox) -> None:
    """Any other VENV_SET is an error, not a silent runtime install."""
    sandbox.stub("make", "exit 0")
    result = sandbox.run([script("setup-venv.sh")], {"VENV_SET": "everything"})
    assert result.returncode == 1
    assert sandbox.logged() == []
