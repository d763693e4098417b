"""``aksflow diff`` end to end: worktrees, two previews in parallel, a trusted gate, diffs.

The head's program runs in its own process and leaves only data (its state and its own policy
report). The verdict comes from a third process running the BASE revision's aksflow and pack
(:mod:`aksflow.policy.trusted`), started as soon as the head's preview is done, while the
base's preview may still run: every policy at the stricter of the base's and the head's level,
the base's exceptions. A pull request that edits ``aksflow/`` or ``policies/`` therefore cannot
change the verdict on itself.

Work is reused where the result cannot differ: when the project's tree is the same at both
revisions the head preview stands in for the base; when only some ``Pulumi.<stack>.yaml`` files
changed, only those stacks are previewed at the base (a stack file feeds only its own stack).
Any other change, ``environments.yaml`` (the profiles) and ``infra/defaults.py`` (the base)
included, is an input of every stack: every stack is previewed at the base.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from aksflow.diff import git
from aksflow.diff.model import (
    DiffReport,
    PolicyChange,
    PolicyVerdict,
    StackDiff,
    Violation,
)
from aksflow.diff.plan import diff_states
from aksflow.diff.policyconfig import (
    code_changes,
    compare_enforcement,
    effective_levels,
    exception_changes,
    level_changes,
    policy_change_risks,
    read_config,
    read_levels,
    settings_changes,
    stack_environment,
)
from aksflow.diff.replace import ReplaceTable
from aksflow.diff.risk import stack_risks
from aksflow.diff.runner import PreviewOutcome, PreviewRunner
from aksflow.errors import AksflowError, ProjectError
from aksflow.policy.exceptions import FILE_NAME, load_exceptions
from aksflow.safety.hook import stack_safety, with_safety
from aksflow.stacks import policy_config_path, promotion_key

_T = TypeVar("_T")
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


def _violation(v: Mapping[str, Any]) -> Violation:
    exception = v.get("exception")
    return Violation(
        policy=str(v.get("policy", "")),
        level=str(v.get("level", "advisory")),
        severity=str(v.get("severity", "")),
        urn=str(v.get("urn") or ""),
        file=str(v.get("file") or ""),
        line=v.get("line") if isinstance(v.get("line"), int) else None,
        message=str(v.get("message", "")),
        hint=str(v.get("hint") or ""),
        exception=dict(exception) if isinstance(exception, Mapping) else None,
    )


def read_verdict(path: Path) -> PolicyVerdict:
    """``policy.json`` as a :class:`PolicyVerdict`."""
    doc = _read_json(path, "policy report")
    return PolicyVerdict(
        int(doc.get("evaluated") or 0),
        tuple(_violation(v) for v in doc.get("violations") or ()),
        tuple(_violation(v) for v in doc.get("excepted") or ()),
    )


def _mark_new(head: PolicyVerdict, base: PolicyVerdict | None) -> PolicyVerdict:
    known = {v.key for v in (*base.violations, *base.excepted)} if base else set()
    ordered = sorted(head.violations, key=lambda v: v.level != "mandatory")
    return PolicyVerdict(
        head.evaluated,
        tuple(Violation(**{**v.__dict__, "new": v.key not in known}) for v in ordered),
        head.excepted,
    )


def _base_stacks(stacks: Sequence[str], changed: Sequence[str] | None) -> tuple[list[str], bool]:
    """Stacks that need a base preview, and whether the whole base is reused from the head."""
    if changed is None:
        return [], True
    stack_files = [m.group(1) for f in changed if (m := _STACK_FILE.match(f))]
    if len(stack_files) == len(changed):  # only stack files: the other stacks cannot differ
        return [s for s in stacks if s in stack_files], False
    return list(stacks), False


@dataclass(frozen=True)
class _Gate:
    """What the trusted gate needs once the head's preview is done."""

    code_root: Path | None  # the base checkout when it carries aksflow/, else this aksflow
    project: Path  # the base's project: its pack, config and exceptions judge the head
    stacks: tuple[tuple[str, str, Path, Path], ...]  # stack, environment, state, head report
    request: Path
    out_dir: Path


