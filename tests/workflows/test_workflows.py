"""Invariants of the GitHub Actions workflows (docs/pipeline.md, pipeline reference section 9)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from aksflow.environments import load_environments
from tests.workflows.conftest import REPO, WORKFLOWS

Workflow = dict[str, Any]
ENVIRONMENTS = load_environments(REPO).names

BASE_REF = "${{ github.event.pull_request.base.sha }}"
SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
VERSION_COMMENT = re.compile(r"^\s+#\s+v\d+(?:\.\d+){0,2}\b")
# Contexts an outsider controls (PR titles, branch names, bodies, dispatch inputs, ...).
UNTRUSTED = re.compile(
    r"\$\{\{[^}]*\b(github\.event\.|inputs\.|github\.head_ref|env\.|steps\.[^}]*outputs"
    r"|needs\.[^}]*outputs|matrix\.)"
)


def jobs(wf: Workflow) -> dict[str, dict[str, Any]]:
    """The jobs of a workflow."""
    result = wf.get("jobs")
    assert isinstance(result, dict) and result
    return result


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps of a job (reusable-workflow calls have none)."""
    return list(job.get("steps", []))


def all_steps(workflows: dict[str, Workflow]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file, job id, step) for every step of every workflow."""
    for name, wf in workflows.items():
        for job_id, job in jobs(wf).items():
            for step in steps(job):
                yield name, job_id, step


def uses_of(step: dict[str, Any]) -> str:
    """The action a step uses, without its ref ('' for run steps)."""
    return str(step.get("uses", "")).split("@", 1)[0].lower()


def test_expected_workflows_exist(workflows: dict[str, Workflow]) -> None:
    assert {
        "ci.yml",
        "pr.yml",
        "pr-comment.yml",
        "deploy.yml",
        "deploy-environment.yml",
        "drift.yml",
    } <= set(workflows)


def test_every_workflow_has_a_name(workflows: dict[str, Workflow]) -> None:
    for name, wf in workflows.items():
        assert wf.get("name"), name


def test_top_level_permissions_are_empty(workflows: dict[str, Workflow]) -> None:
    for name, wf in workflows.items():
        assert wf.get("permissions") == {}, f"{name}: top-level permissions must be {{}}"


def test_every_job_declares_permissions(workflows: dict[str, Workflow]) -> None:
    for name, wf in workflows.items():
        for job_id, job in jobs(wf).items():
            perms = job.get("permissions")
            assert isinstance(perms, dict), f"{name}:{job_id}: no explicit permissions"
            assert "write-all" not in str(perms) and "read-all" not in str(perms)
            for scope, level in perms.items():
                assert level in ("read", "write", "none"), f"{name}:{job_id}:{scope}"


def test_write_scopes_are_the_expected_ones(workflows: dict[str, Workflow]) -> None:
    allowed = {
        ("pr.yml", "cloud-preview"): {"id-token"},
        ("pr-comment.yml", "comment"): {"pull-requests"},
        ("drift.yml", "drift"): {"id-token", "issues"},
        # The callers grant what the called deploy-environment.yml jobs may use.
        **{("deploy.yml", env): {"id-token"} for env in ENVIRONMENTS},
        ("deploy-environment.yml", "plan"): {"id-token"},
        ("deploy-environment.yml", "apply"): {"id-token"},
    }
    for name, wf in workflows.items():
        for job_id, job in jobs(wf).items():
            writes = {k for k, v in job["permissions"].items() if v == "write"}
            assert writes == allowed.get((name, job_id), set()), f"{name}:{job_id}: {writes}"


def test_every_remote_action_is_pinned_to_a_sha(workflows: dict[str, Workflow]) -> None:
    for name, job_id, step in all_steps(workflows):
        ref = str(step.get("uses", ""))
        if not ref or ref.startswith("./"):
            continue
        assert not ref.startswith("docker://"), f"{name}:{job_id}: docker image {ref}"
        assert SHA_PIN.match(ref), f"{name}:{job_id}: {ref} is not pinned to a full commit SHA"


def test_every_pin_carries_a_version_comment() -> None:
    lines = [
        (path.name, n, line)
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
    ]
    pins: dict[str, set[str]] = {}
    checked = 0
    for name, n, line in lines:
        match = USES_LINE.match(line)
        if not match or match["ref"].startswith("./"):
            continue
        checked += 1
        assert VERSION_COMMENT.match(match["rest"]), f"{name}:{n}: pin without '# vX.Y.Z'"
        action, sha = match["ref"].split("@", 1)
        pins.setdefault(action.lower(), set()).add(f"{sha}{match['rest'].strip()}")
    assert checked > 0
    # One version per action across all workflows: bumping one place never leaves another.
    for action, versions in pins.items():
        assert len(versions) == 1, f"{action} pinned differently: {sorted(versions)}"


def test_every_checkout_drops_credentials(workflows: dict[str, Workflow]) -> None:
    seen = 0
    for name, job_id, step in all_steps(workflows):
        if uses_of(step) == "actions/checkout":
            seen += 1
            with_ = step.get("with") or {}
            assert with_.get("persist-credentials") is False, f"{name}:{job_id}"
            if name == "deploy-environment.yml":
                # The commit deploy.yml's resolve job verified to be on main, nothing else.
                assert with_["ref"] == "${{ inputs.sha }}", f"{name}:{job_id}"
            else:
                # The event's own ref, or the PR's base for the gate that judges it (never
                # anything a PR author controls, such as its head ref).
                assert with_.get("ref", BASE_REF) == BASE_REF, f"{name}:{job_id}: {with_['ref']}"
    assert seen > 0
    for job_id, job in jobs(workflows["deploy.yml"]).items():
        if "uses" in job:
            assert job["with"]["sha"] == "${{ needs.resolve.outputs.sha }}", job_id


def test_no_dangerous_pull_request_triggers(workflows: dict[str, Workflow]) -> None:
    for name, wf in workflows.items():
        triggers = wf["on"]
        names = set(triggers) if isinstance(triggers, dict) else {triggers}
        assert "pull_request_target" not in names, name
        assert "issue_comment" not in names, name
        if "workflow_run" in names:
            assert name == "pr-comment.yml", f"{name}: only the comment workflow uses workflow_run"


def test_no_expressions_inside_run_blocks(workflows: dict[str, Workflow]) -> None:
    """Values reach shell code only through env:, never by template expansion."""
    for name, job_id, step in all_steps(workflows):
        script = str(step.get("run", ""))
        assert not UNTRUSTED.search(script), f"{name}:{job_id}: untrusted ${{{{ }}}} in run:"
        assert "${{" not in script, f"{name}:{job_id}: expression inside run:, use env:"


def test_no_workflow_uses_secrets(workflows: dict[str, Workflow]) -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\$\{\{[^}]*\bsecrets\b", text), f"{path.name} uses secrets"
    for name, wf in workflows.items():
        for job_id, job in jobs(wf).items():
            assert "secrets" not in job, f"{name}:{job_id} passes secrets"


def test_pr_workflow_is_credential_free_for_forks(workflows: dict[str, Workflow]) -> None:
    wf = workflows["pr.yml"]
    assert set(wf["on"]) == {"pull_request"}
    diff = jobs(wf)["diff"]
    assert diff["permissions"] == {"contents": "read"}
    assert "environment" not in diff
    uploads = [s for s in steps(diff) if uses_of(s) == "actions/upload-artifact"]
    assert len(uploads) == 1
    assert uploads[0]["with"]["name"] == "pr-preview"
    assert uploads[0]["with"]["path"].rstrip("/") == "out/pr"
    assert "!cancelled()" in str(uploads[0].get("if", ""))
    run_diff = (REPO / ".github/scripts/run-diff.sh").read_text(encoding="utf-8")
    assert "aksflow diff" in run_diff and "pr-number" in run_diff


def test_the_gate_runs_from_a_checkout_of_the_base(workflows: dict[str, Workflow]) -> None:
    diff = jobs(workflows["pr.yml"])["diff"]
    checkouts = [s for s in steps(diff) if uses_of(s) == "actions/checkout"]
    assert [c["with"].get("ref") for c in checkouts] == [BASE_REF, None]
    assert "path" not in checkouts[0]["with"], "the base is the working directory: its code runs"
    assert checkouts[1]["with"]["path"] == "pr" and checkouts[1]["with"]["fetch-depth"] == 0
    first_run = next(i for i, s in enumerate(steps(diff)) if "run" in s)
    assert first_run > steps(diff).index(checkouts[1]), "nothing runs before both checkouts"
    run_diff = (REPO / ".github/scripts/run-diff.sh").read_text(encoding="utf-8")
    assert '--project-dir "$project"' in run_diff


def test_cloud_preview_is_same_repo_only(workflows: dict[str, Workflow]) -> None:
    job = jobs(workflows["pr.yml"])["cloud-preview"]
    condition = str(job["if"])
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert job["environment"] == "preview"
    assert job["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.diff.outputs.stacks) }}"}
    runs = " ".join(str(s.get("run", "")) for s in steps(job))
    assert "cloud-preview.sh" in runs
    script = (REPO / ".github/scripts/cloud-preview.sh").read_text(encoding="utf-8")
    assert "--policy-pack policies" in script and "--policy-pack-config" in script


def test_comment_workflow_treats_the_artifact_as_data(workflows: dict[str, Workflow]) -> None:
    wf = workflows["pr-comment.yml"]
    assert set(wf["on"]) == {"workflow_run"}
    assert wf["on"]["workflow_run"]["workflows"] == [workflows["pr.yml"]["name"]]
    for job_id, job in jobs(wf).items():
        assert job["permissions"] == {"actions": "read", "pull-requests": "write"}, job_id
        for step in steps(job):
            assert uses_of(step) != "actions/checkout", f"{job_id}: checks out code"
            script = str(step.get("run", ""))
            assert ".github/scripts" not in script, "runs repository code"
            assert "source " not in script and "eval " not in script
        runs = "\n".join(str(s.get("run", "")) for s in steps(job))
        assert "^[1-9][0-9]{0,9}$" in runs, "the PR number must be validated as an integer"
        assert "RUN_HEAD_SHA" in runs, "the PR must be bound to the run's head commit"
        assert "--paginate" in runs


def test_deploy_promotes_environments_in_the_order_of_environments_yaml(
    workflows: dict[str, Workflow],
) -> None:
    wf = workflows["deploy.yml"]
    assert wf["on"]["push"]["branches"] == ["main"]
    all_jobs = jobs(wf)
    callers = [j for j, job in all_jobs.items() if "uses" in job]
    assert callers == list(ENVIRONMENTS), "one job per environment, in promotion order"
    previous = None
    for env in ENVIRONMENTS:
        job = all_jobs[env]
        assert job["uses"] == "./.github/workflows/deploy-environment.yml"
        # A failure anywhere in an environment stops every environment after it.
        assert job["needs"] == (["resolve", previous] if previous else "resolve"), env
        assert "if" not in job, f"{env}: a condition could let it run after a failure"
        assert job["with"]["environment"] == env
        assert job["with"]["stacks"] == (
            f"${{{{ toJSON(fromJSON(needs.resolve.outputs.stacks).{env}) }}}}"
        )
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        previous = env
    resolve = all_jobs["resolve"]
    assert resolve["permissions"] == {"contents": "read"}
    assert "resolve-deploy.sh" in " ".join(str(s.get("run", "")) for s in steps(resolve))


def test_within_an_environment_every_stack_is_a_matrix_entry(
    workflows: dict[str, Workflow],
) -> None:
    called = jobs(workflows["deploy-environment.yml"])
    for job_id in ("plan", "apply"):
        matrix = called[job_id]["strategy"]["matrix"]
        assert matrix == {"include": "${{ fromJSON(inputs.stacks) }}"}, job_id
        # fail-fast would cancel a sibling stack's running `pulumi up`.
        assert called[job_id]["strategy"]["fail-fast"] is False, job_id
    conc = called["apply"]["concurrency"]
    assert conc == {"group": "deploy-${{ matrix.stack }}", "cancel-in-progress": False}


def test_prod_is_planned_before_its_approval(workflows: dict[str, Workflow]) -> None:
    """The approval sits on `apply` (its environment); `plan` runs before it, unprotected."""
    called = jobs(workflows["deploy-environment.yml"])
    plan, apply = called["plan"], called["apply"]
    assert plan["environment"] == "preview"  # read-only identity, no required reviewers
    assert "needs" not in plan
    assert apply["needs"] == "plan"
    assert apply["environment"] == "${{ inputs.environment }}"  # prod's reviewers approve here
    plan_runs = [str(s.get("run", "")) for s in steps(plan)]
    gate = next(i for i, r in enumerate(plan_runs) if "policy-gate.sh" in r)
    planned = next(i for i, r in enumerate(plan_runs) if "plan-stack.sh" in r)
    assert gate < planned
    uploads = [s for s in steps(plan) if uses_of(s) == "actions/upload-artifact"]
    assert any(u["with"]["name"] == "plan-${{ matrix.stack }}" for u in uploads)
    apply_steps = steps(apply)
    download = next(
        i for i, s in enumerate(apply_steps) if uses_of(s) == "actions/download-artifact"
    )
    assert apply_steps[download]["with"]["name"] == "plan-${{ matrix.stack }}"
    applies = [i for i, s in enumerate(apply_steps) if "apply-stack.sh" in str(s.get("run", ""))]
    assert applies and applies[0] > download
    for job in (plan, apply):
        assert not any(uses_of(s) == "actions/cache" for s in steps(job)), "no cache in deploys"
    script = (REPO / ".github/scripts/apply-stack.sh").read_text(encoding="utf-8")
    assert script.index("aksflow plan check") < script.index("pulumi up --stack")
    plan_script = (REPO / ".github/scripts/plan-stack.sh").read_text(encoding="utf-8")
    assert "pulumi preview --stack" in plan_script and "--json" in plan_script
    assert "--policy-pack-config" in plan_script


def test_rollback_input_exists(workflows: dict[str, Workflow]) -> None:
    inputs = workflows["deploy.yml"]["on"]["workflow_dispatch"]["inputs"]
    assert inputs["ref"]["type"] == "string" and "main" in inputs["ref"]["description"]
    assert inputs["target"]["type"] == "string"
    resolve = jobs(workflows["deploy.yml"])["resolve"]
    step = next(s for s in steps(resolve) if "resolve-deploy.sh" in str(s.get("run", "")))
    assert step["env"] == {"REF": "${{ inputs.ref }}", "TARGET": "${{ inputs.target }}"}
    checkout = next(s for s in steps(resolve) if uses_of(s) == "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 0  # ancestry check against origin/main


def _cluster_jobs(workflows: dict[str, Workflow]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Jobs that run the real Pulumi CLI against a stack (and so reach its cluster)."""
    for name, wf in workflows.items():
        for job_id, job in jobs(wf).items():
            if any(uses_of(s) == "pulumi/actions" for s in steps(job)):
                yield name, job_id, job


