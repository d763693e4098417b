"""The seam between ``aksflow diff`` and change safety: two calls from the diff service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

from aksflow.diff.model import StackDiff, StackPlan
from aksflow.environments import Environments, load_environments
from aksflow.errors import AksflowError
from aksflow.profiles import effective_values
from aksflow.project import load_project, load_stack_config
from aksflow.safety import settings
from aksflow.safety.analysis import StackSafety, analyze_stack, cross_stack
from aksflow.safety.upgrade import StackVersion

_ORDER = {"high": 0, "medium": 1}


def stack_safety(
    stack: str,
    environment: str,
    base_state: Mapping[str, Any] | None,
    head_state: Mapping[str, Any],
    plan: StackPlan,
    head_project: Path,
) -> StackSafety:
    """Cost, upgrade plan, rotations and blast radius of one stack (limits from the head)."""
    env = settings.load(head_project).get(environment, settings.EnvironmentSafety())
    return analyze_stack(
        stack=stack,
        environment=environment,
        base_state=base_state,
        head_state=head_state,
        plan=plan,
        env=env,
        project_dir=head_project,
    )


def configured_versions(head_project: Path, skip: Sequence[str]) -> list[StackVersion]:
    """Kubernetes versions of the head's other stacks, from their effective config (stack
    file over its environment's profile over the base defaults)."""
    try:
        project = load_project(head_project)
        stacks = [s for s in project.stacks() if s not in skip]
    except AksflowError:
        return []
    try:
        envs: Environments | None = load_environments(head_project)
    except AksflowError:
        envs = None  # each stack's preview reports a missing or broken file itself
    out = []
    for stack in stacks:
        try:
            config = load_stack_config(project, stack)
        except AksflowError:
            continue  # a broken stack file is reported by that stack's own preview
        values = effective_values(project, config, envs)
        version = values.get(f"{project.name}:kubernetesVersion", "")
        if version and f"{project.name}:kubernetesVersion" not in config.secret_keys:
            out.append(StackVersion(stack, config.environment, version, changed=False))
    return out


def promotion_order(head_project: Path) -> tuple[str, ...]:
    """The head's environments in promotion order (``environments.yaml``); () without one."""
    try:
        return load_environments(head_project).names
    except AksflowError:
        return ()  # each stack's preview reports a missing or broken file itself


def with_safety(diffs: Sequence[StackDiff], head_project: Path) -> list[StackDiff]:
    """Add the cross-stack checks, then every safety finding to its stack's risks."""
    promotion = promotion_order(head_project)
    safeties = {d.stack: d.safety for d in diffs if d.safety is not None}
    others = configured_versions(head_project, list(safeties))
    checked = cross_stack(safeties, promotion, others)
    out = []
    for diff in diffs:
        safety = checked.get(diff.stack)
        if safety is None:
            out.append(diff)
            continue
        risks = sorted([*diff.risks, *safety.risks(diff.stack)], key=lambda r: _ORDER[r.level])
        out.append(dc_replace(diff, safety=safety, risks=tuple(risks)))
    return out
