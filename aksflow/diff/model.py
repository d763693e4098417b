"""The result types of ``aksflow diff``: plain frozen data, JSON-ready through ``to_json``.

Values in :class:`PropertyChange` are already redacted (secret markers and secret-looking keys
become ``"[secret]"``), so nothing downstream can leak them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from aksflow.safety.analysis import StackSafety

Op = Literal["create", "update", "replace", "delete"]
OPS: tuple[Op, ...] = ("create", "update", "replace", "delete")
RiskLevel = Literal["high", "medium"]
SECRET_TEXT = "[secret]"
Outcome = Literal["failed", "blocked", "high risk", "changes", "no changes"]
# Worst first: a report's outcome is the first of these that any stack has.
OUTCOMES: tuple[Outcome, ...] = ("failed", "blocked", "high risk", "changes", "no changes")


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    """The worst of ``outcomes`` in :data:`OUTCOMES` order; ``no changes`` when there are none."""
    return min(outcomes, key=OUTCOMES.index, default="no changes")


@dataclass(frozen=True)
class PropertyChange:
    """One changed input leaf: ``path`` in Pulumi notation, ``kind`` add/delete/update."""

    path: str
    kind: Literal["add", "delete", "update"]
    old: Any = None
    new: Any = None
    replaces: bool = False

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"path": self.path, "kind": self.kind}
        if self.kind != "add":
            doc["old"] = self.old
        if self.kind != "delete":
            doc["new"] = self.new
        if self.replaces:
            doc["replaces"] = True
        return doc


@dataclass(frozen=True)
class ResourceChange:
    """What happens to one resource (keyed by URN) between base and head."""

    urn: str
    type: str
    op: Op
    properties: tuple[PropertyChange, ...] = ()
    replace_reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    source: str | None = None
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    hint: str | None = None
    custom: bool = True  # False for component resources (no cloud object of their own)
    # What a reviewer checks on a created resource (vmSize, image, ...), label -> shown value.
    key_properties: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        """The resource's Pulumi name (the URN's last segment)."""
        return self.urn.rsplit("::", 1)[-1]

    @property
    def kind(self) -> str:
        """The last part of the type token: ``AgentPool``, ``Deployment``."""
        return self.type.rsplit(":", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"urn": self.urn, "type": self.type, "op": self.op}
        if not self.custom:
            doc["component"] = True
        if self.properties:
            doc["properties"] = [p.to_json() for p in self.properties]
        for key, value in (
            ("replaceReasons", self.replace_reasons),
            ("warnings", self.warnings),
            ("ignoredChanges", self.ignored),
        ):
            if value:
                doc[key] = list(value)
        if self.source:
            doc["source"] = self.source
        if self.hint:
            doc["hint"] = self.hint
        if self.key_properties:
            doc["keyProperties"] = dict(self.key_properties)
        return doc


@dataclass(frozen=True)
class StackPlan:
    """Every resource change of one stack, in state order (creates/updates, then deletes)."""

    stack: str
    changes: tuple[ResourceChange, ...]
    unchanged: int

    def counts(self) -> dict[str, int]:
        """``{"create": n, "update": n, "replace": n, "delete": n}``."""
        counts: dict[str, int] = dict.fromkeys(OPS, 0)
        for change in self.changes:
            counts[change.op] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class Violation:
    """One policy violation as written to ``policy.json``."""

    policy: str
    level: str
    severity: str
    urn: str
    file: str
    line: int | None
    message: str
    new: bool = False  # not reported at the base
    hint: str = ""  # the fix in the syntax of the stack or values file that sets the value
    exception: Mapping[str, Any] | None = None  # owner, reason, expires, file, line (excepted)

    @property
    def key(self) -> tuple[str, str]:
        return (self.policy, self.urn)

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "level": self.level,
            "severity": self.severity,
            "urn": self.urn,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "new": self.new,
            **({"hint": self.hint} if self.hint else {}),
            **({"exception": dict(self.exception)} if self.exception else {}),
        }


@dataclass(frozen=True)
class PolicyVerdict:
    """One side's policy report for a stack (``excepted``: findings a valid exception covers)."""

    evaluated: int
    violations: tuple[Violation, ...]
    excepted: tuple[Violation, ...] = ()

    @property
    def mandatory(self) -> int:
        return sum(1 for v in self.violations if v.level == "mandatory")

    @property
    def advisory(self) -> int:
        return len(self.violations) - self.mandatory

    def to_json(self) -> dict[str, Any]:
        return {
            "evaluated": self.evaluated,
            "mandatory": self.mandatory,
            "advisory": self.advisory,
            "violations": [v.to_json() for v in self.violations],
            "excepted": [v.to_json() for v in self.excepted],
        }


@dataclass(frozen=True)
class EnforcementChange:
    """A policy's configured enforcement level changed in ``policies/config/<env>.json``."""

    environment: str
    policy: str
    old: str | None  # None: not configured (the pack's default)
    new: str | None

    @property
    def loosened(self) -> bool:
        rank = {"disabled": 0, "advisory": 1, None: 1, "remediate": 2, "mandatory": 2}
        return rank.get(self.new, 1) < rank.get(self.old, 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "policy": self.policy,
            "old": self.old,
            "new": self.new,
            "loosened": self.loosened,
        }


PolicyChangeKind = Literal["level", "settings", "code", "exception"]