def test_cluster_jobs_are_the_expected_ones(workflows: dict[str, Workflow]) -> None:
    assert {(n, j) for n, j, _ in _cluster_jobs(workflows)} == {
        ("pr.yml", "cloud-preview"),
        ("drift.yml", "drift"),
        ("deploy-environment.yml", "plan"),
        ("deploy-environment.yml", "apply"),
    }


def test_runner_labels_come_from_variables(workflows: dict[str, Workflow]) -> None:
    for name, job_id, job in _cluster_jobs(workflows):
        assert job["runs-on"] == (
            "${{ fromJSON(vars[matrix.runnerVariable] || '\"ubuntu-24.04\"') }}"
        ), f"{name}:{job_id}"
        assert "include" in job["strategy"]["matrix"], f"{name}:{job_id}: matrix of stack entries"


def test_kubelogin_is_installed_wherever_a_cluster_is_reached(
    workflows: dict[str, Workflow],
) -> None:
    """Entra-only clusters: the provider's kubeconfig execs kubelogin before any Pulumi run."""
    for name, job_id, job in _cluster_jobs(workflows):
        runs = [str(s.get("run", "")) for s in steps(job)]
        install = next((i for i, r in enumerate(runs) if "install-kubelogin.sh" in r), None)
        assert install is not None, f"{name}:{job_id}: no kubelogin"
        pulumi_steps = [
            i
            for i, r in enumerate(runs)
            if any(x in r for x in ("plan-stack", "apply-stack", "cloud-preview", "drift-check"))
        ]
        assert pulumi_steps and install < min(pulumi_steps), f"{name}:{job_id}"
        assert "KUBELOGIN_VERSION" not in str(workflows[name].get("env", {})), name
    script = (REPO / ".github/scripts/install-kubelogin.sh").read_text(encoding="utf-8")
    assert "sha256sum --check --strict" in script
    # The one pin: the script's, not a copy per workflow.
    assert re.search(r'^readonly PINNED_VERSION="v\d+\.\d+\.\d+"$', script, re.MULTILINE)
    assert re.search(r'^readonly PINNED_SHA256="[0-9a-f]{64}"$', script, re.MULTILINE)


