"""Plan-bound approval: the operations an approver saw are the operations that get applied.

The deploy workflow's plan job saves ``pulumi preview --json`` (pulumi ``pkg/display/json.go``
``PreviewDigest``: ``steps[]`` of ``{op, urn, diffReasons, replaceReasons, ...}``) as an artifact
before the environment's reviewers approve. After approval the apply job previews again and
:func:`compare` refuses the ``pulumi up`` when the resource operations differ. The step ops are
those of pulumi ``pkg/resource/deploy/step.go`` (``OpSame`` ... ``OpImportReplacement``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aksflow.errors import ConfigError

# Steps that change nothing in Azure or in the state's resources (reads of data sources,
# refreshes, no-ops); everything else is an operation the approver must have seen.
PASSIVE_OPS = frozenset({"same", "read", "refresh", "discard", "discard-replaced"})
# Longest list rendered into a job summary; the artifact has the rest.
SUMMARY_ROWS = 300


@dataclass(frozen=True, order=True)
class Operation:
    """One resource operation of a plan."""

    urn: str
    op: str
    properties: tuple[str, ...] = ()
    """The property keys causing the update or replacement (diffReasons + replaceReasons)."""

    @property
    def type(self) -> str:
        """The resource type token from the URN (``...::azure-native:...:AgentPool::name``)."""
        parts = self.urn.split("::")
        return parts[-2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""

    @property
    def name(self) -> str:
        """The resource's logical name from the URN."""
        return self.urn.rsplit("::", 1)[-1]

    def describe(self) -> str:
        """``update AgentPool npuser01 (maxCount)``."""
        detail = f" ({', '.join(self.properties)})" if self.properties else ""
        return f"{self.op} {self.type} {self.name}{detail}"


@dataclass(frozen=True)
class Plan:
    """The operations of one ``pulumi preview --json``."""

    file: str
    operations: tuple[Operation, ...]
    diagnostics: int


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def parse_preview(label: str, doc: Any) -> Plan:
    """A parsed ``pulumi preview --json`` document as a :class:`Plan`."""
    if not isinstance(doc, Mapping):
        raise ConfigError(f"{label}: not a pulumi preview --json document (expected an object)")
    steps = doc.get("steps") or []
    if not isinstance(steps, list):
        raise ConfigError(f"{label}: steps: must be a list")
    operations: list[Operation] = []
    for index, step in enumerate(steps):
        if not isinstance(step, Mapping) or not isinstance(step.get("op"), str):
            raise ConfigError(f"{label}: steps[{index}]: must be an object with an op")
        if not isinstance(step.get("urn"), str):
            raise ConfigError(f"{label}: steps[{index}].urn: must be a string")
        if step["op"] in PASSIVE_OPS:
            continue
        properties = sorted(
            set(_strings(step.get("diffReasons"))) | set(_strings(step.get("replaceReasons")))
        )
        operations.append(Operation(step["urn"], step["op"], tuple(properties)))
    diagnostics = doc.get("diagnostics")
    return Plan(
        file=label,
        operations=tuple(sorted(operations)),
        diagnostics=len(diagnostics) if isinstance(diagnostics, list) else 0,
    )


def read_preview(path: Path) -> Plan:
    """Read a ``pulumi preview --json`` output file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the plan: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not JSON (line {exc.lineno}): {exc.msg}") from None
    return parse_preview(str(path), doc)


def compare(approved: Plan, current: Plan) -> list[str]:
    """What the current plan does that the approved one did not, and the reverse.

    Empty when both carry the same resource operations (the same resources, the same op, the
    same changed property keys). Order and passive steps do not matter.
    """
    before = Counter(approved.operations)
    after = Counter(current.operations)
    added = sorted((after - before).elements())
    dropped = sorted((before - after).elements())
    return [f"+ not approved: {o.describe()}" for o in added] + [
        f"- approved, no longer planned: {o.describe()}" for o in dropped
    ]


def _escape(text: str) -> str:
    """Markdown table cell text: no pipes, no markup, no HTML."""
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def summary(plan: Plan, title: str) -> str:
    """A markdown job summary of a plan: counts, then one row per operation (no values)."""
    counts = Counter(o.op for o in plan.operations)
    lines = [f"## {_escape(title)}", ""]
    if not plan.operations:
        lines.append("**No changes.**")
    else:
        lines.append(", ".join(f"{op}: {n}" for op, n in sorted(counts.items())))
        lines += ["", "| operation | type | name | properties |", "|---|---|---|---|"]
        for operation in plan.operations[:SUMMARY_ROWS]:
            cells = (
                operation.op,
                operation.type,
                operation.name,
                ", ".join(operation.properties),
            )
            lines.append("| " + " | ".join(_escape(c) for c in cells) + " |")
        hidden = len(plan.operations) - SUMMARY_ROWS
        if hidden > 0:
            lines.append(f"\n_{hidden} more operations are in the plan artifact._")
    if plan.diagnostics:
        lines += ["", f"{plan.diagnostics} diagnostics (policy results, warnings) in the plan."]
    return "\n".join(lines) + "\n"


__all__ = ["Operation", "Plan", "compare", "parse_preview", "read_preview", "summary"]