def _run_all(
    runner: PreviewRunner,
    jobs: Mapping[str, tuple[Path, Sequence[str], Path, Path | None]],
    gate: _Gate,
    while_judging: Callable[[Mapping[str, PreviewOutcome]], _T],
) -> tuple[dict[str, PreviewOutcome], _T | None, Exception | None]:
    """Previews in parallel; the gate starts as soon as the head's preview has succeeded.

    Once both previews succeeded, ``while_judging`` works on their results while the gate runs
    (it leaves a core idle); what it raises is returned, for the caller to raise only once the
    gate's outcome is known, as if it had run after it.
    """
    with ThreadPoolExecutor(max_workers=len(jobs) + 1) as pool:
        futures: dict[str, Future[PreviewOutcome]] = {
            side: pool.submit(runner.run, *job) for side, job in jobs.items()
        }
        # Imported while the previews run, not before them: it loads the policy engine.
        from aksflow.policy.trusted import StackRequest, write_request

        head = futures["head"].result()
        if not head.failed:
            stacks = [StackRequest(*stack) for stack in gate.stacks]
            write_request(gate.request, gate.project, stacks)
            futures["gate"] = pool.submit(runner.judge, gate.code_root, gate.request, gate.out_dir)
        outcomes = {side: future.result() for side, future in futures.items() if side != "gate"}
        prepared: _T | None = None
        problem: Exception | None = None
        if "gate" in futures and not any(o.failed for o in outcomes.values()):
            try:
                prepared = while_judging(outcomes)
            except Exception as exc:  # raised by the caller, once the gate has ended
                problem = exc
        if "gate" in futures:
            outcomes["gate"] = futures["gate"].result()
    return outcomes, prepared, problem


def revision_code_root(tree: Path) -> Path | None:
    """The checkout whose ``aksflow`` runs a revision's preview or, for the base, judges:
    ``tree`` when it carries the package, else ``None`` (this aksflow)."""
    return tree if (tree / "aksflow" / "__init__.py").is_file() else None


def _policy_changes(
    environments: Sequence[str],
    base_project: Path,
    head_project: Path,
    changed: Sequence[str] | None,
    reports: Mapping[str, tuple[Any, Any]],
) -> tuple[PolicyChange, ...]:
    """Every change to what the gate enforces, per environment (levels, settings), then the
    pack's code and the exceptions (pending ones apply once merged)."""
    if changed is None:
        return ()
    out: list[PolicyChange] = []
    for environment in environments:
        if environment in reports:
            base_doc, head_doc = reports[environment]
            out += level_changes(
                environment, effective_levels(base_doc), effective_levels(head_doc)
            )
        out += settings_changes(
            environment,
            read_config(base_project / policy_config_path(base_project, environment)),
            read_config(head_project / policy_config_path(head_project, environment)),
        )
    out += code_changes(changed)
    source = f"policies/{FILE_NAME}"
    out += exception_changes(
        load_exceptions(base_project / "policies" / FILE_NAME, source=source),
        load_exceptions(head_project / "policies" / FILE_NAME, source=source),
    )
    return tuple(out)


