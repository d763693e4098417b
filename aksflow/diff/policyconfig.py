"""What the gate enforces, compared between revisions: levels, settings, pack code, exceptions.

The config is a Pulumi policy-pack config: ``{"all": "advisory", "<policy>": "mandatory"}`` or
``{"<policy>": {"enforcementLevel": "mandatory", ...}}``. :func:`compare_enforcement` compares
the levels the files set; :func:`level_changes` the effective levels each side's preview
reconciled (pack defaults included). Everything here reads data only: no revision's pack code
runs in this process.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from aksflow.diff.model import EnforcementChange, PolicyChange, Risk
from aksflow.errors import ConfigError
from aksflow.policy.exceptions import PolicyException, pending
from aksflow.stacks import declared_environment


def stack_environment(project_dir: Path, stack: str) -> str:
    """``<project>:environment`` from ``Pulumi.<stack>.yaml``, else the stack name (the preview
    reports a broken stack file with file and key)."""
    return declared_environment(project_dir, stack) or stack


def enforcement_levels(document: Any) -> dict[str, str]:
    """``{policy or "all": level}`` for every key that sets a level."""
    levels: dict[str, str] = {}
    if not isinstance(document, Mapping):
        return levels
    for key, value in document.items():
        if isinstance(value, str):
            levels[str(key)] = value
        elif isinstance(value, Mapping) and isinstance(value.get("enforcementLevel"), str):
            levels[str(key)] = value["enforcementLevel"]
    return levels


def read_levels(path: Path, *, strict: bool) -> dict[str, str]:
    """The levels in ``path`` ({} when absent). ``strict`` raises on malformed JSON."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    try:
        return enforcement_levels(json.loads(text))
    except json.JSONDecodeError as exc:
        if strict:
            raise ConfigError(f"{path}: malformed JSON (line {exc.lineno}): {exc.msg}") from None
        return {}


def compare_enforcement(
    environment: str, base: Mapping[str, str], head: Mapping[str, str]
) -> tuple[EnforcementChange, ...]:
    """Every policy whose configured level differs, ``all`` first, then by name."""
    keys = sorted(base.keys() | head.keys(), key=lambda k: (k != "all", k))
    return tuple(
        EnforcementChange(environment, key, base.get(key), head.get(key))
        for key in keys
        if base.get(key) != head.get(key)
    )


_RANK = {"disabled": 0, "advisory": 1, "mandatory": 2, "remediate": 2}
PACK_DATA = ("policies/config/", "policies/exceptions.yaml")


def effective_levels(report: Any) -> dict[str, str]:
    """``{policy: reconciled level}`` from a ``policy.json`` (empty when it lists none)."""
    policies = report.get("policies") if isinstance(report, Mapping) else None
    return {
        str(p["name"]): str(p["level"])
        for p in policies or ()
        if isinstance(p, Mapping) and "name" in p and "level" in p
    }


def level_changes(
    environment: str, base: Mapping[str, str], head: Mapping[str, str]
) -> list[PolicyChange]:
    """Every policy whose effective level differs (a policy added or removed included)."""
    changes = []
    for name in sorted(base.keys() | head.keys()):
        old, new = base.get(name), head.get(name)
        if old == new:
            continue
        detail = ""
        if old is None:
            detail = "policy added to the pack"
        elif new is None:
            detail = "policy removed from the pack"
        loosened = _RANK.get(new or "disabled", 1) < _RANK.get(old or "disabled", 1)
        changes.append(PolicyChange("level", name, environment, old, new, loosened, detail))
    return changes


def _settings(document: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if isinstance(document, Mapping):
        for key, value in document.items():
            if isinstance(value, Mapping):
                props = {k: v for k, v in value.items() if k != "enforcementLevel"}
                if props:
                    out[str(key)] = props
    return out


def read_config(path: Path) -> Any:
    """A policy config document as data ({} when absent or unreadable: the preview reports it)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def settings_changes(environment: str, base: Any, head: Any) -> list[PolicyChange]:
    """Every policy whose configured properties (not its level) differ, one entry per key."""
    old, new = _settings(base), _settings(head)
    source = f"policies/config/{environment}.json"
    changes = []
    for name in sorted(old.keys() | new.keys()):
        a, b = old.get(name, {}), new.get(name, {})
        for key in sorted(a.keys() | b.keys()):
            if a.get(key, _MISSING) == b.get(key, _MISSING):
                continue
            changes.append(
                PolicyChange(
                    "settings",
                    name,
                    environment,
                    None if key not in a else f"{key}={json.dumps(a[key], sort_keys=True)}",
                    None if key not in b else f"{key}={json.dumps(b[key], sort_keys=True)}",
                    None,
                    source,
                )
            )
    return changes


_MISSING = object()


def code_changes(changed: Iterable[str]) -> list[PolicyChange]:
    """Pack files (not its config or exceptions) changed between base and head."""
    return [
        PolicyChange("code", path, None, None, None, None, "pack code changed")
        for path in sorted(changed)
        if path.startswith("policies/") and not path.startswith(PACK_DATA)
    ]


def exception_changes(
    base: Sequence[PolicyException], head: Sequence[PolicyException]
) -> list[PolicyChange]:
    """Exceptions added by the head (pending: they apply once merged) or removed by it."""
    added = pending(base, head)
    removed = pending(head, base)
    return [
        *(
            PolicyChange(
                "exception",
                e.policy,
                e.environment,
                None,
                f"{e.scope} {e.selector}",
                True,
                f"pending: applies once merged; owner {e.owner}, expires "
                f"{e.expires.isoformat()}, {e.source}:{e.line}: {e.reason}",
            )
            for e in added
        ),
        *(
            PolicyChange(
                "exception",
                e.policy,
                e.environment,
                f"{e.scope} {e.selector}",
                None,
                False,
                f"removed; owner {e.owner}",
            )
            for e in removed
        ),
    ]


def policy_change_risks(
    stack: str,
    environment: str,
    changes: Sequence[PolicyChange],
    enforcement: Sequence[EnforcementChange],
) -> list[Risk]:
    """High risks for the policy changes that reach this stack (config level loosenings are
    already reported from ``enforcement`` by :func:`aksflow.diff.risk.stack_risks`)."""
    configured = {e.policy for e in enforcement if e.loosened}
    risks = []
    for change in changes:
        if not change.high_risk:
            continue
        if change.environment is not None and not fnmatchcase(environment, change.environment):
            continue
        if change.kind == "level":
            if change.subject in configured or "all" in configured:
                continue
            message = (
                f"loosens policy enforcement for {change.subject} in {environment}: "
                f"{change.old or 'not in the pack'} → {change.new or 'removed'}"
                + (f" ({change.detail})" if change.detail else "")
                + "; takes effect only once merged"
            )
        elif change.kind == "settings":
            message = (
                f"changes the settings of policy {change.subject} in {environment} "
                f"({change.old or 'unset'} → {change.new or 'unset'}); may loosen the gate "
                "once merged"
            )
        elif change.kind == "code":
            message = (
                f"changes the policy pack's code ({change.subject}); this PR is judged with "
                "the base's pack, the change applies once merged: review the rule"
            )
        else:
            message = (
                f"adds a policy exception for {change.subject} ({change.new}); pending, "
                "applies once merged"
            )
        risks.append(Risk("high", stack, "policy", message))
    return risks
