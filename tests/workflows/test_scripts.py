"""Behaviour of the workflow shell scripts, run against stub `aksflow`, `pulumi` and `gh`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.workflows.conftest import SCRIPTS, Sandbox, make_executable

BASE = "a" * 40
HEAD = "b" * 40


def script(name: str) -> str:
    """Absolute path of a script under .github/scripts."""
    return str(SCRIPTS / name)


# --- a stub project: stack files, policy configs and an aksflow that lists them -----------

REAL_AKSFLOW = Path(sys.executable).parent / "aksflow"
STACKS = ("dev", "staging", "prod")


def stub_project(sandbox: Sandbox, body: str = "") -> None:
    """Pulumi.<stack>.yaml and policy configs for STACKS, and a .venv/bin/aksflow whose
    `stacks --json --only X` answers like the real one, whose `plan` IS the real one, and
    which runs ``body`` for anything else."""
    (sandbox.root / "policies" / "config").mkdir(parents=True, exist_ok=True)
    for stack in STACKS:
        (sandbox.root / f"Pulumi.{stack}.yaml").write_text(
            f"config:\n  aksflow:environment: {stack}\n"
        )
        (sandbox.root / "policies" / "config" / f"{stack}.json").write_text("{}")
    entries = {
        stack: json.dumps(
            [
                {
                    "stack": stack,
                    "environment": stack,
                    "location": "westeurope",
                    "policyConfig": f"policies/config/{stack}.json",
                    "runnerVariable": f"AKSFLOW_RUNS_ON_{stack.upper()}",
                }
            ]
        )
        for stack in STACKS
    }
    cases = "".join(f"    {stack}) printf '%s\\n' '{entries[stack]}' ;;\n" for stack in STACKS)
    venv_bin = sandbox.root / ".venv" / "bin"
    venv_bin.mkdir(parents=True, exist_ok=True)
    make_executable(
        venv_bin / "aksflow",
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "aksflow $*" >> "{sandbox.calls}"\n'
        'if [[ "$1" == plan ]]; then exec ' + f'"{REAL_AKSFLOW}"' + ' "$@"; fi\n'
        'if [[ "$1" == stacks ]]; then\n'
        '  case "${@: -1}" in\n'
        + cases
        + "    *) echo '[]' ;;\n  esac\n  exit 0\nfi\n"
        + body
        + "\n",
    )


def logged_without_listing(sandbox: Sandbox) -> list[str]:
    """The stub calls other than the `aksflow stacks` look-ups."""
    return [c for c in sandbox.logged() if not c.startswith("aksflow stacks")]


# --- run-diff.sh ---------------------------------------------------------------------------


MATRIX = '[{"stack":"staging","environment":"staging"}]'


def fake_aksflow(sandbox: Sandbox, exit_code: int, stacks: object, listing: int = 0) -> None:
    """A .venv/bin/aksflow whose `diff` writes out/pr like the real one and exits with
    exit_code, and whose `stacks` prints MATRIX (or fails when listing is non-zero)."""
    venv_bin = sandbox.root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    diff = json.dumps({"stacks": stacks})
    make_executable(
        venv_bin / "aksflow",
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "aksflow $*" >> "{sandbox.calls}"\n'
        f"if [[ \"$1\" == stacks ]]; then printf '%s\\n' '{MATRIX}'; exit {listing}; fi\n"
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
    assert sandbox.outputs() == {"exit-code": str(exit_code), "stacks": MATRIX}
    assert sandbox.logged() == [
        f"aksflow diff --base {BASE} --head {HEAD} --project-dir .",  # no pr/ checkout here
        "aksflow stacks --json --affected out/pr/diff.json",
    ]
    # The verdict only: aksflow diff writes the comment to the summary itself.
    assert "Result:" in sandbox.summary()
    assert "# Preview" not in sandbox.summary()


def test_run_diff_without_a_stack_listing_runs_no_cloud_preview(sandbox: Sandbox) -> None:
    fake_aksflow(sandbox, 2, [], listing=2)
    env = {"BASE_SHA": BASE, "HEAD_SHA": HEAD, "PR_NUMBER": "42"}
    result = sandbox.run([script("run-diff.sh")], env)
    assert result.returncode == 0, result.stderr
    assert sandbox.outputs() == {"exit-code": "2", "stacks": "[]"}


def test_run_diff_writes_a_comment_when_aksflow_wrote_none(sandbox: Sandbox) -> None:
    venv_bin = sandbox.root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    make_executable(
        venv_bin / "aksflow",
        "#!/usr/bin/env bash\n"
        f"if [[ \"$1\" == stacks ]]; then printf '%s\\n' '{MATRIX}'; exit 0; fi\n"
        "echo 'error: boom' >&2\nexit 2\n",
    )
    env = {"BASE_SHA": BASE, "HEAD_SHA": HEAD, "PR_NUMBER": "42"}
    result = sandbox.run([script("run-diff.sh")], env)
    assert result.returncode == 0, result.stderr
    comment = (sandbox.root / "out" / "pr" / "comment.md").read_text()
    assert comment.startswith("<!-- aksflow:preview -->") and "exited 2" in comment
    outputs = sandbox.outputs()
    assert outputs["exit-code"] == "2"
    # No diff.json: `aksflow stacks --affected` selects every stack (tests/test_stacks.py).
    assert outputs["stacks"] == MATRIX


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
    """The stub project with an aksflow whose `policy analyze` exits with analyze_exit."""
    stub_project(
        sandbox,
        'if [[ "$1" == preview ]]; then mkdir -p "out/$3"; echo "{}" > "out/$3/state.json"; exit 0; fi\n'
        'if [[ "$*" == *"--format sarif"* ]]; then echo "{\\"version\\": \\"2.1.0\\"}"; '
        f"exit {analyze_exit}; fi\n"
        'echo "| policy | level |"',
    )


@pytest.mark.parametrize(("analyze_exit", "expected"), [(0, 0), (1, 1)])
def test_policy_gate_uses_the_stack_config(
    sandbox: Sandbox, analyze_exit: int, expected: int
) -> None:
    gate_sandbox(sandbox, analyze_exit)
    result = sandbox.run([script("policy-gate.sh"), "staging"])
    assert result.returncode == expected, result.stderr
    calls = logged_without_listing(sandbox)
    assert "aksflow stacks --json --only staging" in sandbox.logged()
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


# --- plan-stack.sh, apply-stack.sh, cloud-preview.sh, drift-check.sh ----------------------

AZBLOB = {"PULUMI_BACKEND_URL": "azblob://state?storage_account=st"}
URN = "urn:pulumi:prod::aksflow::aksflow:nodepool:NodePool$azure-native:containerservice:AgentPool"


def preview_json(*steps: tuple[str, str, list[str]]) -> str:
    """A `pulumi preview --json` document (pkg/display/json.go PreviewDigest)."""
    return json.dumps(
        {
            "steps": [
                {"op": "same", "urn": f"{URN}::npsystem"},
                *(
                    {"op": op, "urn": f"{URN}::{name}", "diffReasons": keys}
                    for op, name, keys in steps
                ),
            ],
            "changeSummary": {},
        }
    )


def pulumi_sandbox(sandbox: Sandbox, preview_exit: int, preview_text: str = "") -> None:
    """The stub project plus a stub pulumi: `preview` prints preview_text, exits preview_exit."""
    stub_project(sandbox)
    text_file = sandbox.bin / "preview.txt"
    text_file.write_text(preview_text + "\n")
    sandbox.stub(
        "pulumi",
        f'if [[ "$1" == preview ]]; then cat "{text_file}"; exit {preview_exit}; fi\n'
        "echo 'Resources: 3 unchanged'",
    )


def pulumi_calls(sandbox: Sandbox) -> list[str]:
    return [c for c in sandbox.logged() if c.startswith("pulumi ")]


def test_plan_saves_the_preview_and_summarises_it(sandbox: Sandbox) -> None:
    pulumi_sandbox(sandbox, 0, preview_json(("update", "npuser01", ["maxCount"])))
    plan = sandbox.root / "plan" / "plan.json"
    plan.parent.mkdir()
    result = sandbox.run([script("plan-stack.sh"), "prod", str(plan)], AZBLOB)
    assert result.returncode == 0, result.stderr
    (call,) = pulumi_calls(sandbox)
    assert call.startswith("pulumi preview --stack prod --refresh --json")
    assert "--policy-pack policies --policy-pack-config policies/config/prod.json" in call
    assert json.loads(plan.read_text())["steps"][1]["op"] == "update"
    summary = sandbox.summary()
    assert (
        "## Plan for prod" in summary
        and "| update | azure-native:containerservice:AgentPool | npuser01 | maxCount |" in summary
    )


def test_plan_fails_when_the_preview_fails(sandbox: Sandbox) -> None:
    pulumi_sandbox(sandbox, 255, "{}")
    result = sandbox.run([script("plan-stack.sh"), "prod", str(sandbox.root / "p.json")], AZBLOB)
    assert result.returncode == 255
    assert "nothing to approve" in sandbox.summary()


def approved_plan(sandbox: Sandbox, *steps: tuple[str, str, list[str]]) -> Path:
    path = sandbox.root / "approved.json"
    path.write_text(preview_json(*steps))
    return path


def test_apply_runs_up_when_the_plan_is_the_approved_one(sandbox: Sandbox) -> None:
    change = ("update", "npuser01", ["maxCount"])
    pulumi_sandbox(sandbox, 0, preview_json(change))
    approved = approved_plan(sandbox, change)
    result = sandbox.run([script("apply-stack.sh"), "prod", str(approved)], AZBLOB)
    assert result.returncode == 0, result.stderr
    calls = pulumi_calls(sandbox)
    assert [c.split()[1] for c in calls] == ["preview", "up"]
    assert "--refresh --yes --skip-preview" in calls[1]
    policy = "--policy-pack policies --policy-pack-config policies/config/prod.json"
    assert all(policy in c and "--stack prod" in c for c in calls)
    assert "prod deployed" in sandbox.summary()


@pytest.mark.parametrize(
    "current",
    [
        [("update", "npuser01", ["maxCount"]), ("delete", "npbatch01", [])],  # one more op
        [("replace", "npuser01", ["vmSize"])],  # another op on the same resource
        [("update", "npuser01", ["maxCount", "vmSize"])],  # another property
        [],  # nothing to do any more
    ],
)
def test_apply_refuses_a_changed_plan(
    sandbox: Sandbox, current: list[tuple[str, str, list[str]]]
) -> None:
    pulumi_sandbox(sandbox, 0, preview_json(*current))
    approved = approved_plan(sandbox, ("update", "npuser01", ["maxCount"]))
    result = sandbox.run([script("apply-stack.sh"), "prod", str(approved)], AZBLOB)
    assert result.returncode == 1
    assert [c.split()[1] for c in pulumi_calls(sandbox)] == ["preview"]  # never `up`
    summary = sandbox.summary()
    assert "plan changed since it was approved" in summary and "was not run" in summary


def test_apply_stops_when_the_preview_fails(sandbox: Sandbox) -> None:
    pulumi_sandbox(sandbox, 255, "mandatory policy violation")
    approved = approved_plan(sandbox)
    result = sandbox.run([script("apply-stack.sh"), "prod", str(approved)], AZBLOB)
    assert result.returncode == 255
    assert [c.split()[1] for c in pulumi_calls(sandbox)] == ["preview"]
    assert "was not run" in sandbox.summary()


def test_apply_needs_the_approved_plan(sandbox: Sandbox) -> None:
    pulumi_sandbox(sandbox, 0, preview_json())
    result = sandbox.run([script("apply-stack.sh"), "prod", str(sandbox.root / "nope")], AZBLOB)
    assert result.returncode != 0 and "approved plan is missing" in result.stderr
    assert pulumi_calls(sandbox) == []


def test_pulumi_scripts_refuse_a_missing_backend(sandbox: Sandbox) -> None:
    pulumi_sandbox(sandbox, 0)
    for argv in (
        ["plan-stack.sh", "prod", "p.json"],
        ["apply-stack.sh", "prod", "p.json"],
        ["cloud-preview.sh", "prod"],
    ):
        result = sandbox.run([script(argv[0]), *argv[1:]], {"PULUMI_BACKEND_URL": ""})
        assert result.returncode != 0
        assert "azblob" in result.stderr
    assert pulumi_calls(sandbox) == []


def test_cloud_preview_fences_output_safely(sandbox: Sandbox) -> None:
    pulumi_sandbox(sandbox, 0, "value with ```` backticks")
    result = sandbox.run([script("cloud-preview.sh"), "prod"], AZBLOB)
    assert result.returncode == 0, result.stderr
    assert "`````\n" in sandbox.summary()  # a fence longer than the output's longest run


def test_a_stack_the_listing_does_not_know_is_refused(sandbox: Sandbox) -> None:
    pulumi_sandbox(sandbox, 0)
    (sandbox.root / "Pulumi.qa.yaml").write_text("config: {}\n")  # a file, but not listed
    result = sandbox.run([script("cloud-preview.sh"), "qa"], AZBLOB)
    assert result.returncode != 0 and "unknown stack 'qa'" in result.stderr
    assert pulumi_calls(sandbox) == []


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
    assert "--refresh --expect-no-changes" in pulumi_calls(sandbox)[0]
    assert text in report.read_text()


# --- drift-issue.sh ------------------------------------------------------------------------

GH_ENV = {"GITHUB_REPOSITORY": "acme/platform", "GH_TOKEN": "t", "RUN_URL": "https://run/1"}


def gh_with_open_issue(sandbox: Sandbox, number: str) -> None:
    """A stub gh whose `issue list` answers with `number` (or nothing)."""
    stub_project(sandbox)
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


# --- install-kubelogin.sh ------------------------------------------------------------------


def kubelogin_release(sandbox: Sandbox) -> str:
    """A stub curl serving a kubelogin-linux-amd64.zip; returns the archive's SHA-256."""
    import hashlib
    import zipfile

    archive = sandbox.bin / "kubelogin-linux-amd64.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("bin/linux_amd64/kubelogin", "#!/bin/sh\necho kubelogin\n")
    sandbox.stub("curl", f'while [[ "$1" != --output ]]; do shift; done; cp "{archive}" "$2"')
    return hashlib.sha256(archive.read_bytes()).hexdigest()