def run_diff(
    request: DiffRequest,
    runner: PreviewRunner,
    *,
    table: ReplaceTable | None = None,
    links: Mapping[str, str] | None = None,
) -> DiffReport:
    """Preview base and head, judge the head with the base's rules, diff every stack.

    Bad input (unknown revision, no project, malformed head policy config or exceptions)
    raises an :class:`AksflowError`; a preview or gate that fails returns a report whose
    ``error`` says why (exit status 2), so the failure can still be posted on the pull request.
    """
    table = table or ReplaceTable.load()
    project_dir = request.project_dir.resolve()
    repo = git.toplevel(project_dir)
    rel = project_dir.relative_to(repo).as_posix()
    rel = "" if rel == "." else rel
    base = git.resolve(repo, request.base, "--base")
    working = request.head in ("", git.WORKING_TREE)
    head = git.snapshot(repo) if working else git.resolve(repo, request.head, "--head")
    with ExitStack() as cleanup:
        tmp = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="aksflow-diff-")))
        # The fork server imports the children's floor while the worktrees are checked out
        # (the CLI opens the session earlier still, before importing this module).
        cleanup.enter_context(runner.session())
        head_tree = cleanup.enter_context(git.worktree(repo, head.sha, tmp / "head"))
        head_project = head_tree / rel
        if not (head_project / "Pulumi.yaml").is_file():
            raise ProjectError(f"{rel or '.'}/Pulumi.yaml: not found at head {head.short}")
        stacks = list(dict.fromkeys(request.stacks)) or _stacks_in(head_project)
        removed: list[str] = []  # set once the base is checked out
        if not stacks:
            raise ProjectError(f"{rel or '.'}: no Pulumi.<stack>.yaml at head {head.short}")
        same_repo = git.tree_hash(repo, base.sha, "") == git.tree_hash(repo, head.sha, "")
        same_project = same_repo or (
            git.tree_hash(repo, base.sha, rel) == git.tree_hash(repo, head.sha, rel)
        )
        changed = None if same_project else git.changed_files(repo, base.sha, head.sha, rel)
        wanted, reused = _base_stacks(stacks, changed)
        # The trusted gate runs the base's code: a checkout of the base, unless it is
        # byte-for-byte the head's (then the head's checkout is the base's too).
        base_tree = (
            head_tree
            if same_repo
            else cleanup.enter_context(git.worktree(repo, base.sha, tmp / "base"))
        )
        base_project = base_tree / rel
        if not request.stacks:  # a stack file the PR deletes: say so, never "no changes"
            removed = [s for s in _stacks_in(base_project) if s not in stacks]
        wanted = [s for s in wanted if (base_project / f"Pulumi.{s}.yaml").is_file()]
        # Each revision previews with its own aksflow, as its program imports it.
        jobs = {"head": (head_project, stacks, tmp / "out-head", revision_code_root(head_tree))}
        if wanted:
            jobs["base"] = (base_project, wanted, tmp / "out-base", revision_code_root(base_tree))
        environments = {
            stack: (
                stack_environment(base_project, stack)
                if (base_project / f"Pulumi.{stack}.yaml").is_file()
                else stack_environment(head_project, stack)
            )
            for stack in stacks
        }
        gate = _Gate(
            code_root=revision_code_root(base_tree),
            project=base_project,
            stacks=tuple(
                (
                    stack,
                    environments[stack],
                    tmp / "out-head" / stack / "state.json",
                    tmp / "out-head" / stack / "policy.json",
                )
                for stack in stacks
            ),
            request=tmp / "verdict-request.json",
            out_dir=tmp / "out-gate",
        )

        def compare(outcomes: Mapping[str, PreviewOutcome]) -> _Compared:
            """Everything but the gate's verdict: the stacks' plans, risks and safety."""
            reports = {  # stacks new at the head have no base report to compare with
                environments[stack]: _side_reports(stack, outcomes, wanted)
                for stack in sorted(stacks, key=lambda s: s in wanted)  # previewed bases win
                if (base_project / f"Pulumi.{stack}.yaml").is_file()
            }
            changes = _policy_changes(
                list(dict.fromkeys(environments.values())),
                base_project,
                head_project,
                changed,
                reports,
            )
            diffs = [
                _stack_diff(
                    table, stack, head_project, base_project, outcomes, wanted, reused, changes
                )
                for stack in stacks
            ]
            return _Compared(changes, with_safety(diffs, head_project))

        outcomes, compared, problem = _run_all(runner, jobs, gate, compare)
        error = None
        if outcomes["head"].failed:
            error = f"head {head.ref} ({head.short}): {outcomes['head'].message}"
        elif "base" in outcomes and outcomes["base"].failed:
            error = (
                f"base {base.ref} ({base.short}) cannot be previewed, so there is nothing to "
                f"compare against: {outcomes['base'].message}"
            )
        elif outcomes["gate"].failed:
            error = (
                f"the policy gate of base {base.ref} ({base.short}) could not judge head "
                f"{head.short}: {outcomes['gate'].message}"
            )
        if error:
            return DiffReport(base=base, head=head, stacks=(), error=error, links=links or {})
        if problem is not None:
            raise problem
        assert compared is not None
        changes = compared.changes
        diffs = [_with_verdict(d, outcomes["gate"]) for d in compared.diffs]
        _check_gate(outcomes["gate"], diffs)
    return DiffReport(
        base=base,
        head=head,
        stacks=tuple(diffs),
        reused_base=reused,
        links=links or {},
        policy_changes=changes,
        removed_stacks=tuple(removed),
    )