def test_no_workflow_or_script_names_a_stack() -> None:
    names = [p.name[len("Pulumi.") : -len(".yaml")] for p in REPO.glob("Pulumi.*.yaml")]
    files = [*WORKFLOWS.glob("*.yml"), *(REPO / ".github" / "scripts").glob("*.sh")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.name == "deploy.yml":
            # The environment jobs (checked against environments.yaml above) are its only names.
            text = re.sub(r"(?ms)^  (dev|staging|prod):\n.*?(?=^  \w|\Z)", "", text)
        # "dev" is also the dev dependency set (VENV_SET), and /dev/null is no stack.
        lines = [
            line
            for line in text.splitlines()
            if not re.search(r"VENV_SET|\bdev\) stamps|runtime or dev|dev stamp", line)
        ]
        for stack in names:
            pattern = rf"(?<![\w/.-]){re.escape(stack)}(?![\w/.-])"
            hits = [line for line in lines if re.search(pattern, line)]
            assert not hits, f"{path.name} names stack {stack}: {hits}"


def test_drift_schedule_and_issue_handling(workflows: dict[str, Workflow]) -> None:
    wf = workflows["drift.yml"]
    assert "workflow_dispatch" in wf["on"]
    crons = [entry["cron"] for entry in wf["on"]["schedule"]]
    assert crons
    for cron in crons:
        minute = cron.split()[0]
        assert minute.isdigit() and int(minute) != 0, f"cron {cron!r} runs at minute 0"
    job = jobs(wf)["drift"]
    assert job["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.stacks.outputs.stacks) }}"}
    listing = " ".join(str(s.get("run", "")) for s in steps(jobs(wf)["stacks"]))
    assert ".venv/bin/aksflow stacks --json" in listing
    assert job["strategy"]["fail-fast"] is False
    assert job["environment"] == "preview"
    runs = " ".join(str(s.get("run", "")) for s in steps(job))
    assert "drift-check.sh" in runs and "drift-issue.sh" in runs
    check = (REPO / ".github/scripts/drift-check.sh").read_text(encoding="utf-8")
    assert "--refresh --expect-no-changes" in check


@pytest.mark.parametrize("name", ["pr.yml", "deploy-environment.yml", "drift.yml"])
def test_oidc_logins_carry_no_client_secret(workflows: dict[str, Workflow], name: str) -> None:
    logins = 0
    for job_id, job in jobs(workflows[name]).items():
        for step in steps(job):
            if uses_of(step) != "azure/login":
                continue
            logins += 1
            with_ = step["with"]
            assert set(with_) == {"client-id", "tenant-id", "subscription-id"}, job_id
            for key, value in with_.items():
                assert re.fullmatch(r"\$\{\{ vars\.AZURE_[A-Z_]+ \}\}", value), (job_id, key)
            assert job["permissions"].get("id-token") == "write", job_id
    assert logins > 0
    assert "client-secret" not in (WORKFLOWS / name).read_text(encoding="utf-8")
    assert "creds:" not in (WORKFLOWS / name).read_text(encoding="utf-8")


def test_tool_versions_are_pinned_once(workflows: dict[str, Workflow]) -> None:
    """Python comes from .python-version, the Pulumi CLI from the SDK's pin in the lock."""
    assert (REPO / ".python-version").read_text(encoding="utf-8").strip() == "3.11"
    for name, wf in workflows.items():
        env = wf.get("env", {})
        assert not {"PYTHON_VERSION", "PULUMI_VERSION", "KUBELOGIN_VERSION"} & set(env), name
        for job_id, job in jobs(wf).items():
            _assert_pinned_tools(f"{name}:{job_id}", steps(job), env)
    ci_env = workflows["ci.yml"]["env"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", ci_env["ACTIONLINT_VERSION"])
    assert re.fullmatch(r"[0-9a-f]{64}", ci_env["ACTIONLINT_SHA256"])


def test_the_locks_resolve_for_the_python_of_python_version() -> None:
    """``make lock`` takes the version from .python-version, and both committed locks say they
    were resolved for it (uv records its command line in the header)."""
    python = (REPO / ".python-version").read_text(encoding="utf-8").strip()
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "LOCK_PYTHON = $(shell cat .python-version)" in makefile
    assert makefile.count("--python-version $(LOCK_PYTHON)") == 2
    assert not re.search(r"--python-version \d", makefile)
    for lock in ("requirements.lock", "requirements-dev.lock"):
        header = (REPO / lock).read_text(encoding="utf-8").splitlines()[1]
        assert f" --python-version {python} " in header, lock


def _assert_pinned_tools(where: str, job_steps: list[dict[str, Any]], env: dict[str, Any]) -> None:
    ids = [step.get("id") for step in job_steps]
    for index, step in enumerate(job_steps):
        with_ = step.get("with") or {}
        action = uses_of(step)
        if action == "actions/setup-python":
            assert with_ == {"python-version-file": ".python-version"}, where
        elif action == "pulumi/actions":
            assert with_["pulumi-version"] == "${{ steps.pulumi-version.outputs.version }}", where
            reader = ids.index("pulumi-version")
            assert reader < index, where
            run = job_steps[reader]["run"]
            assert run == '.github/scripts/pulumi-version.sh >> "$GITHUB_OUTPUT"', where
        elif action == "azure/setup-helm":
            assert with_["version"] == "${{ env.HELM_VERSION }}", where
            assert re.fullmatch(r"v\d+\.\d+\.\d+", env["HELM_VERSION"])


def test_venv_cache_is_keyed_on_the_lock_file(workflows: dict[str, Workflow]) -> None:
    caches = [
        (name, step) for name, _, step in all_steps(workflows) if uses_of(step) == "actions/cache"
    ]
    assert caches
    for name, step in caches:
        assert step["with"]["path"] == ".venv", name
        key = step["with"]["key"]
        assert "hashFiles('requirements.lock'" in key, name
        assert "python-version" in key, name
        # A job that installs the dev tools caches a different .venv from one that does not.
        job_set = "dev" if "requirements-dev.lock" in key else "runtime"
        assert key.startswith(f"venv-{job_set}-"), (name, key)


def test_ci_runs_tests_and_workflow_linters(workflows: dict[str, Workflow]) -> None:
    wf = workflows["ci.yml"]
    assert "pull_request" in wf["on"]
    all_jobs = jobs(wf)
    runs = {j: " ".join(str(s.get("run", "")) for s in steps(job)) for j, job in all_jobs.items()}
    assert "make test" in runs["test"]
    assert "actionlint" in runs["actionlint"]
    assert "helm-lint.sh" in runs["helm-lint"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for tool in ("zizmor", "check-jsonschema", "shellcheck"):
        assert tool in makefile, f"make lint must run {tool}"


def test_jobs_have_timeouts(workflows: dict[str, Workflow]) -> None:
    for name, wf in workflows.items():
        for job_id, job in jobs(wf).items():
            if "uses" in job:  # a reusable-workflow call: its jobs carry the timeouts
                continue
            assert isinstance(job.get("timeout-minutes"), int), f"{name}:{job_id}"


@pytest.mark.parametrize(
    ("ref", "pinned"),
    [
        ("actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd", True),
        ("actions/checkout@v6", False),
        ("actions/checkout@de0fac2", False),
        ("actions/checkout@main", False),
        ("github/codeql-action/upload-sarif@" + "0" * 40, True),
    ],
)
def test_sha_pin_pattern(ref: str, pinned: bool) -> None:
    assert bool(SHA_PIN.match(ref)) is pinned


@pytest.mark.parametrize(
    "script",
    [
        'echo "${{ github.event.pull_request.title }}"',
        "git checkout ${{ github.head_ref }}",
        "echo ${{ inputs.stack }}",
        "echo ${{ steps.diff.outputs.stacks }}",
        "echo ${{ needs.diff.outputs.stacks }}",
    ],
)
def test_untrusted_expression_pattern(script: str) -> None:
    assert UNTRUSTED.search(script)


@pytest.mark.parametrize(
    ("line", "ok"),
    [
        ("      - uses: a/b@" + "1" * 40 + " # v6.0.2", True),
        ("        uses: a/b@" + "1" * 40 + " # v7", True),
        ("        uses: a/b@" + "1" * 40, False),
        ("        uses: a/b@" + "1" * 40 + " # pinned", False),
    ],
)
def test_version_comment_pattern(line: str, ok: bool) -> None:
    match = USES_LINE.match(line)
    assert match
    assert bool(VERSION_COMMENT.match(match["rest"])) is ok


def test_codeowners_put_the_gate_under_the_platform_team() -> None:
    """The gate's code, the pack and the workflows need the platform owners' review."""
    lines = (REPO / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines()
    owners = {
        parts[0]: parts[1:]
        for line in lines
        if (parts := line.split()) and not parts[0].startswith("#")
    }
    for path in ("/aksflow/", "/policies/", "/.github/"):
        assert owners.get(path) == ["@contoso/platform-owners"], path