def test_kubelogin_is_installed_after_its_checksum_matches(sandbox: Sandbox) -> None:
    digest = kubelogin_release(sandbox)
    dest = sandbox.root / "tools"
    env = {
        "KUBELOGIN_VERSION": "v0.2.19",
        "KUBELOGIN_SHA256": digest,
        "GITHUB_PATH": str(sandbox.root / "github_path"),
    }
    result = sandbox.run([script("install-kubelogin.sh"), str(dest)], env)
    assert result.returncode == 0, result.stderr
    assert (dest / "kubelogin").stat().st_mode & 0o111
    (call,) = sandbox.logged()
    assert "https://github.com/Azure/kubelogin/releases/download/v0.2.19/" in call
    assert "--proto =https" in call
    assert (sandbox.root / "github_path").read_text().strip() == str(dest)


def test_kubelogin_is_refused_on_a_checksum_mismatch(sandbox: Sandbox) -> None:
    kubelogin_release(sandbox)
    dest = sandbox.root / "tools"
    env = {"KUBELOGIN_VERSION": "v0.2.19", "KUBELOGIN_SHA256": "0" * 64}
    result = sandbox.run([script("install-kubelogin.sh"), str(dest)], env)
    assert result.returncode != 0 and "checksum mismatch" in result.stderr
    assert not (dest / "kubelogin").exists()