@dataclass(frozen=True)
class PolicyChange:
    """A change to what the gate enforces between base and head.

    ``level``: a policy's effective enforcement level in an environment (config or pack
    default; a policy added or removed). ``settings``: a policy's configured properties.
    ``code``: a file of the pack. ``exception``: an entry of ``policies/exceptions.yaml`` added
    (pending until merged) or removed. ``loosened`` is None when data cannot tell (settings,
    code): such a change is treated as a loosening.
    """

    kind: PolicyChangeKind
    subject: str  # policy name, or the pack file for ``code``
    environment: str | None  # None: every environment
    old: str | None
    new: str | None
    loosened: bool | None
    detail: str = ""

    @property
    def high_risk(self) -> bool:
        """Every loosening, and every change that may be one, is high risk."""
        return self.loosened is not False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "environment": self.environment,
            "old": self.old,
            "new": self.new,
            "loosened": self.loosened,
            "detail": self.detail,
            "highRisk": self.high_risk,
        }


@dataclass(frozen=True)
class Risk:
    """Something a reviewer must see first. ``high`` sorts above ``medium``."""

    level: RiskLevel
    stack: str
    category: str
    message: str
    urn: str | None = None

    def to_json(self) -> dict[str, Any]:
        doc = {"level": self.level, "stack": self.stack, "category": self.category}
        doc["message"] = self.message
        if self.urn:
            doc["urn"] = self.urn
        return doc


@dataclass(frozen=True)
class StackDiff:
    """One stack's diff, policy verdicts and risks."""

    stack: str
    environment: str
    plan: StackPlan
    head_policy: PolicyVerdict
    base_policy: PolicyVerdict | None
    risks: tuple[Risk, ...] = ()
    enforcement: tuple[EnforcementChange, ...] = ()
    new_stack: bool = False
    safety: StackSafety | None = None  # cost, upgrade plan, rotations, blast radius

    @property
    def status(self) -> str:
        if self.new_stack:
            return "new stack"
        return "changed" if self.plan.has_changes else "no changes"

    @property
    def outcome(self) -> Outcome:
        """blocked > high risk > changes > no changes (a policy change is a change)."""
        if self.head_policy.mandatory:
            return "blocked"
        if any(r.level == "high" for r in self.risks):
            return "high risk"
        new_findings = any(v.new for v in self.head_policy.violations)
        if self.plan.has_changes or self.enforcement or self.new_stack or new_findings:
            return "changes"
        return "no changes"

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "environment": self.environment,
            "status": self.status,
            "outcome": self.outcome,
            "counts": self.plan.counts(),
            "unchanged": self.plan.unchanged,
            "changes": [c.to_json() for c in self.plan.changes],
            "risks": [r.to_json() for r in self.risks],
            "enforcementChanges": [e.to_json() for e in self.enforcement],
            "policy": {
                "head": self.head_policy.to_json(),
                "base": self.base_policy.to_json() if self.base_policy else None,
            },
            "safety": self.safety.to_json() if self.safety else None,
        }


@dataclass(frozen=True)
class Revision:
    """A revision as given and as resolved."""

    ref: str
    sha: str
    uncommitted: bool = False  # a snapshot of the working tree with changes not committed

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def label(self) -> str:
        """How to name it to a reader: ``main (1a2b3c4)``, or the working tree's state."""
        if self.uncommitted:
            return f"{self.ref} (uncommitted changes included)"
        return f"{self.ref} ({self.short})"


@dataclass(frozen=True)
class DiffReport:
    """The whole ``aksflow diff`` result."""

    base: Revision
    head: Revision
    stacks: tuple[StackDiff, ...]
    reused_base: bool = False
    error: str | None = None
    links: Mapping[str, str] = field(default_factory=dict)
    policy_changes: tuple[PolicyChange, ...] = ()
    removed_stacks: tuple[str, ...] = ()
    """Stacks whose ``Pulumi.<stack>.yaml`` the base has and the head does not."""

    @property
    def exit_status(self) -> int:
        """0 clean head, 1 a mandatory violation at the head, 2 an error."""
        if self.error:
            return 2
        return 1 if any(s.head_policy.mandatory for s in self.stacks) else 0

    @property
    def outcome(self) -> Outcome:
        """The worst stack outcome (``failed`` when nothing could be diffed)."""
        if self.error:
            return "failed"
        outcomes = [s.outcome for s in self.stacks]
        if self.removed_stacks:
            outcomes.append("high risk")  # nothing is deleted, and nothing watches it any more
        if any(c.high_risk for c in self.policy_changes):
            outcomes.append("high risk")  # a loosened gate, or a pack change that may be one
        elif self.policy_changes:
            outcomes.append("changes")
        return worst(outcomes)

    @property
    def risks(self) -> list[Risk]:
        """Every stack's risks, high first (stable within a level)."""
        order = {"high": 0, "medium": 1}
        removed = [
            Risk(
                "high",
                stack,
                "stack-removed",
                f"removes stack file Pulumi.{stack}.yaml: the pipeline stops deploying and "
                "drift-checking this stack, and deletes none of its resources (they keep running "
                f"until `pulumi destroy --stack {stack}`, then `pulumi stack rm`)",
            )
            for stack in self.removed_stacks
        ]
        risks = [*removed, *(r for s in self.stacks for r in s.risks)]
        return sorted(risks, key=lambda r: order[r.level])

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "base": {"ref": self.base.ref, "sha": self.base.sha},
            "head": {
                "ref": self.head.ref,
                "sha": self.head.sha,
                **({"uncommitted": True} if self.head.uncommitted else {}),
            },
            "exitStatus": self.exit_status,
            "outcome": self.outcome,
            "error": self.error,
            "hasChanges": any(s.plan.has_changes for s in self.stacks),
            "reusedBasePreview": self.reused_base,
            "stacks": [s.to_json() for s in self.stacks],
            "removedStacks": list(self.removed_stacks),
            "risks": [r.to_json() for r in self.risks],
            "policyChanges": [c.to_json() for c in self.policy_changes],
        }
