"""The policy report: what was evaluated and every violation, with its location."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
LEVEL_ORDER = {"mandatory": 0, "advisory": 1}


@dataclass(frozen=True)
class Suppression:
    """Why a finding is excepted: an entry of ``policies/exceptions.yaml``."""

    owner: str
    reason: str
    expires: str  # ISO date
    file: str
    line: int

    @property
    def justification(self) -> str:
        """One line for SARIF and the comment."""
        where = f"{self.file}:{self.line}"
        return f"{self.reason} (owner {self.owner}, expires {self.expires}, {where})"

    def to_json(self) -> dict[str, Any]:
        """JSON form (policy.json, diff.json)."""
        return {
            "owner": self.owner,
            "reason": self.reason,
            "expires": self.expires,
            "file": self.file,
            "line": self.line,
        }


@dataclass(frozen=True)
class Violation:
    """One policy diagnostic on one resource (or on the stack)."""

    policy: str
    level: str  # "mandatory" | "advisory"
    severity: str  # low | medium | high | critical
    urn: str
    file: str
    line: int
    message: str
    resource_type: str = ""
    unknown: bool = False  # "can't run policy during preview": an unknown value was touched
    hint: str = ""  # how to fix it in the stack or values file that sets the value (aksflow.locate)
    exception: Suppression | None = None  # set on excepted findings only

    def sort_key(self) -> tuple[int, int, str, str, str]:
        """Pulumi CLI order: enforcement, severity, policy name, URN."""
        return (
            LEVEL_ORDER.get(self.level, 9),
            SEVERITY_ORDER.get(self.severity, 9),
            self.policy,
            self.urn,
            self.message,
        )

    def to_json(self) -> dict[str, Any]:
        """Contract shape (contracts.md) plus the type, unknown flag and exception."""
        doc: dict[str, Any] = {
            "policy": self.policy,
            "level": self.level,
            "severity": self.severity,
            "urn": self.urn,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "type": self.resource_type,
            "unknown": self.unknown,
            **({"hint": self.hint} if self.hint else {}),
        }
        if self.exception is not None:
            doc["exception"] = self.exception.to_json()
        return doc


@dataclass(frozen=True)
class PolicyInfo:
    """Metadata of one policy of the pack (SARIF rules, summaries)."""

    name: str
    description: str
    severity: str
    level: str  # reconciled enforcement level
    tags: tuple[str, ...] = ()
    remediation: str = ""


@dataclass(frozen=True)
class PolicyReport:
    """Result of one gate run. ``evaluated`` counts resources some enabled policy applies to."""

    evaluated: int
    violations: tuple[Violation, ...]
    pack: str = "aksflow"
    pack_version: str = "0.0.1"
    policies: tuple[PolicyInfo, ...] = ()
    resources_by_type: tuple[tuple[str, int], ...] = ()
    not_applicable: tuple[tuple[str, int], ...] = ()
    unknown_skips: int = 0
    stack: str = ""
    excepted: tuple[Violation, ...] = ()  # findings a valid exception covers (never fail)

    @property
    def mandatory(self) -> tuple[Violation, ...]:
        """Violations that fail the gate."""
        return tuple(v for v in self.violations if v.level == "mandatory")

    @property
    def advisory(self) -> tuple[Violation, ...]:
        """Violations that only warn."""
        return tuple(v for v in self.violations if v.level != "mandatory")

    def to_json(self) -> dict[str, Any]:
        """``{"evaluated": N, "violations": [...]}`` plus run-level counts."""
        return {
            "evaluated": self.evaluated,
            "violations": [v.to_json() for v in self.violations],
            "excepted": [v.to_json() for v in self.excepted],
            "pack": {"name": self.pack, "version": self.pack_version},
            "stack": self.stack,
            "mandatory": len(self.mandatory),
            "advisory": len(self.advisory),
            "unknownSkips": self.unknown_skips,
            "resourcesByType": dict(self.resources_by_type),
            "notApplicable": dict(self.not_applicable),
            "policies": [
                {"name": p.name, "level": p.level, "severity": p.severity} for p in self.policies
            ],
        }