def test_kubelogin_uses_its_one_pin_unless_both_values_are_overridden(sandbox: Sandbox) -> None:
    kubelogin_release(sandbox)
    dest = sandbox.root / "tools"
    pinned = sandbox.run([script("install-kubelogin.sh"), str(dest)], {})
    # The stand-in archive is not the pinned release, so the pinned checksum refuses it.
    assert pinned.returncode != 0 and "checksum mismatch" in pinned.stderr
    assert "/releases/download/v0.2.19/" in sandbox.logged()[0]
    for half in ({"KUBELOGIN_VERSION": "v9.9.9"}, {"KUBELOGIN_SHA256": "0" * 64}):
        result = sandbox.run([script("install-kubelogin.sh"), str(dest)], half)
        assert result.returncode != 0 and "together, or neither" in result.stderr, half
    assert not (dest / "kubelogin").exists()


def test_pulumi_cli_version_is_the_sdk_pin_in_the_lock(sandbox: Sandbox) -> None:
    repo = SCRIPTS.parent.parent
    result = sandbox.run([script("pulumi-version.sh"), str(repo / "requirements.lock")])
    sdk = next(
        line.split("==", 1)[1]
        for line in (repo / "requirements.lock").read_text(encoding="utf-8").splitlines()
        if line.startswith("pulumi==")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"version={sdk.strip()}\n"


@pytest.mark.parametrize("lock", ["pulumi-policy==1.20.0\n", "pulumi>=3.200\n", ""])
def test_pulumi_cli_version_fails_without_an_exact_pin(sandbox: Sandbox, lock: str) -> None:
    path = sandbox.root / "requirements.lock"
    path.write_text(lock, encoding="utf-8")
    result = sandbox.run([script("pulumi-version.sh"), str(path)])
    assert result.returncode != 0 and "no exact X.Y.Z pin" in result.stderr
    assert result.stdout == ""
