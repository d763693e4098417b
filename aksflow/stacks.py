"""The project's stacks as data: every ``Pulumi.<stack>.yaml``, its environment, in promotion order.

``aksflow stacks`` prints this list; the workflows build every matrix from it (PR cloud preview,
deploy, drift), so a new stack file is picked up everywhere without another edit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aksflow.environments import Environment, Environments, load_environments
from aksflow.errors import AksflowError, ConfigError, YamlError
from aksflow.profiles import effective_values
from aksflow.project import Project, load_project, load_stack_config
from aksflow.yamlio import read_yaml


@dataclass(frozen=True)
class StackEntry:
    """One stack and what the pipeline needs to know about it."""

    stack: str
    environment: Environment
    location: str
    file: Path

    @property
    def policy_config(self) -> str:
        """Project-relative path of the policy pack config for this stack."""
        return self.environment.policy_config

    def as_json(self) -> dict[str, Any]:
        """The matrix entry the workflows consume."""
        return {
            "stack": self.stack,
            "environment": self.environment.name,
            "location": self.location,
            "policyConfig": self.policy_config,
            "runnerVariable": self.environment.runner_variable,
        }


def _entry(project: Project, envs: Environments, stack: str) -> StackEntry:
    config = load_stack_config(project, stack)
    environment = envs.require(
        config.environment, f"{config.file.name}: {project.name}:environment"
    )
    environment.policy_config_file(project.root)  # listed stacks must be gateable
    key = f"{project.name}:location"
    # A secure location is never decrypted offline: say so rather than list the placeholder.
    location = effective_values(project, config, envs).get(key, "")
    return StackEntry(
        stack=stack,
        environment=environment,
        location="[secret]" if key in config.secret_keys else location,
        file=config.file,
    )


def list_stacks(project_dir: Path, environment: str | None = None) -> list[StackEntry]:
    """Every stack in promotion order (environment order, then stack name).

    Each stack file is fully checked (types, required keys, a known environment), so a stack
    that would fail its preview fails the listing too instead of dropping out of a matrix.
    """
    project = load_project(project_dir)
    envs = load_environments(project.root)
    if environment is not None:
        envs.require(environment, "--environment")
    entries = [_entry(project, envs, stack) for stack in project.stacks()]
    entries.sort(key=lambda e: (e.environment.rank, e.stack))
    if environment is not None:
        entries = [e for e in entries if e.environment.name == environment]
    return entries


def select(entries: Sequence[StackEntry], target: str) -> list[StackEntry]:
    """The entries named by ``target``: an environment name or a stack name."""
    chosen = [e for e in entries if target in (e.environment.name, e.stack)]
    if not chosen:
        raise ConfigError(f"--only: {target!r} is neither an environment nor a stack with a file")
    return chosen


def declared_environment(project_dir: Path, stack: str) -> str | None:
    """The stack file's ``<project>:environment`` read leniently (an older revision may lack it)."""
    try:
        project = read_yaml(project_dir / "Pulumi.yaml") or {}
        doc = read_yaml(project_dir / f"Pulumi.{stack}.yaml") or {}
    except YamlError:
        return None
    name = project.get("name", "") if isinstance(project, Mapping) else ""
    config = doc.get("config") if isinstance(doc, Mapping) else None
    value = config.get(f"{name}:environment") if isinstance(config, Mapping) else None
    return value if isinstance(value, str) and value else None


def promotion_key(project_dir: Path) -> Callable[[str], tuple[int, str]]:
    """A sort key putting stack names in promotion order; unknown environments go last.

    Lenient on purpose: it orders stacks of any revision (``aksflow diff`` reads old ones), and
    the preview of each stack reports a broken file with its own error.
    """
    try:
        envs: Environments | None = load_environments(project_dir)
    except AksflowError:
        envs = None

    def key(stack: str) -> tuple[int, str]:
        name = declared_environment(project_dir, stack) or stack
        env = envs.get(name) if envs is not None else None
        return (env.rank if env is not None else len(envs or ()), stack)

    return key


def policy_config_path(project_dir: Path, environment: str) -> str:
    """The policy config of ``environment`` at ``project_dir`` (any revision; lenient).

    environments.yaml's ``policyConfig``; ``policies/config/<environment>.json`` when the file,
    or the environment in it, is missing (an older revision).
    """
    try:
        profile = load_environments(project_dir).get(environment)
    except AksflowError:
        profile = None
    return profile.policy_config if profile else f"policies/config/{environment}.json"


# --- --affected: the stacks a PR's diff.json says changed -------------------------------------


def _changed(entry: Mapping[str, Any]) -> bool:
    counts = entry.get("summary") or entry.get("counts") or {}
    counted = 0
    if isinstance(counts, Mapping):
        counted = sum(
            v
            for k, v in counts.items()
            if k not in ("same", "unchanged") and isinstance(v, int) and not isinstance(v, bool)
        )
    status = entry.get("status")
    return bool(
        (status is not None and status != "no changes")
        or counted > 0
        or entry.get("enforcementChanges")
        or entry.get("changed") is True
        or entry.get("hasChanges") is True
    )


def affected_names(diff_json: Path) -> set[str] | None:
    """Stack names whose plan changed in ``aksflow diff``'s ``diff.json``.

    A stack is affected when its status is not "no changes", any operation count is non-zero,
    or a policy's enforcement level changed for it. None when the file is missing or has no
    readable ``stacks``: the caller then selects every stack (fail closed: a format change never
    silently skips the credentialed preview).
    """
    try:
        doc = json.loads(diff_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    stacks = doc.get("stacks") if isinstance(doc, Mapping) else None
    items: Iterable[tuple[str | None, Any]]
    if isinstance(stacks, Mapping):
        items = ((k, v) for k, v in stacks.items())
    elif isinstance(stacks, list):
        items = ((None, v) for v in stacks)
    else:
        return None
    names: set[str] = set()
    for key, entry in items:
        if not isinstance(entry, Mapping):
            return None
        name = entry.get("stack") or entry.get("name") or key
        if isinstance(name, str) and _changed(entry):
            names.add(name)
    return names


def affected(entries: Sequence[StackEntry], diff_json: Path) -> list[StackEntry]:
    """``entries`` limited to those ``diff_json`` marks as changed (all if it is unreadable)."""
    names = affected_names(diff_json)
    if names is None:
        return list(entries)
    return [e for e in entries if e.stack in names]


__all__ = [
    "StackEntry",
    "affected",
    "affected_names",
    "declared_environment",
    "list_stacks",
    "promotion_key",
    "select",
]
