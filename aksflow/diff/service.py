"""``aksflow diff`` end to end: worktrees, two previews in parallel, per-stack diffs.

Work is reused where the result cannot differ: when the project's tree is the same at both
revisions the head preview stands in for the base; when only some ``Pulumi.<stack>.yaml`` files
changed, only those stacks are previewed at the base (a stack file feeds only its own stack).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aksflow.diff import git
from aksflow.diff.model import DiffReport, PolicyVerdict, Revision, StackDiff, Violation
from aksflow.diff.plan import diff_states
from aksflow.diff.policyconfig import compare_enforcement, read_levels, stack_environment
from aksflow.diff.replace import ReplaceTable
from aksflow.diff.risk import stack_risks
from aksflow.diff.runner import PreviewOutcome, PreviewRunner
from aksflow.errors import AksflowError, ProjectError
from aksflow.safety.hook import stack_safety, with_safety
from aksflow.stacks import policy_config_path, promotion_key

_STACK_FILE = re.compile(r"^Pulumi\.(.+)\.yaml$")


@dataclass(frozen=True)
class DiffRequest:
    """What to compare: two revisions of the project at ``project_dir``."""

    project_dir: Path
    base: str
    head: str  # "" (or git.WORKING_TREE): the working tree, uncommitted changes included
    stacks: Sequence[str] = ()


def _stacks_in(project_dir: Path) -> list[str]:
    found = [
        m.group(1) for p in project_dir.glob("Pulumi.*.yaml") if (m := _STACK_FILE.match(p.name))
    ]
    return sorted(found, key=promotion_key(project_dir))


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise AksflowError(f"{path}: cannot read the {what} the preview wrote: {exc}") from None


def _read_state(directory: Path) -> Any:
    """``state.json`` with the Chart inputs aksflow keeps beside it (``charts.json``) put back."""
    from aksflow.engine.state import with_chart_inputs

    state = _read_json(directory / "state.json", "state")
    charts = directory / "charts.json"
    return (
        with_chart_inputs(state, _read_json(charts, "chart inputs")) if charts.is_file() else state
    )


def read_verdict(path: Path) -> PolicyVerdict:
    """``policy.json`` as a :class:`PolicyVerdict`."""
    doc = _read_json(path, "policy report")
    violations = tuple(
        Violation(
            policy=str(v.get("policy", "")),
            level=str(v.get("level", "advisory")),
            severity=str(v.get("severity", "")),
            urn=str(v.get("urn") or ""),
            file=str(v.get("file") or ""),
            line=v.get("line") if isinstance(v.get("line"), int) else None,
            message=str(v.get("message", "")),
            hint=str(v.get("hint") or ""),
        )
        for v in doc.get("violations") or ()
    )
    return PolicyVerdict(int(doc.get("evaluated") or 0), violations)


def _mark_new(head: PolicyVerdict, base: PolicyVerdict | None) -> PolicyVerdict:
    known = {v.key for v in base.violations} if base else set()
    ordered = sorted(head.violations, key=lambda v: v.level != "mandatory")
    return PolicyVerdict(
        head.evaluated,
        tuple(Violation(**{**v.__dict__, "new": v.key not in known}) for v in ordered),
    )


def _base_stacks(
    repo: Path, rel: str, base: Revision, head: Revision, stacks: Sequence[str]
) -> tuple[list[str], bool]:
    """Stacks that need a base preview, and whether the whole base is reused from the head."""
    if git.tree_hash(repo, base.sha, rel) == git.tree_hash(repo, head.sha, rel):
        return [], True
    changed = git.changed_files(repo, base.sha, head.sha, rel)
    stack_files = [m.group(1) for f in changed if (m := _STACK_FILE.match(f))]
    if len(stack_files) == len(changed):  # only stack files: the other stacks cannot differ
        return [s for s in stacks if s in stack_files], False
    return list(stacks), False


def _run_both(
    runner: PreviewRunner,
    jobs: Mapping[str, tuple[Path, Sequence[str], Path]],
) -> dict[str, PreviewOutcome]:
    with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
        futures = {side: pool.submit(runner.run, *job) for side, job in jobs.items()}
        return {side: future.result() for side, future in futures.items()}


def run_diff(
    request: DiffRequest,
    runner: PreviewRunner,
    *,
    table: ReplaceTable | None = None,
    links: Mapping[str, str] | None = None,
) -> DiffReport:
    """Preview base and head, then diff every selected stack.

    Bad input (unknown revision, no project, malformed head policy config) raises an
    :class:`AksflowError`; a preview that fails returns a report whose ``error`` says why (exit
    status 2), so the failure can still be posted on the pull request.
    """
    table = table or ReplaceTable.load()
    project_dir = request.project_dir.resolve()
    repo = git.toplevel(project_dir)
    rel = project_dir.relative_to(repo).as_posix()
    rel = "" if rel == "." else rel
    base = git.resolve(repo, request.base)
    working = request.head in ("", git.WORKING_TREE)
    head = git.snapshot(repo) if working else git.resolve(repo, request.head)
    with ExitStack() as cleanup:
        tmp = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="aksflow-diff-")))
        head_tree = cleanup.enter_context(git.worktree(repo, head.sha, tmp / "head"))
        head_project = head_tree / rel
        if not (head_project / "Pulumi.yaml").is_file():
            raise ProjectError(f"{rel or '.'}/Pulumi.yaml: not found at head {head.short}")
        stacks = list(dict.fromkeys(request.stacks)) or _stacks_in(head_project)
        if not stacks:
            raise ProjectError(f"{rel or '.'}: no Pulumi.<stack>.yaml at head {head.short}")
        wanted, reused = _base_stacks(repo, rel, base, head, stacks)
        base_project = head_project
        if not reused:
            base_tree = cleanup.enter_context(git.worktree(repo, base.sha, tmp / "base"))
            base_project = base_tree / rel
            wanted = [s for s in wanted if (base_project / f"Pulumi.{s}.yaml").is_file()]
        jobs = {"head": (head_project, stacks, tmp / "out-head")}
        if wanted:
            jobs["base"] = (base_project, wanted, tmp / "out-base")
        outcomes = _run_both(runner, jobs)
        error = None
        if outcomes["head"].failed:
            error = f"head {head.ref} ({head.short}): {outcomes['head'].message}"
        elif "base" in outcomes and outcomes["base"].failed:
            error = (
                f"base {base.ref} ({base.short}) cannot be previewed, so there is nothing to "
                f"compare against: {outcomes['base'].message}"
            )
        if error:
            return DiffReport(base=base, head=head, stacks=(), error=error, links=links or {})
        diffs = [
            _stack_diff(table, stack, head_project, base_project, outcomes, wanted, reused)
            for stack in stacks
        ]
        diffs = with_safety(diffs, head_project)
    return DiffReport(
        base=base, head=head, stacks=tuple(diffs), reused_base=reused, links=links or {}
    )


def _stack_diff(
    table: ReplaceTable,
    stack: str,
    head_project: Path,
    base_project: Path,
    outcomes: Mapping[str, PreviewOutcome],
    wanted: Sequence[str],
    reused: bool,
) -> StackDiff:
    head_dir = outcomes["head"].out_dir / stack
    head_state = _read_state(head_dir)
    head_policy = read_verdict(head_dir / "policy.json")
    base_exists = (base_project / f"Pulumi.{stack}.yaml").is_file()
    if stack in wanted:
        base_dir = outcomes["base"].out_dir / stack
        base_state = _read_state(base_dir)
        base_policy: PolicyVerdict | None = read_verdict(base_dir / "policy.json")
    elif base_exists or reused:  # identical at both revisions: the head's result is the base's
        base_state, base_policy = head_state, head_policy
    else:
        base_state, base_policy = None, None
    environment = stack_environment(head_project, stack)
    base_env = stack_environment(base_project, stack) if base_exists else environment
    enforcement = compare_enforcement(
        environment,
        read_levels(base_project / policy_config_path(base_project, base_env), strict=False)
        if base_exists
        else {},
        read_levels(head_project / policy_config_path(head_project, environment), strict=True),
    )
    plan = diff_states(stack, base_state, head_state, table)
    safety = stack_safety(stack, environment, base_state, head_state, plan, head_project)
    return StackDiff(
        stack=stack,
        environment=environment,
        plan=plan,
        head_policy=_mark_new(head_policy, base_policy),
        base_policy=base_policy,
        risks=stack_risks(stack, plan, enforcement),
        enforcement=enforcement,
        new_stack=base_state is None,
        safety=safety,
    )
