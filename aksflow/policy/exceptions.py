"""Policy exceptions: reviewed data with an owner, a reason and an expiry.

They live in ``policies/exceptions.yaml``.

An exception excepts the findings of one policy on the resources its selector matches, in the
stacks (or environments) it names, until its expiry date (inclusive, UTC). Excepted findings
do not fail the gate; they stay visible (folded in the comment, SARIF ``suppressions``).
An expired exception excepts nothing and is itself a mandatory violation naming its owner,
so it is renewed or removed, never forgotten. A malformed file is a :class:`ConfigError`
naming the file, the entry and the key.

``aksflow diff`` reads this file from the base revision, like the policy config: an exception
added in the pull request itself is *pending* and applies only once merged.

File shape::

    exceptions:
      - policy: pss-privileged
        environment: prod            # or stack: <glob>; one of the two
        resource:                    # urn: <glob>, or any of kind/namespace/name (globs)
          kind: Deployment
          namespace: web
          name: web
        owner: "@contoso/web-team"
        reason: The node agent needs privileged mode until ticket OPS-123 lands.
        expires: 2026-12-31
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from aksflow.errors import ConfigError
from aksflow.yamlio import parse_yaml

from .report import Suppression, Violation

FILE_NAME = "exceptions.yaml"
EXPIRED_POLICY = "aksflow-exception-expired"

_GLOB = {"type": "string", "minLength": 1}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "exceptions": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["policy", "resource", "owner", "reason", "expires"],
                "properties": {
                    "policy": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*$"},
                    "stack": _GLOB,
                    "environment": _GLOB,
                    "resource": {
                        "type": "object",
                        "additionalProperties": False,
                        "minProperties": 1,
                        "properties": {
                            "urn": _GLOB,
                            "kind": _GLOB,
                            "namespace": _GLOB,
                            "name": _GLOB,
                        },
                    },
                    "owner": {"type": "string", "minLength": 1},
                    "reason": {"type": "string", "minLength": 10},
                    "expires": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                },
                "oneOf": [
                    {"required": ["stack"], "not": {"required": ["environment"]}},
                    {"required": ["environment"], "not": {"required": ["stack"]}},
                ],
            },
        }
    },
}


@dataclass(frozen=True)
class Target:
    """What a selector is matched against: where a finding is, and on what."""

    stack: str
    environment: str
    urn: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""


@dataclass(frozen=True)
class PolicyException:
    """One entry of the exceptions file."""

    policy: str
    owner: str
    reason: str
    expires: dt.date
    source: str  # "policies/exceptions.yaml"
    line: int
    stack: str | None = None
    environment: str | None = None
    urn: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None

    @property
    def scope(self) -> str:
        """``stack=prod`` or ``environment=prod``."""
        if self.stack is not None:
            return f"stack={self.stack}"
        return f"environment={self.environment}"

    @property
    def selector(self) -> str:
        """The resource selector as one line: ``urn=…`` or ``kind=… namespace=… name=…``."""
        parts = [
            f"{key}={value}"
            for key, value in (
                ("urn", self.urn),
                ("kind", self.kind),
                ("namespace", self.namespace),
                ("name", self.name),
            )
            if value is not None
        ]
        return " ".join(parts)

    def in_scope(self, stack: str, environment: str) -> bool:
        """Whether the exception is about this stack (by stack name or environment)."""
        if self.stack is not None:
            return fnmatchcase(stack, self.stack)
        return fnmatchcase(environment, self.environment or "")

    def matches(self, policy: str, target: Target) -> bool:
        """Whether it excepts ``policy``'s finding on ``target``."""
        if policy != self.policy or not self.in_scope(target.stack, target.environment):
            return False
        wanted = (
            (self.urn, target.urn),
            (self.kind, target.kind),
            (self.namespace, target.namespace),
            (self.name, target.name),
        )
        return all(pattern is None or fnmatchcase(actual, pattern) for pattern, actual in wanted)

    def expired(self, today: dt.date) -> bool:
        """Valid through its expiry date; expired the day after."""
        return today > self.expires

    def suppression(self) -> Suppression:
        """The record attached to an excepted finding."""
        return Suppression(
            owner=self.owner,
            reason=self.reason,
            expires=self.expires.isoformat(),
            file=self.source,
            line=self.line,
        )

    def identity(self) -> tuple[Any, ...]:
        """Everything but the location: equal entries are the same exception."""
        return (
            self.policy,
            self.stack,
            self.environment,
            self.urn,
            self.kind,
            self.namespace,
            self.name,
            self.owner,
            self.reason,
            self.expires,
        )

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON (``diff.json``)."""
        return {
            "policy": self.policy,
            "scope": self.scope,
            "selector": self.selector,
            "owner": self.owner,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "file": self.source,
            "line": self.line,
        }


def _entry_lines(text: str) -> list[int]:
    """1-based line of each entry of ``exceptions`` (best effort: [] if the shape is odd)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)  # positions only; parsed above
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "exceptions" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _where(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_exceptions(text: str, source: str) -> tuple[PolicyException, ...]:
    """Parse and validate the file's text; ``source`` names it in errors and in findings."""
    # The project's one YAML reader: YAML 1.2 scalars (dates stay text), duplicate keys and
    # alias bombs refused, errors naming the file, line and key (exit 2).
    document = parse_yaml(text, source)
    if document is None:
        return ()
    import jsonschema  # deferred like the policy config's: start-up time counts

    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        message = error.message
        if error.validator == "oneOf":
            message = "give exactly one of 'stack' or 'environment'"
        raise ConfigError(f"{source}: {_where(list(error.absolute_path))}: {message}")
    lines = _entry_lines(text)
    entries: list[PolicyException] = []
    for i, raw in enumerate(document.get("exceptions") or ()):
        try:
            expires = dt.date.fromisoformat(raw["expires"])
        except ValueError:
            raise ConfigError(
                f"{source}: exceptions[{i}].expires: {raw['expires']!r} is not a calendar date"
            ) from None
        resource = raw["resource"]
        entries.append(
            PolicyException(
                policy=raw["policy"],
                owner=raw["owner"],
                reason=" ".join(raw["reason"].split()),
                expires=expires,
                source=source,
                line=lines[i] if i < len(lines) else 1,
                stack=raw.get("stack"),
                environment=raw.get("environment"),
                urn=resource.get("urn"),
                kind=resource.get("kind"),
                namespace=resource.get("namespace"),
                name=resource.get("name"),
            )
        )
    return tuple(entries)


def load_exceptions(path: Path, *, source: str | None = None) -> tuple[PolicyException, ...]:
    """The exceptions in ``path``; none when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source or path}: cannot read the exceptions file: {exc}") from None
    return parse_exceptions(text, source or str(path))


def check_policies(exceptions: Iterable[PolicyException], known: Iterable[str], pack: str) -> None:
    """A typo in a policy name would silently except nothing: refuse unknown names."""
    names = set(known)
    for index, exc in enumerate(exceptions):  # the file's entries, in order
        if exc.policy not in names:
            raise ConfigError(
                f"{exc.source}:{exc.line}: exceptions[{index}].policy: unknown policy "
                f"{exc.policy!r} (pack {pack})"
            )


@dataclass(frozen=True)
class Applied:
    """Findings split by the exceptions: still active, excepted, and expired-exception findings."""

    active: tuple[Violation, ...]
    excepted: tuple[Violation, ...]
    expired: tuple[Violation, ...]


def expired_violation(exc: PolicyException, stack: str) -> Violation:
    """A mandatory finding for an expired exception, naming its owner."""
    return Violation(
        policy=EXPIRED_POLICY,
        level="mandatory",
        severity="high",
        urn="",
        file=exc.source,
        line=exc.line,
        message=(
            f"Policy exceptions must be renewed or removed when they expire.\n"
            f"The exception for {exc.policy} ({exc.scope}, {exc.selector}) owned by {exc.owner} "
            f"expired on {exc.expires.isoformat()}: renew it (new expiry, reviewed) or fix the "
            f"finding and remove the entry."
        ),
        resource_type="",
    )


def apply_exceptions(
    violations: Iterable[Violation],
    targets: Mapping[str, Target],
    exceptions: Sequence[PolicyException],
    *,
    stack: str,
    environment: str,
    today: dt.date | None = None,
) -> Applied:
    """Split ``violations`` by the exceptions in scope for ``stack``/``environment``.

    ``targets`` maps a URN to what selectors see of it; a finding without a known target (a
    stack-level finding) can only be excepted by a ``urn`` selector matching its URN.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    in_scope = [e for e in exceptions if e.in_scope(stack, environment)]
    valid = [e for e in in_scope if not e.expired(today)]
    active: list[Violation] = []
    excepted: list[Violation] = []
    for v in violations:
        target = targets.get(v.urn) or Target(stack, environment, urn=v.urn)
        hit = next((e for e in valid if e.matches(v.policy, target)), None)
        if hit is None or v.policy == EXPIRED_POLICY:
            active.append(v)
        else:
            excepted.append(replace(v, exception=hit.suppression()))
    expired = tuple(expired_violation(e, stack) for e in in_scope if e.expired(today))
    return Applied(tuple(active), tuple(excepted), expired)


def target_of(stack: str, environment: str, urn: str, type_token: str, inputs: Any) -> Target:
    """Kind, namespace and name of a resource as selectors see them.

    Kubernetes objects: ``metadata.namespace``/``metadata.name`` and the kind of the type token;
    anything else: the type's last segment and the Pulumi resource name, no namespace.
    """
    kind = type_token.rsplit(":", 1)[-1]
    name = urn.rsplit("::", 1)[-1]
    namespace = ""
    if type_token.startswith("kubernetes:") and isinstance(inputs, Mapping):
        metadata = inputs.get("metadata")
        if isinstance(metadata, Mapping):
            name = str(metadata.get("name") or name)
            namespace = str(metadata.get("namespace") or "")
    return Target(stack, environment, urn, kind, namespace, name)


def pending(
    base: Sequence[PolicyException], head: Sequence[PolicyException]
) -> tuple[PolicyException, ...]:
    """Entries at the head that the base does not have: they apply only once merged."""
    known = {e.identity() for e in base}
    return tuple(e for e in head if e.identity() not in known)
