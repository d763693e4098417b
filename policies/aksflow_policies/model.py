"""The small vocabulary every aksflow policy is written in.

A policy is a :class:`Rule`: metadata plus a pure ``check(subject, config)`` function over plain
mappings that yields :class:`Finding` objects. Nothing here imports ``pulumi_policy``: the pack
module (:mod:`aksflow_policies.pack`) wraps rules as CrossGuard policies, and tests call the
checks directly.

Values may be ``pulumi_policy`` proxies (``Mapping`` / ``Sequence`` subclasses that raise
``UnknownValueError`` on unknown values), so helpers test against the ``collections.abc`` ABCs,
never ``dict``/``list``, and never swallow exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

SEVERITIES = ("low", "medium", "high", "critical")


class NotApplicable(Exception):  # noqa: N818 - mirrors pulumi_policy's not_applicable()
    """Raised by a check when the policy does not apply to this subject (reason given)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Finding:
    """One violation: where (field path), what is wrong, and how to fix it."""

    path: str
    problem: str
    fix: str
    urn: str | None = None  # stack policies name the offending resource
    subject: str | None = None  # stack policies: label of the offending resource


@dataclass(frozen=True)
class Subject:
    """What a resource check sees: the Pulumi type token, a display label and the props."""

    type: str
    name: str
    props: Mapping[str, Any]

    @property
    def label(self) -> str:
        """Human label such as ``Deployment apps/web`` or ``ManagedCluster aks``."""
        return describe(self.type, self.name, self.props)


@dataclass(frozen=True)
class StackResource:
    """What a stack check sees for one resource."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]

    @property
    def label(self) -> str:
        """Human label of the resource."""
        return describe(self.type, self.name, self.props)


ResourceCheck = Callable[[Subject, Mapping[str, Any]], Iterable[Finding]]
StackCheck = Callable[[Sequence[StackResource], Mapping[str, Any]], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A policy: id, metadata, applicable type tokens and a pure check."""

    name: str
    description: str
    severity: str
    tier: int
    remediation: str
    types: frozenset[str] = frozenset()
    check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.name}: unknown severity {self.severity!r}")
        if (self.check is None) == (self.stack_check is None):
            raise ValueError(f"{self.name}: exactly one of check / stack_check is required")
        if self.check is not None and not self.types:
            raise ValueError(f"{self.name}: a resource rule needs resource types")

    @property
    def is_stack(self) -> bool:
        """True for a StackValidationPolicy."""
        return self.stack_check is not None

    def defaults(self) -> dict[str, Any]:
        """Config defaults from the schema (what the CLI fills in before Configure)."""
        return {k: v["default"] for k, v in self.config.items() if "default" in v}

    def effective_config(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Schema defaults overlaid with the configured values."""
        merged = self.defaults()
        if given:
            merged.update(dict(given))
        return merged

    def run(self, subject: Subject, given: Mapping[str, Any] | None = None) -> list[Finding]:
        """Run the resource check (pure; raises NotApplicable when it does not apply)."""
        if self.check is None:
            raise TypeError(f"{self.name} is a stack rule")
        if subject.type not in self.types:
            return []
        return list(self.check(subject, self.effective_config(given)))

    def run_stack(
        self, resources: Sequence[StackResource], given: Mapping[str, Any] | None = None
    ) -> list[Finding]:
        """Run the stack check (pure)."""
        if self.stack_check is None:
            raise TypeError(f"{self.name} is a resource rule")
        return list(self.stack_check(resources, self.effective_config(given)))


def message(label: str, finding: Finding) -> str:
    """The violation text: resource, field path, problem and fix (never a secret value)."""
    who = finding.subject or label
    return f"{who}: {finding.path}: {finding.problem} Fix: {finding.fix}"


# --- helpers over plain (or proxied) JSON -------------------------------------------------


def is_map(value: Any) -> TypeGuard[Mapping[str, Any]]:
    """True for a JSON object (dict or pulumi_policy proxy)."""
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    """True for a JSON array (list or proxy), never for a string."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def get(value: Any, *keys: str) -> Any:
    """Walk nested objects; None when any step is missing or not an object."""
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def items(value: Any) -> Iterator[tuple[int, Any]]:
    """Enumerate a JSON array; nothing for anything else."""
    if is_list(value):
        yield from enumerate(value)


def truthy(value: Any) -> bool:
    """JSON ``true`` (booleans only: the string "true" is not a boolean)."""
    return value is True


def describe(type_token: str, name: str, props: Mapping[str, Any]) -> str:
    """``Kind namespace/name`` for Kubernetes objects, ``Type name`` for anything else."""
    kind = type_token.rsplit(":", 1)[-1]
    if type_token.startswith("kubernetes:") and isinstance(props, Mapping):
        meta = props.get("metadata")
        if isinstance(meta, Mapping):
            obj_name = meta.get("name")
            ns = meta.get("namespace")
            if isinstance(obj_name, str) and obj_name:
                return (
                    f"{kind} {ns}/{obj_name}"
                    if isinstance(ns, str) and ns
                    else f"{kind} {obj_name}"
                )
    return f"{kind} {name}"


def resource_rule(
    tags: tuple[str, ...],
    name: str,
    description: str,
    severity: str,
    tier: int,
    remediation: str,
    check: ResourceCheck,
    types: frozenset[str],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> Rule:
    """A resource policy; modules bind their ``tags`` (and default ``types``) with partial."""
    return Rule(
        name,
        description,
        severity,
        tier,
        remediation,
        types,
        check=check,
        config=config or {},
        tags=tags,
    )


def stack_rule(
    tags: tuple[str, ...],
    name: str,
    description: str,
    severity: str,
    tier: int,
    remediation: str,
    check: StackCheck,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> Rule:
    """A stack policy (evaluated once over every resource of the stack)."""
    return Rule(
        name,
        description,
        severity,
        tier,
        remediation,
        stack_check=check,
        config=config or {},
        tags=tags,
    )