@dataclass(frozen=True)
class _Compared:
    """The diff of every stack before the gate's verdict is in (``head_policy`` is the head's
    own report until :func:`_with_verdict`)."""

    changes: tuple[PolicyChange, ...]
    diffs: list[StackDiff]


def _with_verdict(diff: StackDiff, gate: PreviewOutcome) -> StackDiff:
    """The stack's diff with the trusted gate's verdict, findings new since the base marked."""
    verdict = read_verdict(gate.out_dir / diff.stack / "policy.json")
    return replace(diff, head_policy=_mark_new(verdict, diff.base_policy))


def _side_reports(
    stack: str, outcomes: Mapping[str, PreviewOutcome], wanted: Sequence[str]
) -> tuple[Any, Any]:
    """The base's and the head's own ``policy.json`` documents (data) for one stack; the
    head's stands for the base's when the base was not previewed (nothing it reads changed)."""
    head_doc = _read_json(outcomes["head"].out_dir / stack / "policy.json", "policy report")
    if stack not in wanted:
        return head_doc, head_doc
    base_doc = _read_json(outcomes["base"].out_dir / stack / "policy.json", "policy report")
    return base_doc, head_doc


def _check_gate(outcome: PreviewOutcome, diffs: Sequence[StackDiff]) -> None:
    """The gate's exit status and its reports must agree; anything else is a bug."""
    failing = any(d.head_policy.mandatory for d in diffs)
    if (outcome.returncode == 1) != failing:
        raise AksflowError(
            f"the policy gate exited {outcome.returncode} but its reports list "
            f"{'a' if failing else 'no'} mandatory violation: refusing to guess the verdict"
        )


def _stack_diff(
    table: ReplaceTable,
    stack: str,
    head_project: Path,
    base_project: Path,
    outcomes: Mapping[str, PreviewOutcome],
    wanted: Sequence[str],
    reused: bool,
    changes: Sequence[PolicyChange],
) -> StackDiff:
    head_dir = outcomes["head"].out_dir / stack
    head_state = _read_state(head_dir)
    head_own = read_verdict(head_dir / "policy.json")
    base_exists = (base_project / f"Pulumi.{stack}.yaml").is_file()
    if stack in wanted:
        base_dir = outcomes["base"].out_dir / stack
        base_state = _read_state(base_dir)
        base_policy: PolicyVerdict | None = read_verdict(base_dir / "policy.json")
    elif base_exists or reused:  # identical at both revisions: the head's result is the base's
        base_state, base_policy = head_state, head_own
    else:
        base_state, base_policy = None, None
    environment = stack_environment(head_project, stack)
    # A stack new in the PR joins its environment as the base configures it: what changes is
    # that environment's policy config, not every level ({} only if the config is new too).
    base_env = stack_environment(base_project, stack) if base_exists else environment
    enforcement = compare_enforcement(
        environment,
        read_levels(base_project / policy_config_path(base_project, base_env), strict=False),
        read_levels(head_project / policy_config_path(head_project, environment), strict=True),
    )
    plan = diff_states(stack, base_state, head_state, table)
    safety = stack_safety(stack, environment, base_state, head_state, plan, head_project)
    return StackDiff(
        stack=stack,
        environment=environment,
        plan=plan,
        head_policy=head_own,  # the gate's verdict replaces it (_with_verdict)
        base_policy=base_policy,
        risks=(
            *stack_risks(stack, plan, enforcement),
            *policy_change_risks(stack, environment, changes, enforcement),
        ),
        enforcement=enforcement,
        new_stack=base_state is None,
        safety=safety,
    )
